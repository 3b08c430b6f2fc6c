//! `invent-spec diff`: spec pairs built from the vendored `openapi.json` (mutated in the test), each
//! change's classification, pointers into the original documents, the exit codes of `--fail-on`, the
//! output formats, 3.0-vs-3.1 equivalence and `$ref` cycles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use invent_spec::diff::{self, Change, Doc};
use serde_json::{json, Value};

fn vendored() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read openapi.json")).expect("openapi.json is JSON")
}

fn overrides() -> Option<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec-overrides.json");
    std::fs::read_to_string(path).ok().map(|t| serde_json::from_str(&t).expect("spec-overrides.json is JSON"))
}

fn mutated(f: impl FnOnce(&mut Value)) -> (Value, Value) {
    let old = vendored();
    let mut new = old.clone();
    f(&mut new);
    (old, new)
}

fn changes(old: &Value, new: &Value) -> Vec<Change> {
    diff::diff_values("old.json", old, "new.json", new, None).expect("both documents lower").changes
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer).unwrap_or_else(|| panic!("vendored spec has no {pointer}"))
}

/// Every change has `kind` and `breaking`, and there is at least one.
fn assert_all(changes: &[Change], kind: &str, breaking: bool) {
    assert!(!changes.is_empty(), "expected `{kind}` changes, found none");
    for c in changes {
        assert_eq!((c.kind, c.breaking), (kind, breaking), "unexpected change: {c:#?}\nall: {changes:#?}");
    }
}

const ASSISTANT: &str = "/paths/~1orgs~1{org_id}~1assistants~1{assistant_id}";
const ASSISTANTS: &str = "/paths/~1orgs~1{org_id}~1assistants";

// ---- the pairs the issue asks for -------------------------------------------------------------------

#[test]
fn removed_operation_is_breaking_and_points_into_the_old_document() {
    let (old, new) = mutated(|d| {
        at(d, "/paths/~1chats~1{chat_id}~1messages~1{message_id}").as_object_mut().unwrap().remove("delete");
    });
    let c = changes(&old, &new);
    assert_all(&c, "operation-removed", true);
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].method.as_str(), c[0].path.as_str()), ("DELETE", "/chats/{chat_id}/messages/{message_id}"));
    assert_eq!(c[0].operation_id.as_deref(), Some("deleteChatMessage"));
    assert_eq!(c[0].doc, Doc::Old);
    assert_eq!(c[0].pointer, "/paths/~1chats~1{chat_id}~1messages~1{message_id}/delete");
}

