//! What typify 0.8 needs beyond valid OpenAPI 3.0 schemas: properties whose names collide as Rust
//! fields (kept in the struct's `extra` map), enums whose values collide as Rust variant names, unions
//! of strings ("open enums") collapsed to `string`, `anyOf` with non-object branches made `oneOf`
//! (typify flattens `anyOf` into a struct, which fails at run time for scalars), defaults that do not
//! conform (or sit on unions), `additionalProperties: false` (forward compatibility),
//! `additionalProperties: true` next to `properties` (extras kept in a map), and nullable component
//! unions/enums/objects split into `X` (nullable wrapper) + `XValue`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::schema::value_fits;
use super::walk::{self, Phase, Result, Shape};
use super::LowerOptions;
use crate::pointer::join;
use crate::Report;

pub fn lower(doc: &mut Value, opts: &LowerOptions, report: &mut Report) -> Result<()> {
    let snapshot: Option<Map<String, Value>> = doc.pointer("/components/schemas").and_then(Value::as_object).cloned();
    walk::for_each_schema_root(doc, &mut |schema, ptr| {
        walk::walk_schema(schema, ptr, 0, &mut |phase, s, p| {
            if phase == Phase::Post {
                lower_node(s, p, snapshot.as_ref(), opts, report);
            }
            Ok(())
        })
    })?;
    split_nullable_components(doc, report);
    Ok(())
}

/// The typify rules of one schema node, applied after its subschemas.
pub fn lower_node(
    schema: &mut Value,
    ptr: &str,
    schemas: Option<&Map<String, Value>>,
    opts: &LowerOptions,
    report: &mut Report,
) {
    let Value::Object(obj) = schema else { return };
    not_schema(obj, ptr, report);
    property_names(obj, ptr, report);
    enum_values(obj, ptr, report);
    string_unions(obj, schemas, report);
    any_of_scalars(obj, schemas, report);
    defaults(obj, ptr, report);
    if opts.open_objects && obj.get("additionalProperties") == Some(&Value::Bool(false)) {
        obj.shift_remove("additionalProperties");
        report.count("open-object");
    }
    keep_extra_properties(obj, ptr, report);
}

// Rule `extra-properties`.

/// The field typify names the map of additional properties (`#[serde(flatten)] pub extra: Map<..>`).
const EXTRA_FIELD: &str = "extra";

/// `additionalProperties: true` next to declared `properties` → `additionalProperties: {}`. typify 0.8
/// treats `true` (and absence) as "allowed but not worth a field" and drops undeclared properties on
/// decode, but turns `{}` into `#[serde(flatten)] pub extra: serde_json::Map<String, Value>`, which keeps
/// them (and sends them back). Only where the spec explicitly writes `true`: an absent
/// `additionalProperties` also allows extras, but a map on every struct would be noise. Objects without
/// `properties` are maps already; a typed `additionalProperties` schema already gets a typed map. An
/// object that declares a property named like the map (`extra`) keeps `true` (two fields `extra` would
/// not compile); rule `extra-properties-collision` notes it.
fn keep_extra_properties(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    if obj.get("additionalProperties") != Some(&Value::Bool(true)) {
        return;
    }
    let Some(Value::Object(props)) = obj.get("properties") else { return };
    if props.is_empty() {
        return;
    }
    if props.keys().any(|name| walk::ident_key(name) == EXTRA_FIELD) {
        report.note(
            &join(ptr, "additionalProperties"),
            "extra-properties-collision",
            format!(
                "a property is named like the map of additional properties (`{EXTRA_FIELD}`); undeclared \
                 properties are not kept"
            ),
        );
        return;
    }
    obj.insert("additionalProperties".into(), Value::Object(Map::new()));
    report.count("extra-properties");
}

