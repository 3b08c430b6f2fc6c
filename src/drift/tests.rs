//! The walker against small schemas, and properties over arbitrary JSON: no panic, no string value in
//! any observation, and bodies the schema describes record nothing.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::report::DriftKind;
use super::walk::{walk, Observation};

/// A document in the index's form: component schemas at their pointers.
fn doc() -> Value {
    json!({"components": {"schemas": {
        "Item": {"type": "object", "required": ["id", "status"], "properties": {
            "id": {"type": "string"},
            "status": {"$ref": "#/components/schemas/Status"},
            "note": {"type": ["string", "null"]},
            "owner": {"$ref": "#/components/schemas/Owner"},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            "meta": {"type": "object", "additionalProperties": {"type": "integer"}},
            "free": {"type": "object"},
            "part": {"oneOf": [
                {"type": "object", "required": ["type"], "properties": {"type": {"const": "text"}, "text": {"type": "string"}}},
                {"type": "object", "required": ["type"], "properties": {"type": {"const": "image"}, "url": {"type": "string"}}}
            ]},
            "count": {"type": "integer"}
        }},
        "Status": {"type": "string", "enum": ["active", "archived"]},
        "Owner": {"allOf": [{"$ref": "#/components/schemas/Named"}, {"type": "object", "properties": {"email": {"type": "string"}}}]},
        "Named": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Tag": {"type": "object", "properties": {"label": {"type": "string"}}},
        "List": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
    }}})
}

const ITEM: &str = "/components/schemas/Item";

fn kinds(found: &[Observation]) -> Vec<(DriftKind, &str, Option<&str>)> {
    found.iter().map(|o| (o.kind, o.schema.as_str(), o.name.as_deref())).collect()
}

fn described() -> Value {
    json!({"id": "it_1", "status": "active", "note": null, "owner": {"name": "Ann", "email": "ann@example.com"},
           "tags": [{"label": "x"}], "meta": {"a": 1}, "free": {"anything": [1, "x"]},
           "part": {"type": "image", "url": "https://example.com/a.png"}, "count": 3})
}

#[test]
fn a_body_the_schema_describes_records_nothing() {
    assert_eq!(walk(&doc(), ITEM, &described()), []);
    assert_eq!(walk(&doc(), "/components/schemas/List", &json!([described(), described()])), []);
    assert_eq!(walk(&doc(), "/nowhere", &json!({"x": 1})), [], "an unknown schema checks nothing");
}

#[test]
fn new_properties_are_found_nested_in_arrays_and_in_all_of_members_with_their_shape() {
    let mut body = described();
    body["rating"] = json!(4.5);
    body["tags"] = json!([{"label": "x", "color": "red"}, {"label": "y", "color": null}]);
    body["owner"]["team"] = json!({"id": "t1", "size": 3});
    let found = walk(&doc(), ITEM, &body);
    assert_eq!(
        kinds(&found),
        [
            (DriftKind::PropertyAdded, "/components/schemas/Item", Some("rating")),
            (DriftKind::PropertyAdded, "/components/schemas/Owner/allOf/1", Some("team")),
            (DriftKind::PropertyAdded, "/components/schemas/Tag", Some("color")),
        ]
    );
    let color = found.iter().find(|o| o.name.as_deref() == Some("color")).unwrap();
    assert_eq!(color.sketch, Some(json!({"type": ["string", "null"]})), "sketches of the same place merge");
    assert_eq!(color.at, "/tags/*");
    let team = found.iter().find(|o| o.name.as_deref() == Some("team")).unwrap();
    assert_eq!(
        team.sketch,
        Some(json!({"type": "object", "properties": {"id": {"type": "string"}, "size": {"type": "integer"}}}))
    );
}

