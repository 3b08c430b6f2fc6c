//! `invent-spec` command line: a table of subcommands, each a `cmd_*` function over its arguments.
//! Exit codes: 0 success, 1 the spec (or a file) is bad, 2 usage error. Errors are one line on stderr.

use std::path::Path;
use std::process::ExitCode;

use invent_spec::{generate, LowerOptions, Report, SpecError};
use serde_json::Value;

/// Why a subcommand failed; decides the exit code.
enum Failure {
    /// Wrong arguments: exit 2.
    Usage(String),
    /// Bad spec, overrides or unreadable/unwritable file: exit 1.
    Spec(SpecError),
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        Failure::Spec(e)
    }
}

type Cmd = fn(&[String]) -> Result<(), Failure>;

/// Subcommands: name, function, usage. Add new ones here.
const COMMANDS: &[(&str, Cmd, &str)] = &[
    ("lower", cmd_lower, "lower IN.json OUT.json [--overrides FILE] [--report FILE]"),
    ("generate", cmd_generate, "generate IN.json OUT.rs [--overrides FILE] [--report FILE] [--stats FILE]"),
];

type LifecycleCmd = fn(&[String]) -> u8;

/// Spec-lifecycle subcommands: they print their own one-line errors and choose their own exit code
/// (0 ok, 1 drift / changes matching `--fail-on`, 2 bad arguments or input, or could not check).
const LIFECYCLE: &[(&str, LifecycleCmd, &str)] = &[
    ("surface", invent_spec::surface::cmd_surface, "surface SPEC [--overrides FILE | --no-overrides]"),
    (
        "diff",
        invent_spec::diff::cmd_diff,
        "diff OLD NEW [--format text|markdown|json] [--fail-on breaking|any] [--overrides FILE]",
    ),
    (
        "update",
        invent_spec::update::cmd_update,
        "update [--url URL] [--spec openapi.json] [--format text|markdown|json]",
    ),
    ("check", invent_spec::update::cmd_check, "check [--url URL] [--spec openapi.json] [--format text|markdown|json]"),
    (
        "learn",
        invent_spec::drift::learn::cmd_learn,
        "learn REPORT... [--spec openapi.json] [--overrides FILE] [--out PATCHED.json]",
    ),
    (
        "verify-drift",
        invent_spec::drift::verify::cmd_verify_drift,
        "verify-drift REPORT... [--spec openapi.json] [--overrides FILE | --no-overrides] [--format text|json]",
    ),
];

fn usage() -> String {
    let list: Vec<String> = COMMANDS
        .iter()
        .map(|(_, _, u)| *u)
        .chain(LIFECYCLE.iter().map(|(_, _, u)| *u))
        .map(|u| format!("invent-spec {u}"))
        .collect();
    format!("usage: {}", list.join(" | "))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprintln!("invent-spec: no subcommand; {}", usage());
        return ExitCode::from(2);
    };
    if matches!(name.as_str(), "-h" | "--help" | "help") {
        println!("{}", usage());
        return ExitCode::SUCCESS;
    }
    if let Some((_, cmd, _)) = LIFECYCLE.iter().find(|(n, _, _)| n == name) {
        return ExitCode::from(cmd(&args[1..]));
    }
    let Some((_, cmd, _)) = COMMANDS.iter().find(|(n, _, _)| n == name) else {
        eprintln!("invent-spec: unknown subcommand `{name}`; {}", usage());
        return ExitCode::from(2);
    };
    match cmd(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("invent-spec {name}: {m}; {}", usage());
            ExitCode::from(2)
        }
        Err(Failure::Spec(e)) => {
            eprintln!("invent-spec {name}: {}", one_line(&e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Positional arguments plus `--flag VALUE` options (only the names in `flags`).
struct Args {
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    fn parse(args: &[String], flags: &[&str], positional: usize) -> Result<Self, Failure> {
        let mut out = Args { positional: Vec::new(), options: Vec::new() };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(flag) = a.strip_prefix("--") {
                if !flags.contains(&flag) {
                    return Err(Failure::Usage(format!("unknown option `{a}`")));
                }
                let Some(v) = it.next() else { return Err(Failure::Usage(format!("`{a}` needs a value"))) };
                out.options.push((flag.to_string(), v.clone()));
            } else {
                out.positional.push(a.clone());
            }
        }
        if out.positional.len() != positional {
            return Err(Failure::Usage(format!("expected {positional} file arguments, got {}", out.positional.len())));
        }
        Ok(out)
    }

    fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn io_error(path: &str, what: &str, e: std::io::Error) -> Failure {
    Failure::Spec(SpecError::at_root("io", format!("cannot {what}: {e}")).with_file(path))
}

/// Reads a JSON file (errors name the file, rule `json-parse`).
fn read_json(path: &str) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, "read", e))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::Spec(SpecError::at_root("json-parse", format!("not JSON: {e}")).with_file(path)))
}

fn write(path: &str, contents: &str) -> Result<(), Failure> {
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_error(path, "create the directory", e))?;
    }
    std::fs::write(path, contents).map_err(|e| io_error(path, "write", e))
}

fn file_name(path: &str) -> String {
    Path::new(path).file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `lower IN OUT`: overrides (if any), then lowering; writes the 3.0.3 document.
fn cmd_lower(args: &[String]) -> Result<(), Failure> {
    let a = Args::parse(args, &["overrides", "report"], 2)?;
    let (input, output) = (&a.positional[0], &a.positional[1]);
    let mut doc = read_json(input)?;
    let name = file_name(input);
    let mut report = Report::new();
    if let Some(path) = a.option("overrides") {
        let o = read_json(path)?;
        report.merge(invent_spec::overrides::apply(&mut doc, &o).map_err(|e| e.with_file(path.to_string()))?);
    }
    report.merge(invent_spec::lower(&mut doc, &LowerOptions::default()).map_err(|e| e.with_file(&name))?);
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    write(output, &text)?;
    finish(&name, &report, a.option("report"))
}

/// `generate IN OUT.rs`: the self-contained client module (Builder interface, no inner type, no hooks).
fn cmd_generate(args: &[String]) -> Result<(), Failure> {
    let a = Args::parse(args, &["overrides", "report", "stats"], 2)?;
    let (input, output) = (&a.positional[0], &a.positional[1]);
    let doc = read_json(input)?;
    let name = file_name(input);
    let overrides = match a.option("overrides") {
        Some(path) => Some(read_json(path)?),
        None => None,
    };
    let opts = generate::Options { file: Some(name.clone()), overrides, ..Default::default() };
    let out = generate::generate(doc, &opts)?;
    write(output, &out.client)?;
    if let Some(path) = a.option("stats") {
        let r = &out.report;
        let stats = serde_json::json!({
            "spec": name,
            "operations_kept": r.operations_kept().unwrap_or(0),
            "operations_dropped": r.dropped_operations().len(),
            "parameters_dropped": r.dropped_parameters().len(),
            "responses_dropped": r.dropped_responses().len(),
            "properties_dropped": r.dropped_properties().len(),
            "rewrites": r.total_rewrites(),
            "rules": r.counts().len(),
            "lines": out.client.lines().count(),
        });
        write(path, &format!("{stats}\n"))?;
    }
    finish(&name, &out.report, a.option("report"))
}

/// Prints the summary line and writes the full report when asked.
fn finish(name: &str, report: &Report, report_path: Option<&str>) -> Result<(), Failure> {
    println!("{name}: {}", report.summary_line());
    if let Some(path) = report_path {
        write(path, &report.to_text())?;
    }
    Ok(())
}
