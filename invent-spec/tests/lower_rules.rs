//! Rules through the public `lower()` entry point (the per-rule fragment tests live next to each rule in
//! `src/lower/*.rs`), plus corpus-wide properties: every spec lowers, `openapiv3` parses the result,
//! output is byte-identical across runs, and lowering a lowered document changes nothing.

use std::path::PathBuf;

use invent_spec::{lower, LowerOptions, Report};
use serde_json::{json, Value};

mod common;
use common::corpus;

fn run(mut doc: Value) -> (Value, Report) {
    let report = lower(&mut doc, &LowerOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (doc, report)
}

fn doc(paths: Value, schemas: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths,
           "components": {"schemas": schemas}})
}

#[test]
fn a_31_document_lowers_end_to_end() {
    let input = json!({
        "openapi": "3.1.0",
        "info": {"title": "Invent", "version": "2024-01", "summary": "s"},
        "paths": {"/orgs/{org_id}/items": {
            "parameters": [{"name": "org_id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {
                "parameters": [{"name": "page", "in": "query", "schema": {"type": ["integer", "null"], "exclusiveMinimum": 0}}],
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
                    "default": {"description": "error", "content": {"application/problem+json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}}}}}}},
        "components": {"schemas": {
            "Item": {"title": "Item", "type": "object", "required": ["id"], "additionalProperties": false, "properties": {
                "id": {"type": "string", "examples": ["i_1"]},
                "status": {"anyOf": [{"$ref": "#/components/schemas/Status"}, {"type": "null"}]},
                "kind": {"const": "item"}}},
            "Status": {"type": "string", "enum": ["active", "archived"]},
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}}}}
    });
    let (out, report) = run(input);
    assert_eq!(
        out,
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Invent", "version": "2024-01", "description": "s"},
            "paths": {"/orgs/{org_id}/items": {
                "get": {
                    "parameters": [
                        {"name": "org_id", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
                        "4XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "5XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
                    "operationId": "getOrgsByOrgIdItems"}}},
            "components": {"schemas": {
                "Item": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "example": "i_1"},
                    "status": {"allOf": [{"$ref": "#/components/schemas/Status"}], "nullable": true},
                    "kind": {"enum": ["item"], "type": "string"}}},
                "Status": {"type": "string", "enum": ["active", "archived"]},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}}}}
        })
    );
    for rule in [
        "openapi-version",
        "info-summary",
        "type-array",
        "exclusive-bound",
        "nullable-parameter",
        "default-response",
        "json-media-type",
        "strip-title",
        "open-object",
        "examples",
        "null-branch",
        "const",
        "synthesize-operation-id",
        "path-parameters",
    ] {
        assert!(report.rule_count(rule) > 0, "rule {rule} did not fire:\n{}", report.to_text());
    }
    assert_eq!(report.summary_line().split(';').next(), Some("lowered: 1 operation"));
    let parsed: openapiv3::OpenAPI = serde_json::from_value(out.clone()).expect("openapiv3 parses the result");
    assert_eq!(parsed.openapi, "3.0.3");
    let (code, _) = invent_spec::generate::generate_standalone(out).expect("progenitor generates");
    assert!(code.contains("pub fn get_orgs_by_org_id_items"), "generated code lacks the operation");
}

#[test]
fn unsupported_documents_are_refused() {
    for (input, pointer) in [
        (json!({"swagger": "2.0", "info": {}, "paths": {}}), ""),
        (json!({"openapi": "3.2.0", "info": {}, "paths": {}}), "/openapi"),
        (json!({"asyncapi": "2.0.0"}), ""),
        (json!("openapi"), ""),
        (json!(null), ""),
    ] {
        let mut d = input.clone();
        let e = lower(&mut d, &LowerOptions::default()).unwrap_err();
        assert_eq!((e.pointer.as_str(), e.rule.as_str()), (pointer, "supported-version"), "{input}");
    }
}

#[test]
fn a_30_document_passes_through_with_the_progenitor_rules_only() {
    let input = json!({
        "openapi": "3.0.1", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}},
        "components": {"schemas": {"A": {"type": "object", "properties": {"n": {"type": "integer", "nullable": true,
            "minimum": 1, "exclusiveMinimum": true}}}}}
    });
    let (out, report) = run(input.clone());
    let mut expected = input;
    expected["openapi"] = json!("3.0.3");
    assert_eq!(out, expected);
    assert_eq!(report.counts().keys().collect::<Vec<_>>(), vec!["openapi-version"]);
}