/// Properties whose names become the same Rust field (`foo-bar`, `foo_bar`, `FooBar`) would not
/// compile: typify names a field after its property (snake case) with a serde rename to the JSON name,
/// and has no way to choose another field name. The later ones leave `properties` and are kept by the
/// struct's flattened `extra` map (`additionalProperties: {}` makes typify emit
/// `#[serde(flatten)] extra: Map<String, Value>`), under their JSON names: read and written unchanged
/// on the wire, typed as `serde_json::Value`. Rule `property-name-collision` (a note, nothing dropped).
/// Only when the object has a property that is itself called `extra` (the flatten field's name) are
/// the colliding ones dropped, with a dropped-property note.
fn property_names(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(Value::Object(props)) = obj.get_mut("properties") else { return };
    let mut first: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut moved: Vec<(String, String)> = Vec::new();
    for k in props.keys() {
        match first.get(&walk::ident_key(k)) {
            Some(earlier) => moved.push((k.clone(), earlier.clone())),
            None => {
                first.insert(walk::ident_key(k), k.clone());
            }
        }
    }
    if moved.is_empty() {
        return;
    }
    let extra_taken = first.contains_key(EXTRA_FIELD);
    for (name, _) in &moved {
        props.shift_remove(name);
    }
    if let Some(Value::Array(required)) = obj.get_mut("required") {
        required.retain(|r| !r.as_str().is_some_and(|r| moved.iter().any(|(m, _)| m == r)));
    }
    // A typed map of other keys (`additionalProperties: {type: string}`) becomes untyped.
    let retyped = obj.get("additionalProperties").and_then(Value::as_object).is_some_and(|s| !s.is_empty());
    if !extra_taken {
        obj.insert("additionalProperties".into(), Value::Object(Map::new()));
    }
    for (name, earlier) in &moved {
        let pptr = join(&join(ptr, "properties"), name);
        if extra_taken {
            report.drop_property(
                &pptr,
                "property-name-collision",
                format!(
                    "property `{name}` becomes the same Rust field as `{earlier}`, and the object has a property \
                     `extra` (typify's name for the map of other keys); dropped"
                ),
            );
        } else {
            let also = if retyped { "; the object's other undeclared keys are now untyped too" } else { "" };
            report.note(
                &pptr,
                "property-name-collision",
                format!(
                    "property `{name}` becomes the same Rust field as `{earlier}`; kept under its JSON name in the \
                     struct's `extra` map (serde_json::Value){also}"
                ),
            );
        }
    }
}

/// typify handles `not` only in a few shapes and panics on the rest; a client does not need to enforce
/// it, so `not` is kept only as the "never" schema `{not: {}}` (from `false`). Rule `not-schema`.
fn not_schema(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(not) = obj.get("not") else { return };
    let never = not.as_object().is_some_and(Map::is_empty) && obj.keys().all(|k| k == "not" || is_annotation(k));
    if !never {
        obj.shift_remove("not");
        report.note(&join(ptr, "not"), "not-schema", "`not` is not enforced by the client; removed");
    }
}

/// Enum values of another type than `type` are removed; a `null` value makes the schema nullable; string
/// values equal modulo case or punctuation (`add`/`Add`, `a-b`/`a_b`, `+`/`-`) would give typify
/// duplicate variant names, so such enums become plain strings (`enum-collision`).
fn enum_values(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let ty = obj.get("type").and_then(Value::as_str).map(str::to_string);
    let Some(Value::Array(values)) = obj.get_mut("enum") else { return };
    let mut has_null = false;
    if let Some(t) = &ty {
        let before = values.len();
        has_null = values.iter().any(Value::is_null);
        values.retain(|v| v.is_null() || value_fits(v, t));
        if values.len() != before {
            report.note(&join(ptr, "enum"), "enum-type", format!("enum values that are not {t}s removed"));
        }
    }
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    let mut keys = BTreeSet::new();
    let collide = strings.iter().any(|s| !keys.insert(walk::ident_key(s)))
        || (strings.len() > 1 && strings.iter().any(|s| walk::ident_key(s).is_empty()));
    let only_null = values.iter().all(Value::is_null);
    if collide {
        obj.shift_remove("enum");
        if ty.is_none() {
            obj.insert("type".into(), Value::String("string".into()));
        }
        report.note(
            &join(ptr, "enum"),
            "enum-collision",
            "enum values collide as Rust names (equal modulo case/punctuation); typed as plain string",
        );
    } else if ty.is_some() && only_null && !has_null {
        obj.shift_remove("enum");
    }
    if has_null && ty.is_some() && obj.get("nullable") != Some(&Value::Bool(true)) {
        obj.insert("nullable".into(), Value::Bool(true));
        report.count("enum-type");
    }
}

fn is_annotation(k: &str) -> bool {
    matches!(k, "description" | "example" | "deprecated" | "readOnly" | "writeOnly" | "externalDocs" | "nullable")
        || k.starts_with("x-")
}

