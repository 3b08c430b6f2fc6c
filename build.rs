//! Generates the client from the vendored `openapi.json`: overrides → 3.1→3.0 lowering → progenitor
//! (Builder interface, merged tags, hooks expected, `crate::Inner`) → prettyplease, into `OUT_DIR`.
//! All the logic lives in the `invent-spec` crate; this file only wires paths and features.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const SPEC: &str = "openapi.json";
const OVERRIDES: &str = "spec-overrides.json";

/// Generate from another spec (the corpus check builds the crate against every corpus spec this way);
/// overrides then come only from `INVENT_API_OVERRIDES`.
const ENV_SPEC: &str = "INVENT_API_SPEC";
const ENV_OVERRIDES: &str = "INVENT_API_OVERRIDES";

fn main() -> ExitCode {
    println!("cargo:rerun-if-env-changed={ENV_SPEC}");
    println!("cargo:rerun-if-env-changed={ENV_OVERRIDES}");
    println!("cargo:rerun-if-changed=build.rs");
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line that names the file, JSON pointer and rule; cargo shows stderr on failure.
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let (spec, overrides) = match std::env::var_os(ENV_SPEC) {
        Some(spec) => (PathBuf::from(spec), std::env::var_os(ENV_OVERRIDES).map(PathBuf::from)),
        None => (PathBuf::from(SPEC), Some(PathBuf::from(OVERRIDES))),
    };
    println!("cargo:rerun-if-changed={}", spec.display());
    let doc = read_json(&spec)?.ok_or_else(|| format!("{}: file not found", spec.display()))?;
    let overrides = match &overrides {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", path.display());
            read_json(path)?
        }
        None => None,
    };
    let cli = std::env::var_os("CARGO_FEATURE_CLI").is_some();

    let file = spec.file_name().and_then(|n| n.to_str()).unwrap_or(SPEC);
    let options = invent_spec::generate::Options::invent_crate(file, overrides, cli);
    let output = invent_spec::generate::generate(doc, &options).map_err(|e| e.to_string())?;

    write_if_changed(&out.join("generated.rs"), &output.client)?;
    write_if_changed(&out.join("generated_ext.rs"), &output.ext)?;
    write_if_changed(&out.join("generated_mock.rs"), output.mock.as_deref().unwrap_or_default())?;
    write_if_changed(&out.join("generated_cli.rs"), output.cli.as_deref().unwrap_or_default())?;
    // src/cli overrides every `CliConfig::execute_<op>` hook of the generated CLI; it needs their names.
    let cli_ops: String =
        output.operations.iter().map(|op| format!("    {id} execute_{id} {},\n", op.builder, id = op.id)).collect();
    write_if_changed(&out.join("generated_cli_ops.rs"), &format!("invent_cli_operations! {{\n{cli_ops}}}\n"))?;
    let lowered = serde_json::to_string_pretty(&output.lowered).map_err(|e| e.to_string())?;
    write_if_changed(&out.join("openapi-3.0.json"), &lowered)?;
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

fn read_json(path: &Path) -> Result<Option<serde_json::Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: not valid JSON at line {} column {}: {e}", path.display(), e.line(), e.column())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Rewriting an unchanged file would make cargo recompile the crate for nothing.
fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))
}
