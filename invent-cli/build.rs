//! Generates the CLI's argument parsing from the document invent-api generated its client from
//! (`DEP_INVENT_API_LOWERED`, set by invent-api's build script): progenitor's CLI, rewritten to end in
//! one hook per operation, and the list of hooks `src/generated.rs` implements.

use std::path::PathBuf;
use std::process::ExitCode;

use invent_spec::files::write_if_changed;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_INVENT_API_LOWERED");
    let lowered = std::env::var_os("DEP_INVENT_API_LOWERED")
        .map(PathBuf::from)
        .ok_or("DEP_INVENT_API_LOWERED is not set (invent-api's build script exports it)")?;
    println!("cargo:rerun-if-changed={}", lowered.display());
    // The tests read the document too (to build a request for every subcommand).
    println!("cargo:rustc-env=INVENT_LOWERED_SPEC={}", lowered.display());
    let text = std::fs::read_to_string(&lowered).map_err(|e| format!("{}: {e}", lowered.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", lowered.display()))?;
    let (code, hooks) = invent_spec::generate::cli(&doc, "invent_api").map_err(|e| e.to_string())?;
    let hooks: String = hooks.iter().map(|(id, builder)| format!("    {id} execute_{id} {builder},\n")).collect();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    write_if_changed(&out.join("generated_cli.rs"), &code)?;
    write_if_changed(&out.join("generated_cli_ops.rs"), &format!("invent_cli_operations! {{\n{hooks}}}\n"))
}
