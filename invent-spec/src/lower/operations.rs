//! What progenitor 0.15 needs per operation: a unique operationId (synthesized from method + path when
//! missing, de-duplicated the way progenitor snake_cases them), parameters it can render (path-level
//! ones pushed down; cookie, deepObject, object-query, shadowing and reserved-header parameters dropped;
//! `content` → `schema`; non-scalar or nullable path/header parameters → string; path template and
//! path parameters made to agree), exactly one request media type (json > +json > form > octet-stream >
//! text; multipart-only operations dropped), and one success plus one error response type
//! (`default` → `4XX`/`5XX`, minority responses dropped), with JSON-ish media types renamed
//! `application/json` and schema-less JSON given `{}`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::walk::{self, Result, Shape};
use crate::pointer::join;
use crate::Report;

/// Methods of the generated `Client` (inherent, or from `ClientInfo`) an operation must not shadow.
const RESERVED_IDS: [&str; 6] = ["new", "new_with_client", "api_version", "baseurl", "client", "inner"];

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
            responses(op, &op_ptr, report);
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

fn param_key(p: &Value) -> (String, String) {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    (s("name"), s("in"))
}

/// Path-item parameters are copied into the operation unless it overrides them (same name and `in`).
fn push_down(op: &mut Map<String, Value>, shared: &[Value]) {
    let own: Vec<Value> = match op.shift_remove("parameters") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let own_keys: BTreeSet<(String, String)> = own.iter().map(param_key).collect();
    let mut merged: Vec<Value> = shared.iter().filter(|p| !own_keys.contains(&param_key(p))).cloned().collect();
    merged.extend(own);
    op.insert("parameters".into(), Value::Array(merged));
}

/// The shape classes progenitor renders with `to_string()` (path and header parameters).
fn is_scalar(shape: Shape) -> bool {
    matches!(shape, Shape::String | Shape::Integer | Shape::Number | Shape::Boolean)
}

fn string_schema(old: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String("string".into()));
    if let Some(d) = old.and_then(|s| s.get("description")) {
        m.insert("description".into(), d.clone());
    }
    Value::Object(m)
}

fn parameters(
    op: &mut Map<String, Value>,
    op_ptr: &str,
    names: &[String],
    schemas: Option<&Map<String, Value>>,
    report: &mut Report,
) {
    let list: Vec<Value> = match op.shift_remove("parameters") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let pptr = join(op_ptr, "parameters");
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut kept: Vec<Value> = Vec::new();
    for (i, mut p) in list.into_iter().enumerate() {
        let ptr = format!("{pptr}/{i}");
        let (name, location) = param_key(&p);
        if !seen.insert((name.clone(), location.clone())) {
            report.note(
                &ptr,
                "duplicate-parameter",
                format!("{location} parameter `{name}` declared twice; the later one dropped"),
            );
            continue;
        }
        let Some(obj) = p.as_object_mut() else { continue };
        match parameter(obj, &ptr, &name, &location, names, schemas, report) {
            Ok(()) => kept.push(p),
            Err((rule, why)) => report.note(&ptr, rule, format!("{location} parameter `{name}` dropped: {why}")),
        }
    }
    // A query parameter named like a path parameter: progenitor keys parameters by wire name.
    let path_names: BTreeSet<String> =
        kept.iter().filter(|p| param_key(p).1 == "path").map(|p| param_key(p).0).collect();
    kept.retain(|p| {
        let (name, location) = param_key(p);
        let shadow = location != "path" && path_names.contains(&name);
        if shadow {
            report.note(
                &pptr,
                "shadowing-parameter",
                format!("{location} parameter `{name}` has a path parameter's name; dropped"),
            );
        }
        !shadow
    });
    // Two parameters that become the same Rust identifier (`page_size`, `pageSize`), or `body`.
    let mut idents: BTreeSet<String> = BTreeSet::new();
    if op.contains_key("requestBody") {
        idents.insert("body".into());
    }
    kept.retain(|p| {
        let (name, location) = param_key(p);
        let fresh = idents.insert(walk::ident_key(&name)) && !walk::ident_key(&name).is_empty();
        if !fresh {
            report.note(
                &pptr,
                "parameter-name-collision",
                format!("{location} parameter `{name}` collides with another parameter's Rust name; dropped"),
            );
        }
        fresh
    });
    for name in names {
        if !kept.iter().any(|p| param_key(p) == (name.clone(), "path".to_string())) {
            let mut m = Map::new();
            m.insert("name".into(), Value::String(name.clone()));
            m.insert("in".into(), Value::String("path".into()));
            m.insert("required".into(), Value::Bool(true));
            m.insert("schema".into(), string_schema(None));
            kept.push(Value::Object(m));
            report.note(
                &pptr,
                "missing-path-parameter",
                format!("path parameter `{name}` was not declared; added as a string"),
            );
        }
    }
    if !kept.is_empty() {
        op.insert("parameters".into(), Value::Array(kept));
    }
}

