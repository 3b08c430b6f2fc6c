//! Client-side rate limiter (default 500 requests/minute, Invent's per-IP limit), shared by all clones:
//! a GCRA per bucket that learns from 429s (pause until the server's wait, halve the rate, recover
//! linearly over one period), plus an optional bucket for `create_assistant` (10/hour/org).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::ConfigError;

/// Operation id of the assistant-creation endpoint (its own, much lower server limit).
const CREATE_ASSISTANT: &str = "create_assistant";
/// After a 429 the rate never drops below this fraction of the configured one.
const MIN_RATE: f64 = 1.0 / 16.0;
/// 429s within this window after a slowdown are the same event (requests already in flight when the
/// server started refusing) and halve the rate once, not once each.
const SAME_THROTTLE: Duration = Duration::from_secs(1);

/// Limiter settings. The guarantee: never more than `requests` requests in any window of `period`,
/// with up to `burst` of them sent back to back after an idle spell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimiterConfig {
    /// Requests allowed per `period` (default 500).
    pub requests: u32,
    /// Window of the limit (default 60 s).
    pub period: Duration,
    /// Requests that may go at once after an idle spell (default 10, at most `requests`). A larger
    /// burst lowers the sustained rate: the limiter spaces requests `period / (requests - burst)` apart
    /// (one slot of margin, for clock and latency differences at the server's window edge) so that
    /// burst plus steady flow stay under the limit in any window.
    pub burst: u32,
    /// A second bucket for `create_assistant`: `(count, period)`, e.g. `(10, 1 h)`, Invent's per-org
    /// limit. Off by default: other processes of the org share that quota, so a local bucket cannot be
    /// exact; turn it on when this program is the only one creating assistants.
    pub assistant_creations: Option<(u32, Duration)>,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self { requests: 500, period: Duration::from_secs(60), burst: 10, assistant_creations: None }
    }
}

impl LimiterConfig {
    /// `requests` per `period`, burst `min(10, requests)`.
    pub fn new(requests: u32, period: Duration) -> Self {
        Self { requests, period, burst: requests.clamp(1, 10), assistant_creations: None }
    }
    /// Sets the burst.
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }
    /// Adds the `create_assistant` bucket (Invent: `with_assistant_creations(10, Duration::from_secs(3600))`).
    pub fn with_assistant_creations(mut self, count: u32, period: Duration) -> Self {
        self.assistant_creations = Some((count, period));
        self
    }
}

/// The limiter of one client (all clones share it through `Shared`).
#[derive(Debug)]
pub(crate) struct Limiter {
    main: Bucket,
    assistants: Option<Bucket>,
}

impl Limiter {
    pub(crate) fn new(config: &LimiterConfig) -> Result<Limiter, ConfigError> {
        let main = Bucket::new("limiter", config.requests, config.period, config.burst)?;
        let assistants = match config.assistant_creations {
            Some((count, period)) => Some(Bucket::new("limiter.assistant_creations", count, period, count)?),
            None => None,
        };
        Ok(Limiter { main, assistants })
    }

    /// Waits for a slot in the main bucket.
    #[allow(dead_code)] // the public face of the limiter; the retry loop uses `acquire_within`
    pub(crate) async fn acquire(&self) {
        let _ = self.acquire_within("", None).await;
    }

    /// Waits for a slot for `operation`, unless that wait would exceed `limit`: then nothing is taken
    /// and the wait is returned, so the caller can report it instead of sleeping past a deadline.
    pub(crate) async fn acquire_within(&self, operation: &str, limit: Option<Duration>) -> Result<(), Duration> {
        let until = limit.map(|l| Instant::now() + l);
        // The hour-scale bucket first: when it refuses, no slot of the main bucket is wasted.
        if let Some(bucket) = self.assistant_bucket(operation) {
            bucket.acquire(until).await?;
        }
        self.main.acquire(until).await
    }

    /// A 429 arrived for `operation`: slow down the bucket that limits it. The main bucket pauses
    /// every caller for `wait` only when the retry loop honours that wait (`beyond_cap == false`); a
    /// wait above the cap reads as a quota running out, not as "too fast", so it only cuts the rate.
    /// The assistant bucket takes the full wait, so later creations fail fast instead of asking.
    pub(crate) fn throttled(&self, operation: &str, wait: Option<Duration>, beyond_cap: bool) {
        let now = Instant::now();
        match self.assistant_bucket(operation) {
            Some(bucket) => bucket.throttled(now, wait),
            None => self.main.throttled(now, wait.filter(|_| !beyond_cap)),
        }
    }

