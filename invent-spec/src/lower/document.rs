//! The shape of everything that is not a schema, so `openapiv3` parses the result: `info`, `servers`,
//! `tags`, `externalDocs`, `security`, `components.securitySchemes` (oauth2 flows without `scopes`),
//! path items, operations, responses, media types and parameters with wrongly typed fields; plus the
//! parts progenitor never reads and that only risk parse errors (`callbacks`, `links`, `examples` maps,
//! media `encoding`).

use serde_json::{Map, Value};

use super::walk::{self, Result};
use crate::pointer::join;
use crate::Report;

/// Rule for removed malformed fields that carried no API meaning (wrong JSON type for the field).
const SHAPE: &str = "malformed-field";

pub fn lower(doc: &mut Value, report: &mut Report) -> Result<()> {
    let Some(root) = doc.as_object_mut() else { return Ok(()) };
    match root.get("paths") {
        None => {
            root.insert("paths".into(), Value::Object(Map::new()));
            report.count("missing-paths");
        }
        Some(Value::Object(_)) => {}
        Some(_) => {
            root.insert("paths".into(), Value::Object(Map::new()));
            report.note("/paths", "missing-paths", "`paths` is not an object; replaced by `{}`");
        }
    }
    info(root, report);
    servers(root, "", report);
    if let Some(Value::Array(tags)) = root.get_mut("tags") {
        let before = tags.len();
        tags.retain(|t| t.get("name").is_some_and(Value::is_string));
        for t in tags.iter_mut() {
            if let Some(t) = t.as_object_mut() {
                external_docs(t, "/tags", report);
                string_field(t, "description", "/tags", report);
            }
        }
        report.count_n(SHAPE, before - tags.len());
    } else if root.shift_remove("tags").is_some() {
        report.count(SHAPE);
    }
    external_docs(root, "", report);
    security(root, "", report);
    match root.get_mut("components") {
        Some(Value::Object(c)) => components(c, report),
        Some(_) => {
            root.shift_remove("components");
            report.note("/components", SHAPE, "`components` is not an object; removed");
        }
        None => {}
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        let keys: Vec<String> = paths.keys().cloned().collect();
        for key in keys {
            let ptr = join("/paths", &key);
            if key.starts_with("x-") {
                continue;
            }
            if !key.starts_with('/') {
                paths.shift_remove(&key);
                report.note(&ptr, "invalid-path", "path does not start with `/`; removed");
                continue;
            }
            match paths.get_mut(&key) {
                Some(Value::Object(item)) => path_item(item, &ptr, report),
                _ => {
                    paths.shift_remove(&key);
                    report.drop_operation(&ptr, "invalid-path-item", "path item is not an object; removed");
                }
            }
        }
    }
    Ok(())
}

fn string_field(obj: &mut Map<String, Value>, key: &str, ptr: &str, report: &mut Report) {
    if obj.get(key).is_some_and(|v| !v.is_string()) {
        obj.shift_remove(key);
        report.note(&join(ptr, key), SHAPE, format!("`{key}` is not a string; removed"));
    }
}

fn bool_field(obj: &mut Map<String, Value>, key: &str, report: &mut Report) {
    if obj.get(key).is_some_and(|v| !v.is_boolean()) {
        obj.shift_remove(key);
        report.count(SHAPE);
    }
}

fn info(root: &mut Map<String, Value>, report: &mut Report) {
    let info = root.entry("info").or_insert_with(|| Value::Object(Map::new()));
    if !info.is_object() {
        *info = Value::Object(Map::new());
        report.note("/info", SHAPE, "`info` is not an object; replaced");
    }
    let Some(info) = info.as_object_mut() else { return };
    for key in ["title", "version"] {
        match info.get(key) {
            Some(Value::String(_)) => {}
            Some(Value::Number(n)) => {
                let s = n.to_string();
                info.insert(key.into(), Value::String(s));
                report.count(SHAPE);
            }
            _ => {
                info.insert(key.into(), Value::String(String::new()));
                report.note(&join("/info", key), SHAPE, format!("`info.{key}` missing or not a string; set to \"\""));
            }
        }
    }
    string_field(info, "description", "/info", report);
    string_field(info, "termsOfService", "/info", report);
    if let Some(c) = info.get_mut("contact") {
        let ok = match c.as_object_mut() {
            Some(c) => {
                for k in ["name", "url", "email"] {
                    string_field(c, k, "/info/contact", report);
                }
                true
            }
            None => false,
        };
        if !ok {
            info.shift_remove("contact");
            report.count(SHAPE);
        }
    }
    if let Some(l) = info.get_mut("license") {
        let ok = match l.as_object_mut() {
            Some(l) if l.get("name").is_some_and(Value::is_string) => {
                string_field(l, "url", "/info/license", report);
                true
            }
            _ => false,
        };
        if !ok {
            info.shift_remove("license");
            report.count(SHAPE);
        }
    }
}

