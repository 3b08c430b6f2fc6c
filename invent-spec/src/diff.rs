//! `invent-spec diff OLD NEW`: what changed between two OpenAPI documents (3.0 or 3.1), classified as
//! breaking or not for a client of the generated Rust code. Both documents are lowered first (so
//! `type: [string, "null"]` and `nullable: true` compare equal, `$defs` and `$ref` siblings do not
//! matter) and compared with `$ref`s resolved; every change is reported against the *original*
//! documents: method, path, operationId and an RFC 6901 pointer into the file that has it.
//!
//! Classification (breaking = existing client code stops compiling, or stops working against the new
//! server):
//!
//! | change | breaking? |
//! |---|---|
//! | operation added | no |
//! | operation removed (or no longer generated) | **yes** |
//! | operationId changed | **yes** when the Rust method name changes, else no |
//! | operation deprecated | no |
//! | parameter added | **yes** if required, else no |
//! | parameter removed | **yes** (the builder setter disappears) |
//! | parameter moved (query → header …) | **yes** |
//! | parameter became required / optional | **yes** / no |
//! | request body added | **yes** if required, else no |
//! | request body removed / became required | **yes** |
//! | request media type added / removed | no / **yes** |
//! | response status added | no |
//! | success (2xx) status removed | **yes**; other statuses: no |
//! | response body (media type) added / removed | no / **yes** |
//! | type changed, or format changed where typify picks another Rust type (`date-time`, `uuid`, integer widths …) | **yes** |
//! | format changed, same Rust type (`email`, `uri` …) | no |
//! | request property added | **yes** if required, else no |
//! | response property added (required or not) | no |
//! | property removed (request or response) | **yes** (the Rust field disappears) |
//! | request property became required / optional | **yes** / no |
//! | request field became nullable / non-nullable | no / **yes** |
//! | response field: required-ness or nullability changed so that the Rust field switches between `T` and `Option<T>` | **yes** |
//! | response field: same change, Rust type unchanged (e.g. an optional field becomes nullable) | no |
//! | enum value added: request / response | no / **yes** (a new Rust variant) |
//! | enum value removed | **yes** |
//! | enum added to / removed from a field | **yes** (the Rust type changes) |
//! | union (`oneOf`/`anyOf`) variant added: request / response | no / **yes** |
//! | union variant removed | **yes** |
//!
//! Only what the generated client sees is compared: descriptions, examples, titles and response
//! headers are not (they are counted as "other differences").

mod compare;
mod locate;

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::report::Note;
use crate::{LowerOptions, SpecError};

pub use compare::rust_method_name;

/// Which input a change's pointer refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    Old,
    New,
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub breaking: bool,
    /// Stable kebab-case kind, e.g. `operation-removed`, `enum-value-added`.
    pub kind: &'static str,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path as the referenced document writes it.
    pub path: String,
    /// The operationId as the documents write it (the new one when both have the operation).
    pub operation_id: Option<String>,
    /// `parameter `page` (query)`, `request body (application/json)`, `response 200 (application/json)`,
    /// or empty for the operation itself.
    pub location: String,
    /// The field below the location, e.g. `data[].status` (empty for the location itself).
    pub field: String,
    pub message: String,
    /// The document [`Change::pointer`] points into: the old one for removals, else the new one.
    pub doc: Doc,
    pub pointer: String,
}

impl Change {
    /// `GET /a/{id} (getA)`.
    pub fn operation(&self) -> String {
        match &self.operation_id {
            Some(id) => format!("{} {} ({id})", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }

    /// `response 200 (application/json) `data[].status``: where in the operation.
    pub fn place(&self) -> String {
        match (self.location.is_empty(), self.field.is_empty()) {
            (true, _) => String::new(),
            (false, true) => self.location.clone(),
            (false, false) => format!("{} `{}`", self.location, self.field),
        }
    }
}

/// Everything `diff` found.
#[derive(Debug, Clone)]
pub struct DiffReport {
    pub old_name: String,
    pub new_name: String,
    /// In order of path, then method, then position within the operation.
    pub changes: Vec<Change>,
    /// How many JSON values differ between the two original documents in total (including the
    /// descriptions, examples … that `changes` ignores).
    pub raw_differences: usize,
    /// The first few of those, as pointers.
    pub raw_sample: Vec<String>,
}

/// What makes `diff` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Breaking,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Format::Text),
            "markdown" | "md" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl FailOn {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "breaking" => Some(FailOn::Breaking),
            "any" => Some(FailOn::Any),
            _ => None,
        }
    }
}

const RAW_SAMPLE: usize = 20;

fn values_differ(n: usize) -> String {
    if n == 1 {
        "1 JSON value differs".to_string()
    } else {
        format!("{n} JSON values differ")
    }
}

