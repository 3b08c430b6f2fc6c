//! What capture found: [`DriftKind`], one [`DriftFinding`] per operation, status, schema place and
//! kind (with counts and first/last seen), the bounded store that collects them, and [`DriftReport`],
//! the summary a client hands out and the JSON lines its sink writes.

use std::collections::HashMap;

use serde_json::{json, Value};

/// How a response departed from the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DriftKind {
    /// A property the schema does not declare (name and a sketch of its shape).
    PropertyAdded,
    /// An enum (or `const`) value the schema does not list.
    EnumValueAdded,
    /// A status the operation does not declare.
    StatusUndeclared,
    /// A media type the operation does not declare for that status.
    MediaTypeUndeclared,
    /// A required property that is absent.
    RequiredMissing,
    /// A required, non-nullable property that is `null`.
    RequiredNull,
    /// A value of another JSON type than the schema's.
    TypeMismatch,
}

impl DriftKind {
    /// Every kind, in report order.
    pub const ALL: [DriftKind; 7] = [
        DriftKind::PropertyAdded,
        DriftKind::EnumValueAdded,
        DriftKind::StatusUndeclared,
        DriftKind::MediaTypeUndeclared,
        DriftKind::RequiredMissing,
        DriftKind::RequiredNull,
        DriftKind::TypeMismatch,
    ];

    /// The kebab-case name reports use (`property-added`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::PropertyAdded => "property-added",
            DriftKind::EnumValueAdded => "enum-value-added",
            DriftKind::StatusUndeclared => "status-undeclared",
            DriftKind::MediaTypeUndeclared => "media-type-undeclared",
            DriftKind::RequiredMissing => "required-missing",
            DriftKind::RequiredNull => "required-null",
            DriftKind::TypeMismatch => "type-mismatch",
        }
    }
}

impl std::fmt::Display for DriftKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place where responses departed from the spec, and how often.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DriftFinding {
    /// What departed.
    pub kind: DriftKind,
    /// The spec's operationId (`listAssistants`).
    pub operation: String,
    /// The HTTP method.
    pub method: String,
    /// The path as the spec writes it.
    pub path: String,
    /// The response status.
    pub status: u16,
    /// The response's media type (without parameters), when it had one.
    pub media_type: Option<String>,
    /// JSON pointer into the spec (with overrides): the schema of the finding, or for statuses and
    /// media types the operation's `responses` / the response object.
    pub schema: String,
    /// Where in the body, by property names (`*` for array elements and map entries).
    pub at: String,
    /// The property concerned; `None` where its name looks like data and is withheld.
    pub name: Option<String>,
    /// The unlisted enum literal (`None` when withheld), or the types expected for a type mismatch.
    pub value: Option<Value>,
    /// The shape of what arrived (a small JSON Schema), for added properties, undeclared statuses and
    /// media types, and type mismatches.
    pub sketch: Option<Value>,
    /// How many sampled responses showed it.
    pub count: u64,
    /// First seen, RFC 3339 UTC.
    pub first_seen: String,
    /// Last seen, RFC 3339 UTC.
    pub last_seen: String,
}

impl DriftFinding {
    /// The finding as one JSON object (one line of the sink's file).
    pub fn to_json(&self) -> Value {
        self.json_with_count(self.count)
    }

    fn json_with_count(&self, count: u64) -> Value {
        let mut line = json!({
            "drift": 1,
            "kind": self.kind.as_str(),
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "schema": self.schema,
            "at": self.at,
            "count": count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        });
        if let Some(map) = line.as_object_mut() {
            for (key, value) in [
                ("media_type", self.media_type.clone().map(Value::String)),
                ("name", self.name.clone().map(Value::String)),
                ("value", self.value.clone()),
                ("sketch", self.sketch.clone()),
            ] {
                if let Some(value) = value {
                    map.insert(key.into(), value);
                }
            }
        }
        line
    }
}