    fn assistant_bucket(&self, operation: &str) -> Option<&Bucket> {
        self.assistants.as_ref().filter(|_| operation == CREATE_ASSISTANT)
    }
}

/// One GCRA bucket ("virtual scheduling"): `tat` is when the bucket would be empty again; a request
/// may go at `tat - tolerance`. Callers reserve their slot before sleeping, so N waiting tasks are
/// spaced out rather than woken together.
#[derive(Debug)]
struct Bucket {
    name: &'static str,
    /// Spacing at the full rate.
    interval: Duration,
    /// `(burst - 1) · interval`: how far ahead of `tat` a request may go.
    tolerance: Duration,
    /// Time to climb back to the full rate after a 429.
    recovery: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    tat: Instant,
    /// No request goes before this (the server's last `Retry-After`).
    paused_until: Instant,
    /// When the rate was last cut, and the fraction of the configured rate it was cut to.
    cut: Option<(Instant, f64)>,
}

impl State {
    /// Fraction of the configured rate allowed now: climbs linearly from the cut back to 1.
    fn rate(&self, now: Instant, recovery: Duration) -> f64 {
        match self.cut {
            None => 1.0,
            Some((at, low)) => {
                let progress = (now - at).as_secs_f64() / recovery.as_secs_f64().max(f64::MIN_POSITIVE);
                low + (1.0 - low) * progress.min(1.0)
            }
        }
    }
}

impl Bucket {
    fn new(setting: &'static str, requests: u32, period: Duration, burst: u32) -> Result<Bucket, ConfigError> {
        let invalid = |reason: String| ConfigError::InvalidSetting { setting, reason };
        if requests == 0 || period.is_zero() {
            return Err(invalid("the limit must allow at least one request per non-zero period".into()));
        }
        if burst == 0 || burst > requests {
            return Err(invalid(format!("burst {burst} must be between 1 and the {requests} requests per period")));
        }
        // One slot of margin: exactly `requests` per window drew a 429 at the server's window edge in the
        // goodput benchmark. Round up so integer spacing never lets one request too many into a window.
        let slots = u128::from((requests - burst).max(1));
        let nanos = period.as_nanos().div_ceil(slots);
        let interval = Duration::from_nanos(u64::try_from(nanos).map_err(|_| invalid("period too long".into()))?);
        let now = Instant::now();
        Ok(Bucket {
            name: setting,
            interval,
            tolerance: interval * (burst - 1),
            recovery: period,
            state: Mutex::new(State { tat: now, paused_until: now, cut: None }),
        })
    }

    async fn acquire(&self, until: Option<Instant>) -> Result<(), Duration> {
        loop {
            let now = Instant::now();
            let at = self.reserve(now, until)?;
            if at > now {
                tracing::debug!(bucket = self.name, wait_ms = (at - now).as_millis() as u64, "rate limiter wait");
                tokio::time::sleep_until(at).await;
            }
            // A 429 seen by another task while we slept moves everyone behind the server's wait.
            if self.lock().paused_until <= Instant::now() {
                return Ok(());
            }
        }
    }

    /// Books the next slot and returns when it starts, or the wait if it would end after `until`.
    fn reserve(&self, now: Instant, until: Option<Instant>) -> Result<Instant, Duration> {
        let mut s = self.lock();
        let interval = self.interval.div_f64(s.rate(now, self.recovery));
        let tat = s.tat.max(now);
        let at = tat.checked_sub(self.tolerance).unwrap_or(now).max(now).max(s.paused_until);
        if until.is_some_and(|until| at > until) {
            return Err(at - now);
        }
        s.tat = tat + interval;
        Ok(at)
    }

