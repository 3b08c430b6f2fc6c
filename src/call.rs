//! The executor every generated `send` (and every raw call) ends in: adds the API key, runs the retry
//! loop with the limiter, treats any 2xx as success and decodes it, turns anything else into
//! [`Error`] with status, headers and (bounded) body, and records one tracing span per call. An answer
//! from another origin than the base URL's (a redirect a caller-supplied HTTP client followed) is
//! [`Error::OriginChanged`], never decoded.
//! Generated code reaches it through `call::execute` (or `call::execute_once`), the decoders and
//! `call::org_segment`; how bodies decode into types is `decode`.
//!
//! The path is kept lean for a call that needs no retry: nothing is copied in case of a retry (a retry
//! rebuilds its request, see [`execute`]), and the span costs nothing unless a subscriber wants it.

// The request path's parts: everything between a generated `send` and the bytes on the wire.
pub(crate) mod cookie;
pub(crate) mod decode;
pub(crate) mod multipart;
pub(crate) mod query;
pub(crate) mod raw;
pub(crate) mod retry_loop;

use std::marker::PhantomData;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::StatusCode;
use tracing::Instrument;

use progenitor_client::{ByteStream, ResponseValue};

use crate::call::decode::ResponseBody;
use crate::error::{ApiError, BodyTooLarge, DecodeError};
use crate::operation::OperationSpec;
use crate::{body, Client, Error, RetryStop};
use retry_loop::Replay;

/// Sends the request `build` makes for `op` and decodes the answer with `D`. `build` is the generated
/// builder's request-building code; it runs once for the first attempt and once more for each retry,
/// so a call that succeeds at once copies nothing for a retry that never comes.
#[allow(dead_code, reason = "named by generated code")]
pub(crate) async fn execute<D: Decode>(
    client: &Client,
    op: &OperationSpec,
    mut build: impl FnMut() -> Result<reqwest::Request, Error> + Send,
) -> Result<ResponseValue<D::Output>, Error> {
    let request = build()?;
    // Built the same way from the same values, a rebuild cannot fail where the first build did not;
    // if it ever did, the call ends with the previous attempt's result (`RetryStop::BodyNotReplayable`).
    let mut rebuild = || build().ok();
    run::<D>(client, op, request, Replay::Rebuild(&mut rebuild)).await
}

/// Sends a request built once (raw calls, and generated calls whose body the caller supplied as a
/// `reqwest::Body`) and decodes the answer with `D`. A retry sends a copy made before the attempt,
/// only while a retry can still follow; a streaming body cannot be copied and is sent once.
pub(crate) async fn execute_once<D: Decode>(
    client: &Client,
    op: &OperationSpec,
    request: reqwest::Request,
) -> Result<ResponseValue<D::Output>, Error> {
    run::<D>(client, op, request, Replay::Clone).await
}

async fn run<D: Decode>(
    client: &Client,
    op: &OperationSpec,
    request: reqwest::Request,
    replay: Replay<'_>,
) -> Result<ResponseValue<D::Output>, Error> {
    let shared = &client.inner.shared;
    let sample = Sample::decide(client, op);
    let exchanged = exchange(client, op, request, replay, D::UPGRADE).await;
    if let Err(Error::Api(api)) = &exchanged {
        sample.error(api);
    }
    let Exchange { response, attempts, span } = exchanged?;
    let limits = Limits { max_body: shared.max_body, max_error_body: shared.max_error_body };
    if span.is_disabled() {
        D::decode(response, attempts, limits, sample).await
    } else {
        D::decode(response, attempts, limits, sample).instrument(span).await
    }
}

/// The drift capture of a call, handed to its decoder: with feature `drift`, the capture when the call
/// was sampled (decided before sending); without it, nothing, and every method is a no-op.
#[cfg(feature = "drift")]
pub(crate) struct Sample<'a>(Option<crate::drift::Capture<'a>>);
/// The drift capture of a call (feature `drift`; without it, nothing, and every method is a no-op).
#[cfg(not(feature = "drift"))]
pub(crate) struct Sample<'a>(PhantomData<&'a ()>);

#[cfg(feature = "drift")]
impl<'a> Sample<'a> {
    fn decide(client: &'a Client, op: &'a OperationSpec) -> Self {
        Sample(client.inner.shared.drift.as_ref().and_then(|recorder| recorder.capture(op)))
    }

    /// An error answer (its body already read into the error).
    fn error(&self, api: &ApiError) {
        if let Some(capture) = &self.0 {
            capture.error(api);
        }
    }

