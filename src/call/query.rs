//! Query parameters as generated code adds them: [`param`] skips an absent optional one without touching
//! the URL (rule `absent-query-skipped`), and a free-form `deepObject` map (`style: deepObject`), which
//! progenitor cannot send as the spec means it, goes as `name[key]=value` pairs through [`DeepObject`]
//! in place of progenitor's `QueryParam` (rule `deep-object-map`).

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;

/// A `deepObject` query parameter: `value` (a map, or anything that serializes to a JSON object) sent
/// as `name[key]=value` pairs; nested objects as `name[a][b]=value`, arrays as repeated pairs, `null`
/// and absent values left out.
#[allow(dead_code, reason = "named by generated code only when the spec has free-form deepObject maps")]
pub(crate) struct DeepObject<'a, T> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T: Serialize> DeepObject<'a, T> {
    /// The parameter `name` with `value` (as generated code writes it).
    #[allow(dead_code, reason = "named by generated code only when the spec has free-form deepObject maps")]
    pub(crate) fn new(name: &'a str, value: &'a T) -> Self {
        DeepObject { name, value }
    }

    /// The `(name[key], value)` pairs.
    fn pairs(&self) -> Result<Vec<(String, String)>, serde_json::Error> {
        let mut out = Vec::new();
        flatten(self.name.to_string(), &serde_json::to_value(self.value)?, &mut out);
        Ok(out)
    }
}

fn flatten(name: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, v) in map {
                flatten(format!("{name}[{key}]"), v, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                flatten(name.clone(), item, out);
            }
        }
        Value::String(s) => out.push((name, s.clone())),
        other => out.push((name, other.to_string())),
    }
}

/// A sequence of pairs, which `reqwest`'s `.query()` (serde_urlencoded) writes as `k=v&k=v`.
impl<T: Serialize> Serialize for DeepObject<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let pairs = self.pairs().map_err(serde::ser::Error::custom)?;
        let mut seq = serializer.serialize_seq(Some(pairs.len()))?;
        for pair in &pairs {
            seq.serialize_element(pair)?;
        }
        seq.end()
    }
}

/// Adds one query parameter exactly as progenitor's `.query(&QueryParam::new(name, value))` does,
/// but leaves the request alone when `value` is absent (`None`): reqwest edits the URL for every
/// `.query` call, even one that adds nothing. Named by generated code (rule `absent-query-skipped`).
#[allow(dead_code, reason = "named by generated code only when the spec has query parameters")]
pub(crate) fn param<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    name: &str,
    value: &T,
) -> reqwest::RequestBuilder {
    if absent::is_absent(value) {
        request
    } else {
        request.query(&progenitor_client::QueryParam::new(name, value))
    }
}

/// Whether a value serializes as `None` (nothing at all in a query string), found without serializing
/// it: the first serializer call answers.
mod absent {
    use serde::ser::{self, Impossible, Serialize, Serializer};

    /// Any serializer call other than `serialize_none`: the value is there.
    #[derive(Debug)]
    pub(super) struct Present;

