//! Client-side rate limiter (default 500 requests/minute, Invent's per-IP limit), shared by all clones
//! of a client: which buckets a call draws from ([`Quota`]), and the backends — local buckets, or
//! (feature `redis`) buckets shared by every process using the same Redis and key prefix.
//!
//! Why a GCRA *plus* a sliding-window log: a GCRA alone with burst `b` lets `requests + b − 1` through
//! in some window of `period` (the burst, then the steady flow), so keeping it under the limit means
//! spacing requests `period / (requests − b + 1)` apart — half the configured rate when the burst is
//! half the limit, one per period when `burst == requests`. Here the GCRA runs at the full rate
//! (`period / requests`) and only shapes bursts; the window log (`window.rs`) holds the exact bound
//! (never more than `requests` in any window of `period` plus a small skew margin, see
//! `settings::skew_margin`). Sustained rate: `requests` per `period + margin`, ≥ 97.9 %.

mod bucket;
mod settings;
mod window;

#[cfg(feature = "redis")]
mod link;
#[cfg(feature = "redis")]
mod shared;

#[cfg(test)]
mod proptests;

use std::time::Duration;

use tokio::time::Instant;

use crate::config_error::ConfigError;
use crate::operation::Quota;
use bucket::Bucket;
use settings::Rule;

pub use settings::LimiterConfig;
#[cfg(feature = "redis")]
pub use settings::SharedRedis;

/// The limiter of one client (all clones share it through `Shared`).
#[derive(Debug)]
pub(crate) struct Limiter {
    general: Bucket,
    assistants: Option<Bucket>,
    #[cfg(feature = "redis")]
    shared: Option<std::sync::Arc<shared::SharedBuckets>>,
}

impl Limiter {
    pub(crate) fn new(config: &LimiterConfig) -> Result<Limiter, ConfigError> {
        let general = Bucket::new(Rule::new("limiter", "general", config.requests, config.period, config.burst)?);
        let assistants = match config.assistant_creations {
            Some((count, period)) => Some(Bucket::new(Rule::new(
                "limiter.assistant_creations",
                "assistant_creations",
                count,
                period,
                count,
            )?)),
            None => None,
        };
        Ok(Limiter {
            general,
            assistants,
            #[cfg(feature = "redis")]
            shared: match &config.shared {
                Some(settings) => Some(std::sync::Arc::new(shared::SharedBuckets::new(settings)?)),
                None => None,
            },
        })
    }

    /// Waits for a slot in the main bucket (the tests' shorthand; calls go through `acquire_within`).
    #[cfg(test)]
    pub(crate) async fn acquire(&self) {
        let _ = self.acquire_within(Quota::Shared, None).await;
    }

    /// Waits for a slot in the buckets of `quota`, unless that wait would exceed `limit`: then nothing
    /// is taken and the wait is returned, so the caller can report it instead of sleeping past a
    /// deadline.
    pub(crate) async fn acquire_within(&self, quota: Quota, limit: Option<Duration>) -> Result<(), Duration> {
        // A limit too large for the clock is no limit.
        let until = limit.and_then(|l| Instant::now().checked_add(l));
        // The hour-scale bucket first: when it refuses, no slot of the main bucket is wasted.
        for bucket in self.buckets(quota) {
            #[cfg(feature = "redis")]
            if let Some(shared) = &self.shared {
                // Boxed: redis's futures nest deep enough that, inlined into every caller's future,
                // computing their layout overflows rustc's query depth in user crates.
                let admission: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>> =
                    Box::pin(shared.acquire(bucket, until));
                if let Some(admitted) = admission.await {
                    admitted?;
                    continue;
                }
                // None: Redis is unusable, this bucket's local twin decides (policy in `link.rs`).
            }
            bucket.acquire(until).await?;
        }
        Ok(())
    }

    /// A 429 arrived for `operation`: slow down the bucket that limits it. The main bucket pauses
    /// every caller for `wait` only when the retry loop honours that wait (`beyond_cap == false`); a
    /// wait above the cap reads as a quota running out, not as "too fast", so it only cuts the rate.
    /// The assistant bucket takes the full wait, so later creations fail fast instead of asking.
    pub(crate) fn throttled(&self, quota: Quota, wait: Option<Duration>, beyond_cap: bool) {
        let (bucket, wait) = match self.assistant_bucket(quota) {
            Some(bucket) => (bucket, wait),
            None => (&self.general, wait.filter(|_| !beyond_cap)),
        };
        bucket.throttled(wait);
        #[cfg(feature = "redis")]
        if let Some(shared) = &self.shared {
            shared::SharedBuckets::throttled(shared, bucket, wait);
        }
    }

