//! Parameters progenitor can render: path-level ones pushed down, reserved headers left out, cookies
//! sent as one `Cookie` header, a parameter named like another given a distinct Rust name, styles
//! with another wire form typed as strings, non-scalar or nullable path/header parameters typed as
//! strings, and path template and path parameters made to agree.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::deep_object::expand_object;
use crate::lower::walk::{self, param_key, Shape};
use crate::pointer::join;
use crate::Report;

/// Path-item parameters are copied into the operation unless it overrides them (same name and `in`).
pub(super) fn push_down(op: &mut Map<String, Value>, shared: &[Value]) {
    let own: Vec<Value> = match op.shift_remove("parameters") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let own_keys: BTreeSet<(String, String)> = own.iter().map(param_key).collect();
    let mut merged: Vec<Value> = shared.iter().filter(|p| !own_keys.contains(&param_key(p))).cloned().collect();
    merged.extend(own);
    op.insert("parameters".into(), Value::Array(merged));
}

/// The shape classes progenitor renders with `to_string()` (path and header parameters).
fn is_scalar(shape: Shape) -> bool {
    matches!(shape, Shape::String | Shape::Integer | Shape::Number | Shape::Boolean)
}

pub(super) fn string_schema(old: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String("string".into()));
    if let Some(d) = old.and_then(|s| s.get("description")) {
        m.insert("description".into(), d.clone());
    }
    Value::Object(m)
}

pub(super) fn parameters(
    op: &mut Map<String, Value>,
    op_ptr: &str,
    names: &[String],
    schemas: Option<&Map<String, Value>>,
    report: &mut Report,
) {
    let list: Vec<Value> = match op.shift_remove("parameters") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let pptr = join(op_ptr, "parameters");
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut kept: Vec<Value> = Vec::new();
    for (i, p) in list.into_iter().enumerate() {
        let ptr = format!("{pptr}/{i}");
        // An object becomes one parameter per property (`active`, or deepObject `filter[status]`),
        // each then checked like any other query parameter.
        let expanded = match expand_object(&p, &ptr, schemas, report) {
            Some(parts) => parts,
            None => vec![p],
        };
        for mut p in expanded {
            let (name, location) = param_key(&p);
            if !seen.insert((name.clone(), location.clone())) {
                report.note(
                    &ptr,
                    "duplicate-parameter",
                    format!("{location} parameter `{name}` declared twice; the later one dropped"),
                );
                continue;
            }
            let Some(obj) = p.as_object_mut() else { continue };
            match parameter(obj, &ptr, &name, &location, names, schemas, report) {
                Ok(()) => kept.push(p),
                Err(Ignored(rule, why)) => {
                    report.note(&ptr, rule, format!("{location} parameter `{name}` left out: {why}"))
                }
            }
        }
    }
    for name in names {
        if !kept.iter().any(|p| param_key(p) == (name.clone(), "path".to_string())) {
            let mut m = Map::new();
            m.insert("name".into(), Value::String(name.clone()));
            m.insert("in".into(), Value::String("path".into()));
            m.insert("required".into(), Value::Bool(true));
            m.insert("schema".into(), string_schema(None));
            kept.push(Value::Object(m));
            report.note(
                &pptr,
                "missing-path-parameter",
                format!("path parameter `{name}` was not declared; added as a string"),
            );
        }
    }
    let mut kept = distinct_rust_names(kept, op.contains_key("requestBody"), &pptr, report);
    // progenitor orders parameters itself; the lowered document keeps the declared order.
    kept.sort_by_key(|(i, _)| *i);
    let kept: Vec<Value> = kept.into_iter().map(|(_, p)| p).collect();
    if !kept.is_empty() {
        op.insert("parameters".into(), Value::Array(kept));
    }
}

