//! The progenitor-generated client and the extension code `invent-spec` derives from it (`build.rs`
//! writes both to `OUT_DIR`). Never edit generated code: fix `spec-overrides.json` or a lowering rule.
// Doc comments come from the spec's descriptions (any spec: bare URLs, stray HTML, brackets).
#![allow(clippy::all, unused_imports, dead_code, missing_docs, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/generated.rs"));
include!(concat!(env!("OUT_DIR"), "/generated_ext.rs"));
