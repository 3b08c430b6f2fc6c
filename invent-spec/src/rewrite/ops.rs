//! The operations of the lowered document, keyed by the id progenitor gives them, with what the
//! generator needs: method, paths, org scope, quota, typed responses, multipart encoding, and the
//! parameters it sends another way than progenitor (deepObject maps, cookies, renamed ones).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::lower::operations::{COOKIE_PARAMETER, DEEP_OBJECT_MAP, MULTIPART_BODY, TYPED_RESPONSES, WIRE_NAME};
use crate::lower::walk::METHODS;
use crate::pointer::join;
use crate::{names, SpecError};

/// Extension written by org-scope inlining: `{"param": "org_id", "template": "/orgs/{org_id}/x"}`.
pub const ORG_SCOPE: &str = "x-invent-org-scope";
/// Extension naming the server-side quota an operation counts against (besides the per-IP limit).
pub const QUOTA: &str = "x-invent-quota";

/// One operation of the lowered document.
#[derive(Debug, Clone)]
pub struct LoweredOp {
    /// progenitor's snake_case id.
    pub id: String,
    /// Pointer to the operation in the lowered document.
    pub pointer: String,
    /// Upper-case method.
    pub method: String,
    /// Path as generated (`/orgs/c/assistants`).
    pub path: String,
    /// Path as the spec writes it (`/orgs/{org_id}/assistants`).
    pub template: String,
    pub org_scoped: bool,
    /// `x-invent-quota`, when present.
    pub quota: Option<String>,
    /// `x-invent-responses` (see `lower::operations`).
    pub typed_responses: Option<Value>,
    /// `x-invent-multipart` encoding table (property → content type).
    pub multipart: Option<BTreeMap<String, String>>,
    /// Query parameters that are free-form `deepObject` maps (`x-invent-deep-object`).
    pub deep_object_params: Vec<String>,
    /// Header parameters that are cookies (`x-invent-cookie`): (parameter name, cookie name).
    pub cookies: Vec<(String, String)>,
    /// Parameters renamed for a Rust name of their own (`x-invent-wire-name`): (parameter name, wire name).
    pub wire_names: Vec<(String, String)>,
}

/// Indexes the operations of `doc` by progenitor id. Two operations with one id are an error (the
/// lowering makes ids unique, so this only fires on a bug).
pub fn index(doc: &Value) -> Result<BTreeMap<String, LoweredOp>, SpecError> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return Ok(out) };
    for (path, item) in paths {
        for m in METHODS {
            let Some(op) = item.get(m).filter(|o| o.is_object()) else { continue };
            let pointer = join(&join("/paths", path), m);
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
                return Err(SpecError::new(pointer, "operation-id", "operation without an operationId after lowering"));
            };
            let id = names::operation_method(operation_id);
            let scope = op.get(ORG_SCOPE);
            let multipart = op.get(MULTIPART_BODY).map(|m| {
                m.get("encoding")
                    .and_then(Value::as_object)
                    .map(|e| e.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                    .unwrap_or_default()
            });
            let params = op.get("parameters").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let marked = |mark: &str| -> Vec<(String, String)> {
                params
                    .iter()
                    .filter_map(|p| {
                        let name = p.get("name").and_then(Value::as_str)?;
                        let wire = p.get(mark).and_then(Value::as_str)?;
                        Some((name.to_string(), wire.to_string()))
                    })
                    .collect()
            };
            let lowered = LoweredOp {
                id: id.clone(),
                pointer: pointer.clone(),
                method: m.to_uppercase(),
                path: path.clone(),
                template: scope.and_then(|s| s.get("template")).and_then(Value::as_str).unwrap_or(path).to_string(),
                org_scoped: scope.is_some(),
                quota: op.get(QUOTA).and_then(Value::as_str).map(str::to_string),
                typed_responses: op.get(TYPED_RESPONSES).cloned(),
                multipart,
                deep_object_params: params
                    .iter()
                    .filter(|p| p.get(DEEP_OBJECT_MAP) == Some(&Value::Bool(true)))
                    .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect(),
                cookies: marked(COOKIE_PARAMETER),
                wire_names: marked(WIRE_NAME),
            };
            if out.insert(id.clone(), lowered).is_some() {
                return Err(SpecError::new(pointer, "operation-id", format!("two operations generate `{id}`")));
            }
        }
    }
    Ok(out)
}