fn servers(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(list) = obj.get_mut("servers") else { return };
    let Value::Array(list) = list else {
        obj.shift_remove("servers");
        report.count(SHAPE);
        return;
    };
    let before = list.len();
    list.retain(|s| s.get("url").is_some_and(Value::is_string));
    for s in list.iter_mut() {
        let Some(s) = s.as_object_mut() else { continue };
        string_field(s, "description", &join(ptr, "servers"), report);
        let drop_vars = match s.get_mut("variables") {
            Some(Value::Object(vars)) => {
                vars.retain(|_, v| v.is_object());
                for v in vars.values_mut() {
                    let Some(v) = v.as_object_mut() else { continue };
                    match v.get("default") {
                        Some(Value::String(_)) => {}
                        Some(other) if !other.is_null() && !other.is_object() && !other.is_array() => {
                            let s = other.to_string();
                            v.insert("default".into(), Value::String(s));
                        }
                        _ => {
                            v.insert("default".into(), Value::String(String::new()));
                        }
                    }
                    if let Some(e) = v.get_mut("enum") {
                        match e {
                            Value::Array(values) => values.retain(Value::is_string),
                            _ => {
                                v.shift_remove("enum");
                            }
                        }
                    }
                    if v.get("description").is_some_and(|d| !d.is_string()) {
                        v.shift_remove("description");
                    }
                }
                false
            }
            Some(_) => true,
            None => false,
        };
        if drop_vars {
            s.shift_remove("variables");
            report.count(SHAPE);
        }
    }
    report.count_n(SHAPE, before - list.len());
}

fn external_docs(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    if let Some(d) = obj.get("externalDocs") {
        if !d.get("url").is_some_and(Value::is_string) || d.get("description").is_some_and(|v| !v.is_string()) {
            obj.shift_remove("externalDocs");
            report.note(&join(ptr, "externalDocs"), SHAPE, "`externalDocs` without a string `url`; removed");
        }
    }
}

/// `security`: a list of `{scheme: [scope...]}`.
fn security(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(v) = obj.get_mut("security") else { return };
    let ok = match v {
        Value::Array(list) => {
            let before = list.len();
            list.retain(|req| {
                req.as_object()
                    .is_some_and(|m| m.values().all(|s| s.as_array().is_some_and(|a| a.iter().all(Value::is_string))))
            });
            report.count_n(SHAPE, before - list.len());
            true
        }
        _ => false,
    };
    if !ok {
        obj.shift_remove("security");
        report.note(&join(ptr, "security"), SHAPE, "`security` is not a list; removed");
    }
}

fn components(c: &mut Map<String, Value>, report: &mut Report) {
    if c.get("schemas").is_some_and(|s| !s.is_object()) {
        c.shift_remove("schemas");
        report.note("/components/schemas", SHAPE, "`components.schemas` is not an object; removed");
    }
    let Some(schemes) = c.get_mut("securitySchemes") else { return };
    let Value::Object(schemes) = schemes else {
        c.shift_remove("securitySchemes");
        report.count(SHAPE);
        return;
    };
    let names: Vec<String> = schemes.keys().cloned().collect();
    for name in names {
        let ptr = join("/components/securitySchemes", &name);
        let keep = match schemes.get_mut(&name) {
            Some(Value::Object(s)) if s.contains_key("$ref") => s.get("$ref").is_some_and(Value::is_string),
            Some(Value::Object(s)) => security_scheme(s, &ptr, report),
            _ => false,
        };
        if !keep {
            schemes.shift_remove(&name);
            report.note(&ptr, "security-scheme", "security scheme not expressible in OpenAPI 3.0; removed");
        }
    }
}

