//! The crate's one error type: every failure keeps what the server said (status, headers, request id,
//! raw body, parsed JSON) and how many attempts were made.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::config_error::ConfigError;
use crate::retry::stop::RetryStop;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Anything a call can fail with: the error of every `.send()`, raw call and page stream, and of
/// `Client::from_env()?` in a function returning this type. The accessors (`message`, `status`,
/// `request_id`, `is_not_found`, `retry_after`, `body_as`, …) work on any variant; matching gives every
/// field. [Guide: errors](crate::guide::errors).
///
/// ```no_run
/// use invent_api::Error;
///
/// # async fn run(client: invent_api::Client) -> Result<(), Error> {
/// match client.get_assistant().assistant_id("ast_1").send().await {
///     Ok(assistant) => println!("{}", assistant.name),
///     Err(e) if e.is_not_found() => println!("no such assistant (request id {:?})", e.request_id()),
///     Err(e) if e.is_rate_limited() => println!("rate limited; the server asks to wait {:?}", e.retry_after()),
///     Err(Error::Api(api)) => println!("{}: {:?}", api.status, api.parsed), // any other non-2xx
///     Err(Error::Transport { source, attempts, .. }) => println!("no answer after {attempts} attempts: {source}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a status that is not a success (anything outside 2xx).
    Api(Box<ApiError>),
    /// A success status whose body does not decode into the generated type. Status, headers and body
    /// are kept.
    Decode(Box<DecodeError>),
    /// No response: connection refused or dropped, TLS failure, timeout.
    Transport {
        /// What reqwest reported.
        source: reqwest::Error,
        /// Requests sent, including the first.
        attempts: u32,
        /// Why retrying stopped early, if it did.
        stopped: Option<RetryStop>,
    },
    /// A request argument was missing or invalid (nothing was sent).
    InvalidRequest(String),
    /// The client could not be configured (see [`ConfigError`]).
    Config(ConfigError),
    /// A page stream ended because the server did not page as promised (see [`PaginationError`]).
    Pagination(PaginationError),
    /// A success response whose body is longer than the client reads into memory
    /// ([`crate::ClientBuilder::max_body`]); nothing of it is kept and its connection was dropped.
    BodyTooLarge(Box<BodyTooLarge>),
    /// The answer came from another origin than the base URL's: a redirect followed by a caller-supplied
    /// HTTP client ([`crate::ClientBuilder::http_client`]). The answer is neither decoded nor retried.
    OriginChanged {
        /// The base URL's origin (`https://api.useinvent.com`).
        expected: String,
        /// The origin the answer came from (scheme, host and port only).
        actual: String,
        /// Requests sent, including the first.
        attempts: u32,
    },
}

/// A non-success response, as received: status, headers, the body (bounded by
/// `ClientBuilder::max_error_body`) and its JSON, plus how many attempts were made and why retrying
/// stopped. Reached through [`Error::Api`]; fields are public to read, and new ones may be added.
///
/// ```no_run
/// # async fn run(client: invent_api::Client) {
/// if let Err(invent_api::Error::Api(api)) = client.list_contacts().send().await {
///     // Invent's error body is JSON: {"statusCode": 400, "error": "Bad Request", "message": "…"}.
///     let message = api.parsed.as_ref().and_then(|json| json.get("message"));
///     println!("{} after {} attempt(s): {message:?}", api.status, api.attempts);
///     if api.truncated {
///         println!("the body was longer than {} bytes and was cut", api.body.len());
///     }
///     if let Some(stop) = &api.stopped {
///         println!("not retried further: {stop}");
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// The status the server answered with.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The raw body (the Invent error body shape is undocumented), at most the configured cap.
    pub body: Bytes,
    /// Whether the body was longer than the cap and cut there.
    pub truncated: bool,
    /// The body parsed as JSON, when it is JSON.
    pub parsed: Option<serde_json::Value>,
    /// Attempts made, including the first (0 when the client refused to send, e.g. its rate limiter).
    pub attempts: u32,
    /// Why retrying stopped early, if it did (retry budget spent, body not replayable, deadline, wait
    /// above cap).
    pub stopped: Option<RetryStop>,
}

/// A success status with a body that does not match the spec.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// The (success) status of the response.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as received.
    pub body: Bytes,
    /// Why it did not decode.
    pub source: serde_json::Error,
}

