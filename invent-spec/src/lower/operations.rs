//! What progenitor 0.15 needs per operation, one job a file: ids (`ids`), parameters (`parameters`,
//! object-typed query parameters in `deep_object`), request bodies and multipart (`request_body`), one
//! success plus one error response type (`responses`) and WebSocket upgrades (`websocket`). This file runs
//! them over every operation, in an order that matters (see [`lower`]).

mod deep_object;
mod ids;
mod parameters;
mod request_body;
mod responses;
mod websocket;

use serde_json::{Map, Value};

use super::walk::{self, Result};
use crate::pointer::join;
use crate::Report;

pub use deep_object::DEEP_OBJECT_MAP;
pub use ids::synthesize_id;
pub use parameters::{COOKIE_PARAMETER, WIRE_NAME};
pub use request_body::{FILE_PART, MULTIPART_BODY};
pub use responses::TYPED_RESPONSES;

use ids::operation_ids;
use parameters::{parameters, push_down};
use request_body::{mark_file_parts, request_body};
use responses::{hoist_typed_responses, responses};
use websocket::websocket_upgrade;

/// Lowers every operation of `doc`: bodies before parameters (a body takes the Rust name `body`), the
/// declared statuses read before `responses` keeps one success type (a `101` next to a `2xx` is no
/// WebSocket), ids last (over all paths), then the document-wide hoisting of typed responses and file parts.
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

/// The status codes an operation declares (`200`, `4XX`, `default`, ...).
pub(super) fn status_codes(op: &Map<String, Value>) -> Vec<String> {
    op.get("responses")
        .and_then(Value::as_object)
        .map(|r| r.keys().filter(|k| !k.starts_with("x-")).cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Lowers `paths` (no component schemas) and returns the lowered paths with the report.
    pub(super) fn run(paths: Value) -> (Value, Report) {
        run_with(paths, json!({}))
    }

    /// Lowers `paths` next to component `schemas` and returns the lowered paths with the report.
    pub(super) fn run_with(paths: Value, schemas: Value) -> (Value, Report) {
        let mut doc = json!({"paths": paths, "components": {"schemas": schemas}});
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        (doc["paths"].clone(), r)
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