/// Returns whether the scheme can stay (after repairs).
fn security_scheme(s: &mut Map<String, Value>, ptr: &str, report: &mut Report) -> bool {
    string_field(s, "description", ptr, report);
    let has = |s: &Map<String, Value>, k: &str| s.get(k).is_some_and(Value::is_string);
    match s.get("type").and_then(Value::as_str) {
        Some("apiKey") => {
            has(s, "name") && matches!(s.get("in").and_then(Value::as_str), Some("query" | "header" | "cookie"))
        }
        Some("http") => {
            if s.get("bearerFormat").is_some_and(|v| !v.is_string()) {
                s.shift_remove("bearerFormat");
            }
            has(s, "scheme")
        }
        Some("openIdConnect") => has(s, "openIdConnectUrl"),
        Some("oauth2") => {
            let Some(Value::Object(flows)) = s.get_mut("flows") else { return false };
            let kinds = [
                ("implicit", &["authorizationUrl"][..]),
                ("password", &["tokenUrl"][..]),
                ("clientCredentials", &["tokenUrl"][..]),
                ("authorizationCode", &["authorizationUrl", "tokenUrl"][..]),
            ];
            for (kind, urls) in kinds {
                let Some(flow) = flows.get_mut(kind) else { continue };
                let Value::Object(flow) = flow else {
                    flows.shift_remove(kind);
                    report.count(SHAPE);
                    continue;
                };
                for url in urls {
                    if !flow.get(*url).is_some_and(Value::is_string) {
                        flow.insert((*url).into(), Value::String(String::new()));
                        report.count(SHAPE);
                    }
                }
                let scopes_ok =
                    flow.get("scopes").and_then(Value::as_object).is_some_and(|m| m.values().all(Value::is_string));
                if !scopes_ok {
                    flow.insert("scopes".into(), Value::Object(Map::new()));
                    report.count("oauth2-scopes");
                }
                if flow.get("refreshUrl").is_some_and(|v| !v.is_string()) {
                    flow.shift_remove("refreshUrl");
                }
            }
            true
        }
        // `mutualTLS` (3.1) and anything unknown.
        _ => false,
    }
}

fn path_item(item: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    string_field(item, "summary", ptr, report);
    string_field(item, "description", ptr, report);
    servers(item, ptr, report);
    if item.get("parameters").is_some_and(|p| !p.is_array()) {
        item.shift_remove("parameters");
        report.note(&join(ptr, "parameters"), SHAPE, "`parameters` is not a list; removed");
    }
    if let Some(Value::Array(params)) = item.get_mut("parameters") {
        parameters(params, &join(ptr, "parameters"), report);
    }
    for m in walk::METHODS {
        let op_ptr = join(ptr, m);
        match item.get_mut(m) {
            None => {}
            Some(Value::Object(op)) => operation(op, &op_ptr, report),
            Some(_) => {
                item.shift_remove(m);
                report.drop_operation(&op_ptr, "invalid-operation", "operation is not an object; removed");
            }
        }
    }
}

fn operation(op: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    for k in ["summary", "description", "operationId"] {
        string_field(op, k, ptr, report);
    }
    bool_field(op, "deprecated", report);
    match op.get_mut("tags") {
        Some(Value::Array(tags)) => {
            let before = tags.len();
            tags.retain(Value::is_string);
            report.count_n(SHAPE, before - tags.len());
        }
        Some(_) => {
            op.shift_remove("tags");
            report.count(SHAPE);
        }
        None => {}
    }
    external_docs(op, ptr, report);
    security(op, ptr, report);
    servers(op, ptr, report);
    if let Some(cb) = op.shift_remove("callbacks") {
        report.count_n("callbacks", cb.as_object().map_or(1, Map::len));
    }
    match op.get_mut("parameters") {
        Some(Value::Array(params)) => parameters(params, &join(ptr, "parameters"), report),
        Some(_) => {
            op.shift_remove("parameters");
            report.note(&join(ptr, "parameters"), SHAPE, "`parameters` is not a list; removed");
        }
        None => {}
    }
    let body_ok = match op.get_mut("requestBody") {
        Some(Value::Object(body)) => {
            string_field(body, "description", &join(ptr, "requestBody"), report);
            bool_field(body, "required", report);
            content(body, &join(ptr, "requestBody"), report);
            true
        }
        Some(_) => false,
        None => true,
    };
    if !body_ok {
        op.shift_remove("requestBody");
        report.note(&join(ptr, "requestBody"), SHAPE, "`requestBody` is not an object; removed");
    }
    let rptr = join(ptr, "responses");
    match op.get_mut("responses") {
        Some(Value::Object(responses)) => {
            let codes: Vec<String> = responses.keys().cloned().collect();
            for code in codes {
                if code.starts_with("x-") {
                    continue;
                }
                let cptr = join(&rptr, &code);
                if !valid_status(&code) {
                    responses.shift_remove(&code);
                    report.drop_response(&cptr, "invalid-status", format!("`{code}` is not a status code; dropped"));
                    continue;
                }
                match responses.get_mut(&code) {
                    Some(Value::Object(r)) => response(r, &cptr, report),
                    _ => {
                        responses.shift_remove(&code);
                        report.drop_response(&cptr, "invalid-response", "response is not an object; dropped");
                    }
                }
            }
        }
        Some(_) => {
            op.insert("responses".into(), Value::Object(Map::new()));
            report.note(&rptr, SHAPE, "`responses` is not an object; replaced by `{}`");
        }
        None => {
            op.insert("responses".into(), Value::Object(Map::new()));
            report.count("missing-responses");
        }
    }
}

