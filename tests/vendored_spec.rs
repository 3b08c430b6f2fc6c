//! Checks on the vendored `openapi.json` (the Invent spec rebuilt from the public documentation).
//!
//! The operation list is compared with `tests/spec_operations.tsv`, a table written from REFERENCE.md by hand,
//! so that deleting, renaming or relabelling an operation by accident fails here. Schema validity against the
//! OpenAPI 3.1 meta-schema is checked separately by `scripts/validate-spec.sh`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const EVIDENCE: [&str; 4] = ["documented", "documented-old-generation", "path-inferred", "third-party"];
const ERROR_STATUSES: [&str; 5] = ["400", "401", "404", "429", "5XX"];
/// The two WebSocket routes (REFERENCE.md section 2.5, rows 41-42): they answer `101`, not `200`.
const WEBSOCKET_ROUTES: [&str; 2] = ["/orgs/{org_id}/chats/ws", "/orgs/{org_id}/inbox/ws"];
const PAGINATION_HEADERS: [&str; 3] = ["pagination-count", "pagination-page", "pagination-take"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The vendored spec, when it is still the reconstruction (`info.x-invent-reconstruction`). Checks
/// against the table derived from REFERENCE.md describe the reconstruction; once `invent-spec update`
/// vendors the live spec they no longer apply, and the surface snapshot takes over.
fn reconstruction() -> Option<Value> {
    let spec = spec();
    if spec.pointer("/info/x-invent-reconstruction").is_some() {
        Some(spec)
    } else {
        eprintln!("openapi.json is not the reconstruction (no info.x-invent-reconstruction): table checks skipped");
        None
    }
}

fn spec() -> Value {
    let path = root().join("openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// One row of the table: (METHOD, path) -> (operationId, evidence).
type Table = BTreeMap<(String, String), (String, String)>;

fn table() -> Table {
    let path = root().join("tests/spec_operations.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("method\tpath\toperationId\tevidence"), "unexpected header in {}", path.display());
    let mut rows = Table::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cells.len(),
            4,
            "line {} of {} does not have 4 tab-separated cells: {line:?}",
            i + 2,
            path.display()
        );
        let key = (cells[0].to_string(), cells[1].to_string());
        let prev = rows.insert(key.clone(), (cells[2].to_string(), cells[3].to_string()));
        assert!(prev.is_none(), "duplicate row for {} {} in {}", key.0, key.1, path.display());
    }
    rows
}

/// Every operation of the spec as ((METHOD, path), operation object).
fn operations(spec: &Value) -> Vec<((String, String), &Value)> {
    let paths = spec["paths"].as_object().expect("`paths` is an object");
    let mut out = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().unwrap_or_else(|| panic!("path item {path} is not an object"));
        for (method, op) in item {
            if METHODS.contains(&method.as_str()) {
                out.push(((method.to_uppercase(), path.clone()), op));
            }
        }
    }
    out
}

fn name(key: &(String, String)) -> String {
    format!("{} {}", key.0, key.1)
}

fn report(problems: &[String]) -> String {
    format!("{} problem(s):\n  {}", problems.len(), problems.join("\n  "))
}

/// Resolves a local JSON pointer (`#/a/b`) against the document.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

/// Follows `$ref`s until a non-reference value (at most a few hops).
fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => v = resolve(doc, r).unwrap_or_else(|| panic!("unresolvable $ref {r}")),
            None => return v,
        }
    }
    panic!("$ref chain too long")
}

#[test]
fn is_openapi_3_1_0() {
    let Some(spec) = reconstruction() else { return };
    assert_eq!(spec["openapi"], "3.1.0", "openapi.json must declare OpenAPI 3.1.0");
    assert_eq!(spec["servers"][0]["url"], "https://api.useinvent.com", "server URL");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["type"], "http", "bearer security scheme");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer", "bearer security scheme");
    assert!(
        spec["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some())),
        "top-level security must require the bearer scheme"
    );
}

#[test]
fn operations_match_the_table() {
    let Some(spec) = reconstruction() else { return };
    let table = table();
    let mut problems = Vec::new();

    let mut seen = BTreeSet::new();
    for (key, op) in operations(&spec) {
        seen.insert(key.clone());
        let id = op["operationId"].as_str().unwrap_or("<none>");
        let evidence = op["x-invent-evidence"].as_str().unwrap_or("<none>");
        match table.get(&key) {
            None => problems.push(format!("{}: in openapi.json but not in the table (extra)", name(&key))),
            Some((want_id, want_evidence)) => {
                if id != want_id {
                    problems.push(format!("{}: operationId is {id}, the table says {want_id}", name(&key)));
                }
                if evidence != want_evidence {
                    problems.push(format!(
                        "{}: x-invent-evidence is {evidence}, the table says {want_evidence}",
                        name(&key)
                    ));
                }
            }
        }
    }
    for key in table.keys() {
        if !seen.contains(key) {
            problems.push(format!("{}: in the table but missing from openapi.json", name(key)));
        }
    }
    assert!(problems.is_empty(), "openapi.json and tests/spec_operations.tsv disagree: {}", report(&problems));
    assert_eq!(table.len(), 53, "the table must list the 51 request/response operations and the 2 WebSocket routes");
}

