//! `SpecError`: the one error type of spec handling, naming the file, the JSON pointer and the rule.

use std::fmt;

/// A malformed or unsupported document (or overrides file), located by an RFC 6901 JSON pointer.
///
/// Displays as one line: `openapi.json: /paths/~1orgs~1{org_id}/get: rule `supported-version`: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file the document came from, when known (set by the caller with [`SpecError::with_file`]).
    pub file: Option<String>,
    /// RFC 6901 pointer into the document (`""` is the whole document).
    pub pointer: String,
    /// Short kebab-case name of the rule or check that failed (e.g. `supported-version`).
    pub rule: String,
    pub message: String,
}

impl SpecError {
    pub fn new(pointer: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        SpecError { file: None, pointer: pointer.into(), rule: rule.to_string(), message: message.into() }
    }

    /// An error about the document as a whole (pointer `""`).
    pub fn at_root(rule: &str, message: impl Into<String>) -> Self {
        Self::new("", rule, message)
    }

    /// Sets the file name unless one is already set.
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        let pointer = if self.pointer.is_empty() { "(document root)" } else { &self.pointer };
        write!(f, "{pointer}: rule `{}`: {}", self.rule, self.message)
    }
}

impl std::error::Error for SpecError {}

#[cfg(test)]
mod tests {
    use super::SpecError;

    #[test]
    fn displays_file_pointer_rule_and_message_on_one_line() {
        let e = SpecError::new("/paths/~1orgs~1{org_id}/get/responses", "one-success-type", "two types")
            .with_file("openapi.json");
        assert_eq!(
            e.to_string(),
            "openapi.json: /paths/~1orgs~1{org_id}/get/responses: rule `one-success-type`: two types"
        );
        let root = SpecError::at_root("supported-version", "not OpenAPI").with_file("a.json").with_file("b.json");
        assert_eq!(root.to_string(), "a.json: (document root): rule `supported-version`: not OpenAPI");
    }
}
