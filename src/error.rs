//! The crate's one error type: every failure keeps what the server said (status, headers, request id,
//! raw body, parsed JSON) and how many attempts were made.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::context::CallRecord;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything a call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status the call does not treat as success.
    Api(Box<ApiError>),
    /// A success status whose body does not decode into the generated type. Status and body are kept.
    Decode(Box<DecodeError>),
    /// No response: connection refused or dropped, TLS failure, timeout.
    Transport { source: reqwest::Error, attempts: u32, note: Option<String> },
    /// A request argument was missing or invalid (nothing was sent).
    InvalidRequest(String),
    /// A client-side failure that is none of the above (hook errors, configuration).
    Other(String),
}

/// A non-success response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The raw body (the Invent error body shape is undocumented).
    pub body: Bytes,
    /// The body parsed as JSON, when it is JSON.
    pub parsed: Option<serde_json::Value>,
    /// Attempts made, including the first (0 when unknown).
    pub attempts: u32,
    /// Why retrying stopped early, if it did (retry budget spent, body not replayable, deadline, wait above cap).
    pub note: Option<String>,
}

/// A success status with a body that does not match the spec.
#[derive(Debug)]
pub struct DecodeError {
    pub status: Option<StatusCode>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub source: serde_json::Error,
}

impl Error {
    /// The response status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Response headers, when there was a response.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Api(e) => Some(&e.headers),
            Error::Decode(e) => Some(&e.headers),
            _ => None,
        }
    }

    /// The raw response body, when there was one.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Error::Api(e) => Some(&e.body),
            Error::Decode(e) => Some(&e.body),
            _ => None,
        }
    }

    /// The request id the server assigned (`x-request-id` or `request-id`), if it sent one.
    pub fn request_id(&self) -> Option<&str> {
        let headers = self.headers()?;
        ["x-request-id", "request-id"].iter().find_map(|h| headers.get(*h)?.to_str().ok())
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_timeout())
    }

    /// How long the server asked us to wait (`retry-after-ms`, `Retry-After` seconds or HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        crate::backoff::server_wait(self.headers()?, std::time::SystemTime::now())
    }

    /// Attempts made, including the first (0 when unknown, e.g. the call never reached the hooks).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(e) => e.attempts,
            Error::Transport { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// Build from progenitor's error plus what the hooks recorded during the call.
    pub(crate) async fn from_progenitor<E>(error: progenitor_client::Error<E>, record: CallRecord) -> Error {
        use progenitor_client::Error as P;
        let api = |status: StatusCode, headers: HeaderMap, body: Bytes| {
            let parsed = serde_json::from_slice(&body).ok();
            Error::Api(Box::new(ApiError {
                status,
                headers,
                body,
                parsed,
                attempts: record.attempts,
                note: record.gave_up.clone(),
            }))
        };
        match error {
            P::ErrorResponse(rv) => {
                let body = record.body.clone().unwrap_or_default();
                api(rv.status(), rv.headers().clone(), body)
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await.unwrap_or_default();
                api(status, headers, body)
            }
            P::InvalidResponsePayload(body, source) => match record.status {
                Some(status) if !status.is_success() => api(status, record.headers.clone().unwrap_or_default(), body),
                status => Error::Decode(Box::new(DecodeError {
                    status,
                    headers: record.headers.unwrap_or_default(),
                    body,
                    source,
                })),
            },
            P::CommunicationError(source) | P::ResponseBodyError(source) | P::InvalidUpgrade(source) => {
                Error::Transport { source, attempts: record.attempts, note: record.gave_up }
            }
            P::InvalidRequest(message) => Error::InvalidRequest(message),
            P::Custom(message) => Error::Other(message),
        }
    }
}

/// For `?` on plain `.send()` results. Prefer [`crate::OperationExt::call`], which also keeps the raw
/// error body, the status of undecodable success bodies and the attempt count.
impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::ErrorResponse(rv) => {
                let body = Bytes::from(serde_json::to_vec(rv.as_ref()).unwrap_or_default());
                let parsed = serde_json::from_slice(&body).ok();
                Error::Api(Box::new(ApiError {
                    status: rv.status(),
                    headers: rv.headers().clone(),
                    body,
                    parsed,
                    attempts: 0,
                    note: None,
                }))
            }
            P::UnexpectedResponse(response) => Error::Api(Box::new(ApiError {
                status: response.status(),
                headers: response.headers().clone(),
                body: Bytes::new(),
                parsed: None,
                attempts: 0,
                note: Some("body not read (use .call() to keep it)".into()),
            })),
            P::InvalidResponsePayload(body, source) => {
                Error::Decode(Box::new(DecodeError { status: None, headers: HeaderMap::new(), body, source }))
            }
            P::CommunicationError(source) | P::ResponseBodyError(source) | P::InvalidUpgrade(source) => {
                Error::Transport { source, attempts: 0, note: None }
            }
            P::InvalidRequest(message) => Error::InvalidRequest(message),
            P::Custom(message) => Error::Other(message),
        }
    }
}

impl From<crate::ConfigError> for Error {
    fn from(error: crate::ConfigError) -> Self {
        Error::Other(error.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = |f: &mut fmt::Formatter<'_>, n: u32| if n > 1 { write!(f, " after {n} attempts") } else { Ok(()) };
        match self {
            Error::Api(e) => {
                write!(f, "Invent API returned {}", e.status)?;
                attempts(f, e.attempts)?;
                if let Some(note) = &e.note {
                    write!(f, " ({note})")?;
                }
                if !e.body.is_empty() {
                    write!(f, ": {}", preview(&e.body))?;
                }
                Ok(())
            }
            Error::Decode(e) => {
                write!(f, "could not decode the response body")?;
                if let Some(status) = e.status {
                    write!(f, " of {status}")?;
                }
                write!(f, ": {} (body: {})", e.source, preview(&e.body))
            }
            Error::Transport { source, attempts: n, note } => {
                write!(f, "request failed: {source}")?;
                attempts(f, *n)?;
                if let Some(note) = note {
                    write!(f, " ({note})")?;
                }
                Ok(())
            }
            Error::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Error::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(&e.source),
            Error::Transport { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// At most 512 bytes of a body, lossily decoded, for messages.
fn preview(body: &[u8]) -> String {
    const MAX: usize = 512;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    if body.len() > MAX {
        format!("{text}…")
    } else {
        text.into_owned()
    }
}
