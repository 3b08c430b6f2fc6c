//! The committed `api-surface.txt` is the surface of the vendored `openapi.json` (with
//! `spec-overrides.json` applied and the org scope aliased to `c`, as `build.rs` does), so every spec
//! change shows up as a readable diff in review. Also checks that `invent-spec surface` applies the
//! overrides beside the spec by itself.

use std::process::Command;

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const REGENERATE: &str = "cargo run -p invent-spec -- surface openapi.json > api-surface.txt";

fn read_json(path: &str) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// Lines only in `expected` (`-`) or only in `actual` (`+`), in order.
fn line_diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for l in &e {
        if !a.contains(l) {
            out.push_str(&format!("- {l}\n"));
        }
    }
    for l in &a {
        if !e.contains(l) {
            out.push_str(&format!("+ {l}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, different order or whitespace)\n");
    }
    out
}

#[test]
fn committed_surface_matches_the_vendored_spec() {
    let doc = read_json(&format!("{ROOT}/openapi.json")).expect("openapi.json");
    let overrides = read_json(&format!("{ROOT}/spec-overrides.json"));
    let actual =
        invent_spec::surface::surface(&doc, overrides.as_ref(), "openapi.json").expect("the vendored spec generates");
    let expected = std::fs::read_to_string(format!("{ROOT}/api-surface.txt")).unwrap_or_default();
    if actual != expected {
        panic!(
            "api-surface.txt is out of date with openapi.json:\n{}\nRegenerate it from the repository root with:\n    {REGENERATE}\n",
            line_diff(&expected, &actual)
        );
    }
    // One line per operation, five tab-separated fields, sorted by path then method.
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object().unwrap().keys().filter(|k| invent_spec::generate::METHODS.contains(&k.as_str())).count()
        })
        .sum();
    assert_eq!(actual.lines().count(), operations);
    let keys: Vec<(String, String)> = actual
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{l}");
            // `diff` names Rust methods without running progenitor; it must agree with progenitor.
            if f[2] != "-" && f[3] != "-" {
                assert_eq!(invent_spec::diff::rust_method_name(f[2]), f[3], "{l}");
            }
            (f[1].to_string(), f[0].to_string())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn the_cli_applies_overrides_beside_the_spec() {
    let dir = std::env::temp_dir().join(format!("invent-spec-surface-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut doc = read_json(&format!("{ROOT}/openapi.json")).unwrap();
    // Upstream drops an operationId; the overrides file pins it (as for the real, id-less spec).
    doc["paths"]["/orgs/{org_id}/assistants"]["get"].as_object_mut().unwrap().remove("operationId");
    std::fs::write(dir.join("openapi.json"), serde_json::to_string(&doc).unwrap()).unwrap();
    let spec = dir.join("openapi.json");
    let run = |extra: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_invent-spec")).arg("surface").arg(&spec).args(extra).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let line =
        |text: &str| text.lines().find(|l| l.starts_with("GET\t/orgs/{org_id}/assistants\t")).map(str::to_string);

    let without = run(&[]);
    let bare = line(&without).unwrap();
    assert!(bare.starts_with("GET\t/orgs/{org_id}/assistants\t-\t"), "no id, no overrides: {bare}");

    let overrides = format!("{ROOT}/spec-overrides.json");
    if std::path::Path::new(&overrides).is_file() {
        std::fs::copy(&overrides, dir.join("spec-overrides.json")).unwrap();
        let with = line(&run(&[])).unwrap();
        assert_eq!(with, "GET\t/orgs/{org_id}/assistants\tlistAssistants\tlist_assistants\tdocumented");
        assert_eq!(line(&run(&["--no-overrides"])).unwrap(), bare);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
