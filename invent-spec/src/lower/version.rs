//! Document-level OpenAPI 3.1 → 3.0.3: the version gate, `openapi`, `jsonSchemaDialect`, `info.summary`,
//! `license.identifier`, `webhooks`, and path items given by `$ref` (3.1 `components.pathItems`).

use serde_json::{Map, Value};

use super::walk::{self, Result};
use crate::pointer::join;
use crate::{Report, SpecError};

/// The OpenAPI minor version the input declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V30,
    V31,
}

const RULE: &str = "supported-version";

/// Accepts OpenAPI 3.0.x and 3.1.x objects; refuses everything else with rule `supported-version`.
pub fn check(doc: &Value) -> Result<Version> {
    let Some(root) = doc.as_object() else {
        return Err(SpecError::at_root(RULE, "the document is not a JSON object"));
    };
    if let Some(v) = root.get("swagger") {
        let v = v.as_str().unwrap_or("?");
        return Err(SpecError::new(
            "",
            RULE,
            format!("Swagger {v} is not supported; convert the document to OpenAPI 3 first"),
        ));
    }
    let version = match root.get("openapi") {
        Some(Value::String(v)) => v.trim(),
        Some(other) => {
            return Err(SpecError::new("/openapi", RULE, format!("`openapi` must be a string, found {other}")));
        }
        None => return Err(SpecError::at_root(RULE, "not an OpenAPI document: no `openapi` field")),
    };
    if version.starts_with("3.0.") || version == "3.0" {
        Ok(Version::V30)
    } else if version.starts_with("3.1.") || version == "3.1" {
        Ok(Version::V31)
    } else {
        Err(SpecError::new("/openapi", RULE, format!("OpenAPI {version} is not supported (only 3.0.x and 3.1.x)")))
    }
}

/// The document-level rewrites. `openapi` always becomes `3.0.3` (rule `openapi-version`).
pub fn lower(doc: &mut Value, report: &mut Report) -> Result<()> {
    let Some(root) = doc.as_object_mut() else { return Ok(()) };
    if root.get("openapi").and_then(Value::as_str) != Some("3.0.3") {
        root.insert("openapi".into(), Value::String("3.0.3".into()));
        report.count("openapi-version");
    }
    if root.shift_remove("jsonSchemaDialect").is_some() {
        report.count("json-schema-dialect");
    }
    if let Some(Value::Object(info)) = root.get_mut("info") {
        if let Some(summary) = info.shift_remove("summary") {
            report.count("info-summary");
            if !info.contains_key("description") && summary.is_string() {
                info.insert("description".into(), summary);
            }
        }
        if let Some(Value::Object(license)) = info.get_mut("license") {
            if let Some(id) = license.shift_remove("identifier") {
                report.count("license-identifier");
                if let (false, Some(id)) = (license.contains_key("url"), id.as_str()) {
                    license.insert("url".into(), Value::String(format!("https://spdx.org/licenses/{id}.html")));
                }
            }
        }
    }
    if let Some(hooks) = root.shift_remove("webhooks") {
        let n = hooks.as_object().map_or(0, Map::len);
        if n > 0 {
            report.note("/webhooks", "webhooks", format!("{n} webhooks removed (a client only calls `paths`)"));
        } else {
            report.count("webhooks");
        }
    }
    inline_path_items(doc, report);
    Ok(())
}

/// Replaces path items written as `$ref` (to `components.pathItems` or anywhere local) by the item,
/// with fields next to the `$ref` winning. Unresolvable ones drop the path (rule `path-item-ref`).
fn inline_path_items(doc: &mut Value, report: &mut Report) {
    let refs: Vec<String> = match doc.get("paths").and_then(Value::as_object) {
        Some(paths) => paths.iter().filter(|(_, v)| v.get("$ref").is_some()).map(|(k, _)| k.clone()).collect(),
        None => return,
    };
    if refs.is_empty() {
        return;
    }
    let snapshot = doc.clone();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for path in refs {
        let ptr = join("/paths", &path);
        let Some(item) = paths.get_mut(&path) else { continue };
        match resolve_item(&snapshot, item) {
            Ok(resolved) => {
                *item = resolved;
                report.count("path-item-ref");
            }
            Err(why) => {
                paths.shift_remove(&path);
                report.drop_operation(&ptr, "path-item-ref", format!("path item {why}; path dropped"));
            }
        }
    }
}

fn resolve_item(doc: &Value, item: &Value) -> std::result::Result<Value, String> {
    let mut merged = Map::new();
    let mut cur = item.clone();
    for _ in 0..walk::MAX_REF_HOPS {
        let Value::Object(mut obj) = cur else { return Err("is not an object".into()) };
        let next = match obj.shift_remove("$ref") {
            Some(Value::String(r)) => r,
            Some(_) => return Err("has a non-string `$ref`".into()),
            None => {
                for (k, v) in obj {
                    merged.entry(k).or_insert(v);
                }
                return Ok(Value::Object(merged));
            }
        };
        for (k, v) in obj {
            merged.entry(k).or_insert(v);
        }
        cur = match walk::resolve(doc, &next) {
            Some(v) => v.clone(),
            None if next.starts_with('#') => return Err(format!("reference `{next}` does not exist")),
            None => return Err(format!("external reference `{next}` is not resolved")),
        };
    }
    Err("reference chain too long or cyclic".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_are_gated() {
        assert_eq!(check(&json!({"openapi": "3.1.0"})), Ok(Version::V31));
        assert_eq!(check(&json!({"openapi": "3.0.2"})), Ok(Version::V30));
        let e = check(&json!({"swagger": "2.0"})).unwrap_err();
        assert_eq!((e.pointer.as_str(), e.rule.as_str()), ("", RULE));
        assert!(e.message.contains("Swagger 2.0"), "{}", e.message);
        assert_eq!(check(&json!({"openapi": "3.2.0"})).unwrap_err().pointer, "/openapi");
        assert_eq!(check(&json!({"openapi": 3.1})).unwrap_err().pointer, "/openapi");
        assert_eq!(check(&json!([])).unwrap_err().pointer, "");
        assert_eq!(check(&json!({"info": {}})).unwrap_err().rule, RULE);
    }

    #[test]
    fn document_level_31_fields_are_lowered() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {"title": "t", "version": "1", "summary": "short", "license": {"name": "MIT", "identifier": "MIT"}},
            "webhooks": {"ping": {}},
            "paths": {
                "/a": {"$ref": "#/components/pathItems/A", "description": "here"},
                "/b": {"$ref": "#/components/pathItems/Nope"}},
            "components": {"pathItems": {"A": {"description": "there", "get": {"responses": {}}}}}
        });
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1", "license": {"name": "MIT", "url": "https://spdx.org/licenses/MIT.html"},
                         "description": "short"},
                "paths": {"/a": {"description": "here", "get": {"responses": {}}}},
                "components": {"pathItems": {"A": {"description": "there", "get": {"responses": {}}}}}
            })
        );
        assert_eq!(r.dropped_operations().len(), 1);
        assert_eq!(r.rule_count("webhooks"), 1);
    }
}