    /// Decodes a success body read here, checking it when the call was sampled.
    #[allow(
        dead_code,
        reason = "used by the body decoders, named by generated code when the spec has operations with a body"
    )]
    fn decode<T: ResponseBody>(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<T, serde_json::Error> {
        match &self.0 {
            Some(capture) => capture.decode(status, headers, body),
            None => T::decode(status.as_u16(), body),
        }
    }

    /// A success whose body is not read here: status and media type only.
    #[allow(
        dead_code,
        reason = "used by the empty and streamed decoders, named by generated code when the spec has such operations"
    )]
    fn head(&self, status: StatusCode, headers: &HeaderMap) {
        if let Some(capture) = &self.0 {
            capture.head(status, headers);
        }
    }
}

#[cfg(not(feature = "drift"))]
impl<'a> Sample<'a> {
    fn decide(_client: &'a Client, _op: &'a OperationSpec) -> Self {
        Sample(PhantomData)
    }
    fn error(&self, _api: &ApiError) {}
    #[allow(
        dead_code,
        reason = "used by the body decoders, named by generated code when the spec has operations with a body"
    )]
    fn decode<T: ResponseBody>(
        &self,
        status: StatusCode,
        _headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<T, serde_json::Error> {
        T::decode(status.as_u16(), body)
    }
    #[allow(
        dead_code,
        reason = "used by the empty and streamed decoders, named by generated code when the spec has such operations"
    )]
    fn head(&self, _status: StatusCode, _headers: &HeaderMap) {}
}

/// A success response and how it came (the part of a call that does not depend on the body type).
struct Exchange {
    response: reqwest::Response,
    attempts: u32,
    /// The call's span (disabled when no subscriber wants it).
    span: tracing::Span,
}

/// Everything up to a success response: auth, span, retry loop with the limiter, and the error for
/// anything that is not a success (any 2xx; `101` too when `upgrade`). Not generic, so it is compiled
/// once rather than once per body type.
async fn exchange(
    client: &Client,
    op: &OperationSpec,
    mut request: reqwest::Request,
    replay: Replay<'_>,
    upgrade: bool,
) -> Result<Exchange, Error> {
    let inner = &client.inner;
    if let Some(retries) = inner.call.max_retries {
        crate::retry::config::check_max_retries(retries)?;
    }
    let key = &inner.shared.api_key;
    request.headers_mut().insert(AUTHORIZATION, key.header());
    // A rebuilt request gets the key like the first one.
    let mut authorized;
    let replay = match replay {
        Replay::Rebuild(build) => {
            authorized = move || {
                build().map(|mut request| {
                    request.headers_mut().insert(AUTHORIZATION, key.header());
                    request
                })
            };
            Replay::Rebuild(&mut authorized)
        }
        Replay::Clone => Replay::Clone,
    };
    // Raw calls have no template: their span shows the path as sent.
    let path = if op.template.is_empty() { request.url().path() } else { op.template };
    let span = tracing::info_span!(
        target: "invent_api::call",
        "invent.request",
        operation = op.id,
        method = %request.method(),
        path,
        org = %inner.org,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    // With no subscriber interested, skip the span's bookkeeping (clock reads, enter/exit per poll).
    let traced = !span.is_disabled();
    let started = traced.then(Instant::now);
    let attempts = retry_loop::execute(&client.client, inner, request, op, replay);
    let outcome = if traced { attempts.instrument(span.clone()).await } else { attempts.await };
    if let Some(started) = started {
        span.record("attempts", outcome.attempts);
        span.record("duration_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    }
    let response = match outcome.result {
        Ok(response) => response,
        Err(source) => {
            span.in_scope(|| tracing::warn!(error = %source, "request failed"));
            return Err(Error::Transport { source, attempts: outcome.attempts, stopped: outcome.stopped });
        }
    };
    if response.url().origin() != inner.shared.origin {
        let error = Error::OriginChanged {
            expected: inner.shared.origin.ascii_serialization(),
            actual: response.url().origin().ascii_serialization(),
            attempts: outcome.attempts,
        };
        span.in_scope(|| tracing::warn!(error = %error, "request failed"));
        return Err(error);
    }
    let status = response.status();
    if traced {
        span.record("status", status.as_u16());
    }
    if status.is_success() || (upgrade && status == StatusCode::SWITCHING_PROTOCOLS) {
        return Ok(Exchange { response, attempts: outcome.attempts, span });
    }
    Err(api_error(response, outcome.attempts, outcome.stopped, inner.shared.max_error_body).await)
}

/// A non-success response as [`Error::Api`], its body kept up to `cap` bytes. A body that fails
/// midway keeps what arrived.
pub(crate) async fn api_error(
    mut response: reqwest::Response,
    attempts: u32,
    stopped: Option<RetryStop>,
    cap: usize,
) -> Error {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let (body, truncated) = match body::read_bounded(response, cap).await {
        Ok(read) => (read.bytes, read.truncated),
        Err(source) => return Error::Transport { source, attempts, stopped },
    };
    let parsed = serde_json::from_slice(&body).ok();
    Error::Api(Box::new(ApiError { status, headers, body, truncated, parsed, attempts, stopped }))
}

/// 16 random bytes for the `Sec-WebSocket-Key` of a generated upgrade operation (RFC 6455 §4.1: a
/// nonce, not a secret). Named by generated code (rule `websocket-key`).
#[allow(dead_code, reason = "named by generated code when the spec has WebSocket operations")]
pub(crate) fn websocket_nonce() -> [u8; 16] {
    crate::rng::u128().to_be_bytes()
}

/// The org segment generated code writes into org-scoped paths (already percent-encoded), or the
/// [`Error::InvalidRequest`] of an org id that cannot be one segment.
#[allow(dead_code, reason = "named by generated code when the spec has org-scoped operations")]
pub(crate) fn org_segment(client: &Client) -> Result<&str, Error> {
    crate::client::org::segment_of(&client.inner)
}

/// One path parameter as one percent-encoded segment (`path::named_segment`). Named by generated code
/// (rule `path-segment-checked`).
#[allow(dead_code, reason = "named by generated code when the spec has path parameters")]
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, Error> {
    crate::client::path::named_segment(name, value)
}

/// The body caps a decoder reads under (the client's settings).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most bytes of a success body read into memory (`ClientBuilder::max_body`).
    pub(crate) max_body: usize,
    /// Most bytes kept of a body that is reported as an error (`ClientBuilder::max_error_body`).
    #[allow(
        dead_code,
        reason = "read by the `Upgrade` decoder, which generated code names when the spec has WebSocket operations"
    )]
    pub(crate) max_error_body: usize,
}

