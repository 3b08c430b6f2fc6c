//! `invent-spec update` and `check`: download the live spec, validate it the way `build.rs` generates,
//! compare it with the vendored one, and (update) write it atomically with its surface snapshot.
//!
//! Exit codes of the subcommands in this family (`surface`, `diff`, `update`, `check`): 0 success /
//! nothing to report, 1 drift or changes matching `--fail-on`, 2 bad arguments, bad input, or the check
//! could not be made. Errors are one line on stderr, never a panic.

use std::path::PathBuf;

use crate::cmdline::{run_cmd, Args};
use crate::download::{download, DEFAULT_URL};
use crate::files::{overrides_beside, parse_json, read_json_file, write_atomic, DEFAULT_SPEC, SURFACE_FILE};
use crate::{diff, generate, surface};

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
