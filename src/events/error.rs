//! Why a connection ended ([`Disconnect`], with the retry decision) and why a stream ended
//! ([`EventError`], its last item).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use super::Feed;
use crate::retry::backoff::secs;

/// How much of an error body goes into a message.
const BODY_PREVIEW: usize = 512;

/// Why one connection (or one attempt to open one) ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Disconnect {
    /// The upgrade request was answered with a status other than `101 Switching Protocols`.
    Refused {
        /// The status of the answer.
        status: StatusCode,
        /// Its headers (`Retry-After` on a 429 or 503).
        headers: Box<HeaderMap>,
        /// Its body, bounded.
        body: Bytes,
    },
    /// A `101` that is not a valid WebSocket handshake (wrong `Sec-WebSocket-Accept`, missing
    /// `Upgrade`), or an answer over HTTP/2, where this kind of upgrade does not exist.
    BadHandshake(String),
    /// No answer: connection refused or reset, DNS or TLS failure.
    Connect(String),
    /// The upgrade took longer than [`super::EventsConfig::handshake_timeout`].
    HandshakeTimeout(Duration),
    /// The server sent a close frame.
    Closed {
        /// The close code (RFC 6455 §7.4: 1000 normal, 1001 going away, 1008 policy, 4000–4999 the
        /// application's).
        code: u16,
        /// The reason text the server sent.
        reason: String,
    },
    /// The connection ended without a close frame (EOF or reset).
    Dropped(String),
    /// Nothing arrived for [`super::EventsConfig::idle_timeout`], pings included: presumed dead.
    Idle(Duration),
    /// The server broke the WebSocket protocol, or sent a message above the size limit.
    Protocol(String),
    /// The stream could not be set up (the HTTP client for sockets failed to build).
    Setup(String),
}

impl Disconnect {
    /// Whether another connection may succeed. 401/403 (and other 4xx), a handshake that is not a
    /// WebSocket one, and close codes that mean "you are not allowed" or "you are wrong" are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            Disconnect::Refused { status, .. } => {
                status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429)
            }
            Disconnect::Closed { code, .. } => close_code_is_retryable(*code),
            Disconnect::BadHandshake(_) | Disconnect::Setup(_) => false,
            Disconnect::Connect(_)
            | Disconnect::HandshakeTimeout(_)
            | Disconnect::Dropped(_)
            | Disconnect::Idle(_)
            | Disconnect::Protocol(_) => true,
        }
    }

    /// The upgrade response's status, when the server refused the upgrade.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Disconnect::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The close code, when the server closed the socket.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Disconnect::Closed { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The refusal's body, when the server refused the upgrade.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Disconnect::Refused { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// Close codes after which reconnecting makes sense (RFC 6455 §7.4.1 and the IANA registry): normal
/// closure and going away (server restarts, load balancers), no status, abnormal closure, internal
/// error, service restart, try again later, bad gateway. Everything else says the client is wrong or
/// not allowed (1002 protocol error, 1003 unsupported data, 1007 invalid payload, 1008 policy
/// violation, 1009 too big, 1010 missing extension, 3000 unauthorized, 3003 forbidden, application
/// codes 4000–4999): reconnecting would meet the same refusal.
pub fn close_code_is_retryable(code: u16) -> bool {
    matches!(code, 1000 | 1001 | 1005 | 1006 | 1011 | 1012 | 1013 | 1014 | 3008)
}

/// The registered meaning of a close code, for messages.
fn close_code_meaning(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1005 => "no status",
        1006 => "abnormal closure",
        1007 => "invalid payload",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        3000 => "unauthorized",
        3003 => "forbidden",
        3008 => "timeout",
        4000..=4999 => "application-defined",
        _ => "unregistered code",
    }
}

fn body_preview(body: &[u8]) -> String {
    if body.is_empty() {
        return "empty body".into();
    }
    super::event::preview(body, BODY_PREVIEW)
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::Refused { status, body, .. } => {
                write!(f, "the upgrade was refused with {status}: {}", body_preview(body))
            }
            Disconnect::BadHandshake(reason) => write!(f, "not a WebSocket handshake: {reason}"),
            Disconnect::Connect(reason) => write!(f, "could not connect: {reason}"),
            Disconnect::HandshakeTimeout(after) => write!(f, "no answer to the upgrade within {}", secs(*after)),
            Disconnect::Closed { code, reason } => {
                let reason = if reason.is_empty() { "no reason given" } else { reason };
                write!(f, "the server closed the connection with code {code} ({}): {reason}", close_code_meaning(*code))
            }
            Disconnect::Dropped(reason) => write!(f, "the connection dropped without a close frame: {reason}"),
            Disconnect::Idle(after) => {
                write!(f, "nothing received for {} (pings unanswered): the connection was presumed dead", secs(*after))
            }
            Disconnect::Protocol(reason) => write!(f, "WebSocket protocol error: {reason}"),
            Disconnect::Setup(reason) => write!(f, "could not set up the socket client: {reason}"),
        }
    }
}

