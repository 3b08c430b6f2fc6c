//! Example arguments derived from the vendored OpenAPI 3.1 document, the same one Prism serves.
//!
//! For a schema the value is, in order: its `example`, the first of its `examples`, `const`, `default`,
//! the first `enum` value, else one built from the type: objects get every property that is not
//! `readOnly` (so optional fields are exercised too; only required ones past a nesting depth), arrays one
//! item (or `minItems`), strings by `format` (email, date-time, date, uri, uuid) or `"example"` padded or
//! cut to `minLength`/`maxLength`, numbers their `minimum` (else 1) capped by `maximum`, booleans `true`.
//! `type: [T, "null"]` takes `T`; `oneOf`/`anyOf` their first non-null branch; `allOf` merges.
//! Path parameters without an example get `example-<name>`.
//!
//! Values reach the client through the generated types: a query value or body is deserialized into the
//! Rust type its builder setter takes, and a body must serialize back to the same JSON (or the generated
//! type dropped or changed something the spec allows).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Beyond this nesting depth objects get only their required properties and arrays only `minItems`.
const FULL_DEPTH: usize = 6;
const MAX_DEPTH: usize = 24;

/// The parsed document.
pub struct Spec {
    doc: Value,
}

/// One operation of the document.
pub struct SpecOperation<'a> {
    pub spec: &'a Spec,
    /// The path item (for path-level parameters).
    item: &'a Value,
    pub op: &'a Value,
}

/// A parameter as declared: (location, name).
pub type ParamKey = (String, String);

impl Spec {
    pub fn load(path: &std::path::Path) -> Spec {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        Spec { doc }
    }

    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Every (METHOD, template) the document declares, in document order.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(paths) = self.doc["paths"].as_object() {
            for (path, item) in paths {
                for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
                    // Prism mocks HTTP request/response only: WebSocket upgrades (`101`) are left out.
                    if item.get(method).is_some_and(|op| op["responses"].get("101").is_none()) {
                        out.push((method.to_uppercase(), path.clone()));
                    }
                }
            }
        }
        out
    }

    pub fn operation(&self, method: &str, template: &str) -> Option<SpecOperation<'_>> {
        let item = self.doc["paths"].get(template)?;
        let op = item.get(method.to_lowercase())?;
        Some(SpecOperation { spec: self, item, op })
    }

    /// Follows `$ref`s (local `#/...` pointers only).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {reference}"));
                    value = self.doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {reference}"));
                }
                None => return value,
            }
        }
        panic!("$ref cycle");
    }

    /// A valid example of `schema` (see the module docs).
    pub fn example(&self, schema: &Value) -> Value {
        self.example_at(schema, 0)
    }

    fn example_at(&self, schema: &Value, depth: usize) -> Value {
        assert!(depth < MAX_DEPTH, "schema nests deeper than {MAX_DEPTH} levels (recursive without an exit?)");
        // 3.1 allows siblings next to `$ref`; a sibling example wins over the target's.
        if let Some(v) = explicit_example(schema) {
            return v;
        }
        let schema = self.resolve(schema);
        if let Some(v) = explicit_example(schema) {
            return v;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in all {
                match self.example_at(part, depth) {
                    Value::Object(fields) => merged.extend(fields),
                    other => return other,
                }
            }
            return Value::Object(merged);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                let branch = branches
                    .iter()
                    .find(|b| self.resolve(b).get("type") != Some(&json!("null")))
                    .or_else(|| branches.first())
                    .expect("empty oneOf/anyOf");
                return self.example_at(branch, depth);
            }
        }
        match schema_type(schema).as_deref() {
            Some("object") => self.object_example(schema, depth),
            Some("array") => {
                let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
                let count = if depth < FULL_DEPTH { min.max(1) } else { min };
                let item = schema.get("items").cloned().unwrap_or(json!({}));
                Value::Array((0..count).map(|_| self.example_at(&item, depth + 1)).collect())
            }
            Some("string") => string_example(schema),
            Some("integer") => number_example(schema, true),
            Some("number") => number_example(schema, false),
            Some("boolean") => json!(true),
            Some("null") => Value::Null,
            // No type: an open value; an empty object is the least surprising.
            _ if schema.get("properties").is_some() => self.object_example(schema, depth),
            _ => json!({}),
        }
    }

    fn object_example(&self, schema: &Value, depth: usize) -> Value {
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let resolved = self.resolve(property);
                let skip = flag(property, "readOnly") || flag(resolved, "readOnly");
                if skip || (depth >= FULL_DEPTH && !required.contains(name.as_str())) {
                    continue;
                }
                out.insert(name.clone(), self.example_at(property, depth + 1));
            }
        }
        Value::Object(out)
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn explicit_example(schema: &Value) -> Option<Value> {
    if let Some(v) = schema.get("example") {
        return Some(v.clone());
    }
    if let Some(v) = schema.get("examples").and_then(Value::as_array).and_then(|e| e.first()) {
        return Some(v.clone());
    }
    if let Some(v) = schema.get("const") {
        return Some(v.clone());
    }
    if let Some(v) = schema.get("default") {
        return Some(v.clone());
    }
    schema.get("enum").and_then(Value::as_array).and_then(|e| e.iter().find(|v| !v.is_null()).cloned())
}