/// Repairs one parameter, or says why it must go.
fn parameter(
    p: &mut Map<String, Value>,
    ptr: &str,
    name: &str,
    location: &str,
    names: &[String],
    schemas: Option<&Map<String, Value>>,
    report: &mut Report,
) -> std::result::Result<(), (&'static str, String)> {
    if location == "cookie" {
        return Err(("cookie-parameter", "progenitor cannot send cookie parameters".into()));
    }
    if location == "header" && ["authorization", "accept", "content-type"].contains(&name.to_ascii_lowercase().as_str())
    {
        return Err(("reserved-header", "OpenAPI ignores this header parameter".into()));
    }
    if let Some(Value::Object(s)) = p.get_mut("schema") {
        if s.shift_remove("nullable").is_some() {
            report.count("nullable-parameter");
        }
    }
    // Nullable still means: through a reference to a nullable component.
    let (shape, nullable) = p.get("schema").map_or((Shape::Any, false), |s| walk::shape(schemas, s));
    let style = p.get("style").and_then(Value::as_str).map(str::to_string);
    match location {
        "path" => {
            if !names.iter().any(|n| n == name) {
                return Err(("path-parameter", "not in the path template".into()));
            }
            if p.get("required") != Some(&Value::Bool(true)) {
                p.insert("required".into(), Value::Bool(true));
                report.count("path-parameter");
            }
            if style.as_deref().is_some_and(|s| s != "simple") {
                p.shift_remove("style");
                report.note(
                    ptr,
                    "parameter-style",
                    format!("path parameter `{name}` style `{}` sent as `simple`", style.unwrap_or_default()),
                );
            }
        }
        "query" => {
            match style.as_deref() {
                None | Some("form") => {}
                Some("deepObject") if matches!(shape, Shape::Object | Shape::Any | Shape::Union) => {
                    return Err(("deep-object", "progenitor cannot send deepObject parameters".into()));
                }
                Some("spaceDelimited" | "pipeDelimited") if shape == Shape::Array => {
                    return Err((
                        "parameter-style",
                        format!("progenitor cannot send {} arrays", style.unwrap_or_default()),
                    ));
                }
                Some(_) => {
                    p.shift_remove("style");
                    report.count("parameter-style");
                }
            }
            if shape == Shape::Object {
                return Err(("object-query-parameter", "progenitor cannot serialize object query parameters".into()));
            }
        }
        _ => {
            if style.as_deref().is_some_and(|s| s != "simple") {
                p.shift_remove("style");
                report.count("parameter-style");
            }
        }
    }
    // Path and header values are rendered with `to_string()`: only plain scalars have a usable Display.
    if (location == "path" || location == "header") && (!is_scalar(shape) || nullable) {
        let old = p.get("schema").cloned();
        p.insert("schema".into(), string_schema(old.as_ref()));
        if is_scalar(shape) {
            report.count("nullable-parameter");
        } else {
            report.note(
                ptr,
                "parameter-type",
                format!("{location} parameter `{name}` is not a scalar; typed as string"),
            );
        }
    }
    Ok(())
}

/// Media types ranked by preference, with what they are sent as (anything unknown as raw bytes).
fn request_rank(media: &str) -> (u8, &'static str) {
    let m = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match m.as_str() {
        "application/json" => (0, "application/json"),
        _ if m.ends_with("+json") || m.ends_with("/json") => (1, "application/json"),
        "application/x-www-form-urlencoded" => (2, "application/x-www-form-urlencoded"),
        _ if m.starts_with("multipart/") => (3, MULTIPART),
        "application/octet-stream" => (4, "application/octet-stream"),
        "text/plain" | "text/x-markdown" => (5, "text/plain"),
        _ if m.starts_with("text/") => (6, "text/plain"),
        _ => (7, "application/octet-stream"),
    }
}

