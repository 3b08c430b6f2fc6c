//! What an event stream yields: typed events decoded from the server's frames, and gap notices that
//! say events may be missing. Decoding is a pure function of the frame's bytes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::Disconnect;
use crate::types;

/// One item of an event stream. Match the kinds you handle and keep a catch-all arm: the enum is
/// `#[non_exhaustive]`, and `Other` carries event types this crate does not know yet.
///
/// ```
/// use invent_api::events::ChatEvent;
///
/// fn describe(event: &ChatEvent) -> String {
///     match event {
///         ChatEvent::ChatCreated(chat) => format!("new chat {}", chat.id.as_deref().unwrap_or("?")),
///         ChatEvent::Gap(gap) => format!("events since {} may be missing", gap.since),
///         other => other.to_json().to_string(), // ChatEvent::Chat, ChatEvent::Other { kind, raw }
///     }
/// }
/// let unknown = ChatEvent::Other { kind: Some("typing".into()), raw: serde_json::json!({"type": "typing"}) };
/// assert_eq!(describe(&unknown), r#"{"event":"other","kind":"typing","raw":{"type":"typing"}}"#);
/// assert!(unknown.chat().is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ChatEvent {
    /// `{"type": "create", "data": Chat}`: a chat was created.
    ChatCreated(Box<types::Chat>),
    /// `{"data": Chat, …}` without a `type`: a chat as it is now (the shape the inbox route's docs show).
    Chat(Box<types::Chat>),
    /// Any other JSON frame: an event type this crate does not know yet, or a known type whose `data`
    /// does not fit [`types::Chat`]. `kind` is the frame's `type` when it is a string; `raw` is the
    /// whole frame, untouched.
    Other {
        /// The frame's `type`, when it is a string.
        kind: Option<String>,
        /// The whole frame, untouched.
        raw: Value,
    },
    /// Events may be missing before the next one (the socket was down, or the buffer was full). Catch up
    /// with [`crate::Client::chats_since`]`(gap.since)`.
    Gap(Gap),
}

/// A stretch of the feed the stream could not deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Events from this moment on may be missing: when the last frame before a disconnection arrived,
    /// or when the first dropped event arrived (local clock), whichever is earlier.
    pub since: DateTime<Utc>,
    /// Events received but dropped because the consumer was slower than the feed (the buffer was full).
    pub dropped: u64,
    /// Connections lost (or attempts failed) since the previous event.
    pub reconnects: u32,
    /// Why the last connection ended, when `reconnects > 0`.
    pub cause: Option<Disconnect>,
}

impl ChatEvent {
    /// The chat the event carries, if it is a chat event.
    pub fn chat(&self) -> Option<&types::Chat> {
        match self {
            ChatEvent::ChatCreated(chat) | ChatEvent::Chat(chat) => Some(chat),
            _ => None,
        }
    }

    /// The event as one JSON object (what the CLI's `watch` prints, one per line):
    /// `{"event": "chat_created" | "chat", "chat": {…}}`, `{"event": "other", "kind": …, "raw": {…}}`,
    /// `{"event": "gap", "since": …, "dropped": n, "reconnects": n, "cause": "…" | null}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.line()).unwrap_or(Value::Null)
    }

    /// The event in the shape of [`ChatEvent::to_json`], with `event` as the first key.
    pub(crate) fn line(&self) -> Line<'_> {
        match self {
            ChatEvent::ChatCreated(chat) => Line::ChatCreated { chat },
            ChatEvent::Chat(chat) => Line::Chat { chat },
            ChatEvent::Other { kind, raw } => Line::Other { kind: kind.as_deref(), raw },
            ChatEvent::Gap(gap) => Line::Gap {
                since: gap.since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                dropped: gap.dropped,
                reconnects: gap.reconnects,
                cause: gap.cause.as_ref().map(|c| c.to_string()),
            },
        }
    }
}

