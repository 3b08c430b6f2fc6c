//! `invent-spec verify-drift REPORT...`: the CI drift check. Exit 1 while a report holds drift the spec
//! (with its overrides) does not describe, listed like `diff` lists changes (operation, where, what,
//! then kind and pointer); exit 0 when everything seen is described; exit 2 on a malformed report,
//! naming the file, line and JSON pointer.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::index;
use super::learn::{judge, Judgement};
use super::report::{Finding, Reports};

/// Findings the spec does not describe.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// `learn` would add these.
    pub learnable: Vec<(Finding, String)>,
    /// A human decides these.
    pub review: Vec<(Finding, String)>,
    pub described: usize,
    /// Findings clients dropped (their store was full): drift may be missing from the reports.
    pub dropped: u64,
}

impl Verdict {
    pub fn undescribed(&self) -> usize {
        self.learnable.len() + self.review.len()
    }

    pub fn summary_line(&self) -> String {
        let n = self.undescribed();
        if n == 0 {
            return format!(
                "no undescribed drift ({} finding{} described by the spec)",
                self.described,
                plural(self.described)
            );
        }
        let ops: std::collections::BTreeSet<String> =
            self.learnable.iter().chain(&self.review).map(|(f, _)| f.operation_label()).collect();
        format!(
            "{n} finding{} the spec does not describe in {} operation{} ({} learnable, {} for review)",
            plural(n),
            ops.len(),
            plural(ops.len()),
            self.learnable.len(),
            self.review.len()
        )
    }

    pub fn to_text(&self, spec_name: &str) -> String {
        let mut out = format!("{}\n", self.summary_line());
        for (title, list) in
            [("LEARNABLE (invent-spec learn adds these)", &self.learnable), ("NEEDS REVIEW", &self.review)]
        {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title}");
            for (f, message) in list {
                let at = if f.at.is_empty() { String::new() } else { format!(" `{}`", f.at) };
                let _ = writeln!(
                    out,
                    "  {}: {}{at}: {message}; {}",
                    f.operation_label(),
                    f.response_label(),
                    f.evidence_label()
                );
                let _ = writeln!(out, "      [{}] {spec_name}#{}", f.kind, f.schema);
            }
        }
        if self.dropped > 0 {
            let _ = writeln!(
                out,
                "\nwarning: clients dropped {} finding{} (DriftConfig::max_findings): more drift may exist",
                self.dropped,
                plural(self.dropped as usize)
            );
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let list = |l: &[(Finding, String)], learnable: bool| -> Vec<Value> {
            l.iter()
                .map(|(f, message)| {
                    json!({"learnable": learnable, "kind": f.kind, "method": f.method, "path": f.path,
                           "operation_id": f.operation, "status": f.status, "media_type": f.media_type,
                           "at": f.at, "message": message, "pointer": f.schema, "count": f.count,
                           "first_seen": f.first_seen, "last_seen": f.last_seen})
                })
                .collect()
        };
        let mut findings = list(&self.learnable, true);
        findings.extend(list(&self.review, false));
        json!({"summary": {"undescribed": self.undescribed(), "learnable": self.learnable.len(),
               "review": self.review.len(), "described": self.described, "dropped": self.dropped},
               "findings": findings})
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Judges every finding of `reports` against `spec` with `overrides`.
pub fn verify(spec: &Value, overrides: Option<&Value>, reports: &Reports) -> Result<Verdict, crate::SpecError> {
    let doc = index::overridden(spec, overrides)?;
    let mut verdict = Verdict { dropped: reports.dropped, ..Verdict::default() };
    for f in &reports.findings {
        match judge(&doc, f) {
            Judgement::Described => verdict.described += 1,
            Judgement::Learnable { message, .. } => verdict.learnable.push((f.clone(), message)),
            Judgement::Review { message } => verdict.review.push((f.clone(), message)),
        }
    }
    Ok(verdict)
}

/// `verify-drift REPORT... [--spec openapi.json] [--overrides FILE | --no-overrides] [--format text|json]`.
pub fn cmd_verify_drift(args: &[String]) -> u8 {
    crate::cmdline::run_cmd("verify-drift", || {
        let a =
            crate::cmdline::Args::parse_with(args, &["spec", "overrides", "format"], &["no-overrides"], 1, usize::MAX)?;
        let json_output = match a.option("format") {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => return Err(format!("unknown --format `{other}` (text or json)")),
        };
        let spec_path = a.option("spec").unwrap_or(crate::files::DEFAULT_SPEC);
        let spec = crate::files::read_json_file(std::path::Path::new(spec_path))?;
        let overrides = match (a.option("overrides"), a.switch("no-overrides")) {
            (Some(path), _) => Some(crate::files::read_json_file(std::path::Path::new(path))?),
            (None, true) => None,
            (None, false) => crate::files::overrides_beside(std::path::Path::new(spec_path))?,
        };
        let reports = Reports::read(&a.positional)?;
        let verdict = verify(&spec, overrides.as_ref(), &reports).map_err(|e| e.to_string())?;
        if json_output {
            println!("{}", serde_json::to_string_pretty(&verdict.to_json()).unwrap_or_default());
        } else {
            print!("{}", verdict.to_text(spec_path));
        }
        Ok(if verdict.undescribed() > 0 { 1 } else { 0 })
    })
}
