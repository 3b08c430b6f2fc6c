//! The client-side limiter against a loopback server that enforces a sliding-window limit: many
//! concurrent tasks stay under it with zero 429s (and without the limiter they do not), a 429 pauses
//! every caller for the server's wait, and a slot further away than the cap becomes an immediate,
//! client-made 429. Paused tokio clock: arrival times are exact.

#[path = "common/faults.rs"]
mod faults;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faults::{FaultServer, Reply, Seen};
use invent_api::{Client, LimiterConfig};
use reqwest::Method;
use tokio::time::Instant;

const PATH: &str = "/orgs/c/assistants";

/// A server allowing `limit` requests per sliding `window`; it counts the 429s it sent.
async fn limited_server(limit: usize, window: Duration, refused: Arc<AtomicUsize>) -> FaultServer {
    FaultServer::start(move |_, history: &[Seen]| {
        let now = history.last().unwrap().at;
        let recent = history.iter().filter(|s| now - s.at < window).count();
        if recent > limit {
            refused.fetch_add(1, Ordering::SeqCst);
            Reply::status(429).header("retry-after", "1")
        } else {
            Reply::ok()
        }
    })
    .await
}

/// `tasks` concurrent tasks each making `calls` GETs; returns the number of failed calls.
async fn hammer(client: &Client, tasks: usize, calls: usize) -> usize {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut failed = 0;
                for _ in 0..calls {
                    failed += usize::from(client.raw(Method::GET, PATH).send().await.is_err());
                }
                failed
            })
        })
        .collect();
    let mut failed = 0;
    for handle in handles {
        failed += handle.await.unwrap();
    }
    failed
}

fn max_in_window(seen: &[Seen], window: Duration) -> usize {
    (0..seen.len()).map(|i| seen[i..].iter().take_while(|s| s.at - seen[i].at < window).count()).max().unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn twenty_concurrent_tasks_stay_under_the_server_limit() {
    let refused = Arc::new(AtomicUsize::new(0));
    let server = limited_server(20, Duration::from_secs(1), refused.clone()).await;
    let limiter = LimiterConfig::new(20, Duration::from_secs(1)).burst(5);
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).limiter(Some(limiter)).build().unwrap();
    let started = Instant::now();
    assert_eq!(hammer(&client, 20, 3).await, 0);
    assert_eq!(refused.load(Ordering::SeqCst), 0, "zero 429s");
    assert_eq!(server.requests(), 60, "no retries were needed");
    assert!(max_in_window(&server.seen(), Duration::from_secs(1)) <= 20);
    // The full rate: 20 per window of 1 s + the 20 ms skew margin, 5 at once then 50 ms apart, so
    // the 60th call starts at 2 × 1.02 s + 15 × 50 ms (it was 3.6 s when the burst cost steady rate).
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(2790) && elapsed < Duration::from_millis(2850), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn without_the_limiter_the_same_load_is_refused() {
    let refused = Arc::new(AtomicUsize::new(0));
    let server = limited_server(20, Duration::from_secs(1), refused.clone()).await;
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).limiter(None).max_retries(0).build().unwrap();
    let failed = hammer(&client, 20, 3).await;
    assert!(failed > 0 && refused.load(Ordering::SeqCst) == failed, "{failed} failed");
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_caller_for_the_servers_wait() {
    // The first request is refused with a 2 s wait; everything after it succeeds.
    let server = FaultServer::sequence(vec![Reply::status(429).header("retry-after", "2"), Reply::ok()]).await;
    let limiter = LimiterConfig::new(100, Duration::from_secs(1));
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).limiter(Some(limiter)).build().unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.raw(Method::GET, PATH).send().await.map(|r| r.status()) }
    });
    // Let the first call get its 429 before the others start.
    while server.requests() == 0 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(hammer(&client, 5, 1).await, 0);
    assert!(first.await.unwrap().unwrap().is_success());
    let seen = server.seen();
    assert_eq!(seen.len(), 7, "1 refused + its retry + 5 others");
    let refused_at = seen[0].at;
    assert!(seen[1..].iter().all(|s| s.at - refused_at >= Duration::from_secs(2)), "nobody went before the wait ended");
}

#[tokio::test(start_paused = true)]
async fn a_slot_beyond_the_cap_is_an_immediate_client_side_429() {
    let server = FaultServer::always(Reply::ok()).await;
    let limiter = LimiterConfig::new(1, Duration::from_secs(120));
    let client =
        Client::builder().api_key("test-key").base_url(server.base_url()).limiter(Some(limiter)).build().unwrap();
    assert!(client.raw(Method::GET, PATH).send().await.is_ok());
    let started = Instant::now();
    let error = client.raw(Method::GET, PATH).send().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(server.requests(), 1, "the second call never reached the server");
    assert!(error.is_rate_limited());
    assert_eq!(error.attempts(), 0);
    // One period plus the skew margin (2 % of the period, at most 1 s).
    assert_eq!(error.retry_after(), Some(Duration::from_secs(121)));
    assert!(error.headers().unwrap().contains_key("x-invent-client-rate-limited"));
    assert!(error.to_string().contains("client-side rate limit"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_slot_past_the_deadline_is_not_waited_for() {
    let server = FaultServer::always(Reply::ok()).await;
    let limiter = LimiterConfig::new(1, Duration::from_secs(30));
    let client = Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .limiter(Some(limiter))
        .deadline(Some(Duration::from_secs(10)))
        .build()
        .unwrap();
    assert!(client.raw(Method::GET, PATH).send().await.is_ok());
    let error = client.raw(Method::GET, PATH).send().await.unwrap_err();
    assert!(error.is_rate_limited());
    assert!(error.to_string().contains("past the call's 10s deadline"), "{error}");
    assert_eq!(server.requests(), 1);
}