/// How a success response becomes the operation's output.
pub(crate) trait Decode {
    type Output;
    /// Whether `101 Switching Protocols` is the success (WebSocket operations).
    const UPGRADE: bool = false;
    fn decode(
        response: reqwest::Response,
        attempts: u32,
        limits: Limits,
        sample: Sample<'_>,
    ) -> impl std::future::Future<Output = Result<ResponseValue<Self::Output>, Error>> + Send;
}

/// A typed body ([`ResponseBody`]).
#[allow(dead_code, reason = "named by generated code when the spec has such operations")]
pub(crate) struct Body<T>(PhantomData<T>);
/// No body declared: whatever arrives is read and dropped.
#[allow(dead_code, reason = "named by generated code when the spec has such operations")]
pub(crate) struct Empty;
/// A non-JSON body, streamed to the caller.
#[allow(dead_code, reason = "named by generated code when the spec has such operations")]
pub(crate) struct Stream;
/// A WebSocket upgrade.
#[allow(dead_code, reason = "named by generated code when the spec has such operations")]
pub(crate) struct Upgrade;
/// The body as bytes, whatever it is (raw calls).
pub(crate) struct Raw;

/// A success response's status, headers and whole body, at most `cap` bytes: a longer one is
/// [`Error::BodyTooLarge`], a body that fails midway a transport error.
async fn read_whole(
    mut response: reqwest::Response,
    attempts: u32,
    cap: usize,
) -> Result<(StatusCode, reqwest::header::HeaderMap, Bytes), Error> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    match body::read_limited(response, cap).await {
        Ok(body) => Ok((status, headers, body)),
        Err(body::Unread::Transport(source)) => Err(Error::Transport { source, attempts, stopped: None }),
        Err(body::Unread::TooLarge { read, declared }) => {
            tracing::warn!(status = status.as_u16(), limit = cap, read, declared, "response body over the limit");
            Err(Error::BodyTooLarge(Box::new(BodyTooLarge { status, headers, limit: cap, read, declared, attempts })))
        }
    }
}

impl Decode for Raw {
    type Output = Bytes;
    /// Raw calls have no operation in the spec: nothing to capture.
    async fn decode(
        response: reqwest::Response,
        attempts: u32,
        limits: Limits,
        _sample: Sample<'_>,
    ) -> Result<ResponseValue<Bytes>, Error> {
        let (status, headers, body) = read_whole(response, attempts, limits.max_body).await?;
        Ok(ResponseValue::new(body, status, headers))
    }
}

