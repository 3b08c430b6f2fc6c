//! Walking a body's bytes against its compiled schema without building a `serde_json::Value`: a serde
//! `DeserializeSeed` per schema node visits objects key by key (keys borrowed from the body when they
//! have no escapes), checks strings and numbers where they lie and skips what no schema asks about. A
//! `Value` is built only where the findings need one: a value below `oneOf`/`anyOf` (to choose a
//! branch), an object or array an `enum` constrains or of the wrong type, and an undeclared property
//! (for its sketch). The findings are those of the `Value` walk of the same body, which stays for
//! bodies already parsed (error bodies) and as the oracle of the tests.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{
    safe, sketch, Compiled, DriftKind, NodeId, ObjectShape, Observation, Undeclared, Walker, ARRAY, BOOLEAN, INTEGER,
    NULL, NUMBER, OBJECT, STRING,
};

/// Most `required` names of one object schema tracked while streaming; an object schema with more is
/// checked through a `Value`.
const MAX_TRACKED_REQUIRED: usize = 128;

impl Compiled {
    /// Checks the JSON `body` against the schema at `pointer` (a response schema of the index): the
    /// findings [`Compiled::walk`] gives for the parsed body, or the parse error when it is not JSON.
    pub(crate) fn walk_bytes(&self, pointer: &str, body: &[u8]) -> Result<Vec<Observation>, serde_json::Error> {
        let Some(&root) = self.by_pointer.get(pointer) else { return Ok(Vec::new()) };
        // One UTF-8 check of the whole body instead of one per string (`from_slice` fails on the same
        // bodies: invalid UTF-8 outside a string is a syntax error anyway).
        let text = std::str::from_utf8(body).map_err(|_| serde::de::Error::custom("the body is not UTF-8"))?;
        let mut walker = Walker::new(self);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        Seed { walker: &mut walker, id: root, depth: 0, property: None }.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(walker.out.into_vec())
    }
}

/// A JSON scalar as the body holds it (strings borrowed, never copied).
#[derive(Debug, Clone, Copy)]
enum Scalar<'s> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'s str),
}

impl Scalar<'_> {
    fn type_bit(self) -> u8 {
        match self {
            Scalar::Null => NULL,
            Scalar::Bool(_) => BOOLEAN,
            Scalar::Int(_) | Scalar::UInt(_) => INTEGER,
            Scalar::Float(_) => NUMBER,
            Scalar::Str(_) => STRING,
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Scalar::Int(n) => Some(n as f64),
            Scalar::UInt(n) => Some(n as f64),
            Scalar::Float(n) => Some(n),
            _ => None,
        }
    }

    /// The value `serde_json` would have parsed.
    fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) => Value::from(n),
            Scalar::UInt(n) => Value::from(n),
            Scalar::Float(n) => Value::from(n),
            Scalar::Str(s) => Value::String(s.to_string()),
        }
    }

    /// `walk::same(listed, self)` without building `self` as a `Value`.
    fn same(self, listed: &Value) -> bool {
        match (listed, self) {
            (Value::Number(x), _) if self.as_f64().is_some() => x.as_f64() == self.as_f64(),
            (Value::Null, Scalar::Null) => true,
            (Value::Bool(x), Scalar::Bool(y)) => *x == y,
            (Value::String(x), Scalar::Str(y)) => x == y,
            _ => false,
        }
    }
}

