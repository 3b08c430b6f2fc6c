//! The checked-in overrides file, applied to the published spec *before* lowering, so fixes to the API
//! description never mean editing generated code. Entries that no longer match anything (because the
//! real spec changed) are skipped with a note, never an error; a malformed overrides file is an error.
//!
//! Format (JSON; every member optional, unknown members are an error):
//!
//! ```json
//! {
//!   "$comment": "free text, ignored",
//!   "patches": [
//!     {"op": "replace", "path": "/info/title", "value": "Invent"},
//!     {"op": "add", "path": "/components/schemas/Item/properties/tags", "value": {"type": "array"}},
//!     {"op": "remove", "path": "/paths/~1debug"}
//!   ],
//!   "operationIds": {"GET /orgs/{org_id}/items": "listItems"},
//!   "queryParameters": {"page": {"type": "integer", "format": "uint32"}},
//!   "operationExtensions": {"POST /orgs/{org_id}/assistants": {"x-invent-quota": "assistant-creations"}},
//!   "schemaNames": {"Error": "ErrorBody"}
//! }
//! ```
//!
//! Applied in this order:
//! 1. `patches`: RFC 6902 `add` / `replace` / `remove` with RFC 6901 pointers. `add` needs the parent to
//!    exist (`-` appends to an array); `replace`/`remove` need the target. Otherwise the patch is skipped
//!    with a note (rule `override-unmatched`).
//! 2. `operationIds`: `"METHOD /path"` → operationId, set when that operation exists (note otherwise).
//! 3. `queryParameters`: parameter name → schema replacing the schema (or `content`) of every query
//!    parameter of that name: path items, operations and `components.parameters`. Use it to type
//!    `page`/`take` as `{"type": "integer", "format": "uint32"}`; avoid `minimum` (typify turns
//!    `minimum: 1` into `NonZero` types).
//! 4. `operationExtensions`: `"METHOD /path"` → `x-` members added to that operation, e.g.
//!    `{"x-invent-quota": "assistant-creations"}` (the quota the generated `OperationSpec` names).
//! 5. `schemaNames`: old name → new name of a schema in `components.schemas`; the schema moves and every
//!    `$ref` to it (or into it) follows, so the generated type takes the new name. A schema that is
//!    absent, or a new name already taken, is skipped with a note.

use serde_json::{Map, Value};

use crate::lower::walk::{self, METHODS};
use crate::pointer::join;
use crate::{Report, SpecError};

const RULE: &str = "overrides";
const UNMATCHED: &str = "override-unmatched";

/// A parsed overrides file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub patches: Vec<Patch>,
    /// `(METHOD, path, operationId)` in file order.
    pub operation_ids: Vec<(String, String, String)>,
    /// `(parameter name, schema)` in file order.
    pub query_parameters: Vec<(String, Value)>,
    /// `(METHOD, path, extensions)`: `x-` members added to that operation (e.g. `x-invent-quota`).
    pub operation_extensions: Vec<(String, String, Map<String, Value>)>,
    /// `(old, new)` schema names in file order.
    pub schema_names: Vec<(String, String)>,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    Add { path: String, value: Value },
    Replace { path: String, value: Value },
    Remove { path: String },
}