impl<T: ResponseBody + Send> Decode for Body<T> {
    type Output = T;
    async fn decode(
        response: reqwest::Response,
        attempts: u32,
        limits: Limits,
        sample: Sample<'_>,
    ) -> Result<ResponseValue<T>, Error> {
        let (status, headers, body) = read_whole(response, attempts, limits.max_body).await?;
        match sample.decode::<T>(status, &headers, &body) {
            Ok(value) => Ok(ResponseValue::new(value, status, headers)),
            Err(source) => Err(Error::Decode(Box::new(DecodeError { status, headers, body, source }))),
        }
    }
}

impl Decode for Empty {
    type Output = ();
    async fn decode(
        mut response: reqwest::Response,
        attempts: u32,
        limits: Limits,
        sample: Sample<'_>,
    ) -> Result<ResponseValue<()>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        sample.head(status, &headers);
        // Read to the end (nothing kept) so the connection goes back to the pool; an unexpected body
        // over the cap is not drained, its connection is dropped instead.
        match body::discard(response, limits.max_body).await {
            Ok(()) => Ok(ResponseValue::new((), status, headers)),
            Err(source) => Err(Error::Transport { source, attempts, stopped: None }),
        }
    }
}

impl Decode for Stream {
    type Output = ByteStream;
    /// Streamed to the caller as it arrives: no cap, the caller decides how much to hold.
    async fn decode(
        mut response: reqwest::Response,
        _attempts: u32,
        _limits: Limits,
        sample: Sample<'_>,
    ) -> Result<ResponseValue<ByteStream>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        sample.head(status, &headers);
        Ok(ResponseValue::new(ByteStream::new(Box::pin(response.bytes_stream())), status, headers))
    }
}

impl Decode for Upgrade {
    type Output = reqwest::Upgraded;
    const UPGRADE: bool = true;
    async fn decode(
        mut response: reqwest::Response,
        attempts: u32,
        limits: Limits,
        _sample: Sample<'_>,
    ) -> Result<ResponseValue<reqwest::Upgraded>, Error> {
        let status = response.status();
        if status != StatusCode::SWITCHING_PROTOCOLS {
            let headers = std::mem::take(response.headers_mut());
            // Whatever the server says instead of switching is kept like an error body: bounded.
            let body = body::read_bounded(response, limits.max_error_body).await.map(|b| b.bytes).unwrap_or_default();
            return Err(Error::Decode(Box::new(DecodeError {
                status,
                headers,
                body,
                source: <serde_json::Error as serde::de::Error>::custom("expected 101 Switching Protocols"),
            })));
        }
        let headers = response.headers().clone();
        match response.upgrade().await {
            Ok(upgraded) => Ok(ResponseValue::new(upgraded, status, headers)),
            Err(source) => Err(Error::Transport { source, attempts, stopped: None }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback HTTP/1.1 server answering with `statuses` in turn (then 200), one connection per
    /// request; it keeps every request it read (head and body).
    async fn scripted(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut statuses = statuses.into_iter();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let request = loop {
                    let Ok(n) = stream.read(&mut chunk).await else { break None };
                    if n == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0usize);
                        if buf.len() >= end + 4 + length {
                            break Some(text);
                        }
                    }
                };
                let Some(request) = request else { continue };
                log.lock().unwrap().push(request);
                let status = statuses.next().unwrap_or(200);
                let reply = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}");
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        (url, seen)
    }

    fn client(url: &str) -> Client {
        let fast =
            crate::RetryConfig::default().base_delay(Duration::from_millis(1)).max_delay(Duration::from_millis(1));
        Client::builder().api_key("test-key").base_url(url).limiter(None).retry(fast).build().unwrap()
    }

    fn spec(method: reqwest::Method) -> OperationSpec {
        OperationSpec { id: "test", method, template: "/things", org_scoped: false, quota: crate::Quota::Shared }
    }

    /// Runs `execute` for `method /things` with a counting build closure; returns (result, builds).
    async fn counted(
        client: &Client,
        method: reqwest::Method,
    ) -> (Result<ResponseValue<serde_json::Value>, Error>, usize) {
        let builds = AtomicUsize::new(0);
        let op = spec(method.clone());
        let result = execute::<Body<serde_json::Value>>(client, &op, || {
            builds.fetch_add(1, Ordering::Relaxed);
            Ok(client.client.request(method.clone(), format!("{}/things", client.baseurl)).build()?)
        })
        .await;
        (result, builds.into_inner())
    }