/// Applies `overrides` (if any) and lowers a copy of `doc`; errors name `name`.
fn prepare(doc: &Value, overrides: Option<&Value>, name: &str) -> Result<(Value, Vec<Note>), SpecError> {
    let mut lowered = doc.clone();
    let mut dropped = Vec::new();
    if let Some(o) = overrides {
        let r = crate::overrides::apply(&mut lowered, o).map_err(|e| e.with_file(name.to_string()))?;
        dropped.extend(r.dropped_operations().iter().cloned());
    }
    let report = crate::lower(&mut lowered, &LowerOptions::default()).map_err(|e| e.with_file(name.to_string()))?;
    dropped.extend(report.dropped_operations().iter().cloned());
    Ok((lowered, dropped))
}

/// Compares two documents (as parsed JSON), applying the same `overrides` to both.
pub fn diff_values(
    old_name: &str,
    old: &Value,
    new_name: &str,
    new: &Value,
    overrides: Option<&Value>,
) -> Result<DiffReport, SpecError> {
    let (old_lowered, old_dropped) = prepare(old, overrides, old_name)?;
    let (new_lowered, new_dropped) = prepare(new, overrides, new_name)?;
    let old_side = compare::Side { original: old, lowered: &old_lowered, dropped: &old_dropped };
    let new_side = compare::Side { original: new, lowered: &new_lowered, dropped: &new_dropped };
    let changes = compare::compare(&old_side, &new_side);
    let mut raw_sample = Vec::new();
    let raw_differences = raw_diff(old, new, "", &mut raw_sample, 0);
    Ok(DiffReport {
        old_name: old_name.to_string(),
        new_name: new_name.to_string(),
        changes,
        raw_differences,
        raw_sample,
    })
}

/// Counts the JSON values that differ (an array of another length counts once), collecting pointers.
fn raw_diff(a: &Value, b: &Value, ptr: &str, sample: &mut Vec<String>, depth: usize) -> usize {
    let note = |sample: &mut Vec<String>| {
        if sample.len() < RAW_SAMPLE {
            sample.push(if ptr.is_empty() { "/".to_string() } else { ptr.to_string() });
        }
        1
    };
    if a == b {
        return 0;
    }
    if depth > 256 {
        return note(sample);
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut n = 0;
            for (k, va) in x {
                let p = crate::pointer::join(ptr, k);
                n += match y.get(k) {
                    Some(vb) => raw_diff(va, vb, &p, sample, depth + 1),
                    None => {
                        if sample.len() < RAW_SAMPLE {
                            sample.push(p);
                        }
                        1
                    }
                };
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                if sample.len() < RAW_SAMPLE {
                    sample.push(crate::pointer::join(ptr, k));
                }
                n += 1;
            }
            n
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .map(|(i, (va, vb))| raw_diff(va, vb, &crate::pointer::join(ptr, &i.to_string()), sample, depth + 1))
            .sum(),
        _ => note(sample),
    }
}