/// `anyOf`/`oneOf` whose branches are all strings (a string, plus string enums: an "open enum") →
/// `type: string`. typify would flatten them into a struct that fails at run time. Rule `string-union`.
fn string_unions(obj: &mut Map<String, Value>, schemas: Option<&Map<String, Value>>, report: &mut Report) {
    for comb in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.get(comb) else { continue };
        let all_strings = branches.iter().all(|b| walk::shape(schemas, b).0 == Shape::String);
        if !all_strings || obj.keys().any(|k| k != comb && !is_annotation(k)) {
            continue;
        }
        let nullable = branches.iter().any(|b| walk::shape(schemas, b).1);
        obj.shift_remove(comb);
        obj.insert("type".into(), Value::String("string".into()));
        if nullable {
            obj.insert("nullable".into(), Value::Bool(true));
        }
        report.count("string-union");
    }
}

/// `anyOf` with a non-object branch → `oneOf` (an untagged enum: the first matching branch wins).
/// Rule `any-of-scalars`.
fn any_of_scalars(obj: &mut Map<String, Value>, schemas: Option<&Map<String, Value>>, report: &mut Report) {
    let Some(Value::Array(branches)) = obj.get("anyOf") else { return };
    let scalar = branches.iter().any(|b| !matches!(walk::shape(schemas, b).0, Shape::Object));
    if !scalar || obj.contains_key("oneOf") {
        return;
    }
    if let Some(any) = obj.shift_remove("anyOf") {
        obj.insert("oneOf".into(), any);
        report.count("any-of-scalars");
    }
}

/// Formats typify maps to types it cannot check a default against (a bad one panics at run time).
const NATIVE_FORMATS: [&str; 7] = ["date", "date-time", "time", "uuid", "ip", "ipv4", "ipv6"];

/// Defaults typify rejects ("value does not conform") or renders into code that fails: removed
/// (`default-value`), or coerced when written as a string (`"0.1"` on a number).
fn defaults(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(default) = obj.get("default").cloned() else { return };
    if default.is_null() {
        obj.shift_remove("default");
        report.count("default-value");
        return;
    }
    if ["allOf", "anyOf", "oneOf", "not", "$ref"].iter().any(|k| obj.contains_key(*k)) {
        obj.shift_remove("default");
        report.note(
            &join(ptr, "default"),
            "default-value",
            format!("default {default} on a union or reference (typify cannot check it); removed"),
        );
        return;
    }
    match conforming_default(obj, default.clone()) {
        Some(v) if v == default => {}
        Some(v) => {
            obj.insert("default".into(), v);
            report.count("default-value");
        }
        None => {
            obj.shift_remove("default");
            report.note(
                &join(ptr, "default"),
                "default-value",
                format!("default {default} does not fit the schema; removed"),
            );
        }
    }
}

fn conforming_default(obj: &Map<String, Value>, default: Value) -> Option<Value> {
    let Some(ty) = obj.get("type").and_then(Value::as_str) else {
        return match obj.get("enum").and_then(Value::as_array) {
            Some(values) if !values.contains(&default) => None,
            _ => Some(default),
        };
    };
    let v = coerce(default, ty)?;
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        if !values.contains(&v) {
            return None;
        }
    }
    let num = |k: &str| obj.get(k).and_then(Value::as_f64);
    let flag = |k: &str| obj.get(k) == Some(&Value::Bool(true));
    match ty {
        "integer" | "number" => {
            let x = v.as_f64()?;
            let below = num("minimum").is_some_and(|m| if flag("exclusiveMinimum") { x <= m } else { x < m });
            let above = num("maximum").is_some_and(|m| if flag("exclusiveMaximum") { x >= m } else { x > m });
            let unsigned = obj.get("format").and_then(Value::as_str).is_some_and(|f| f.starts_with("uint"));
            if below || above || (unsigned && x < 0.0) {
                return None;
            }
        }
        "string" => {
            let s = v.as_str()?;
            let len = s.chars().count() as f64;
            let format = obj.get("format").and_then(Value::as_str).unwrap_or("");
            if num("minLength").is_some_and(|m| len < m)
                || num("maxLength").is_some_and(|m| len > m)
                || obj.contains_key("pattern")
                || NATIVE_FORMATS.contains(&format)
            {
                return None;
            }
        }
        "array" if !v.as_array().is_some_and(Vec::is_empty) || num("minItems").is_some_and(|m| m > 0.0) => {
            return None;
        }
        "object" => {
            let required = obj.get("required").and_then(Value::as_array).is_some_and(|r| !r.is_empty());
            if !v.as_object().is_some_and(Map::is_empty) || required {
                return None;
            }
        }
        _ => {}
    }
    Some(v)
}

