//! What progenitor 0.15 needs per operation: a unique operationId (synthesized from method + path when
//! missing, de-duplicated the way progenitor snake_cases them), parameters it can render (path-level
//! ones pushed down; form objects kept, since `QueryParam` sends them as `key=value` pairs; deepObject
//! objects expanded to `name[key]` parameters; styles with another wire form typed as strings; cookie,
//! shadowing and colliding parameters dropped, reserved headers left out; non-scalar or nullable
//! path/header parameters → string; path template and path parameters made to agree), exactly one
//! request media type (json > +json > form > octet-stream > text; multipart-only operations dropped),
//! one success plus one error response type (`default` → `4XX`/`5XX`, minority responses dropped), with
//! JSON-ish media types renamed `application/json` and schema-less JSON given `{}`, and WebSocket
//! upgrades (a `101` as the only success) marked `x-dropshot-websocket` so progenitor generates them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::walk::{self, Result, Shape};
use crate::pointer::join;
use crate::Report;

/// Methods of the generated `Client` (inherent, or from `ClientInfo`) an operation must not shadow.
const RESERVED_IDS: [&str; 6] = ["new", "new_with_client", "api_version", "baseurl", "client", "inner"];

pub fn lower(doc: &mut Value, report: &mut Report) -> Result<()> {
    let schemas: Option<Map<String, Value>> = doc.pointer("/components/schemas").and_then(Value::as_object).cloned();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return Ok(()) };
    let keys: Vec<String> = paths.keys().filter(|k| k.starts_with('/')).cloned().collect();
    for path in keys {
        let item_ptr = join("/paths", &path);
        let Some(Value::Object(item)) = paths.get_mut(&path) else { continue };
        let Some(names) = template_names(&path) else {
            for m in walk::METHODS {
                if item.shift_remove(m).is_some() {
                    report.drop_operation(
                        &join(&item_ptr, m),
                        "path-template",
                        format!("path `{path}` is not a valid template; operation dropped"),
                    );
                }
            }
            continue;
        };
        let shared = match item.shift_remove("parameters") {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        };
        for m in walk::METHODS {
            let op_ptr = join(&item_ptr, m);
            let Some(Value::Object(op)) = item.get_mut(m) else { continue };
            if !shared.is_empty() {
                push_down(op, &shared);
                report.count("path-parameters");
            }
            request_body(op, &op_ptr, report);
            parameters(op, &op_ptr, &names, schemas.as_ref(), report);
            // Declared before `responses` keeps one success type: a 101 next to a 2xx is no WebSocket.
            let declared = status_codes(op);
            responses(op, &op_ptr, report);
            websocket_upgrade(op, &op_ptr, m, &declared, report);
        }
    }
    operation_ids(paths, report);
    hoist_typed_responses(doc, report);
    mark_file_parts(doc, report);
    Ok(())
}

/// The `{name}`s of a path template, or `None` when progenitor's template parser would reject it.
pub fn template_names(path: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return None;
        }
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if name.is_empty() || name.contains(['{', '/']) {
            return None;
        }
        names.push(name.to_string());
        rest = &after[close + 1..];
    }
    Some(names)
}

fn param_key(p: &Value) -> (String, String) {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    (s("name"), s("in"))
}

/// Path-item parameters are copied into the operation unless it overrides them (same name and `in`).
fn push_down(op: &mut Map<String, Value>, shared: &[Value]) {
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

fn string_schema(old: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String("string".into()));
    if let Some(d) = old.and_then(|s| s.get("description")) {
        m.insert("description".into(), d.clone());
    }
    Value::Object(m)
}

fn parameters(
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
                Err(Refused::Drop(rule, why)) => {
                    report.drop_parameter(&ptr, rule, format!("{location} parameter `{name}` dropped: {why}"))
                }
                Err(Refused::Ignore(rule, why)) => {
                    report.note(&ptr, rule, format!("{location} parameter `{name}` left out: {why}"))
                }
            }
        }
    }
    // A query parameter named like a path parameter: progenitor keys parameters by wire name.
    let path_names: BTreeSet<String> =
        kept.iter().filter(|p| param_key(p).1 == "path").map(|p| param_key(p).0).collect();
    kept.retain(|p| {
        let (name, location) = param_key(p);
        let shadow = location != "path" && path_names.contains(&name);
        if shadow {
            report.drop_parameter(
                &pptr,
                "shadowing-parameter",
                format!("{location} parameter `{name}` has a path parameter's name; dropped"),
            );
        }
        !shadow
    });
    // Two parameters that become the same Rust identifier (`page_size`, `pageSize`), or `body`.
    let mut idents: BTreeSet<String> = BTreeSet::new();
    if op.contains_key("requestBody") {
        idents.insert("body".into());
    }
    kept.retain(|p| {
        let (name, location) = param_key(p);
        let fresh = idents.insert(walk::ident_key(&name)) && !walk::ident_key(&name).is_empty();
        if !fresh {
            report.drop_parameter(
                &pptr,
                "parameter-name-collision",
                format!("{location} parameter `{name}` collides with another parameter's Rust name; dropped"),
            );
        }
        fresh
    });
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
    if !kept.is_empty() {
        op.insert("parameters".into(), Value::Array(kept));
    }
}

