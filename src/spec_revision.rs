//! Which spec revision this client was generated from (docs/MAINTAINING.md: Versioning). `build.rs` exports both values
//! for whatever spec it generated from (`openapi.json`, or `INVENT_API_SPEC`).

/// `info.version` of the spec the client was generated from (for the vendored `openapi.json`, also the
/// build metadata of the crate version: `0.1.0+2026-11-29`). Empty when the spec has none.
pub const SPEC_VERSION: &str = env!("INVENT_API_SPEC_VERSION");

/// Lower-case hex SHA-256 of the spec file's bytes, as `sha256sum openapi.json` prints it: identifies the
/// exact revision even when `info.version` did not change.
pub const SPEC_SHA256: &str = env!("INVENT_API_SPEC_SHA256");
