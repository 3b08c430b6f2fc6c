//! One local bucket: a GCRA at the full rate for burst shaping plus the sliding-window log for the
//! hard bound, the pause and rate cut learnt from 429s, and the wait for a booked slot. All times are
//! offsets from the bucket's creation, with saturating arithmetic: `Duration::MAX` means "never", so
//! no setting and no server wait can overflow an `Instant`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::settings::{ceil_ms, Rule};
use super::window::Log;

/// After a 429 the rate never drops below this fraction of the configured one.
pub(crate) const MIN_RATE: f64 = 1.0 / 16.0;
/// 429s within this window after a slowdown are the same event (requests already in flight when the
/// server started refusing) and halve the rate once, not once each.
pub(crate) const SAME_THROTTLE: Duration = Duration::from_secs(1);

/// A bucket of one process. Callers book their slot under the mutex, then sleep until it, so N waiting
/// tasks are spaced out rather than woken together.
#[derive(Debug)]
pub(crate) struct Bucket {
    pub(crate) rule: Rule,
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// GCRA "theoretical arrival time": a request may go at `tat − tolerance`.
    tat: Duration,
    /// No request goes before this (the server's last `Retry-After`).
    paused_until: Duration,
    /// When the rate was last cut, and the fraction of the configured rate it was cut to.
    cut: Option<(Duration, f64)>,
    log: Log,
}

impl State {
    /// Fraction of the configured rate allowed at `now`: climbs linearly from the cut back to 1.
    fn rate(&self, now: Duration, recovery: Duration) -> f64 {
        match self.cut {
            None => 1.0,
            Some((at, low)) => {
                let progress = now.saturating_sub(at).as_secs_f64() / recovery.as_secs_f64().max(f64::MIN_POSITIVE);
                low + (1.0 - low) * progress.min(1.0)
            }
        }
    }

    /// Books the earliest slot allowed by the pause, the GCRA and the window log, or returns the wait
    /// (and books nothing) if that slot is after `until`.
    fn reserve(&mut self, rule: &Rule, now: Duration, until: Option<Duration>) -> Result<Duration, Duration> {
        let tat = self.tat.max(now);
        // The GCRA's own slot (with the pause, which must not be followed by a burst)...
        let scheduled = tat.saturating_sub(rule.tolerance).max(now).max(self.paused_until);
        // ...which the window log may push later: only by the margin and the timer's whole
        // milliseconds, since the GCRA already keeps the rate.
        let at = scheduled.max(self.log.earliest(now, rule.requests, rule.window));
        if until.is_some_and(|until| at > until) {
            return Err(at - now);
        }
        // The schedule advances from its own slot, not from the log's: otherwise every push by a
        // rounded millisecond would be added to all later slots, and with an interval that is not a
        // whole number of milliseconds (2 per 5 ms) the rate would lose one tick in every few slots.
        // The window log still holds the hard bound.
        self.tat = tat.max(scheduled).saturating_add(rule.interval_at(self.rate(now, rule.recovery)));
        // Logged at the millisecond tick the sleeper will wake on (tokio's timer resolution; exact when
        // the bucket was created on a tick, as on the paused clock): a slot booked between ticks is
        // taken at the next one, and the log must not free it one window after the earlier moment.
        self.log.record(ceil_ms(at), rule.requests, rule.window);
        Ok(at)
    }

    /// A 429: pause until `now + wait`, no burst right after it, and halve the rate once per event.
    /// Returns the new rate if it was cut.
    fn throttle(&mut self, rule: &Rule, now: Duration, wait: Option<Duration>) -> Option<f64> {
        let resume = now.saturating_add(wait.unwrap_or_default());
        self.paused_until = self.paused_until.max(resume);
        // The server just told us we were too fast: the next requests are spaced, not a burst.
        self.tat = self.tat.max(resume.saturating_add(rule.tolerance));
        let recently_cut = self.cut.is_some_and(|(at, _)| now < at.saturating_add(SAME_THROTTLE));
        if recently_cut {
            return None;
        }
        let low = (self.rate(now, rule.recovery) / 2.0).max(MIN_RATE);
        self.cut = Some((now, low));
        Some(low)
    }
}

impl Bucket {
    pub(crate) fn new(rule: Rule) -> Bucket {
        Bucket { rule, origin: Instant::now(), state: Mutex::new(State::default()) }
    }

    /// Waits for a slot, unless it is after `until` (`None`: no limit): then nothing is taken and the
    /// wait is returned.
    pub(crate) async fn acquire(&self, until: Option<Instant>) -> Result<(), Duration> {
        let until = until.map(|u| self.offset(u));
        loop {
            let now = self.offset(Instant::now());
            let at = self.lock().reserve(&self.rule, now, until)?;
            if at > now {
                tracing::debug!(bucket = self.rule.setting, wait_ms = millis(at - now), "rate limiter wait");
                self.sleep_until(at).await;
            }
            // A 429 seen by another task while we slept moves everyone behind the server's wait.
            if !self.is_paused() {
                return Ok(());
            }
        }
    }

