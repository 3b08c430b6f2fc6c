//! Generates the client from the vendored `openapi.json`: overrides → 3.1→3.0 lowering → progenitor
//! (Builder interface, merged tags, `crate::Inner`) → rewrite onto the crate's executor → prettyplease,
//! into `OUT_DIR`. All the logic lives in the `invent-spec` crate; this file only wires paths.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use invent_spec::files::{remove_stale, write_if_changed};

const SPEC: &str = "openapi.json";
const OVERRIDES: &str = "spec-overrides.json";

/// The spec to generate from and the overrides to apply. `INVENT_API_SPEC=path` builds the crate from
/// another spec (scripts/corpus-check.sh does this for every corpus spec); then only
/// `INVENT_API_OVERRIDES=path` supplies overrides (Invent's `spec-overrides.json` is not applied to a
/// foreign spec). Without `INVENT_API_SPEC`: `openapi.json` + `spec-overrides.json` (if present).
/// The flag says whether the overrides file must exist (it must when named explicitly).
fn spec_paths() -> (PathBuf, Option<(PathBuf, bool)>) {
    println!("cargo:rerun-if-env-changed=INVENT_API_SPEC");
    println!("cargo:rerun-if-env-changed=INVENT_API_OVERRIDES");
    let explicit = std::env::var_os("INVENT_API_OVERRIDES").filter(|p| !p.is_empty()).map(|p| (PathBuf::from(p), true));
    match std::env::var_os("INVENT_API_SPEC").filter(|p| !p.is_empty()) {
        Some(spec) => (PathBuf::from(spec), explicit),
        None => (PathBuf::from(SPEC), explicit.or_else(|| Some((PathBuf::from(OVERRIDES), false)))),
    }
}

fn main() -> ExitCode {
    let (spec, overrides) = spec_paths();
    println!("cargo:rerun-if-changed={}", spec.display());
    if let Some((overrides, _)) = &overrides {
        println!("cargo:rerun-if-changed={}", overrides.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    let generated = run(&spec, overrides.as_ref().map(|(p, required)| (p.as_path(), *required)));
    match generated.and_then(|()| export_spec_revision(&spec)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line that names the file, JSON pointer and rule; cargo shows stderr on failure.
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: &Path, overrides: Option<(&Path, bool)>) -> Result<(), String> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let doc = read_json(spec)?.ok_or_else(|| format!("{}: file not found", spec.display()))?;
    let overrides = match overrides {
        Some((path, true)) => Some(read_json(path)?.ok_or_else(|| format!("{}: file not found", path.display()))?),
        Some((path, false)) => read_json(path)?,
        None => None,
    };
    let name = spec.file_name().map_or_else(|| spec.display().to_string(), |n| n.to_string_lossy().into_owned());
    // Feature `drift`: the schema index the client's drift capture walks responses against (`src/drift/index.rs`).
    if std::env::var_os("CARGO_FEATURE_DRIFT").is_some() {
        let index =
            invent_spec::drift::index::build(&doc, overrides.as_ref()).map_err(|e| e.with_file(&name).to_string())?;
        write_if_changed(&out.join("drift-index.json"), &index.to_string())?;
    }
    let mut options = invent_spec::generate::Options::invent_crate(&name, overrides);
    options.split_files = true;
    // The typed httpmock helpers are compiled only with feature `mock`; without it, skip generating them.
    if std::env::var_os("CARGO_FEATURE_MOCK").is_none() {
        options.mock_crate = None;
    }
    let output = invent_spec::generate::generate(doc, &options).map_err(|e| e.to_string())?;

    // The client as a skeleton that `include!`s one file per type or operation: a schema edit then
    // moves the lines of one small file, not of every item below it, and incremental builds keep the
    // rest (see `invent_spec::generate::split`).
    let parts_dir = out.join(invent_spec::generate::SPLIT_DIR);
    let mut written = std::collections::BTreeSet::new();
    for (path, code) in &output.client_parts {
        let path = out.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        write_if_changed(&path, code)?;
        written.insert(path);
    }
    remove_stale(&parts_dir, &written)?;
    write_if_changed(&out.join("generated.rs"), &output.client)?;
    // `src/messages.rs` (text parts in and out of chat messages) names Invent's message types; a
    // crate built from another spec (INVENT_API_SPEC) has none of them and builds without it.
    println!("cargo::rustc-check-cfg=cfg(invent_messages)");
    let has_type = |name: &str| output.client_parts.iter().any(|(path, _)| path == &format!("client/types/{name}.rs"));
    if ["MessagePart", "TextMessagePart", "ChatMessage"].into_iter().all(has_type) {
        println!("cargo:rustc-cfg=invent_messages");
    }
    write_if_changed(&out.join("generated_ext.rs"), &output.ext)?;
    // The org alias generated paths are written with, as one string literal: `src/client/org.rs` reads
    // it (`CURRENT_ORG`) without naming the generated module.
    let org_alias = options.org_scope_alias.as_deref().unwrap_or(invent_spec::generate::INVENT_ORG_ALIAS);
    write_if_changed(&out.join("org_alias.rs"), &format!("{org_alias:?}"))?;
    write_if_changed(&out.join("generated_mock.rs"), output.mock.as_deref().unwrap_or_default())?;
    let lowered = serde_json::to_string_pretty(&output.lowered).map_err(|e| e.to_string())?;
    let lowered_path = out.join("openapi-3.0.json");
    write_if_changed(&lowered_path, &lowered)?;
    write_if_changed(&out.join("lowering-report.txt"), &output.report.to_text())?;

    if output.report.dropped_anything() {
        println!(
            "cargo:warning=invent-api: {} (full report: {})",
            output.report.summary_line(),
            out.join("lowering-report.txt").display()
        );
    }
    Ok(())
}

/// Exports the generating spec's `info.version` and the SHA-256 of its bytes to the crate
/// (`src/spec_revision.rs`), whichever spec it is (`INVENT_API_SPEC` too).
fn export_spec_revision(spec: &Path) -> Result<(), String> {
    let bytes = std::fs::read(spec).map_err(|e| format!("{}: {e}", spec.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", spec.display()))?;
    let revision = invent_spec::revision::SpecRevision::of(&bytes, &doc);
    println!("cargo:rustc-env=INVENT_API_SPEC_VERSION={}", revision.version_one_line());
    println!("cargo:rustc-env=INVENT_API_SPEC_SHA256={}", revision.sha256);
    Ok(())
}

fn read_json(path: &Path) -> Result<Option<serde_json::Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: not valid JSON at line {} column {}: {e}", path.display(), e.line(), e.column())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
