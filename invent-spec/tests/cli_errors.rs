//! Bad input to `surface`, `diff`, `update` and `check` (not JSON, not OpenAPI, Swagger 2.0, OpenAPI 3.2,
//! a missing file, bad arguments) gives exactly one clear line on stderr and exit 2, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_invent-spec")).args(args).output().expect("run invent-spec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bad_inputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let files: [(&str, &str, &str); 8] = [
        ("not-json.json", "openapi: 3.1.0\ninfo: {}\n", "not valid JSON"),
        ("empty.json", "", "not valid JSON"),
        ("truncated.json", "{\"openapi\": \"3.1.0\", \"paths\": {", "not valid JSON"),
        ("array.json", "[1, 2, 3]", "not a JSON object"),
        ("not-openapi.json", "{\"name\": \"x\", \"version\": 3}", "not an OpenAPI document"),
        (
            "swagger.json",
            "{\"swagger\": \"2.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"}, \"paths\": {}}",
            "Swagger 2.0 is not supported",
        ),
        (
            "v32.json",
            "{\"openapi\": \"3.2.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"}, \"paths\": {}}",
            "OpenAPI 3.2.0 is not supported",
        ),
        (
            "version-number.json",
            "{\"openapi\": 3.1, \"info\": {\"title\": \"t\", \"version\": \"1\"}, \"paths\": {}}",
            "must be a string",
        ),
    ];
    let mut out: Vec<(PathBuf, &'static str)> = files
        .iter()
        .map(|(name, text, expect)| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            (p, *expect)
        })
        .collect();
    out.push((dir.join("does-not-exist.json"), "file not found"));
    out
}

fn assert_clean_failure(what: &str, (code, out, err): (i32, String, String), expect: &str) {
    assert_eq!(code, 2, "{what}: exit code\nstdout: {out}\nstderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line on stderr, got:\n{err}");
    assert!(err.contains(expect), "{what}: expected `{expect}` in: {err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{what}: {err}");
    assert!(out.is_empty(), "{what}: nothing on stdout, got: {out}");
}

#[test]
fn bad_documents() {
    let dir = std::env::temp_dir().join(format!("invent-spec-cli-errors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = format!("{ROOT}/openapi.json");
    for (path, expect) in bad_inputs(&dir) {
        let p = path.to_str().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_clean_failure(&format!("surface {name}"), run(&["surface", p]), expect);
        assert_clean_failure(&format!("diff {name} good"), run(&["diff", p, &good]), expect);
        assert_clean_failure(&format!("diff good {name}"), run(&["diff", &good, p, "--fail-on", "any"]), expect);
        // `check` reads the vendored spec before it downloads anything.
        assert_clean_failure(
            &format!("check --spec {name}"),
            run(&["check", "--spec", p, "--url", "http://127.0.0.1:9/x"]),
            expect,
        );
        // The error names the file.
        let (_, _, err) = run(&["diff", p, &good]);
        assert!(err.contains(&name), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments() {
    let good = format!("{ROOT}/openapi.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["diff"], "expected 2 arguments, got 0"),
        (vec!["diff", &good], "expected 2 arguments, got 1"),
        (vec!["diff", &good, &good, &good], "expected 2 arguments, got 3"),
        (vec!["diff", &good, &good, "--format", "yaml"], "unknown --format `yaml`"),
        (vec!["diff", &good, &good, "--fail-on", "warn"], "unknown --fail-on `warn`"),
        (vec!["diff", &good, &good, "--fail-on"], "needs a value"),
        (vec!["diff", &good, &good, "--frobnicate"], "unknown option `--frobnicate`"),
        (vec!["surface"], "expected 1 argument, got 0"),
        (vec!["surface", &good, "--overrides", "x.json", "--no-overrides"], "exclude each other"),
        (vec!["update", "extra"], "expected 0 arguments, got 1"),
        (vec!["check", "--url"], "needs a value"),
        (vec!["check", "--format", "html"], "unknown --format `html`"),
    ];
    for (args, expect) in cases {
        assert_clean_failure(&args.join(" "), run(&args), expect);
    }
}
