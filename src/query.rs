//! Query parameters progenitor cannot send as the spec means them: a free-form `deepObject` map
//! (`style: deepObject`), sent as `name[key]=value` pairs. Generated code names [`DeepObject`] in place
//! of progenitor's `QueryParam` for those parameters (rule `deep-object-map`).
// Named by generated code only when the spec has such parameters.
#![allow(dead_code)]

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;

/// A `deepObject` query parameter: `value` (a map, or anything that serializes to a JSON object) sent
/// as `name[key]=value` pairs; nested objects as `name[a][b]=value`, arrays as repeated pairs, `null`
/// and absent values left out.
pub(crate) struct DeepObject<'a, T> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T: Serialize> DeepObject<'a, T> {
    /// The parameter `name` with `value` (as generated code writes it).
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
}