/// A success body over the configured cap ([`crate::ClientBuilder::max_body`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct BodyTooLarge {
    /// The (success) status of the response.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The cap in force, in bytes.
    pub limit: usize,
    /// Bytes that had arrived when the client stopped reading: 0 when the declared length was already
    /// over the cap, otherwise more than `limit` (the chunk that crossed it included).
    pub read: u64,
    /// The `Content-Length` the server declared, if any.
    pub declared: Option<u64>,
    /// Attempts made, including the first.
    pub attempts: u32,
}

impl Error {
    /// The response status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::BodyTooLarge(e) => Some(e.status),
            Error::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Response headers, when there was a response.
    pub fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Error::Api(e) => Some(&e.headers),
            Error::Decode(e) => Some(&e.headers),
            Error::BodyTooLarge(e) => Some(&e.headers),
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

    /// The server answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// The server answered 401 Unauthorized (a missing, wrong or revoked API key).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// A 429 Too Many Requests, from the server or made by the client's own limiter (see
    /// [`Error::retry_after`] for the wait).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// No answer in time: the attempt timeout or the call's deadline passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport { source, .. } if source.is_timeout())
    }

    /// How long the server asked us to wait (`retry-after-ms`, `Retry-After` seconds or HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        crate::retry::backoff::server_wait(self.headers()?, std::time::SystemTime::now())
    }

    /// Attempts made, including the first (0 when unknown, e.g. the call failed before the retry loop).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(e) => e.attempts,
            Error::BodyTooLarge(e) => e.attempts,
            Error::Transport { attempts, .. } | Error::OriginChanged { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// The server's human-readable message, from a JSON error body: the first non-empty string among
    /// `message` (or the first string of a `message` list, NestJS's validation shape), `error` (a
    /// string, or an object with a `message`), `detail` and `title` (RFC 9457 problem details) and
    /// `errors[0].message`. `None` without a response, for a body that is not JSON (an HTML page
    /// from a proxy is no message) or one without any of these.
    ///
    /// ```no_run
    /// # async fn run(client: invent_api::Client) {
    /// if let Err(e) = client.get_assistant().assistant_id("ast_1").send().await {
    ///     // `{"message": "Assistant not found"}`, `{"error": {"message": …}}`, problem details, …
    ///     eprintln!("{}: {}", e.status().map_or(0, |s| s.as_u16()), e.message().unwrap_or("(no message)"));
    /// }
    /// # }
    /// ```
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.parsed.as_ref().and_then(server_message),
            _ => None,
        }
    }

    /// The error body decoded as `T`: the type the operation declares (`Operation::ErrorBody`, e.g.
    /// `types::ErrorBody`, or a by-status `types::<Operation>Error` enum), or any other
    /// `DeserializeOwned` type. `None` without a body or when it does not decode.
    ///
    /// ```no_run
    /// use invent_api::types;
    ///
    /// # async fn run(client: invent_api::Client) {
    /// if let Err(e) = client.list_assistants().send().await {
    ///     // The error body the spec declares, or your own type for a shape it does not.
    ///     let declared: Option<types::ErrorBody> = e.body_as();
    ///     let raw: Option<serde_json::Value> = e.body_as();
    ///     println!("{declared:?} {raw:?}");
    /// }
    /// # }
    /// ```
    pub fn body_as<T: crate::ResponseBody>(&self) -> Option<T> {
        match self {
            Error::Api(e) => T::decode(e.status.as_u16(), &e.body).ok(),
            _ => None,
        }
    }
}

/// Request-building failures in generated code (`.build()?`): a URL or header reqwest rejects.
impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Error::InvalidRequest(format!("the request could not be built: {error}"))
    }
}

/// A header parameter whose value cannot go into an HTTP header (generated code, `try_into()?`).
impl From<reqwest::header::InvalidHeaderValue> for Error {
    fn from(error: reqwest::header::InvalidHeaderValue) -> Self {
        Error::InvalidRequest(format!("invalid header value: {error}"))
    }
}

/// A form body that does not serialize (generated code, `form_urlencoded(&body)?`).
impl From<progenitor_client::Error> for Error {
    fn from(error: progenitor_client::Error) -> Self {
        match error {
            progenitor_client::Error::InvalidRequest(message) => Error::InvalidRequest(message),
            other => Error::InvalidRequest(other.to_string()),
        }
    }
}

