//! Lowering: any OpenAPI 3.0.x/3.1.x document → an OpenAPI 3.0.3 document that `openapiv3` parses and
//! progenitor 0.15.1 (Builder interface, merged tags) generates compiling code from. [`lower`] runs the
//! rule families below in a fixed order; every rewrite is counted in the returned [`Report`].
//!
//! | file | rules |
//! |---|---|
//! | `version.rs` | version gate, `openapi`, `jsonSchemaDialect`, `info.summary`, `license.identifier`, `webhooks`, path-item `$ref`s |
//! | `refs.rs` | `$defs` hoisting, deep/dangling/external schema `$ref`s, component names, inlining non-schema refs |
//! | `document.rs` | shape of non-schema parts (info, servers, tags, security schemes, responses, media types, parameters) |
//! | `schema.rs` | JSON Schema 2020-12 → OpenAPI 3.0 schema keywords |
//! | `typify.rs` | what typify needs: colliding property names, enums, open enums, defaults, open objects, nullable component split |
//! | `operations.rs`, `operations/` | what progenitor needs per operation, one file a job: ids, parameters (cookies as headers, distinct Rust names), object query parameters (form, deepObject), request bodies and multipart, one success/error type, WebSocket upgrades |
//! | `walk.rs` | pointers, references and traversal shared by all of the above |

pub mod document;
pub mod operations;
pub mod refs;
pub mod schema;
pub mod typify;
pub mod version;
pub mod walk;

use serde_json::Value;

use crate::{Report, SpecError};

/// Knobs of the lowering. `Default` is what `build.rs` and `invent-spec` use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerOptions {
    /// Remove `title` from schemas: typify names types after titles, and equal titles give duplicate
    /// Rust items. Default `true`.
    pub strip_titles: bool,
    /// Drop `additionalProperties: false` (typify turns it into `deny_unknown_fields`, so a new server
    /// field would break deserialization). Default `true`.
    pub open_objects: bool,
    /// Keep the siblings of a `$ref` (description, nullable, ...) by wrapping it in `allOf`; when `false`
    /// they are dropped. Default `true`.
    pub wrap_ref_siblings: bool,
    /// Nesting limit (JSON levels) beyond which the document is refused with rule `max-depth`.
    pub max_depth: usize,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions { strip_titles: true, open_objects: true, wrap_ref_siblings: true, max_depth: walk::MAX_DEPTH }
    }
}

/// Lowers `doc` in place. 3.1-only rewrites are applied to 3.0 input too (they only fire on constructs
/// that are invalid there anyway). On error the document may be partly rewritten; never panics.
pub fn lower(doc: &mut Value, opts: &LowerOptions) -> Result<Report, SpecError> {
    version::check(doc)?;
    walk::check_depth(doc, opts.max_depth.min(walk::MAX_DEPTH))?;
    let mut report = Report::new();
    version::lower(doc, &mut report)?;
    refs::lower(doc, &mut report)?;
    document::lower(doc, &mut report)?;
    schema::lower(doc, opts, &mut report)?;
    typify::lower(doc, opts, &mut report)?;
    operations::lower(doc, &mut report)?;
    report.set_operations_kept(walk::operations(doc).len());
    Ok(report)
}