#[test]
fn invalid_refs_and_items_are_dropped_with_notes() {
    let (out, report) = run(doc(
        json!({
            "/a": {"get": {"operationId": "a",
                "parameters": [{"in": "query"}, {"name": "x", "in": "query", "schema": {"type": "string"}},
                               {"name": "x", "in": "query", "schema": {"type": "integer"}},
                               {"name": "h", "in": "header"}, {"name": "s", "in": "query", "style": "pipeDelimited",
                                "schema": {"type": "array", "items": {"type": "string"}}},
                               {"name": "l", "in": "query", "style": "spaceDelimited", "schema": {"type": "string"}}],
                "responses": {"200": "nope", "201": {"description": "", "content": {"application/json": {}}}}},
                   "put": {"operationId": "b", "requestBody": {"content": {"text/csv": {"schema": {"type": "string", "maxLength": 9}}}}}},
            "/b": 7
        }),
        json!({"A": {"$ref": 5}}),
    ));
    assert_eq!(
        out["paths"],
        json!({"/a": {
            "get": {"operationId": "a",
                "parameters": [{"name": "x", "in": "query", "schema": {"type": "string"}},
                               {"name": "h", "in": "header", "schema": {"type": "string"}},
                               {"name": "s", "in": "query", "schema": {"type": "string",
                                "description": "Write the value as `a|b|c`: style pipeDelimited."}},
                               {"name": "l", "in": "query", "schema": {"type": "string"}}],
                "responses": {"201": {"description": "", "content": {"application/json": {"schema": {}}}}}},
            "put": {"operationId": "b", "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}},
                    "responses": {}}}})
    );
    assert_eq!(out["components"]["schemas"]["A"], json!({}));
    for rule in [
        "invalid-ref",
        "invalid-path-item",
        "invalid-parameter",
        "duplicate-parameter",
        "parameter-schema",
        "parameter-style",
        "invalid-response",
        "response-schema",
        "missing-responses",
        "request-media-type",
        "request-schema",
    ] {
        assert!(report.rule_count(rule) > 0, "rule {rule} did not fire:\n{}", report.to_text());
    }
}

#[test]
fn nullable_component_enum_is_split() {
    let (out, report) = run(doc(
        json!({}),
        json!({"CountryOrNull": {"type": ["string", "null"], "enum": [null, "AD", "AE"], "description": "c"}}),
    ));
    assert_eq!(
        out["components"]["schemas"],
        json!({
            "CountryOrNull": {"description": "c", "allOf": [{"$ref": "#/components/schemas/CountryOrNullValue"}], "nullable": true},
            "CountryOrNullValue": {"enum": ["AD", "AE"], "description": "c", "type": "string"}
        })
    );
    assert_eq!(report.rule_count("nullable-component"), 1);
}

#[test]
fn corpus_specs_lower_to_parseable_deterministic_fixpoints() {
    for (name, spec) in corpus() {
        let (once, report) = run(spec.clone());
        let text = serde_json::to_string_pretty(&once).unwrap_or_default();
        let (again, _) = run(spec);
        assert_eq!(text, serde_json::to_string_pretty(&again).unwrap_or_default(), "{name}: output not byte-identical");
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(once.clone()) {
            panic!("{name}: openapiv3 rejects the lowered document: {e}");
        }
        let (twice, second) = run(once.clone());
        assert_eq!(once, twice, "{name}: lowering the lowered document changed it: {}", second.to_text());
        assert!(report.operations_kept().unwrap_or(0) > 0, "{name}: no operations left");
    }
}

#[test]
fn regression_specs_lower_and_generate() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/specs exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let (code, report) =
            invent_spec::generate::generate_standalone(spec).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(code.contains("impl Client"), "{}", path.display());
        assert!(report.total_rewrites() > 0);
    }
}

fn regression_spec(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/specs").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON")
}