/// What a client's drift capture has found so far ([`Client::drift_report`](crate::Client::drift_report)).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DriftReport {
    /// The findings, in the order they were first seen.
    pub findings: Vec<DriftFinding>,
    /// Responses checked (sampled).
    pub checked: u64,
    /// New findings not kept because the store was full (`DriftConfig::max_findings`).
    pub dropped: u64,
}

impl DriftReport {
    /// Whether nothing departed from the spec.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.dropped == 0
    }

    /// The findings of one kind.
    pub fn of_kind(&self, kind: DriftKind) -> impl Iterator<Item = &DriftFinding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// The report as JSON lines, one finding per line (`{"drift": 1, "kind": …}`), then a
    /// `findings-dropped` line when some were dropped: the format `invent-spec learn` and
    /// `invent-spec verify-drift` read. Lines of several reports (or runs) concatenate; readers add
    /// their counts.
    pub fn to_json_lines(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            out.push_str(&finding.to_json().to_string());
            out.push('\n');
        }
        if self.dropped > 0 {
            out.push_str(&dropped_line(self.dropped));
        }
        out
    }
}

fn dropped_line(dropped: u64) -> String {
    format!("{}\n", json!({"drift": 1, "kind": "findings-dropped", "count": dropped}))
}

/// Identity of a finding: what is counted together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FindingKey {
    pub(crate) kind: DriftKind,
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    pub(crate) media_type: Option<String>,
    pub(crate) schema: String,
    pub(crate) name: Option<String>,
    pub(crate) value: Option<String>,
}

/// The findings of one client, bounded.
#[derive(Debug)]
pub(crate) struct Store {
    max: usize,
    index: HashMap<FindingKey, usize>,
    findings: Vec<DriftFinding>,
    /// Per finding, the count already written by the sink.
    flushed: Vec<u64>,
    dropped: u64,
    dropped_flushed: u64,
    pub(crate) checked: u64,
}

impl Store {
    pub(crate) fn new(max: usize) -> Self {
        Store {
            max,
            index: HashMap::new(),
            findings: Vec::new(),
            flushed: Vec::new(),
            dropped: 0,
            dropped_flushed: 0,
            checked: 0,
        }
    }

    /// Counts `finding` under `key`; returns whether it is new (`None` when dropped).
    pub(crate) fn record(
        &mut self,
        key: FindingKey,
        finding: impl FnOnce() -> DriftFinding,
        now: &str,
    ) -> Option<bool> {
        if let Some(&i) = self.index.get(&key) {
            let seen = &mut self.findings[i];
            seen.count += 1;
            seen.last_seen = now.to_string();
            return Some(false);
        }
        if self.findings.len() >= self.max {
            self.dropped += 1;
            return None;
        }
        self.index.insert(key, self.findings.len());
        self.findings.push(finding());
        self.flushed.push(0);
        Some(true)
    }

    /// Merges a sketch into an existing finding (a field seen as a string, then as `null`).
    pub(crate) fn widen(&mut self, key: &FindingKey, sketch: &Value) {
        if let Some(&i) = self.index.get(key) {
            if let Some(seen) = self.findings[i].sketch.as_mut() {
                if seen != sketch {
                    *seen = super::sketch::merge(seen, sketch);
                }
            }
        }
    }

    pub(crate) fn report(&self) -> DriftReport {
        DriftReport { findings: self.findings.clone(), checked: self.checked, dropped: self.dropped }
    }

    /// The JSON lines of what arrived since the last call (counts since then), marking it written.
    pub(crate) fn take_unflushed(&mut self) -> String {
        let mut out = String::new();
        for (finding, flushed) in self.findings.iter().zip(self.flushed.iter_mut()) {
            if finding.count > *flushed {
                out.push_str(&finding.json_with_count(finding.count - *flushed).to_string());
                out.push('\n');
                *flushed = finding.count;
            }
        }
        if self.dropped > self.dropped_flushed {
            out.push_str(&dropped_line(self.dropped - self.dropped_flushed));
            self.dropped_flushed = self.dropped;
        }
        out
    }
}