    /// A call that succeeds at once builds its request once: nothing is prepared for a retry.
    #[tokio::test]
    async fn a_first_attempt_success_builds_once() {
        let (url, seen) = scripted(vec![200]).await;
        let (result, builds) = counted(&client(&url), reqwest::Method::GET).await;
        assert_eq!(result.unwrap().status(), StatusCode::OK);
        assert_eq!(builds, 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    /// Each retry builds its request again, with the key on it like the first.
    #[tokio::test]
    async fn a_retry_rebuilds_the_request_with_the_key() {
        let (url, seen) = scripted(vec![503, 503, 200]).await;
        let (result, builds) = counted(&client(&url), reqwest::Method::GET).await;
        assert_eq!(result.unwrap().status(), StatusCode::OK);
        assert_eq!(builds, 3);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for request in seen.iter() {
            assert!(request.starts_with("GET /things "), "{request}");
            assert!(request.to_ascii_lowercase().contains("authorization: bearer test-key"), "{request}");
        }
    }

    /// No retry (a POST after a 503 may have been processed), no rebuild.
    #[tokio::test]
    async fn no_retry_no_rebuild() {
        let (url, seen) = scripted(vec![503]).await;
        let (result, builds) = counted(&client(&url), reqwest::Method::POST).await;
        assert!(matches!(result, Err(Error::Api(ref e)) if e.status == StatusCode::SERVICE_UNAVAILABLE), "{result:?}");
        assert_eq!(builds, 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    /// A request built once (raw calls) is copied for its retries: same body and key each time.
    #[tokio::test]
    async fn a_request_built_once_is_copied_for_a_retry() {
        let (url, seen) = scripted(vec![429, 503, 200]).await;
        let client = client(&url);
        let request = client.client.put(format!("{url}/things")).body("payload-1").build().unwrap();
        let result = execute_once::<Raw>(&client, &spec(reqwest::Method::PUT), request).await;
        assert_eq!(result.unwrap().status(), StatusCode::OK);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for request in seen.iter() {
            assert!(request.starts_with("PUT /things ") && request.ends_with("payload-1"), "{request}");
            assert!(request.to_ascii_lowercase().contains("authorization: bearer test-key"), "{request}");
        }
    }

    /// A success whose body is not read (the `Empty` and `Stream` decoders) still reaches the drift
    /// capture with its status: an undeclared one is a finding. (The vendored spec names neither
    /// decoder, so the operation here is a real one decoded the bodiless way.)
    #[cfg(feature = "drift")]
    #[tokio::test]
    async fn unread_successes_are_checked_by_status() {
        let (url, _) = scripted(vec![203, 203]).await;
        let client = Client::builder()
            .api_key("test-key")
            .base_url(&url)
            .limiter(None)
            .max_retries(0)
            .drift(crate::drift::DriftConfig::all())
            .build()
            .unwrap();
        let op = OperationSpec {
            id: "get_assistant",
            method: reqwest::Method::GET,
            template: "/orgs/{org_id}/assistants/{assistant_id}",
            org_scoped: true,
            quota: crate::Quota::Shared,
        };
        let request = || Ok(client.client.get(format!("{url}/orgs/c/assistants/ast_1")).build().unwrap());
        execute::<Empty>(&client, &op, request).await.unwrap();
        execute::<Stream>(&client, &op, request).await.unwrap();
        let report = client.drift_report();
        assert_eq!(report.checked, 2);
        let found: Vec<_> = report.findings.iter().map(|f| (f.kind, f.operation.as_str(), f.status, f.count)).collect();
        assert_eq!(found, [(crate::drift::DriftKind::StatusUndeclared, "getAssistant", 203, 2)], "{report:?}");
    }

    /// RFC 6455 wants a fresh random `Sec-WebSocket-Key` per handshake: two nonces never repeat (a
    /// collision of 128 random bits does not happen), and neither is a fixed pattern.
    #[test]
    fn websocket_nonces_are_fresh_random_bytes() {
        let nonces: Vec<[u8; 16]> = (0..64).map(|_| websocket_nonce()).collect();
        let distinct: std::collections::HashSet<_> = nonces.iter().collect();
        assert_eq!(distinct.len(), nonces.len(), "a nonce repeated");
        let ones: u32 = nonces.iter().flatten().map(|b| b.count_ones()).sum();
        // 8,192 bits, 4,096 set on average with a standard deviation of 45: the range is ±6.5 of them.
        assert!((3_800..=4_400).contains(&ones), "{ones} of 8,192 bits set");
    }
}
