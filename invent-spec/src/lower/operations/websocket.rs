//! WebSocket upgrades: a GET whose only success is `101 Switching Protocols` is marked
//! `x-dropshot-websocket`, so progenitor generates the upgrade.

use serde_json::{Map, Value};

use super::status_codes;
use crate::pointer::join;
use crate::Report;

/// progenitor generates a WebSocket upgrade (`ResponseValue<reqwest::Upgraded>`, with the handshake
/// headers) for operations marked `x-dropshot-websocket` that declare a `101`. A GET whose only success
/// response is `101 Switching Protocols` is marked (rule `websocket-upgrade`); a body declared on the
/// `101` is removed, since progenitor would try to decode the upgrade as JSON. A mark on an operation
/// without a `101` is removed (progenitor refuses it).
pub(super) fn websocket_upgrade(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::run;

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
}
