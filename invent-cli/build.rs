//! Generates the CLI's argument parsing from the document invent-api generates its client from: the
//! same `openapi.json` and `spec-overrides.json` (this package carries them, as links to the
//! workspace's in the repository), lowered by invent-spec exactly as invent-api's build script does;
//! then progenitor's CLI, rewritten to end in one hook per operation, and the list of hooks
//! `src/generated.rs` implements. No `links` metadata is involved, so two versions of invent-api can
//! share a build; tests/same_spec.rs checks that the spec here is invent-api's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use invent_spec::files::write_if_changed;

const SPEC: &str = "openapi.json";
const OVERRIDES: &str = "spec-overrides.json";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The spec and overrides, chosen like invent-api's build script does: `INVENT_API_SPEC` (and then
/// only an explicit `INVENT_API_OVERRIDES`), else this package's `openapi.json` + `spec-overrides.json`.
/// Relative paths in the variables are taken from the workspace root, where invent-api resolves them.
fn spec_paths(manifest_dir: &Path) -> (PathBuf, Option<(PathBuf, bool)>) {
    println!("cargo:rerun-if-env-changed=INVENT_API_SPEC");
    println!("cargo:rerun-if-env-changed=INVENT_API_OVERRIDES");
    let workspace = manifest_dir.parent().unwrap_or(manifest_dir);
    let from_env = |name: &str| std::env::var_os(name).filter(|p| !p.is_empty()).map(|p| workspace.join(p));
    let explicit = from_env("INVENT_API_OVERRIDES").map(|p| (p, true));
    match from_env("INVENT_API_SPEC") {
        Some(spec) => (spec, explicit),
        None => (manifest_dir.join(SPEC), explicit.or_else(|| Some((manifest_dir.join(OVERRIDES), false)))),
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let (spec, overrides) = spec_paths(&manifest_dir);
    println!("cargo:rerun-if-changed={}", spec.display());
    let bytes = std::fs::read(&spec).map_err(|e| format!("{}: {e}", spec.display()))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", spec.display()))?;
    let overrides = match overrides {
        Some((path, required)) => {
            println!("cargo:rerun-if-changed={}", path.display());
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        None => None,
    };
    // Checked against invent_api::SPEC_SHA256 by tests/same_spec.rs.
    let revision = invent_spec::revision::SpecRevision::of(&bytes, &doc);
    println!("cargo:rustc-env=INVENT_CLI_SPEC_SHA256={}", revision.sha256);

    let name = spec.file_name().map_or_else(|| spec.display().to_string(), |n| n.to_string_lossy().into_owned());
    let options = invent_spec::generate::Options::invent_crate(&name, overrides);
    let (lowered, _) = invent_spec::generate::lowered(doc, &options).map_err(|e| e.to_string())?;
    let lowered_path = out.join("openapi-3.0.json");
    let text = serde_json::to_string_pretty(&lowered).map_err(|e| e.to_string())?;
    write_if_changed(&lowered_path, &text)?;
    // The tests read the document too (to build a request for every subcommand).
    println!("cargo:rustc-env=INVENT_LOWERED_SPEC={}", lowered_path.display());

    let (code, hooks) = invent_spec::generate::cli(&lowered, "invent_api").map_err(|e| e.to_string())?;
    let hooks: String = hooks.iter().map(|(id, builder)| format!("    {id} execute_{id} {builder},\n")).collect();
    write_if_changed(&out.join("generated_cli.rs"), &code)?;
    write_if_changed(&out.join("generated_cli_ops.rs"), &format!("invent_cli_operations! {{\n{hooks}}}\n"))
}