/// A default of the declared type, converting strings/numbers/booleans written as the wrong JSON type.
fn coerce(v: Value, ty: &str) -> Option<Value> {
    if ty == "integer" {
        if v.is_i64() || v.is_u64() {
            return Some(v);
        }
        let f = match &v {
            Value::Number(n) => n.as_f64()?,
            Value::String(s) => s.trim().parse::<f64>().ok()?,
            _ => return None,
        };
        return (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| Value::from(f as i64));
    }
    if value_fits(&v, ty) {
        return Some(v);
    }
    match (ty, &v) {
        ("number", Value::String(s)) => {
            s.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number)
        }
        ("boolean", Value::String(s)) => match s.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        ("string", Value::Number(_) | Value::Bool(_)) => Some(Value::String(v.to_string())),
        _ => None,
    }
}

/// A nullable component that is a union, enum or object makes typify emit `struct X(Option<X>)` next
/// to `enum X`. Such a component becomes `X: {allOf: [$ref XValue], nullable: true}` plus `XValue`
/// (the schema without `nullable`). Rule `nullable-component`.
fn split_nullable_components(doc: &mut Value, report: &mut Report) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    let mut taken: BTreeSet<String> = schemas.keys().map(|k| walk::ident_key(k)).collect();
    let names: Vec<String> = schemas.keys().cloned().collect();
    let mut out = Map::new();
    let mut old = std::mem::take(schemas);
    for name in names {
        let Some(mut schema) = old.shift_remove(&name) else { continue };
        if !needs_split(&schema) {
            out.insert(name, schema);
            continue;
        }
        let value_name = walk::unique_name(&format!("{name}Value"), &mut taken);
        let mut wrapper = Map::new();
        if let Some(obj) = schema.as_object_mut() {
            obj.shift_remove("nullable");
            if let Some(Value::Array(values)) = obj.get_mut("enum") {
                values.retain(|v| !v.is_null());
                if values.is_empty() {
                    obj.shift_remove("enum");
                }
            }
            if let Some(d) = obj.get("description") {
                wrapper.insert("description".into(), d.clone());
            }
        }
        let mut member = Map::new();
        member.insert("$ref".into(), Value::String(walk::component_ref(&value_name)));
        wrapper.insert("allOf".into(), Value::Array(vec![Value::Object(member)]));
        wrapper.insert("nullable".into(), Value::Bool(true));
        report.count("nullable-component");
        out.insert(name, Value::Object(wrapper));
        out.insert(value_name, schema);
    }
    *schemas = out;
}