#[test]
fn added_operation_is_not_breaking() {
    let (old, new) = mutated(|d| {
        d["paths"]["/orgs/{org_id}/widgets"] = json!({"get": {
            "operationId": "listWidgets",
            "parameters": [{"name": "org_id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}
        }});
    });
    let c = changes(&old, &new);
    assert_all(&c, "operation-added", false);
    assert_eq!(c[0].pointer, "/paths/~1orgs~1{org_id}~1widgets/get");
    assert_eq!(c[0].doc, Doc::New);
}

#[test]
fn new_required_parameter_is_breaking_optional_is_not() {
    let add = |required: bool| {
        mutated(|d| {
            let params = at(d, &format!("{ASSISTANTS}/get/parameters")).as_array_mut().unwrap();
            params.push(json!({"name": "folder", "in": "query", "required": required, "schema": {"type": "string"}}));
        })
    };
    let (old, new) = add(true);
    let c = changes(&old, &new);
    assert_all(&c, "parameter-added", true);
    assert_eq!(c[0].location, "parameter `folder` (query)");
    let n = old.pointer(&format!("{ASSISTANTS}/get/parameters")).unwrap().as_array().unwrap().len();
    assert_eq!(c[0].pointer, format!("{ASSISTANTS}/get/parameters/{n}"));
    let (old, new) = add(false);
    assert_all(&changes(&old, &new), "parameter-added", false);
}

#[test]
fn changed_parameter_type_is_breaking() {
    let (old, new) = mutated(|d| {
        let params = at(d, &format!("{ASSISTANT}/get/parameters")).as_array_mut().unwrap();
        let p = params.iter_mut().find(|p| p["name"] == "assistant_id").unwrap();
        p["schema"] = json!({"type": "integer"});
    });
    let c = changes(&old, &new);
    assert_all(&c, "type-changed", true);
    assert!(c[0].message.contains("from `string` to `integer`"), "{}", c[0].message);
    assert!(c[0].pointer.ends_with("/schema"), "{}", c[0].pointer);
}

#[test]
fn parameter_location_and_required_changes() {
    let (old, new) = mutated(|d| {
        let params = at(d, "/paths/~1orgs~1{org_id}~1contacts/get/parameters").as_array_mut().unwrap();
        let p = params.iter_mut().find(|p| p["name"] == "search").unwrap();
        p["in"] = json!("header");
    });
    assert_all(&changes(&old, &new), "parameter-location-changed", true);
    let (old, new) = mutated(|d| {
        let params = at(d, "/paths/~1orgs~1{org_id}~1contacts/get/parameters").as_array_mut().unwrap();
        params.iter_mut().find(|p| p["name"] == "search").unwrap()["required"] = json!(true);
    });
    assert_all(&changes(&old, &new), "parameter-required-changed", true);
    // …and back: loosening is fine.
    assert_all(&changes(&new, &old), "parameter-required-changed", false);
    // Removing one breaks calls to its builder setter.
    let (old, new) = mutated(|d| {
        let params = at(d, "/paths/~1orgs~1{org_id}~1contacts/get/parameters").as_array_mut().unwrap();
        params.retain(|p| p["name"] != "search");
    });
    let c = changes(&old, &new);
    assert_all(&c, "parameter-removed", true);
    assert_eq!(c[0].doc, Doc::Old);
}

#[test]
fn new_response_enum_value_is_breaking_for_closed_rust_enums() {
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/MessageStatus/enum").as_array_mut().unwrap().push(json!("ARCHIVED"));
    });
    let c = changes(&old, &new);
    assert_all(&c, "enum-value-added", true);
    // Reported once per operation that returns it, at the place the original document defines it.
    assert!(c.len() > 1);
    assert!(c.iter().all(|c| c.pointer == "/components/schemas/ChatMessage/properties/status"), "{c:#?}");
    assert!(c.iter().any(|c| c.field == "status" && c.location.starts_with("response 200")), "{c:#?}");
    assert!(c.iter().any(|c| c.field == "[].status"), "list operations show the item path: {c:#?}");
    // Removing a value is breaking too (the Rust variant disappears).
    assert_all(&changes(&new, &old), "enum-value-removed", true);
}

#[test]
fn new_request_enum_value_is_not_breaking() {
    // `UpdateChatStateRequest` is only ever sent (PATCH /chats/{chat_id}/state); give it an enum field.
    let (_, old) = mutated(|d| {
        at(d, "/components/schemas/UpdateChatStateRequest/properties")["priority"] =
            json!({"type": "string", "enum": ["low", "high"]});
    });
    let mut new = old.clone();
    at(&mut new, "/components/schemas/UpdateChatStateRequest/properties/priority/enum")
        .as_array_mut()
        .unwrap()
        .push(json!("urgent"));
    let c = changes(&old, &new);
    assert_all(&c, "enum-value-added", false);
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].location.as_str(), c[0].field.as_str()), ("request body (application/json)", "priority"));
    // Removing a value the client may send is breaking.
    assert_all(&changes(&new, &old), "enum-value-removed", true);
}

#[test]
fn new_optional_response_field_is_not_breaking() {
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/Assistant/properties")
            .as_object_mut()
            .unwrap()
            .insert("color".into(), json!({"type": "string"}));
    });
    let c = changes(&old, &new);
    assert_all(&c, "property-added", false);
    assert!(c.iter().all(|c| c.pointer == "/components/schemas/Assistant/properties/color"));
    // A removed response property is breaking.
    assert_all(&changes(&new, &old), "property-removed", true);
}