/// Why a parameter is not generated: `Drop` loses something the server would read (a dropped
/// parameter in the report); `Ignore` removes a declaration that means nothing on the wire.
enum Refused {
    Drop(&'static str, String),
    Ignore(&'static str, String),
}

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
fn expand_object(
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
) -> std::result::Result<(), Refused> {
    if location == "cookie" {
        return Err(Refused::Drop("cookie-parameter", "progenitor cannot send cookie parameters".into()));
    }
    if location == "header" && ["authorization", "accept", "content-type"].contains(&name.to_ascii_lowercase().as_str())
    {
        return Err(Refused::Ignore("reserved-header", "OpenAPI says to ignore this header parameter".into()));
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
                return Err(Refused::Ignore("path-parameter", "not in the path template".into()));
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

/// Media types ranked by preference, with what they are sent as (anything unknown as raw bytes).
fn request_rank(media: &str) -> (u8, &'static str) {
    let m = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match m.as_str() {
        "application/json" => (0, "application/json"),
        _ if m.ends_with("+json") || m.ends_with("/json") => (1, "application/json"),
        "application/x-www-form-urlencoded" => (2, "application/x-www-form-urlencoded"),
        _ if m.starts_with("multipart/") => (3, MULTIPART),
        "application/octet-stream" => (4, "application/octet-stream"),
        "text/plain" | "text/x-markdown" => (5, "text/plain"),
        _ if m.starts_with("text/") => (6, "text/plain"),
        _ => (7, "application/octet-stream"),
    }
}

const MULTIPART: &str = "multipart/form-data";

/// Extension on operations whose body is sent as `multipart/form-data`: `{"encoding": {property:
/// content type}}`. progenitor sees the body as JSON (so typify generates its struct); the generator
/// replaces the JSON encoding with the crate's multipart encoder (`rewrite::multipart`).
pub const MULTIPART_BODY: &str = "x-invent-multipart";

/// Marks the placeholder component that binary properties of multipart bodies point to; the generator
/// replaces its type with the crate's file-part type (typify `with_replacement`).
pub const FILE_PART: &str = "x-invent-file-part";

/// Keeps one request media type (JSON first: where an operation offers JSON and multipart, users get
/// the JSON body).
fn request_body(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
    let bptr = join(op_ptr, "requestBody");
    let Some(Value::Object(body)) = op.get_mut("requestBody") else { return };
    let Some(Value::Object(content)) = body.get_mut("content") else {
        op.shift_remove("requestBody");
        report.count("request-media-type");
        return;
    };
    if content.is_empty() {
        op.shift_remove("requestBody");
        report.count("request-media-type");
        return;
    }
    let best = content.iter().enumerate().map(|(i, (k, _))| (request_rank(k), i, k.clone())).min();
    let Some(((_, target), _, chosen)) = best else { return };
    let mut media = content.shift_remove(&chosen).unwrap_or_default();
    let others: Vec<String> = content.keys().cloned().collect();
    content.clear();
    if !others.is_empty() {
        report.note(&bptr, "request-media-type", format!("sends `{chosen}` only; {others:?} dropped"));
    }
    let base = chosen.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if base != target && !(target == "text/plain" && base == "text/x-markdown") {
        report.note(&bptr, "request-media-type", format!("`{chosen}` is sent as `{target}`"));
    }
    if target == MULTIPART {
        let mut encoding = Map::new();
        if let Some(Value::Object(e)) = media.as_object_mut().and_then(|m| m.shift_remove("encoding")) {
            for (property, spec) in e {
                if let Some(ct) = spec.get("contentType").and_then(Value::as_str) {
                    encoding.insert(property, Value::String(ct.to_string()));
                }
            }
        }
        if media.get("schema").is_none() {
            if let Some(m) = media.as_object_mut() {
                m.insert("schema".into(), serde_json::json!({ "type": "object" }));
            }
        }
        content.insert("application/json".into(), media);
        op.insert(MULTIPART_BODY.into(), serde_json::json!({ "encoding": encoding }));
        report.count("multipart-body");
        return;
    }
    let key = if target == "text/plain" && base == "text/x-markdown" { base.clone() } else { target.to_string() };
    if let Some(m) = media.as_object_mut() {
        let schema = m.get("schema");
        let forced = match target {
            "application/octet-stream" => Some(binary_schema(schema)),
            "text/plain" => Some(string_schema(schema)),
            _ if schema.is_none() => Some(Value::Object(Map::new())),
            _ => None,
        };
        if let Some(forced) = forced {
            if m.get("schema") != Some(&forced) {
                m.insert("schema".into(), forced);
                report.count("request-schema");
            }
        }
    }
    content.insert(key, media);
}

fn binary_schema(old: Option<&Value>) -> Value {
    let mut s = string_schema(old);
    if let Some(m) = s.as_object_mut() {
        m.insert("format".into(), Value::String("binary".into()));
    }
    s
}

fn is_json_like(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    m == "application/json" || m.ends_with("+json") || m.ends_with("/json")
}

/// What progenitor makes of a response: typed JSON (by schema), upgrade, raw bytes, or nothing.
fn response_kind(code: &str, r: &Value) -> String {
    let content = r.get("content").and_then(Value::as_object);
    if let Some(json) = content.and_then(|c| c.get("application/json")) {
        return format!("json:{}", json.get("schema").map(Value::to_string).unwrap_or_default());
    }
    match content {
        _ if code == "101" => "upgrade".into(),
        Some(c) if !c.is_empty() => "raw".into(),
        _ => "none".into(),
    }
}

/// Sort key: explicit codes, then ranges, then `default`.
fn status_order(code: &str) -> u32 {
    if code == "default" {
        return 10_000;
    }
    match code.parse::<u32>() {
        Ok(n) => n * 10,
        Err(_) => code.as_bytes().first().map_or(9_999, |d| u32::from(d.saturating_sub(b'0')) * 1000 + 999),
    }
}

fn is_success(code: &str) -> bool {
    code == "101" || code.starts_with('2') || code == "default"
}

fn is_error(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5') || code == "default"
}

fn describe(kind: &str) -> &str {
    if kind.starts_with("json:") {
        "a different JSON body"
    } else if kind == "raw" {
        "a non-JSON body"
    } else if kind == "none" {
        "no body"
    } else {
        "an upgrade"
    }
}

fn responses(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
    let rptr = join(op_ptr, "responses");
    let op_has_typed_responses = op.contains_key(TYPED_RESPONSES);
    let Some(Value::Object(responses)) = op.get_mut("responses") else { return };
    // JSON-ish media types → application/json; JSON without schema → `{}`.
    for (code, r) in responses.iter_mut() {
        let Some(Value::Object(content)) = r.get_mut("content") else { continue };
        let json: Vec<String> = content.keys().filter(|k| is_json_like(k)).cloned().collect();
        if json.is_empty() {
            continue;
        }
        let keep = json
            .iter()
            .find(|k| k.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
            .unwrap_or(&json[0])
            .clone();
        let mut media = content.shift_remove(&keep).unwrap_or_default();
        for other in json.iter().filter(|k| **k != keep) {
            content.shift_remove(other);
            report.count("json-media-type");
        }
        if keep != "application/json" {
            report.count("json-media-type");
        }
        if let Some(m) = media.as_object_mut() {
            if !m.contains_key("schema") {
                m.insert("schema".into(), Value::Object(Map::new()));
                report.count("response-schema");
            }
        }
        // Put application/json first so the order stays readable; progenitor finds it anywhere.
        let rest = std::mem::take(content);
        content.insert("application/json".into(), media);
        content.extend(rest);
        let _ = code;
    }
    // Already lowered: the recorded responses are authoritative, and what is left is what progenitor
    // can type.
    if op_has_typed_responses {
        return;
    }
    let codes: Vec<String> = responses.keys().filter(|k| !k.starts_with("x-")).cloned().collect();
    let has_success = codes.iter().any(|c| c != "default" && is_success(c));
    if has_success {
        if let Some(default) = responses.shift_remove("default") {
            let mut added = false;
            for range in ["4XX", "5XX"] {
                let present = codes.iter().any(|c| c.eq_ignore_ascii_case(range));
                if !present {
                    responses.insert(range.into(), default.clone());
                    added = true;
                }
            }
            if added {
                report.count("default-response");
            } else {
                report.drop_response(
                    &join(&rptr, "default"),
                    "default-response",
                    "`default` dropped: `4XX` and `5XX` are declared",
                );
            }
        }
    }
    let mut codes: Vec<String> = responses.keys().filter(|k| !k.starts_with("x-")).cloned().collect();
    codes.sort_by_key(|c| status_order(c));
    let kinds: BTreeMap<String, String> =
        codes.iter().map(|c| (c.clone(), response_kind(c, responses.get(c).unwrap_or(&Value::Null)))).collect();
    let kind_of = |c: &String| kinds.get(c).cloned().unwrap_or_default();

    // One success type: the first typed 2xx, else the first success response.
    let success: Vec<&String> = codes.iter().filter(|c| is_success(c)).collect();
    let success_kind = success
        .iter()
        .map(|c| kind_of(c))
        .find(|k| k.starts_with("json:"))
        .or_else(|| success.first().map(|c| kind_of(c)));
    let mut drop: Vec<(String, &'static str, String)> = Vec::new();
    if let Some(keep) = &success_kind {
        for c in &success {
            let k = kind_of(c);
            if &k != keep {
                drop.push(((*c).clone(), "one-success-type", k));
            }
        }
    }
    // One error type: `default` if it is still there (it is both), else the most common typed kind.
    let errors: Vec<&String> = codes.iter().filter(|c| is_error(c)).collect();
    let error_kind = if responses.contains_key("default") {
        Some(kind_of(&"default".to_string()))
    } else {
        let mut tally: Vec<(String, usize, usize)> = Vec::new();
        for (i, c) in errors.iter().enumerate() {
            let k = kind_of(c);
            match tally.iter_mut().find(|(t, _, _)| *t == k) {
                Some(entry) => entry.1 += 1,
                None => tally.push((k, 1, i)),
            }
        }
        tally
            .iter()
            .max_by(|a, b| {
                (a.0.starts_with("json:"), a.1, std::cmp::Reverse(a.2)).cmp(&(
                    b.0.starts_with("json:"),
                    b.1,
                    std::cmp::Reverse(b.2),
                ))
            })
            .map(|t| t.0.clone())
    };
    if let Some(keep) = &error_kind {
        for c in &errors {
            let k = kind_of(c);
            if &k != keep && *c != "default" {
                drop.push(((*c).clone(), "one-error-type", k));
            }
        }
    }
    // progenitor can type one success and one error body; the others are recorded for the generated
    // client's own by-status decoding (`x-invent-responses`, see `hoist_typed_responses`) and only then
    // removed from what progenitor sees. Upgrades stay as they were: a socket is not a body.
    let typed_elsewhere = !drop.is_empty() && !kinds.values().any(|k| k == "upgrade");
    if typed_elsewhere {
        let mut classes = Map::new();
        for (class, rule, members) in [("success", "one-success-type", &success), ("errors", "one-error-type", &errors)]
        {
            if drop.iter().any(|(_, r, _)| *r == rule) {
                let entries =
                    members.iter().map(|c| typed_response_entry(c, &kind_of(c), responses.get(c.as_str()))).collect();
                classes.insert(class.into(), Value::Array(entries));
            }
        }
        op.insert(TYPED_RESPONSES.into(), Value::Object(classes));
        let Some(Value::Object(responses)) = op.get_mut("responses") else { return };
        for (code, _, _) in &drop {
            if responses.shift_remove(code).is_some() {
                report.count("typed-responses");
            }
        }
        return;
    }
    for (code, rule, kind) in drop {
        if responses.shift_remove(&code).is_some() {
            let class = if rule == "one-success-type" { "success" } else { "error" };
            report.drop_response(
                &join(&rptr, &code),
                rule,
                format!(
                    "`{code}` ({}) dropped: progenitor allows one {class} type per operation; it arrives as `Error::UnexpectedResponse`",
                    describe(&kind)
                ),
            );
        }
    }
}

/// Extension on operations whose responses progenitor cannot type on its own: `{"success": [...],
/// "errors": [...]}`, each present when that class has more than one kind of body, listing its responses
/// in status order (`status`, `kind` = `json` | `none` | `raw`, `schema` for JSON). Read by the
/// generator (`rewrite::responses`), which types them by status.
pub const TYPED_RESPONSES: &str = "x-invent-responses";

fn typed_response_entry(code: &str, kind: &str, response: Option<&Value>) -> Value {
    let mut entry = Map::new();
    entry.insert("status".into(), Value::String(code.to_string()));
    let content = response.and_then(|r| r.get("content")).and_then(Value::as_object);
    let short = if kind.starts_with("json:") { "json" } else { kind };
    entry.insert("kind".into(), Value::String(short.to_string()));
    if short == "json" {
        let schema = content.and_then(|c| c.get("application/json")).and_then(|m| m.get("schema"));
        entry.insert("schema".into(), schema.cloned().unwrap_or_else(|| Value::Object(Map::new())));
    }
    if let Some(description) = response.and_then(|r| r.get("description")).and_then(Value::as_str) {
        entry.insert("description".into(), Value::String(description.to_string()));
    }
    Value::Object(entry)
}

/// Moves every inline JSON schema of a typed-responses operation into `components/schemas`
/// (`<OperationId>Response<status>`), so typify generates a type for it whatever progenitor sees,
/// and points both the extension and the response progenitor keeps at that component.
fn hoist_typed_responses(doc: &mut Value, report: &mut Report) {
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| walk::ident_key(k)).collect())
        .unwrap_or_default();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for m in walk::METHODS {
            let Some(Value::Object(op)) = item.get_mut(m) else { continue };
            let op_id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string();
            let Some(Value::Object(classes)) = op.get_mut(TYPED_RESPONSES) else { continue };
            let mut refs: BTreeMap<String, Value> = BTreeMap::new();
            // Equal inline schemas share one component: responses progenitor keeps because they have
            // the same body must stay one type.
            let mut by_schema: BTreeMap<String, Value> = BTreeMap::new();
            for entry in classes.values_mut().filter_map(Value::as_array_mut).flatten() {
                let status = entry.get("status").and_then(Value::as_str).unwrap_or_default().to_string();
                let Some(schema) = entry.get_mut("schema") else { continue };
                let is_plain_ref = schema.as_object().is_some_and(|s| s.len() == 1 && s.contains_key("$ref"));
                if !is_plain_ref {
                    let text = schema.to_string();
                    let reference = match by_schema.get(&text) {
                        Some(reference) => reference.clone(),
                        None => {
                            let key = walk::unique_name(
                                &format!("{}Response{}", walk::pascal(&op_id), walk::pascal(&status)),
                                &mut taken,
                            );
                            hoisted.push((key.clone(), schema.clone()));
                            report.count("typed-responses-hoist");
                            let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{key}") });
                            by_schema.insert(text, reference.clone());
                            reference
                        }
                    };
                    *schema = reference;
                }
                if let (Some(status), Some(schema)) = (entry.get("status").and_then(Value::as_str), entry.get("schema"))
                {
                    refs.insert(status.to_string(), schema.clone());
                }
            }
            // The responses progenitor still sees use the same components (no second inline type).
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for (status, r) in responses.iter_mut() {
                    let (Some(schema), Some(media)) = (refs.get(status), r.pointer_mut("/content/application~1json"))
                    else {
                        continue;
                    };
                    if let Some(media) = media.as_object_mut() {
                        media.insert("schema".into(), schema.clone());
                    }
                }
            }
        }
    }
    if hoisted.is_empty() {
        return;
    }
    let schemas = doc
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut)
        .map(|c| c.entry("schemas").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut);
    if let Some(schemas) = schemas {
        schemas.extend(hoisted);
    }
}

/// Points the binary properties of multipart bodies (`type: string, format: binary`, or arrays of them)
/// at one placeholder component marked [`FILE_PART`], which the generator replaces with the crate's
/// file-part type. Bodies given by `$ref` are changed in their component.
fn mark_file_parts(doc: &mut Value, report: &mut Report) {
    let mut bodies: Vec<String> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in walk::METHODS {
                if item.get(m).and_then(|op| op.get(MULTIPART_BODY)).is_none() {
                    continue;
                }
                // Follow `$ref`s to the object whose properties are the parts.
                let mut target =
                    format!("{}/requestBody/content/application~1json/schema", join(&join("/paths", path), m));
                for _ in 0..8 {
                    match doc.pointer(&target).and_then(|s| s.get("$ref")).and_then(Value::as_str) {
                        Some(r) if r.starts_with("#/") => target = r[1..].to_string(),
                        _ => break,
                    }
                }
                bodies.push(target);
            }
        }
    }
    let key = unique_component_key(doc, "InventFilePart");
    let file_ref = serde_json::json!({ "$ref": format!("#/components/schemas/{key}") });
    let mut replaced = 0;
    for target in bodies {
        let Some(schema) = doc.pointer_mut(&target) else { continue };
        replaced += file_part_properties(schema, &file_ref);
    }
    if replaced == 0 {
        return;
    }
    report.count_n("multipart-file-part", replaced);
    let placeholder = serde_json::json!({
        "type": "object",
        "description": "A file sent as one part of a multipart body (bytes or a stream, with a file name and content type).",
        FILE_PART: true,
    });
    if let Some(schemas) = doc
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut)
        .map(|c| c.entry("schemas").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut)
    {
        schemas.insert(key, placeholder);
    }
}