/// Marks a header parameter that is a cookie of the spec, with the cookie's name: the generator sends
/// every such parameter of an operation in one `Cookie` header (`<runtime>::cookie::append`).
pub const COOKIE_PARAMETER: &str = "x-invent-cookie";

/// Marks a parameter whose Rust name differs from its name on the wire, with the wire name: the
/// generator sends the wire name (rule `wire-name`).
pub const WIRE_NAME: &str = "x-invent-wire-name";

/// progenitor names a parameter's setter and local after its wire name and keys parameters by it, so
/// every parameter needs its own Rust name (`walk::ident_key`). Path parameters come first and keep
/// theirs (one colliding with an earlier path parameter is dropped: the template cannot have both);
/// then the others, cookies last, in declared order. Every name that is free is kept; a parameter whose
/// Rust name is taken (a query `id` beside the path's `{id}`, `pageSize` beside `page_size`, `body`
/// beside a request body, a cookie named like a header) is renamed `<name>_<location>` (rule `renamed-parameter`) and keeps its wire name in
/// [`WIRE_NAME`] (a cookie's is in [`COOKIE_PARAMETER`] already). Returns the parameters with their
/// declared positions.
fn distinct_rust_names(kept: Vec<Value>, has_body: bool, pptr: &str, report: &mut Report) -> Vec<(usize, Value)> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    if has_body {
        taken.insert("body".into());
    }
    let rank = |p: &Value| match (param_key(p).1.as_str(), p.get(COOKIE_PARAMETER).is_some()) {
        ("path", _) => 0,
        (_, false) => 1,
        (_, true) => 2,
    };
    let mut order: Vec<(usize, Value)> = kept.into_iter().enumerate().collect();
    order.sort_by_key(|(i, p)| (rank(p), *i));
    // First every parameter whose name is free keeps it, so a renamed one never takes another's name.
    let keeps: Vec<bool> = order
        .iter()
        .map(|(_, p)| {
            let key = walk::ident_key(&param_key(p).0);
            !key.is_empty() && taken.insert(key)
        })
        .collect();
    let mut out = Vec::with_capacity(order.len());
    for ((i, mut p), keep) in order.into_iter().zip(keeps) {
        if keep {
            out.push((i, p));
            continue;
        }
        let (name, location) = param_key(&p);
        if location == "path" {
            report.drop_parameter(
                pptr,
                "parameter-name-collision",
                format!("path parameter `{name}` has another path parameter's Rust name; dropped"),
            );
            continue;
        }
        let cookie = p.get(COOKIE_PARAMETER).is_some();
        let shown = if cookie { "cookie" } else { location.as_str() };
        let rust_name = walk::unique_name(&format!("{name}_{shown}"), &mut taken);
        let Some(obj) = p.as_object_mut() else { continue };
        obj.insert("name".into(), Value::String(rust_name.clone()));
        if !cookie {
            obj.insert(WIRE_NAME.into(), Value::String(name.clone()));
        }
        report.note(
            pptr,
            "renamed-parameter",
            format!("{shown} parameter `{name}` has another parameter's Rust name; generated as `{rust_name}`, sent as `{name}`"),
        );
        out.push((i, p));
    }
    out
}

