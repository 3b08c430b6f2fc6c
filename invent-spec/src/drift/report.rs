//! Reading drift reports: the JSON-lines files the client's capture writes (one finding per line,
//! `{"drift": 1, "kind": …}`, plus `findings-dropped` lines), several files and repeated lines merged
//! into one finding per place with summed counts. A malformed line is an error naming the file, the
//! line and the JSON pointer of the bad member.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The kinds a report may hold, as the client writes them.
pub const KINDS: [&str; 7] = [
    "property-added",
    "enum-value-added",
    "status-undeclared",
    "media-type-undeclared",
    "required-missing",
    "required-null",
    "type-mismatch",
];

/// One place where traffic departed from the spec, merged over every report read.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: String,
    pub operation: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub media_type: Option<String>,
    /// Pointer into the spec: the schema, or for statuses and media types the responses / response.
    pub schema: String,
    pub at: String,
    pub name: Option<String>,
    pub value: Option<Value>,
    pub sketch: Option<Value>,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
}

impl Finding {
    /// `GET /orgs/{org_id}/assistants (listAssistants)`.
    pub fn operation_label(&self) -> String {
        format!("{} {} ({})", self.method, self.path, self.operation)
    }

    /// `response 200 (application/json)`.
    pub fn response_label(&self) -> String {
        match &self.media_type {
            Some(m) => format!("response {} ({m})", self.status),
            None => format!("response {}", self.status),
        }
    }

    /// `seen 3 times, 2026-12-01T10:00:00Z – 2026-12-02T09:00:00Z`.
    pub fn evidence_label(&self) -> String {
        let times = if self.count == 1 { "once".to_string() } else { format!("{} times", self.count) };
        format!("seen {times}, {} – {}", self.first_seen, self.last_seen)
    }
}

/// Everything read from the reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reports {
    /// Merged findings, ordered by kind (as [`KINDS`] lists them), operation and place.
    pub findings: Vec<Finding>,
    /// Findings the clients could not keep (their store was full).
    pub dropped: u64,
}

/// Merge key, ordered for reading: kind (in [`KINDS`] order), then operation and place.
type Key = (usize, String, String, u16, Option<String>, String, Option<String>, Option<String>);

impl Reports {
    /// Reads and merges `files` (`(name, text)`).
    pub fn parse(files: &[(String, String)]) -> Result<Self, String> {
        let mut merged: BTreeMap<Key, Finding> = BTreeMap::new();
        let mut dropped = 0u64;
        for (file, text) in files {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let at = |pointer: &str, message: String| format!("{file}: line {}: {pointer}: {message}", i + 1);
                let value: Value = serde_json::from_str(line).map_err(|e| at("", format!("not JSON: {e}")))?;
                match parse_line(&value).map_err(|(pointer, message)| at(&pointer, message))? {
                    Line::Dropped(n) => dropped += n,
                    Line::Finding(f) => {
                        let key = (
                            KINDS.iter().position(|k| *k == f.kind).unwrap_or(KINDS.len()),
                            f.method.clone(),
                            f.path.clone(),
                            f.status,
                            f.media_type.clone(),
                            f.schema.clone(),
                            f.name.clone(),
                            f.value.as_ref().map(Value::to_string),
                        );
                        match merged.get_mut(&key) {
                            Some(seen) => {
                                seen.count += f.count;
                                if f.first_seen < seen.first_seen {
                                    seen.first_seen = f.first_seen;
                                }
                                if f.last_seen > seen.last_seen {
                                    seen.last_seen = f.last_seen;
                                }
                                if let (Some(a), Some(b)) = (&seen.sketch, &f.sketch) {
                                    seen.sketch = Some(merge_sketches(a, b));
                                }
                            }
                            None => {
                                merged.insert(key, *f);
                            }
                        }
                    }
                }
            }
        }
        Ok(Reports { findings: merged.into_values().collect(), dropped })
    }

    /// Reads the files at `paths`.
    pub fn read(paths: &[String]) -> Result<Self, String> {
        let mut files = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
            files.push((path.clone(), text));
        }
        Self::parse(&files)
    }
}

