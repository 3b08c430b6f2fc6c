//! The retry fault matrix: every scenario runs a real call against a scripted loopback server and
//! asserts the outcome AND how many requests the server saw (and, where it matters, when, on which
//! connection, and how many body bytes it got out). The clock is tokio's paused clock, so the seconds
//! (and years) of waiting cost nothing. Sections: the server's wait, 5xx by method, timeouts, budget,
//! extreme values, bounded bodies, retried bodies, refill paths, backoff. Limiter scenarios live in
//! `retry_limiter.rs`, pagination termination in `pagination.rs`; the streaming-body case is a unit
//! test in `src/call/retry_loop.rs` (no public API sends a stream).

#[path = "common/faults.rs"]
mod faults;

use std::time::{Duration, SystemTime};

use faults::{FaultServer, Reply};
use invent_api::{Client, Error, RetryConfig};
use reqwest::Method;
use tokio::time::Instant;

const PATH: &str = "/orgs/c/assistants";

/// The default retry policy with a seeded jitter source, so every backoff draw (and every bound
/// asserted on it) is the same on each run: unseeded, a draw in the last millisecond under a ceiling
/// is rounded up to the ceiling by tokio's 1 ms timer and fails a strict `< ceiling` bound.
fn retry_config() -> RetryConfig {
    RetryConfig::default().jitter_seed(20_261_130)
}

fn builder(server: &FaultServer) -> invent_api::ClientBuilder {
    Client::builder().api_key("test-key").base_url(server.base_url()).limiter(None).retry(retry_config())
}

/// Default retry policy (seeded jitter), no limiter.
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
        Error::Api(e) => e.stopped.as_ref().map(ToString::to_string).unwrap_or_default(),
        Error::Transport { stopped, .. } => stopped.as_ref().map(ToString::to_string).unwrap_or_default(),
        other => panic!("unexpected error {other:?}"),
    }
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
    let retry = retry_config().max_retries(10).budget_capacity(10);
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

// ---- extreme values: no header value and no Duration setting panics -------------------------

/// Waits above this act as it (tokio's own clamp for a sleep).
const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

#[tokio::test(start_paused = true)]
async fn s26_retry_after_ten_quintillion_seconds_is_above_the_cap_not_a_panic() {
    let server = FaultServer::always(Reply::status(429).header("retry-after", "10000000000000000000")).await;
    // The default limiter is on, as for a user: the 429 reaches it too.
    let client = Client::builder().api_key("test-key").base_url(server.base_url()).build().unwrap();
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(server.requests(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(10_000_000_000_000_000_000)));
    assert_eq!(note(&error), "server asked to wait 10000000000000000000s, above the 60s cap");
    // The client still works afterwards (the limiter was not poisoned by the huge wait).
    assert!(get(&client).await.is_err());
    assert_eq!(server.requests(), 2);
}

#[tokio::test(start_paused = true)]
async fn s27_retry_after_ms_u64_max_is_read_exactly() {
    let server = FaultServer::always(Reply::status(429).header("retry-after-ms", u64::MAX.to_string())).await;
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_millis(u64::MAX)));
    assert_eq!(note(&error), "server asked to wait 18446744073709551.615s, above the 60s cap");
}

/// The cap is inclusive: a `Retry-After` of exactly `max_server_wait` is waited out and retried.
#[tokio::test(start_paused = true)]
async fn s56_a_wait_of_exactly_the_cap_is_honoured() {
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "2"), Reply::ok()]).await;
    let retry = retry_config().max_server_wait(Duration::from_secs(2));
    let client = builder(&server).retry(retry).build().unwrap();
    let started = Instant::now();
    assert_eq!(get(&client).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert!(started.elapsed() >= Duration::from_secs(2), "{:?}", started.elapsed());
}