fn needs_split(schema: &Value) -> bool {
    let Some(obj) = schema.as_object() else { return false };
    if obj.get("nullable") != Some(&Value::Bool(true)) {
        return false;
    }
    // Already the wrapper shape: `allOf: [single]` + annotations.
    let wrapper = obj.get("allOf").and_then(Value::as_array).is_some_and(|a| a.len() == 1)
        && obj.keys().all(|k| k == "allOf" || is_annotation(k));
    if wrapper {
        return false;
    }
    let scalar = matches!(obj.get("type").and_then(Value::as_str), Some("string" | "integer" | "number" | "boolean"));
    !scalar || obj.contains_key("enum")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lower_one(mut v: Value, schemas: Option<&Map<String, Value>>) -> (Value, Report) {
        let mut r = Report::new();
        let opts = LowerOptions::default();
        walk::walk_schema(&mut v, "", 0, &mut |phase, s, p| {
            if phase == Phase::Post {
                lower_node(s, p, schemas, &opts, &mut r);
            }
            Ok(())
        })
        .unwrap();
        (v, r)
    }

    fn check(input: Value, expected: Value, rule: &str) {
        let (out, r) = lower_one(input.clone(), None);
        assert_eq!(out, expected, "input: {input}");
        assert!(r.rule_count(rule) > 0, "rule {rule} did not fire on {input}: {:?}", r.counts());
    }

    #[test]
    fn enum_collision() {
        check(json!({"type": "string", "enum": ["add", "Add"]}), json!({"type": "string"}), "enum-collision");
        check(json!({"enum": ["+", "-"]}), json!({"type": "string"}), "enum-collision");
    }

    #[test]
    fn enum_type() {
        check(
            json!({"type": "string", "enum": ["a", 1, null]}),
            json!({"type": "string", "enum": ["a", null], "nullable": true}),
            "enum-type",
        );
    }

    #[test]
    fn string_union() {
        check(
            json!({"anyOf": [{"type": "string"}, {"type": "string", "enum": ["a", "b"]}], "description": "d"}),
            json!({"description": "d", "type": "string"}),
            "string-union",
        );
        let schemas = json!({"E": {"type": "string", "enum": ["x"]}});
        let (out, _) =
            lower_one(json!({"oneOf": [{"$ref": "#/components/schemas/E"}, {"type": "string"}]}), schemas.as_object());
        assert_eq!(out, json!({"type": "string"}));
    }

    #[test]
    fn any_of_scalars() {
        check(
            json!({"anyOf": [{"type": "integer"}, {"type": "object", "properties": {}}]}),
            json!({"oneOf": [{"type": "integer"}, {"type": "object", "properties": {}}]}),
            "any-of-scalars",
        );
        let (out, r) = lower_one(json!({"anyOf": [{"type": "object"}, {"properties": {}}]}), None);
        assert_eq!(out, json!({"anyOf": [{"type": "object"}, {"properties": {}}]}));
        assert_eq!(r.rule_count("any-of-scalars"), 0);
    }

    #[test]
    fn default_value() {
        check(
            json!({"type": "number", "default": "0.0001"}),
            json!({"type": "number", "default": 0.0001}),
            "default-value",
        );
        check(
            json!({"type": "integer", "minimum": 1, "default": 0}),
            json!({"type": "integer", "minimum": 1}),
            "default-value",
        );
        check(
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "default": "a"}),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            "default-value",
        );
        check(
            json!({"type": "string", "enum": ["a"], "default": "b"}),
            json!({"type": "string", "enum": ["a"]}),
            "default-value",
        );
        check(
            json!({"type": "string", "format": "date-time", "default": "now"}),
            json!({"type": "string", "format": "date-time"}),
            "default-value",
        );
        check(
            json!({"type": "object", "required": ["a"], "default": {}}),
            json!({"type": "object", "required": ["a"]}),
            "default-value",
        );
        check(
            json!({"type": "boolean", "default": "true"}),
            json!({"type": "boolean", "default": true}),
            "default-value",
        );
        let (out, _) = lower_one(json!({"type": "array", "items": {}, "default": []}), None);
        assert_eq!(out, json!({"type": "array", "items": {}, "default": []}));
    }

    #[test]
    fn property_name_collision() {
        let (out, r) = lower_one(
            json!({"type": "object", "required": ["foo_bar", "a"], "properties": {"foo-bar": {}, "foo_bar": {"type": "integer"}, "FooBar": {}, "a": {}}}),
            None,
        );
        assert_eq!(
            out,
            json!({"type": "object", "required": ["a"], "properties": {"foo-bar": {}, "a": {}}, "additionalProperties": {}})
        );
        assert_eq!(r.rule_count("property-name-collision"), 2);
        assert!(r.dropped_properties().is_empty(), "{}", r.to_text());
        assert!(r.notes()[0].message.contains("`foo_bar` becomes the same Rust field as `foo-bar`"), "{}", r.to_text());
        // A typed map of other keys becomes untyped (the moved property need not fit it), and says so.
        let (out, r) =
            lower_one(json!({"properties": {"aB": {}, "a_b": {}}, "additionalProperties": {"type": "string"}}), None);
        assert_eq!(out, json!({"properties": {"aB": {}}, "additionalProperties": {}}));
        assert!(r.notes()[0].message.contains("now untyped"), "{}", r.to_text());
        // Lowering the result again changes nothing.
        let (again, r) = lower_one(out.clone(), None);
        assert_eq!((again, r.rule_count("property-name-collision")), (out, 0));
        // `extra` is typify's field for the map: with a property of that name the collision is dropped.
        let (out, r) = lower_one(json!({"properties": {"extra": {}, "aB": {}, "a_b": {}}}), None);
        assert_eq!(out, json!({"properties": {"extra": {}, "aB": {}}}));
        assert_eq!(r.dropped_properties().len(), 1);
    }

    #[test]
    fn not_schema() {
        check(json!({"type": "string", "not": {"enum": [""]}}), json!({"type": "string"}), "not-schema");
        check(json!({"not": {"type": "string"}}), json!({}), "not-schema");
        let (out, r) = lower_one(json!({"not": {}, "description": "never"}), None);
        assert_eq!(out, json!({"not": {}, "description": "never"}));
        assert_eq!(r.rule_count("not-schema"), 0);
    }

    #[test]
    fn open_object() {
        check(json!({"type": "object", "additionalProperties": false}), json!({"type": "object"}), "open-object");
    }

    #[test]
    fn nullable_component() {
        let mut doc = json!({"components": {"schemas": {
            "X": {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": true, "description": "d"},
            "S": {"type": "string", "nullable": true},
            "E": {"type": "string", "nullable": true, "enum": [null, "a"]},
            "W": {"allOf": [{"$ref": "#/components/schemas/S"}], "nullable": true}}}});
        let mut r = Report::new();
        split_nullable_components(&mut doc, &mut r);
        assert_eq!(
            doc["components"]["schemas"],
            json!({
                "X": {"description": "d", "allOf": [{"$ref": "#/components/schemas/XValue"}], "nullable": true},
                "XValue": {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "d"},
                "S": {"type": "string", "nullable": true},
                "E": {"allOf": [{"$ref": "#/components/schemas/EValue"}], "nullable": true},
                "EValue": {"type": "string", "enum": ["a"]},
                "W": {"allOf": [{"$ref": "#/components/schemas/S"}], "nullable": true}
            })
        );
        assert_eq!(r.rule_count("nullable-component"), 2);
    }

    // Rule `extra-properties`.

    #[test]
    fn extra_properties_true_next_to_properties_becomes_an_empty_schema() {
        check(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}),
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {}}),
            "extra-properties",
        );
        // Nested objects are rewritten too (the walk is post-order), each counted.
        let (out, r) = lower_one(
            json!({"type": "object", "additionalProperties": true, "properties": {
                "inner": {"type": "object", "properties": {"b": {}}, "additionalProperties": true}}}),
            None,
        );
        assert_eq!(out["additionalProperties"], json!({}));
        assert_eq!(out["properties"]["inner"]["additionalProperties"], json!({}));
        assert_eq!(r.rule_count("extra-properties"), 2);
    }

    #[test]
    fn extra_properties_leaves_what_typify_already_keeps_or_the_spec_does_not_allow() {
        for input in [
            // No properties: typify makes the whole object a map.
            json!({"type": "object", "additionalProperties": true}),
            json!({"type": "object", "properties": {}, "additionalProperties": true}),
            // Absent: allowed by JSON Schema, but not explicitly; no map on every struct.
            json!({"type": "object", "properties": {"a": {}}}),
            // Already a schema: typify keeps extras in a (typed) map.
            json!({"type": "object", "properties": {"a": {}}, "additionalProperties": {}}),
            json!({"type": "object", "properties": {"a": {}}, "additionalProperties": {"type": "integer"}}),
        ] {
            let (out, r) = lower_one(input.clone(), None);
            assert_eq!(out, input);
            assert_eq!(r.rule_count("extra-properties"), 0, "{input}");
        }
    }

    #[test]
    fn extra_properties_skips_objects_with_a_property_named_like_the_map() {
        for name in ["extra", "Extra", "_extra", "EXTRA"] {
            let input =
                json!({"type": "object", "properties": {name: {"type": "string"}}, "additionalProperties": true});
            let (out, r) = lower_one(input.clone(), None);
            assert_eq!(out, input, "{name}");
            assert_eq!(r.rule_count("extra-properties"), 0);
            assert_eq!(r.rule_count("extra-properties-collision"), 1);
            assert_eq!(r.notes()[0].pointer, "/additionalProperties");
        }
    }

    #[test]
    fn extra_properties_is_idempotent() {
        let input = json!({"type": "object", "properties": {"a": {}}, "additionalProperties": true});
        let (once, _) = lower_one(input, None);
        let (twice, r) = lower_one(once.clone(), None);
        assert_eq!(once, twice);
        assert_eq!(r.rule_count("extra-properties"), 0);
    }
}
