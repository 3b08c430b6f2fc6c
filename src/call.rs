//! The executor every generated `send` (and every raw call) ends in: adds the API key, runs the retry
//! loop with the limiter, treats any 2xx as success and decodes it, turns anything else into
//! [`Error`] with status, headers and (bounded) body, and records one tracing span per call.
//! Generated code reaches it through `call::execute` (or `call::execute_once`), the decoders and
//! `call::org_segment`.
//!
//! The path is kept lean for a call that needs no retry: nothing is copied in case of a retry (a retry
//! rebuilds its request, see [`execute`]), and the span costs nothing unless a subscriber wants it.

use std::marker::PhantomData;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::{ApiError, DecodeError};
use crate::operation::OperationSpec;
use crate::retry::{self, Replay};
use crate::{body, ByteStream, Client, Error, ResponseValue, RetryStop};

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
    let Exchange { response, attempts, span } = exchange(client, op, request, replay, D::UPGRADE).await?;
    if span.is_disabled() {
        D::decode(response, attempts).await
    } else {
        D::decode(response, attempts).instrument(span).await
    }
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
    let attempts = retry::execute(&client.client, inner, request, op, replay);
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

/// Adds one query parameter exactly as progenitor's `.query(&QueryParam::new(name, value))` does,
/// but leaves the request alone when `value` is absent (`None`): reqwest edits the URL for every
/// `.query` call, even one that adds nothing. Named by generated code (rule `absent-query-skipped`).
#[allow(dead_code, reason = "named by generated code when the spec has query parameters")]
pub(crate) fn query<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    name: &str,
    value: &T,
) -> reqwest::RequestBuilder {
    if absent::is_absent(value) {
        request
    } else {
        request.query(&progenitor_client::QueryParam::new(name, value))
    }
}

/// Whether a value serializes as `None` (nothing at all in a query string), found without serializing
/// it: the first serializer call answers.
mod absent {
    use serde::ser::{self, Impossible, Serialize, Serializer};

    /// Any serializer call other than `serialize_none`: the value is there.
    #[derive(Debug)]
    pub(super) struct Present;

