//! What the CLI writes: JSON (pretty), JSON lines or an aligned text table on stdout; one clear error
//! message (plus the server's status and body) on stderr. Nothing here panics on a closed pipe.

use std::io::{self, Write};

use serde_json::{Map, Value};

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the API answered with an error (status and body on stderr), or the call failed.
pub const EXIT_API: u8 = 1;
/// Exit status: bad usage or configuration (arguments, body file, missing key); nothing was sent.
pub const EXIT_USAGE: u8 = 2;

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
    /// An event stream (`watch-…`) ended with an error (what happened, with status or close code).
    Watch { error: String, label: String },
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
                EXIT_API
            }
            Failure::Usage(message) => {
                eprint_line(&format!("error: {message}"));
                EXIT_USAGE
            }
            Failure::Watch { error, label } => {
                eprint_line(&format!("error: {label}: {error}"));
                EXIT_API
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

/// Writes one line to stderr, ignoring a closed stderr (unlike `eprintln!`, which panics).
pub(crate) fn eprint_line(message: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", message.trim_end_matches('\n'));
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
            EXIT_API
        }
        E::Decode(decode) => {
            eprint_line(&format!(
                "error: {label}: the {} response does not match the API description ({}); `invent api` prints any body as is",
                decode.status, decode.source
            ));
            eprint_body(&decode.body);
            EXIT_API
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
            EXIT_API
        }
        other => {
            eprint_line(&format!("error: {label}: {other}"));
            EXIT_API
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

/// Buffered stdout.
pub(crate) struct Out {
    inner: io::BufWriter<io::StdoutLock<'static>>,
}

impl Out {
    pub(crate) fn new() -> Self {
        Out { inner: io::BufWriter::new(io::stdout().lock()) }
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

    /// Pretty JSON and a newline.
    pub(crate) fn json(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.inner, value).map_err(io::Error::from)?;
        self.inner.write_all(b"\n")
    }

    /// One compact JSON line.
    pub(crate) fn line(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.inner, value).map_err(io::Error::from)?;
        self.inner.write_all(b"\n")
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)
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
