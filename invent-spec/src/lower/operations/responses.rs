//! Responses: one success plus one error response type for progenitor (`default` → `4XX`/`5XX`), the
//! other body types typed by status (`x-invent-responses`, hoisted to components), JSON-ish media types
//! renamed `application/json` and schema-less JSON given `{}`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::lower::walk;
use crate::pointer::join;
use crate::Report;

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

pub(super) fn responses(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
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
pub(super) fn hoist_typed_responses(doc: &mut Value, report: &mut Report) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::run;
    use super::*;

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
}