impl DiffReport {
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking).count()
    }

    pub fn non_breaking(&self) -> usize {
        self.changes.len() - self.breaking()
    }

    /// Whether the report matches `--fail-on`.
    pub fn fails(&self, fail_on: Option<FailOn>) -> bool {
        match fail_on {
            None => false,
            Some(FailOn::Breaking) => self.breaking() > 0,
            Some(FailOn::Any) => !self.changes.is_empty(),
        }
    }

    fn file_of(&self, c: &Change) -> &str {
        match c.doc {
            Doc::Old => &self.old_name,
            Doc::New => &self.new_name,
        }
    }

    /// `2 breaking, 3 non-breaking changes` (or `no changes`).
    pub fn summary_line(&self) -> String {
        if self.changes.is_empty() {
            let other = match self.raw_differences {
                0 => "the documents are identical".to_string(),
                n => format!("{n} other difference{} (descriptions, examples …)", if n == 1 { "" } else { "s" }),
            };
            return format!("no changes for the generated client; {other}");
        }
        let ops: std::collections::BTreeSet<(&str, &str)> =
            self.changes.iter().map(|c| (c.method.as_str(), c.path.as_str())).collect();
        format!(
            "{} breaking, {} non-breaking change{} in {} operation{}",
            self.breaking(),
            self.non_breaking(),
            if self.changes.len() == 1 { "" } else { "s" },
            ops.len(),
            if ops.len() == 1 { "" } else { "s" }
        )
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Markdown => self.to_markdown(),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
                s.push('\n');
                s
            }
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} -> {}: {}", self.old_name, self.new_name, self.summary_line());
        for (title, breaking) in [("BREAKING", true), ("NON-BREAKING", false)] {
            let list: Vec<&Change> = self.changes.iter().filter(|c| c.breaking == breaking).collect();
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}");
            for c in list {
                let place = c.place();
                let sep = if place.is_empty() { String::new() } else { format!("{place}: ") };
                let _ = writeln!(out, "  {}: {sep}{}", c.operation(), c.message);
                let _ = writeln!(out, "      [{}] {}#{}", c.kind, self.file_of(c), c.pointer);
            }
        }
        if !self.changes.is_empty() && self.raw_differences > 0 {
            let _ = writeln!(
                out,
                "\n({} in total, descriptions and examples included)",
                values_differ(self.raw_differences)
            );
        } else if self.changes.is_empty() && !self.raw_sample.is_empty() {
            for p in &self.raw_sample {
                let _ = writeln!(out, "  differs: {p}");
            }
            if self.raw_differences > self.raw_sample.len() {
                let _ = writeln!(out, "  … and {} more", self.raw_differences - self.raw_sample.len());
            }
        }
        out
    }

    pub fn to_markdown(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = String::new();
        let _ = writeln!(out, "## OpenAPI changes: `{}` → `{}`\n", self.old_name, self.new_name);
        let b = self.breaking();
        if b > 0 {
            let _ = writeln!(out, "**{}**\n", self.summary_line());
        } else {
            let _ = writeln!(out, "{}\n", self.summary_line());
        }
        for (title, breaking) in [("Breaking changes", true), ("Non-breaking changes", false)] {
            let list: Vec<&Change> = self.changes.iter().filter(|c| c.breaking == breaking).collect();
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title}\n");
            let _ = writeln!(out, "| Operation | Where | Change | Pointer |");
            let _ = writeln!(out, "|---|---|---|---|");
            for c in list {
                let op = match &c.operation_id {
                    Some(id) => format!("`{} {}`<br>`{id}`", c.method, cell(&c.path)),
                    None => format!("`{} {}`", c.method, cell(&c.path)),
                };
                let place = if c.location.is_empty() { "operation".to_string() } else { c.place() };
                let _ = writeln!(
                    out,
                    "| {op} | {} | {} | `{}#{}` |",
                    cell(&place),
                    cell(&c.message),
                    self.file_of(c),
                    cell(&c.pointer)
                );
            }
            out.push('\n');
        }
        if self.raw_differences > 0 {
            let _ = writeln!(
                out,
                "<details><summary>{} in total (descriptions and examples included)</summary>\n",
                values_differ(self.raw_differences)
            );
            for p in &self.raw_sample {
                let _ = writeln!(out, "- `{}`", cell(p));
            }
            if self.raw_differences > self.raw_sample.len() {
                let _ = writeln!(out, "- … and {} more", self.raw_differences - self.raw_sample.len());
            }
            let _ = writeln!(out, "\n</details>");
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "breaking": c.breaking,
                    "kind": c.kind,
                    "method": c.method,
                    "path": c.path,
                    "operation_id": c.operation_id,
                    "location": c.location,
                    "field": c.field,
                    "message": c.message,
                    "document": match c.doc { Doc::Old => "old", Doc::New => "new" },
                    "file": self.file_of(c),
                    "pointer": c.pointer,
                })
            })
            .collect();
        json!({
            "old": self.old_name,
            "new": self.new_name,
            "summary": {
                "breaking": self.breaking(),
                "non_breaking": self.non_breaking(),
                "other_differences": self.raw_differences,
            },
            "changes": changes,
            "other_differences": self.raw_sample,
        })
    }
}

/// `diff OLD NEW [--format text|markdown|json] [--fail-on breaking|any] [--overrides FILE]`.
/// Exit 0: nothing matches `--fail-on`; 1: something does; 2: bad arguments or input.
pub fn cmd_diff(args: &[String]) -> u8 {
    crate::cmdline::run_cmd("diff", || {
        let a = crate::cmdline::Args::parse(args, &["format", "fail-on", "overrides"], 2, 2)?;
        let format = match a.option("format") {
            None => Format::Text,
            Some(f) => Format::parse(f).ok_or_else(|| format!("unknown --format `{f}` (text, markdown or json)"))?,
        };
        let fail_on = match a.option("fail-on") {
            None => None,
            Some(f) => Some(FailOn::parse(f).ok_or_else(|| format!("unknown --fail-on `{f}` (breaking or any)"))?),
        };
        let (old_path, new_path) = (&a.positional[0], &a.positional[1]);
        let old = crate::files::read_json_file(std::path::Path::new(old_path))?;
        let new = crate::files::read_json_file(std::path::Path::new(new_path))?;
        let overrides = match a.option("overrides") {
            Some(p) => Some(crate::files::read_json_file(std::path::Path::new(p))?),
            None => None,
        };
        let report = diff_values(old_path, &old, new_path, &new, overrides.as_ref()).map_err(|e| e.to_string())?;
        print!("{}", report.render(format));
        Ok(if report.fails(fail_on) { 1 } else { 0 })
    })
}
