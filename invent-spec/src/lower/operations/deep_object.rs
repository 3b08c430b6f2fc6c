//! Object-typed query parameters, sent member by member: `style: form` objects as one parameter per
//! member, `style: deepObject` objects as `name[key]` parameters (free-form maps marked for the
//! runtime's `DeepObject`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::lower::walk::{self, param_key, Shape};
use crate::Report;

/// Marks a query parameter that is a free-form `deepObject` map: the generator sends it as
/// `name[key]=value` pairs (`<runtime>::query::DeepObject`).
pub const DEEP_OBJECT_MAP: &str = "x-invent-deep-object";

/// How deep `deepObject` properties are followed (`a[b][c][d]`); deeper objects are reported.
const DEEP_OBJECT_DEPTH: usize = 4;

/// An object-typed query parameter progenitor can send as it stands? No: it types a declared object as
/// a struct with a typify builder, and panics (`unreachable!`) on an optional parameter of such a type.
/// So objects with declared properties are sent member by member, which is what both styles mean on the
/// wire:
/// * `style: form, explode: true` (the default): one parameter per member, named like the member
///   (`active=true&limit=5`); rule `object-query-form`. A free-form object stays one parameter, typed
///   as a map (no builder), which `QueryParam` sends as one `key=value` pair per entry.
/// * `style: deepObject`: one parameter per member, named `name[key]` (nested objects: `name[a][b]`);
///   rule `deep-object`.
///
/// Returns the replacement parameters, or `None` to keep the parameter as it is. What cannot be sent is
/// dropped and reported: a free-form deepObject map (its keys are not declared), a union deepObject, a
/// nested object inside a form object (form has no syntax for it).
pub(super) fn expand_object(
    p: &Value,
    ptr: &str,
    schemas: Option<&Map<String, Value>>,
    report: &mut Report,
) -> Option<Vec<Value>> {
    let (name, location) = param_key(p);
    if location != "query" {
        return None;
    }
    let style = p.get("style").and_then(Value::as_str);
    let deep = style == Some("deepObject");
    let form_exploded =
        matches!(style, None | Some("form")) && p.get("explode").and_then(Value::as_bool) != Some(false);
    if !deep && !form_exploded {
        return None;
    }
    let schema = p.get("schema")?;
    let (shape, _) = walk::shape(schemas, schema);
    let required = p.get("required") == Some(&Value::Bool(true));
    if !deep {
        if shape != Shape::Object {
            return None;
        }
        let Some(members) = object_members(schemas, schema) else {
            report.drop_parameter(
                ptr,
                "object-query-form",
                format!(
                    "query parameter `{name}` dropped: an object that is also a union has no fixed members to send"
                ),
            );
            return Some(Vec::new());
        };
        if members.properties.is_empty() {
            // A free-form map: keep it, as a map typify does not give a builder.
            let mut kept = p.clone();
            let mut map = Map::new();
            map.insert("type".into(), Value::String("object".into()));
            if let Some(d) = walk::deref_schema(schemas, schema).0.get("description").filter(|d| d.is_string()) {
                map.insert("description".into(), d.clone());
            }
            map.insert("additionalProperties".into(), members.additional.unwrap_or(Value::Bool(true)));
            if let Some(obj) = kept.as_object_mut() {
                obj.insert("schema".into(), Value::Object(map));
            }
            report.count("object-query-form");
            return Some(vec![kept]);
        }
        let mut out = Vec::new();
        // Cannot fail: the members are known and declared.
        let _ = expand_members(&name, None, schema, required, 0, schemas, ptr, report, &mut out);
        report.note(
            ptr,
            "object-query-form",
            format!("form object `{name}` sent as its {} members, one `key=value` parameter each", out.len()),
        );
        return Some(out);
    }
    if !matches!(shape, Shape::Object | Shape::Any | Shape::Union) {
        return None; // a scalar or array: `parameter` sends it as `form` (rule parameter-style)
    }
    // A free-form deepObject map (its keys are only known at run time) or a union (no fixed keys): one
    // map parameter, marked for the generator, which sends it as `name[key]=value`.
    match object_members(schemas, schema) {
        Some(members) if members.properties.is_empty() => {
            report.count("deep-object-map");
            return Some(vec![deep_object_map(p, &name, required, members.additional)]);
        }
        None => {
            report.note(ptr, "deep-object-map", format!("deepObject union `{name}` is sent from a free-form map"));
            return Some(vec![deep_object_map(p, &name, required, None)]);
        }
        Some(_) => {}
    }
    let mut out = Vec::new();
    match expand_members(&name, Some(&name), schema, required, 0, schemas, ptr, report, &mut out) {
        Err(why) => {
            report.drop_parameter(ptr, "deep-object", format!("query parameter `{name}` (deepObject) dropped: {why}"));
            Some(Vec::new())
        }
        Ok(()) => {
            report.note(
                ptr,
                "deep-object",
                format!("deepObject parameter `{name}` sent as {} parameters `{name}[…]`", out.len()),
            );
            Some(out)
        }
    }
}

