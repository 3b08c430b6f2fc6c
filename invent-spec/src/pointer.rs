//! RFC 6901 JSON pointer tokens: escaping for messages and reports.

/// Escapes one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Joins a base pointer and a token.
pub fn join(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_tilde_before_slash() {
        assert_eq!(super::escape("/orgs/{id}~x"), "~1orgs~1{id}~0x");
        assert_eq!(super::join("/paths", "/a"), "/paths/~1a");
    }
}