const MULTIPART: &str = "multipart/form-data";

/// Extension on operations whose body is sent as `multipart/form-data`: `{"encoding": {property:
/// content type}}`. progenitor sees the body as JSON (so typify generates its struct); the generator
/// replaces the JSON encoding with the crate's multipart encoder (`rewrite::multipart`).
pub const MULTIPART_BODY: &str = "x-invent-multipart";

/// Marks the placeholder component that binary properties of multipart bodies point to; the generator
/// replaces its type with the crate's file-part type (typify `with_replacement`).
pub const FILE_PART: &str = "x-invent-file-part";

/// Keeps one request media type (JSON first: where an operation offers JSON and multipart, users get
/// the JSON body).
fn request_body(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
    let bptr = join(op_ptr, "requestBody");
    let Some(Value::Object(body)) = op.get_mut("requestBody") else { return };
    let Some(Value::Object(content)) = body.get_mut("content") else {
        op.shift_remove("requestBody");
        report.count("request-media-type");
        return;
    };
    if content.is_empty() {
        op.shift_remove("requestBody");
        report.count("request-media-type");
        return;
    }
    let best = content.iter().enumerate().map(|(i, (k, _))| (request_rank(k), i, k.clone())).min();
    let Some(((_, target), _, chosen)) = best else { return };
    let mut media = content.shift_remove(&chosen).unwrap_or_default();
    let others: Vec<String> = content.keys().cloned().collect();
    content.clear();
    if !others.is_empty() {
        report.note(&bptr, "request-media-type", format!("sends `{chosen}` only; {others:?} dropped"));
    }
    let base = chosen.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if base != target && !(target == "text/plain" && base == "text/x-markdown") {
        report.note(&bptr, "request-media-type", format!("`{chosen}` is sent as `{target}`"));
    }
    if target == MULTIPART {
        let mut encoding = Map::new();
        if let Some(Value::Object(e)) = media.as_object_mut().and_then(|m| m.shift_remove("encoding")) {
            for (property, spec) in e {
                if let Some(ct) = spec.get("contentType").and_then(Value::as_str) {
                    encoding.insert(property, Value::String(ct.to_string()));
                }
            }
        }
        if media.get("schema").is_none() {
            if let Some(m) = media.as_object_mut() {
                m.insert("schema".into(), serde_json::json!({ "type": "object" }));
            }
        }
        content.insert("application/json".into(), media);
        op.insert(MULTIPART_BODY.into(), serde_json::json!({ "encoding": encoding }));
        report.count("multipart-body");
        return;
    }
    let key = if target == "text/plain" && base == "text/x-markdown" { base.clone() } else { target.to_string() };
    if let Some(m) = media.as_object_mut() {
        let schema = m.get("schema");
        let forced = match target {
            "application/octet-stream" => Some(binary_schema(schema)),
            "text/plain" => Some(string_schema(schema)),
            _ if schema.is_none() => Some(Value::Object(Map::new())),
            _ => None,
        };
        if let Some(forced) = forced {
            if m.get("schema") != Some(&forced) {
                m.insert("schema".into(), forced);
                report.count("request-schema");
            }
        }
    }
    content.insert(key, media);
}

fn binary_schema(old: Option<&Value>) -> Value {
    let mut s = string_schema(old);
    if let Some(m) = s.as_object_mut() {
        m.insert("format".into(), Value::String("binary".into()));
    }
    s
}

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