#[test]
fn new_required_request_body_field_is_breaking_optional_is_not() {
    let add = |required: bool| {
        mutated(|d| {
            let s = at(d, "/components/schemas/CreateAssistantRequest");
            s["properties"]["template_id"] = json!({"type": "string"});
            if required {
                s["required"].as_array_mut().unwrap().push(json!("template_id"));
            }
        })
    };
    let (old, new) = add(true);
    let c = changes(&old, &new);
    assert_all(&c, "property-added", true);
    assert_eq!(c[0].location, "request body (application/json)");
    assert_eq!(c[0].field, "template_id");
    assert_eq!(c[0].operation_id.as_deref(), Some("createAssistant"));
    let (old, new) = add(false);
    assert_all(&changes(&old, &new), "property-added", false);
}

#[test]
fn renamed_operation_id_is_breaking_unless_the_rust_name_is_the_same() {
    let (old, new) = mutated(|d| at(d, &format!("{ASSISTANT}/get"))["operationId"] = json!("fetchAssistant"));
    let c = changes(&old, &new);
    assert_all(&c, "operation-id-changed", true);
    assert!(c[0].message.contains("`get_assistant` to `fetch_assistant`"), "{}", c[0].message);
    let (old, new) = mutated(|d| at(d, &format!("{ASSISTANT}/get"))["operationId"] = json!("GetAssistant"));
    assert_all(&changes(&old, &new), "operation-id-changed", false);
}

#[test]
fn nullability_is_classified_by_what_it_does_to_the_rust_field() {
    // Required response field becomes nullable: `T` → `Option<T>`, and null fails old clients.
    let (old, new) =
        mutated(|d| at(d, "/components/schemas/Assistant/properties/name")["type"] = json!(["string", "null"]));
    let c = changes(&old, &new);
    assert_all(&c, "nullable-changed", true);
    assert!(c.iter().all(|c| c.pointer == "/components/schemas/Assistant/properties/name"));
    // Optional response field becomes nullable: already `Option<T>`, null deserializes as `None`.
    let (old, new) =
        mutated(|d| at(d, "/components/schemas/Assistant/properties/deleted")["type"] = json!(["boolean", "null"]));
    assert_all(&changes(&old, &new), "nullable-changed", false);
    // Request field becomes nullable: the server accepts more.
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/CreateAssistantRequest/properties/name")["type"] = json!(["string", "null"])
    });
    let c = changes(&old, &new);
    assert_all(&c, "nullable-changed", false);
    // …and no longer nullable: breaking.
    assert_all(&changes(&new, &old), "nullable-changed", true);
}

// ---- more classifications ---------------------------------------------------------------------------

#[test]
fn response_field_type_and_format_changes() {
    let (old, new) = mutated(|d| at(d, "/components/schemas/Assistant/properties/enabled")["type"] = json!("string"));
    assert_all(&changes(&old, &new), "type-changed", true);
    // date-time → (none): the Rust type changes from a DateTime to String.
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/Assistant/properties/created_at").as_object_mut().unwrap().remove("format");
    });
    assert_all(&changes(&old, &new), "format-changed", true);
    // A format typify ignores: same Rust type.
    let (old, new) = mutated(|d| at(d, "/components/schemas/Assistant/properties/name")["format"] = json!("email"));
    let c = changes(&old, &new);
    assert_all(&c, "format-changed", false);
    assert!(c[0].message.contains("same Rust type"));
}

#[test]
fn response_required_changes_that_switch_option_are_breaking() {
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/Assistant/required").as_array_mut().unwrap().retain(|r| r != "enabled");
    });
    assert_all(&changes(&old, &new), "required-changed", true);
    // A request field that becomes optional is fine.
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/CreateAssistantRequest/required").as_array_mut().unwrap().clear();
    });
    assert_all(&changes(&old, &new), "required-changed", false);
}

#[test]
fn request_and_response_bodies_and_statuses() {
    let (old, new) = mutated(|d| {
        at(d, &format!("{ASSISTANTS}/post")).as_object_mut().unwrap().remove("requestBody");
    });
    assert_all(&changes(&old, &new), "request-body-removed", true);
    let (old, new) = mutated(|d| {
        at(d, &format!("{ASSISTANT}/get/responses")).as_object_mut().unwrap().remove("200");
        at(d, &format!("{ASSISTANT}/get/responses"))["204"] = json!({"description": "nothing"});
    });
    let c = changes(&old, &new);
    assert!(c.iter().any(|c| c.kind == "response-status-removed" && c.breaking), "{c:#?}");
    assert!(c.iter().any(|c| c.kind == "response-status-added" && !c.breaking), "{c:#?}");
}

