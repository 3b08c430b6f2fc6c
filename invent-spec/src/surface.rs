//! `invent-spec surface SPEC`: the API surface of a spec as the generated client sees it, one
//! tab-separated line per operation: `METHOD  path  operationId  rust_method  evidence`, sorted by
//! path then method. `rust_method` is the `Client` method progenitor generates (`-` when the lowering
//! drops the operation); `evidence` is the operation's `x-invent-evidence` (`-` when absent).
//!
//! The committed `api-surface.txt` is this output for the vendored spec, so every spec change shows up
//! as a readable diff in review (`invent-spec/tests/surface_snapshot.rs` keeps it current).

use std::path::Path;

use serde_json::Value;

use crate::ext::OperationMeta;
use crate::generate::{self, METHODS};
use crate::SpecError;

/// One operation of the surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path as the spec writes it (`/orgs/{org_id}/…`, not the inlined `/orgs/c/…`).
    pub path: String,
    /// After overrides; `-` when absent.
    pub operation_id: String,
    /// `-` when the operation is not generated.
    pub rust_method: String,
    pub evidence: String,
}

/// What `build.rs` does that changes names: overrides and the org scope alias (the rest of its options
/// only change code, not the surface).
pub fn options(file: &str, overrides: Option<Value>) -> generate::Options {
    generate::Options {
        file: Some(file.to_string()),
        overrides,
        org_scope_alias: Some(generate::INVENT_ORG_ALIAS.to_string()),
        // The rewrite step is what matches generated methods to operations.
        runtime: Some("crate".to_string()),
        ..Default::default()
    }
}

/// The surface of `doc` (with `overrides` applied, as `build.rs` does), rendered.
pub fn surface(doc: &Value, overrides: Option<&Value>, file: &str) -> Result<String, SpecError> {
    let out = generate::generate(doc.clone(), &options(file, overrides.cloned()))?;
    Ok(render(&lines(doc, overrides, &out.operations)))
}

/// The surface lines of `doc` (overrides applied to a copy for the operationIds), given the operations
/// generation produced for it.
pub fn lines(doc: &Value, overrides: Option<&Value>, generated: &[OperationMeta]) -> Vec<Line> {
    let mut effective = doc.clone();
    if let Some(o) = overrides {
        // Errors were already reported by generation; a failed apply leaves the original ids.
        let _ = crate::overrides::apply(&mut effective, o);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or("-").to_string();
    let mut out = Vec::new();
    let mut seen = Vec::new();
    if let Some(paths) = effective.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item =
                match item.get("$ref").and_then(Value::as_str).and_then(|r| crate::lower::walk::resolve(&effective, r))
                {
                    Some(target) => target,
                    None => item,
                };
            for m in METHODS {
                let Some(op) = item.get(m).filter(|o| o.is_object()) else { continue };
                let method = m.to_uppercase();
                let meta = generated.iter().find(|g| g.method == method && g.template == *path);
                if let Some(g) = meta {
                    seen.push(g.id.clone());
                }
                out.push(Line {
                    method,
                    path: path.clone(),
                    operation_id: text(op.get("operationId")),
                    rust_method: meta.map_or_else(|| "-".to_string(), |g| g.id.clone()),
                    evidence: text(op.get("x-invent-evidence")),
                });
            }
        }
    }
    // Anything generated that the document walk did not meet (should not happen) still shows.
    for g in generated.iter().filter(|g| !seen.contains(&g.id)) {
        out.push(Line {
            method: g.method.clone(),
            path: g.template.clone(),
            operation_id: "-".to_string(),
            rust_method: g.id.clone(),
            evidence: "-".to_string(),
        });
    }
    out.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    out
}

/// One tab-separated line per operation, each ending in `\n`.
pub fn render(lines: &[Line]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    lines
        .iter()
        .map(|l| {
            format!(
                "{}\t{}\t{}\t{}\t{}\n",
                l.method,
                clean(&l.path),
                clean(&l.operation_id),
                clean(&l.rust_method),
                clean(&l.evidence)
            )
        })
        .collect()
}

/// `surface SPEC [--overrides FILE | --no-overrides]`: prints the surface. `spec-overrides.json` next
/// to SPEC is applied automatically, as `build.rs` does. Exit 0, or 2 on bad input.
pub fn cmd_surface(args: &[String]) -> u8 {
    crate::cmdline::run_cmd("surface", || {
        let a = crate::cmdline::Args::parse_with(args, &["overrides"], &["no-overrides"], 1, 1)?;
        let spec = Path::new(&a.positional[0]);
        let doc = crate::files::read_json_file(spec)?;
        let overrides = match (a.option("overrides"), a.switch("no-overrides")) {
            (Some(_), true) => return Err("`--overrides` and `--no-overrides` exclude each other".to_string()),
            (Some(p), false) => Some(crate::files::read_json_file(Path::new(p))?),
            (None, true) => None,
            (None, false) => crate::files::overrides_beside(spec)?,
        };
        let text = surface(&doc, overrides.as_ref(), &spec.display().to_string()).map_err(|e| e.to_string())?;
        print!("{text}");
        Ok(0)
    })
}
