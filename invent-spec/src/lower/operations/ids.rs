//! Operation ids: unique operationIds (existing ones de-duplicated the way progenitor snake_cases them,
//! missing ones synthesized from method + path), never shadowing a method of the generated `Client`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::lower::walk;
use crate::pointer::join;
use crate::Report;

/// Methods of the generated `Client` (inherent, or from `ClientInfo`) an operation must not shadow.
const RESERVED_IDS: [&str; 6] = ["new", "new_with_client", "api_version", "baseurl", "client", "inner"];

/// Unique operationIds: existing ones kept unless they collide with an earlier one once progenitor
/// snake_cases them (`duplicate-operation-id`); missing ones synthesized from method + path
/// (`synthesize-operation-id`), e.g. `GET /orgs/{org_id}/items` → `getOrgsByOrgIdItems`.
pub(super) fn operation_ids(paths: &mut Map<String, Value>, report: &mut Report) {
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
    use serde_json::json;

    use super::super::tests::run;
    use super::*;

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
}