/// `default`, `100`–`999`, or `1XX`–`9XX` (any case).
pub fn valid_status(code: &str) -> bool {
    if code == "default" {
        return true;
    }
    let b = code.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[0] != b'0'
        && ((b[1].is_ascii_digit() && b[2].is_ascii_digit()) || (b[1..].eq_ignore_ascii_case(b"XX")))
}

fn response(r: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    if !r.get("description").is_some_and(Value::is_string) {
        r.insert("description".into(), Value::String(String::new()));
        report.count("response-description");
    }
    if let Some(links) = r.shift_remove("links") {
        report.count_n("links", links.as_object().map_or(1, Map::len));
    }
    match r.get_mut("headers") {
        Some(Value::Object(headers)) => {
            let names: Vec<String> = headers.keys().cloned().collect();
            for name in names {
                let keep = match headers.get_mut(&name) {
                    Some(Value::Object(h)) => {
                        parameter_fields(h, &join(&join(ptr, "headers"), &name), report);
                        if h.get("style").is_some_and(|s| s != "simple") {
                            h.shift_remove("style");
                        }
                        true
                    }
                    _ => false,
                };
                if !keep {
                    headers.shift_remove(&name);
                    report.count(SHAPE);
                }
            }
        }
        Some(_) => {
            r.shift_remove("headers");
            report.count(SHAPE);
        }
        None => {}
    }
    content(r, ptr, report);
}

/// `content`: media type → media type object. Drops `examples` maps and `encoding`.
fn content(holder: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let cptr = join(ptr, "content");
    match holder.get_mut("content") {
        Some(Value::Object(media)) => {
            let before = media.len();
            media.retain(|_, m| m.is_object());
            report.count_n(SHAPE, before - media.len());
            for (mt, m) in media.iter_mut() {
                let Some(m) = m.as_object_mut() else { continue };
                if m.shift_remove("examples").is_some() {
                    report.count("examples-map");
                }
                if m.shift_remove("encoding").is_some() {
                    report.count("media-encoding");
                }
                if m.get("schema").is_some_and(|s| !s.is_object() && !s.is_boolean()) {
                    m.shift_remove("schema");
                    report.note(&join(&join(&cptr, mt), "schema"), SHAPE, "`schema` is not a schema; removed");
                }
            }
        }
        Some(_) => {
            holder.shift_remove("content");
            report.note(&cptr, SHAPE, "`content` is not an object; removed");
        }
        None => {}
    }
}

/// Parameters (already inlined): entries without a string `name` and a known `in` are dropped.
fn parameters(params: &mut Vec<Value>, ptr: &str, report: &mut Report) {
    let mut keep = Vec::with_capacity(params.len());
    for (i, mut p) in std::mem::take(params).into_iter().enumerate() {
        let pptr = format!("{ptr}/{i}");
        let ok = p.get("name").is_some_and(Value::is_string)
            && matches!(p.get("in").and_then(Value::as_str), Some("query" | "header" | "path" | "cookie"));
        if !ok {
            report.note(&pptr, "invalid-parameter", "parameter without a string `name` and a known `in`; dropped");
            continue;
        }
        if let Some(obj) = p.as_object_mut() {
            parameter_fields(obj, &pptr, report);
            for k in ["explode", "allowReserved", "allowEmptyValue"] {
                bool_field(obj, k, report);
            }
        }
        keep.push(p);
    }
    *params = keep;
}

