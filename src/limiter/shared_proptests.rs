//! Property test of the Redis-shared limiter against a real Redis: for random `(requests, period,
//! burst)` and arrival patterns, several clients (each its own connection, as separate processes
//! would have) share one key prefix, and
//! - never more than `requests` admissions fall in any window of `period`, on the client's clock:
//!   each admission is known to lie between `sent + wait` and `answered + wait` (the Redis round trip
//!   brackets the server's "now"), and the test fails only when `requests + 1` admissions lie within
//!   one period *whatever* the round trips were — so a slow machine cannot fail it, and a limiter
//!   that did not share (2–4 clients, each with the full quota) is caught as long as round trips stay
//!   well below the period;
//! - the same holds exactly on the server's clock (the slots the script booked);
//! - the sustained rate is at least 60 % of `requests / period`: a correct limiter gives ~98 % (its
//!   skew margin), every task books its next slot before sleeping, so load delays wake-ups but not
//!   the booked slots, and a limiter at half the rate (a spurious 429 cut) fails.
//!
//! Real clock (Redis has its own), so periods are short: 150–400 ms, about two periods per case.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::tests::{admit, prefix, redis_url, rule, shared};
use super::SharedBuckets;

/// Cases per run: ~1 s each (`PROPTEST_CASES` overrides it).
const CASES: u32 = 24;

#[derive(Debug, Clone)]
struct Case {
    requests: u32,
    period: Duration,
    burst: u32,
    /// One entry per client: its start delay (ms) and its tasks' think times (ms, after each slot).
    clients: Vec<(u64, Vec<u64>)>,
}

fn cases() -> impl Strategy<Value = Case> {
    (2u32..=8, 150u64..=400)
        .prop_flat_map(|(requests, period_ms)| {
            let interval_ms = period_ms / u64::from(requests);
            let task = 0..=interval_ms / 4;
            let client = (0..=period_ms / 2, proptest::collection::vec(task, 1..=3));
            (Just(requests), Just(period_ms), 1..=requests, proptest::collection::vec(client, 2..=4))
        })
        .prop_map(|(requests, period_ms, burst, clients)| Case {
            requests,
            period: Duration::from_millis(period_ms),
            burst,
            clients,
        })
}

/// One admission as a client saw it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// The slot lies in `[earliest, latest]` on the client's clock.
    earliest: Instant,
    latest: Instant,
    /// The slot on the Redis server's clock (µs).
    at_micros: u64,
}

/// Runs `case` until `total` admissions; returns them.
async fn run(url: &str, case: &Case, total: usize) -> Vec<Seen> {
    let rule = Arc::new(rule(case.requests, case.period, case.burst));
    let prefix = prefix("prop");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let taken = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (start_ms, thinks) in &case.clients {
        let client: Arc<SharedBuckets> = Arc::new(shared(url, &prefix));
        for think in thinks {
            let (client, rule, seen, taken) = (client.clone(), rule.clone(), seen.clone(), taken.clone());
            let (start, think) = (Duration::from_millis(*start_ms), Duration::from_millis(*think));
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(start).await;
                while taken.fetch_add(1, Ordering::SeqCst) < total {
                    let sent = Instant::now();
                    let admission = admit(&client, &rule, None).await;
                    let answered = Instant::now();
                    assert!(admission.booked, "no limit was given: every admission books");
                    seen.lock().unwrap().push(Seen {
                        earliest: sent + admission.wait,
                        latest: answered + admission.wait,
                        at_micros: admission.at_micros,
                    });
                    tokio::time::sleep(admission.wait + think).await;
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    seen
}

/// `requests + 1` admissions that lie within one period whatever the round trips were, if any.
fn surely_over(seen: &[Seen], requests: usize, period: Duration) -> Option<Vec<Seen>> {
    let mut by_earliest = seen.to_vec();
    by_earliest.sort_by_key(|s| s.earliest);
    for (i, first) in by_earliest.iter().enumerate() {
        let mut later: Vec<Seen> = by_earliest[i + 1..].to_vec();
        later.sort_by_key(|s| s.latest);
        let Some(last) = later.get(requests - 1) else { continue };
        let span_end = first.latest.max(last.latest);
        if span_end < first.earliest + period {
            let mut group = vec![*first];
            group.extend_from_slice(&later[..requests]);
            return Some(group);
        }
    }
    None
}

/// The most slots in any half-open window of `window_micros` (server clock).
fn most_in_window(slots: &[u64], window_micros: u64) -> usize {
    let mut slots = slots.to_vec();
    slots.sort_unstable();
    (0..slots.len())
        .map(|i| slots[i..].iter().take_while(|t| **t < slots[i] + window_micros).count())
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(CASES),
        max_shrink_iters: 0,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    fn shared_clients_never_exceed_the_limit_and_keep_its_rate(case in cases()) {
        let url = redis_url();
        let requests = case.requests as usize;
        // About two periods of saturation after the burst.
        let total = 3 * requests + case.burst as usize;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let seen = runtime.block_on(run(&url, &case, total));
        prop_assert_eq!(seen.len(), total);

        let over = surely_over(&seen, requests, case.period);
        prop_assert!(over.is_none(), "{} admissions within one period on the client's clock: {:?}", requests + 1, over);

        let slots: Vec<u64> = seen.iter().map(|s| s.at_micros).collect();
        let period_micros = case.period.as_micros() as u64;
        let most = most_in_window(&slots, period_micros);
        prop_assert!(most <= requests, "{} slots in one period on the server's clock", most);

        let span = slots.iter().max().unwrap() - slots.iter().min().unwrap();
        // The burst goes at once; the rest at `requests / period` at best.
        let rate = (total - case.burst as usize) as f64 / (span.max(1) as f64 / 1e6);
        let limit = case.requests as f64 / case.period.as_secs_f64();
        prop_assert!(rate >= 0.6 * limit, "sustained {:.1}/s, limit {:.1}/s", rate, limit);
    }
}

/// The checker itself: a group inside one period is found only when no round trip can explain it.
#[test]
fn surely_over_needs_the_whole_bracket_inside_one_period() {
    let t0 = Instant::now();
    let at = |ms: u64, rtt: u64| Seen {
        earliest: t0 + Duration::from_millis(ms),
        latest: t0 + Duration::from_millis(ms + rtt),
        at_micros: ms * 1000,
    };
    let period = Duration::from_millis(100);
    // Three admissions 40 ms apart: within 100 ms for a limit of 2.
    assert!(surely_over(&[at(0, 1), at(40, 1), at(80, 1)], 2, period).is_some());
    // The same with round trips long enough that the last may have been 100 ms after the first.
    assert!(surely_over(&[at(0, 1), at(40, 1), at(80, 20)], 2, period).is_none());
    // Spread over more than a period, or within the limit: nothing.
    assert!(surely_over(&[at(0, 1), at(60, 1), at(120, 1)], 2, period).is_none());
    assert!(surely_over(&[at(0, 1), at(40, 1)], 2, period).is_none());
    assert_eq!(most_in_window(&[0, 50_000, 99_999, 100_000], 100_000), 3);
}