/// A query parameter `name` typed as a free-form map and marked [`DEEP_OBJECT_MAP`], so the generator
/// sends its entries as `name[key]=value` (nested maps as `name[a][b]=value`). `template` lends its
/// description.
fn deep_object_map(template: &Value, name: &str, required: bool, additional: Option<Value>) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), Value::String("object".into()));
    map.insert("additionalProperties".into(), additional.unwrap_or(Value::Bool(true)));
    let mut p = Map::new();
    p.insert("name".into(), Value::String(name.to_string()));
    p.insert("in".into(), Value::String("query".into()));
    if let Some(d) = template.get("description").filter(|d| d.is_string()) {
        p.insert("description".into(), d.clone());
    }
    p.insert("required".into(), Value::Bool(required));
    p.insert("schema".into(), Value::Object(map));
    p.insert(DEEP_OBJECT_MAP.into(), Value::Bool(true));
    Value::Object(p)
}

/// Appends one parameter per member of an object schema. `prefix` is the deepObject name so far
/// (`filter[createdAt]`), or `None` for a form object (members are named as they are, and nested
/// objects cannot be sent). `Err` says why this level cannot be sent at all.
#[allow(clippy::too_many_arguments)]
fn expand_members(
    what: &str,
    prefix: Option<&str>,
    schema: &Value,
    required: bool,
    depth: usize,
    schemas: Option<&Map<String, Value>>,
    ptr: &str,
    report: &mut Report,
    out: &mut Vec<Value>,
) -> std::result::Result<(), String> {
    let Some(members) = object_members(schemas, schema) else {
        return Err("a union of objects has no fixed keys to send as `name[key]`".into());
    };
    if members.properties.is_empty() {
        return Err("a free-form map: its keys are not declared, and progenitor sends only declared names".into());
    }
    if members.additional.is_some() {
        report.note(
            ptr,
            "deep-object",
            format!("`{what}` also allows undeclared keys; only the declared ones can be sent"),
        );
    }
    for (key, prop) in members.properties {
        let name = match prefix {
            Some(prefix) => format!("{prefix}[{key}]"),
            None => key.clone(),
        };
        let prop_required = required && members.required.contains(&key);
        let (shape, _) = walk::shape(schemas, &prop);
        match (shape, prefix) {
            (Shape::Object, None) => report.drop_parameter(
                ptr,
                "object-query-nested",
                format!("member `{key}` of form object `{what}` dropped: an object has no form (`key=value`) syntax"),
            ),
            (Shape::Object, Some(_)) if depth + 1 < DEEP_OBJECT_DEPTH => {
                let mut nested = Vec::new();
                match expand_members(
                    &name,
                    Some(&name),
                    &prop,
                    prop_required,
                    depth + 1,
                    schemas,
                    ptr,
                    report,
                    &mut nested,
                ) {
                    Ok(()) => out.extend(nested),
                    // Free-form or a union: keys known only at run time.
                    Err(_) => {
                        report.note(
                            ptr,
                            "deep-object-map",
                            format!("`{name}` is sent from a map as `{name}[key]=value`"),
                        );
                        out.push(deep_object_map(&Value::Null, &name, prop_required, None));
                    }
                }
            }
            (Shape::Object, Some(_)) => {
                report.note(
                    ptr,
                    "deep-object-map",
                    format!("`{name}` (nested deeper than {DEEP_OBJECT_DEPTH} levels) is sent from a map"),
                );
                out.push(deep_object_map(&Value::Null, &name, prop_required, None));
            }
            _ => {
                if shape == Shape::Array && prefix.is_some() {
                    report.note(
                        ptr,
                        "deep-object-array",
                        format!("array `{name}` is sent as repeated `{name}=a&{name}=b` (deepObject leaves arrays undefined)"),
                    );
                }
                let mut m = Map::new();
                m.insert("name".into(), Value::String(name));
                m.insert("in".into(), Value::String("query".into()));
                if let Some(d) = prop.get("description").filter(|d| d.is_string()) {
                    m.insert("description".into(), d.clone());
                }
                m.insert("required".into(), Value::Bool(prop_required));
                m.insert("schema".into(), prop);
                out.push(Value::Object(m));
            }
        }
    }
    Ok(())
}