/// When the limiter's next slot is beyond `max_server_wait` and the deadline is further still, the
/// error names the cap, not the deadline.
#[tokio::test(start_paused = true)]
async fn s57_a_slot_beyond_the_cap_but_before_the_deadline_names_the_cap() {
    let server = FaultServer::always(Reply::ok()).await;
    let limiter = invent_api::LimiterConfig::new(1, Duration::from_secs(120));
    let client = builder(&server).limiter(Some(limiter)).deadline(Some(Duration::from_secs(600))).build().unwrap();
    assert_eq!(get(&client).await.unwrap(), 200);
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.attempts(), 0);
    assert!(note(&error).starts_with("client-side rate limit: the next request slot is in "), "{error}");
    assert!(note(&error).ends_with("above the 60s cap"), "{error}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn s28_huge_retry_after_on_a_create_with_the_assistant_bucket_on() {
    // The panic: "overflow when adding duration to instant".
    let server = FaultServer::always(Reply::status(429).header("retry-after", "10000000000000000000")).await;
    let limiter = invent_api::LimiterConfig::default().assistant_creations(3, Duration::from_secs(2));
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).limiter(Some(limiter)).build().unwrap();
    let first = client.create_assistant().body_map(|b| b.name("Ada")).send().await.unwrap_err();
    assert!(first.is_rate_limited());
    assert_eq!(first.attempts(), 1);
    assert!(note(&first).contains("above the 60s cap"), "{first}");
    // The bucket now holds creations back for (at most) 30 years: the next one is refused locally.
    let second = client.create_assistant().body_map(|b| b.name("Bob")).send().await.unwrap_err();
    assert_eq!(second.attempts(), 0);
    assert!(note(&second).starts_with("client-side rate limit"), "{second}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn s29_max_server_wait_duration_max_honours_a_ten_year_wait() {
    let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
    let reply = Reply::status(429).header("retry-after", ten_years.as_secs().to_string());
    let server = FaultServer::sequence(vec![reply, Reply::ok()]).await;
    let retry = retry_config().max_server_wait(Duration::MAX);
    // Default limiter on: it is paused for the ten years as well.
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).retry(retry).deadline(None).build().unwrap();
    assert_eq!(get(&client).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), ten_years);
}

#[tokio::test(start_paused = true)]
async fn s30_a_wait_beyond_thirty_years_is_above_even_an_unlimited_cap() {
    let server = FaultServer::always(Reply::status(429).header("retry-after", "10000000000000000000")).await;
    let retry = retry_config().max_server_wait(Duration::MAX);
    let client = builder(&server).retry(retry).deadline(None).build().unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert_eq!(
        note(&error),
        format!("server asked to wait 10000000000000000000s, above the {}s cap", THIRTY_YEARS.as_secs())
    );
}

#[tokio::test(start_paused = true)]
async fn s31_every_duration_setting_at_max() {
    let server = FaultServer::sequence(vec![Reply::status(503), Reply::ok().after(Duration::from_secs(30))]).await;
    let retry = RetryConfig::default()
        .base_delay(Duration::MAX)
        .max_delay(Duration::MAX)
        .max_server_wait(Duration::MAX)
        .jitter_seed(1);
    let client = Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .connect_timeout(Duration::MAX)
        .attempt_timeout(Duration::MAX)
        .deadline(Some(Duration::MAX))
        .retry(retry)
        .build()
        .unwrap();
    let started = Instant::now();
    assert_eq!(get(&client).await.unwrap(), 200, "a 30 s answer is within an unlimited attempt timeout");
    assert_eq!(server.requests(), 2);
    // The backoff draw from [0, ∞) is capped at 30 years.
    let gap = gap(&server);
    assert!(gap > Duration::ZERO && gap < THIRTY_YEARS, "{gap:?}");
    assert_eq!(started.elapsed(), gap + Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn s32_deadline_duration_max_per_call_is_no_deadline() {
    let server = FaultServer::sequence(vec![Reply::status(503).header("retry-after", "50"), Reply::ok()]).await;
    let client = client(&server).with_timeouts(Duration::MAX, Some(Duration::MAX));
    assert_eq!(get(&client).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::from_secs(50));
}

#[tokio::test(start_paused = true)]
async fn s33_unusable_retry_after_values_fall_back_to_backoff() {
    let bad: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, b'5'], // not UTF-8
        b"-0.5".to_vec(),
        b"Infinity".to_vec(),
        b"+5".to_vec(),
        b"1e9".to_vec(),
        b"0x10".to_vec(),
        b"Thu, 01 Jan 1969 00:00:00 GMT".to_vec(), // before httpdate's range
    ];
    for value in bad {
        let reply = Reply::status(429).raw_header("retry-after", value.clone());
        let server = FaultServer::sequence(vec![reply, Reply::ok()]).await;
        assert_eq!(get(&client(&server)).await.unwrap(), 200, "{value:?}");
        assert_eq!(server.requests(), 2, "{value:?}");
        assert!(gap(&server) < Duration::from_millis(500), "{value:?}: {:?}", gap(&server));
    }
}