    /// A 429 for this bucket: pause every caller for `wait`, and cut the rate.
    pub(crate) fn throttled(&self, wait: Option<Duration>) {
        let now = self.offset(Instant::now());
        if let Some(rate) = self.lock().throttle(&self.rule, now, wait) {
            tracing::info!(
                bucket = self.rule.setting,
                rate,
                pause_ms = millis(wait.unwrap_or_default()),
                "429: slowing down"
            );
        }
    }

    /// Another process saw a 429 (the shared state said so): pause for `remaining` from now, without
    /// cutting this process's rate a second time.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn pause_for(&self, remaining: Duration) {
        let until = self.offset(Instant::now()).saturating_add(remaining);
        let mut s = self.lock();
        s.paused_until = s.paused_until.max(until);
    }

    /// Whether a pause is in force now.
    pub(crate) fn is_paused(&self) -> bool {
        self.lock().paused_until > self.offset(Instant::now())
    }

    fn offset(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.origin)
    }

    /// Sleeps until the offset `at`; an offset past what an `Instant` can hold is never reached.
    async fn sleep_until(&self, at: Duration) {
        match self.origin.checked_add(at) {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked (every update is a few assignments of
        // values computed before the first one).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Milliseconds for logs, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(requests: u32, period: Duration, burst: u32) -> Bucket {
        Bucket::new(Rule::new("limiter", "general", requests, period, burst).unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_with_any_wait_without_panicking() {
        for wait in [Duration::MAX, Duration::from_secs(u64::MAX), Duration::from_millis(u64::MAX), Duration::ZERO] {
            let b = bucket(10, Duration::from_secs(1), 5);
            b.throttled(Some(wait));
            b.throttled(Some(wait));
            let limit = Instant::now() + Duration::from_secs(3600);
            let refused = b.acquire(Some(limit)).await;
            if wait.is_zero() {
                assert_eq!(refused, Ok(()));
            } else {
                // The wait comes back as it is (or saturated), nothing panics, nothing is booked.
                assert!(refused.unwrap_err() >= wait.min(Duration::from_secs(u64::MAX / 2)), "{wait:?}");
                assert!(b.is_paused());
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn periods_of_duration_max_allow_requests_then_never_again() {
        let b = bucket(3, Duration::MAX, 3);
        for _ in 0..3 {
            assert_eq!(b.acquire(Some(Instant::now())).await, Ok(()));
        }
        assert_eq!(b.acquire(Some(Instant::now() + Duration::from_secs(1))).await, Err(Duration::MAX));
        // With the largest limit that fits the clock the slot is still out of reach.
        let far = Instant::now().checked_add(Duration::from_secs(86_400 * 365 * 100)).unwrap();
        assert_eq!(b.acquire(Some(far)).await, Err(Duration::MAX));
        b.pause_for(Duration::MAX);
        assert!(b.is_paused());
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_without_a_limit_waits_for_a_slot_that_never_comes() {
        let b = std::sync::Arc::new(bucket(1, Duration::MAX, 1));
        b.acquire(None).await.unwrap();
        let waiter = tokio::spawn({
            let b = b.clone();
            async move { b.acquire(None).await }
        });
        tokio::time::sleep(Duration::from_secs(86_400 * 365)).await;
        assert!(!waiter.is_finished(), "one request per Duration::MAX: the second never goes");
        waiter.abort();
    }

    /// After a cut the rate climbs linearly over the recovery time: halfway, halfway back.
    #[test]
    fn the_rate_climbs_linearly_from_the_cut_to_the_full_rate() {
        let s = State { cut: Some((Duration::from_secs(10), 0.5)), ..State::default() };
        let recovery = Duration::from_secs(8);
        let at = |secs: u64| s.rate(Duration::from_secs(secs), recovery);
        assert_eq!([at(10), at(12), at(14), at(18), at(60)], [0.5, 0.625, 0.75, 1.0, 1.0]);
        assert_eq!(State::default().rate(Duration::from_secs(1), recovery), 1.0, "no cut: the full rate");
    }

    #[test]
    fn the_rate_cut_recovers_even_with_a_period_of_duration_max() {
        let rule = Rule::new("limiter", "general", 2, Duration::MAX, 1).unwrap();
        let mut s = State::default();
        assert_eq!(s.throttle(&rule, Duration::from_secs(5), Some(Duration::MAX)), Some(0.5));
        assert_eq!(s.paused_until, Duration::MAX);
        assert_eq!(s.tat, Duration::MAX);
        assert_eq!(
            s.reserve(&rule, Duration::from_secs(6), Some(Duration::from_secs(7))),
            Err(Duration::MAX - Duration::from_secs(6))
        );
        let r = s.rate(Duration::MAX, rule.recovery);
        assert!((0.5..=1.0).contains(&r), "{r}");
    }
}