    impl std::fmt::Display for Present {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("present")
        }
    }
    impl std::error::Error for Present {}
    impl ser::Error for Present {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Present
        }
    }

    pub(super) fn is_absent<T: Serialize + ?Sized>(value: &T) -> bool {
        value.serialize(Probe).is_ok()
    }

    struct Probe;

    macro_rules! present {
        ($($name:ident($($arg:ty),*)),* $(,)?) => {
            $(fn $name(self, $(_: $arg),*) -> Result<(), Present> { Err(Present) })*
        };
    }

    impl Serializer for Probe {
        type Ok = ();
        type Error = Present;
        type SerializeSeq = Impossible<(), Present>;
        type SerializeTuple = Impossible<(), Present>;
        type SerializeTupleStruct = Impossible<(), Present>;
        type SerializeTupleVariant = Impossible<(), Present>;
        type SerializeMap = Impossible<(), Present>;
        type SerializeStruct = Impossible<(), Present>;
        type SerializeStructVariant = Impossible<(), Present>;

        fn serialize_none(self) -> Result<(), Present> {
            Ok(())
        }
        present!(
            serialize_bool(bool),
            serialize_i8(i8),
            serialize_i16(i16),
            serialize_i32(i32),
            serialize_i64(i64),
            serialize_i128(i128),
            serialize_u8(u8),
            serialize_u16(u16),
            serialize_u32(u32),
            serialize_u64(u64),
            serialize_u128(u128),
            serialize_f32(f32),
            serialize_f64(f64),
            serialize_char(char),
            serialize_str(&str),
            serialize_bytes(&[u8]),
            serialize_unit(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        );
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Present> {
            Err(Present)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Present> {
            // A newtype around an `Option` is absent when its content is.
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Present> {
            Err(Present)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Present> {
            Err(Present)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Present> {
            Err(Present)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Present> {
            Err(Present)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Present> {
            Err(Present)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Present> {
            Err(Present)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Present> {
            Err(Present)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Present> {
            Err(Present)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query string, its pairs sorted: object key order depends on serde_json's `preserve_order`
    /// (on in workspace builds, through invent-spec) and carries no meaning on the wire.
    fn url(value: &impl Serialize) -> String {
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:9/x")
            .query(&[("a", "1")])
            .query(&DeepObject::new("group", value))
            .build()
            .unwrap();
        let mut pairs: Vec<&str> = request.url().query().unwrap_or_default().split('&').collect();
        pairs.sort();
        pairs.join("&")
    }

    #[test]
    fn maps_become_bracketed_pairs_on_the_wire() {
        let map: std::collections::BTreeMap<&str, &str> = [("country", "FR"), ("plan", "pro")].into();
        assert_eq!(url(&map), "a=1&group%5Bcountry%5D=FR&group%5Bplan%5D=pro");
        let nested = serde_json::json!({"a": {"b": 1}, "t": ["x", "y"], "n": null, "ok": true});
        assert_eq!(url(&nested), "a=1&group%5Ba%5D%5Bb%5D=1&group%5Bok%5D=true&group%5Bt%5D=x&group%5Bt%5D=y");
        assert_eq!(url(&Option::<serde_json::Value>::None), "a=1", "an absent map sends nothing");
    }

    /// `param` adds exactly what progenitor's `QueryParam` adds, and nothing (not even a `?`) for `None`.
    #[test]
    fn query_skips_absent_values_only() {
        let http = reqwest::Client::new();
        let url = |build: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| {
            build(http.get("http://h/x")).build().unwrap().url().to_string()
        };
        let progenitor = |build: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| url(build);
        let none: Option<u32> = None;
        assert_eq!(url(&|r| param(r, "page", &none)), "http://h/x");
        assert_eq!(url(&|r| param(param(r, "a", &Some(2u32)), "b", &none)), "http://h/x?a=2");
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("n", serde_json::json!(3)),
            ("s", serde_json::json!("a b&c")),
            ("t", serde_json::json!(true)),
            ("list", serde_json::json!(["x", "y"])),
            ("empty", serde_json::json!([])),
            ("unit", serde_json::Value::Null),
        ];
        for (name, value) in &cases {
            let ours = url(&|r| param(r, name, value));
            let theirs = progenitor(&|r| r.query(&progenitor_client::QueryParam::new(name, value)));
            assert_eq!(ours, theirs, "{name}");
        }
        // `Value::Null` goes through `serialize_unit`, not `serialize_none`: not treated as absent.
        assert!(!absent::is_absent(&serde_json::Value::Null));
        assert!(absent::is_absent(&None::<Vec<String>>));
        assert!(!absent::is_absent(&Some(Vec::<String>::new())));
        assert!(!absent::is_absent(&"x"));
    }
}
