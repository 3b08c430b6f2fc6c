//! Retry policy and the loop the executor (`call.rs`) runs attempts in. Each attempt goes
//! through the same steps, smithy-rs style: limiter slot → send → classify (the decision table below)
//! → wait (`backoff`) → budget (`budget`) → deadline; any step can stop with a [`RetryStop`] reason.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Response, ResponseBuilderExt, StatusCode};
use tokio::time::Instant;

use crate::body;
use crate::client::state::Inner;
use crate::operation::{OperationSpec, Quota};
use crate::retry::backoff::{self, Jitter, LONGEST_WAIT};
use crate::retry::budget::{RETRY_COST, SUCCESS_REWARD, TIMEOUT_RETRY_COST};
use crate::retry::config::RetryConfig;
use crate::retry::stop::{AttemptFailure, RetryStop, WaitLimit};

/// Header on a 429 the client made up itself because its limiter had no slot in time.
pub(crate) const LOCAL_LIMIT_HEADER: &str = "x-invent-client-rate-limited";

/// How an attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A success, or an answer that another attempt would not change (4xx, 500, …).
    Final,
    /// 429: refused before any work was done.
    Throttled,
    /// 408, 502, 503, 504: the server or a proxy gave up, maybe after acting on the request.
    Unavailable,
    /// Could not connect (refused, DNS, TLS, connect timeout): the request never left.
    NotSent { timeout: bool },
    /// The attempt timed out after the request may have been sent.
    TimedOut,
    /// The connection dropped (reset, closed) before a complete response.
    Dropped,
}