/// Replaces the binary properties of an object schema (and of its `allOf` members); returns how many.
fn file_part_properties(schema: &mut Value, file_ref: &Value) -> usize {
    let mut n = 0;
    if let Some(Value::Array(members)) = schema.get_mut("allOf") {
        for member in members {
            n += file_part_properties(member, file_ref);
        }
    }
    let Some(Value::Object(properties)) = schema.get_mut("properties") else { return n };
    for property in properties.values_mut() {
        let binary = |s: &Value| s.get("format").and_then(Value::as_str) == Some("binary");
        let nullable = property.get("nullable").cloned();
        let replacement = if binary(property) {
            file_ref.clone()
        } else if property.get("type").and_then(Value::as_str) == Some("array")
            && property.get("items").is_some_and(binary)
        {
            serde_json::json!({ "type": "array", "items": file_ref })
        } else {
            continue;
        };
        *property = match nullable {
            Some(Value::Bool(true)) => serde_json::json!({ "allOf": [replacement], "nullable": true }),
            _ => replacement,
        };
        n += 1;
    }
    n
}

fn unique_component_key(doc: &Value, base: &str) -> String {
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| walk::ident_key(k)).collect())
        .unwrap_or_default();
    walk::unique_name(base, &mut taken)
}

/// progenitor generates a WebSocket upgrade (`ResponseValue<reqwest::Upgraded>`, with the handshake
/// headers) for operations marked `x-dropshot-websocket` that declare a `101`. A GET whose only success
/// response is `101 Switching Protocols` is marked (rule `websocket-upgrade`); a body declared on the
/// `101` is removed, since progenitor would try to decode the upgrade as JSON. A mark on an operation
/// without a `101` is removed (progenitor refuses it).
fn websocket_upgrade(
    op: &mut Map<String, Value>,
    op_ptr: &str,
    method: &str,
    declared: &[String],
    report: &mut Report,
) {
    const MARK: &str = "x-dropshot-websocket";
    let has_101 = status_codes(op).iter().any(|c| c == "101");
    // `default` next to a `101` stands for the errors.
    let other_success = declared.iter().any(|c| c.starts_with('2'));
    if !has_101 {
        if op.shift_remove(MARK).is_some() {
            report.note(op_ptr, "websocket-upgrade", format!("`{MARK}` without a `101` response; removed"));
        }
        return;
    }
    if other_success {
        return;
    }
    if method != "get" {
        report.note(
            op_ptr,
            "websocket-upgrade",
            format!("`101` on a {method} operation is not a WebSocket; not marked"),
        );
        return;
    }
    let rptr = join(&join(op_ptr, "responses"), "101");
    if let Some(Value::Object(r)) = op.get_mut("responses").and_then(|r| r.get_mut("101")) {
        if r.shift_remove("content").is_some() {
            report.note(
                &rptr,
                "websocket-upgrade",
                "body of the `101` removed: the response is the upgraded connection",
            );
        }
    }
    op.insert(MARK.into(), Value::Object(Map::new()));
    report.count("websocket-upgrade");
}