/// The schema's type; for 3.1 type arrays the first that is not `null`.
fn schema_type(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(t) => Some(t.clone()),
        Value::Array(types) => {
            let types: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            types.iter().find(|t| **t != "null").or(types.first()).map(|t| t.to_string())
        }
        _ => None,
    }
}

fn string_example(schema: &Value) -> Value {
    let base = match schema.get("format").and_then(Value::as_str) {
        Some("email") => "user@example.com",
        Some("date-time") => "2024-01-02T03:04:05Z",
        Some("date") => "2024-01-02",
        Some("time") => "03:04:05Z",
        Some("uri") | Some("url") | Some("uri-reference") => "https://example.com/resource",
        Some("uuid") => "3f2a6c1e-8b7d-4e2f-9a1b-0c4d5e6f7a8b",
        Some("hostname") => "example.com",
        Some("ipv4") => "192.0.2.1",
        _ => "example",
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
    let mut value = base.to_string();
    while value.chars().count() < min {
        value.push('x');
    }
    if let Some(max) = max {
        value = value.chars().take(max).collect();
    }
    Value::String(value)
}

fn number_example(schema: &Value, integer: bool) -> Value {
    let get = |k: &str| schema.get(k).and_then(Value::as_f64);
    let mut value = get("minimum").or_else(|| get("exclusiveMinimum").map(|m| m + 1.0)).unwrap_or(1.0);
    if let Some(max) = get("maximum") {
        value = value.min(max);
    }
    if let Some(max) = get("exclusiveMaximum") {
        if value >= max {
            value = max - 1.0;
        }
    }
    if integer || value.fract() == 0.0 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

fn normalize(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

impl<'a> SpecOperation<'a> {
    /// Every declared parameter (operation level over path level), resolved.
    pub fn parameters(&self) -> Vec<&'a Value> {
        let mut out: Vec<&'a Value> = Vec::new();
        for list in [self.op.get("parameters"), self.item.get("parameters")].into_iter().flatten() {
            for p in list.as_array().into_iter().flatten() {
                let p = self.spec.resolve(p);
                if !out.iter().any(|q| q["name"] == p["name"] && q["in"] == p["in"]) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// A parameter by location and name; the name as the Rust setter spells it also matches
    /// (`type_` for `type`, `from_date` for `fromDate`).
    pub fn parameter(&self, location: &str, name: &str) -> Option<&'a Value> {
        let key = normalize(name);
        self.parameters()
            .into_iter()
            .find(|p| p["in"] == location && p["name"].as_str().is_some_and(|n| n == name || normalize(n) == key))
    }

    /// The example of one parameter (its spec name and value): its own `example`/`examples`, else its
    /// schema's.
    pub fn parameter_example(&self, location: &str, name: &str) -> Option<(String, Value)> {
        let p = self.parameter(location, name)?;
        let name = p["name"].as_str().unwrap_or(name).to_string();
        if let Some(v) = p.get("example") {
            return Some((name, v.clone()));
        }
        if let Some(v) = p.get("examples").and_then(Value::as_object).and_then(|m| m.values().next()) {
            if let Some(v) = self.spec.resolve(v).get("value") {
                return Some((name, v.clone()));
            }
        }
        let schema = p.get("schema").cloned().unwrap_or(json!({"type": "string"}));
        let resolved = self.spec.resolve(&schema);
        let plain_string = schema_type(resolved).as_deref().unwrap_or("string") == "string"
            && resolved.get("format").is_none()
            && explicit_example(&schema).is_none()
            && explicit_example(resolved).is_none();
        if location == "path" && plain_string {
            return Some((name.clone(), Value::String(format!("example-{name}"))));
        }
        Some((name, self.spec.example(&schema)))
    }

    /// The JSON request body schema, if the operation takes one.
    pub fn body_schema(&self) -> Option<&'a Value> {
        let body = self.spec.resolve(self.op.get("requestBody")?);
        let content = body.get("content")?.as_object()?;
        content
            .iter()
            .find(|(media, _)| media.starts_with("application/json") || media.ends_with("+json"))
            .map(|(_, c)| c.get("schema").unwrap_or(&Value::Null))
    }

    /// The JSON schema of the success (2xx) response.
    pub fn response_schema(&self) -> Option<&'a Value> {
        let responses = self.op.get("responses")?.as_object()?;
        let (_, response) = responses.iter().find(|(code, _)| code.starts_with('2'))?;
        let content = self.spec.resolve(response).get("content")?.as_object()?;
        content.iter().find(|(media, _)| media.starts_with("application/json")).and_then(|(_, c)| c.get("schema"))
    }

    pub fn body_example(&self) -> Option<Value> {
        self.body_schema().map(|s| self.spec.example(s))
    }
}

/// What one call was given, for the report and the coverage check.
#[derive(Debug, Default, Clone)]
pub struct Given {
    /// (location, name, JSON value) of each parameter passed.
    pub params: Vec<(String, String, Value)>,
    pub body: Option<Value>,
    /// Problems met while deriving arguments (a spec example the generated type rejects, ...).
    pub problems: Vec<String>,
    /// Known, harmless differences between the example and what the generated type sent.
    pub notes: Vec<String>,
}

/// Derives the arguments of one operation and records what was used.
#[derive(Clone)]
pub struct Examples {
    spec: Arc<Spec>,
    method: String,
    template: String,
    pub given: Arc<Mutex<Given>>,
}

impl Examples {
    pub fn new(spec: Arc<Spec>, method: &str, template: &str) -> Examples {
        Examples { spec, method: method.into(), template: template.into(), given: Default::default() }
    }

    fn op(&self) -> SpecOperation<'_> {
        self.spec.operation(&self.method, &self.template).expect("operation vanished from the spec")
    }

    fn problem(&self, message: String) {
        self.given.lock().unwrap().problems.push(message);
    }

    fn typed<T: DeserializeOwned>(&self, what: &str, value: Value) -> Option<T> {
        match serde_json::from_value::<T>(value.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(format!(
                    "{what}: the spec-derived value {value} does not fit the generated type {}: {e}",
                    std::any::type_name::<T>()
                ));
                None
            }
        }
    }

    /// A path parameter's example (every path parameter is a string in the generated builders).
    pub fn path(&self, name: &str) -> String {
        let (name, value) = match self.op().parameter_example("path", name) {
            Some((name, Value::String(s))) => (name, s),
            Some((name, other)) => (name, other.to_string()),
            None => {
                self.problem(format!("path parameter `{name}` is not declared by the spec"));
                (name.to_string(), format!("example-{name}"))
            }
        };
        self.given.lock().unwrap().params.push(("path".into(), name, Value::String(value.clone())));
        value
    }

    /// A query parameter's example, as the type its builder setter takes. `None` (and a recorded
    /// problem) when the spec does not declare it or the value does not fit the type.
    pub fn query<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let Some((name, value)) = self.op().parameter_example("query", name) else {
            self.problem(format!("query parameter `{name}` is not declared by the spec"));
            return None;
        };
        let typed = self.typed::<T>(&format!("query parameter `{name}`"), value.clone())?;
        self.given.lock().unwrap().params.push(("query".into(), name, value));
        Some(typed)
    }

    /// The request body's example as the generated body type. The typed value must serialize back to
    /// the same JSON, else the generated type lost or changed part of a valid body.
    pub fn body<T: DeserializeOwned + Serialize>(&self) -> Option<T> {
        let Some(value) = self.op().body_example() else {
            self.problem("the spec declares no JSON request body".into());
            return None;
        };
        let typed = self.typed::<T>("request body", value.clone())?;
        match serde_json::to_value(&typed) {
            Ok(back) => {
                let mut problems = Vec::new();
                let mut notes = Vec::new();
                round_trip(&value, &back, "body", &mut problems, &mut notes);
                let type_name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("?").to_string();
                let mut given = self.given.lock().unwrap();
                for p in problems {
                    let problem = format!("request body: `{type_name}` does not round-trip the spec example: {p}");
                    given.problems.push(problem);
                }
                for n in notes {
                    given.notes.push(format!("`{type_name}`: {n}"));
                }
            }
            Err(e) => self.problem(format!("request body does not serialize: {e}")),
        }
        self.given.lock().unwrap().body = Some(value);
        Some(typed)
    }

    /// Parameters the spec declares that the call did not pass (the org path parameter is inlined by
    /// the client as `c` and is not expected).
    pub fn unused(&self) -> Vec<ParamKey> {
        let given = self.given.lock().unwrap();
        self.op()
            .parameters()
            .into_iter()
            .filter(|p| !(p["in"] == "path" && p["name"] == "org_id"))
            .filter(|p| p["in"] == "path" || p["in"] == "query" || p["in"] == "header")
            .map(|p| (p["in"].as_str().unwrap_or("").to_string(), p["name"].as_str().unwrap_or("").to_string()))
            .filter(|(l, n)| !given.params.iter().any(|(gl, gn, _)| gl == l && gn == n))
            .collect()
    }

    pub fn expects_body(&self) -> bool {
        self.op().body_schema().is_some()
    }
}

