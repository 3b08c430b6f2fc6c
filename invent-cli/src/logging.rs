//! `-v`/`-vv`/`-vvv` and `RUST_LOG`: invent-api's `tracing` events (the limiter, Redis, retries, failed
//! attempts) printed to stderr. Without either, warnings only.

use std::io::{self, IsTerminal, Write};

use tracing_subscriber::EnvFilter;

use crate::terminal;

/// The filter for `verbose` (`-v` count) when `RUST_LOG` is not set: warnings, then info, debug, trace.
/// By default the warnings of a failed call or an ending event stream are left out: the CLI's own error
/// message reports those (`-v` shows them, with a stream's reconnect attempts).
pub(crate) fn default_directive(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn,invent_api::call=error,invent_api::events=error",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

/// The filter in force: `RUST_LOG` when set and valid, else from `verbose`. A `RUST_LOG` that does not
/// parse is reported and ignored.
pub(crate) fn filter(verbose: u8, rust_log: Option<&str>) -> (EnvFilter, Option<String>) {
    let fallback = || EnvFilter::new(default_directive(verbose));
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => match EnvFilter::try_new(text) {
            Ok(filter) => (filter, None),
            Err(e) => (fallback(), Some(format!("RUST_LOG=`{text}` is not a valid filter ({e}); using the default"))),
        },
        None => (fallback(), None),
    }
}

/// Installs the subscriber for this process, writing to stderr. On a terminal every line goes through
/// [`EscapedLines`] (and so without colors): tracing-subscriber escapes ESC, BEL, BS, FF, DEL and C1 in
/// field values, but not CR or the other C0 controls, and server text reaches the logs (error
/// messages, skipped frames).
pub(crate) fn init(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let (filter, problem) = filter(verbose, rust_log.as_deref());
    let escape = io::stderr().is_terminal();
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || EscapedLines { inner: io::stderr(), escape })
        .with_ansi(false)
        .with_target(verbose >= 2)
        .try_init();
    if let (Ok(()), Some(problem)) = (installed, problem) {
        tracing::warn!("{problem}");
    }
}

/// A log writer: each formatted event (tracing-subscriber writes one at a time) with its control
/// characters escaped when `escape` is on, as is otherwise.
pub(crate) struct EscapedLines<W: Write> {
    inner: W,
    escape: bool,
}

impl<W: Write> Write for EscapedLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.escape {
            let text = String::from_utf8_lossy(buf);
            self.inner.write_all(terminal::escape_text(&text).as_bytes())?;
        } else {
            self.inner.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_escaped_only_for_a_terminal() {
        let line = b"WARN skipped a frame frame=\"\x1b]0;x\x07\r\xc2\x9b\"\n";
        let mut shown = EscapedLines { inner: Vec::new(), escape: true };
        shown.write_all(line).unwrap();
        let shown = String::from_utf8(shown.inner).unwrap();
        assert_eq!(shown, "WARN skipped a frame frame=\"\\u{1b}]0;x\\u{07}\\u{0d}\\u{9b}\"\n");
        let mut piped = EscapedLines { inner: Vec::new(), escape: false };
        piped.write_all(line).unwrap();
        assert_eq!(piped.inner, line);
    }

    #[test]
    fn verbosity_and_rust_log_pick_the_filter() {
        assert_eq!(default_directive(0), "warn,invent_api::call=error,invent_api::events=error");
        assert_eq!(default_directive(1), "info");
        assert_eq!(default_directive(2), "debug");
        assert_eq!(default_directive(9), "trace");
        let quiet = filter(0, None).0.to_string();
        assert!(quiet.contains("invent_api::call=error") && quiet.contains("invent_api::events=error"), "{quiet}");
        assert_eq!(filter(2, Some("  ")).0.to_string(), "debug");
        assert_eq!(filter(0, Some("invent_api=trace")).0.to_string(), "invent_api=trace");
        let (fallback, problem) = filter(1, Some("invent_api=loud"));
        assert_eq!(fallback.to_string(), "info");
        assert!(problem.is_some_and(|p| p.contains("invent_api=loud")));
    }
}
