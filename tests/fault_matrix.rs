//! The retry fault matrix: every scenario runs a real call against a scripted loopback server and
//! asserts the outcome AND how many requests the server saw (and, where it matters, when). The clock
//! is tokio's paused clock, so the seconds of waiting cost nothing. Limiter scenarios live in
//! `retry_limiter.rs`; the streaming-body case is a unit test in `src/retry.rs` (no public API sends
//! a stream).

#[path = "common/faults.rs"]
mod faults;

use std::time::{Duration, SystemTime};

use faults::{FaultServer, Reply};
use invent_api::{Client, Error, RetryConfig};
use reqwest::Method;
use tokio::time::Instant;

const PATH: &str = "/orgs/c/assistants";

fn builder(server: &FaultServer) -> invent_api::ClientBuilder {
    Client::builder().api_key("test-key").base_url(server.base_url()).limiter(None)
}

/// Default retry policy, no limiter.
fn client(server: &FaultServer) -> Client {
    builder(server).build().unwrap()
}

async fn get(client: &Client) -> invent_api::Result<u16> {
    client.raw(Method::GET, PATH).send().await.map(|r| r.status().as_u16())
}

async fn post(client: &Client) -> invent_api::Result<u16> {
    let body = serde_json::json!({ "name": "Ada" });
    client.raw(Method::POST, "/orgs/c/contacts").json(&body).send().await.map(|r| r.status().as_u16())
}

/// Time between the server's first and second request.
fn gap(server: &FaultServer) -> Duration {
    let seen = server.seen();
    seen[1].at - seen[0].at
}

fn note(error: &Error) -> String {
    match error {
        Error::Api(e) => e.note.clone().unwrap_or_default(),
        Error::Transport { note, .. } => note.clone().unwrap_or_default(),
        other => panic!("unexpected error {other:?}"),
    }
}

fn retry_config(edit: impl FnOnce(&mut RetryConfig)) -> RetryConfig {
    let mut config = RetryConfig::default();
    edit(&mut config);
    config
}

// ---- 429 and the server's wait -------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn s01_429_retry_after_seconds_is_waited_exactly() {
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "2"), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn s02_429_retry_after_float_seconds() {
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "1.5"), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn s03_429_retry_after_http_date() {
    let server = FaultServer::start(|n, _| match n {
        0 => Reply::status(429)
            .header("retry-after", httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3))),
        _ => Reply::ok(),
    })
    .await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    // HTTP dates have whole seconds: "now + 3 s" truncated is 2..=3 s away.
    let gap = gap(&server);
    assert!(gap >= Duration::from_secs(2) && gap <= Duration::from_secs(3), "{gap:?}");
}

