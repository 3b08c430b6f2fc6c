//! Printing a stream as JSON lines, one event per line (what `invent … watch` prints).

use std::fmt;
use std::io::{self, Write};

use futures::{Stream, StreamExt};

use super::{ChatEvent, EventError};

/// Why [`write_json_lines`] stopped.
#[derive(Debug)]
pub enum WatchError {
    /// The stream ended with this error.
    Events(EventError),
    /// Writing failed (a closed pipe: the reader went away).
    Io(io::Error),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::Events(e) => e.fmt(f),
            WatchError::Io(e) => write!(f, "could not write an event: {e}"),
        }
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WatchError::Events(e) => Some(e),
            WatchError::Io(e) => Some(e),
        }
    }
}

/// `event` as one line of JSON (no newline); see [`ChatEvent::to_json`] for the shapes.
pub fn json_line(event: &ChatEvent) -> String {
    // Serializing borrowed generated types and a `Value` cannot fail.
    serde_json::to_string(&event.line()).unwrap_or_default()
}

/// Writes each event of `events` to `out` as one JSON line, flushing after each (a `watch` is read
/// live). Returns the number of lines when the stream ends by itself.
pub async fn write_json_lines<S, W>(events: S, out: &mut W) -> Result<u64, WatchError>
where
    S: Stream<Item = Result<ChatEvent, EventError>>,
    W: Write,
{
    let mut events = std::pin::pin!(events);
    let mut lines = 0;
    while let Some(item) = events.next().await {
        let event = item.map_err(WatchError::Events)?;
        writeln!(out, "{}", json_line(&event)).and_then(|()| out.flush()).map_err(WatchError::Io)?;
        lines += 1;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_line_per_event_then_the_error() {
        let frames = [
            r#"{"type":"create","data":{"id":"cht_1"}}"#,
            r#"{"data":{"id":"cht_2"}}"#,
            r#"{"type":"typing","who":"x"}"#,
        ];
        let mut items: Vec<Result<ChatEvent, EventError>> =
            frames.iter().map(|f| Ok(crate::events::event::decode(f.as_bytes()).unwrap())).collect();
        items.push(Err(EventError::NoRuntime));
        let mut out = Vec::new();
        let result = write_json_lines(futures::stream::iter(items), &mut out).await;
        assert!(matches!(result, Err(WatchError::Events(EventError::NoRuntime))));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["event"], "chat_created");
        assert_eq!(lines[1]["chat"]["id"], "cht_2");
        assert_eq!(lines[2]["kind"], "typing");
        assert!(text.starts_with(r#"{"event":"chat_created","chat":{"id":"cht_1"}}"#), "{text}");
    }

    #[tokio::test]
    async fn a_closed_pipe_stops_the_watch() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let event = crate::events::event::decode(br#"{"type":"create","data":{}}"#).unwrap();
        let result = write_json_lines(futures::stream::iter([Ok(event)]), &mut Closed).await;
        assert!(matches!(result, Err(WatchError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe));
    }
}