enum Line {
    Finding(Box<Finding>),
    Dropped(u64),
}

type LineError = (String, String);

fn parse_line(v: &Value) -> Result<Line, LineError> {
    let Some(m) = v.as_object() else { return Err((String::new(), "a finding must be a JSON object".into())) };
    if m.get("drift") != Some(&Value::from(1)) {
        return Err(("/drift".into(), "expected `\"drift\": 1` (the report format version)".into()));
    }
    let kind = string(m, "kind")?;
    let count = m
        .get("count")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .ok_or(("/count".into(), "must be a positive integer".into()))?;
    if kind == "findings-dropped" {
        return Ok(Line::Dropped(count));
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(("/kind".into(), format!("unknown kind `{kind}` (expected one of {})", KINDS.join(", "))));
    }
    let status = m
        .get("status")
        .and_then(Value::as_u64)
        .filter(|s| (100..=599).contains(s))
        .ok_or(("/status".into(), "must be an HTTP status from 100 to 599".into()))? as u16;
    let schema = string(m, "schema")?;
    if !schema.starts_with('/') {
        return Err(("/schema".into(), "must be a JSON pointer into the spec".into()));
    }
    let method = string(m, "method")?;
    if !method.chars().all(|c| c.is_ascii_uppercase()) || method.is_empty() {
        return Err(("/method".into(), "must be an upper-case HTTP method".into()));
    }
    let path = string(m, "path")?;
    if !path.starts_with('/') {
        return Err(("/path".into(), "must be a path starting with `/`".into()));
    }
    let (first_seen, last_seen) = (timestamp(m, "first_seen")?, timestamp(m, "last_seen")?);
    let optional_string = |name: &str| -> Result<Option<String>, LineError> {
        match m.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err((format!("/{name}"), "must be a string".into())),
        }
    };
    let sketch = match m.get("sketch") {
        None | Some(Value::Null) => None,
        Some(s @ Value::Object(_)) => Some(s.clone()),
        Some(_) => return Err(("/sketch".into(), "must be an object (a JSON Schema)".into())),
    };
    Ok(Line::Finding(Box::new(Finding {
        operation: string(m, "operation")?,
        method,
        path,
        status,
        media_type: optional_string("media_type")?,
        schema,
        at: optional_string("at")?.unwrap_or_default(),
        name: optional_string("name")?,
        value: m.get("value").filter(|v| !v.is_null()).cloned(),
        sketch,
        count,
        first_seen,
        last_seen,
        kind,
    })))
}

fn string(m: &Map<String, Value>, name: &str) -> Result<String, LineError> {
    m.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| (format!("/{name}"), "missing or not a string".into()))
}

/// An RFC 3339 UTC timestamp as the client writes it (`2026-12-07T12:00:00Z`).
fn timestamp(m: &Map<String, Value>, name: &str) -> Result<String, LineError> {
    let t = string(m, name)?;
    let b = t.as_bytes();
    let shaped = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && t.ends_with('Z')
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16) || i + 1 == b.len() || c.is_ascii_digit() || *c == b'.');
    if shaped {
        Ok(t)
    } else {
        Err((format!("/{name}"), format!("`{t}` is not an RFC 3339 UTC timestamp")))
    }
}