#[tokio::test(start_paused = true)]
async fn s04_429_retry_after_ms_wins_over_retry_after() {
    let reply = Reply::status(429).header("retry-after-ms", "250").header("retry-after", "30");
    let server = FaultServer::sequence(vec![reply, Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::from_millis(250));
}

#[tokio::test(start_paused = true)]
async fn s05_429_without_retry_after_uses_jittered_backoff() {
    let server = FaultServer::sequence(vec![Reply::status(429), Reply::status(429), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 3);
    let seen = server.seen();
    // Full jitter: first wait in [0, 0.5 s), second in [0, 1 s).
    assert!(seen[1].at - seen[0].at < Duration::from_millis(500));
    assert!(seen[2].at - seen[1].at < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn s06_429_garbage_or_negative_retry_after_falls_back_to_backoff() {
    for bad in ["soon", "-3", "NaN", "Thu, 99 Foo 2025"] {
        let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", bad), Reply::ok()]).await;
        assert_eq!(get(&client(&server)).await.unwrap(), 200, "{bad}");
        assert_eq!(server.requests(), 2, "{bad}");
        assert!(gap(&server) < Duration::from_millis(500), "{bad}: {:?}", gap(&server));
    }
}

#[tokio::test(start_paused = true)]
async fn s07_429_wait_above_the_cap_is_returned_at_once() {
    let server = FaultServer::always(Reply::status(429).header("retry-after", "120")).await;
    let started = Instant::now();
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO, "nothing was waited");
    assert_eq!(server.requests(), 1);
    assert!(error.is_rate_limited());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(error.attempts(), 1);
    assert_eq!(note(&error), "server asked to wait 120s, above the 60s cap");
    assert!(error.to_string().contains("above the 60s cap"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s08_429_retry_after_zero_retries_immediately() {
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "0"), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn s09_429_forever_exhausts_after_three_attempts() {
    let server =
        FaultServer::always(Reply::status(429).header("retry-after", "1").body("{\"message\":\"slow down\"}")).await;
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 3);
    assert!(error.is_rate_limited());
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.body().map(|b| b.as_ref()), Some(&b"{\"message\":\"slow down\"}"[..]), "last response kept");
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s10_429_on_post_is_retried_because_nothing_was_processed() {
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "1"), Reply::ok()]).await;
    assert_eq!(post(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
}

// ---- 5xx, 408 and dropped connections: idempotent methods only ------------------------------

#[tokio::test(start_paused = true)]
async fn s11_503_on_get_is_retried() {
    let server = FaultServer::sequence(vec![Reply::status(503), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
}

#[tokio::test(start_paused = true)]
async fn s12_503_on_post_is_not_retried() {
    let server = FaultServer::always(Reply::status(503)).await;
    let error = post(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), 1);
    assert!(note(&error).contains("POST is not idempotent"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s13_reset_before_headers_on_get_is_retried() {
    let server = FaultServer::sequence(vec![Reply::Reset, Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
}

#[tokio::test(start_paused = true)]
async fn s14_reset_on_post_is_not_retried() {
    let server = FaultServer::always(Reply::Reset).await;
    let error = post(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.attempts(), 1);
    assert!(note(&error).contains("connection dropped"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s15_408_502_504_on_delete_are_retried() {
    let replies = vec![Reply::status(408), Reply::status(502), Reply::status(504), Reply::ok()];
    let server = FaultServer::sequence(replies).await;
    let client = client(&server).with_max_retries(3);
    let response = client.raw(Method::DELETE, "/chats/ch_1/memories").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.requests(), 4);
}

#[tokio::test(start_paused = true)]
async fn s16_500_and_404_are_not_retried() {
    for status in [500, 404] {
        let server = FaultServer::always(Reply::status(status)).await;
        let error = get(&client(&server)).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(server.requests(), 1, "{status}");
        assert_eq!(error.attempts(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn s17_connect_refused_is_retried_even_for_post() {
    // A port nobody listens on: the request never leaves, so re-sending a POST is safe.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .api_key("test-key")
        .base_url(format!("http://127.0.0.1:{port}"))
        .limiter(None)
        .build()
        .unwrap();
    let error = post(&client).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.attempts(), 3, "{error}");
}

// ---- timeouts and the deadline ---------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn s18_stalled_headers_past_the_attempt_timeout_on_get_are_retried() {
    let server = FaultServer::sequence(vec![Reply::ok().after(Duration::from_secs(30)), Reply::ok()]).await;
    let client = client(&server).with_timeouts(Duration::from_secs(2), Some(Duration::from_secs(60)));
    let started = Instant::now();
    assert_eq!(get(&client).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn s19_stalled_headers_on_post_time_out_once() {
    let server = FaultServer::always(Reply::ok().after(Duration::from_secs(30))).await;
    let client = client(&server).with_timeouts(Duration::from_secs(2), Some(Duration::from_secs(60)));
    let error = post(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(server.requests(), 1);
    assert_eq!(error.attempts(), 1);
    assert!(note(&error).contains("a timeout"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s20_slow_body_past_the_attempt_timeout_fails_as_a_timeout() {
    let body = "x".repeat(1000);
    let server =
        FaultServer::always(Reply::StallMidBody { status: 200, body, sent: 100, stall: Duration::from_secs(30) }).await;
    let client = client(&server).with_timeouts(Duration::from_secs(2), Some(Duration::from_secs(60)));
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(2), "the attempt timeout covers the body");
    // The headers said 200: the response was already handed over, so it is not re-sent.
    assert_eq!(server.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn s21_deadline_across_retries_stops_before_a_wait_that_would_cross_it() {
    let server = FaultServer::always(Reply::status(503).header("retry-after", "2")).await;
    let client = builder(&server).max_retries(10).deadline(Some(Duration::from_secs(5))).build().unwrap();
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    // Attempts at 0 s, 2 s, 4 s; the next would start at 6 s, past the 5 s deadline.
    assert_eq!(server.requests(), 3);
    assert_eq!(error.attempts(), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(4), "no sleep towards a retry that cannot happen");
    assert!(note(&error).contains("5s deadline"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s22_deadline_shortens_the_attempt_timeout() {
    let server = FaultServer::always(Reply::ok().after(Duration::from_secs(30))).await;
    let client = client(&server).with_timeouts(Duration::from_secs(60), Some(Duration::from_secs(3)));
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(server.requests(), 1);
    assert!(note(&error).contains("deadline"), "{error}");
}

// ---- retry counts and the budget -------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn s23_max_retries_per_client_and_per_call() {
    let server = FaultServer::always(Reply::status(503)).await;
    let client = builder(&server).max_retries(4).build().unwrap();
    assert_eq!(get(&client).await.unwrap_err().attempts(), 5);
    assert_eq!(get(&client.with_max_retries(0)).await.unwrap_err().attempts(), 1);
    assert_eq!(server.requests(), 6);
    assert!(builder(&server).max_retries(11).build().is_err(), "0..=10");
}

#[tokio::test(start_paused = true)]
async fn s24_retry_budget_is_shared_by_clones() {
    let server = FaultServer::always(Reply::status(503)).await;
    // Room for two retries (5 tokens each) across all clones.
    let retry = retry_config(|r| {
        r.max_retries = 10;
        r.budget_capacity = 10;
    });
    let client = builder(&server).retry(retry).build().unwrap();
    let first = get(&client).await.unwrap_err();
    assert_eq!(first.attempts(), 3);
    assert_eq!(note(&first), "retry budget exhausted");
    let clone = client.clone();
    let second = get(&clone).await.unwrap_err();
    assert_eq!(second.attempts(), 1, "the clone finds the budget spent");
    assert_eq!(note(&second), "retry budget exhausted");
    assert_eq!(server.requests(), 4);
}

#[tokio::test(start_paused = true)]
async fn s25_generated_operations_take_the_same_path() {
    
    let server = FaultServer::always(Reply::status(429).header("retry-after", "1")).await;
    let error = client(&server).list_assistants().send().await.unwrap_err();
    assert_eq!(server.requests(), 3);
    assert!(error.is_rate_limited());
    assert_eq!(error.attempts(), 3);
}