impl Overrides {
    /// Parses the JSON text of an overrides file.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| SpecError::at_root(RULE, format!("overrides file is not JSON: {e}")))?;
        Self::from_value(&v)
    }

    pub fn from_value(v: &Value) -> Result<Self, SpecError> {
        let Some(root) = v.as_object() else {
            return Err(SpecError::at_root(RULE, "overrides must be a JSON object"));
        };
        let mut out = Overrides::default();
        for (key, value) in root {
            let ptr = join("", key);
            match key.as_str() {
                "$comment" | "description" => {}
                "patches" => {
                    let Some(list) = value.as_array() else {
                        return Err(SpecError::new(ptr, RULE, "`patches` must be a list"));
                    };
                    for (i, p) in list.iter().enumerate() {
                        out.patches.push(parse_patch(p, &format!("{ptr}/{i}"))?);
                    }
                }
                "operationIds" => {
                    let Some(map) = value.as_object() else {
                        return Err(SpecError::new(ptr, RULE, "`operationIds` must be an object"));
                    };
                    for (k, id) in map {
                        let eptr = join(&ptr, k);
                        let (method, path) = parse_operation_key(k)
                            .ok_or_else(|| SpecError::new(&*eptr, RULE, format!("`{k}` is not `METHOD /path`")))?;
                        let Some(id) = id.as_str().filter(|s| !walk::ident_key(s).is_empty()) else {
                            return Err(SpecError::new(eptr, RULE, "operationId must be a non-empty string"));
                        };
                        out.operation_ids.push((method, path, id.to_string()));
                    }
                }
                "queryParameters" => {
                    let Some(map) = value.as_object() else {
                        return Err(SpecError::new(ptr, RULE, "`queryParameters` must be an object"));
                    };
                    for (name, schema) in map {
                        if !schema.is_object() {
                            return Err(SpecError::new(join(&ptr, name), RULE, "the schema must be an object"));
                        }
                        out.query_parameters.push((name.clone(), schema.clone()));
                    }
                }
                "operationExtensions" => {
                    let Some(map) = value.as_object() else {
                        return Err(SpecError::new(ptr, RULE, "`operationExtensions` must be an object"));
                    };
                    for (k, members) in map {
                        let eptr = join(&ptr, k);
                        let (method, path) = parse_operation_key(k)
                            .ok_or_else(|| SpecError::new(&*eptr, RULE, format!("`{k}` is not `METHOD /path`")))?;
                        let Some(members) = members.as_object() else {
                            return Err(SpecError::new(eptr, RULE, "the extensions must be an object"));
                        };
                        if let Some(bad) = members.keys().find(|m| !m.starts_with("x-")) {
                            return Err(SpecError::new(
                                join(&eptr, bad),
                                RULE,
                                format!("`{bad}` is not an `x-` extension"),
                            ));
                        }
                        out.operation_extensions.push((method, path, members.clone()));
                    }
                }
                "schemaNames" => {
                    let Some(map) = value.as_object() else {
                        return Err(SpecError::new(ptr, RULE, "`schemaNames` must be an object"));
                    };
                    for (old, new) in map {
                        let Some(new) = new.as_str().filter(|n| is_schema_name(n)) else {
                            return Err(SpecError::new(
                                join(&ptr, old),
                                RULE,
                                "the new name must be a non-empty string of letters, digits, `.`, `-` or `_`",
                            ));
                        };
                        out.schema_names.push((old.clone(), new.to_string()));
                    }
                }
                other => {
                    return Err(SpecError::new(
                        ptr,
                        RULE,
                        format!(
                            "unknown member `{other}` (expected patches, operationIds, queryParameters, operationExtensions, schemaNames)"
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Applies the overrides to `doc`. Entries that match nothing are noted, not errors.
    pub fn apply(&self, doc: &mut Value) -> Report {
        let mut report = Report::new();
        for (i, p) in self.patches.iter().enumerate() {
            apply_patch(doc, p, i, &mut report);
        }
        for (method, path, extensions) in &self.operation_extensions {
            match operation_mut(doc, method, path) {
                Some(op) => {
                    op.extend(extensions.clone());
                    report.count("override-operation-extension");
                }
                None => report.note(
                    &join("/operationExtensions", &format!("{method} {path}")),
                    UNMATCHED,
                    format!("no operation `{method} {path}`; its extensions not applied"),
                ),
            }
        }
        for (method, path, id) in &self.operation_ids {
            match operation_mut(doc, method, path) {
                Some(op) => {
                    op.insert("operationId".into(), Value::String(id.clone()));
                    report.count("override-operation-id");
                }
                None => report.note(
                    &join("/operationIds", &format!("{method} {path}")),
                    UNMATCHED,
                    format!("no operation `{method} {path}`; operationId `{id}` not applied"),
                ),
            }
        }
        for (name, schema) in &self.query_parameters {
            let n = retype_query_parameter(doc, name, schema);
            if n == 0 {
                report.note(&join("/queryParameters", name), UNMATCHED, format!("no query parameter `{name}`"));
            } else {
                report.count_n("override-query-parameter", n);
            }
        }
        for (old, new) in &self.schema_names {
            match rename_schema(doc, old, new) {
                Ok(refs) => report.count_n("override-schema-name", 1 + refs),
                Err(why) => report.note(&join("/schemaNames", old), UNMATCHED, why),
            }
        }
        report
    }
}

/// The document's path equal to `path`, or else the only one with the same shape once parameter names
/// are ignored (`/orgs/{orgId}/x` for `/orgs/{org_id}/x`).
fn matching_path(doc: &Value, path: &str) -> Option<String> {
    let paths = doc.get("paths")?.as_object()?;
    if paths.contains_key(path) {
        return Some(path.to_string());
    }
    let shape = walk::path_shape(path);
    let mut same = paths.keys().filter(|p| walk::path_shape(p) == shape);
    match (same.next(), same.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

/// Parses `value` as an overrides file and applies it to `doc`.
/// The operation `METHOD path` of `doc`. The published spec may name path parameters differently
/// (`{orgId}`), so paths match on their shape.
fn operation_mut<'d>(doc: &'d mut Value, method: &str, path: &str) -> Option<&'d mut Map<String, Value>> {
    let actual = matching_path(doc, path);
    doc.get_mut("paths")
        .and_then(|p| p.get_mut(actual.as_deref().unwrap_or(path)))
        .and_then(|item| item.get_mut(method.to_ascii_lowercase().as_str()))
        .and_then(Value::as_object_mut)
}

pub fn apply(doc: &mut Value, overrides: &Value) -> Result<Report, SpecError> {
    Ok(Overrides::from_value(overrides)?.apply(doc))
}

fn parse_operation_key(k: &str) -> Option<(String, String)> {
    let (method, path) = k.trim().split_once(' ')?;
    let method = method.to_ascii_uppercase();
    let path = path.trim();
    (METHODS.contains(&method.to_ascii_lowercase().as_str()) && path.starts_with('/'))
        .then(|| (method, path.to_string()))
}

fn parse_patch(p: &Value, ptr: &str) -> Result<Patch, SpecError> {
    let op = p.get("op").and_then(Value::as_str);
    let Some(path) = p.get("path").and_then(Value::as_str) else {
        return Err(SpecError::new(ptr, RULE, "a patch needs a string `path`"));
    };
    if walk::parse_pointer(path).is_none() {
        return Err(SpecError::new(join(ptr, "path"), RULE, format!("`{path}` is not a JSON pointer")));
    }
    let path = path.to_string();
    let value = || p.get("value").cloned().ok_or_else(|| SpecError::new(ptr, RULE, "`add`/`replace` need a `value`"));
    Ok(match op {
        Some("add") => Patch::Add { path, value: value()? },
        Some("replace") => Patch::Replace { path, value: value()? },
        Some("remove") => Patch::Remove { path },
        _ => return Err(SpecError::new(join(ptr, "op"), RULE, "`op` must be `add`, `replace` or `remove`")),
    })
}

fn apply_patch(doc: &mut Value, patch: &Patch, i: usize, report: &mut Report) {
    let (path, op) = match patch {
        Patch::Add { path, .. } => (path, "add"),
        Patch::Replace { path, .. } => (path, "replace"),
        Patch::Remove { path } => (path, "remove"),
    };
    let applied = try_patch(doc, patch);
    if applied {
        report.count("override-patch");
    } else {
        report.note(&format!("/patches/{i}"), UNMATCHED, format!("`{op} {path}`: target does not exist; skipped"));
    }
}

fn try_patch(doc: &mut Value, patch: &Patch) -> bool {
    let path = match patch {
        Patch::Add { path, .. } | Patch::Replace { path, .. } | Patch::Remove { path } => path,
    };
    let Some(mut tokens) = walk::parse_pointer(path) else { return false };
    let Some(last) = tokens.pop() else {
        // The whole document.
        return match patch {
            Patch::Add { value, .. } | Patch::Replace { value, .. } => {
                *doc = value.clone();
                true
            }
            Patch::Remove { .. } => false,
        };
    };
    let Some(parent) = walk::get_mut(doc, &tokens) else { return false };
    match (parent, patch) {
        (Value::Object(m), Patch::Add { value, .. }) => {
            m.insert(last, value.clone());
            true
        }
        (Value::Object(m), Patch::Replace { value, .. }) => match m.get_mut(&last) {
            Some(slot) => {
                *slot = value.clone();
                true
            }
            None => false,
        },
        (Value::Object(m), Patch::Remove { .. }) => m.shift_remove(&last).is_some(),
        (Value::Array(a), Patch::Add { value, .. }) => {
            let idx = if last == "-" { Some(a.len()) } else { last.parse::<usize>().ok().filter(|i| *i <= a.len()) };
            match idx {
                Some(i) => {
                    a.insert(i, value.clone());
                    true
                }
                None => false,
            }
        }
        (Value::Array(a), Patch::Replace { value, .. }) => {
            match last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(slot) => {
                    *slot = value.clone();
                    true
                }
                None => false,
            }
        }
        (Value::Array(a), Patch::Remove { .. }) => match last.parse::<usize>().ok().filter(|i| *i < a.len()) {
            Some(i) => {
                a.remove(i);
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Replaces the schema of every query parameter named `name`; returns how many were changed.
fn retype_query_parameter(doc: &mut Value, name: &str, schema: &Value) -> usize {
    let mut n = 0;
    let mut fix = |p: &mut Value| {
        let is_it =
            p.get("in").and_then(Value::as_str) == Some("query") && p.get("name").and_then(Value::as_str) == Some(name);
        if let (true, Some(obj)) = (is_it, p.as_object_mut()) {
            obj.remove("content");
            obj.insert("schema".into(), schema.clone());
            n += 1;
        }
    };
    if let Some(Value::Object(params)) = doc.pointer_mut("/components/parameters") {
        params.values_mut().for_each(&mut fix);
    }
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (key, value) in item.iter_mut() {
                let list = if key == "parameters" {
                    Some(value)
                } else if METHODS.contains(&key.as_str()) {
                    value.get_mut("parameters")
                } else {
                    None
                };
                if let Some(Value::Array(list)) = list {
                    list.iter_mut().for_each(&mut fix);
                }
            }
        }
    }
    n
}

/// The component-name rule of OpenAPI (`^[a-zA-Z0-9.\-_]+$`).
fn is_schema_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Moves `components.schemas.<old>` to `<new>` (same position) and points every `$ref` to it, or into
/// it, at the new name. Returns how many references changed, or why nothing was done.
fn rename_schema(doc: &mut Value, old: &str, new: &str) -> Result<usize, String> {
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return Err(format!("no components.schemas; schema `{old}` not renamed"));
    };
    if !schemas.contains_key(old) {
        return Err(format!("no schema `{old}`; not renamed to `{new}`"));
    }
    if old != new && schemas.contains_key(new) {
        return Err(format!("schema `{new}` already exists; `{old}` not renamed"));
    }
    let renamed: Map<String, Value> = std::mem::take(schemas)
        .into_iter()
        .map(|(name, schema)| if name == old { (new.to_string(), schema) } else { (name, schema) })
        .collect();
    *schemas = renamed;
    let from = join("/components/schemas", old);
    let to = join("/components/schemas", new);
    Ok(retarget_refs(doc, &format!("#{from}"), &format!("#{to}")))
}

/// Rewrites every `$ref` equal to `from` or starting with `from/`; returns how many.
fn retarget_refs(value: &mut Value, from: &str, to: &str) -> usize {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(key, child)| match child {
                Value::String(target) if key == "$ref" => {
                    let rest = target.strip_prefix(from).filter(|rest| rest.is_empty() || rest.starts_with('/'));
                    match rest {
                        Some(rest) => {
                            *target = format!("{to}{rest}");
                            1
                        }
                        None => 0,
                    }
                }
                other => retarget_refs(other, from, to),
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(|item| retarget_refs(item, from, to)).sum(),
        _ => 0,
    }
}

/// An empty overrides document (`{}`), for callers that have none.
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/orgs/{org_id}/items": {
                "parameters": [{"name": "take", "in": "query", "schema": {"type": "number"}}],
                "get": {"parameters": [{"name": "page", "in": "query", "schema": {"type": "number"}},
                                       {"$ref": "#/components/parameters/Take"}],
                        "responses": {}}}},
            "components": {"parameters": {"Take": {"name": "take", "in": "query", "schema": {"type": "number"}}}}
        })
    }

    #[test]
    fn operation_ids_query_parameters_and_patches_apply() {
        let mut d = doc();
        let o = json!({
            "$comment": "test",
            "patches": [
                {"op": "replace", "path": "/info/title", "value": "Invent"},
                {"op": "add", "path": "/info/x-a", "value": [1]},
                {"op": "add", "path": "/info/x-a/-", "value": 2},
                {"op": "remove", "path": "/info/x-a/0"},
                {"op": "remove", "path": "/paths/~1gone"},
                {"op": "add", "path": "/nope/deeper", "value": 1}
            ],
            "operationIds": {"GET /orgs/{org_id}/items": "listItems", "post /orgs/{org_id}/items": "createItem"},
            "queryParameters": {"page": {"type": "integer", "format": "uint32"}, "take": {"type": "integer"}, "q": {}}
        });
        let r = apply(&mut d, &o).unwrap();
        assert_eq!(d["info"], json!({"title": "Invent", "version": "1", "x-a": [2]}));
        let get = &d["paths"]["/orgs/{org_id}/items"]["get"];
        assert_eq!(get["operationId"], "listItems");
        assert_eq!(get["parameters"][0]["schema"], json!({"type": "integer", "format": "uint32"}));
        assert_eq!(d["components"]["parameters"]["Take"]["schema"], json!({"type": "integer"}));
        assert_eq!(d["paths"]["/orgs/{org_id}/items"]["parameters"][0]["schema"], json!({"type": "integer"}));
        assert_eq!(r.rule_count("override-patch"), 4);
        assert_eq!(r.rule_count("override-operation-id"), 1);
        assert_eq!(r.rule_count("override-query-parameter"), 3);
        assert_eq!(r.rule_count(UNMATCHED), 4, "{}", r.to_text());
    }

    #[test]
    fn malformed_overrides_are_errors() {
        for (bad, pointer) in [
            (json!([]), ""),
            (json!({"operationids": {}}), "/operationids"),
            (json!({"operationIds": {"FETCH /a": "x"}}), "/operationIds/FETCH ~1a"),
            (json!({"operationIds": {"GET /a": ""}}), "/operationIds/GET ~1a"),
            (json!({"patches": [{"op": "move", "path": "/a"}]}), "/patches/0/op"),
            (json!({"patches": [{"op": "add", "path": "/a"}]}), "/patches/0"),
            (json!({"patches": [{"op": "add", "path": "a", "value": 1}]}), "/patches/0/path"),
            (json!({"queryParameters": {"page": "integer"}}), "/queryParameters/page"),
        ] {
            let e = apply(&mut doc(), &bad).unwrap_err();
            assert_eq!((e.pointer.as_str(), e.rule.as_str()), (pointer, RULE), "{bad}");
        }
        assert!(Overrides::parse("{").is_err());
        assert_eq!(Overrides::parse("{}").unwrap(), Overrides::default());
    }

    #[test]
    fn operation_ids_match_paths_whose_parameters_are_named_differently() {
        let mut d = serde_json::json!({"openapi": "3.1.0", "paths": {
            "/orgs/{orgId}/items": {"get": {"responses": {}}},
            "/orgs/{orgId}/items/{itemId}": {"get": {"responses": {}}}
        }});
        let o = serde_json::json!({"operationIds": {"GET /orgs/{org_id}/items": "listItems"}});
        let report = apply(&mut d, &o).expect("valid overrides");
        assert_eq!(d.pointer("/paths/~1orgs~1{orgId}~1items/get/operationId"), Some(&serde_json::json!("listItems")));
        assert_eq!(d.pointer("/paths/~1orgs~1{orgId}~1items~1{itemId}/get/operationId"), None);
        assert_eq!(report.rule_count("override-operation-id"), 1);
        assert_eq!(walk::path_shape("/a/{x}/b/{yy}"), "/a/{}/b/{}");
    }

    #[test]
    fn operation_extensions_add_x_members_by_path_shape() {
        let mut d = serde_json::json!({"openapi": "3.1.0", "paths": {
            "/orgs/{orgId}/assistants": {"post": {"responses": {}}}
        }});
        let o = serde_json::json!({"operationExtensions": {
            "POST /orgs/{org_id}/assistants": {"x-invent-quota": "assistant-creations"},
            "DELETE /gone": {"x-a": 1}
        }});
        let report = apply(&mut d, &o).expect("valid overrides");
        assert_eq!(
            d.pointer("/paths/~1orgs~1{orgId}~1assistants/post/x-invent-quota"),
            Some(&serde_json::json!("assistant-creations"))
        );
        assert_eq!(report.rule_count("override-operation-extension"), 1);
        assert_eq!(report.rule_count(UNMATCHED), 1);
        let not_an_extension = serde_json::json!({"operationExtensions": {"POST /a": {"operationId": "x"}}});
        let error = apply(&mut d, &not_an_extension).unwrap_err();
        assert_eq!(error.pointer, "/operationExtensions/POST ~1a/operationId");
    }

    #[test]
    fn schema_names_move_the_schema_and_every_reference_to_it() {
        let mut d = json!({"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error/properties/message"}}}},
            "404": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorCode"}}}}
        }}}}, "components": {"schemas": {
            "A": {"type": "object", "properties": {"e": {"anyOf": [{"$ref": "#/components/schemas/Error"}]}}},
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
            "ErrorCode": {"type": "string"}
        }}});
        let report = apply(&mut d, &json!({"schemaNames": {"Error": "ErrorBody", "Gone": "Other"}})).unwrap();
        let names: Vec<&String> = d["components"]["schemas"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["A", "ErrorBody", "ErrorCode"], "renamed in place, nothing else moved");
        let responses = &d["paths"]["/a"]["get"]["responses"];
        assert_eq!(responses["200"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
        assert_eq!(
            responses["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody/properties/message"
        );
        assert_eq!(
            responses["404"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorCode",
            "a schema whose name starts with the old one is not renamed"
        );
        assert_eq!(
            d["components"]["schemas"]["A"]["properties"]["e"]["anyOf"][0]["$ref"],
            "#/components/schemas/ErrorBody"
        );
        assert_eq!(report.rule_count("override-schema-name"), 4, "the schema and three references");
        assert_eq!(report.rule_count(UNMATCHED), 1, "{}", report.to_text());
    }

    #[test]
    fn a_schema_name_that_is_taken_or_malformed_is_not_applied() {
        let schemas = json!({"components": {"schemas": {"Error": {}, "ErrorBody": {}}}});
        let mut d = schemas.clone();
        let report = apply(&mut d, &json!({"schemaNames": {"Error": "ErrorBody"}})).unwrap();
        assert_eq!(d, schemas, "nothing moved");
        assert_eq!(report.rule_count(UNMATCHED), 1);
        for bad in [
            json!({"schemaNames": []}),
            json!({"schemaNames": {"Error": ""}}),
            json!({"schemaNames": {"Error": "a/b"}}),
            json!({"schemaNames": {"Error": 1}}),
        ] {
            let e = apply(&mut d, &bad).unwrap_err();
            assert!(e.pointer.starts_with("/schemaNames"), "{bad}: {}", e.pointer);
        }
        let mut no_components = json!({"openapi": "3.1.0"});
        let report = apply(&mut no_components, &json!({"schemaNames": {"Error": "ErrorBody"}})).unwrap();
        assert_eq!(report.rule_count(UNMATCHED), 1);
    }
}
