//! Support for `tests/contract_prism.rs`: Prism's lifecycle, spec-derived example arguments, the
//! per-call outcome and the report.

pub mod examples;
pub mod prism;

use std::fmt::Write as _;

use invent_api::ResponseValue;

use prism::Violation;

/// What one call through the client came back with.
#[derive(Debug, Default)]
pub struct Called {
    pub status: Option<u16>,
    pub violations: Vec<Violation>,
    /// The client's error (decode failure, API error, ...), with the body Prism sent.
    pub error: Option<String>,
    /// The decoded success value, serialized back to JSON (to compare with the raw response).
    pub decoded: Option<serde_json::Value>,
}

impl Called {
    pub fn of<T: serde::Serialize>(result: invent_api::Result<ResponseValue<T>>) -> Called {
        match result {
            Ok(value) => Called {
                status: Some(value.status().as_u16()),
                violations: prism::violations(value.headers()),
                error: None,
                decoded: serde_json::to_value(&*value).ok(),
            },
            Err(error) => {
                let body = error.body().map(|b| String::from_utf8_lossy(b).to_string()).unwrap_or_default();
                let mut text = error.to_string();
                if let invent_api::Error::Decode(decode) = &error {
                    let _ = write!(text, " — serde: {}", decode.source);
                }
                if !body.is_empty() {
                    let _ = write!(text, "\n    body: {}", truncate(&body, 1500));
                }
                Called {
                    status: error.status().map(|s| s.as_u16()),
                    violations: error.headers().map(prism::violations).unwrap_or_default(),
                    error: Some(text),
                    decoded: None,
                }
            }
        }
    }

    /// A 2xx that decoded into the generated type, with no violation of any severity.
    pub fn clean(&self) -> bool {
        self.error.is_none() && self.violations.is_empty() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// One row of the report.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    pub method: String,
    pub template: String,
    pub called: Called,
    pub given: examples::Given,
    /// Declared parameters the call did not pass: (location, name).
    pub unused: Vec<(String, String)>,
    pub body_missing: bool,
    /// Set when every violation is a known defect of Prism itself (see [`prism::known_issue`]): the
    /// request was valid, but the response could not be checked.
    pub known_issue: Option<&'static str>,
    /// Differences between Prism's raw response and the decoded value serialized back (fields the
    /// generated type lost or changed).
    pub response_problems: Vec<String>,
    /// Harmless differences (a `null` or empty list read as absent, a date-time normalized).
    pub response_notes: Vec<String>,
}

impl Row {
    pub fn passed(&self) -> bool {
        let call_ok = self.called.clean() || self.known_issue.is_some();
        call_ok
            && self.given.problems.is_empty()
            && self.response_problems.is_empty()
            && !self.body_missing
            && self.unused_required().is_empty()
    }

    /// Unused parameters that are path parameters (the call could not have been right without them).
    pub fn unused_required(&self) -> Vec<&(String, String)> {
        self.unused.iter().filter(|(l, _)| l == "path").collect()
    }
}

/// A negative check: a request that must be refused.
#[derive(Debug)]
pub struct Negative {
    pub what: String,
    pub called: Called,
    /// Whether it was refused as expected (status and violation matched).
    pub refused: bool,
    pub expected: String,
}

pub struct Report<'a> {
    pub prism_version: &'a str,
    pub mode: &'a str,
    /// The Prism command line, as run.
    pub command: &'a str,
    pub spec_version: String,
    pub rows: &'a [Row],
    /// Operations of the spec (or the client) that no call exercised, and why.
    pub not_exercised: &'a [(String, String)],
    pub negatives: &'a [Negative],
    pub total: usize,
}

