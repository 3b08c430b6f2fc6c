//! `invent-spec learn` and `invent-spec verify-drift` through the binary: what learn adds (and only
//! adds), its evidence, idempotence, what stays for review, verify's exit statuses and listing, and
//! malformed reports (exit 2 naming the file, line and pointer).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_invent-spec")).args(args).output().expect("run invent-spec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("invent-spec-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn spec() -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/orgs/{org_id}/items": {"get": {"operationId": "listItems", "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
            "400": {"$ref": "#/components/responses/Bad"}
        }}}
    }, "components": {
        "schemas": {
            "Item": {"type": "object", "required": ["id", "name"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "status": {"$ref": "#/components/schemas/Status"}}},
            "Status": {"type": "string", "enum": ["active", "archived"]}
        },
        "responses": {"Bad": {"description": "bad", "content": {"application/json": {"schema": {"type": "object"}}}}}
    }})
}

fn finding(kind: &str, status: u16, schema: &str, extra: Value) -> Value {
    let mut line = json!({"drift": 1, "kind": kind, "operation": "listItems", "method": "GET",
        "path": "/orgs/{org_id}/items", "status": status, "media_type": "application/json", "schema": schema,
        "at": "/*", "count": 2, "first_seen": "2026-12-01T10:00:00Z", "last_seen": "2026-12-02T10:00:00Z"});
    line.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
    line
}

