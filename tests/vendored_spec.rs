//! Checks on the vendored `openapi.json` (the Invent spec rebuilt from the public documentation).
//!
//! The operation list is compared with `tests/spec_operations.tsv`, a table written from REFERENCE.md by hand,
//! so that deleting, renaming or relabelling an operation by accident fails here. Schema validity against the
//! OpenAPI 3.1 meta-schema is checked separately by `scripts/validate-spec.sh`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const EVIDENCE: [&str; 3] = ["documented", "path-inferred", "third-party"];
const ERROR_STATUSES: [&str; 5] = ["400", "401", "404", "429", "500"];
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
    assert_eq!(
        lines.next(),
        Some("method\tpath\toperationId\tevidence"),
        "unexpected header in {}",
        path.display()
    );
    let mut rows = Table::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), 4, "line {} of {} does not have 4 tab-separated cells: {line:?}", i + 2, path.display());
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
    assert_eq!(table.len(), 51, "the table must list the 51 operations of the issue");
}

#[test]
fn every_operation_is_fully_described() {
    let Some(spec) = reconstruction() else { return };
    let declared_tags: BTreeSet<&str> = spec["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
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
        if responses.get("200").is_none() {
            problems.push(format!("{}: no 200 response", name(&key)));
        }
        for status in ERROR_STATUSES {
            if responses.get(status).is_none() {
                problems.push(format!("{}: no {status} response", name(&key)));
            }
        }
    }
    assert!(problems.is_empty(), "missing responses: {}", report(&problems));

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