    fn throttled(&self, now: Instant, wait: Option<Duration>) {
        let mut s = self.lock();
        let resume = now + wait.unwrap_or_default();
        s.paused_until = s.paused_until.max(resume);
        // No burst right after the pause: the server just told us we were too fast.
        s.tat = s.tat.max(resume + self.tolerance);
        let recently_cut = s.cut.is_some_and(|(at, _)| now < at + SAME_THROTTLE);
        if !recently_cut {
            let low = (s.rate(now, self.recovery) / 2.0).max(MIN_RATE);
            s.cut = Some((now, low));
            tracing::info!(
                bucket = self.name,
                rate = low,
                pause_ms = (resume - now).as_millis() as u64,
                "429: slowing down"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked (every update is a single assignment).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, period_ms: u64, burst: u32) -> Limiter {
        Limiter::new(&LimiterConfig::new(requests, Duration::from_millis(period_ms)).with_burst(burst)).unwrap()
    }

    /// Start times of `n` acquisitions by concurrent tasks, relative to the start.
    async fn starts(limiter: std::sync::Arc<Limiter>, op: &'static str, n: usize) -> Vec<Duration> {
        let t0 = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire_within(op, None).await.unwrap();
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
    async fn never_more_than_the_limit_in_any_window() {
        let l = std::sync::Arc::new(limiter(20, 1000, 5));
        let s = starts(l, "list_assistants", 100).await;
        assert_eq!(s.iter().filter(|t| t.is_zero()).count(), 5, "burst of 5");
        // One slot of margin under the limit of 20.
        assert_eq!(max_in_window(&s, Duration::from_secs(1)), 19);
        // 95 requests at 15/s after the burst of 5: about 6.33 s.
        assert!(s[99] > Duration::from_millis(6250) && s[99] < Duration::from_millis(6400), "{:?}", s[99]);
    }

    #[tokio::test(start_paused = true)]
    async fn refuses_waits_beyond_the_limit_without_taking_a_slot() {
        let l = limiter(1, 1000, 1);
        l.acquire().await;
        let wait = l.acquire_within("x", Some(Duration::from_millis(100))).await.unwrap_err();
        assert_eq!(wait, Duration::from_millis(1000));
        // The refused call took nothing: the next one still gets the slot at 1 s.
        let t0 = Instant::now();
        l.acquire().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_for_the_server_wait() {
        let l = limiter(10, 1000, 1); // one request per 100 ms
        l.acquire().await;
        let t0 = Instant::now();
        l.throttled("list_contacts", Some(Duration::from_secs(2)), false);
        l.acquire().await;
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
        // A wait above the cap is not a pause (the caller got its 429 back at once).
        let l = limiter(10, 1000, 1);
        l.throttled("list_contacts", Some(Duration::from_secs(600)), true);
        let t0 = Instant::now();
        l.acquire().await;
        assert!(t0.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_once_then_it_recovers_over_one_period() {
        let l = limiter(11, 10_000, 1); // one per second (one slot of margin), recovery over 10 s
        l.acquire().await; // t = 0, next slot booked for 1 s
        l.throttled("x", None, false);
        l.throttled("x", None, false); // in flight at the same time: the same event, one cut
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
        let l = std::sync::Arc::new(limiter(11, 1000, 1));
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
        l.throttled("x", Some(Duration::from_secs(3)), false);
        assert!(waiter.await.unwrap() >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn assistant_creations_have_their_own_bucket() {
        let config = LimiterConfig::default().with_assistant_creations(2, Duration::from_secs(3600));
        let l = Limiter::new(&config).unwrap();
        let cap = Some(Duration::from_secs(60));
        assert!(l.acquire_within(CREATE_ASSISTANT, cap).await.is_ok());
        assert!(l.acquire_within(CREATE_ASSISTANT, cap).await.is_ok());
        assert_eq!(l.acquire_within(CREATE_ASSISTANT, cap).await, Err(Duration::from_secs(3600)));
        assert!(l.acquire_within("list_assistants", cap).await.is_ok(), "other operations are not held up");
        // Off by default: create_assistant then only uses the main bucket.
        let l = Limiter::new(&LimiterConfig::default()).unwrap();
        for _ in 0..10 {
            assert!(l.acquire_within(CREATE_ASSISTANT, Some(Duration::ZERO)).await.is_ok());
        }
    }

    #[test]
    fn rejects_bad_settings() {
        for config in [
            LimiterConfig::new(0, Duration::from_secs(1)),
            LimiterConfig::new(5, Duration::ZERO),
            LimiterConfig::new(5, Duration::from_secs(1)).with_burst(6),
            LimiterConfig::new(5, Duration::from_secs(1)).with_burst(0),
            LimiterConfig::default().with_assistant_creations(0, Duration::from_secs(1)),
        ] {
            assert!(Limiter::new(&config).is_err(), "{config:?}");
        }
        assert_eq!(LimiterConfig::new(3, Duration::from_secs(1)).burst, 3);
    }
}
