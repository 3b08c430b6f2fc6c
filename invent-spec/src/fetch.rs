//! Getting specs in and out: reading JSON files, downloading the live spec (cargo feature `fetch`),
//! atomic writes, the options `build.rs` generates with, and the `update` / `check` subcommands.
//!
//! Exit codes of the subcommands in this family (`surface`, `diff`, `update`, `check`): 0 success /
//! nothing to report, 1 drift or changes matching `--fail-on`, 2 bad arguments, bad input, or the check
//! could not be made. Errors are one line on stderr, never a panic.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{diff, generate, surface};

/// Where Invent publishes its spec.
pub const DEFAULT_URL: &str = "https://api.useinvent.com/openapi.json";
/// The vendored spec, relative to the working directory.
pub const DEFAULT_SPEC: &str = "openapi.json";
/// Overrides `build.rs` applies; looked up beside the spec.
pub const OVERRIDES_FILE: &str = "spec-overrides.json";
/// The surface snapshot; written beside the spec.
pub const SURFACE_FILE: &str = "api-surface.txt";
/// Downloads larger than this are refused.
const MAX_DOWNLOAD: usize = 64 << 20;

/// Parses JSON text, naming `name` and the position on error.
pub fn parse_json(bytes: &[u8], name: &str) -> Result<Value, String> {
    serde_json::from_slice(bytes)
        .map_err(|e| format!("{name}: not valid JSON: {e}"))
}

/// Reads and parses a JSON file.
pub fn read_json_file(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: file not found", path.display()),
        _ => format!("{}: cannot read: {e}", path.display()),
    })?;
    parse_json(&bytes, &path.display().to_string())
}

/// `spec-overrides.json` in the spec's directory, if there is one (as `build.rs` reads it).
pub fn overrides_beside(spec: &Path) -> Result<Option<Value>, String> {
    let path = spec.with_file_name(OVERRIDES_FILE);
    if path.is_file() {
        read_json_file(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// Writes `contents` to a temporary file in the same directory, then renames it over `path`: readers
/// see the old file or the new one, never a partial write.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(|| "spec".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: cannot write: {e}", path.display()));
    }
    Ok(())
}

/// An error and its sources on one line.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Downloads `url` (`http://` or `https://`): the body of a 2xx response.
#[cfg(feature = "fetch")]
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    use std::time::Duration;
    let client = reqwest::blocking::Client::builder()
        .user_agent(concat!("invent-spec/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {}", chain(&e)))?;
    let response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .map_err(|e| format!("cannot download {url}: {}", chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("cannot download {url}: HTTP {status}"));
    }
    if response.content_length().is_some_and(|n| n > MAX_DOWNLOAD as u64) {
        return Err(format!("cannot download {url}: larger than {} MiB", MAX_DOWNLOAD >> 20));
    }
    let bytes = response.bytes().map_err(|e| format!("cannot download {url}: {}", chain(&e)))?;
    if bytes.len() > MAX_DOWNLOAD {
        return Err(format!("cannot download {url}: larger than {} MiB", MAX_DOWNLOAD >> 20));
    }
    Ok(bytes.to_vec())
}

/// Without the `fetch` feature there is no HTTP client.
#[cfg(not(feature = "fetch"))]
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    let _ = MAX_DOWNLOAD;
    Err(format!("cannot download {url}: invent-spec was built without its `fetch` feature"))
}

/// Runs a subcommand body: `Err` becomes one line on stderr and exit 2; a panic is caught and reported
/// the same way.
pub(crate) fn run_cmd(name: &str, body: impl FnOnce() -> Result<u8, String>) -> u8 {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    std::panic::set_hook(previous);
    let message = match result {
        Ok(Ok(code)) => return code,
        Ok(Err(m)) => m,
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".to_string());
            format!("internal error (please report): {what}")
        }
    };
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("invent-spec {name}: error: {line}");
    2
}

/// Positional arguments, `--name VALUE` / `--name=VALUE` options and `--switch`es.
#[derive(Debug)]
pub(crate) struct Args {
    pub positional: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    pub fn parse(args: &[String], options: &[&str], min: usize, max: usize) -> Result<Self, String> {
        Self::parse_with(args, options, &[], min, max)
    }

    pub fn parse_with(args: &[String], options: &[&str], switches: &[&str], min: usize, max: usize) -> Result<Self, String> {
        let mut out = Args { positional: Vec::new(), options: Vec::new(), switches: Vec::new() };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--" {
                out.positional.extend(it.by_ref().cloned());
                break;
            }
            let Some(flag) = a.strip_prefix("--") else {
                out.positional.push(a.clone());
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, None),
            };
            if switches.contains(&name) && inline.is_none() {
                out.switches.push(name.to_string());
            } else if options.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| format!("`--{name}` needs a value"))?,
                };
                out.options.push((name.to_string(), value));
            } else {
                return Err(format!("unknown option `{a}`"));
            }
        }
        let n = out.positional.len();
        if n < min || n > max {
            return Err(if min == max {
                format!("expected {min} argument{}, got {n}", if min == 1 { "" } else { "s" })
            } else {
                format!("expected {min} to {max} arguments, got {n}")
            });
        }
        Ok(out)
    }

    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

/// `--url`, `--spec`, `--format` shared by `update` and `check`.
struct Target {
    url: String,
    spec: PathBuf,
    spec_name: String,
    format: diff::Format,
}

