//! What the CLI writes: JSON (pretty), JSON lines or an aligned text table on stdout; one clear error
//! message (plus the server's status and body) on stderr. Nothing here panics on a closed pipe.

use std::io::{self, IsTerminal, Write};

use serde_json::{Map, Value};

use crate::terminal;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: a failure of none of the kinds below (writing the output, starting the runtime).
pub const EXIT_FAILURE: u8 = 1;
/// Exit status: bad usage or configuration (arguments, body file, missing key); nothing was sent.
/// clap's own usage errors exit with it too.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: the API answered with a 4xx (status and body on stderr).
pub const EXIT_API_CLIENT: u8 = 3;
/// Exit status: the API answered with a 5xx or another status that is not a success.
pub const EXIT_API_SERVER: u8 = 4;
/// Exit status: no answer (connection refused or dropped, DNS, TLS, timeout), or an event stream
/// whose connection ended.
pub const EXIT_TRANSPORT: u8 = 5;
/// Exit status: a success whose body does not match the API description (`--typed`), or a WebSocket
/// handshake or frame that breaks the protocol.
pub const EXIT_DECODE: u8 = 6;

/// The exit statuses as `invent --help` and the README list them.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 success; 1 other failure (e.g. writing the output); 2 usage or \
configuration error (nothing sent); 3 the API answered 4xx; 4 the API answered 5xx; 5 transport error (no \
answer: connection, DNS, TLS, timeout; or an event stream's connection ended); 6 decode error (a success whose \
body does not match the API description, with --typed; or a broken WebSocket handshake).";

/// The exit status for an API answer with `status`.
pub(crate) fn exit_for_status(status: u16) -> u8 {
    if (400..500).contains(&status) {
        EXIT_API_CLIENT
    } else {
        EXIT_API_SERVER
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Pretty-printed JSON.
    Json,
    /// An aligned text table of the top-level scalar fields.
    Table,
    /// One compact JSON value per line (an array prints one line per element).
    JsonLines,
}

/// Why a command did not succeed; turned into a message and an exit status by [`Failure::report`].
#[derive(Debug)]
pub(crate) enum Failure {
    /// A call failed; the label names the command (`get-assistant (GET /orgs/{org_id}/…)`).
    Call { error: invent_api::Error, label: String },
    /// Writing to stdout failed (a closed pipe is not a failure and never gets here).
    Output(io::Error),
    /// Bad input found after parsing (body file, stdin, query syntax).
    Usage(String),
    /// A success whose body is not what the operation promises (a page that is not a JSON array).
    Decode(String),
    /// An event stream (`watch-…`) ended with an error (what happened, with status or close code).
    Watch { error: String, label: String, exit: u8 },
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Output(error)
    }
}

impl Failure {
    /// Prints the message (and the server's answer) to stderr and returns the exit status.
    pub(crate) fn report(self) -> u8 {
        match self {
            Failure::Call { error, label } => report_call_error(&error, &label),
            Failure::Output(error) if error.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
            Failure::Output(error) => {
                eprint_line(&format!("error: could not write the output: {error}"));
                EXIT_FAILURE
            }
            Failure::Usage(message) => {
                eprint_line(&format!("error: {message}"));
                EXIT_USAGE
            }
            Failure::Decode(message) => {
                eprint_line(&format!("error: {message}"));
                EXIT_DECODE
            }
            Failure::Watch { error, label, exit } => {
                eprint_line(&format!("error: {label}: {error}"));
                exit
            }
        }
    }
}

/// Exit status of a finished command.
pub(crate) fn exit_status(result: Result<(), Failure>) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        Err(failure) => failure.report(),
    }
}

/// Writes one line to stderr, ignoring a closed stderr (unlike `eprintln!`, which panics). On a
/// terminal, control characters (which server text in the message may carry) are escaped.
pub(crate) fn eprint_line(message: &str) {
    let escape = io::stderr().is_terminal();
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", terminal::for_stream(message.trim_end_matches('\n'), escape));
}

