//! `Report`: what the overrides and the lowering changed: a count per rule, plus a note for every lossy
//! rewrite (dropped operations, responses, parameters, dangling references...).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One lossy or noteworthy rewrite, located by an RFC 6901 pointer into the document as the rule saw
/// it (the input's pointer, except where an earlier rewrite moved things, e.g. path-level parameters
/// pushed into operations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub pointer: String,
    pub rule: String,
    pub message: String,
}

/// Every rewrite, counted per rule; notes for the lossy ones. Deterministic: counts are sorted by rule,
/// notes keep the order in which the document was walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    counts: BTreeMap<String, usize>,
    notes: Vec<Note>,
    dropped_operations: Vec<Note>,
    dropped_responses: Vec<Note>,
    operations_kept: Option<usize>,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one (non-lossy) rewrite of `rule`.
    pub fn count(&mut self, rule: &str) {
        self.count_n(rule, 1);
    }

    pub fn count_n(&mut self, rule: &str, n: usize) {
        if n > 0 {
            *self.counts.entry(rule.to_string()).or_default() += n;
        }
    }

    /// Records a lossy rewrite (and counts it).
    pub fn note(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.count(rule);
        self.notes.push(Note { pointer: pointer.to_string(), rule: rule.to_string(), message: message.into() });
    }

    /// Records a dropped operation (a note that [`Report::dropped_operations`] also lists).
    pub fn drop_operation(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.note(pointer, rule, message);
        if let Some(n) = self.notes.last() {
            self.dropped_operations.push(n.clone());
        }
    }

    /// Records a dropped response (a note that [`Report::dropped_responses`] also lists).
    pub fn drop_response(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.note(pointer, rule, message);
        if let Some(n) = self.notes.last() {
            self.dropped_responses.push(n.clone());
        }
    }

    /// Adds notes made elsewhere, counting each under its rule.
    pub fn extend_notes(&mut self, notes: Vec<Note>) {
        for n in notes {
            self.count(&n.rule);
            self.notes.push(n);
        }
    }

    /// Appends everything `other` recorded.
    pub fn merge(&mut self, other: Report) {
        for (rule, n) in other.counts {
            *self.counts.entry(rule).or_default() += n;
        }
        self.notes.extend(other.notes);
        self.dropped_operations.extend(other.dropped_operations);
        self.dropped_responses.extend(other.dropped_responses);
        if other.operations_kept.is_some() {
            self.operations_kept = other.operations_kept;
        }
    }

    /// Number of operations in the lowered document (set by the lowering).
    pub fn operations_kept(&self) -> Option<usize> {
        self.operations_kept
    }

    pub fn set_operations_kept(&mut self, n: usize) {
        self.operations_kept = Some(n);
    }

    pub fn counts(&self) -> &BTreeMap<String, usize> {
        &self.counts
    }

    /// How often `rule` fired.
    pub fn rule_count(&self, rule: &str) -> usize {
        self.counts.get(rule).copied().unwrap_or(0)
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    pub fn dropped_operations(&self) -> &[Note] {
        &self.dropped_operations
    }

    pub fn dropped_responses(&self) -> &[Note] {
        &self.dropped_responses
    }

    pub fn total_rewrites(&self) -> usize {
        self.counts.values().sum()
    }

    /// Whether any operation or response was dropped (build.rs prints a warning then).
    pub fn dropped_anything(&self) -> bool {
        !self.dropped_operations.is_empty() || !self.dropped_responses.is_empty()
    }

    /// One line, e.g. `lowered: 245 operations; 812 rewrites in 17 rules; dropped 2 operations
    /// (2 multipart-body), 35 responses`.
    pub fn summary_line(&self) -> String {
        let mut s = String::from("lowered: ");
        if let Some(n) = self.operations_kept {
            let _ = write!(s, "{n} operation{}; ", plural(n));
        }
        let _ = write!(s, "{} rewrites in {} rules; ", self.total_rewrites(), self.counts.len());
        let (ops, resps) = (self.dropped_operations.len(), self.dropped_responses.len());
        if ops == 0 && resps == 0 {
            s.push_str("nothing dropped");
            return s;
        }
        let _ = write!(s, "dropped {ops} operation{}", plural(ops));
        if ops > 0 {
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for n in &self.dropped_operations {
                *reasons.entry(n.rule.as_str()).or_default() += 1;
            }
            let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
            let _ = write!(s, " ({})", reasons.join(", "));
        }
        let _ = write!(s, ", {resps} response{}", plural(resps));
        s
    }

    /// The full report: summary, counts per rule, then every note.
    pub fn to_text(&self) -> String {
        let mut s = self.summary_line();
        s.push_str("\n\nrewrites per rule:\n");
        let width = self.counts.keys().map(String::len).max().unwrap_or(0);
        for (rule, n) in &self.counts {
            let _ = writeln!(s, "  {rule:<width$}  {n:>6}");
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\nnotes ({}):", self.notes.len());
            for n in &self.notes {
                let pointer = if n.pointer.is_empty() { "(document root)" } else { &n.pointer };
                let _ = writeln!(s, "  {pointer}: {}: {}", n.rule, n.message);
            }
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_rules_and_groups_dropped_operations() {
        let mut r = Report::new();
        r.count("strip-title");
        r.count_n("strip-title", 2);
        r.drop_operation("/paths/~1a/post", "multipart-body", "multipart only");
        let mut other = Report::new();
        other.drop_response("/paths/~1a/get/responses/404", "one-error-type", "404 dropped");
        other.set_operations_kept(7);
        r.merge(other);
        assert_eq!(r.total_rewrites(), 5);
        assert_eq!(r.rule_count("strip-title"), 3);
        assert_eq!(r.dropped_operations().len(), 1);
        assert_eq!(r.dropped_responses().len(), 1);
        assert_eq!(
            r.summary_line(),
            "lowered: 7 operations; 5 rewrites in 3 rules; dropped 1 operation (1 multipart-body), 1 response"
        );
        let text = r.to_text();
        assert!(text.contains("  /paths/~1a/post: multipart-body: multipart only\n"), "{text}");
        assert!(text.contains("strip-title"));
        assert_eq!(Report::new().summary_line(), "lowered: 0 rewrites in 0 rules; nothing dropped");
    }
}