#[test]
fn three_oh_and_three_one_spellings_compare_equal() {
    // Rewrite every `type: [X, "null"]` as `type: X, nullable: true` and declare 3.0.3.
    fn to_30(v: &mut Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(ts)) = m.get("type") {
                    let rest: Vec<Value> = ts.iter().filter(|t| *t != "null").cloned().collect();
                    if rest.len() == 1 && ts.len() == 2 {
                        m.insert("type".into(), rest[0].clone());
                        m.insert("nullable".into(), json!(true));
                        *n += 1;
                    }
                }
                if let Some(Value::Array(ex)) = m.remove("examples") {
                    if let Some(first) = ex.into_iter().next() {
                        m.insert("example".into(), first);
                    }
                }
                m.values_mut().for_each(|x| to_30(x, n));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| to_30(x, n)),
            _ => {}
        }
    }
    let old = vendored();
    let mut new = old.clone();
    let mut n = 0;
    to_30(&mut new["components"], &mut n);
    to_30(&mut new["paths"], &mut n);
    new["openapi"] = json!("3.0.3");
    assert!(n > 5, "the vendored spec should use 3.1 nullable types ({n})");
    let report = diff::diff_values("v31.json", &old, "v30.json", &new, None).unwrap();
    assert_eq!(report.changes, vec![], "{}", report.to_text());
    assert!(report.raw_differences > n);
}

#[test]
fn overrides_apply_to_both_sides() {
    let Some(o) = overrides() else { return };
    if o.get("queryParameters").and_then(|q| q.get("page")).is_none() {
        return;
    }
    // Upstream retypes `page` as a string; the overrides pin it, so the generated client is unchanged.
    let (old, new) = mutated(|d| {
        for item in d["paths"].as_object_mut().unwrap().values_mut() {
            for op in item.as_object_mut().unwrap().values_mut() {
                for p in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                    if p["name"] == "page" && p["in"] == "query" {
                        p["schema"] = json!({"type": "string"});
                    }
                }
            }
        }
    });
    let with = diff::diff_values("old.json", &old, "new.json", &new, Some(&o)).unwrap();
    assert_eq!(with.changes, vec![], "{}", with.to_text());
    let without = diff::diff_values("old.json", &old, "new.json", &new, None).unwrap();
    assert!(!without.changes.is_empty());
}

fn tiny(schemas: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/nodes": {"get": {
            "operationId": "getNodes",
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}
        }}},
        "components": {"schemas": schemas}
    })
}

#[test]
fn recursive_schemas_terminate_and_still_report_changes() {
    let old = tiny(json!({
        "Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "peer": {"$ref": "#/components/schemas/Peer"}
        }},
        "Peer": {"type": "object", "properties": {"back": {"$ref": "#/components/schemas/Node"}}}
    }));
    let mut new = old.clone();
    new["components"]["schemas"]["Peer"]["properties"]["kind"] = json!({"type": "string", "enum": ["a"]});
    let c = changes(&old, &new);
    assert_all(&c, "property-added", false);
    assert_eq!(c[0].field, "peer.kind");
    assert_eq!(c[0].pointer, "/components/schemas/Peer/properties/kind");
}

#[test]
fn union_variants() {
    let old = tiny(json!({
        "Node": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
        "A": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "B": {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]},
        "C": {"type": "object", "properties": {"c": {"type": "boolean"}}, "required": ["c"]}
    }));
    let mut new = old.clone();
    new["components"]["schemas"]["Node"]["oneOf"]
        .as_array_mut()
        .unwrap()
        .push(json!({"$ref": "#/components/schemas/C"}));
    let c = changes(&old, &new);
    assert_all(&c, "variant-added", true);
    assert_eq!(c[0].pointer, "/components/schemas/Node/oneOf/2");
    assert_all(&changes(&new, &old), "variant-removed", true);
}