fn classify(result: &reqwest::Result<Response>) -> Class {
    match result {
        Ok(response) => match response.status() {
            StatusCode::TOO_MANY_REQUESTS => Class::Throttled,
            StatusCode::REQUEST_TIMEOUT
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Class::Unavailable,
            _ => Class::Final,
        },
        Err(e) if e.is_connect() => Class::NotSent { timeout: e.is_timeout() },
        Err(e) if e.is_timeout() => Class::TimedOut,
        Err(e) if e.is_request() => Class::Dropped,
        Err(_) => Class::Final,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Done,
    /// Retry, spending this many budget tokens.
    Retry(u32),
    /// Retryable in principle, but the method is not idempotent and the server may have acted.
    Unsafe,
}

/// The decision table (octocrab writes its policy the same way):
///
/// | outcome                                  | GET HEAD OPTIONS PUT DELETE | POST PATCH | budget |
/// |------------------------------------------|-----------------------------|------------|--------|
/// | 429 Too Many Requests                    | retry                       | retry      | 5      |
/// | 408, 502, 503, 504                       | retry                       | no         | 5      |
/// | connect error, request never sent        | retry                       | retry      | 5      |
/// | connect timeout, request never sent      | retry                       | retry      | 10     |
/// | timeout after sending                    | retry                       | no         | 10     |
/// | connection dropped before a response     | retry                       | no         | 5      |
/// | anything else (2xx, 3xx, 4xx, 500, …)    | done                        | done       | –      |
///
/// 429 is safe for any method because Invent refuses before doing anything; a connect error is safe
/// because no byte of the request was written. 500 is not retried: it is usually a deterministic bug.
fn decide(class: Class, idempotent: bool) -> Decision {
    match (class, idempotent) {
        (Class::Final, _) => Decision::Done,
        (Class::Throttled, _) | (Class::NotSent { timeout: false }, _) => Decision::Retry(RETRY_COST),
        (Class::NotSent { timeout: true }, _) => Decision::Retry(TIMEOUT_RETRY_COST),
        (Class::Unavailable | Class::Dropped, true) => Decision::Retry(RETRY_COST),
        (Class::TimedOut, true) => Decision::Retry(TIMEOUT_RETRY_COST),
        (Class::Unavailable | Class::Dropped | Class::TimedOut, false) => Decision::Unsafe,
    }
}

/// What the retry loop did.
pub(crate) struct Outcome {
    /// The last attempt's result (or a client-made 429 when the limiter had no slot in time). A
    /// response kept across a retry wait has its body in memory (bounded, see `body::buffer`).
    pub(crate) result: reqwest::Result<reqwest::Response>,
    /// Requests actually sent.
    pub(crate) attempts: u32,
    /// Why retrying stopped before `max_retries` was reached, if it did.
    pub(crate) stopped: Option<RetryStop>,
}

/// How the retry loop gets the request for another attempt.
pub(crate) enum Replay<'a> {
    /// Build it again (generated calls: the builder's values are still at hand), only when a retry is
    /// decided, so a call that needs none copies nothing. `None`: it could not be built again.
    Rebuild(&'a mut (dyn FnMut() -> Option<reqwest::Request> + Send)),
    /// Copy it before an attempt after which a retry can still follow (raw calls, caller-supplied
    /// bodies). A streaming body cannot be copied and is sent once.
    Clone,
}

/// Sends `request` for `op`, retrying as the decision table allows; the limiter slot comes from the
/// buckets of `op.quota`, and each retry's request from `replay`.
pub(crate) async fn execute(
    http: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    op: &OperationSpec,
    mut replay: Replay<'_>,
) -> Outcome {
    let call = Call::new(inner, &request);
    let max_retries = inner.max_retries();
    let mut request = request;
    // The previous attempt, returned as is if the next one cannot be sent after all.
    let mut previous: Option<reqwest::Result<Response>> = None;
    let mut attempts = 0;
    let mut retry_cost = 0;
    loop {
        if let Some(limiter) = &inner.shared.limiter {
            if let Err(wait) = limiter.acquire_within(op.quota, Some(call.wait_limit())).await {
                // The retry that was paid for is not sent: give its tokens back.
                inner.shared.budget.refund(retry_cost);
                let stop = RetryStop::ClientRateLimited { wait, limit: call.wait_limit_reason() };
                let result = previous.unwrap_or_else(|| Ok(local_429(wait, &stop, request.url())));
                return Outcome { result, attempts, stopped: Some(stop) };
            }
        }
        if let (Some(previous), Some(Duration::ZERO)) = (previous.take(), call.remaining()) {
            return Outcome { result: previous, attempts, stopped: Some(call.deadline_reached()) };
        }
        // A copy for the next attempt, taken only when a retry can follow this one (`next_step` stops
        // at `max_retries` before it asks whether the request can be replayed).
        let (spare, replayable) = match replay {
            Replay::Rebuild(_) => (None, true),
            Replay::Clone if attempts < max_retries => {
                let spare = request.try_clone();
                let replayable = spare.is_some();
                (spare, replayable)
            }
            Replay::Clone => (None, false),
        };
        *request.timeout_mut() = Some(call.attempt_timeout());
        attempts += 1;
        let result = http.execute(request).await;
        if matches!(&result, Ok(response) if response.url().origin() != inner.shared.origin) {
            // Not Invent's answer (a redirect the caller's HTTP client followed): nothing to decide on.
            return Outcome { result, attempts, stopped: None };
        }
        match call.next_step(&result, attempts, replayable, retry_cost, op.quota) {
            Ok((wait, cost)) => {
                let next = match (spare, &mut replay) {
                    (Some(spare), _) => Some(spare),
                    (None, Replay::Rebuild(build)) => build(),
                    (None, Replay::Clone) => None,
                };
                // `next_step` retries only replayable requests; this keeps a failed rebuild a return,
                // not a panic, and gives back the retry's tokens.
                let Some(next) = next else {
                    inner.shared.budget.refund(cost);
                    return Outcome { result, attempts, stopped: Some(RetryStop::BodyNotReplayable) };
                };
                // Boxed: the wait is the rare path, kept out of the state machine every call runs.
                let result = Box::pin(wait_for_retry(result, wait, attempts, inner.shared.max_error_body)).await;
                request = next;
                previous = Some(result);
                retry_cost = cost;
            }
            Err(stopped) => return Outcome { result, attempts, stopped },
        }
    }
}

/// Before a retry: reads the failed attempt's body (bounded), so the connection goes back to the pool
/// instead of being pinned across the sleep, where the server's keep-alive may close it, then waits
/// `wait` counted from the answer (reading the body is part of it). Returns the attempt's result with
/// its body in memory.
async fn wait_for_retry(
    result: reqwest::Result<Response>,
    wait: Duration,
    attempts: u32,
    max_body: usize,
) -> reqwest::Result<Response> {
    tracing::debug!(target: "invent_api::retry", attempt = attempts, wait_ms = wait.as_millis() as u64, "retrying");
    let wake = Instant::now().checked_add(wait);
    let result = match result {
        Ok(response) => body::buffer(response, max_body).await.map(|(r, _)| r),
        Err(e) => Err(e),
    };
    match wake {
        Some(wake) => tokio::time::sleep_until(wake).await,
        None => tokio::time::sleep(wait).await,
    }
    result
}

/// The settings and clock of one call. All time arithmetic is checked or saturating: a deadline too
/// far to represent is no deadline, and waits are capped at [`LONGEST_WAIT`].
struct Call<'a> {
    inner: &'a Inner,
    config: &'a RetryConfig,
    jitter: &'a Jitter,
    idempotent: bool,
    method: Method,
    deadline: Option<Instant>,
    /// `max_server_wait` as applied (at most [`LONGEST_WAIT`]).
    cap: Duration,
}