#[test]
fn every_operation_is_fully_described() {
    let Some(spec) = reconstruction() else { return };
    let declared_tags: BTreeSet<&str> =
        spec["tags"].as_array().map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect()).unwrap_or_default();
    let mut problems = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();

    for (key, op) in operations(&spec) {
        let n = name(&key);
        match op["operationId"].as_str() {
            Some(id) if !id.is_empty() => {
                if let Some(other) = ids.insert(id.to_string(), n.clone()) {
                    problems.push(format!("{n}: operationId {id} is also used by {other}"));
                }
                if !id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    || !id.chars().all(|c| c.is_ascii_alphanumeric())
                {
                    problems.push(format!("{n}: operationId {id} is not camelCase"));
                }
            }
            _ => problems.push(format!("{n}: no operationId")),
        }
        match op["tags"].as_array() {
            Some(tags) if tags.len() == 1 => {
                let tag = tags[0].as_str().unwrap_or("");
                if !declared_tags.contains(tag) {
                    problems.push(format!("{n}: tag {tag:?} is not declared in the top-level tags"));
                }
            }
            _ => problems.push(format!("{n}: must have exactly one tag, has {}", op["tags"])),
        }
        for field in ["summary", "description"] {
            if op[field].as_str().is_none_or(|s| s.trim().is_empty()) {
                problems.push(format!("{n}: empty or missing {field}"));
            }
        }
        match op["x-invent-evidence"].as_str() {
            Some(e) if EVIDENCE.contains(&e) => {}
            other => problems.push(format!("{n}: x-invent-evidence is {other:?}, expected one of {EVIDENCE:?}")),
        }
        // Path parameters: every template variable declared, in path, required, a string.
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for var in key.1.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')) {
            let p = params.iter().map(|p| deref(&spec, p)).find(|p| p["name"] == var && p["in"] == "path");
            match p {
                None => problems.push(format!("{n}: path parameter {var} is not declared")),
                Some(p) => {
                    if p["required"] != true || p["schema"]["type"] != "string" {
                        problems.push(format!("{n}: path parameter {var} must be a required string"));
                    }
                    if p["description"].as_str().is_none_or(|s| s.is_empty()) {
                        problems.push(format!("{n}: path parameter {var} has no description"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "incompletely described operations: {}", report(&problems));
}

#[test]
fn every_operation_declares_error_responses() {
    let Some(spec) = reconstruction() else { return };
    let mut problems = Vec::new();
    for (key, op) in operations(&spec) {
        let responses = &op["responses"];
        let success = if WEBSOCKET_ROUTES.contains(&key.1.as_str()) { "101" } else { "200" };
        if responses.get(success).is_none() {
            problems.push(format!("{}: no {success} response", name(&key)));
        }
        if responses.get("500").is_some() || responses.get("default").is_some() {
            problems.push(format!("{}: 5xx errors are declared once, as `5XX`", name(&key)));
        }
        for status in ERROR_STATUSES {
            if responses.get(status).is_none() {
                problems.push(format!("{}: no {status} response", name(&key)));
            }
        }
    }
    assert!(problems.is_empty(), "missing responses: {}", report(&problems));

    // 5xx are infrastructure errors: their body need not be JSON, so the 5XX response admits any media type.
    let server_error = deref(&spec, &spec["paths"]["/orgs/{org_id}/assistants"]["get"]["responses"]["5XX"]);
    let media: Vec<&String> = server_error["content"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
    assert!(media.iter().any(|m| *m == "*/*"), "5XX must admit any media type, has {media:?}");

    // The error body shape is undocumented: the Error schema must stay an open object with no invented fields.
    let error = &spec["components"]["schemas"]["Error"];
    assert_eq!(error["type"], "object", "Error must be an object");
    assert_eq!(error["additionalProperties"], true, "Error must be an open object");
    assert!(error.get("properties").is_none(), "Error must not invent fields: {error}");
}

#[test]
fn list_operations_declare_pagination_headers() {
    let Some(spec) = reconstruction() else { return };
    let mut problems = Vec::new();
    let mut lists = 0;
    for (key, op) in operations(&spec) {
        let Some(ok) = op["responses"].get("200").map(|r| deref(&spec, r)) else {
            continue;
        };
        let Some(schema) = ok.pointer("/content/application~1json/schema").map(|s| deref(&spec, s)) else {
            continue;
        };
        if schema["type"] != "array" {
            continue;
        }
        lists += 1;
        for header in PAGINATION_HEADERS {
            if ok["headers"].get(header).is_none() {
                problems.push(format!("{}: list response does not declare the {header} header", name(&key)));
            }
        }
    }
    assert!(problems.is_empty(), "list operations without pagination headers: {}", report(&problems));
    assert!(lists > 0, "no list operation found: the check above tested nothing");
}

#[test]
fn every_ref_resolves() {
    fn walk(doc: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref") {
                    match r.as_str() {
                        Some(s) if s.starts_with("#/") => {
                            if resolve(doc, s).is_none() {
                                problems.push(format!("{at}: $ref {s} does not resolve"));
                            }
                        }
                        _ => problems.push(format!("{at}: $ref {r} is not a local reference")),
                    }
                }
                for (k, child) in map {
                    let escaped = k.replace('~', "~0").replace('/', "~1");
                    walk(doc, child, &format!("{at}/{escaped}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(doc, child, &format!("{at}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    let spec = spec();
    let mut problems = Vec::new();
    walk(&spec, &spec, "#", &mut problems);
    assert!(problems.is_empty(), "dangling references: {}", report(&problems));
}

/// Only assistant creation has the 10-per-hour limit; every other 429 names the general limit only.
#[test]
fn the_assistant_creation_limit_is_only_on_create_assistant() {
    let Some(spec) = reconstruction() else { return };
    let mut problems = Vec::new();
    for (key, op) in operations(&spec) {
        let description = deref(&spec, &op["responses"]["429"])["description"].as_str().unwrap_or_default().to_string();
        let creation_limit = description.contains("10 assistant creations per hour");
        let is_create = op["operationId"] == "createAssistant";
        if creation_limit != is_create {
            problems.push(format!("{}: 429 says {description:?}", name(&key)));
        }
        if !description.contains("500 requests per minute") {
            problems.push(format!("{}: 429 does not name the general limit: {description:?}", name(&key)));
        }
    }
    assert!(problems.is_empty(), "429 wording: {}", report(&problems));
}

/// Every object schema in the document, with its pointer (components and inline, not through `$ref`s).
fn object_schemas<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            if map.get("properties").is_some_and(Value::is_object) {
                out.push((at.clone(), v));
            }
            for (k, child) in map {
                object_schemas(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                object_schemas(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Field names the docs do not show are flagged `x-invent-guessed`, never required, and sit in open
/// objects (`additionalProperties: {}`, which gives the generated struct a map for the real names).
#[test]
fn guessed_fields_are_optional_and_their_objects_open() {
    let Some(spec) = reconstruction() else { return };
    let mut objects = Vec::new();
    object_schemas(&spec, "#".into(), &mut objects);
    let mut problems = Vec::new();
    let mut guessed = 0;
    for (at, schema) in objects {
        let required: Vec<&str> =
            schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let Some(props) = schema["properties"].as_object() else { continue };
        for (field, prop) in props {
            if prop.get("x-invent-guessed") != Some(&Value::Bool(true)) {
                continue;
            }
            guessed += 1;
            if required.contains(&field.as_str()) {
                problems.push(format!("{at}: guessed field {field} is required"));
            }
            if prop.get("default").is_some() {
                problems.push(format!("{at}: guessed field {field} has a default (it would always be sent)"));
            }
            if schema.get("additionalProperties") != Some(&serde_json::json!({})) {
                problems
                    .push(format!("{at}: holds guessed field {field} but is not open (additionalProperties: {{}})"));
            }
        }
    }
    assert!(problems.is_empty(), "guessed fields: {}", report(&problems));
    let decide = &spec["components"]["schemas"]["DecideActionApprovalRequest"];
    assert!(decide.get("required").is_none(), "the decide-approval body has no confirmed field: {decide}");
    assert_eq!(guessed, 3, "the three decide-approval fields are the guessed ones");
}

/// Ids are prefixed (`org_` / `ast_` + 22 characters): the org and assistant id parameters and fields carry
/// such examples (AssistantAction keeps the documented placeholder `ast_XXX`).
#[test]
fn org_and_assistant_ids_have_prefixed_examples() {
    let Some(spec) = reconstruction() else { return };
    let well_formed = |v: &Value, prefix: &str| {
        v.as_str().is_some_and(|s| {
            s.strip_prefix(prefix)
                .is_some_and(|t| t == "XXX" || (t.len() == 22 && t.chars().all(|c| c.is_ascii_alphanumeric())))
        })
    };
    let has_example = |schema: &Value, prefix: &str| {
        schema["examples"].as_array().is_some_and(|e| e.iter().any(|x| well_formed(x, prefix)))
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for (key, op) in operations(&spec) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let prefix = match p["name"].as_str() {
                Some("org_id" | "sub_org_id") => "org_",
                Some("assistant_id") => "ast_",
                _ => continue,
            };
            checked += 1;
            if !has_example(&p["schema"], prefix) {
                problems.push(format!("{}: parameter {} has no {prefix}… example", name(&key), p["name"]));
            }
        }
    }
    let mut objects = Vec::new();
    object_schemas(&spec["components"]["schemas"], "#/components/schemas".into(), &mut objects);
    for (at, schema) in objects {
        for (field, prop) in schema["properties"].as_object().into_iter().flatten() {
            let prefix = match field.as_str() {
                "org_id" => "org_",
                "assistant_id" => "ast_",
                _ => continue,
            };
            checked += 1;
            if !has_example(prop, prefix) {
                problems.push(format!("{at}/properties/{field}: no {prefix}… example"));
            }
        }
    }
    assert!(problems.is_empty(), "id examples: {}", report(&problems));
    assert!(checked > 50, "only {checked} id parameters and fields found: the check looked at nothing");
}

/// The WebSocket routes answer `101 Switching Protocols` and nothing else succeeds; no other operation
/// declares a `101`.
#[test]
fn websocket_routes_are_upgrades() {
    let Some(spec) = reconstruction() else { return };
    let mut problems = Vec::new();
    for (key, op) in operations(&spec) {
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let is_ws = WEBSOCKET_ROUTES.contains(&key.1.as_str());
        if is_ws {
            if key.0 != "GET" {
                problems.push(format!("{}: a WebSocket upgrade is a GET", name(&key)));
            }
            if responses.keys().any(|c| c.starts_with('2')) {
                problems.push(format!("{}: declares a 2xx next to the 101", name(&key)));
            }
            if responses.get("101").is_some_and(|r| r.get("content").is_some()) {
                problems.push(format!("{}: the 101 has a body", name(&key)));
            }
        } else if responses.contains_key("101") {
            problems.push(format!("{}: declares a 101", name(&key)));
        }
    }
    assert!(problems.is_empty(), "websocket routes: {}", report(&problems));
    let frame = &spec["components"]["schemas"]["ChatEvent"];
    assert_eq!(frame["properties"]["data"]["$ref"], "#/components/schemas/Chat", "ChatEvent carries a Chat: {frame}");
}

/// `scripts/build_openapi.py` reproduces openapi.json, prints usage for `--help` without writing, and
/// refuses unknown arguments with exit 2. Run on a copy of the script, so openapi.json is never touched.
#[test]
fn build_script_reproduces_the_spec_and_refuses_unknown_arguments() {
    let Some(spec_text) =
        reconstruction().map(|_| std::fs::read_to_string(root().join("openapi.json")).unwrap_or_default())
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("invent-build-openapi-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scripts")).expect("temp dir");
    std::fs::copy(root().join("scripts/build_openapi.py"), dir.join("scripts/build_openapi.py")).expect("copy script");
    let out = dir.join("openapi.json");
    let run = |args: &[&str]| {
        std::process::Command::new("python3")
            .arg(dir.join("scripts/build_openapi.py"))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("python3 is needed to run scripts/build_openapi.py: {e}"))
    };

    let help = run(&["--help"]);
    assert!(help.status.success(), "--help: {help:?}");
    assert!(String::from_utf8_lossy(&help.stdout).contains("usage: build_openapi.py"), "{help:?}");
    assert!(!out.exists(), "--help wrote openapi.json");

    for bad in [&["--bogus"][..], &["extra-positional"], &["--check", "--write"]] {
        let r = run(bad);
        assert_eq!(r.status.code(), Some(2), "{bad:?}: {r:?}");
        assert!(String::from_utf8_lossy(&r.stderr).contains("usage: build_openapi.py"), "{bad:?}: {r:?}");
        assert!(!out.exists(), "{bad:?} wrote openapi.json");
    }

    let check = run(&["--check"]);
    assert_eq!(check.status.code(), Some(1), "--check without openapi.json must fail: {check:?}");
    assert!(!out.exists(), "--check wrote openapi.json");

    let build = run(&[]);
    assert!(build.status.success(), "{build:?}");
    let built = std::fs::read_to_string(&out).expect("the script wrote openapi.json");
    assert!(built == spec_text, "openapi.json is not what scripts/build_openapi.py builds: run it");
    assert!(run(&["--check"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