fn report_call_error(error: &invent_api::Error, label: &str) -> u8 {
    use invent_api::Error as E;
    match error {
        E::Api(api) => {
            let mut line = format!("error: {label}: the Invent API answered {}", api.status);
            if api.attempts > 1 {
                line.push_str(&format!(" after {} attempts", api.attempts));
            }
            if let Some(stopped) = &api.stopped {
                line.push_str(&format!(" ({stopped})"));
            }
            if let Some(id) = error.request_id() {
                line.push_str(&format!(" [request id {id}]"));
            }
            eprint_line(&line);
            eprint_body(&api.body);
            exit_for_status(api.status.as_u16())
        }
        E::Decode(decode) => {
            eprint_line(&format!(
                "error: {label}: the {} response does not match the API description ({}); `invent api` prints any body as is",
                decode.status, decode.source
            ));
            eprint_body(&decode.body);
            EXIT_DECODE
        }
        E::InvalidRequest(message) => {
            eprint_line(&format!("error: {label}: invalid request: {message}"));
            EXIT_USAGE
        }
        E::Transport { source, .. } => {
            // reqwest's message names the URL; the cause (refused, DNS, TLS, timeout) is further down.
            let mut line = format!("error: {label}: {error}");
            let mut cause = std::error::Error::source(source);
            while let Some(inner) = cause {
                line.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            eprint_line(&line);
            EXIT_TRANSPORT
        }
        E::Config(_) => {
            eprint_line(&format!("error: {label}: {error}"));
            EXIT_USAGE
        }
        // The server did not page as promised: its answers, not the transport, are at fault.
        E::Pagination(_) => {
            eprint_line(&format!("error: {label}: {error}"));
            EXIT_DECODE
        }
        other => {
            eprint_line(&format!("error: {label}: {other}"));
            EXIT_FAILURE
        }
    }
}

/// The server's body, verbatim (lossy UTF-8), on its own lines.
fn eprint_body(body: &[u8]) {
    if body.is_empty() {
        eprint_line("(empty response body)");
    } else {
        eprint_line(&String::from_utf8_lossy(body));
    }
}

/// Buffered stdout. On a terminal, JSON goes through [`terminal::JsonForTerminal`] and text through
/// [`terminal::escape_text`]; otherwise the bytes are written as they are.
pub(crate) struct Out {
    inner: io::BufWriter<io::StdoutLock<'static>>,
    terminal: bool,
}

impl Out {
    pub(crate) fn new() -> Self {
        let stdout = io::stdout();
        let terminal = stdout.is_terminal();
        Out { inner: io::BufWriter::new(stdout.lock()), terminal }
    }

    /// Prints a whole result in `format`. `null` (an empty success body) prints nothing.
    pub(crate) fn value(&mut self, value: &Value, format: Format) -> io::Result<()> {
        match format {
            _ if value.is_null() => Ok(()),
            Format::Json => self.json(value),
            Format::JsonLines => match value {
                Value::Array(items) => items.iter().try_for_each(|item| self.line(item)),
                other => self.line(other),
            },
            Format::Table => match table(value) {
                Some(text) => self.inner.write_all(text.as_bytes()),
                // Nothing tabular (no scalar fields): JSON says more than an empty table.
                None => self.json(value),
            },
        }?;
        self.inner.flush()
    }

    /// A response body as received (the default, without `--typed`). JSON output of JSON that is not
    /// a terminal gets the bytes unchanged (plus a final newline); on a terminal it is pretty-printed
    /// with its keys in the server's order. Tables and JSON lines are made from the parsed value. A body
    /// that is not JSON is written as text.
    pub(crate) fn body(&mut self, body: &[u8], format: Format) -> io::Result<()> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let parsed = serde_json::from_slice::<Value>(body);
        match (format, parsed) {
            (Format::Json, Ok(_)) if !self.terminal => {
                self.inner.write_all(body)?;
                if !body.ends_with(b"\n") {
                    self.inner.write_all(b"\n")?;
                }
                self.inner.flush()
            }
            (_, Ok(value)) => self.value(&value, format),
            (_, Err(_)) => {
                self.bytes(body)?;
                if !body.ends_with(b"\n") {
                    self.inner.write_all(b"\n")?;
                }
                self.inner.flush()
            }
        }
    }

    /// Pretty JSON and a newline.
    pub(crate) fn json(&mut self, value: &Value) -> io::Result<()> {
        if self.terminal {
            let mut writer = terminal::JsonForTerminal::new(&mut self.inner);
            serde_json::to_writer_pretty(&mut writer, value).map_err(io::Error::from)?;
            writer.flush()?;
        } else {
            serde_json::to_writer_pretty(&mut self.inner, value).map_err(io::Error::from)?;
        }
        self.inner.write_all(b"\n")
    }

    /// One compact JSON line.
    pub(crate) fn line(&mut self, value: &Value) -> io::Result<()> {
        if self.terminal {
            let mut writer = terminal::JsonForTerminal::new(&mut self.inner);
            serde_json::to_writer(&mut writer, value).map_err(io::Error::from)?;
            writer.flush()?;
        } else {
            serde_json::to_writer(&mut self.inner, value).map_err(io::Error::from)?;
        }
        self.inner.write_all(b"\n")
    }

    /// Bytes that are not JSON: as they are, or as escaped text on a terminal.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.terminal {
            let text = String::from_utf8_lossy(bytes);
            self.inner.write_all(terminal::escape_text(&text).as_bytes())
        } else {
            self.inner.write_all(bytes)
        }
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An aligned text table of the top-level scalar fields of an array of objects (or of one object).
/// A column is a key whose values are strings, numbers, booleans or null in every row that has it;
/// `id` and `name` come first.
/// `None` when there is nothing tabular. An empty array is an empty table (no output).
pub fn table(value: &Value) -> Option<String> {
    let rows: Vec<Row<'_>> = match value {
        Value::Array(items) => items.iter().map(Row::of).collect(),
        other => vec![Row::of(other)],
    };
    if rows.is_empty() {
        return Some(String::new());
    }
    let mut columns: Vec<&str> = Vec::new();
    let mut composite: Vec<&str> = Vec::new();
    for row in &rows {
        for (key, value) in row.fields() {
            if is_scalar(value) {
                if !columns.contains(&key) {
                    columns.push(key);
                }
            } else if !composite.contains(&key) {
                composite.push(key);
            }
        }
    }
    columns.retain(|c| !composite.contains(c));
    // `id` and `name` first, the rest in the order the fields come.
    columns.sort_by_key(|c| match *c {
        "id" => 0,
        "name" => 1,
        _ => 2,
    });
    if columns.is_empty() {
        return None;
    }
    let cells: Vec<Vec<String>> =
        rows.iter().map(|row| columns.iter().map(|c| row.get(c).map(cell).unwrap_or_default()).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.chars().count()]).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    let mut push_row = |row: &[String]| {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    };
    push_row(&columns.iter().map(|c| c.to_uppercase()).collect::<Vec<_>>());
    for row in &cells {
        push_row(row);
    }
    Some(text)
}