/// The serialized form of an event (internally tagged, so `event` comes first in a JSON line).
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Line<'a> {
    ChatCreated { chat: &'a types::Chat },
    Chat { chat: &'a types::Chat },
    Other { kind: Option<&'a str>, raw: &'a Value },
    Gap { since: String, dropped: u64, reconnects: u32, cause: Option<String> },
}

/// Decodes one text or binary frame. Unknown fields are kept (in `raw`) or ignored (in the typed chat);
/// a frame that is not JSON is an `Err` with a short reason (the stream counts and skips it).
pub(crate) fn decode(payload: &[u8]) -> Result<ChatEvent, String> {
    let raw: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON ({e})"))?;
    let kind = match raw.get("type") {
        Some(Value::String(kind)) => Some(kind.clone()),
        _ => None,
    };
    let has_type = raw.get("type").is_some();
    let chat = || match raw.get("data") {
        Some(data @ Value::Object(_)) => serde_json::from_value::<types::Chat>(data.clone()).ok(),
        _ => None,
    };
    let event = match (kind.as_deref(), has_type) {
        (Some("create"), _) => chat().map(|c| ChatEvent::ChatCreated(Box::new(c))),
        (None, false) => chat().map(|c| ChatEvent::Chat(Box::new(c))),
        _ => None,
    };
    Ok(event.unwrap_or(ChatEvent::Other { kind, raw }))
}

/// The first `max` characters of a frame, for logs.
pub(crate) fn preview(payload: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(payload);
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_frames_are_typed_and_unknown_fields_tolerated() {
        let frame = br#"{"type":"create","data":{"id":"cht_1","title":"Hi","brand_new_field":[1,2]},"seq":7}"#;
        match decode(frame).unwrap() {
            ChatEvent::ChatCreated(chat) => {
                assert_eq!(chat.id.as_deref(), Some("cht_1"));
                assert_eq!(chat.title.as_deref(), Some("Hi"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn untyped_frames_with_a_chat_are_chat_events() {
        let event = decode(br#"{"data":{"id":"cht_2"},"unread":3}"#).unwrap();
        assert!(matches!(&event, ChatEvent::Chat(chat) if chat.id.as_deref() == Some("cht_2")), "{event:?}");
    }

    #[test]
    fn unknown_types_and_misfits_keep_the_raw_frame() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (br#"{"type":"update","data":{"id":"cht_3"}}"#, Some("update")),
            (br#"{"type":"create","data":"cht_3"}"#, Some("create")),
            (br#"{"type":"create","data":{"id":42}}"#, Some("create")),
            (br#"{"type":7,"data":{"id":"x"}}"#, None),
            (br#"[1,2,3]"#, None),
            (br#"{"hello":"world"}"#, None),
        ];
        for (frame, want_kind) in cases {
            match decode(frame).unwrap() {
                ChatEvent::Other { kind, raw } => {
                    assert_eq!(kind.as_deref(), want_kind);
                    assert_eq!(raw, serde_json::from_slice::<Value>(frame).unwrap());
                }
                other => panic!("{}: {other:?}", String::from_utf8_lossy(frame)),
            }
        }
    }

    #[test]
    fn non_json_is_an_error_not_a_panic() {
        for frame in [&b"hello"[..], b"", b"{", b"\xff\xfe", b"{\"type\":\"create\",\"data\":{}"] {
            assert!(decode(frame).is_err(), "{frame:?}");
        }
    }

    #[test]
    fn json_lines_have_one_shape_per_kind() {
        let created = decode(br#"{"type":"create","data":{"id":"cht_1"}}"#).unwrap();
        assert_eq!(created.to_json(), json!({"event": "chat_created", "chat": {"id": "cht_1"}}));
        let gap = ChatEvent::Gap(Gap {
            since: DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z").unwrap().to_utc(),
            dropped: 3,
            reconnects: 1,
            cause: Some(Disconnect::Closed { code: 1001, reason: "restart".into() }),
        });
        let line = gap.to_json();
        assert_eq!(line["since"], "2025-01-02T03:04:05.000Z");
        assert_eq!(line["dropped"], 3);
        assert!(line["cause"].as_str().unwrap().contains("1001"), "{line}");
    }

    #[test]
    fn previews_cut_on_characters() {
        assert_eq!(preview("héllo wörld".as_bytes(), 5), "héllo…");
        assert_eq!(preview(b"short", 50), "short");
        assert_eq!(preview(b"\xff\xfeabc", 3), "\u{fffd}\u{fffd}a…");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes: a typed event, `Other` or an error — never a panic; JSON always decodes.
            #[test]
            fn any_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                let is_json = serde_json::from_slice::<Value>(&bytes).is_ok();
                prop_assert_eq!(decode(&bytes).is_ok(), is_json);
            }

            /// Any JSON object with a `type` other than `create` is `Other` with the frame kept whole.
            #[test]
            fn unknown_kinds_round_trip(kind in "[a-z_]{1,12}", extra in any::<i64>()) {
                prop_assume!(kind != "create");
                let frame = json!({"type": kind, "data": {"id": "cht_1"}, "extra": extra});
                let decoded = decode(frame.to_string().as_bytes()).unwrap();
                let ChatEvent::Other { kind: got, raw } = decoded else { panic!("typed") };
                prop_assert_eq!(got.as_deref(), Some(kind.as_str()));
                prop_assert_eq!(raw, frame);
            }
        }
    }
}
