//! The schema index the client's drift capture walks responses against: the spec *after* the overrides
//! (all but `schemaNames`, so every pointer is one into the file `learn` patches) and *before* lowering,
//! reduced to what a response check needs: per operation its declared statuses, media types and the
//! pointers of their schemas, and the schemas themselves stripped of documentation keywords.
//!
//! ```json
//! {"operations": {"GET /orgs/{}/assistants": {"operation": "listAssistants", "method": "GET",
//!     "path": "/orgs/{org_id}/assistants", "responses": {"200": {"pointer": "/paths/…/responses/200",
//!     "content": {"application/json": "/paths/…/responses/200/content/application~1json/schema"}}}}},
//!  "document": {"paths": {…}, "components": {"schemas": {…}, "responses": {…}}}}
//! ```
//!
//! Operations are keyed by method and path shape (`{}` for each parameter), as the client's
//! `OperationSpec` template may name its parameters differently. A response without a body has an empty
//! `content`; a media type without a schema maps to `null`.

use serde_json::{Map, Value};

use crate::lower::walk;
use crate::overrides::Overrides;
use crate::pointer::join;
use crate::SpecError;

/// Schema keywords kept in the index: what decides whether a JSON value fits.
const KEPT: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "items",
    "prefixItems",
    "allOf",
    "anyOf",
    "oneOf",
    "$defs",
    "definitions",
    "discriminator",
    "format",
];

/// Keywords whose value maps names to schemas.
const NAME_MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions"];

/// `doc` with `overrides` applied except their `schemaNames`: the document drift pointers refer to.
pub fn overridden(doc: &Value, overrides: Option<&Value>) -> Result<Value, SpecError> {
    let mut doc = doc.clone();
    if let Some(overrides) = overrides {
        let mut parsed = Overrides::from_value(overrides)?;
        parsed.schema_names.clear();
        parsed.apply(&mut doc);
    }
    Ok(doc)
}

/// Builds the index of `doc` with `overrides` applied (their `schemaNames` left out).
pub fn build(doc: &Value, overrides: Option<&Value>) -> Result<Value, SpecError> {
    let doc = overridden(doc, overrides)?;
    let mut operations = Map::new();
    let mut paths_out = Map::new();
    let mut component_responses = Map::new();
    for (path, method, ptr) in walk::operations(&doc) {
        let Some(op) = doc.pointer(&ptr) else { continue };
        let mut statuses = Map::new();
        let mut op_out = Map::new();
        for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
            let (response, response_ptr) = match walk::ref_of(response) {
                Some(r) => match (walk::resolve(&doc, r), walk::parse_local_ref(r)) {
                    (Some(target), Some(tokens)) => (target, walk::to_pointer(&tokens)),
                    _ => continue,
                },
                None => (response, join(&join(&ptr, "responses"), status)),
            };
            let mut media = Map::new();
            let mut content_out = Map::new();
            for (media_type, body) in response.get("content").and_then(Value::as_object).into_iter().flatten() {
                let schema_ptr = join(&join(&join(&response_ptr, "content"), media_type), "schema");
                match body.get("schema") {
                    Some(schema) => {
                        media.insert(media_type.to_ascii_lowercase(), Value::String(schema_ptr));
                        content_out.insert(media_type.clone(), serde_json::json!({"schema": strip(schema)}));
                    }
                    None => {
                        media.insert(media_type.to_ascii_lowercase(), Value::Null);
                    }
                }
            }
            statuses.insert(status.clone(), serde_json::json!({"pointer": response_ptr, "content": media}));
            let stripped = serde_json::json!({"content": content_out});
            if let Some(name) = response_ptr.strip_prefix("/components/responses/") {
                component_responses.insert(walk::unescape(name), stripped);
            } else {
                op_out.insert(status.clone(), stripped);
            }
        }
        let method_upper = method.to_ascii_uppercase();
        let key = format!("{method_upper} {}", walk::path_shape(&path));
        let operation_id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
        operations.insert(
            key,
            serde_json::json!({
                "operation": operation_id,
                "method": method_upper,
                "path": path,
                "responses": statuses,
            }),
        );
        let item = paths_out.entry(path.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.insert(method.to_string(), serde_json::json!({"responses": op_out}));
        }
    }
    let schemas: Map<String, Value> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), strip(schema)))
        .collect();
    Ok(serde_json::json!({
        "operations": operations,
        "document": {
            "paths": paths_out,
            "components": {"schemas": schemas, "responses": component_responses},
        },
    }))
}

/// `schema` with only the [`KEPT`] keywords, recursively.
fn strip(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| KEPT.contains(&key.as_str()))
                .map(|(key, value)| {
                    let value = match value {
                        Value::Object(names) if NAME_MAPS.contains(&key.as_str()) => {
                            Value::Object(names.iter().map(|(name, s)| (name.clone(), strip(s))).collect())
                        }
                        Value::Array(list) if matches!(key.as_str(), "allOf" | "anyOf" | "oneOf" | "prefixItems") => {
                            Value::Array(list.iter().map(strip).collect())
                        }
                        Value::Object(_) if matches!(key.as_str(), "items" | "additionalProperties") => strip(value),
                        other => other.clone(),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// How many operations the index describes.
pub fn operation_count(index: &Value) -> usize {
    index.get("operations").and_then(Value::as_object).map_or(0, Map::len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_index_keeps_pointers_into_the_overridden_spec_and_strips_documentation() {
        let doc = json!({"openapi": "3.1.0", "paths": {"/orgs/{orgId}/items": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "array", "description": "items", "items": {"$ref": "#/components/schemas/Item"}}}}},
            "400": {"$ref": "#/components/responses/Bad"},
            "204": {"description": "nothing"}
        }}}}, "components": {
            "schemas": {"Item": {"type": "object", "title": "t", "example": {"id": "x"},
                "properties": {"description": {"type": "string", "description": "a property named description"}},
                "required": ["description"]}},
            "responses": {"Bad": {"description": "bad", "content": {"application/problem+json": {}}}}
        }});
        let overrides = json!({"operationIds": {"GET /orgs/{org_id}/items": "listItems"},
            "schemaNames": {"Item": "Thing"}});
        let index = build(&doc, Some(&overrides)).unwrap();
        let op = &index["operations"]["GET /orgs/{}/items"];
        assert_eq!(op["operation"], "listItems");
        assert_eq!(op["path"], "/orgs/{orgId}/items");
        let ok = op["responses"]["200"]["content"]["application/json"].as_str().unwrap();
        assert_eq!(ok, "/paths/~1orgs~1{orgId}~1items/get/responses/200/content/application~1json/schema");
        assert_eq!(
            index["document"].pointer(ok),
            Some(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Item"}}))
        );
        assert_eq!(
            op["responses"]["400"],
            json!({"pointer": "/components/responses/Bad", "content": {"application/problem+json": null}})
        );
        assert_eq!(op["responses"]["204"]["content"], json!({}));
        assert_eq!(
            index["document"]["components"]["schemas"]["Item"],
            json!({"type": "object", "properties": {"description": {"type": "string"}}, "required": ["description"]}),
            "documentation keywords go, a property named like one stays; schemaNames are not applied"
        );
        assert_eq!(operation_count(&index), 1);
    }
}
