//! Rule `constructors-hidden` through the whole pipeline: with the crate's runtime, progenitor's
//! `Client::new` / `Client::new_with_client` leave the rendered docs; without a runtime (plain
//! progenitor output), they stay as progenitor wrote them.

use std::path::PathBuf;

use serde_json::Value;

fn regression_spec(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/specs").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON")
}

#[test]
fn the_crate_pipeline_hides_both_constructors() {
    let options = invent_spec::generate::Options::invent_crate("query-styles.json", None);
    let out = invent_spec::generate::generate(regression_spec("query-styles.json"), &options).expect("generates");
    assert_eq!(out.report.rule_count("constructors-hidden"), 2);
    for constructor in ["pub fn new(", "pub fn new_with_client("] {
        assert!(attributes_of(&out.client, constructor).contains(&"#[doc(hidden)]"), "{constructor} is not hidden");
    }
    // Nothing else of `Client` is hidden: its operations stay documented.
    assert_eq!(out.client.matches("#[doc(hidden)]").count(), 2);
}

/// The doc comments and attributes right above the line containing `item`.
fn attributes_of<'a>(code: &'a str, item: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = code.lines().collect();
    let Some(at) = lines.iter().position(|line| line.contains(item)) else { panic!("{item} not generated") };
    lines[..at]
        .iter()
        .rev()
        .map(|line| line.trim())
        .take_while(|line| line.starts_with("#[") || line.starts_with("///"))
        .collect()
}

#[test]
fn without_the_runtime_progenitor_output_is_left_alone() {
    let out =
        invent_spec::generate::generate(regression_spec("query-styles.json"), &Default::default()).expect("generates");
    assert_eq!(out.report.rule_count("constructors-hidden"), 0);
    assert!(!out.client.contains("#[doc(hidden)]"));
}