/// Compares a spec example with what the generated type serialized. Numbers compare by value (`1` and
/// `1.0`); an empty object or array the type left out is a note (typify gives optional maps and arrays
/// `skip_serializing_if = "is_empty"`, so an explicit `{}`/`[]` cannot be sent); any other difference
/// is a problem.
fn round_trip(example: &Value, sent: &Value, at: &str, problems: &mut Vec<String>, notes: &mut Vec<String>) {
    match (example, sent) {
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{at}.{key}");
                match b.get(key) {
                    Some(other) => round_trip(value, other, &here, problems, notes),
                    None if is_empty_container(value) => notes.push(format!(
                        "`{here}` = {value} is omitted when sent (typify skips an empty optional {})",
                        kind(value)
                    )),
                    None => problems.push(format!("`{here}` = {value} is dropped")),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    problems.push(format!("`{at}.{key}` = {value} is sent but was not in the example"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                round_trip(x, y, &format!("{at}[{i}]"), problems, notes);
            }
        }
        (a, b) if a == b => {}
        (a, b) => problems.push(format!("`{at}`: example {a}, sent {b}")),
    }
}

fn is_empty_container(value: &Value) -> bool {
    matches!(value, Value::Object(m) if m.is_empty()) || matches!(value, Value::Array(a) if a.is_empty())
}

fn kind(value: &Value) -> &'static str {
    if value.is_array() {
        "array"
    } else {
        "object"
    }
}