fn responses(op: &mut Map<String, Value>, op_ptr: &str, report: &mut Report) {
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
        for (class, rule, members) in [("success", "one-success-type", &success), ("errors", "one-error-type", &errors)] {
            if drop.iter().any(|(_, r, _)| *r == rule) {
                let entries = members
                    .iter()
                    .map(|c| typed_response_entry(c, &kind_of(c), responses.get(c.as_str())))
                    .collect();
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
fn hoist_typed_responses(doc: &mut Value, report: &mut Report) {
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
                if let (Some(status), Some(schema)) = (entry.get("status").and_then(Value::as_str), entry.get("schema")) {
                    refs.insert(status.to_string(), schema.clone());
                }
            }
            // The responses progenitor still sees use the same components (no second inline type).
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for (status, r) in responses.iter_mut() {
                    let (Some(schema), Some(media)) = (refs.get(status), r.pointer_mut("/content/application~1json")) else {
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

/// Points the binary properties of multipart bodies (`type: string, format: binary`, or arrays of them)
/// at one placeholder component marked [`FILE_PART`], which the generator replaces with the crate's
/// file-part type. Bodies given by `$ref` are changed in their component.
fn mark_file_parts(doc: &mut Value, report: &mut Report) {
    let mut bodies: Vec<String> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in walk::METHODS {
                if item.get(m).and_then(|op| op.get(MULTIPART_BODY)).is_none() {
                    continue;
                }
                // Follow `$ref`s to the object whose properties are the parts.
                let mut target =
                    format!("{}/requestBody/content/application~1json/schema", join(&join("/paths", path), m));
                for _ in 0..8 {
                    match doc.pointer(&target).and_then(|s| s.get("$ref")).and_then(Value::as_str) {
                        Some(r) if r.starts_with("#/") => target = r[1..].to_string(),
                        _ => break,
                    }
                }
                bodies.push(target);
            }
        }
    }
    let key = unique_component_key(doc, "InventFilePart");
    let file_ref = serde_json::json!({ "$ref": format!("#/components/schemas/{key}") });
    let mut replaced = 0;
    for target in bodies {
        let Some(schema) = doc.pointer_mut(&target) else { continue };
        replaced += file_part_properties(schema, &file_ref);
    }
    if replaced == 0 {
        return;
    }
    report.count_n("multipart-file-part", replaced);
    let placeholder = serde_json::json!({
        "type": "object",
        "description": "A file sent as one part of a multipart body (bytes or a stream, with a file name and content type).",
        FILE_PART: true,
    });
    if let Some(schemas) = doc
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut)
        .map(|c| c.entry("schemas").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut)
    {
        schemas.insert(key, placeholder);
    }
}

/// Replaces the binary properties of an object schema (and of its `allOf` members); returns how many.
fn file_part_properties(schema: &mut Value, file_ref: &Value) -> usize {
    let mut n = 0;
    if let Some(Value::Array(members)) = schema.get_mut("allOf") {
        for member in members {
            n += file_part_properties(member, file_ref);
        }
    }
    let Some(Value::Object(properties)) = schema.get_mut("properties") else { return n };
    for property in properties.values_mut() {
        let binary = |s: &Value| s.get("format").and_then(Value::as_str) == Some("binary");
        let nullable = property.get("nullable").cloned();
        let replacement = if binary(property) {
            file_ref.clone()
        } else if property.get("type").and_then(Value::as_str) == Some("array")
            && property.get("items").is_some_and(binary)
        {
            serde_json::json!({ "type": "array", "items": file_ref })
        } else {
            continue;
        };
        *property = match nullable {
            Some(Value::Bool(true)) => serde_json::json!({ "allOf": [replacement], "nullable": true }),
            _ => replacement,
        };
        n += 1;
    }
    n
}

fn unique_component_key(doc: &Value, base: &str) -> String {
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| walk::ident_key(k)).collect())
        .unwrap_or_default();
    walk::unique_name(base, &mut taken)
}