/// Fields shared by parameters and headers.
fn parameter_fields(p: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    string_field(p, "description", ptr, report);
    string_field(p, "style", ptr, report);
    if p.get("required").is_some_and(|v| !v.is_boolean()) {
        p.insert("required".into(), Value::Bool(false));
        report.count(SHAPE);
    }
    bool_field(p, "deprecated", report);
    if p.shift_remove("examples").is_some() {
        report.count("examples-map");
    }
    if p.get("schema").is_some_and(|s| !s.is_object() && !s.is_boolean()) {
        p.shift_remove("schema");
        report.count(SHAPE);
    }
    content(p, ptr, report);
    schema_from_content(p, ptr, report);
}

/// Parameters and headers need exactly one of `schema`/`content`; progenitor reads `schema` only. The
/// first media type's schema is used (`parameter-content`); with neither, the value is typed as a
/// string (`parameter-schema`).
fn schema_from_content(p: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let content = p.shift_remove("content");
    if p.contains_key("schema") {
        if content.is_some() {
            report.count("parameter-content");
        }
        return;
    }
    let from_content = content
        .as_ref()
        .and_then(Value::as_object)
        .and_then(|c| c.values().next())
        .and_then(|m| m.get("schema"))
        .cloned();
    match from_content {
        Some(s) => {
            p.insert("schema".into(), s);
            report.count("parameter-content");
        }
        None => {
            let mut s = Map::new();
            s.insert("type".into(), Value::String("string".into()));
            p.insert("schema".into(), Value::Object(s));
            report.note(ptr, "parameter-schema", "no schema; typed as string");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_non_schema_parts_are_repaired_or_removed() {
        let mut doc = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": 2, "license": {"url": "x"}},
            "servers": [{"url": "https://a"}, {"nope": 1}],
            "tags": [{"name": "a"}, "b"],
            "security": [{"k": []}, {"k": "x"}],
            "components": {"securitySchemes": {
                "o": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://t"}}},
                "m": {"type": "mutualTLS"}}},
            "paths": {
                "nopath": {},
                "/a": {"get": {
                    "operationId": 5,
                    "callbacks": {"cb": {}},
                    "responses": {"200": {"content": {"application/json": {"examples": {}, "encoding": {}}},
                                          "links": {}},
                                  "2X0": {"description": ""}}},
                       "post": "nope"}}
        });
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "2"},
                "servers": [{"url": "https://a"}],
                "tags": [{"name": "a"}],
                "security": [{"k": []}],
                "components": {"securitySchemes": {
                    "o": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://t", "scopes": {}}}}}},
                "paths": {"/a": {"get": {
                    "responses": {"200": {"content": {"application/json": {}}, "description": ""}}}}}
            })
        );
        assert_eq!(r.dropped_operations().len(), 1);
        assert_eq!(r.dropped_responses().len(), 1);
        assert_eq!(r.rule_count("oauth2-scopes"), 1);
        assert_eq!(r.rule_count("callbacks"), 1);
    }

    #[test]
    fn parameters_and_headers_get_a_schema() {
        let mut doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {
            "parameters": [
                {"name": "q", "in": "query", "content": {"application/json": {"schema": {"type": "integer"}}}},
                {"name": "h", "in": "header"}],
            "responses": {"200": {"description": "", "headers": {"x-n": {"content": {}}}}}}}}});
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        assert_eq!(
            doc["paths"]["/a"]["get"],
            json!({
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "integer"}},
                    {"name": "h", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "", "headers": {"x-n": {"schema": {"type": "string"}}}}}})
        );
        assert_eq!(r.rule_count("parameter-content"), 1);
        assert_eq!(r.rule_count("parameter-schema"), 2);
    }

    #[test]
    fn missing_paths_become_empty() {
        let mut doc = json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}});
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        assert_eq!(doc["paths"], json!({}));
        assert_eq!(r.rule_count("missing-paths"), 1);
    }
}