#[tokio::test(start_paused = true)]
async fn s34_far_past_and_far_future_http_dates() {
    let past = Reply::status(429).header("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT");
    let server = FaultServer::sequence(vec![past, Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::ZERO, "a date in the past means now");

    let server = FaultServer::always(Reply::status(429).header("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")).await;
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert!(error.retry_after().unwrap() > Duration::from_secs(7900 * 365 * 24 * 3600));
    assert!(note(&error).ends_with("above the 60s cap"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn s35_a_100_kib_retry_after_header_is_read_exactly() {
    // 100 KiB of zeros, then "1": one second, exactly.
    let value = format!("{}1", "0".repeat(100 * 1024));
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", value), Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    assert_eq!(server.requests(), 2);
    assert_eq!(gap(&server), Duration::from_secs(1));
    // 100 KiB of nines saturates: above the cap, returned at once.
    let server = FaultServer::always(Reply::status(429).header("retry-after", "9".repeat(100 * 1024))).await;
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(server.requests(), 1);
    assert_eq!(error.retry_after(), Some(Duration::MAX));
}

#[tokio::test(start_paused = true)]
async fn s36_a_header_block_beyond_the_http_parsers_limit_is_a_transport_error() {
    let server = FaultServer::always(Reply::status(200).header("x-padding", "p".repeat(1 << 20))).await;
    let error = post(&client(&server)).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    // No response was parsed, so the POST counts as possibly processed: sent once.
    assert_eq!(server.requests(), 1);
    assert_eq!(error.attempts(), 1);
}

// ---- bounded bodies (item 3) -------------------------------------------------------------------

const MIB: usize = 1 << 20;

#[tokio::test(start_paused = true)]
async fn s37_a_64_mib_chunked_error_body_is_cut_at_1_mib() {
    let server = FaultServer::always(Reply::huge(500, 64 * MIB as u64).chunked()).await;
    let error = get(&client(&server)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(server.requests(), 1);
    let body = error.body().unwrap();
    assert_eq!(body.len(), MIB);
    assert!(body.iter().all(|b| *b == b'x'));
    // The client stopped reading and hung up: most of the 64 MiB was never sent.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let sent = server.seen()[0].body_bytes_sent();
    assert!(sent < 32 * MIB as u64, "{sent} bytes sent");
}

#[tokio::test(start_paused = true)]
async fn s38_a_64_mib_content_length_error_body_is_cut_at_1_mib() {
    let server = FaultServer::always(Reply::huge(503, 64 * MIB as u64)).await;
    let error = post(&client(&server)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests(), 1);
    assert_eq!(error.body().unwrap().len(), MIB, "kept, not dropped for being over the cap");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(server.seen()[0].body_bytes_sent() < 32 * MIB as u64);
}

#[tokio::test(start_paused = true)]
async fn s39_a_configured_cap_cuts_chunked_bodies_at_exactly_that_size() {
    let text: String = (0..5000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let server = FaultServer::sequence(vec![
        Reply::status(404).body(&text).chunked(),
        Reply::status(404).body(&text[..1000]).chunked(),
    ])
    .await;
    let client = builder(&server).max_error_body(1000).build().unwrap();
    let cut = get(&client).await.unwrap_err();
    assert_eq!(cut.body().unwrap().as_ref(), &text.as_bytes()[..1000], "the first 1000 bytes");
    let whole = get(&client).await.unwrap_err();
    assert_eq!(whole.body().unwrap().as_ref(), &text.as_bytes()[..1000], "a body of exactly the cap");
    assert_eq!(server.requests(), 2);
    // Cap 0 keeps nothing, and still reports the status.
    let client = builder(&server).max_error_body(0).build().unwrap();
    let empty = get(&client).await.unwrap_err();
    assert_eq!(empty.status().map(|s| s.as_u16()), Some(404));
    assert!(empty.body().unwrap().is_empty());
    assert_eq!(server.requests(), 3);
}

#[tokio::test(start_paused = true)]
async fn s40_an_undeclared_status_on_a_generated_operation_is_capped_too() {
    let server = FaultServer::always(Reply::huge(418, 4 * MIB as u64).chunked()).await;
    let error = client(&server).list_assistants().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(418));
    assert_eq!(error.body().unwrap().len(), MIB);
    assert_eq!(server.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn s41_a_stalled_error_body_ends_at_the_attempt_timeout() {
    let body = "e".repeat(1000);
    let server =
        FaultServer::always(Reply::StallMidBody { status: 500, body, sent: 100, stall: Duration::from_secs(30) }).await;
    let client = client(&server).with_timeouts(Duration::from_secs(2), Some(Duration::from_secs(60)));
    let started = Instant::now();
    let error = get(&client).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(server.requests(), 1);
}

// ---- a retried response is read before the wait (item 6) ---------------------------------------

#[tokio::test(start_paused = true)]
async fn s42_a_retried_response_is_read_before_the_wait_so_its_connection_is_reused() {
    let busy = Reply::status(503).header("retry-after", "1").body(&"b".repeat(10_000)).chunked();
    let server = FaultServer::sequence(vec![busy, Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // Held unread across the sleep, the 503 would pin connection 0 and the retry would need a new one.
    assert_eq!(seen[0].conn, seen[1].conn, "the retry went out on the pooled connection");
    assert_eq!(seen[1].at - seen[0].at, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn s43_a_retried_response_over_the_cap_is_cut_and_its_connection_dropped() {
    let busy = Reply::huge(503, 64 * MIB as u64).header("retry-after", "1").chunked();
    let server = FaultServer::sequence(vec![busy, Reply::ok()]).await;
    assert_eq!(get(&client(&server)).await.unwrap(), 200);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].conn, seen[1].conn, "a connection with an unread body is not reused");
    assert!(seen[0].body_bytes_sent() < 32 * MIB as u64, "{}", seen[0].body_bytes_sent());
}

#[tokio::test(start_paused = true)]
async fn s44_the_previous_response_is_returned_from_its_buffered_body() {
    // The retry cannot be sent (the limiter's next slot is past the deadline), so the buffered 503
    // comes back, body included, although its connection was released long ago.
    let server = FaultServer::always(Reply::status(503).body("first-body")).await;
    let limiter = invent_api::LimiterConfig::new(1, Duration::from_secs(10));
    let client = Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .limiter(Some(limiter))
        .deadline(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.body().unwrap().as_ref(), b"first-body");
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.requests(), 1);
    assert!(note(&error).starts_with("client-side rate limit: the next request slot is in "), "{error}");
    assert!(note(&error).ends_with("past the call's 5s deadline"), "{error}");
}

// ---- 408, 502, 504 by method (item 7) ------------------------------------------------------------

async fn patch(client: &Client) -> invent_api::Result<u16> {
    let body = serde_json::json!({ "name": "Ada" });
    client.raw(Method::PATCH, "/orgs/c/contacts/con_1").json(&body).send().await.map(|r| r.status().as_u16())
}

#[tokio::test(start_paused = true)]
async fn s45_408_502_504_on_post_are_not_retried_and_say_why() {
    for (status, text) in [(408, "408 Request Timeout"), (502, "502 Bad Gateway"), (504, "504 Gateway Timeout")] {
        let server = FaultServer::always(Reply::status(status)).await;
        let error = post(&client(&server)).await.unwrap_err();
        assert_eq!(server.requests(), 1, "{status}");
        assert_eq!(error.attempts(), 1);
        assert_eq!(
            note(&error),
            format!("not retried after {text}: POST is not idempotent and the server may have acted on it")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn s46_408_502_504_on_patch_are_not_retried_and_say_why() {
    for (status, text) in [(408, "408 Request Timeout"), (502, "502 Bad Gateway"), (504, "504 Gateway Timeout")] {
        let server = FaultServer::always(Reply::status(status)).await;
        let error = patch(&client(&server)).await.unwrap_err();
        assert_eq!(server.requests(), 1, "{status}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            note(&error),
            format!("not retried after {text}: PATCH is not idempotent and the server may have acted on it")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn s47_408_502_504_on_get_are_retried() {
    for status in [408, 502, 504] {
        let server = FaultServer::sequence(vec![Reply::status(status), Reply::ok()]).await;
        assert_eq!(get(&client(&server)).await.unwrap(), 200, "{status}");
        assert_eq!(server.requests(), 2, "{status}");
    }
}

// ---- every refill path of the retry budget (item 7) ----------------------------------------------

/// `/fail` always 503; `/ok` 200; `/error` 500; `/flaky` alternates 503, 200; `/503-then-500` does that.
async fn budget_server() -> FaultServer {
    FaultServer::start(|_, history| {
        let path = history.last().unwrap().path.clone();
        let nth = history.iter().filter(|s| s.path == path).count() - 1;
        match (path.as_str(), nth) {
            ("/ok", _) => Reply::ok(),
            ("/error", _) => Reply::status(500),
            ("/flaky", n) if n % 2 == 0 => Reply::status(503),
            ("/flaky", _) => Reply::ok(),
            ("/503-then-500", 0) => Reply::status(503),
            ("/503-then-500", _) => Reply::status(500),
            _ => Reply::status(503),
        }
    })
    .await
}

/// A client with `capacity` budget tokens (a retry costs 5) and room for 10 retries.
fn budget_client(server: &FaultServer, capacity: u32) -> Client {
    let retry = retry_config().max_retries(10).budget_capacity(capacity);
    builder(server).retry(retry).build().unwrap()
}

async fn attempts_on(client: &Client, path: &str) -> u32 {
    match client.raw(Method::GET, path).send().await {
        Ok(_) => 1,
        Err(e) => e.attempts(),
    }
}

#[tokio::test(start_paused = true)]
async fn s48_each_first_attempt_success_gives_one_token_back() {
    let server = budget_server().await;
    let client = budget_client(&server, 10);
    assert_eq!(attempts_on(&client, "/fail").await, 3, "two retries spend all 10 tokens");
    for _ in 0..4 {
        assert!(client.raw(Method::GET, "/ok").send().await.is_ok());
    }
    assert_eq!(attempts_on(&client, "/fail").await, 1, "4 tokens: not enough for a retry");
    assert!(client.raw(Method::GET, "/ok").send().await.is_ok());
    let error = client.raw(Method::GET, "/fail").send().await.unwrap_err();
    assert_eq!(error.attempts(), 2, "the 5th success made one retry affordable");
    assert_eq!(note(&error), "retry budget exhausted");
    assert_eq!(server.requests(), 3 + 4 + 1 + 1 + 2);
}

#[tokio::test(start_paused = true)]
async fn s49_a_success_after_retries_refunds_its_last_retry() {
    let server = budget_server().await;
    let client = budget_client(&server, 10);
    assert!(client.raw(Method::GET, "/flaky").send().await.is_ok(), "503, then 200: one retry");
    // The retry's 5 tokens came back: still room for two retries.
    assert_eq!(attempts_on(&client, "/fail").await, 3);
    assert_eq!(server.requests(), 2 + 3);
}

#[tokio::test(start_paused = true)]
async fn s50_server_errors_do_not_refill_the_budget() {
    let server = budget_server().await;
    let client = budget_client(&server, 10);
    // A retry that ends in a 500 is not "worth it": its 5 tokens stay spent.
    assert_eq!(attempts_on(&client, "/503-then-500").await, 2);
    assert_eq!(attempts_on(&client, "/fail").await, 2, "5 tokens left: one retry");
    // First-attempt 500s give nothing back either.
    for _ in 0..10 {
        assert_eq!(attempts_on(&client, "/error").await, 1);
    }
    assert_eq!(attempts_on(&client, "/fail").await, 1);
    assert_eq!(server.requests(), 2 + 2 + 10 + 1);
}

#[tokio::test(start_paused = true)]
async fn s51_budget_capacity_zero_never_runs_out() {
    let server = budget_server().await;
    let client = budget_client(&server, 0);
    for _ in 0..3 {
        assert_eq!(attempts_on(&client, "/fail").await, 11, "every call uses all 10 retries");
    }
    assert_eq!(server.requests(), 33);
}

#[tokio::test(start_paused = true)]
async fn s52_a_retry_the_limiter_does_not_send_is_refunded() {
    let server = budget_server().await;
    let retry = retry_config().max_retries(10).budget_capacity(5);
    let limiter = invent_api::LimiterConfig::new(1, Duration::from_secs(10));
    let client =
        builder(&server).retry(retry).limiter(Some(limiter)).deadline(Some(Duration::from_secs(5))).build().unwrap();
    // The retry is paid for, then the limiter's next slot (10 s) is past the 5 s deadline.
    let first = client.raw(Method::GET, "/fail").send().await.unwrap_err();
    assert_eq!(first.attempts(), 1);
    assert!(note(&first).starts_with("client-side rate limit"), "{first}");
    // Its 5 tokens came back: a call without a deadline can afford one retry.
    let second =
        client.with_timeouts(Duration::from_secs(60), None).raw(Method::GET, "/fail").send().await.unwrap_err();
    assert_eq!(second.attempts(), 2);
    assert_eq!(note(&second), "retry budget exhausted");
    assert_eq!(server.requests(), 3);
}

/// The decision table's budget column: a dropped connection costs a retry 5 tokens, a timeout after
/// sending 10, so 10 tokens buy two retries after drops and one after timeouts.
#[tokio::test(start_paused = true)]
async fn s55_a_dropped_connection_costs_half_a_timeout() {
    let dropping = FaultServer::always(Reply::Reset).await;
    let error = budget_client(&dropping, 10).raw(Method::GET, PATH).send().await.unwrap_err();
    assert!(note(&error).contains("budget exhausted"), "{error}");
    assert_eq!(error.attempts(), 3, "two retries at 5 tokens each");
    assert_eq!(dropping.requests(), 3);

    let stalling = FaultServer::always(Reply::ok().after(Duration::from_secs(30))).await;
    let client = budget_client(&stalling, 10).with_timeouts(Duration::from_secs(2), Some(Duration::from_secs(60)));
    let error = client.raw(Method::GET, PATH).send().await.unwrap_err();
    assert!(error.is_timeout() && note(&error).contains("budget exhausted"), "{error}");
    assert_eq!(error.attempts(), 2, "one retry at 10 tokens");
    assert_eq!(stalling.requests(), 2);
}

// ---- backoff is shown to wait (item 7) ----------------------------------------------------------

/// Gaps between consecutive requests of each call, by retry number.
async fn backoff_gaps(seed: u64, calls: usize) -> Vec<Vec<Duration>> {
    let server = FaultServer::always(Reply::status(503)).await;
    let retry = RetryConfig::default().max_retries(4).budget_capacity(0).jitter_seed(seed);
    let client = builder(&server).retry(retry).deadline(None).build().unwrap();
    for _ in 0..calls {
        assert_eq!(get(&client).await.unwrap_err().attempts(), 5);
    }
    assert_eq!(server.requests(), calls * 5);
    let seen = server.seen();
    let mut by_retry = vec![Vec::new(); 4];
    for call in seen.chunks(5) {
        for (n, pair) in call.windows(2).enumerate() {
            by_retry[n].push(pair[1].at - pair[0].at);
        }
    }
    by_retry
}

#[tokio::test(start_paused = true)]
async fn s53_backoff_waits_average_half_their_doubling_ceiling() {
    let gaps = backoff_gaps(42, 60).await;
    let mut previous_mean = Duration::ZERO;
    for (n, gaps) in gaps.iter().enumerate() {
        let ceiling = Duration::from_millis(500) * 2u32.pow(n as u32);
        assert!(gaps.iter().all(|g| *g < ceiling), "retry {n}: full jitter stays under {ceiling:?}");
        let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
        // Uniform on [0, ceiling): the mean is ceiling/2 (seeded, so exact and not flaky).
        assert!(mean > ceiling * 35 / 100 && mean < ceiling * 65 / 100, "retry {n}: mean {mean:?} of {ceiling:?}");
        assert!(mean > previous_mean, "waits grow with each retry");
        previous_mean = mean;
    }
}

#[tokio::test(start_paused = true)]
async fn s54_the_same_jitter_seed_replays_the_same_waits() {
    let first = backoff_gaps(7, 3).await;
    assert_eq!(backoff_gaps(7, 3).await, first);
    assert_ne!(backoff_gaps(8, 3).await, first);
}