/// Unique operationIds: existing ones kept unless they collide with an earlier one once progenitor
/// snake_cases them (`duplicate-operation-id`); missing ones synthesized from method + path
/// (`synthesize-operation-id`), e.g. `GET /orgs/{org_id}/items` → `getOrgsByOrgIdItems`.
fn operation_ids(paths: &mut Map<String, Value>, report: &mut Report) {
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
    use super::*;
    use serde_json::json;

    fn run(paths: Value) -> (Value, Report) {
        run_with(paths, json!({}))
    }

    fn run_with(paths: Value, schemas: Value) -> (Value, Report) {
        let mut doc = json!({"paths": paths, "components": {"schemas": schemas}});
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        (doc["paths"].clone(), r)
    }

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
            op[TYPED_RESPONSES][class].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_string()).collect()
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

    #[test]
    fn one_request_media_type() {
        let (paths, r) = run(json!({"/a": {
            "post": {"operationId": "a", "responses": {}, "requestBody": {"content": {
                "multipart/form-data": {"schema": {}},
                "application/merge-patch+json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}},
            "put": {"operationId": "b", "responses": {}, "requestBody": {"content": {
                "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "image/png", "description": "d"}}}}},
            "patch": {"operationId": "c", "responses": {}, "requestBody": {"content": {"multipart/form-data": {
                "encoding": {"meta": {"contentType": "application/json"}}}}}}}}));
        assert_eq!(
            paths["/a"]["post"]["requestBody"],
            json!({"content": {"application/json": {"schema": {"type": "object"}}}})
        );
        assert_eq!(
            paths["/a"]["put"]["requestBody"],
            json!({"content": {"application/octet-stream": {"schema": {"type": "string", "description": "d", "format": "binary"}}}})
        );
        // A multipart-only body is kept: typed as JSON for typify, sent as multipart by the generator.
        assert_eq!(
            paths["/a"]["patch"]["requestBody"],
            json!({"content": {"application/json": {"schema": {"type": "object"}}}})
        );
        assert_eq!(paths["/a"]["patch"][MULTIPART_BODY], json!({"encoding": {"meta": "application/json"}}));
        assert!(r.dropped_operations().is_empty());
        assert!(r.rule_count("request-media-type") >= 2);
        assert_eq!(r.rule_count("multipart-body"), 1);
    }

    #[test]
    fn binary_properties_of_multipart_bodies_become_file_parts() {
        let mut doc = json!({
            "paths": {"/up": {"post": {"operationId": "up", "responses": {}, "requestBody": {"content": {
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/Body"}}}}}}},
            "components": {"schemas": {"Body": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "maybe": {"type": "string", "format": "binary", "nullable": true},
                "name": {"type": "string"}}}}}
        });
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        let props = &doc["components"]["schemas"]["Body"]["properties"];
        let file = json!({"$ref": "#/components/schemas/InventFilePart"});
        assert_eq!(props["file"], file);
        assert_eq!(props["files"], json!({"type": "array", "items": file}));
        assert_eq!(props["maybe"], json!({"allOf": [file], "nullable": true}));
        assert_eq!(props["name"], json!({"type": "string"}));
        assert_eq!(doc["components"]["schemas"]["InventFilePart"][FILE_PART], true);
        assert_eq!(r.rule_count("multipart-file-part"), 3);
    }

    #[test]
    fn parameters_progenitor_cannot_render() {
        let (paths, r) = run_with(
            json!({"/a/{id}/{obj}": {
            "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer", "nullable": true}}],
            "get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "Authorization", "in": "header", "schema": {"type": "string"}},
                {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                {"name": "o", "in": "query", "schema": {"$ref": "#/components/schemas/O"}},
                {"name": "id", "in": "query", "schema": {"type": "string"}},
                {"name": "tags", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "Q", "in": "query", "schema": {"type": "string"}},
                {"name": "gone", "in": "path", "required": true, "schema": {"type": "string"}}
            ]}}}),
            json!({"O": {"type": "object", "properties": {}}}),
        );
        assert_eq!(
            paths["/a/{id}/{obj}"]["get"]["parameters"],
            json!([
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                {"name": "tags", "in": "header", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "obj", "in": "path", "required": true, "schema": {"type": "string"}}
            ])
        );
        for rule in [
            "reserved-header",
            "cookie-parameter",
            "deep-object",
            "object-query-parameter",
            "shadowing-parameter",
            "parameter-type",
            "parameter-name-collision",
            "path-parameter",
            "missing-path-parameter",
            "nullable-parameter",
            "path-parameters",
        ] {
            assert!(r.rule_count(rule) > 0, "{rule}: {}", r.to_text());
        }
    }

    #[test]
    fn header_refs_to_nullable_components_become_strings() {
        let (paths, r) = run_with(
            json!({"/a": {"get": {"operationId": "a", "responses": {}, "parameters": [
                {"name": "h", "in": "header", "schema": {"$ref": "#/components/schemas/N"}},
                {"name": "k", "in": "header", "schema": {"$ref": "#/components/schemas/K"}}]}}}),
            json!({"N": {"allOf": [{"$ref": "#/components/schemas/K"}], "nullable": true},
                   "K": {"type": "string", "enum": ["a"]}}),
        );
        assert_eq!(
            paths["/a"]["get"]["parameters"],
            json!([{"name": "h", "in": "header", "schema": {"type": "string"}},
                   {"name": "k", "in": "header", "schema": {"$ref": "#/components/schemas/K"}}])
        );
        assert_eq!(r.rule_count("nullable-parameter"), 1);
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
