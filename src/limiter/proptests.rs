//! Property test of the local limiter on tokio's paused clock (arrival times are exact): for random
//! `(requests, period, burst)` — requests 1..=1000, periods of whole milliseconds from 1 ms to about
//! 2.8 h, burst 1..=requests — and random arrival patterns, never more than `requests` callers start
//! in any window of `period`, and under saturation the sustained rate is at least 95 % of
//! `requests / period`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use crate::Quota;

use super::{Limiter, LimiterConfig};

/// Cases per run (`PROPTEST_CASES` overrides it).
const CASES: u32 = 256;

#[derive(Debug, Clone)]
struct Case {
    requests: u32,
    period: Duration,
    burst: u32,
    /// Phase 1: after a gap (per mille of the period), this many callers arrive at once.
    arrivals: Vec<(u32, u32)>,
    /// Phase 2: callers in a closed loop (each acquires again as soon as it got a slot).
    saturating_callers: u32,
}

fn cases() -> impl Strategy<Value = Case> {
    // Periods log-uniform over 1 ms ..= 10^7 ms, so short and hour-scale ones are drawn alike.
    (1u32..=1000, 0.0f64..=7.0)
        .prop_flat_map(|(requests, exponent)| {
            let period = Duration::from_millis(10f64.powf(exponent).round().max(1.0) as u64);
            (
                Just(requests),
                Just(period),
                1..=requests,
                proptest::collection::vec((0u32..=2000, 1u32..=60), 0..12),
                1u32..=8,
            )
        })
        .prop_map(|(requests, period, burst, arrivals, saturating_callers)| Case {
            requests,
            period,
            burst,
            arrivals,
            saturating_callers,
        })
}

/// Start times (since the start) of every caller: phase 1, then phase 2.
fn run(case: &Case) -> (Vec<Duration>, Vec<Duration>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    runtime.block_on(async {
        let config = LimiterConfig::new(case.requests, case.period).burst(case.burst);
        let limiter = Arc::new(Limiter::new(&config).unwrap());
        let t0 = Instant::now();
        let record = move |log: Arc<Mutex<Vec<Duration>>>, limiter: Arc<Limiter>| async move {
            limiter.acquire_within(Quota::Shared, None).await.unwrap();
            log.lock().unwrap().push(t0.elapsed());
        };

        let first = Arc::new(Mutex::new(Vec::new()));
        let mut callers = Vec::new();
        for &(gap, count) in &case.arrivals {
            tokio::time::sleep(case.period * gap / 1000).await;
            for _ in 0..count {
                callers.push(tokio::spawn(record(first.clone(), limiter.clone())));
            }
        }
        for caller in callers {
            caller.await.unwrap();
        }
        // Idle for two periods (more than the window and margin): phase 2 starts from a rested bucket.
        tokio::time::sleep(case.period * 2).await;

        let second = Arc::new(Mutex::new(Vec::new()));
        let wanted = 3 * case.requests + 1;
        let started = Arc::new(AtomicU32::new(0));
        let loops: Vec<_> = (0..case.saturating_callers)
            .map(|_| {
                let (second, limiter, started) = (second.clone(), limiter.clone(), started.clone());
                tokio::spawn(async move {
                    while started.fetch_add(1, Ordering::SeqCst) < wanted {
                        record(second.clone(), limiter.clone()).await;
                    }
                })
            })
            .collect();
        for caller in loops {
            caller.await.unwrap();
        }
        let take = |log: Arc<Mutex<Vec<Duration>>>| std::mem::take(&mut *log.lock().unwrap());
        (take(first), take(second))
    })
}

/// The most start times in any half-open window `[t, t + window)`.
fn max_in_window(sorted: &[Duration], window: Duration) -> usize {
    let mut most = 0;
    let mut j = 0;
    for i in 0..sorted.len() {
        while j < sorted.len() && sorted[j] < sorted[i] + window {
            j += 1;
        }
        most = most.max(j - i);
    }
    most
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn window_bound_and_sustained_rate(case in cases()) {
        let (first, mut second) = run(&case);
        let mut all: Vec<Duration> = first.iter().chain(&second).copied().collect();
        all.sort();
        let most = max_in_window(&all, case.period);
        prop_assert!(most <= case.requests as usize, "{most} starts in one window of {:?}", case.period);

        second.sort();
        prop_assert_eq!(second.len() as u32, 3 * case.requests + 1);
        // 3·requests slots after the first: at the configured rate they take 3 periods.
        let span = second[second.len() - 1] - second[0];
        let rate = 3.0 * case.requests as f64 / span.as_secs_f64();
        let configured = case.requests as f64 / case.period.as_secs_f64();
        prop_assert!(rate >= 0.95 * configured, "sustained {rate:.3}/s < 95 % of {configured:.3}/s (span {span:?})");
    }
}

#[test]
fn the_window_check_catches_an_excess() {
    let ms = Duration::from_millis;
    assert_eq!(max_in_window(&[ms(0), ms(999), ms(1000)], ms(1000)), 2);
    assert_eq!(max_in_window(&[ms(0), ms(0), ms(999)], ms(1000)), 3);
}

/// A case the random search found: an interval of 2.5 ms on tokio's millisecond timer. Each slot the
/// window log pushes to the next tick must not delay every later slot too (it did: 375/s of 400/s).
#[test]
fn an_interval_between_timer_ticks_keeps_the_rate() {
    let case =
        Case { requests: 2, period: Duration::from_millis(5), burst: 1, arrivals: vec![], saturating_callers: 1 };
    let (_, second) = run(&case);
    let span = second[second.len() - 1] - second[0];
    assert_eq!(span, Duration::from_millis(15), "{second:?}");
}