impl Report<'_> {
    pub fn exercised(&self) -> usize {
        self.rows.iter().filter(|r| r.called.status.is_some() || r.called.error.is_some()).count()
    }
    /// Violations that count: all but those of a known Prism defect.
    pub fn violations(&self) -> usize {
        self.rows.iter().filter(|r| r.known_issue.is_none()).map(|r| r.called.violations.len()).sum()
    }
    pub fn failures(&self) -> Vec<&Row> {
        self.rows.iter().filter(|r| !r.passed()).collect()
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let passed = self.rows.iter().filter(|r| r.passed() && r.known_issue.is_none()).count();
        let _ = writeln!(out, "## {} responses\n", self.mode);
        let _ = writeln!(
            out,
            "Prism {} (`{}`), spec `info.version` {}, client `invent-api` {}.\n",
            self.prism_version,
            self.command,
            self.spec_version,
            env!("CARGO_PKG_VERSION"),
        );
        let _ = writeln!(
            out,
            "- operations exercised: **{}/{}** through the generated builders (`client.<op>()…send()`)",
            self.exercised(),
            self.total
        );
        let _ =
            writeln!(out, "- passed (2xx, decoded into the generated type, no violation): **{passed}/{}**", self.total);
        let _ = writeln!(out, "- Prism violations (`sl-violations`, any severity): **{}**", self.violations());
        let known: Vec<&Row> = self.rows.iter().filter(|r| r.known_issue.is_some()).collect();
        if !known.is_empty() {
            let _ = writeln!(
                out,
                "- responses not checked because of a known Prism defect (request valid): **{}** (see below)",
                known.len()
            );
        }
        let refused = self.negatives.iter().filter(|n| n.refused).count();
        let _ = writeln!(out, "- negative checks refused as expected: **{refused}/{}**", self.negatives.len());
        let _ = writeln!(out, "- not exercised: **{}**\n", self.not_exercised.len());

        let failures = self.failures();
        if !failures.is_empty() {
            let _ = writeln!(out, "### Failures\n");
            for row in failures {
                let _ = writeln!(out, "#### `{}` ({} {})\n", row.id, row.method, row.template);
                if let Some(status) = row.called.status {
                    let _ = writeln!(out, "- status: {status}");
                }
                for v in &row.called.violations {
                    let _ = writeln!(out, "- violation: {v}");
                }
                if let Some(error) = &row.called.error {
                    let _ = writeln!(out, "- client error: {error}");
                }
                for p in &row.given.problems {
                    let _ = writeln!(out, "- argument problem: {p}");
                }
                for p in &row.response_problems {
                    let _ = writeln!(out, "- response problem: {p}");
                }
                if row.body_missing {
                    let _ = writeln!(out, "- the spec declares a request body but the call sent none");
                }
                for (l, n) in row.unused_required() {
                    let _ = writeln!(out, "- {l} parameter `{n}` not passed");
                }
                let _ = writeln!(out);
            }
        }

        let _ = writeln!(out, "### Operations\n");
        let _ = writeln!(out, "| # | operation | request | status | result | arguments from the spec |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for (i, row) in self.rows.iter().enumerate() {
            let result = match (row.passed(), row.known_issue) {
                (true, None) => "ok",
                (true, Some(_)) => "request ok; response: Prism defect",
                (false, _) => "**FAIL**",
            };
            let mut args: Vec<String> = row
                .given
                .params
                .iter()
                .map(|(l, n, v)| format!("{}{n}={}", if l == "query" { "?" } else { "" }, compact(v, 40)))
                .collect();
            if let Some(body) = &row.given.body {
                args.push(format!("body {}", compact(body, 60)));
            }
            let _ = writeln!(
                out,
                "| {} | `{}` | {} {} | {} | {} | {} |",
                i + 1,
                row.id,
                row.method,
                row.template,
                row.called.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                result,
                args.join(", ").replace('|', "\\|")
            );
        }
        let unused: Vec<String> =
            self.rows.iter().flat_map(|r| r.unused.iter().map(move |(l, n)| format!("`{}` {l} `{n}`", r.id))).collect();
        let _ = writeln!(
            out,
            "\nOptional parameters declared but not passed: {}.",
            if unused.is_empty() { "none".to_string() } else { unused.join(", ") }
        );

        let notes: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| {
                let request = r.given.notes.iter().map(move |n| format!("- `{}` request: {n}", r.id));
                request.chain(r.response_notes.iter().map(move |n| format!("- `{}` response: {n}", r.id)))
            })
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "\n### Notes (not failures)\n");
            let _ = writeln!(out, "{}", notes.join("\n"));
        }

        if !known.is_empty() {
            let _ = writeln!(out, "\n### Known Prism defects (responses not checked)\n");
            for row in &known {
                let _ = writeln!(out, "- `{}`: {}", row.id, row.known_issue.unwrap_or_default());
                for v in &row.called.violations {
                    let _ = writeln!(out, "  - {v}");
                }
            }
        }

        let _ = writeln!(out, "\n### Not exercised\n");
        if self.not_exercised.is_empty() {
            let _ = writeln!(out, "None: every operation of `openapi.json` was called.");
        }
        for (op, why) in self.not_exercised {
            let _ = writeln!(out, "- `{op}`: {why}");
        }

        let _ = writeln!(out, "\n### Negative checks (the suite can fail)\n");
        for n in self.negatives {
            let _ = writeln!(
                out,
                "- {} — expected {}: {} (status {}{})",
                n.what,
                n.expected,
                if n.refused { "refused" } else { "**NOT refused**" },
                n.called.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                n.called.violations.first().map(|v| format!(", {v}")).unwrap_or_default()
            );
        }
        out
    }
}

