//! Request bodies: exactly one request media type (json > +json > form > multipart > octet-stream >
//! text), multipart bodies marked for the runtime's encoder and their binary properties pointed at
//! the file-part placeholder component.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::parameters::string_schema;
use crate::lower::walk;
use crate::pointer::join;
use crate::Report;

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
pub(super) fn request_body(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
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

/// Points the binary properties of multipart bodies (`type: string, format: binary`, or arrays of them)
/// at one placeholder component marked [`FILE_PART`], which the generator replaces with the crate's
/// file-part type. Bodies given by `$ref` are changed in their component.
pub(super) fn mark_file_parts(doc: &mut Value, report: &mut Report) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::run;
    use super::*;

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
        super::super::lower(&mut doc, &mut r).unwrap();
        let props = &doc["components"]["schemas"]["Body"]["properties"];
        let file = json!({"$ref": "#/components/schemas/InventFilePart"});
        assert_eq!(props["file"], file);
        assert_eq!(props["files"], json!({"type": "array", "items": file}));
        assert_eq!(props["maybe"], json!({"allOf": [file], "nullable": true}));
        assert_eq!(props["name"], json!({"type": "string"}));
        assert_eq!(doc["components"]["schemas"]["InventFilePart"][FILE_PART], true);
        assert_eq!(r.rule_count("multipart-file-part"), 3);
    }
}