fn target(args: &[String]) -> Result<Target, String> {
    let a = Args::parse(args, &["url", "spec", "format"], 0, 0)?;
    let format = match a.option("format") {
        None => diff::Format::Text,
        Some(f) => diff::Format::parse(f).ok_or_else(|| format!("unknown --format `{f}` (text, markdown or json)"))?,
    };
    let spec = PathBuf::from(a.option("spec").unwrap_or(DEFAULT_SPEC));
    Ok(Target {
        url: a.option("url").unwrap_or(DEFAULT_URL).to_string(),
        spec_name: spec.display().to_string(),
        spec,
        format,
    })
}

/// `update [--url URL] [--spec openapi.json] [--format text|markdown|json]`: download, validate (parse,
/// lower, generate with the options of `build.rs`), write the spec atomically and refresh
/// `api-surface.txt` beside it; print the diff report (stdout) and what was written (stderr).
/// Exit 0 written (or already up to date), 2 nothing written.
pub fn cmd_update(args: &[String]) -> u8 {
    run_cmd("update", || {
        let t = target(args)?;
        let old = match std::fs::read(&t.spec) {
            Ok(bytes) => Some(parse_json(&bytes, &t.spec_name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{}: cannot read: {e}", t.spec_name)),
        };
        let overrides = overrides_beside(&t.spec)?;
        let bytes = download(&t.url)?;
        let new = parse_json(&bytes, &t.url).map_err(|e| format!("{e}; nothing written"))?;
        let output = generate::generate(new.clone(), &generate::Options::invent_crate(&t.url, overrides.clone()))
            .map_err(|e| format!("the downloaded spec cannot be used, nothing written: {e}"))?;
        let surface_text = surface::render(&surface::lines(&new, overrides.as_ref(), &output.operations));

        let report = match &old {
            Some(Ok(old)) => match diff::diff_values(&t.spec_name, old, &t.url, &new, overrides.as_ref()) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("invent-spec update: note: no change report, the old spec does not lower: {e}");
                    None
                }
            },
            Some(Err(e)) => {
                eprintln!("invent-spec update: note: no change report, the old spec is unreadable: {e}");
                None
            }
            None => None,
        };

        let unchanged = matches!(&old, Some(Ok(o)) if *o == new);
        if unchanged {
            eprintln!("invent-spec update: {} is up to date with {}", t.spec_name, t.url);
        } else {
            let mut text = serde_json::to_string_pretty(&new).map_err(|e| e.to_string())?;
            text.push('\n');
            write_atomic(&t.spec, text.as_bytes())?;
            eprintln!("invent-spec update: wrote {} ({} operations generated)", t.spec_name, output.operations.len());
        }
        let surface_path = t.spec.with_file_name(SURFACE_FILE);
        if std::fs::read_to_string(&surface_path).ok().as_deref() != Some(surface_text.as_str()) {
            write_atomic(&surface_path, surface_text.as_bytes())?;
            eprintln!("invent-spec update: wrote {}", surface_path.display());
        }
        if let Some(r) = report {
            print!("{}", r.render(t.format));
        }
        Ok(0)
    })
}

/// `check [--url URL] [--spec openapi.json] [--format …]`: is the live spec the vendored one (as JSON
/// values; formatting and key order do not matter)? Exit 0 same, 1 drift (report on stdout), 2 could
/// not check.
pub fn cmd_check(args: &[String]) -> u8 {
    run_cmd("check", || {
        let t = target(args)?;
        let vendored = read_json_file(&t.spec)?;
        crate::lower::version::check(&vendored).map_err(|e| e.with_file(t.spec_name.clone()).to_string())?;
        let bytes = download(&t.url)?;
        let live = parse_json(&bytes, &t.url)?;
        if vendored == live {
            eprintln!("invent-spec check: {} is up to date with {}", t.spec_name, t.url);
            return Ok(0);
        }
        let overrides = overrides_beside(&t.spec)?;
        match diff::diff_values(&t.spec_name, &vendored, &t.url, &live, overrides.as_ref()) {
            Ok(report) => {
                print!("{}", report.render(t.format));
                eprintln!(
                    "invent-spec check: {} has drifted from {}: {}; run `invent-spec update` to vendor it",
                    t.spec_name,
                    t.url,
                    report.summary_line()
                );
            }
            Err(e) => {
                println!("The live spec differs from {}, but no change report could be made: {e}", t.spec_name);
                eprintln!("invent-spec check: {} has drifted from {} (no report: {e})", t.spec_name, t.url);
            }
        }
        Ok(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options_switches_and_positionals() {
        let a = Args::parse_with(&s(&["a", "--format=json", "--fail-on", "any", "--no-overrides", "b"]), &["format", "fail-on"], &["no-overrides"], 2, 2).unwrap();
        assert_eq!(a.positional, ["a", "b"]);
        assert_eq!(a.option("format"), Some("json"));
        assert_eq!(a.option("fail-on"), Some("any"));
        assert!(a.switch("no-overrides"));
        assert!(Args::parse(&s(&["--bogus"]), &[], 0, 0).unwrap_err().contains("unknown option"));
        assert!(Args::parse(&s(&["--format"]), &["format"], 0, 0).unwrap_err().contains("needs a value"));
        assert!(Args::parse(&s(&["x"]), &[], 2, 2).unwrap_err().contains("expected 2 arguments, got 1"));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = std::env::temp_dir().join(format!("invent-spec-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write_atomic(&dir.join("missing/x.json"), b"x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn panics_and_errors_become_exit_2() {
        assert_eq!(run_cmd("t", || Ok(1)), 1);
        assert_eq!(run_cmd("t", || Err("bad\ninput".to_string())), 2);
        assert_eq!(run_cmd("t", || -> Result<u8, String> { panic!("boom") }), 2);
    }
}
