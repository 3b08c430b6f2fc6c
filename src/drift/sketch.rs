//! Shapes of JSON values, never the values: a *sketch* is a small JSON Schema (`type`, `properties`,
//! `items`, `additionalProperties`) bounded in depth and width, and sketches of the same place merge.
//! Also which strings may appear in a report at all: property names and enum literals that look like
//! identifiers (an email, a sentence or a map keyed by ids never does).

use serde_json::{json, Map, Value};

/// Deepest nesting a sketch describes; below it an object or array is only named by its type.
pub(crate) const MAX_DEPTH: usize = 4;
/// Most properties a sketched object lists.
pub(crate) const MAX_PROPERTIES: usize = 32;
/// Most array elements looked at for the sketch of an array's items.
pub(crate) const MAX_ITEMS: usize = 16;
/// Longest property name or enum literal a report repeats.
pub(crate) const MAX_NAME: usize = 64;

/// The JSON type of `value`, as JSON Schema names it (`integer` for whole numbers without a fraction).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A property name that may appear in a report: an identifier (`createdAt`, `x-rate`, `_id`), not
/// something that looks like data (an email, an id, a sentence).
pub(crate) fn is_safe_name(name: &str) -> bool {
    let digits = name.bytes().filter(u8::is_ascii_digit).count();
    name.len() <= MAX_NAME
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'$'))
        && digits * 3 <= name.len()
}

/// An enum literal that may appear in a report: a short token (`in_progress`, `gpt-4o-2024-08-06`), or
/// a boolean or integer. Text with spaces or `@` is withheld.
pub(crate) fn safe_literal(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => {
            let token = !s.is_empty()
                && s.len() <= MAX_NAME
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/'));
            token.then(|| value.clone())
        }
        Value::Bool(_) => Some(value.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
        _ => None,
    }
}

/// The sketch of `value`.
pub(crate) fn sketch(value: &Value) -> Value {
    sketch_at(value, 0)
}

fn sketch_at(value: &Value, depth: usize) -> Value {
    match value {
        Value::Object(map) if depth < MAX_DEPTH && !map.is_empty() => {
            if map.keys().all(|k| is_safe_name(k)) {
                let properties: Map<String, Value> =
                    map.iter().take(MAX_PROPERTIES).map(|(k, v)| (k.clone(), sketch_at(v, depth + 1))).collect();
                json!({"type": "object", "properties": properties})
            } else {
                // Keys that look like data (ids, emails): a map; only the shape of its values is kept.
                let values = map.values().take(MAX_ITEMS).map(|v| sketch_at(v, depth + 1)).reduce(|a, b| merge(&a, &b));
                json!({"type": "object", "additionalProperties": values.unwrap_or_else(|| json!({}))})
            }
        }
        Value::Array(items) if depth < MAX_DEPTH && !items.is_empty() => {
            let merged = items.iter().take(MAX_ITEMS).map(|v| sketch_at(v, depth + 1)).reduce(|a, b| merge(&a, &b));
            json!({"type": "array", "items": merged.unwrap_or_else(|| json!({}))})
        }
        other => json!({"type": json_type(other)}),
    }
}

/// The sketch that covers both `a` and `b`: objects merge their properties, arrays their items,
/// `integer` widens to `number`, `null` makes the other type nullable (`["string", "null"]`), and
/// unrelated types give `{}` (any JSON).
pub(crate) fn merge(a: &Value, b: &Value) -> Value {
    if a == b {
        return a.clone();
    }
    let (ta, tb) = (types_of(a), types_of(b));
    let (Some(ta), Some(tb)) = (ta, tb) else { return json!({}) };
    let nullable = ta.contains(&"null") || tb.contains(&"null");
    let core = |t: &[&'static str]| t.iter().copied().find(|t| *t != "null");
    let merged_core = match (core(&ta), core(&tb)) {
        (None, None) => return json!({"type": "null"}),
        (Some(x), None) | (None, Some(x)) => with_type(if core(&ta).is_some() { a } else { b }, x),
        (Some(x), Some(y)) if x == y => match x {
            "object" => merge_objects(a, b),
            "array" => {
                let items = match (a.get("items"), b.get("items")) {
                    (Some(x), Some(y)) => Some(merge(x, y)),
                    (Some(x), None) | (None, Some(x)) => Some(x.clone()),
                    (None, None) => None,
                };
                let mut out = json!({"type": "array"});
                if let (Some(items), Some(map)) = (items, out.as_object_mut()) {
                    map.insert("items".into(), items);
                }
                out
            }
            t => json!({"type": t}),
        },
        (Some("integer"), Some("number")) | (Some("number"), Some("integer")) => json!({"type": "number"}),
        _ => return json!({}),
    };
    if nullable {
        make_nullable(merged_core)
    } else {
        merged_core
    }
}

fn merge_objects(a: &Value, b: &Value) -> Value {
    let props = |v: &Value| v.get("properties").and_then(Value::as_object).cloned();
    let extra = |v: &Value| v.get("additionalProperties").cloned();
    match (props(a), props(b)) {
        (Some(mut pa), Some(pb)) => {
            for (k, vb) in pb {
                let merged = match pa.get(&k) {
                    Some(va) => merge(va, &vb),
                    None if pa.len() >= MAX_PROPERTIES => continue,
                    None => vb,
                };
                pa.insert(k, merged);
            }
            json!({"type": "object", "properties": pa})
        }
        (Some(p), None) | (None, Some(p)) if extra(a).is_none() && extra(b).is_none() => {
            json!({"type": "object", "properties": p})
        }
        _ => match (extra(a), extra(b)) {
            (Some(x), Some(y)) => json!({"type": "object", "additionalProperties": merge(&x, &y)}),
            _ => json!({"type": "object"}),
        },
    }
}

/// The types a sketch allows, or `None` for `{}` (any).
fn types_of(s: &Value) -> Option<Vec<&'static str>> {
    const NAMES: [&str; 7] = ["null", "boolean", "integer", "number", "string", "array", "object"];
    let known = |t: &str| NAMES.iter().copied().find(|n| *n == t);
    match s.get("type")? {
        Value::String(t) => Some(vec![known(t)?]),
        Value::Array(list) => list.iter().map(|t| t.as_str().and_then(known)).collect(),
        _ => None,
    }
}

