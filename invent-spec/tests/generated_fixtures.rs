//! What the crate pipeline (`generate::Options::invent_crate`, as `build.rs` runs it, plus the CLI
//! part) writes for each regression spec in `tests/specs/`, checked against the committed text in
//! `tests/generated/` (progenitor checks its own output the same way). The rewrite rules are checked
//! for behaviour by the crate's tests, which compile and call the generated code; this file makes any
//! change of the generated text (a rule that stops matching, rewrites one site more or less, a count
//! in the report) a failing test of this crate alone, shown as a diff to review.
//!
//! The regression specs are this repository's own, so a spec update (`invent-spec update`) does not
//! touch these fixtures; a change of the rules does, on purpose. Regenerate after reviewing the diff:
//! `INVENT_SPEC_BLESS=1 cargo test -p invent-spec --test generated_fixtures`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use invent_spec::generate::{self, Options};
use serde_json::Value;

const BLESS: &str = "INVENT_SPEC_BLESS=1 cargo test -p invent-spec --test generated_fixtures";

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Everything the pipeline produces for one spec, as one text: the client, the extension code, the
/// httpmock helpers, the CLI part, and the report (rule counts and notes).
fn render(spec: &Path) -> String {
    let name = spec.file_name().and_then(|n| n.to_str()).expect("a file name");
    let text = std::fs::read_to_string(spec).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
    let out = generate::generate(doc, &Options::invent_crate(name, None)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (cli, hooks) = generate::cli(&out.lowered, "invent_api").unwrap_or_else(|e| panic!("{name}: cli: {e}"));
    let mut rendered = String::new();
    let mut section = |title: &str, body: &str| {
        writeln!(rendered, "// ==== {title} ====").unwrap();
        rendered.push_str(body);
        if !body.ends_with('\n') {
            rendered.push('\n');
        }
    };
    section("client", &out.client);
    section("ext", &out.ext);
    section("mock", out.mock.as_deref().unwrap_or("(none)\n"));
    section("cli", &cli);
    section("cli hooks", &format!("{hooks:#?}"));
    let mut report = String::new();
    for (rule, n) in out.report.counts() {
        writeln!(report, "{rule}: {n}").unwrap();
    }
    for note in out.report.notes() {
        writeln!(report, "note {} [{}] {}", note.pointer, note.rule, note.message).unwrap();
    }
    section("report", &report);
    rendered
}

/// The first line where `actual` and `expected` differ, with a few lines of each around it.
fn first_difference(actual: &str, expected: &str) -> String {
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
    let at = a.iter().zip(&e).position(|(x, y)| x != y).unwrap_or(a.len().min(e.len()));
    let around = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 4).min(lines.len())].join("\n");
    format!(
        "first difference at line {} (generated {} lines, committed {}):\n-- generated:\n{}\n-- committed:\n{}",
        at + 1,
        a.len(),
        e.len(),
        around(&a),
        around(&e)
    )
}

#[test]
fn each_regression_spec_generates_its_committed_text() {
    let bless = std::env::var_os("INVENT_SPEC_BLESS").is_some();
    let mut specs: Vec<PathBuf> = std::fs::read_dir(tests_dir().join("specs"))
        .expect("tests/specs")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 8, "the regression specs are missing: {specs:?}");
    let mut stale = Vec::new();
    for spec in &specs {
        let stem = spec.file_stem().and_then(|s| s.to_str()).expect("a file stem");
        let fixture = tests_dir().join("generated").join(format!("{stem}.txt"));
        let actual = render(spec);
        if bless {
            std::fs::create_dir_all(fixture.parent().expect("a parent")).expect("tests/generated");
            std::fs::write(&fixture, &actual).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
            continue;
        }
        let expected = std::fs::read_to_string(&fixture)
            .unwrap_or_else(|e| panic!("{}: {e}; generate it with:\n    {BLESS}", fixture.display()));
        if actual != expected {
            stale.push(format!("{}: {}", fixture.display(), first_difference(&actual, &expected)));
        }
    }
    assert!(stale.is_empty(), "{}\n\nreview the change, then regenerate with:\n    {BLESS}", stale.join("\n\n"));
}

/// The pipeline is deterministic: two runs over the same spec write the same text (otherwise the
/// fixtures above could not be compared, and `build.rs` would rebuild the crate for nothing).
#[test]
fn the_generated_text_is_the_same_on_every_run() {
    let spec = tests_dir().join("specs").join("constructs-1.json");
    assert_eq!(render(&spec), render(&spec));
}