    /// The buckets a call of `quota` draws from, the scarcest first.
    fn buckets(&self, quota: Quota) -> impl Iterator<Item = &Bucket> {
        self.assistant_bucket(quota).into_iter().chain(std::iter::once(&self.general))
    }

    fn assistant_bucket(&self, quota: Quota) -> Option<&Bucket> {
        self.assistants.as_ref().filter(|_| quota == Quota::AssistantCreations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, period_ms: u64, burst: u32) -> Limiter {
        Limiter::new(&LimiterConfig::new(requests, Duration::from_millis(period_ms)).burst(burst)).unwrap()
    }

    /// Start times of `n` acquisitions by concurrent tasks, relative to the start.
    async fn starts(limiter: std::sync::Arc<Limiter>, quota: Quota, n: usize) -> Vec<Duration> {
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire_within(quota, None).await.unwrap();
                    t0.elapsed()
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out.sort();
        out
    }

    fn max_in_window(starts: &[Duration], window: Duration) -> usize {
        (0..starts.len())
            .map(|i| starts[i..].iter().take_while(|t| **t < starts[i] + window).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_window_at_the_full_rate() {
        let l = std::sync::Arc::new(limiter(20, 1000, 5));
        let s = starts(l, Quota::Shared, 100).await;
        assert_eq!(s.iter().filter(|t| t.is_zero()).count(), 5, "burst of 5");
        assert_eq!(max_in_window(&s, Duration::from_secs(1)), 20);
        // 20 per 1.02 s window (1 s + 20 ms margin): the 100th starts in the fifth window, at 4.08 s
        // plus the GCRA's spacing after that window's burst (15 × 50 ms).
        assert_eq!(s[99], Duration::from_millis(4080 + 750));
        // The old spacing, period / (requests − burst), needed 6.33 s for the same 100.
    }

    #[tokio::test(start_paused = true)]
    async fn burst_equal_to_the_limit_gets_the_full_limit_every_window() {
        let l = std::sync::Arc::new(limiter(10, 1000, 10));
        let s = starts(l, Quota::Shared, 30).await;
        assert_eq!(s[..10], [Duration::ZERO; 10]);
        assert_eq!(s[10..20], [Duration::from_millis(1020); 10]);
        assert_eq!(s[20..], [Duration::from_millis(2040); 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn refuses_waits_beyond_the_limit_without_taking_a_slot() {
        let l = limiter(1, 1000, 1);
        l.acquire().await;
        let wait = l.acquire_within(Quota::Shared, Some(Duration::from_millis(100))).await.unwrap_err();
        assert_eq!(wait, Duration::from_millis(1020));
        // The refused call took nothing: the next one still gets the slot at 1.02 s.
        let t0 = Instant::now();
        l.acquire().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(1020));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_for_the_server_wait() {
        let l = limiter(10, 1000, 1); // one request per 100 ms
        l.acquire().await;
        let t0 = Instant::now();
        l.throttled(Quota::Shared, Some(Duration::from_secs(2)), false);
        l.acquire().await;
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        // A wait above the cap is not a pause (the caller got its 429 back at once).
        let l = limiter(10, 1000, 1);
        l.throttled(Quota::Shared, Some(Duration::from_secs(600)), true);
        let t0 = Instant::now();
        l.acquire().await;
        assert!(t0.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_once_then_it_recovers_over_one_period() {
        let l = limiter(10, 10_000, 1); // one per second, recovery over 10 s
        l.acquire().await; // t = 0, next slot booked for 1 s
        l.throttled(Quota::Shared, None, false);
        l.throttled(Quota::Shared, None, false); // in flight at the same time: the same event, one cut
        let t0 = Instant::now();
        l.acquire().await; // 1 s, and the next slot is booked at the halved rate: 2 s later
        l.acquire().await;
        let elapsed = t0.elapsed();
        assert!(elapsed >= Duration::from_millis(2900) && elapsed < Duration::from_millis(3100), "{elapsed:?}");
        tokio::time::sleep(Duration::from_secs(20)).await;
        let t1 = Instant::now();
        l.acquire().await;
        l.acquire().await;
        assert_eq!(t1.elapsed(), Duration::from_secs(1), "full rate again after one period");
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleeping_caller_respects_a_pause_that_started_after_it_booked() {
        let l = std::sync::Arc::new(limiter(10, 1000, 1));
        l.acquire().await; // next slot at 100 ms
        let waiter = tokio::spawn({
            let l = l.clone();
            async move {
                let t0 = Instant::now();
                l.acquire().await;
                t0.elapsed()
            }
        });
        tokio::task::yield_now().await;
        l.throttled(Quota::Shared, Some(Duration::from_secs(3)), false);
        assert!(waiter.await.unwrap() >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn assistant_creations_get_their_full_count_in_every_window() {
        let config = LimiterConfig::default().assistant_creations(3, Duration::from_secs(3600));
        let l = Limiter::new(&config).unwrap();
        let cap = Some(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.acquire_within(Quota::AssistantCreations, cap).await.is_ok());
        }
        // 3600 s + the 1 s margin after the first three, not one more per hour.
        assert_eq!(l.acquire_within(Quota::AssistantCreations, cap).await, Err(Duration::from_secs(3601)));
        assert!(l.acquire_within(Quota::Shared, cap).await.is_ok(), "other operations are not held up");
        tokio::time::sleep(Duration::from_secs(3601)).await;
        for _ in 0..3 {
            assert!(l.acquire_within(Quota::AssistantCreations, Some(Duration::ZERO)).await.is_ok(), "three again");
        }
        assert!(l.acquire_within(Quota::AssistantCreations, Some(Duration::ZERO)).await.is_err());
        // Off by default: create_assistant then only uses the main bucket.
        let l = Limiter::new(&LimiterConfig::default()).unwrap();
        for _ in 0..10 {
            assert!(l.acquire_within(Quota::AssistantCreations, Some(Duration::ZERO)).await.is_ok());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_on_a_creation_pauses_only_creations_even_beyond_the_cap() {
        let config = LimiterConfig::default().assistant_creations(10, Duration::from_secs(3600));
        let l = Limiter::new(&config).unwrap();
        l.throttled(Quota::AssistantCreations, Some(Duration::from_secs(u64::MAX)), true);
        let refused = l.acquire_within(Quota::AssistantCreations, Some(Duration::from_secs(60))).await.unwrap_err();
        assert!(refused >= Duration::from_secs(u64::MAX / 2), "{refused:?}");
        assert!(l.acquire_within(Quota::Shared, Some(Duration::ZERO)).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn limits_of_any_size_never_panic() {
        let l = limiter(10, 1000, 10);
        for limit in [Some(Duration::MAX), Some(Duration::from_secs(u64::MAX)), Some(Duration::ZERO), None] {
            assert_eq!(l.acquire_within(Quota::Shared, limit).await, Ok(()), "{limit:?}");
        }
        let l = Limiter::new(&LimiterConfig::new(1, Duration::MAX)).unwrap();
        assert_eq!(l.acquire_within(Quota::Shared, Some(Duration::MAX)).await, Ok(()));
        assert_eq!(l.acquire_within(Quota::Shared, Some(Duration::from_secs(1))).await, Err(Duration::MAX));
        l.throttled(Quota::Shared, Some(Duration::MAX), false);
        l.throttled(Quota::Shared, Some(Duration::MAX), true);
    }

    #[test]
    fn rejects_bad_settings() {
        for config in [
            LimiterConfig::new(0, Duration::from_secs(1)),
            LimiterConfig::new(5, Duration::ZERO),
            LimiterConfig::new(5, Duration::from_secs(1)).burst(6),
            LimiterConfig::new(5, Duration::from_secs(1)).burst(0),
            LimiterConfig::default().assistant_creations(0, Duration::from_secs(1)),
        ] {
            assert!(Limiter::new(&config).is_err(), "{config:?}");
        }
        assert_eq!(LimiterConfig::new(3, Duration::from_secs(1)).burst, 3);
    }
}
