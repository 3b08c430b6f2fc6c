//! Which spec revision a client is generated from: the document's `info.version` and the SHA-256 of its
//! bytes, as build scripts export them (`invent_api::SPEC_VERSION`, `invent_api::SPEC_SHA256`).

/// The revision of one spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRevision {
    /// `info.version` of the document as written, or empty when the document has none (OpenAPI requires
    /// it, but a build must not fail over a label).
    pub version: String,
    /// Lower-case hex SHA-256 of the file's bytes: what `sha256sum FILE` prints.
    pub sha256: String,
}

impl SpecRevision {
    /// The revision of a spec from its raw bytes and its parsed form (`info.version`).
    pub fn of(bytes: &[u8], doc: &serde_json::Value) -> SpecRevision {
        let version = doc.pointer("/info/version").and_then(serde_json::Value::as_str).unwrap_or_default();
        SpecRevision { version: version.to_owned(), sha256: sha256_hex(bytes) }
    }

    /// `info.version` made safe for a `cargo:rustc-env=` line and a Rust string: one line, control
    /// characters replaced by spaces (a foreign spec may put anything there).
    pub fn version_one_line(&self) -> String {
        self.version.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sha256_matches_the_fips_180_vectors() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn version_comes_from_info_and_is_empty_without_it() {
        let bytes = br#"{"info":{"version":"2026-11-29"}}"#;
        let doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let revision = SpecRevision::of(bytes, &doc);
        assert_eq!(revision.version, "2026-11-29");
        assert_eq!(revision.sha256, sha256_hex(bytes));
        for doc in [json!({}), json!({"info": {}}), json!({"info": {"version": 3}}), json!([1])] {
            assert_eq!(SpecRevision::of(b"x", &doc).version, "", "{doc}");
        }
    }

    #[test]
    fn version_one_line_replaces_control_characters() {
        let revision = SpecRevision::of(b"", &json!({"info": {"version": "1.0\ncargo:rustc-env=X=1\t\u{7f}"}}));
        let line = revision.version_one_line();
        assert_eq!(line, "1.0 cargo:rustc-env=X=1  ");
        assert!(!line.chars().any(char::is_control));
    }
}
