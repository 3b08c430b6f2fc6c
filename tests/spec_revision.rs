//! The versioning rule (docs/MAINTAINING.md: Versioning): the crate version's build metadata is the vendored spec's
//! `info.version`, and `SPEC_VERSION` / `SPEC_SHA256` name the exact spec the client was generated from.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn vendored_spec() -> (Vec<u8>, serde_json::Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (bytes, doc)
}

#[test]
fn spec_version_is_the_vendored_info_version() {
    let (_, doc) = vendored_spec();
    let info_version = doc.pointer("/info/version").and_then(|v| v.as_str()).expect("openapi.json has info.version");
    assert!(!info_version.is_empty());
    assert_eq!(invent_api::SPEC_VERSION, info_version);
}

#[test]
fn crate_version_build_metadata_is_the_spec_version() {
    let version = env!("CARGO_PKG_VERSION");
    let (core, metadata) = version.split_once('+').unwrap_or_else(|| {
        panic!(
            "crate version {version} has no build metadata: it must be MAJOR.MINOR.PATCH+{} (the spec's \
             info.version; docs/MAINTAINING.md: Versioning)",
            invent_api::SPEC_VERSION
        )
    });
    assert_eq!(
        metadata,
        invent_api::SPEC_VERSION,
        "Cargo.toml version {version}: after vendoring a new spec, set the build metadata to its info.version"
    );
    // The three numbers, and build metadata semver accepts (dot-separated identifiers of [0-9A-Za-z-]).
    let numbers: Vec<&str> = core.split('.').collect();
    assert_eq!(numbers.len(), 3, "{version}");
    assert!(numbers.iter().all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())), "{version}");
    assert!(metadata.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
}

#[test]
fn spec_sha256_is_the_digest_of_the_vendored_file() {
    let (bytes, _) = vendored_spec();
    let expected: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(invent_api::SPEC_SHA256, expected);
    assert_eq!(invent_api::SPEC_SHA256.len(), 64);
}
