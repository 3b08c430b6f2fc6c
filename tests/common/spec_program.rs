//! Builds and runs a small program against invent-api generated from another spec (a regression spec
//! in `invent-spec/tests/specs`): generation, compilation and behaviour of constructs the vendored spec
//! does not have, end to end. One scratch crate per program under `target/spec-programs/<name>`, all
//! sharing one target directory (the first run compiles the dependencies once; later runs only the
//! crate), offline, with the workspace's `Cargo.lock`.
//!
//! Use it from a test file with `#[path = "common/spec_program.rs"] mod spec_program;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// What the program printed (stdout lines) after it exited successfully; panics with its stderr
/// otherwise.
pub fn run(name: &str, spec: &str, main_rs: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    run_with(name, &root.join("invent-spec/tests/specs").join(spec), None, main_rs)
}

/// [`run`] with any spec (an absolute path) and, if given, its overrides (`INVENT_API_OVERRIDES`).
pub fn run_with(name: &str, spec: &Path, overrides: Option<&Path>, main_rs: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = root.join("target").join("spec-programs");
    let scratch = base.join(name);
    let faults = root.join("tests/common/faults.rs");
    let manifest = format!(
        r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
invent-api = {{ path = {root:?} }}
serde_json = "1"
futures = "0.3"
bytes = "1"
tokio = {{ version = "1", features = ["macros", "rt", "net", "io-util", "time", "sync"] }}

[profile.dev]
debug = 0
"#,
        root = root.display().to_string()
    );
    write(&scratch.join("Cargo.toml"), &manifest);
    write(&scratch.join("src/main.rs"), &main_rs.replace("@FAULTS@", &faults.display().to_string()));
    // The workspace's versions, every run (cargo adds the scratch package to it).
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).unwrap_or_else(|e| panic!("Cargo.lock: {e}"));
    let mut command = std::process::Command::new(env!("CARGO"));
    command
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .env("INVENT_API_SPEC", spec)
        .env_remove("INVENT_API_OVERRIDES")
        .env("CARGO_TARGET_DIR", base.join("target"));
    if let Some(overrides) = overrides {
        command.env("INVENT_API_OVERRIDES", overrides);
    }
    let output = command.output().unwrap_or_else(|e| panic!("cargo did not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the {name} program failed ({}).\n--- printed:\n{stdout}\n--- stderr (last 60 lines):\n{}",
        output.status,
        stderr.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    stdout.lines().map(str::to_string).collect()
}

fn write(path: &PathBuf, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent().expect("a parent")).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