fn report_lines() -> String {
    [
        finding(
            "property-added",
            200,
            "/components/schemas/Item",
            json!({"name": "color", "sketch": {"type": ["string", "null"]}}),
        ),
        finding(
            "property-added",
            200,
            "/components/schemas/Item",
            json!({"name": "dims", "sketch": {"type": "object", "properties": {"w": {"type": "integer"}}}}),
        ),
        finding("enum-value-added", 200, "/components/schemas/Status", json!({"value": "paused"})),
        finding(
            "status-undeclared",
            409,
            "/paths/~1orgs~1{org_id}~1items/get/responses",
            json!({"sketch": {"type": "object", "properties": {"error": {"type": "string"}}}}),
        ),
        finding(
            "media-type-undeclared",
            400,
            "/components/responses/Bad",
            json!({"media_type": "application/problem+json", "sketch": {"type": "object"}}),
        ),
        finding("required-missing", 200, "/components/schemas/Item", json!({"name": "name"})),
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect()
}

fn setup(name: &str) -> (PathBuf, String, String, String) {
    let dir = scratch(name);
    let spec_path = dir.join("openapi.json");
    std::fs::write(&spec_path, serde_json::to_string_pretty(&spec()).unwrap()).unwrap();
    let overrides_path = dir.join("spec-overrides.json");
    let overrides = json!({"$comment": "kept", "operationIds": {"GET /orgs/{org_id}/items": "listItems"},
        "patches": [{"op": "replace", "path": "/info/title", "value": "Items"}]});
    std::fs::write(&overrides_path, serde_json::to_string_pretty(&overrides).unwrap()).unwrap();
    let report_path = dir.join("drift.jsonl");
    std::fs::write(&report_path, report_lines()).unwrap();
    let s = |p: &Path| p.display().to_string();
    (dir, s(&spec_path), s(&overrides_path), s(&report_path))
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

#[test]
fn learn_adds_evidence_labelled_patches_only_and_a_second_run_changes_nothing() {
    let (_dir, spec, overrides, report) = setup("learn");
    let before = read(&overrides);
    let (code, out, err) = run(&["learn", &report, "--spec", &spec, "--overrides", &overrides]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("learned 5 additions; 1 finding for review; 0 already described"), "{out}");
    assert!(out.contains("review [required-missing]"), "{out}");
    let after = read(&overrides);
    // Nothing removed or changed: the old members stay, the old patches are a prefix.
    assert_eq!(after["$comment"], before["$comment"]);
    assert_eq!(after["operationIds"], before["operationIds"]);
    let patches = after["patches"].as_array().unwrap();
    assert_eq!(patches[0], before["patches"][0]);
    let added: Vec<(&str, &str)> =
        patches[1..].iter().map(|p| (p["op"].as_str().unwrap(), p["path"].as_str().unwrap())).collect();
    assert_eq!(
        added,
        [
            ("add", "/components/schemas/Item/properties/color"),
            ("add", "/components/schemas/Item/properties/dims"),
            ("add", "/components/schemas/Status/enum/-"),
            ("add", "/paths/~1orgs~1{org_id}~1items/get/responses/409"),
            ("add", "/components/responses/Bad/content/application~1problem+json"),
        ]
    );
    assert_eq!(patches[1]["value"], json!({"type": ["string", "null"]}), "the inferred type");
    assert_eq!(
        patches[1]["x-invent-observed"],
        json!({"kind": "property-added", "in": "GET /orgs/{org_id}/items (listItems) response 200 (application/json)",
               "count": 2, "first_seen": "2026-12-01T10:00:00Z", "last_seen": "2026-12-02T10:00:00Z"})
    );
    assert_eq!(patches[3]["value"], "paused");
    assert_eq!(
        patches[4]["value"]["content"]["application/json"]["schema"]["properties"]["error"],
        json!({"type": "string"})
    );
    assert!(patches.iter().all(|p| p["op"] == "add" || p == &before["patches"][0]), "only additions");
    let (code, out, _) = run(&["learn", &report, "--spec", &spec, "--overrides", &overrides]);
    assert_eq!(code, 0);
    assert!(out.contains("learned 0 additions; 1 finding for review; 5 already described"), "{out}");
    assert_eq!(read(&overrides), after, "a second run on the same report changes nothing");
    // The spec itself is never touched.
    assert_eq!(read(&spec), self::spec());
}

#[test]
fn learn_out_writes_a_patched_spec_and_leaves_the_overrides_alone() {
    let (dir, spec, overrides, report) = setup("out");
    let before = std::fs::read_to_string(&overrides).unwrap();
    let out_path = dir.join("patched.json").display().to_string();
    let (code, out, err) = run(&["learn", &report, "--spec", &spec, "--overrides", &overrides, "--out", &out_path]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&overrides).unwrap(), before);
    let patched = read(&out_path);
    assert_eq!(patched["components"]["schemas"]["Status"]["enum"], json!(["active", "archived", "paused"]));
    assert!(patched.pointer("/components/schemas/Item/properties/dims/properties/w").is_some());
    assert_eq!(patched["info"]["title"], "t", "only the learned patches are applied");
}

#[test]
fn verify_drift_exits_1_listing_undescribed_drift_and_0_once_learned() {
    let (_dir, spec, overrides, report) = setup("verify");
    let (code, out, err) = run(&["verify-drift", &report, "--spec", &spec, "--overrides", &overrides]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("6 findings the spec does not describe in 1 operation (5 learnable, 1 for review)"),
        "{out}"
    );
    assert!(out.contains("  GET /orgs/{org_id}/items (listItems): response 200 (application/json) `/*`: property `color` added (string or null); seen 2 times, 2026-12-01T10:00:00Z – 2026-12-02T10:00:00Z"), "{out}");
    assert!(out.contains(&format!("      [enum-value-added] {spec}#/components/schemas/Status")), "{out}");
    assert!(out.contains("NEEDS REVIEW\n  GET /orgs/{org_id}/items (listItems): response 200 (application/json) `/*`: required property `name` absent"), "{out}");
    let (code, json_out, _) =
        run(&["verify-drift", &report, "--spec", &spec, "--overrides", &overrides, "--format", "json"]);
    assert_eq!(code, 1);
    let parsed: Value = serde_json::from_str(&json_out).expect("JSON output");
    assert_eq!(parsed["summary"]["undescribed"], 6);

    run(&["learn", &report, "--spec", &spec, "--overrides", &overrides]);
    let (code, out, _) = run(&["verify-drift", &report, "--spec", &spec, "--overrides", &overrides]);
    assert_eq!(code, 1, "the required property still needs a human: {out}");
    assert!(out.starts_with("1 finding the spec does not describe"), "{out}");
    // Only learnable drift: exit 0 once learned.
    let learnable: String =
        report_lines().lines().filter(|l| !l.contains("required-missing")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&report, learnable).unwrap();
    let (code, out, _) = run(&["verify-drift", &report, "--spec", &spec, "--overrides", &overrides]);
    assert_eq!((code, out.trim()), (0, "no undescribed drift (5 findings described by the spec)"));
}

#[test]
fn malformed_reports_exit_2_naming_the_file_line_and_pointer() {
    let (dir, spec, overrides, report) = setup("malformed");
    let bad = dir.join("bad.jsonl").display().to_string();
    let good_line = report_lines().lines().next().unwrap().to_string();
    for (text, expected) in [
        (format!("{good_line}\nnot json\n"), format!("{bad}: line 2: : not JSON")),
        (
            format!("{}\n", good_line.replace("\"status\":200", "\"status\":\"200\"")),
            format!("{bad}: line 1: /status:"),
        ),
        (
            format!("{}\n", good_line.replace("property-added", "property-moved")),
            format!("{bad}: line 1: /kind: unknown kind"),
        ),
    ] {
        std::fs::write(&bad, &text).unwrap();
        for command in ["learn", "verify-drift"] {
            let (code, out, err) = run(&[command, &report, &bad, "--spec", &spec, "--overrides", &overrides]);
            assert_eq!(code, 2, "{command}: {out}{err}");
            assert!(err.contains(&expected), "{command}: {err}");
        }
    }
    let (code, _, err) = run(&["verify-drift", &dir.join("missing.jsonl").display().to_string(), "--spec", &spec]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.jsonl: cannot read"), "{err}");
    let (code, _, err) = run(&["verify-drift", "--spec", &spec]);
    assert_eq!(code, 2, "{err}");
}