#[test]
fn changes_are_ordered_by_path_then_method() {
    let (old, new) = mutated(|d| {
        at(d, "/components/schemas/Assistant/properties")
            .as_object_mut()
            .unwrap()
            .insert("color".into(), json!({"type": "string"}));
        at(d, "/paths/~1chats~1{chat_id}~1messages~1{message_id}").as_object_mut().unwrap().remove("delete");
    });
    let c = changes(&old, &new);
    let keys: Vec<(String, String)> = c.iter().map(|c| (c.path.clone(), c.method.clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Deterministic: the same input gives the same output.
    assert_eq!(c, changes(&old, &new));
}

// ---- the binary: --fail-on exit codes and formats ------------------------------------------------------

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "invent-spec-diff-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_invent-spec")).args(args).output().expect("run invent-spec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fail_on_exit_codes() {
    let dir = temp_dir("failon");
    let old = vendored();
    let old_path = write(&dir, "old.json", &old);
    type Mutation = fn(&mut Value);
    let cases: [(&str, Mutation, Option<bool>); 4] = [
        ("same", |_| {}, None),
        ("description-only", |d| d["info"]["description"] = json!("changed"), None),
        (
            "non-breaking",
            |d| {
                d.pointer_mut("/components/schemas/Assistant/properties").unwrap()["color"] = json!({"type": "string"});
            },
            Some(false),
        ),
        (
            "breaking",
            |d| {
                d.pointer_mut("/paths/~1chats~1{chat_id}~1messages~1{message_id}")
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove("delete");
            },
            Some(true),
        ),
    ];
    for (name, f, breaking) in cases {
        let mut new = old.clone();
        f(&mut new);
        let new_path = write(&dir, &format!("{name}.json"), &new);
        let (o, n) = (old_path.to_str().unwrap(), new_path.to_str().unwrap());
        let expect_breaking = if breaking == Some(true) { 1 } else { 0 };
        let expect_any = if breaking.is_some() { 1 } else { 0 };
        let (code, out, err) = run(&["diff", o, n, "--fail-on", "breaking"]);
        assert_eq!(code, expect_breaking, "{name} --fail-on breaking\n{out}\n{err}");
        let (code, out, err) = run(&["diff", o, n, "--fail-on", "any"]);
        assert_eq!(code, expect_any, "{name} --fail-on any\n{out}\n{err}");
        let (code, _, _) = run(&["diff", o, n]);
        assert_eq!(code, 0, "{name}: without --fail-on the exit code is 0");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn formats() {
    let dir = temp_dir("formats");
    let (old, new) = mutated(|d| {
        d.pointer_mut("/components/schemas/MessageStatus/enum")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(json!("ARCHIVED"));
        d.pointer_mut("/components/schemas/Assistant/properties").unwrap()["color"] = json!({"type": "string"});
    });
    let (o, n) = (write(&dir, "old.json", &old), write(&dir, "new.json", &new));
    let (o, n) = (o.to_str().unwrap(), n.to_str().unwrap());

    let (code, out, _) = run(&["diff", o, n, "--format", "json", "--fail-on", "breaking"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("--format json prints JSON");
    assert!(v["summary"]["breaking"].as_u64().unwrap() > 0);
    assert!(v["summary"]["non_breaking"].as_u64().unwrap() > 0);
    let first = &v["changes"][0];
    for key in
        ["breaking", "kind", "method", "path", "operation_id", "location", "field", "message", "document", "pointer"]
    {
        assert!(first.get(key).is_some(), "missing `{key}` in {first}");
    }

    let (code, out, _) = run(&["diff", o, n, "--format=markdown"]);
    assert_eq!(code, 0);
    assert!(out.contains("### Breaking changes") && out.contains("### Non-breaking changes"), "{out}");
    assert!(out.contains("| Operation | Where | Change | Pointer |"), "{out}");

    let (code, out, _) = run(&["diff", o, n]);
    assert_eq!(code, 0);
    assert!(out.contains("BREAKING") && out.contains("[enum-value-added]"), "{out}");
    assert!(out.contains("new.json#/components/schemas/ChatMessage/properties/status"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
