//! Retry policy and the loop that runs attempts inside progenitor's `exec` hook. Each attempt goes
//! through the same steps, smithy-rs style: limiter slot → send → classify (the decision table below)
//! → wait (`backoff`) → budget (`budget`) → deadline; any step can stop with a note for the error.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Response, StatusCode};
use tokio::time::Instant;

use crate::backoff::{self, secs};
use crate::budget::{RETRY_COST, SUCCESS_REWARD, TIMEOUT_RETRY_COST};
use crate::config::{ConfigError, Inner};

/// Largest accepted `max_retries`.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// Header on a 429 the client made up itself because its limiter had no slot in time.
pub(crate) const LOCAL_LIMIT_HEADER: &str = "x-invent-client-rate-limited";

/// Retry settings of a client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt (default 2, at most 10).
    pub max_retries: u32,
    /// First backoff step when the server gives no wait (default 0.5 s).
    pub base_delay: Duration,
    /// Largest backoff step (default 8 s).
    pub max_delay: Duration,
    /// A server-requested wait above this is not waited out; the 429 is returned at once (default 60 s).
    /// The client's own limiter follows the same cap.
    pub max_server_wait: Duration,
    /// Retry budget tokens shared by clones of a client (default 500; a retry costs 5, a retry after a
    /// timeout 10, a first-attempt success gives 1 back). 0 turns the budget off.
    pub budget_capacity: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_server_wait: Duration::from_secs(60),
            budget_capacity: 500,
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting, reason| Err(ConfigError::InvalidSetting { setting, reason });
        if self.max_retries > MAX_RETRIES_LIMIT {
            return invalid("max_retries", format!("{} is above the limit of {MAX_RETRIES_LIMIT}", self.max_retries));
        }
        if self.base_delay > self.max_delay {
            return invalid("base_delay", format!("{:?} is above max_delay {:?}", self.base_delay, self.max_delay));
        }
        Ok(())
    }
}

/// Whether a request with this method can be repeated without changing the outcome (RFC 9110 §9.2.2).
pub(crate) fn is_idempotent_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "TRACE")
}

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
    /// The last attempt's result (or a client-made 429 when the limiter had no slot in time).
    pub(crate) result: reqwest::Result<reqwest::Response>,
    /// Requests actually sent.
    pub(crate) attempts: u32,
    /// Why retrying stopped before `max_retries` was reached, if it did.
    pub(crate) gave_up: Option<String>,
}

/// Sends `request`, retrying as the decision table allows. `operation` is progenitor's operation id
/// (the limiter has a separate bucket for `create_assistant`).
pub(crate) async fn execute(
    http: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    operation: &str,
) -> Outcome {
    let call = Call::new(inner, &request);
    let mut request = request;
    // The previous attempt, returned as is if the next one cannot be sent after all.
    let mut previous: Option<reqwest::Result<Response>> = None;
    let mut attempts = 0;
    let mut retry_cost = 0;
    loop {
        if let Some(limiter) = &inner.shared.limiter {
            let limit = call.wait_limit();
            if let Err(wait) = limiter.acquire_within(operation, Some(limit)).await {
                inner.shared.budget.refund(retry_cost);
                let why = if call.remaining().is_some_and(|r| r <= limit) {
                    format!("past the call's {} deadline", secs(inner.deadline().unwrap_or_default()))
                } else {
                    format!("above the {} cap", secs(call.config.max_server_wait))
                };
                let note = format!("client-side rate limit: the next request slot is in {}, {why}", secs(wait));
                let result = previous.unwrap_or_else(|| Ok(local_429(wait, &note)));
                return Outcome { result, attempts, gave_up: Some(note) };
            }
        }
        if let (Some(previous), Some(Duration::ZERO)) = (previous.take(), call.remaining()) {
            return Outcome { result: previous, attempts, gave_up: Some(call.deadline_note()) };
        }
        let spare = request.try_clone();
        *request.timeout_mut() = Some(call.attempt_timeout());
        attempts += 1;
        let result = http.execute(request).await;
        match call.next_step(&result, attempts, spare.is_some(), retry_cost, operation) {
            Ok((wait, cost)) => {
                tracing::debug!(attempt = attempts, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
                request = spare.expect("next_step retries only replayable requests");
                previous = Some(result);
                retry_cost = cost;
            }
            Err(gave_up) => return Outcome { result, attempts, gave_up },
        }
    }
}

/// The settings and clock of one call.
struct Call<'a> {
    inner: &'a Inner,
    config: &'a crate::RetryConfig,
    idempotent: bool,
    method: String,
    deadline: Option<Instant>,
}

