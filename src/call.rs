//! The executor every generated `send` (and every raw call) ends in: adds the API key, runs the retry
//! loop with the limiter, treats any 2xx as success and decodes it, turns anything else into
//! [`Error`] with status, headers and (bounded) body, and records one tracing span per call.
//! Generated code reaches it through `call::execute`, the decoders and `call::org_segment`; how bodies
//! decode into types is `decode`.

use std::marker::PhantomData;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use tracing::Instrument;

use crate::decode::ResponseBody;
use crate::error::{ApiError, DecodeError};
use crate::operation::OperationSpec;
use crate::{body, retry, ByteStream, Client, Error, ResponseValue, RetryStop};

/// Sends `request` for `op` and decodes the answer with `D`.
pub(crate) async fn execute<D: Decode>(
    client: &Client,
    mut request: reqwest::Request,
    op: &OperationSpec,
) -> Result<ResponseValue<D::Output>, Error> {
    let inner = &client.inner;
    request.headers_mut().insert(AUTHORIZATION, inner.shared.api_key.header());
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
    let started = Instant::now();
    let outcome = retry::execute(&client.client, inner, request, op).instrument(span.clone()).await;
    span.record("attempts", outcome.attempts);
    span.record("duration_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let response = match outcome.result {
        Ok(response) => response,
        Err(source) => {
            span.in_scope(|| tracing::warn!(error = %source, "request failed"));
            return Err(Error::Transport { source, attempts: outcome.attempts, stopped: outcome.stopped });
        }
    };
    let status = response.status();
    span.record("status", status.as_u16());
    if status.is_success() || (D::UPGRADE && status == StatusCode::SWITCHING_PROTOCOLS) {
        return D::decode(response, outcome.attempts).instrument(span).await;
    }
    Err(api_error(response, outcome.attempts, outcome.stopped, inner.shared.max_error_body).await)
}

/// A non-success response as [`Error::Api`], its body kept up to `cap` bytes. A body that fails
/// midway keeps what arrived.
pub(crate) async fn api_error(mut response: reqwest::Response, attempts: u32, stopped: Option<RetryStop>, cap: usize) -> Error {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let (body, truncated) = match body::read_bounded(response, cap).await {
        Ok(read) => (read.bytes, read.truncated),
        Err(source) => return Error::Transport { source, attempts, stopped },
    };
    let parsed = serde_json::from_slice(&body).ok();
    Error::Api(Box::new(ApiError { status, headers, body, truncated, parsed, attempts, stopped }))
}

/// The org segment generated code writes into org-scoped paths (already percent-encoded).
#[allow(dead_code, reason = "named by generated code when the spec has org-scoped operations")]
pub(crate) fn org_segment(client: &Client) -> &str {
    &client.inner.org_path
}

/// How a success response becomes the operation's output.
pub(crate) trait Decode {
    type Output;
    /// Whether `101 Switching Protocols` is the success (WebSocket operations).
    const UPGRADE: bool = false;
    fn decode(
        response: reqwest::Response,
        attempts: u32,
    ) -> impl std::future::Future<Output = Result<ResponseValue<Self::Output>, Error>> + Send;
}

/// A typed body ([`ResponseBody`]).
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

impl Decode for Raw {
    type Output = Bytes;
    async fn decode(mut response: reqwest::Response, attempts: u32) -> Result<ResponseValue<Bytes>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        match response.bytes().await {
            Ok(body) => Ok(ResponseValue::new(body, status, headers)),
            Err(source) => Err(Error::Transport { source, attempts, stopped: None }),
        }
    }
}

impl<T: ResponseBody + Send> Decode for Body<T> {
    type Output = T;
    async fn decode(mut response: reqwest::Response, attempts: u32) -> Result<ResponseValue<T>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(source) => return Err(Error::Transport { source, attempts, stopped: None }),
        };
        match T::decode(status.as_u16(), &body) {
            Ok(value) => Ok(ResponseValue::new(value, status, headers)),
            Err(source) => Err(Error::Decode(Box::new(DecodeError { status, headers, body, source }))),
        }
    }
}

impl Decode for Empty {
    type Output = ();
    async fn decode(mut response: reqwest::Response, attempts: u32) -> Result<ResponseValue<()>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        // Read to the end so the connection goes back to the pool.
        if let Err(source) = response.bytes().await {
            return Err(Error::Transport { source, attempts, stopped: None });
        }
        Ok(ResponseValue::new((), status, headers))
    }
}

impl Decode for Stream {
    type Output = ByteStream;
    async fn decode(mut response: reqwest::Response, _attempts: u32) -> Result<ResponseValue<ByteStream>, Error> {
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        Ok(ResponseValue::new(ByteStream::new(Box::pin(response.bytes_stream())), status, headers))
    }
}

impl Decode for Upgrade {
    type Output = reqwest::Upgraded;
    const UPGRADE: bool = true;
    async fn decode(mut response: reqwest::Response, attempts: u32) -> Result<ResponseValue<reqwest::Upgraded>, Error> {
        let status = response.status();
        if status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::Decode(Box::new(DecodeError {
                status,
                headers: std::mem::take(response.headers_mut()),
                body: response.bytes().await.unwrap_or_default(),
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