fn with_type(sketch: &Value, t: &'static str) -> Value {
    let mut out = sketch.clone();
    if let Some(map) = out.as_object_mut() {
        map.insert("type".into(), json!(t));
    }
    out
}

fn make_nullable(mut sketch: Value) -> Value {
    if let Some(map) = sketch.as_object_mut() {
        if let Some(Value::String(t)) = map.get("type").cloned() {
            map.insert("type".into(), json!([t, "null"]));
        }
    }
    sketch
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sketches_name_types_and_property_names_only() {
        let body = json!({"id": "as_123", "count": 3, "ratio": 0.5, "tags": ["a", "b"], "owner": {"email": "a@b.c"}, "none": null});
        assert_eq!(
            sketch(&body),
            json!({"type": "object", "properties": {
                "id": {"type": "string"}, "count": {"type": "integer"}, "ratio": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "owner": {"type": "object", "properties": {"email": {"type": "string"}}},
                "none": {"type": "null"}}})
        );
        assert_eq!(sketch(&json!([])), json!({"type": "array"}));
        assert_eq!(
            sketch(&json!({"alice@example.com": 1, "bob@example.com": 2.5})),
            json!({"type": "object", "additionalProperties": {"type": "number"}}),
            "keys that look like data are not repeated"
        );
    }

    #[test]
    fn merging_widens_and_makes_nullable() {
        let s = |v: Value| sketch(&v);
        assert_eq!(merge(&s(json!("a")), &s(json!(null))), json!({"type": ["string", "null"]}));
        assert_eq!(merge(&s(json!(1)), &s(json!(1.5))), json!({"type": "number"}));
        assert_eq!(merge(&s(json!(1)), &s(json!("x"))), json!({}));
        assert_eq!(
            merge(&s(json!([{"a": 1}])), &s(json!([{"b": true}]))),
            json!({"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}}}})
        );
        assert_eq!(
            merge(&s(json!({"a": 1})), &s(json!(null))),
            json!({"type": ["object", "null"], "properties": {"a": {"type": "integer"}}})
        );
    }

    #[test]
    fn names_and_literals_that_look_like_data_are_withheld() {
        for good in ["createdAt", "x-rate", "_id", "$ref", "line2", "v1.beta"] {
            assert!(is_safe_name(good), "{good}");
        }
        for bad in
            ["", "alice@example.com", "two words", "8f14e45f-ceea-467f-a8ad-3b8d14d6a62f", "12345", &"a".repeat(65)]
        {
            assert!(!is_safe_name(bad), "{bad}");
        }
        assert_eq!(safe_literal(&json!("in_progress")), Some(json!("in_progress")));
        assert_eq!(safe_literal(&json!(3)), Some(json!(3)));
        for bad in [json!("Hello there"), json!("a@b.c"), json!(""), json!(1.5), json!({"a": 1})] {
            assert_eq!(safe_literal(&bad), None, "{bad}");
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,8}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Sketches stay bounded and merging is commutative in what it allows, whatever the JSON.
        #[test]
        fn sketches_are_bounded(a in arbitrary_json(), b in arbitrary_json()) {
            let (sa, sb) = (sketch(&a), sketch(&b));
            prop_assert!(depth(&sa) <= 2 * MAX_DEPTH + 2, "{sa}");
            let merged = merge(&sa, &sb);
            prop_assert!(depth(&merged) <= 2 * MAX_DEPTH + 2);
            prop_assert_eq!(merge(&sa, &sa), sa.clone());
        }
    }
}