fn compact(value: &serde_json::Value, max: usize) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("`{}`", truncate(&text, max).replace('`', "'"))
}

/// Compares Prism's raw response body with the decoded value serialized back, walking the response
/// `schema` alongside. Numbers compare by value and RFC 3339 date-times as instants. Harmless (notes): a
/// `null` or empty array/object that became absent (typify reads it as `None`/empty and skips it when
/// serializing), and undeclared properties of an open object (`additionalProperties` not `false`),
/// which typify's structs do not keep. Anything else dropped, added or changed is a problem: the
/// generated type does not represent the response.
pub fn response_round_trip(
    spec: &examples::Spec,
    schema: Option<&serde_json::Value>,
    raw: &serde_json::Value,
    decoded: &serde_json::Value,
    at: &str,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    use serde_json::Value;
    let schema = schema.map(|s| spec.resolve(s));
    match (raw, decoded) {
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (Value::String(a), Value::String(b)) if a != b => {
            let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (instant(a), instant(b)) {
                // `…:56.0Z` comes back as `…:56Z`: the same instant.
                (Some(x), Some(y)) if x == y => {}
                _ => problems.push(format!("`{at}`: Prism sent {a:?}, the decoded value is {b:?}")),
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let properties = schema.and_then(|s| s.get("properties")).and_then(Value::as_object);
            let additional = schema.and_then(|s| s.get("additionalProperties"));
            let open = additional != Some(&Value::Bool(false));
            let mut extras = Vec::new();
            for (key, value) in a {
                let here = format!("{at}.{key}");
                let declared = properties.and_then(|p| p.get(key));
                let child = declared.or(additional.filter(|a| a.is_object()));
                match b.get(key) {
                    Some(other) => response_round_trip(spec, child, value, other, &here, problems, notes),
                    None if value.is_null() => {}
                    None if matches!(value, Value::Array(v) if v.is_empty())
                        || matches!(value, Value::Object(m) if m.is_empty()) => {}
                    None if declared.is_none() && open && properties.is_some() => extras.push(key.as_str()),
                    None => problems.push(format!(
                        "`{here}` = {} is lost by the generated type",
                        truncate(&value.to_string(), 200)
                    )),
                }
            }
            if !extras.is_empty() {
                // One note per place in the schema, not per array element or per value.
                let note = format!(
                    "`{}`: undeclared properties of this open object (`additionalProperties` allows them) are not \
                     kept by the generated struct",
                    strip_indices(at)
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    problems
                        .push(format!("`{at}.{key}` = {value} appears in the decoded value but Prism did not send it"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            let items = schema.and_then(|s| s.get("items"));
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                response_round_trip(spec, items, x, y, &format!("{at}[{i}]"), problems, notes);
            }
        }
        (a, b) if a == b => {}
        (a, b) => problems.push(format!(
            "`{at}`: Prism sent {}, the decoded value is {}",
            truncate(&a.to_string(), 200),
            truncate(&b.to_string(), 200)
        )),
    }
}

/// `response.items[3].x` → `response.items[].x`.
fn strip_indices(path: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => {
                skipping = true;
                out.push_str("[]");
            }
            ']' => skipping = false,
            _ if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}