    impl std::fmt::Display for Present {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("present")
        }
    }
    impl std::error::Error for Present {}
    impl ser::Error for Present {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Present
        }
    }

    pub(super) fn is_absent<T: Serialize + ?Sized>(value: &T) -> bool {
        value.serialize(Probe).is_ok()
    }

    struct Probe;

    macro_rules! present {
        ($($name:ident($($arg:ty),*)),* $(,)?) => {
            $(fn $name(self, $(_: $arg),*) -> Result<(), Present> { Err(Present) })*
        };
    }

    impl Serializer for Probe {
        type Ok = ();
        type Error = Present;
        type SerializeSeq = Impossible<(), Present>;
        type SerializeTuple = Impossible<(), Present>;
        type SerializeTupleStruct = Impossible<(), Present>;
        type SerializeTupleVariant = Impossible<(), Present>;
        type SerializeMap = Impossible<(), Present>;
        type SerializeStruct = Impossible<(), Present>;
        type SerializeStructVariant = Impossible<(), Present>;

        fn serialize_none(self) -> Result<(), Present> {
            Ok(())
        }
        present!(
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
            serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
            serialize_u128(u128), serialize_f32(f32), serialize_f64(f64), serialize_char(char), serialize_str(&str),
            serialize_bytes(&[u8]), serialize_unit(), serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        );
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Present> {
            Err(Present)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Present> {
            // A newtype around an `Option` is absent when its content is.
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Present> {
            Err(Present)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Present> {
            Err(Present)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Present> {
            Err(Present)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Present> {
            Err(Present)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Present> {
            Err(Present)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Present> {
            Err(Present)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Present> {
            Err(Present)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Present> {
            Err(Present)
        }
    }
}

/// 16 random bytes for the `Sec-WebSocket-Key` of a generated upgrade operation (RFC 6455 §4.1: a
/// nonce, not a secret). Named by generated code (rule `websocket-key`).
#[allow(dead_code, reason = "named by generated code when the spec has WebSocket operations")]
pub(crate) fn websocket_nonce() -> [u8; 16] {
    crate::rng::u128().to_be_bytes()
}

/// The org segment generated code writes into org-scoped paths (already percent-encoded).
#[allow(dead_code, reason = "named by generated code when the spec has org-scoped operations")]
pub(crate) fn org_segment(client: &Client) -> &str {
    &client.inner.org_path
}

/// Decodes a JSON body; an empty body (204, or 200 with nothing) reads as JSON `null`, so types that
/// carry no data (`()`, `serde_json::Value`, `Option<T>`) accept it and all others fail to decode.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_slice(b"null")
    } else {
        serde_json::from_slice(body)
    }
}

/// `null` for an optional field whose absence means its type's default (an optional array or map):
/// the default, as if the field were absent. Named by generated code (rule `null-as-absent`).
#[allow(dead_code, reason = "named by generated code when the spec has optional collections")]
pub(crate) fn null_as_absent<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

/// A success body type: every `DeserializeOwned` type (whatever the 2xx status), and the generated
/// by-status enums (`types::<Operation>Success` / `types::<Operation>Error`) of operations that declare
/// several body types. Also how [`Error::body_as`] reads error bodies.
pub trait ResponseBody: Sized {
    /// Decodes `body`, which arrived with `status`.
    fn decode(status: u16, body: &Bytes) -> Result<Self, serde_json::Error>;
}

impl<T: DeserializeOwned> ResponseBody for T {
    fn decode(_status: u16, body: &Bytes) -> Result<Self, serde_json::Error> {
        json_body(body)
    }
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

/// The raw JSON of a union variant this version of the spec does not list (the `Unknown` variant of
/// generated tagged and untagged enums). Compares, hashes and orders by its JSON text, so the enums it
/// sits in keep their derives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Unlisted(pub serde_json::Value);

impl std::ops::Deref for Unlisted {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl std::fmt::Display for Unlisted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::hash::Hash for Unlisted {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_string().hash(state);
    }
}

impl PartialOrd for Unlisted {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Unlisted {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.to_string().cmp(&other.0.to_string())
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
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
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
        let fast = crate::RetryConfig::default().with_base_delay(Duration::from_millis(1)).with_max_delay(Duration::from_millis(1));
        Client::builder().api_key("test-key").base_url(url).limiter(None).retry(fast).build().unwrap()
    }

    fn spec(method: reqwest::Method) -> OperationSpec {
        OperationSpec { id: "test", method, template: "/things", org_scoped: false, quota: crate::Quota::Shared }
    }

    /// Runs `execute` for `method /things` with a counting build closure; returns (result, builds).
    async fn counted(client: &Client, method: reqwest::Method) -> (Result<ResponseValue<serde_json::Value>, Error>, usize) {
        let builds = AtomicUsize::new(0);
        let op = spec(method.clone());
        let result = execute::<Body<serde_json::Value>>(client, &op, || {
            builds.fetch_add(1, Ordering::Relaxed);
            Ok(client.client.request(method.clone(), format!("{}/things", client.baseurl)).build()?)
        })
        .await;
        (result, builds.into_inner())
    }

    /// `query` adds exactly what progenitor's `QueryParam` adds, and nothing (not even a `?`) for `None`.
    #[test]
    fn query_skips_absent_values_only() {
        let http = reqwest::Client::new();
        let url = |build: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| {
            build(http.get("http://h/x")).build().unwrap().url().to_string()
        };
        let progenitor = |build: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| url(build);
        let none: Option<u32> = None;
        assert_eq!(url(&|r| query(r, "page", &none)), "http://h/x");
        assert_eq!(url(&|r| query(query(r, "a", &Some(2u32)), "b", &none)), "http://h/x?a=2");
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("n", serde_json::json!(3)),
            ("s", serde_json::json!("a b&c")),
            ("t", serde_json::json!(true)),
            ("list", serde_json::json!(["x", "y"])),
            ("empty", serde_json::json!([])),
            ("unit", serde_json::Value::Null),
        ];
        for (name, value) in &cases {
            let ours = url(&|r| query(r, name, value));
            let theirs = progenitor(&|r| r.query(&progenitor_client::QueryParam::new(name, value)));
            assert_eq!(ours, theirs, "{name}");
        }
        // `Value::Null` goes through `serialize_unit`, not `serialize_none`: not treated as absent.
        assert!(!absent::is_absent(&serde_json::Value::Null));
        assert!(absent::is_absent(&None::<Vec<String>>));
        assert!(!absent::is_absent(&Some(Vec::<String>::new())));
        assert!(!absent::is_absent(&"x"));
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

    #[test]
    fn empty_bodies_read_as_null() {
        assert_eq!(json_body::<()>(b"").ok(), Some(()));
        assert_eq!(json_body::<serde_json::Value>(b" \n").ok(), Some(serde_json::Value::Null));
        assert_eq!(json_body::<Option<u32>>(b"").ok(), Some(None));
        assert!(json_body::<Vec<u32>>(b"").is_err(), "typed data expected");
        assert_eq!(json_body::<Vec<u32>>(b"[1]").ok(), Some(vec![1]));
    }

    #[test]
    fn null_reads_as_absent() {
        #[derive(serde::Deserialize)]
        struct S {
            #[serde(default, deserialize_with = "null_as_absent")]
            xs: Vec<u32>,
        }
        let xs = |body: &[u8]| json_body::<S>(body).map(|s| s.xs).ok();
        assert_eq!(xs(br#"{"xs": null}"#), Some(vec![]));
        assert_eq!(xs(br#"{}"#), Some(vec![]));
        assert_eq!(xs(br#"{"xs": [1]}"#), Some(vec![1]));
        assert_eq!(xs(br#"{"xs": "a"}"#), None, "a wrong type still fails");
    }

    #[test]
    fn unlisted_orders_by_text() {
        let a = Unlisted(serde_json::json!({"type": "a"}));
        let b = Unlisted(serde_json::json!({"type": "b"}));
        assert!(a < b);
        assert_eq!(a.to_string(), r#"{"type":"a"}"#);
    }
}