impl<'a> Call<'a> {
    fn new(inner: &'a Inner, request: &reqwest::Request) -> Self {
        Call {
            inner,
            config: &inner.shared.retry,
            idempotent: is_idempotent_method(request.method().as_str()),
            method: request.method().to_string(),
            deadline: inner.deadline().map(|d| Instant::now() + d),
        }
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The per-attempt timeout, shortened so the attempt ends by the deadline.
    fn attempt_timeout(&self) -> Duration {
        let attempt = self.inner.attempt_timeout();
        self.remaining().map_or(attempt, |r| r.min(attempt))
    }

    /// The longest the limiter may make this call wait for a slot.
    fn wait_limit(&self) -> Duration {
        let cap = self.config.max_server_wait;
        self.remaining().map_or(cap, |r| r.min(cap))
    }

    fn deadline_note(&self) -> String {
        format!("the call's {} deadline was reached", secs(self.inner.deadline().unwrap_or_default()))
    }

    /// After attempt number `attempts`: the wait and budget cost of a retry, or why there is none
    /// (`Err(None)`: done or simply out of retries).
    fn next_step(
        &self,
        result: &reqwest::Result<Response>,
        attempts: u32,
        replayable: bool,
        last_retry_cost: u32,
        operation: &str,
    ) -> Result<(Duration, u32), Option<String>> {
        let shared = &self.inner.shared;
        let class = classify(result);
        let server_wait = result.as_ref().ok().and_then(|r| backoff::server_wait(r.headers(), SystemTime::now()));
        let beyond_cap = server_wait.is_some_and(|w| w > self.config.max_server_wait);
        if class == Class::Throttled {
            if let Some(limiter) = &shared.limiter {
                limiter.throttled(operation, server_wait, beyond_cap);
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
                let what = match result {
                    Ok(r) => r.status().to_string(),
                    Err(e) if e.is_timeout() => "a timeout".to_string(),
                    Err(_) => "the connection dropped".to_string(),
                };
                return Err(Some(format!(
                    "not retried after {what}: {} is not idempotent and the server may have acted on it",
                    self.method
                )));
            }
            Decision::Retry(cost) => cost,
        };
        if !replayable {
            return Err(Some("not retried: request body is a stream and cannot be replayed".into()));
        }
        if let Some(wait) = server_wait.filter(|_| beyond_cap) {
            return Err(Some(format!(
                "server asked to wait {}, above the {} cap",
                secs(wait),
                secs(self.config.max_server_wait)
            )));
        }
        let wait = server_wait
            .unwrap_or_else(|| backoff::jittered(self.config.base_delay, self.config.max_delay, attempts - 1));
        if self.remaining().is_some_and(|r| wait >= r) {
            return Err(Some(format!(
                "not retried: the next attempt (after {}) would pass the call's {} deadline",
                secs(wait),
                secs(self.inner.deadline().unwrap_or_default())
            )));
        }
        if !shared.budget.try_spend(cost) {
            return Err(Some("retry budget exhausted".into()));
        }
        Ok((wait, cost))
    }
}

/// A 429 made by the client: its limiter would have made the call wait longer than allowed. It
/// looks like the server's answer (status, `Retry-After`, `retry-after-ms`), so callers handle both
/// the same way, and carries [`LOCAL_LIMIT_HEADER`] so logs can tell them apart.
fn local_429(wait: Duration, note: &str) -> Response {
    let body = serde_json::json!({ "error": "client_rate_limited", "message": note }).to_string();
    let mut response = http::Response::new(reqwest::Body::from(body));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    let header = |v: String| HeaderValue::from_str(&v).expect("digits");
    headers.insert("retry-after", header(wait.as_secs_f64().ceil().to_string()));
    headers.insert("retry-after-ms", header(wait.as_millis().to_string()));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(LOCAL_LIMIT_HEADER, HeaderValue::from_static("true"));
    Response::from(response)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for m in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] {
            assert!(is_idempotent_method(m));
        }
        assert!(!is_idempotent_method("POST") && !is_idempotent_method("PATCH"));
    }

    #[test]
    fn validates() {
        assert!(RetryConfig::default().validate().is_ok());
        assert!(RetryConfig { max_retries: 11, ..RetryConfig::default() }.validate().is_err());
        assert!(RetryConfig { base_delay: Duration::from_secs(9), ..RetryConfig::default() }.validate().is_err());
    }

    #[test]
    fn local_429_reads_like_the_servers() {
        let r = local_429(Duration::from_millis(1500), "n");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(backoff::server_wait(r.headers(), SystemTime::now()), Some(Duration::from_millis(1500)));
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
        let outcome = execute(&client.client, &client.inner, request, "raw").await;
        assert_eq!(outcome.result.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outcome.attempts, 1);
        assert_eq!(outcome.gave_up.as_deref(), Some("not retried: request body is a stream and cannot be replayed"));
        assert_eq!(mock.calls_async().await, 1);
    }
}