/// A parameter declaration that means nothing on the wire (rule, why): left out with a note.
struct Ignored(&'static str, String);

/// Replaces a parameter's schema by `string`, keeping its description and saying how to write the
/// value in it (for styles progenitor cannot produce from a typed value).
fn retype_as_string(p: &mut Map<String, Value>, how: &str) {
    let old = p.get("schema").cloned();
    let mut s = string_schema(old.as_ref());
    let description = match s.get("description").and_then(Value::as_str) {
        Some(d) => format!("{d} ({how})"),
        None => format!("Write the value {how}."),
    };
    if let Some(m) = s.as_object_mut() {
        m.insert("description".into(), Value::String(description));
    }
    p.insert("schema".into(), s);
}

/// Repairs one parameter, or says why it must go.
fn parameter(
    p: &mut Map<String, Value>,
    ptr: &str,
    name: &str,
    location: &str,
    names: &[String],
    schemas: Option<&Map<String, Value>>,
    report: &mut Report,
) -> std::result::Result<(), Ignored> {
    // A cookie is a header to progenitor; the generator joins an operation's cookies into one `Cookie`.
    // Marked already when the document was lowered before (lowering is a fixpoint).
    let cookie = location == "cookie" || p.contains_key(COOKIE_PARAMETER);
    if location == "cookie" {
        p.insert("in".into(), Value::String("header".into()));
        p.insert(COOKIE_PARAMETER.into(), Value::String(name.to_string()));
        report.count("cookie-parameter");
    }
    let location = if cookie { "header" } else { location };
    if !cookie
        && location == "header"
        && ["authorization", "accept", "content-type"].contains(&name.to_ascii_lowercase().as_str())
    {
        return Err(Ignored("reserved-header", "OpenAPI says to ignore this header parameter".into()));
    }
    if let Some(Value::Object(s)) = p.get_mut("schema") {
        if s.shift_remove("nullable").is_some() {
            report.count("nullable-parameter");
        }
    }
    // Nullable still means: through a reference to a nullable component.
    let (shape, nullable) = p.get("schema").map_or((Shape::Any, false), |s| walk::shape(schemas, s));
    let style = p.get("style").and_then(Value::as_str).map(str::to_string);
    match location {
        "path" => {
            if !names.iter().any(|n| n == name) {
                return Err(Ignored("path-parameter", "not in the path template".into()));
            }
            if p.get("required") != Some(&Value::Bool(true)) {
                p.insert("required".into(), Value::Bool(true));
                report.count("path-parameter");
            }
            if style.as_deref().is_some_and(|s| s != "simple") {
                p.shift_remove("style");
                report.note(
                    ptr,
                    "parameter-style",
                    format!("path parameter `{name}` style `{}` sent as `simple`", style.unwrap_or_default()),
                );
            }
        }
        "query" => query_parameter(p, ptr, name, style.as_deref(), shape, report),
        _ => {
            if style.as_deref().is_some_and(|s| s != "simple") {
                p.shift_remove("style");
                report.count("parameter-style");
            }
        }
    }
    // Path and header values are rendered with `to_string()`: only plain scalars have a usable Display.
    if (location == "path" || location == "header") && (!is_scalar(shape) || nullable) {
        let old = p.get("schema").cloned();
        p.insert("schema".into(), string_schema(old.as_ref()));
        if is_scalar(shape) {
            report.count("nullable-parameter");
        } else {
            report.note(
                ptr,
                "parameter-type",
                format!("{location} parameter `{name}` is not a scalar; typed as string"),
            );
        }
    }
    Ok(())
}

/// A query parameter as progenitor sends it: `QueryParam` serialises scalars as `name=v`, arrays as
/// repeated `name=a&name=b`, and a map as one `key=value` pair per entry, which is exactly `style: form,
/// explode: true` (objects with declared members were already expanded by [`expand_object`]). Styles
/// with another wire form are rewritten to a string the caller writes in that form, with a note.
fn query_parameter(
    p: &mut Map<String, Value>,
    ptr: &str,
    name: &str,
    style: Option<&str>,
    shape: Shape,
    report: &mut Report,
) {
    let form = matches!(style, None | Some("form"));
    let explode = p.get("explode").and_then(Value::as_bool).unwrap_or(form);
    match (style, shape) {
        (None | Some("form"), Shape::Object) if explode => {} // a free-form map (see expand_object)
        (None | Some("form"), Shape::Object) => {
            retype_as_string(p, "as `key1,value1,key2,value2`: style form, explode false");
            p.shift_remove("explode");
            report.note(ptr, "object-query-explode", format!("object `{name}` with explode: false typed as a string"));
        }
        (None | Some("form"), Shape::Array) if !explode => {
            retype_as_string(p, "as `a,b,c`: style form, explode false");
            p.shift_remove("explode");
            report.note(ptr, "parameter-style", format!("array `{name}` with explode: false typed as a string"));
        }
        (Some(s @ ("spaceDelimited" | "pipeDelimited")), Shape::Array) => {
            let how = if s == "spaceDelimited" {
                "as `a b c`: style spaceDelimited"
            } else {
                "as `a|b|c`: style pipeDelimited"
            };
            retype_as_string(p, how);
            p.shift_remove("style");
            p.shift_remove("explode");
            report.note(ptr, "parameter-style", format!("array `{name}` with style {s} typed as a string"));
        }
        (None | Some("form"), _) => {}
        (Some(_), _) => {
            // deepObject on a scalar, or a delimited style on a non-array: the same as form.
            p.shift_remove("style");
            report.count("parameter-style");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{run, run_with};
    use super::*;
    use crate::lower::operations::DEEP_OBJECT_MAP;

    #[test]
    fn parameters_progenitor_cannot_render() {
        let (paths, r) = run_with(
            json!({"/a/{id}/{obj}": {
            "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer", "nullable": true}}],
            "get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "theme", "in": "cookie", "style": "form", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                {"name": "o", "in": "query", "schema": {"$ref": "#/components/schemas/O"}},
                {"name": "id", "in": "query", "schema": {"type": "string"}},
                {"name": "tags", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "Session", "in": "header", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "Q", "in": "query", "schema": {"type": "string"}},
                {"name": "gone", "in": "path", "required": true, "schema": {"type": "string"}}
            ]}}}),
            json!({"O": {"type": "object", "properties": {}}}),
        );
        assert_eq!(
            paths["/a/{id}/{obj}"]["get"]["parameters"],
            json!([
                {"name": "id", "in": "path", "schema": {"type": "integer"}, "required": true},
                {"name": "session_cookie", "in": "header", "schema": {"type": "string"}, COOKIE_PARAMETER: "session"},
                {"name": "theme", "in": "header", "schema": {"type": "string"}, COOKIE_PARAMETER: "theme"},
                {"name": "filter", "in": "query", "required": false,
                 "schema": {"type": "object", "additionalProperties": true}, DEEP_OBJECT_MAP: true},
                {"name": "o", "in": "query", "schema": {"type": "object", "additionalProperties": true}},
                {"name": "id_query", "in": "query", "schema": {"type": "string"}, WIRE_NAME: "id"},
                {"name": "tags", "in": "header", "schema": {"type": "string"}},
                {"name": "Session", "in": "header", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "Q_query", "in": "query", "schema": {"type": "string"}, WIRE_NAME: "Q"},
                {"name": "obj", "in": "path", "required": true, "schema": {"type": "string"}}
            ])
        );
        for rule in [
            "reserved-header",
            "cookie-parameter",
            "deep-object-map",
            "object-query-form",
            "renamed-parameter",
            "parameter-type",
            "path-parameter",
            "missing-path-parameter",
            "nullable-parameter",
            "path-parameters",
        ] {
            assert!(r.rule_count(rule) > 0, "{rule}: {}", r.to_text());
        }
        // Nothing the server reads is dropped: the cookies are headers, the query `id` (a path
        // parameter's name), `Q` (`q`'s Rust name) and the cookie `session` (the header `Session`'s)
        // are renamed. Left out without loss: `Authorization` (OpenAPI ignores it) and `gone` (not in
        // the template).
        assert!(r.dropped_parameters().is_empty(), "{}", r.to_text());
        assert_eq!(r.rule_count("renamed-parameter"), 3, "{}", r.to_text());
    }

    #[test]
    fn a_lowered_cookie_stays_a_cookie_when_lowered_again() {
        // Named like a header OpenAPI says to ignore: as a header parameter it would be left out.
        let paths = json!({"/a": {"get": {"operationId": "a", "responses": {}, "parameters": [
            {"name": "accept", "in": "cookie", "schema": {"type": "string"}}
        ]}}});
        let (once, _) = run(paths);
        let (twice, r) = run(once.clone());
        assert_eq!(once, twice, "{}", r.to_text());
        assert_eq!(
            twice["/a"]["get"]["parameters"][0],
            json!({"name": "accept", "in": "header", "schema": {"type": "string"}, COOKIE_PARAMETER: "accept"})
        );
    }

    #[test]
    fn path_parameters_keep_their_names_and_a_colliding_one_is_dropped() {
        let (paths, r) = run(json!({"/a/{page_size}/{pageSize}": {"post": {
        "operationId": "a", "responses": {},
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "parameters": [
            {"name": "body", "in": "query", "schema": {"type": "string"}},
            {"name": "page_size", "in": "query", "schema": {"type": "string"}},
            {"name": "page_size_query", "in": "header", "schema": {"type": "string"}}
        ]}}}));
        let names: Vec<&str> = paths["/a/{page_size}/{pageSize}"]["post"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        // `pageSize` is `page_size` in Rust: the template cannot hold both, so it goes (reported); the
        // query `page_size` steps aside past the header that took its first choice.
        assert_eq!(names, ["body_query", "page_size_query2", "page_size_query", "page_size"]);
        let dropped: Vec<&str> = r.dropped_parameters().iter().map(|n| n.rule.as_str()).collect();
        assert_eq!(dropped, ["parameter-name-collision"]);
    }

    #[test]
    fn styles_with_another_wire_form_become_strings() {
        let (paths, r) = run(json!({"/a": {"get": {"operationId": "a", "responses": {}, "parameters": [
            {"name": "lang", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "pos", "in": "query", "explode": false, "schema": {"type": "object", "description": "point", "properties": {"x": {"type": "number"}}}},
            {"name": "ids", "in": "query", "style": "pipeDelimited", "schema": {"type": "array", "items": {"type": "integer"}}},
            {"name": "tags", "in": "query", "style": "spaceDelimited", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}}
        ]}}}));
        assert_eq!(
            paths["/a"]["get"]["parameters"],
            json!([
                {"name": "lang", "in": "query", "style": "form", "schema": {"type": "string", "description": "Write the value as `a,b,c`: style form, explode false."}},
                {"name": "pos", "in": "query", "schema": {"type": "string", "description": "point (as `key1,value1,key2,value2`: style form, explode false)"}},
                {"name": "ids", "in": "query", "schema": {"type": "string", "description": "Write the value as `a|b|c`: style pipeDelimited."}},
                {"name": "tags", "in": "query", "schema": {"type": "string", "description": "Write the value as `a b c`: style spaceDelimited."}}
            ])
        );
        assert!(r.dropped_parameters().is_empty(), "{}", r.to_text());
        assert_eq!(r.rule_count("parameter-style"), 3);
        assert_eq!(r.rule_count("object-query-explode"), 1);
    }

    #[test]
    fn header_refs_to_nullable_components_become_strings() {
        let (paths, r) = run_with(
            json!({"/a": {"get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "h", "in": "header", "schema": {"$ref": "#/components/schemas/N"}},
                {"name": "k", "in": "header", "schema": {"$ref": "#/components/schemas/K"}}]}}}),
            json!({"N": {"allOf": [{"$ref": "#/components/schemas/K"}], "nullable": true},
                   "K": {"type": "string", "enum": ["a"]}}),
        );
        assert_eq!(
            paths["/a"]["get"]["parameters"],
            json!([{"name": "h", "in": "header", "schema": {"type": "string"}},
                   {"name": "k", "in": "header", "schema": {"$ref": "#/components/schemas/K"}}])
        );
        assert_eq!(r.rule_count("nullable-parameter"), 1);
    }
}