/// A table row: an object's fields, or a bare scalar under the column `value`.
enum Row<'a> {
    Object(&'a Map<String, Value>),
    Scalar(&'a Value),
}

impl<'a> Row<'a> {
    fn of(value: &'a Value) -> Self {
        match value {
            Value::Object(map) => Row::Object(map),
            other => Row::Scalar(other),
        }
    }

    fn fields(&self) -> Vec<(&'a str, &'a Value)> {
        match self {
            Row::Object(map) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            Row::Scalar(value) => vec![("value", *value)],
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        match self {
            Row::Object(map) => map.get(key),
            Row::Scalar(value) => (key == "value").then_some(*value),
        }
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// A cell: strings as is (control characters as spaces), null as empty.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::*;
    use serde_json::json;

    #[test]
    fn table_aligns_scalar_columns_and_skips_nested_ones() {
        let value = json!([
            { "enabled": true, "id": "ast_1", "name": "Support", "tags": ["a"] },
            { "id": "ast_22", "name": "Sales\nbot", "enabled": false, "count": 3, "tags": [] },
        ]);
        let text = table(&value).unwrap();
        assert_eq!(
            text,
            "ID      NAME       ENABLED  COUNT\n\
             ast_1   Support    true\n\
             ast_22  Sales bot  false    3\n"
        );
    }

    #[test]
    fn table_of_scalars_objects_and_empty_lists() {
        assert_eq!(table(&json!(["a", 1])).unwrap(), "VALUE\na\n1\n");
        assert_eq!(table(&json!({ "id": "x" })).unwrap(), "ID\nx\n");
        assert_eq!(table(&json!([])).unwrap(), "");
        assert_eq!(table(&json!([{ "nested": {} }])), None);
    }
}
