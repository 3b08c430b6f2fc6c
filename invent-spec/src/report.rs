//! `Report`: what the overrides and the lowering changed: a count per rule, plus a note for every lossy
//! rewrite (dropped operations, responses, parameters, dangling references...). Drops are also listed
//! per kind ([`Dropped`]): the corpus check fails on them.

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

/// What a dropped part of the document was. Only parts that mean something on the wire count: an
/// operation, a parameter the server would read, a declared response, an object property. Repairs of
/// invalid declarations (a duplicate parameter, a path parameter missing from the template, a header
/// OpenAPI says to ignore) are notes, not drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dropped {
    Operation,
    Parameter,
    Response,
    Property,
}

impl Dropped {
    pub const ALL: [Dropped; 4] = [Dropped::Operation, Dropped::Parameter, Dropped::Response, Dropped::Property];

    pub fn singular(self) -> &'static str {
        match self {
            Dropped::Operation => "operation",
            Dropped::Parameter => "parameter",
            Dropped::Response => "response",
            Dropped::Property => "property",
        }
    }

    /// Plural noun used in the report (`operations`, `parameters`, ...).
    pub fn plural(self) -> &'static str {
        match self {
            Dropped::Operation => "operations",
            Dropped::Parameter => "parameters",
            Dropped::Response => "responses",
            Dropped::Property => "properties",
        }
    }
}

/// Every rewrite, counted per rule; notes for the lossy ones. Deterministic: counts are sorted by rule,
/// notes keep the order in which the document was walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    counts: BTreeMap<String, usize>,
    notes: Vec<Note>,
    dropped: BTreeMap<Dropped, Vec<Note>>,
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

    /// Records a dropped part of the document: a note that [`Report::dropped`] also lists under `kind`.
    pub fn drop(&mut self, kind: Dropped, pointer: &str, rule: &str, message: impl Into<String>) {
        self.note(pointer, rule, message);
        if let Some(n) = self.notes.last() {
            self.dropped.entry(kind).or_default().push(n.clone());
        }
    }

    /// Records a dropped operation.
    pub fn drop_operation(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.drop(Dropped::Operation, pointer, rule, message);
    }

    /// Records a dropped response.
    pub fn drop_response(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.drop(Dropped::Response, pointer, rule, message);
    }

    /// Records a dropped parameter (the operation is kept).
    pub fn drop_parameter(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.drop(Dropped::Parameter, pointer, rule, message);
    }

    /// Records a dropped object property.
    pub fn drop_property(&mut self, pointer: &str, rule: &str, message: impl Into<String>) {
        self.drop(Dropped::Property, pointer, rule, message);
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
        for (kind, notes) in other.dropped {
            self.dropped.entry(kind).or_default().extend(notes);
        }
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

    /// The drops of one kind, in document order.
    pub fn dropped(&self, kind: Dropped) -> &[Note] {
        self.dropped.get(&kind).map_or(&[], Vec::as_slice)
    }

    pub fn dropped_operations(&self) -> &[Note] {
        self.dropped(Dropped::Operation)
    }

    pub fn dropped_responses(&self) -> &[Note] {
        self.dropped(Dropped::Response)
    }

    pub fn dropped_parameters(&self) -> &[Note] {
        self.dropped(Dropped::Parameter)
    }

    pub fn dropped_properties(&self) -> &[Note] {
        self.dropped(Dropped::Property)
    }

    pub fn total_rewrites(&self) -> usize {
        self.counts.values().sum()
    }

    /// Whether anything was dropped (build.rs prints a warning then).
    pub fn dropped_anything(&self) -> bool {
        self.dropped.values().any(|v| !v.is_empty())
    }

    /// One line, e.g. `lowered: 245 operations; 812 rewrites in 17 rules; dropped 2 operations
    /// (2 multipart-body), 1 parameter (1 deep-object), 35 responses (35 one-error-type), 0 properties`.
    pub fn summary_line(&self) -> String {
        let mut s = String::from("lowered: ");
        if let Some(n) = self.operations_kept {
            let _ = write!(s, "{n} operation{}; ", plural(n));
        }
        let _ = write!(s, "{} rewrites in {} rules; ", self.total_rewrites(), self.counts.len());
        if !self.dropped_anything() {
            s.push_str("nothing dropped");
            return s;
        }
        let parts: Vec<String> = Dropped::ALL
            .iter()
            .map(|&kind| {
                let list = self.dropped(kind);
                let noun = if list.len() == 1 { kind.singular() } else { kind.plural() };
                let mut part = format!("{} {noun}", list.len());
                if !list.is_empty() {
                    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
                    for n in list {
                        *reasons.entry(n.rule.as_str()).or_default() += 1;
                    }
                    let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
                    let _ = write!(part, " ({})", reasons.join(", "));
                }
                part
            })
            .collect();
        let _ = write!(s, "dropped {}", parts.join(", "));
        s
    }

    /// A fixed-format line for scripts (scripts/corpus-check.sh reads it from the report):
    /// `dropped: operations=N parameters=N responses=N properties=N kept=N rewrites=N`.
    pub fn counts_line(&self) -> String {
        let mut s = String::from("dropped:");
        for kind in Dropped::ALL {
            let _ = write!(s, " {}={}", kind.plural(), self.dropped(kind).len());
        }
        let _ = write!(s, " kept={} rewrites={}", self.operations_kept.unwrap_or(0), self.total_rewrites());
        s
    }

    /// The full report: summary, the counts line, counts per rule, then every note.
    pub fn to_text(&self) -> String {
        let mut s = self.summary_line();
        s.push('\n');
        s.push_str(&self.counts_line());
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
            "lowered: 7 operations; 5 rewrites in 3 rules; dropped 1 operation (1 multipart-body), 0 parameters, \
             1 response (1 one-error-type), 0 properties"
        );
        let text = r.to_text();
        assert!(text.contains("  /paths/~1a/post: multipart-body: multipart only\n"), "{text}");
        assert!(text.contains("strip-title"));
        assert!(
            text.lines().nth(1)
                == Some("dropped: operations=1 parameters=0 responses=1 properties=0 kept=7 rewrites=5"),
            "{text}"
        );
        assert_eq!(Report::new().summary_line(), "lowered: 0 rewrites in 0 rules; nothing dropped");
    }

    #[test]
    fn drops_are_listed_per_kind_and_survive_merge() {
        let mut r = Report::new();
        r.drop_parameter("/p/0", "deep-object", "free-form map");
        r.drop_parameter("/p/1", "cookie-parameter", "cookie");
        let mut other = Report::new();
        other.drop_property("/components/schemas/X/properties/a", "rule", "gone");
        r.merge(other);
        assert_eq!(r.dropped(Dropped::Parameter).len(), 2);
        assert_eq!(r.dropped_parameters()[1].rule, "cookie-parameter");
        assert_eq!(r.dropped_properties().len(), 1);
        assert!(r.dropped_operations().is_empty() && r.dropped_responses().is_empty());
        assert!(r.dropped_anything());
        assert_eq!(r.rule_count("deep-object"), 1);
        assert_eq!(
            r.summary_line(),
            "lowered: 3 rewrites in 3 rules; dropped 0 operations, 2 parameters (1 cookie-parameter, 1 deep-object), \
             0 responses, 1 property (1 rule)"
        );
        assert_eq!(r.counts_line(), "dropped: operations=0 parameters=2 responses=0 properties=1 kept=0 rewrites=3");
        assert!(!Report::new().dropped_anything());
    }
}