#[test]
fn upgrades_and_colliding_names_generate() {
    let out = invent_spec::generate::generate(regression_spec("upgrades-and-names.json"), &Default::default())
        .expect("generates");
    // Both GETs answering only 101 are progenitor's WebSocket upgrades (handshake headers, Upgraded).
    assert_eq!(out.client.matches("ResponseValue<reqwest::Upgraded>").count(), 2, "{}", out.report.to_text());
    assert_eq!(out.client.matches("SEC_WEBSOCKET_KEY").count(), 2);
    // `fooBar` is a field; `foo_bar` and `foo-bar` ride in the flattened map under their JSON names.
    assert!(out.client.contains("#[serde(rename = \"fooBar\")]"), "fooBar field missing");
    assert!(out.client.contains("#[serde(flatten)]") && out.client.contains("pub extra:"), "no extra map");
    assert_eq!(out.report.rule_count("property-name-collision"), 3);
    assert!(!out.report.dropped_anything(), "{}", out.report.to_text());
}

#[test]
fn mocks_and_cli_leave_out_array_and_map_query_parameters() {
    let opts = invent_spec::generate::Options { mock_crate: Some("demo".into()), ..Default::default() };
    let out = invent_spec::generate::generate(regression_spec("query-styles.json"), &opts).expect("generates");
    let mock = out.mock.expect("mock helpers");
    // httpmock helpers render query values with `to_string()`: arrays and maps have none.
    for (name, kept) in
        [("metadata", false), ("tags", false), ("filter[status]", false), ("limit", true), ("page[size]", true)]
    {
        assert_eq!(mock.contains(&format!("\"{name}\"")), kept, "{name} in the mock helpers");
    }
    let left_out: Vec<&str> =
        out.report.notes().iter().filter(|n| n.rule == "mock-cli-array-query").map(|n| n.message.as_str()).collect();
    // `group`, a free-form deepObject map, too (the crate's generated client sends it as `group[key]`).
    assert_eq!(left_out.len(), 4, "{left_out:?}");
    // The client itself sends them all.
    for name in ["metadata", "tags", "filter[status]"] {
        assert!(out.client.contains(&format!("QueryParam::new(\"{name}\"")), "{name} not sent by the client");
    }
}

/// The lean-call rewrites of a generated `send` are named in the report, one count per rewrite: every
/// operation's `api-version` header and request rebuild for a retry, each query parameter sent through
/// `query::param` (deepObject maps go through `DeepObject` instead), each WebSocket nonce.
#[test]
fn lean_call_rewrites_are_counted_in_the_report() {
    let counts = |name: &str| {
        let options = invent_spec::generate::Options::invent_crate(name, None);
        let out = invent_spec::generate::generate(regression_spec(name), &options).expect("generates");
        [
            "generated-send",
            "rebuild-for-retry",
            "api-version-dropped",
            "absent-query-skipped",
            "deep-object-map",
            "websocket-key",
        ]
        .map(|rule| out.report.rule_count(rule))
    };
    // 3 GETs sending 18 query parameters through `query::param` (form objects member by member: 7, 6
    // and 5 per operation) and 2 free-form deepObject maps (`group`, `metadata`) through `DeepObject`.
    assert_eq!(counts("query-styles.json"), [3, 3, 3, 18, 2, 0]);
    // 2 GETs answering only 101: each draws one handshake nonce from the runtime.
    assert_eq!(counts("upgrades-and-names.json")[5], 2);
}

/// Rule `path-segment-checked`: each path parameter (not the inlined org) goes through the runtime's
/// `call::path_segment`, named, with one count per parameter in the report; no `encode_path` is left.
#[test]
fn path_parameters_become_checked_segments_counted_in_the_report() {
    // constructs-1: `/things/{id}/{code}` and `/upload/{name}`; multipart-upload: `{contact_id}` after
    // the inlined org; the others only the org, or no path parameter at all.
    for (name, params) in [
        ("constructs-1.json", 3),
        ("multipart-upload.json", 1),
        ("upgrades-and-names.json", 0),
        ("query-styles.json", 0),
    ] {
        let options = invent_spec::generate::Options::invent_crate(name, None);
        let out = invent_spec::generate::generate(regression_spec(name), &options).expect("generates");
        assert_eq!(out.report.rule_count("path-segment-checked"), params, "{name}: {}", out.report.to_text());
        assert_eq!(out.client.matches("::call::path_segment(\"").count(), params, "{name}");
        assert!(!out.client.contains("encode_path("), "{name}: progenitor's encode_path is left");
    }
}