/// Why an event stream ended. It is always the stream's last item.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventError {
    /// A refusal reconnecting cannot fix: 401/403 or another 4xx on the upgrade (status, headers and
    /// body kept), a handshake that is not WebSocket, or a close code such as 1008. Not retried.
    Fatal {
        /// The route of the stream.
        feed: Feed,
        /// What happened.
        cause: Disconnect,
    },
    /// [`super::EventsConfig::max_reconnects`] attempts in a row failed; `last` is the last failure.
    GaveUp {
        /// The route of the stream.
        feed: Feed,
        /// Failed attempts in a row.
        attempts: u32,
        /// The last failure.
        last: Disconnect,
    },
    /// Streams run on a Tokio task; this one was created outside a Tokio runtime.
    NoRuntime,
}

impl EventError {
    /// The failure that ended the stream, if a connection was involved.
    pub fn disconnect(&self) -> Option<&Disconnect> {
        match self {
            EventError::Fatal { cause, .. } => Some(cause),
            EventError::GaveUp { last, .. } => Some(last),
            EventError::NoRuntime => None,
        }
    }

    /// The upgrade response's status, if the server refused the upgrade.
    pub fn status(&self) -> Option<StatusCode> {
        self.disconnect().and_then(Disconnect::status)
    }

    /// The close code, if the server closed the socket.
    pub fn close_code(&self) -> Option<u16> {
        self.disconnect().and_then(Disconnect::close_code)
    }

    /// The upgrade was refused with 401 Unauthorized (a missing, wrong or revoked API key).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Fatal { feed, cause } => write!(f, "{feed}: {cause} (not retried)"),
            EventError::GaveUp { feed, attempts, last } => {
                write!(f, "{feed}: gave up after {attempts} failed attempts in a row; the last: {last}")
            }
            EventError::NoRuntime => f.write_str("event streams need a Tokio runtime: create them inside one"),
        }
    }
}

impl std::error::Error for EventError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> Disconnect {
        Disconnect::Refused {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Box::default(),
            body: Bytes::new(),
        }
    }

    #[test]
    fn upgrade_statuses_retry_only_when_the_server_may_recover() {
        for status in [401, 403, 400, 404, 410, 426, 200, 301] {
            assert!(!refused(status).is_retryable(), "{status}");
        }
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert!(refused(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn close_codes_split_into_transient_and_final() {
        for code in [1000, 1001, 1006, 1011, 1012, 1013, 1014] {
            assert!(close_code_is_retryable(code), "{code}");
        }
        for code in [1002, 1003, 1007, 1008, 1009, 1010, 3000, 3003, 4000, 4001, 4403, 4999, 0, u16::MAX] {
            assert!(!close_code_is_retryable(code), "{code}");
        }
    }

    #[test]
    fn messages_say_what_happened() {
        let closed = Disconnect::Closed { code: 1008, reason: "token revoked".into() };
        assert_eq!(
            closed.to_string(),
            "the server closed the connection with code 1008 (policy violation): token revoked"
        );
        let silent = Disconnect::Closed { code: 4321, reason: String::new() };
        assert!(silent.to_string().contains("4321 (application-defined): no reason given"));
        let body = Bytes::from(format!("{{\"message\":\"{}\"}}", "x".repeat(5000)));
        let big = Disconnect::Refused { status: StatusCode::UNAUTHORIZED, headers: Box::default(), body };
        let text = EventError::Fatal { feed: Feed::Chats, cause: big }.to_string();
        assert!(
            text.starts_with("chat events (/orgs/{org_id}/chats/ws): the upgrade was refused with 401 Unauthorized")
        );
        assert!(text.len() < 700, "the body is cut: {}", text.len());
        assert!(Disconnect::Idle(Duration::from_secs(60)).to_string().contains("60s"));
    }
}