/// The sketch covering both (as the client merges them): objects merge properties, `integer` widens
/// to `number`, `null` makes the type nullable, anything else is `{}`.
pub fn merge_sketches(a: &Value, b: &Value) -> Value {
    if a == b {
        return a.clone();
    }
    let types = |s: &Value| -> Vec<String> {
        match s.get("type") {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        }
    };
    let (ta, tb) = (types(a), types(b));
    if ta.is_empty() || tb.is_empty() {
        return serde_json::json!({});
    }
    let nullable = ta.iter().chain(&tb).any(|t| t == "null");
    let core = |t: &[String]| t.iter().find(|t| *t != "null").cloned();
    let mut out = match (core(&ta), core(&tb)) {
        (None, None) => return serde_json::json!({"type": "null"}),
        (Some(_), None) => a.clone(),
        (None, Some(_)) => b.clone(),
        (Some(x), Some(y)) if x == y && x == "object" => {
            let mut props = a.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
            for (k, v) in b.get("properties").and_then(Value::as_object).into_iter().flatten() {
                let merged = props.get(k).map_or_else(|| v.clone(), |old| merge_sketches(old, v));
                props.insert(k.clone(), merged);
            }
            serde_json::json!({"type": "object", "properties": props})
        }
        (Some(x), Some(y)) if x == y && x == "array" => match (a.get("items"), b.get("items")) {
            (Some(i), Some(j)) => serde_json::json!({"type": "array", "items": merge_sketches(i, j)}),
            (Some(i), None) | (None, Some(i)) => serde_json::json!({"type": "array", "items": i}),
            (None, None) => serde_json::json!({"type": "array"}),
        },
        (Some(x), Some(y)) if x == y => serde_json::json!({"type": x}),
        (Some(x), Some(y)) if [x.as_str(), y.as_str()].iter().all(|t| *t == "integer" || *t == "number") => {
            serde_json::json!({"type": "number"})
        }
        _ => return serde_json::json!({}),
    };
    if let (true, Some(map)) = (nullable, out.as_object_mut()) {
        if let Some(Value::String(t)) = map.get("type").cloned() {
            map.insert("type".into(), serde_json::json!([t, "null"]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"drift":1,"kind":"property-added","operation":"getAssistant","method":"GET","path":"/orgs/{org_id}/assistants/{assistant_id}","status":200,"media_type":"application/json","schema":"/components/schemas/Assistant","at":"","name":"mood","sketch":{"type":"string"},"count":2,"first_seen":"2026-12-07T10:00:00Z","last_seen":"2026-12-07T11:00:00Z"}"#;

    #[test]
    fn lines_of_several_files_merge_into_one_finding_per_place() {
        let later = LINE
            .replace("\"count\":2", "\"count\":3")
            .replace("11:00:00Z", "12:30:00Z")
            .replace(r#"{"type":"string"}"#, r#"{"type":"null"}"#);
        let dropped = r#"{"drift":1,"kind":"findings-dropped","count":4}"#;
        let r = Reports::parse(&[("a".into(), format!("{LINE}\n\n{dropped}\n")), ("b".into(), later)]).unwrap();
        assert_eq!(r.findings.len(), 1);
        let f = &r.findings[0];
        assert_eq!(
            (f.count, f.first_seen.as_str(), f.last_seen.as_str()),
            (5, "2026-12-07T10:00:00Z", "2026-12-07T12:30:00Z")
        );
        assert_eq!(f.sketch, Some(serde_json::json!({"type": ["string", "null"]})));
        assert_eq!(r.dropped, 4);
    }

    #[test]
    fn malformed_lines_name_the_file_line_and_pointer() {
        for (bad, expected) in [
            ("{", "r.jsonl: line 2: : not JSON"),
            ("[]", "r.jsonl: line 2: : a finding must be a JSON object"),
            (&LINE.replace("\"drift\":1", "\"drift\":2"), "r.jsonl: line 2: /drift:"),
            (&LINE.replace("property-added", "property-gone"), "r.jsonl: line 2: /kind: unknown kind"),
            (&LINE.replace("\"status\":200", "\"status\":42"), "r.jsonl: line 2: /status:"),
            (&LINE.replace("\"count\":2", "\"count\":0"), "r.jsonl: line 2: /count:"),
            (&LINE.replace("2026-12-07T10:00:00Z", "yesterday"), "r.jsonl: line 2: /first_seen:"),
            (&LINE.replace("\"/components/schemas/Assistant\"", "\"components\""), "r.jsonl: line 2: /schema:"),
            (&LINE.replace("\"name\":\"mood\"", "\"name\":7"), "r.jsonl: line 2: /name:"),
            (&LINE.replace("\"method\":\"GET\"", "\"method\":\"get\""), "r.jsonl: line 2: /method:"),
        ] {
            let e = Reports::parse(&[("r.jsonl".into(), format!("{LINE}\n{bad}\n"))]).unwrap_err();
            assert!(e.starts_with(expected), "{e}");
        }
    }
}