/// The status codes an operation declares (`200`, `4XX`, `default`, ...).
fn status_codes(op: &Map<String, Value>) -> Vec<String> {
    op.get("responses")
        .and_then(Value::as_object)
        .map(|r| r.keys().filter(|k| !k.starts_with("x-")).cloned().collect())
        .unwrap_or_default()
}

/// Unique operationIds: existing ones kept unless they collide with an earlier one once progenitor
/// snake_cases them (`duplicate-operation-id`); missing ones synthesized from method + path
/// (`synthesize-operation-id`), e.g. `GET /orgs/{org_id}/items` → `getOrgsByOrgIdItems`.
fn operation_ids(paths: &mut Map<String, Value>, report: &mut Report) {
    let mut taken: BTreeSet<String> = RESERVED_IDS.iter().map(|s| walk::ident_key(s)).collect();
    let mut missing: Vec<(String, &'static str)> = Vec::new();
    for (path, item) in paths.iter_mut() {
        if !path.starts_with('/') {
            continue;
        }
        for m in walk::METHODS {
            let Some(Value::Object(op)) = item.get_mut(m) else { continue };
            let id = op.get("operationId").and_then(Value::as_str).map(str::to_string);
            match id {
                Some(id) if !walk::ident_key(&id).is_empty() => {
                    let unique = walk::unique_name(&id, &mut taken);
                    if unique != id {
                        let ptr = join(&join(&join("/paths", path), m), "operationId");
                        report.note(&ptr, "duplicate-operation-id", format!("operationId `{id}` collides with an earlier operationId or a `Client` method; renamed `{unique}`"));
                        op.insert("operationId".into(), Value::String(unique));
                    }
                }
                _ => missing.push((path.clone(), m)),
            }
        }
    }
    for (path, m) in missing {
        let id = walk::unique_name(&synthesize_id(m, &path), &mut taken);
        if let Some(Value::Object(op)) = paths.get_mut(&path).and_then(|item| item.get_mut(m)) {
            op.insert("operationId".into(), Value::String(id));
            report.count("synthesize-operation-id");
        }
    }
}

/// `get` + PascalCase path segments, `{x}` → `ByX`.
pub fn synthesize_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                id.push_str("By");
                id.push_str(&walk::pascal(param));
            }
            None => id.push_str(&walk::pascal(seg)),
        }
    }
    if id == method {
        id.push_str("Root");
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(paths: Value) -> (Value, Report) {
        run_with(paths, json!({}))
    }

    fn run_with(paths: Value, schemas: Value) -> (Value, Report) {
        let mut doc = json!({"paths": paths, "components": {"schemas": schemas}});
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        (doc["paths"].clone(), r)
    }

    #[test]
    fn operation_ids_are_synthesized_and_deduplicated() {
        let (paths, r) = run(json!({
            "/orgs/{org_id}/items": {"get": {"responses": {}}, "post": {"operationId": "get_foo", "responses": {}}},
            "/foo": {"get": {"operationId": "getFoo", "responses": {}}, "put": {"operationId": "new", "responses": {}}}
        }));
        assert_eq!(paths["/orgs/{org_id}/items"]["get"]["operationId"], "getOrgsByOrgIdItems");
        assert_eq!(paths["/orgs/{org_id}/items"]["post"]["operationId"], "get_foo");
        assert_eq!(paths["/foo"]["get"]["operationId"], "getFoo2");
        assert_eq!(paths["/foo"]["put"]["operationId"], "new2");
        assert_eq!(r.rule_count("synthesize-operation-id"), 1);
        assert_eq!(r.rule_count("duplicate-operation-id"), 2);
        assert_eq!(synthesize_id("delete", "/"), "deleteRoot");
    }

    #[test]
    fn default_becomes_4xx_5xx_and_other_body_types_are_typed_by_status() {
        let (paths, r) = run(json!({"/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "", "content": {"application/json": {"schema": {"type": "string"}}}},
            "204": {"description": ""},
            "400": {"description": "", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/E"}}}},
            "401": {"description": ""},
            "404": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
            "default": {"description": "", "content": {"application/json": {}}}}}}}));
        let op = &paths["/a"]["get"];
        // progenitor sees one success and one error type; the 200's inline schema became a component.
        assert_eq!(
            op["responses"],
            json!({
                "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AResponse200"}}}},
                "400": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
                "404": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}
            })
        );
        // Every response is still there for the generator, by status.
        let statuses = |class: &str| -> Vec<String> {
            op[TYPED_RESPONSES][class]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["status"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(statuses("success"), ["200", "204"]);
        assert_eq!(statuses("errors"), ["400", "401", "404", "4XX", "5XX"]);
        assert_eq!(op[TYPED_RESPONSES]["errors"][1]["kind"], "none");
        // `4XX` and `5XX` (both the former `default`) have one body schema: one component.
        assert_eq!(op[TYPED_RESPONSES]["errors"][3]["schema"], json!({"$ref": "#/components/schemas/AResponse4XX"}));
        assert_eq!(op[TYPED_RESPONSES]["errors"][4]["schema"], json!({"$ref": "#/components/schemas/AResponse4XX"}));
        assert!(r.dropped_responses().is_empty(), "{}", r.to_text());
        assert_eq!(r.rule_count("typed-responses"), 4);
        assert_eq!(r.rule_count("typed-responses-hoist"), 2);
        assert_eq!(r.rule_count("default-response"), 1);
    }

    #[test]
    fn default_alone_stays_and_the_other_error_is_typed() {
        let (paths, r) = run(json!({"/a": {"get": {"operationId": "a", "responses": {
            "default": {"description": "", "content": {"application/json": {"schema": {"type": "string"}}}},
            "404": {"description": ""}}}}}));
        let op = &paths["/a"]["get"];
        assert_eq!(
            op["responses"],
            json!({"default": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AResponseDefault"}}}}})
        );
        assert_eq!(op[TYPED_RESPONSES]["errors"].as_array().map(Vec::len), Some(2));
        assert!(op[TYPED_RESPONSES].get("success").is_none());
        assert!(r.dropped_responses().is_empty());
    }

    #[test]
    fn one_request_media_type() {
        let (paths, r) = run(json!({"/a": {
            "post": {"operationId": "a", "responses": {}, "requestBody": {"content": {
                "multipart/form-data": {"schema": {}},
                "application/merge-patch+json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}},
            "put": {"operationId": "b", "responses": {}, "requestBody": {"content": {
                "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "image/png", "description": "d"}}}}},
            "patch": {"operationId": "c", "responses": {}, "requestBody": {"content": {"multipart/form-data": {
                "encoding": {"meta": {"contentType": "application/json"}}}}}}}}));
        assert_eq!(
            paths["/a"]["post"]["requestBody"],
            json!({"content": {"application/json": {"schema": {"type": "object"}}}})
        );
        assert_eq!(
            paths["/a"]["put"]["requestBody"],
            json!({"content": {"application/octet-stream": {"schema": {"type": "string", "description": "d", "format": "binary"}}}})
        );
        // A multipart-only body is kept: typed as JSON for typify, sent as multipart by the generator.
        assert_eq!(
            paths["/a"]["patch"]["requestBody"],
            json!({"content": {"application/json": {"schema": {"type": "object"}}}})
        );
        assert_eq!(paths["/a"]["patch"][MULTIPART_BODY], json!({"encoding": {"meta": "application/json"}}));
        assert!(r.dropped_operations().is_empty());
        assert!(r.rule_count("request-media-type") >= 2);
        assert_eq!(r.rule_count("multipart-body"), 1);
    }

    #[test]
    fn binary_properties_of_multipart_bodies_become_file_parts() {
        let mut doc = json!({
            "paths": {"/up": {"post": {"operationId": "up", "responses": {}, "requestBody": {"content": {
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Body"}}}}}}},
            "components": {"schemas": {"Body": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "maybe": {"type": "string", "format": "binary", "nullable": true},
                "name": {"type": "string"}}}}}
        });
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        let props = &doc["components"]["schemas"]["Body"]["properties"];
        let file = json!({"$ref": "#/components/schemas/InventFilePart"});
        assert_eq!(props["file"], file);
        assert_eq!(props["files"], json!({"type": "array", "items": file}));
        assert_eq!(props["maybe"], json!({"allOf": [file], "nullable": true}));
        assert_eq!(props["name"], json!({"type": "string"}));
        assert_eq!(doc["components"]["schemas"]["InventFilePart"][FILE_PART], true);
        assert_eq!(r.rule_count("multipart-file-part"), 3);
    }

    #[test]
    fn parameters_progenitor_cannot_render() {
        let (paths, r) = run_with(
            json!({"/a/{id}/{obj}": {
            "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer", "nullable": true}}],
            "get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                {"name": "o", "in": "query", "schema": {"$ref": "#/components/schemas/O"}},
                {"name": "id", "in": "query", "schema": {"type": "string"}},
                {"name": "tags", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}},
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
                {"name": "filter", "in": "query", "required": false,
                 "schema": {"type": "object", "additionalProperties": true}, DEEP_OBJECT_MAP: true},
                {"name": "o", "in": "query", "schema": {"type": "object", "additionalProperties": true}},
                {"name": "tags", "in": "header", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "obj", "in": "path", "required": true, "schema": {"type": "string"}}
            ])
        );
        for rule in [
            "reserved-header",
            "cookie-parameter",
            "deep-object-map",
            "object-query-form",
            "shadowing-parameter",
            "parameter-type",
            "parameter-name-collision",
            "path-parameter",
            "missing-path-parameter",
            "nullable-parameter",
            "path-parameters",
        ] {
            assert!(r.rule_count(rule) > 0, "{rule}: {}", r.to_text());
        }
        // Dropped: the cookie, the shadowing `id` and the colliding `Q` (the free-form deepObject is sent
        // from a map). Left out without loss: `Authorization` (OpenAPI ignores it) and `gone` (not in
        // the template).
        let dropped: Vec<&str> = r.dropped_parameters().iter().map(|n| n.rule.as_str()).collect();
        assert_eq!(dropped, ["cookie-parameter", "shadowing-parameter", "parameter-name-collision"]);
    }

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

    #[test]
    fn a_101_as_the_only_success_is_a_websocket() {
        let (paths, r) = run(json!({
            "/ws": {"get": {"operationId": "ws", "responses": {
                "101": {"description": "up", "content": {"application/json": {"schema": {"type": "object"}}}},
                "default": {"description": "", "content": {"application/json": {"schema": {}}}}}}},
            "/both": {"get": {"operationId": "both", "responses": {"101": {"description": ""}, "200": {"description": ""}}}},
            "/post": {"post": {"operationId": "post", "responses": {"101": {"description": ""}}}},
            "/stale": {"get": {"operationId": "stale", "x-dropshot-websocket": {}, "responses": {"200": {"description": ""}}}}
        }));
        let ws = &paths["/ws"]["get"];
        assert_eq!(ws["x-dropshot-websocket"], json!({}));
        assert_eq!(ws["responses"]["101"], json!({"description": "up"}));
        assert!(ws["responses"].get("4XX").is_some(), "errors stay: {ws}");
        for other in ["/both", "/post", "/stale"] {
            let op = paths[other].as_object().and_then(|i| i.values().next()).cloned().unwrap_or_default();
            assert!(op.get("x-dropshot-websocket").is_none(), "{other}: {op}");
        }
        assert_eq!(r.rule_count("websocket-upgrade"), 4, "{}", r.to_text());
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

    #[test]
    fn invalid_templates_drop_the_operations() {
        let (paths, r) = run(json!({"/a/{b": {"get": {"responses": {}}}}));
        assert_eq!(paths, json!({"/a/{b": {}}));
        assert_eq!(r.dropped_operations().len(), 1);
        assert_eq!(template_names("/a/{b}/c/{d}"), Some(vec!["b".to_string(), "d".to_string()]));
        assert_eq!(template_names("/a}"), None);
    }
}