/// The declared properties of an object schema, merged through references and `allOf` members.
struct ObjectMembers {
    properties: Vec<(String, Value)>,
    required: BTreeSet<String>,
    /// `additionalProperties` when it allows undeclared keys (`true` or a schema).
    additional: Option<Value>,
}

/// `None` for unions (`anyOf`/`oneOf`): their keys depend on the branch.
fn object_members(schemas: Option<&Map<String, Value>>, schema: &Value) -> Option<ObjectMembers> {
    let mut members = ObjectMembers { properties: Vec::new(), required: BTreeSet::new(), additional: None };
    let mut stack: Vec<&Value> = vec![schema];
    let mut visited = 0;
    while let Some(s) = stack.pop() {
        visited += 1;
        if visited > walk::MAX_REF_HOPS {
            break;
        }
        let (s, _) = walk::deref_schema(schemas, s);
        if s.get("anyOf").is_some() || s.get("oneOf").is_some() {
            return None;
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in props {
                if !members.properties.iter().any(|(name, _)| name == k) {
                    members.properties.push((k.clone(), v.clone()));
                }
            }
        }
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            members.required.extend(req.iter().filter_map(Value::as_str).map(str::to_string));
        }
        if let Some(a) = s.get("additionalProperties").filter(|a| *a != &Value::Bool(false)) {
            members.additional.get_or_insert_with(|| a.clone());
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            stack.extend(all.iter().rev());
        }
    }
    Some(members)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::run_with;
    use super::*;

    #[test]
    fn deep_objects_expand_to_one_parameter_per_property() {
        let (paths, r) = run_with(
            json!({"/runs": {"get": {"operationId": "runs", "responses": {}, "parameters": [
                {"name": "page", "in": "query", "style": "deepObject", "required": true, "schema": {"type": "object",
                 "required": ["size"], "properties": {"size": {"type": "integer", "description": "per page"}, "after": {"type": "string"}}}},
                {"name": "filter", "in": "query", "style": "deepObject", "explode": true,
                 "schema": {"allOf": [{"$ref": "#/components/schemas/F"}, {"$ref": "#/components/schemas/Env"}]}},
                {"name": "group", "in": "query", "style": "deepObject", "schema": {"type": "object", "additionalProperties": {"type": "string"}}},
                {"name": "either", "in": "query", "style": "deepObject", "schema": {"oneOf": [{"$ref": "#/components/schemas/Env"}, {"$ref": "#/components/schemas/F"}]}},
                {"name": "n", "in": "query", "style": "deepObject", "schema": {"type": "integer"}}
            ]}}}),
            json!({
                "F": {"type": "object", "properties": {
                    "status": {"type": "array", "items": {"type": "string", "enum": ["A", "B"]}},
                    "createdAt": {"type": "object", "properties": {"from": {"type": "string", "format": "date-time"}}},
                    "meta": {"type": "object", "additionalProperties": true}}},
                "Env": {"type": "object", "properties": {"env": {"type": "string"}}}
            }),
        );
        assert_eq!(
            paths["/runs"]["get"]["parameters"],
            json!([
                {"name": "page[size]", "in": "query", "description": "per page", "required": true, "schema": {"type": "integer", "description": "per page"}},
                {"name": "page[after]", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "filter[status]", "in": "query", "required": false, "schema": {"type": "array", "items": {"type": "string", "enum": ["A", "B"]}}},
                {"name": "filter[createdAt][from]", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
                {"name": "filter[meta]", "in": "query", "required": false,
                 "schema": {"type": "object", "additionalProperties": true}, DEEP_OBJECT_MAP: true},
                {"name": "filter[env]", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "group", "in": "query", "required": false,
                 "schema": {"type": "object", "additionalProperties": {"type": "string"}}, DEEP_OBJECT_MAP: true},
                {"name": "either", "in": "query", "required": false,
                 "schema": {"type": "object", "additionalProperties": true}, DEEP_OBJECT_MAP: true},
                {"name": "n", "in": "query", "schema": {"type": "integer"}}
            ])
        );
        // Nothing dropped: free-form maps and unions are sent from maps, as `name[key]=value`.
        assert!(r.dropped_parameters().is_empty(), "{}", r.to_text());
        assert_eq!(r.rule_count("deep-object-map"), 3);
        assert_eq!(r.rule_count("deep-object-array"), 1);
        assert_eq!(r.rule_count("parameter-style"), 1, "deepObject on a scalar is plain form");
    }

    #[test]
    fn form_objects_are_sent_member_by_member() {
        // progenitor types a declared object as a struct with a builder and panics on an optional
        // parameter of such a type; its members, sent one by one, are the same `key=value` pairs.
        let (paths, r) = run_with(
            json!({"/a": {"get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "filters", "in": "query", "required": true, "schema": {"$ref": "#/components/schemas/F"}},
                {"name": "meta", "in": "query", "schema": {"type": "object", "description": "any", "additionalProperties": {"type": "string"}}},
                {"name": "opt", "in": "query", "style": "form", "explode": true,
                 "schema": {"type": "object", "required": ["z"], "properties": {"z": {"type": "integer"}}}}
            ]}}}),
            json!({"F": {"type": "object", "required": ["a"], "additionalProperties": true, "properties": {
                "a": {"type": "string", "description": "first"},
                "b": {"type": "array", "items": {"type": "integer"}},
                "c": {"type": "object", "properties": {"d": {"type": "string"}}}}}}),
        );
        assert_eq!(
            paths["/a"]["get"]["parameters"],
            json!([
                {"name": "a", "in": "query", "description": "first", "required": true, "schema": {"type": "string", "description": "first"}},
                {"name": "b", "in": "query", "required": false, "schema": {"type": "array", "items": {"type": "integer"}}},
                {"name": "meta", "in": "query", "schema": {"type": "object", "description": "any", "additionalProperties": {"type": "string"}}},
                {"name": "z", "in": "query", "required": false, "schema": {"type": "integer"}}
            ])
        );
        let dropped: Vec<&str> = r.dropped_parameters().iter().map(|n| n.message.as_str()).collect();
        assert_eq!(dropped.len(), 1, "{}", r.to_text());
        assert!(dropped[0].contains("member `c` of form object `filters`"), "{dropped:?}");
        assert_eq!(r.rule_count("object-query-form"), 3, "{}", r.to_text());
        assert!(
            r.notes().iter().any(|n| n.message.contains("`filters` also allows undeclared keys")),
            "{}",
            r.to_text()
        );
    }
}