impl From<crate::ConfigError> for Error {
    fn from(error: crate::ConfigError) -> Self {
        Error::Config(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts =
            |f: &mut fmt::Formatter<'_>, n: u32| if n > 1 { write!(f, " after {n} attempts") } else { Ok(()) };
        match self {
            Error::Api(e) => {
                write!(f, "Invent API returned {}", e.status)?;
                attempts(f, e.attempts)?;
                if let Some(stopped) = &e.stopped {
                    write!(f, " ({stopped})")?;
                }
                if !e.body.is_empty() {
                    write!(f, ": {}", preview(&e.body))?;
                }
                if e.truncated {
                    write!(f, " (body truncated at {} bytes)", e.body.len())?;
                }
                Ok(())
            }
            Error::Decode(e) => {
                write!(f, "could not decode the {} response body: {} (body: {})", e.status, e.source, preview(&e.body))
            }
            Error::Transport { source, attempts: n, stopped } => {
                write!(f, "request failed: {source}")?;
                attempts(f, *n)?;
                if let Some(stopped) = stopped {
                    write!(f, " ({stopped})")?;
                }
                Ok(())
            }
            Error::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            Error::Config(e) => e.fmt(f),
            Error::Pagination(e) => e.fmt(f),
            Error::BodyTooLarge(e) => {
                write!(f, "the {} response body is larger than the {}-byte limit", e.status, e.limit)?;
                match (e.read, e.declared) {
                    (0, Some(declared)) => write!(f, " (Content-Length: {declared}; nothing was read)")?,
                    (read, _) => write!(f, " (stopped after {read} bytes)")?,
                }
                f.write_str("; raise it with ClientBuilder::max_body")
            }
            Error::OriginChanged { expected, actual, .. } => write!(
                f,
                "the answer came from {actual}, not from {expected}: the HTTP client followed a redirect to \
                 another origin; the answer was not used"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(&e.source),
            Error::Transport { source, .. } => Some(source),
            Error::Config(e) => Some(e),
            Error::Pagination(e) => Some(e),
            _ => None,
        }
    }
}

/// The message of a parsed error body (see [`Error::message`]).
fn server_message(body: &serde_json::Value) -> Option<&str> {
    use serde_json::Value;
    fn text(v: &Value) -> Option<&str> {
        v.as_str().map(str::trim).filter(|t| !t.is_empty())
    }
    fn message(v: &Value) -> Option<&str> {
        match v {
            Value::Array(items) => items.iter().find_map(text),
            other => text(other),
        }
    }
    fn error(v: &Value) -> Option<&str> {
        text(v).or_else(|| v.get("message").and_then(message))
    }
    body.get("message")
        .and_then(message)
        .or_else(|| body.get("error").and_then(error))
        .or_else(|| body.get("detail").and_then(text))
        .or_else(|| body.get("title").and_then(text))
        .or_else(|| body.get("errors")?.get(0)?.get("message").and_then(message))
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

/// Why a page stream ended with an error although every request succeeded: the server does not
/// page the way the client asks, so going on could loop forever or repeat items.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationError {
    /// Page `requested` was answered with `pagination-page: served`: the server does not honour `page`.
    PageNotHonoured {
        /// The page asked for.
        requested: u32,
        /// The page the server said it sent.
        served: u32,
    },
    /// Page `page` repeated the previous page item for item: the server ignores `page`.
    RepeatedPage {
        /// The page that repeated its predecessor.
        page: u32,
    },
    /// `limit` pages were fetched and the list still says there are more.
    PageLimit {
        /// The page limit in force.
        limit: u32,
    },
}

impl std::fmt::Display for PaginationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaginationError::PageNotHonoured { requested, served } => write!(
                f,
                "pagination stopped: page {requested} was answered with page {served} (the server does not honour `page`)"
            ),
            PaginationError::RepeatedPage { page } => write!(
                f,
                "pagination stopped: page {page} repeats page {} item for item (the server ignores `page`)",
                page.saturating_sub(1)
            ),
            PaginationError::PageLimit { limit } => write!(
                f,
                "pagination stopped after {limit} pages, the page limit, with more to come (raise it with `pages_with_limit`)"
            ),
        }
    }
}

impl std::error::Error for PaginationError {}