#[test]
fn enum_values_required_properties_and_types_are_checked() {
    let mut body = described();
    body["status"] = json!("paused");
    body.as_object_mut().unwrap().remove("id");
    body["count"] = json!("three");
    let found = walk(&doc(), ITEM, &body);
    assert_eq!(
        kinds(&found),
        [
            (DriftKind::EnumValueAdded, "/components/schemas/Status", None),
            (DriftKind::RequiredMissing, ITEM, Some("id")),
            (DriftKind::TypeMismatch, "/components/schemas/Item/properties/count", None),
        ]
    );
    assert_eq!(found[0].value, Some(json!("paused")), "an enum literal is a shape, not a value");
    assert_eq!(found[2].value, Some(json!(["integer"])));
    assert_eq!(found[2].sketch, Some(json!({"type": "string"})));

    let mut null_required = described();
    null_required["status"] = Value::Null;
    null_required["count"] = Value::Null;
    assert_eq!(
        kinds(&walk(&doc(), ITEM, &null_required)),
        [(DriftKind::RequiredNull, ITEM, Some("status"))],
        "an optional null reads as absent"
    );
}

#[test]
fn a_union_is_judged_by_its_best_branch_and_a_new_tag_is_an_enum_value() {
    let mut body = described();
    body["part"] = json!({"type": "text", "text": "hello", "lang": "en"});
    assert_eq!(
        kinds(&walk(&doc(), ITEM, &body)),
        [(DriftKind::PropertyAdded, "/components/schemas/Item/properties/part/oneOf/0", Some("lang"))]
    );
    body["part"] = json!({"type": "video"});
    let found = walk(&doc(), ITEM, &body);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].kind, found[0].value.clone()), (DriftKind::EnumValueAdded, Some(json!("video"))));
}

#[test]
fn names_and_literals_that_look_like_data_are_withheld() {
    let mut body = described();
    body["alice@example.com"] = json!(1);
    body["status"] = json!("Alice Liddell");
    let found = walk(&doc(), ITEM, &body);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|o| o.name.is_none() && o.value.is_none()), "{found:?}");
}

/// Every string inside an observation (as JSON).
fn strings_in(o: &Observation) -> Vec<String> {
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone());
                collect(x, out)
            }),
            _ => {}
        }
    }
    let mut out = vec![o.schema.clone(), o.at.clone()];
    out.extend(o.name.clone());
    for v in [&o.value, &o.sketch].into_iter().flatten() {
        collect(v, &mut out);
    }
    out
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~]{0,16}".prop_map(|s| json!(format!("SENTINEL {s}"))),
        "[a-z]{1,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        let keys = prop_oneof![
            "[a-z]{1,6}",
            Just("status".to_string()),
            Just("tags".to_string()),
            Just("part".to_string()),
            Just("owner".to_string())
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Arbitrary JSON at any schema never panics, and no string of the body other than a short token
    /// in an enum position (and property names, which are shapes) reaches an observation: every
    /// `SENTINEL …` value stays out.
    #[test]
    fn arbitrary_bodies_never_leak_string_values(body in arbitrary_json(), schema in prop_oneof![Just(ITEM), Just("/components/schemas/List"), Just("/components/schemas/Owner")]) {
        for o in walk(&doc(), schema, &body) {
            for s in strings_in(&o) {
                prop_assert!(!s.contains("SENTINEL"), "{s} in {o:?}");
            }
        }
    }

    /// Bodies built only from what the schema declares record nothing.
    #[test]
    fn described_bodies_record_nothing(
        id in "[ -~]{0,20}",
        status in prop_oneof![Just("active"), Just("archived")],
        note in prop::option::of("[ -~]{0,20}"),
        labels in prop::collection::vec(prop::option::of("[ -~]{0,8}"), 0..5),
        meta in prop::collection::btree_map("[ -~]{1,8}", any::<i32>(), 0..4),
        count in prop::option::of(any::<i64>()),
    ) {
        let tags: Vec<Value> = labels.into_iter().map(|l| match l { Some(l) => json!({"label": l}), None => json!({}) }).collect();
        let mut body = json!({"id": id, "status": status, "note": note, "tags": tags, "meta": meta});
        if let Some(count) = count {
            body["count"] = json!(count);
        }
        let found = walk(&doc(), ITEM, &body);
        prop_assert!(found.is_empty(), "{found:?}");
    }
}