/// Where a streamed value sits in its parent: a declared property (which may be `null`) or anything else
/// (whose place the caller has already written into the path).
type Property<'a, 'c> = Option<(&'a str, &'a ObjectShape<'c>, NodeId)>;

/// Checks one value against the schema node `id` as it is deserialized.
struct Seed<'a, 'c> {
    walker: &'a mut Walker<'c>,
    id: NodeId,
    depth: usize,
    property: Property<'a, 'c>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Seed<'_, '_> {
    /// Runs `check` with the property's name in the path (for a declared property).
    fn at_place<R>(self, check: impl FnOnce(&mut Walker<'_>, NodeId, usize) -> R) -> R {
        match self.property {
            Some((key, _, _)) => {
                let mark = self.walker.at.push(Some(key));
                let result = check(self.walker, self.id, self.depth);
                self.walker.at.pop(mark);
                result
            }
            None => check(self.walker, self.id, self.depth),
        }
    }

    fn scalar(self, scalar: Scalar<'_>) {
        if let (Scalar::Null, Some((key, shape, part))) = (scalar, self.property) {
            // As in the `Value` walk: a declared property that is `null` is judged by its parent.
            self.walker.declared_null(shape, part, self.id, key);
            return;
        }
        self.at_place(|walker, id, depth| walker.scalar(id, scalar, depth));
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.scalar(Scalar::Null);
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(Scalar::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.scalar(Scalar::Int(v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(Scalar::UInt(v));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.scalar(Scalar::Float(v));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(Scalar::Str(v));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.at_place(|walker, id, depth| walker.map(id, map, depth))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.at_place(|walker, id, depth| walker.seq(id, seq, depth))
    }
}

/// An object key, borrowed from the body unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Which `required` names of an object's parts have been seen, one bit per name in part order.
struct SeenRequired(u128);

impl<'c> Walker<'c> {
    fn required_names(&self, parts: &'c [NodeId]) -> impl Iterator<Item = (NodeId, &'c String)> + 'c {
        let compiled = self.compiled;
        parts.iter().flat_map(move |&p| compiled.nodes[p].required.iter().map(move |name| (p, name)))
    }

    fn scalar(&mut self, id: NodeId, scalar: Scalar<'_>, depth: usize) {
        let Some(parts) = self.enter(id, depth) else { return };
        if self.has_unions(parts) {
            self.entered(parts, &scalar.to_value(), depth);
            return;
        }
        let fits = self.fits_type(parts, scalar.type_bit(), || sketch::sketch(&scalar.to_value()));
        if !fits || matches!(scalar, Scalar::Null) {
            return;
        }
        self.check_enum(parts, |listed| scalar.same(listed), || sketch::safe_literal(&scalar.to_value()));
    }

    /// Whether a value of `kind` (object or array) at `parts` can be streamed: no union to choose a
    /// branch of, no `enum` to compare it with, and of a declared type (else the finding sketches it).
    fn streams(&self, parts: &[NodeId], kind: u8) -> bool {
        !self.has_unions(parts) && !self.has_enum(parts) && self.type_allowed(parts, kind)
    }

    fn map<'de, A: MapAccess<'de>>(&mut self, id: NodeId, mut map: A, depth: usize) -> Result<(), A::Error> {
        let Some(parts) = self.enter(id, depth) else {
            return IgnoredAny.visit_map(map).map(drop);
        };
        let required = self.required_names(parts).count();
        if !self.streams(parts, OBJECT) || required > MAX_TRACKED_REQUIRED {
            let value = Value::deserialize(MapAccessDeserializer::new(map))?;
            self.entered(parts, &value, depth);
            return Ok(());
        }
        let shape = ObjectShape::of(self.compiled, parts);
        let mut seen = SeenRequired(0);
        while let Some(key) = map.next_key_seed(Key)? {
            let key: &str = &key;
            for (bit, (_, name)) in self.required_names(parts).enumerate() {
                if name == key {
                    seen.0 |= 1 << bit;
                }
            }
            match shape.property(self.compiled, key) {
                Some((part, prop)) => {
                    let seed = Seed { walker: self, id: prop, depth: depth + 1, property: Some((key, &shape, part)) };
                    map.next_value_seed(seed)?;
                }
                None => match shape.undeclared() {
                    Undeclared::Schema(extra) => {
                        let mark = self.at.push(None);
                        map.next_value_seed(Seed { walker: self, id: extra, depth: depth + 1, property: None })?;
                        self.at.pop(mark);
                    }
                    Undeclared::Added(target) => {
                        let value: Value = map.next_value()?;
                        self.note(DriftKind::PropertyAdded, target, safe(key), None, Some(sketch::sketch(&value)));
                    }
                    Undeclared::Allowed => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        for (bit, (part, name)) in self.required_names(parts).enumerate() {
            if seen.0 & (1 << bit) == 0 {
                self.note(DriftKind::RequiredMissing, part, safe(name), None, None);
            }
        }
        Ok(())
    }

    fn seq<'de, A: SeqAccess<'de>>(&mut self, id: NodeId, mut seq: A, depth: usize) -> Result<(), A::Error> {
        let Some(parts) = self.enter(id, depth) else {
            return IgnoredAny.visit_seq(seq).map(drop);
        };
        if !self.streams(parts, ARRAY) {
            let value = Value::deserialize(SeqAccessDeserializer::new(seq))?;
            self.entered(parts, &value, depth);
            return Ok(());
        }
        match self.items(parts) {
            Some(item) => {
                let mark = self.at.push(None);
                while seq
                    .next_element_seed(Seed { walker: self, id: item, depth: depth + 1, property: None })?
                    .is_some()
                {}
                self.at.pop(mark);
            }
            None => while seq.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use serde_json::json;

    use super::super::super::index::EMBEDDED;
    use super::*;

    /// The vendored spec's index document, compiled, with every schema pointer it compiled and the
    /// property names and enum strings it declares (so arbitrary bodies hit declared places).
    struct Vendored {
        compiled: Compiled,
        pointers: Vec<String>,
        names: Vec<String>,
        literals: Vec<String>,
    }

    static VENDORED: LazyLock<Vendored> = LazyLock::new(|| {
        let root: Value = serde_json::from_str(EMBEDDED).expect("the index build.rs wrote");
        let document = &root["document"];
        let compiled = Compiled::new(document);
        let mut pointers: Vec<String> = compiled.by_pointer.keys().cloned().collect();
        pointers.sort();
        let (mut names, mut literals) = (BTreeSet::new(), BTreeSet::new());
        fn gather(v: &Value, names: &mut BTreeSet<String>, literals: &mut BTreeSet<String>) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties") {
                        names.extend(props.keys().cloned());
                    }
                    for listed in
                        map.get("enum").and_then(Value::as_array).into_iter().flatten().chain(map.get("const"))
                    {
                        literals.extend(listed.as_str().map(str::to_string));
                    }
                    map.values().for_each(|x| gather(x, names, literals));
                }
                Value::Array(items) => items.iter().for_each(|x| gather(x, names, literals)),
                _ => {}
            }
        }
        gather(document, &mut names, &mut literals);
        Vendored { compiled, pointers, names: names.into_iter().collect(), literals: literals.into_iter().collect() }
    });

    fn arbitrary_body() -> impl Strategy<Value = Value> {
        let vendored = &*VENDORED;
        let literal = prop::sample::select(vendored.literals.clone());
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            "[a-z\"\\\\\n]{0,6}".prop_map(Value::String),
            literal.prop_map(Value::String),
        ];
        let name = prop::sample::select(vendored.names.clone());
        leaf.prop_recursive(6, 128, 10, move |inner| {
            let keys = prop_oneof![3 => name.clone(), 1 => "[a-z]{1,6}", 1 => "[a-z\"\\\\@ ]{1,6}", 1 => "\\PC{1,6}"];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..10).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The streaming walk finds what the `Value` walk finds, for arbitrary JSON (with the spec's own
        /// property names and enum literals) at any schema of the vendored index, compact or pretty.
        #[test]
        fn the_streaming_walk_finds_what_the_value_walk_finds(
            body in arbitrary_body(),
            at in any::<prop::sample::Index>(),
            pretty in any::<bool>(),
        ) {
            let vendored = &*VENDORED;
            let pointer = at.get(&vendored.pointers);
            let bytes = if pretty { serde_json::to_vec_pretty(&body) } else { serde_json::to_vec(&body) };
            let bytes = bytes.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let streamed = vendored.compiled.walk_bytes(pointer, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(streamed, vendored.compiled.walk(pointer, &body), "at {}: {}", pointer, body);
        }
    }

    #[test]
    fn the_vendored_index_has_places_to_hit() {
        let vendored = &*VENDORED;
        assert!(vendored.pointers.iter().any(|p| p == "/components/schemas/Assistant"));
        assert!(vendored.names.len() > 50 && !vendored.literals.is_empty());
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_not_findings() {
        let compiled = &VENDORED.compiled;
        let assistant = "/components/schemas/Assistant";
        for bad in [&b"{"[..], b"{\"id\": 1} x", b"", b"{\"id\": \"a\", }", b"[1, 2", b"{\"id\": \"\xff\"}"] {
            assert!(compiled.walk_bytes(assistant, bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let found = compiled.walk_bytes(assistant, br#"{"id": "a", "name": "b", "enabled": true, "mood": "x"}"#);
        let found = found.expect("JSON");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].name.as_deref()), (DriftKind::PropertyAdded, Some("mood")));
    }

    #[test]
    fn a_scalar_below_a_union_is_judged_by_its_best_branch() {
        let doc = json!({"components": {"schemas": {"S": {"oneOf": [{"type": "string", "enum": ["a"]}, {"type": "integer"}]}}}});
        let compiled = Compiled::new(&doc);
        for (body, expected) in [
            ("\"a\"", vec![]),
            ("5", vec![]),
            ("\"b\"", vec![DriftKind::EnumValueAdded]),
            ("true", vec![DriftKind::TypeMismatch]),
        ] {
            let found = compiled.walk_bytes("/components/schemas/S", body.as_bytes()).expect("JSON");
            assert_eq!(found.iter().map(|o| o.kind).collect::<Vec<_>>(), expected, "{body}");
            let value: Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(found, compiled.walk("/components/schemas/S", &value), "{body}");
        }
    }

    #[test]
    fn escaped_keys_and_strings_are_read_as_their_text() {
        let compiled = &VENDORED.compiled;
        let body = br#"{"\u0069d": "a", "n\u0061me": "b\n", "enabled": true, "\u006dood": 1}"#;
        let found = compiled.walk_bytes("/components/schemas/Assistant", body).expect("JSON");
        assert_eq!(
            found.iter().map(|o| (o.kind, o.name.as_deref())).collect::<Vec<_>>(),
            [(DriftKind::PropertyAdded, Some("mood"))]
        );
        assert_eq!(found[0].sketch, Some(json!({"type": "integer"})));
    }
}