impl<'a> Call<'a> {
    fn new(inner: &'a Inner, request: &reqwest::Request) -> Self {
        let config = &inner.shared.retry;
        Call {
            inner,
            config,
            jitter: &inner.shared.jitter,
            // The one idempotence rule, RFC 9110 §9.2.2 as `http::Method` has it (also behind
            // `OperationSpec::is_idempotent`).
            idempotent: request.method().is_idempotent(),
            method: request.method().clone(),
            deadline: inner.deadline().and_then(|d| Instant::now().checked_add(d)),
            cap: config.max_server_wait.min(LONGEST_WAIT),
        }
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The per-attempt timeout, shortened so the attempt ends by the deadline.
    fn attempt_timeout(&self) -> Duration {
        let attempt = self.inner.attempt_timeout().min(LONGEST_WAIT);
        self.remaining().map_or(attempt, |r| r.min(attempt))
    }

    /// The longest the limiter may make this call wait for a slot (never beyond [`LONGEST_WAIT`], so
    /// `now + limit` is always representable).
    fn wait_limit(&self) -> Duration {
        self.remaining().map_or(self.cap, |r| r.min(self.cap))
    }

    /// Which bound [`Call::wait_limit`] applied.
    fn wait_limit_reason(&self) -> WaitLimit {
        match self.remaining() {
            Some(r) if r <= self.cap => WaitLimit::Deadline(self.inner.deadline().unwrap_or_default()),
            _ => WaitLimit::Cap(self.cap),
        }
    }

    fn deadline_reached(&self) -> RetryStop {
        RetryStop::DeadlineReached { deadline: self.inner.deadline().unwrap_or_default() }
    }

    /// After attempt number `attempts`: the wait and budget cost of a retry, or why there is none
    /// (`Err(None)`: done or simply out of retries).
    fn next_step(
        &self,
        result: &reqwest::Result<Response>,
        attempts: u32,
        replayable: bool,
        last_retry_cost: u32,
        quota: Quota,
    ) -> Result<(Duration, u32), Option<RetryStop>> {
        let shared = &self.inner.shared;
        let class = classify(result);
        let server_wait = result.as_ref().ok().and_then(|r| backoff::server_wait(r.headers(), SystemTime::now()));
        let beyond_cap = server_wait.is_some_and(|w| w > self.cap);
        if class == Class::Throttled {
            if let Some(limiter) = &shared.limiter {
                // Capped, so the limiter's `now + wait` cannot overflow.
                limiter.throttled(quota, server_wait.map(|w| w.min(LONGEST_WAIT)), beyond_cap);
            }
        }
        let cost = match decide(class, self.idempotent) {
            Decision::Done => {
                // A healthy answer refills the budget: a whole token for a clean call, and the
                // retry that got us here is given back (it was worth it), as smithy-rs does.
                if result.as_ref().is_ok_and(|r| !r.status().is_server_error()) {
                    shared.budget.refund(if attempts == 1 { SUCCESS_REWARD } else { last_retry_cost });
                }
                return Err(None);
            }
            _ if attempts > self.inner.max_retries() => return Err(None),
            Decision::Unsafe => {
                let after = match result {
                    Ok(r) => AttemptFailure::Status(r.status()),
                    Err(e) if e.is_timeout() => AttemptFailure::Timeout,
                    Err(_) => AttemptFailure::ConnectionDropped,
                };
                return Err(Some(RetryStop::NotIdempotent { method: self.method.clone(), after }));
            }
            Decision::Retry(cost) => cost,
        };
        if !replayable {
            return Err(Some(RetryStop::BodyNotReplayable));
        }
        if let Some(wait) = server_wait.filter(|_| beyond_cap) {
            return Err(Some(RetryStop::ServerWaitAboveCap { wait, cap: self.cap }));
        }
        let wait = server_wait.unwrap_or_else(|| {
            backoff::jittered(self.config.base_delay, self.config.max_delay, attempts - 1, self.jitter)
        });
        if self.remaining().is_some_and(|r| wait >= r) {
            let deadline = self.inner.deadline().unwrap_or_default();
            return Err(Some(RetryStop::DeadlineWouldPass { wait, deadline }));
        }
        if !shared.budget.try_spend(cost) {
            return Err(Some(RetryStop::BudgetExhausted));
        }
        Ok((wait, cost))
    }
}

/// A 429 made by the client: its limiter would have made the call wait longer than allowed. It
/// looks like the server's answer (status, `Retry-After`, `retry-after-ms`, both rounded up), so
/// callers handle both the same way, and carries [`LOCAL_LIMIT_HEADER`] so logs can tell them apart.
fn local_429(wait: Duration, stop: &RetryStop, url: &reqwest::Url) -> Response {
    let body = serde_json::json!({ "error": "client_rate_limited", "message": stop.to_string() }).to_string();
    let mut response = http::Response::new(reqwest::Body::from(body));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    let whole_secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0));
    headers.insert("retry-after", HeaderValue::from(whole_secs));
    // Digits are always a valid header value; u128, so no wait overflows the count.
    if let Ok(ms) = HeaderValue::from_str(&wait.as_nanos().div_ceil(1_000_000).to_string()) {
        headers.insert("retry-after-ms", ms);
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(LOCAL_LIMIT_HEADER, HeaderValue::from_static("true"));
    // The request's URL, so the answer counts as coming from the base URL's origin (`call::exchange`).
    // A builder with nothing but the URL cannot fail; if it did, the placeholder URL fails the call
    // closed (`Error::OriginChanged`).
    if let Ok(marker) = http::Response::builder().url(url.clone()).body(()) {
        *response.extensions_mut() = marker.into_parts().0.extensions;
    }
    Response::from(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decision_table() {
        use Class::*;
        use Decision::*;
        let rows = [
            (Final, Done, Done),
            (Throttled, Retry(5), Retry(5)),
            (Unavailable, Retry(5), Unsafe),
            (NotSent { timeout: false }, Retry(5), Retry(5)),
            (NotSent { timeout: true }, Retry(10), Retry(10)),
            (TimedOut, Retry(10), Unsafe),
            (Dropped, Retry(5), Unsafe),
        ];
        for (class, idempotent, other) in rows {
            assert_eq!(decide(class, true), idempotent, "{class:?} GET");
            assert_eq!(decide(class, false), other, "{class:?} POST");
        }
        let idempotent = |m: &str| reqwest::Method::from_bytes(m.as_bytes()).is_ok_and(|m| m.is_idempotent());
        for m in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] {
            assert!(idempotent(m));
        }
        assert!(!idempotent("POST") && !idempotent("PATCH"));
    }

    /// The notes errors show, one per reason (the texts users and logs have seen so far).
    #[test]
    fn retry_stop_reads_as_the_notes() {
        let s = Duration::from_secs;
        let cases = [
            (RetryStop::BudgetExhausted, "retry budget exhausted"),
            (
                RetryStop::NotIdempotent {
                    method: Method::POST,
                    after: AttemptFailure::Status(StatusCode::SERVICE_UNAVAILABLE),
                },
                "not retried after 503 Service Unavailable: POST is not idempotent and the server may have acted on it",
            ),
            (
                RetryStop::NotIdempotent { method: Method::PATCH, after: AttemptFailure::Timeout },
                "not retried after a timeout: PATCH is not idempotent and the server may have acted on it",
            ),
            (
                RetryStop::NotIdempotent { method: Method::POST, after: AttemptFailure::ConnectionDropped },
                "not retried after the connection dropped: POST is not idempotent and the server may have acted on it",
            ),
            (RetryStop::BodyNotReplayable, "not retried: request body is a stream and cannot be replayed"),
            (
                RetryStop::DeadlineWouldPass { wait: s(2), deadline: s(5) },
                "not retried: the next attempt (after 2s) would pass the call's 5s deadline",
            ),
            (RetryStop::DeadlineReached { deadline: s(5) }, "the call's 5s deadline was reached"),
            (
                RetryStop::ServerWaitAboveCap { wait: s(120), cap: s(60) },
                "server asked to wait 120s, above the 60s cap",
            ),
            (
                RetryStop::ClientRateLimited { wait: s(120), limit: WaitLimit::Cap(s(60)) },
                "client-side rate limit: the next request slot is in 120s, above the 60s cap",
            ),
            (
                RetryStop::ClientRateLimited { wait: Duration::from_millis(9500), limit: WaitLimit::Deadline(s(5)) },
                "client-side rate limit: the next request slot is in 9.5s, past the call's 5s deadline",
            ),
        ];
        for (stop, text) in cases {
            assert_eq!(stop.to_string(), text);
        }
    }

    fn url() -> reqwest::Url {
        reqwest::Url::parse("https://api.useinvent.com/orgs/c/assistants").unwrap()
    }

    #[test]
    fn local_429_reads_like_the_servers() {
        let stop =
            RetryStop::ClientRateLimited { wait: Duration::from_millis(1500), limit: WaitLimit::Cap(Duration::ZERO) };
        let r = local_429(Duration::from_millis(1500), &stop, &url());
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        // From the request's origin, like a server's answer.
        assert_eq!(r.url(), &url());
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(backoff::server_wait(r.headers(), SystemTime::now()), Some(Duration::from_millis(1500)));
        // A whole number of seconds is not rounded up.
        assert_eq!(local_429(Duration::from_secs(2), &stop, &url()).headers()["retry-after"], "2");
        let r = local_429(Duration::MAX, &stop, &url());
        assert_eq!(r.headers()["retry-after"], u64::MAX.to_string().as_str());
        assert_eq!(backoff::server_wait(r.headers(), SystemTime::now()), Some(Duration::MAX));
    }

    /// A streaming body cannot be cloned, so a 503 on it is returned after one attempt, with the reason.
    #[tokio::test]
    async fn streaming_body_is_sent_once() {
        let server = httpmock::MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.method("PUT").path("/upload");
                then.status(503);
            })
            .await;
        let client =
            crate::Client::builder().api_key("test-key").base_url(server.base_url()).limiter(None).build().unwrap();
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"part"))]);
        let request = client
            .client
            .put(format!("{}/upload", server.base_url()))
            .body(reqwest::Body::wrap_stream(chunks))
            .build()
            .unwrap();
        let spec = crate::operation::OperationSpec {
            id: "raw",
            method: reqwest::Method::PUT,
            template: "/upload",
            org_scoped: false,
            quota: Quota::Shared,
        };
        let outcome = execute(&client.client, &client.inner, request, &spec, Replay::Clone).await;
        assert_eq!(outcome.result.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outcome.attempts, 1);
        assert_eq!(outcome.stopped, Some(RetryStop::BodyNotReplayable));
        assert_eq!(mock.calls_async().await, 1);
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            Just(LONGEST_WAIT),
            (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
            (0..600_000u64).prop_map(Duration::from_millis),
        ]
    }

    fn any_wait_header() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            (0..600u64).prop_map(|n| n.to_string()),
            "[0-9]{20,40}",
            Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
            Just("-1".to_string()),
        ])
    }

    fn response(status: u16, retry_after: Option<&str>) -> reqwest::Result<Response> {
        let mut response = http::Response::new(reqwest::Body::from(""));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        if let Some(value) = retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from_str(value).unwrap());
        }
        Ok(Response::from(response))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Whatever the `Duration` settings and the server's wait, the loop's arithmetic never panics,
        /// every instant it computes is representable, a retry's wait fits before the deadline and
        /// under the cap, and a refused wait names the right reason.
        #[test]
        fn call_time_arithmetic_never_overflows(
            attempt in any_duration(),
            deadline in proptest::option::of(any_duration()),
            delays in (any_duration(), any_duration()),
            cap in any_duration(),
            status in prop_oneof![Just(429u16), Just(503), Just(200)],
            header in any_wait_header(),
            seed in any::<u64>(),
        ) {
            let (base, max) = if delays.0 <= delays.1 { delays } else { (delays.1, delays.0) };
            let retry = RetryConfig::default()
                .base_delay(base)
                .max_delay(max)
                .max_server_wait(cap)
                .jitter_seed(seed);
            // One reqwest client for all cases: building one loads the TLS roots, which is slow.
            static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
            let client = crate::Client::builder()
                .api_key("k")
                .base_url("http://127.0.0.1:9")
                .http_client(HTTP.get_or_init(reqwest::Client::new).clone())
                .limiter(None)
                .attempt_timeout(attempt)
                .deadline(deadline)
                .retry(retry)
                .build()
                .unwrap();
            let request = client.client.get("http://127.0.0.1:9/x").build().unwrap();
            let call = Call::new(&client.inner, &request);
            let now = Instant::now();
            prop_assert!(call.attempt_timeout() <= attempt.min(LONGEST_WAIT));
            prop_assert!(call.wait_limit() <= LONGEST_WAIT && now.checked_add(call.wait_limit()).is_some());
            let result = response(status, header.as_deref());
            match call.next_step(&result, 1, true, 0, Quota::Shared) {
                Ok((wait, cost)) => {
                    prop_assert!(status != 200);
                    prop_assert_eq!(cost, RETRY_COST);
                    prop_assert!(wait <= LONGEST_WAIT && now.checked_add(wait).is_some());
                    if header.is_some() && result.as_ref().is_ok_and(|r| backoff::server_wait(r.headers(), SystemTime::now()).is_some()) {
                        prop_assert!(wait <= call.cap, "a server wait is honoured only up to the cap");
                    }
                    prop_assert!(call.remaining().is_none_or(|r| wait < r));
                }
                Err(Some(RetryStop::ServerWaitAboveCap { wait, cap })) => {
                    prop_assert!(wait > cap && cap == call.cap);
                }
                Err(Some(RetryStop::DeadlineWouldPass { wait, .. })) => {
                    prop_assert!(call.remaining().is_some_and(|r| wait >= r));
                }
                Err(None) => prop_assert_eq!(status, 200),
                Err(other) => prop_assert!(false, "unexpected stop {:?}", other),
            }
        }

        /// The client-made 429 round-trips any wait through its headers, rounded up to the millisecond.
        #[test]
        fn local_429_round_trips_any_wait(wait in any_duration()) {
            let stop = RetryStop::ClientRateLimited { wait, limit: WaitLimit::Cap(Duration::ZERO) };
            let response = local_429(wait, &stop, &url());
            let read = backoff::server_wait(response.headers(), SystemTime::now()).unwrap();
            prop_assert!(read >= wait && read <= wait.saturating_add(Duration::from_millis(1)));
            // `Retry-After` alone: the fewest whole seconds that are not shorter than the wait.
            let whole_secs = u64::try_from(wait.as_nanos().div_ceil(1_000_000_000)).unwrap_or(u64::MAX);
            prop_assert_eq!(response.headers()["retry-after"].to_str().unwrap(), whole_secs.to_string());
        }
    }
}
