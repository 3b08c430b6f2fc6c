//! The sliding-window log that holds the limiter's hard bound: at most `limit` bookings in any window.
//! Bookings arrive in time order; nearby ones share a group (at most ~1024 groups per window, so a
//! bucket of a million requests per hour still keeps about a thousand entries), and a group counts
//! at its *latest* booking, which only ever delays the next slot (by at most window / 1024).

use std::collections::VecDeque;
use std::time::Duration;

/// Groups per window: bounds memory; each costs at most window / GROUPS of delay to the bookings in it.
const GROUPS: u32 = 1024;

#[derive(Debug, Clone, Copy)]
struct Group {
    first: Duration,
    last: Duration,
    count: u64,
}

/// Bookings (as offsets from the bucket's origin) still needed to place the next one.
#[derive(Debug, Default)]
pub(crate) struct Log {
    groups: VecDeque<Group>,
    /// Bookings in `groups`.
    total: u64,
}

impl Log {
    /// The earliest time (≥ nothing in particular; the caller takes the max with now) at which one
    /// more booking keeps every window of length `window` at `limit` bookings or fewer.
    pub(crate) fn earliest(&mut self, now: Duration, limit: u32, window: Duration) -> Duration {
        self.forget(now, limit, window);
        match self.groups.front() {
            // The front group holds the `limit`-th newest booking; the next may go one window after it.
            Some(front) if self.total >= u64::from(limit) => front.last.saturating_add(window),
            _ => Duration::ZERO,
        }
    }

    /// Records a booking at `at` (not before any earlier booking).
    pub(crate) fn record(&mut self, at: Duration, limit: u32, window: Duration) {
        let resolution = window / GROUPS;
        match self.groups.back_mut() {
            Some(back) if at.saturating_sub(back.first) <= resolution => {
                back.last = back.last.max(at);
                back.count += 1;
            }
            back => {
                let at = back.map_or(at, |b| at.max(b.last));
                self.groups.push_back(Group { first: at, last: at, count: 1 });
            }
        }
        self.total += 1;
        self.forget(Duration::ZERO, limit, window);
    }

    /// Drops groups that no longer matter: every booking in them is out of the window ending at
    /// `now`, or `limit` newer bookings exist (bookings only move forward, so the oldest of those
    /// decides the next slot).
    fn forget(&mut self, now: Duration, limit: u32, window: Duration) {
        while let Some(front) = self.groups.front() {
            let expired = front.last.saturating_add(window) <= now;
            let surplus = self.total - front.count >= u64::from(limit);
            if !(expired || surplus) {
                break;
            }
            self.total -= front.count;
            self.groups.pop_front();
        }
    }

    #[cfg(test)]
    pub(crate) fn groups(&self) -> usize {
        self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Books `n` requests as early as the log allows, from `start`; returns the booked times.
    fn book(log: &mut Log, n: usize, start: Duration, limit: u32, window: Duration) -> Vec<Duration> {
        (0..n)
            .map(|_| {
                let at = log.earliest(start, limit, window).max(start);
                log.record(at, limit, window);
                at
            })
            .collect()
    }

    #[test]
    fn limit_per_window_exactly() {
        let mut log = Log::default();
        let at = book(&mut log, 7, Duration::ZERO, 3, 10 * MS);
        assert_eq!(at, [0, 0, 0, 10, 10, 10, 20].map(|ms| ms * MS));
    }

    #[test]
    fn expired_groups_are_forgotten() {
        let mut log = Log::default();
        book(&mut log, 3, Duration::ZERO, 3, 10 * MS);
        assert_eq!(log.earliest(10 * MS, 3, 10 * MS), Duration::ZERO);
        assert_eq!(log.groups(), 0);
    }

    #[test]
    fn memory_stays_bounded_for_huge_limits() {
        // A million per second, booked one per microsecond for two seconds: ~1024 groups, not a million.
        let (limit, window) = (1_000_000, Duration::from_secs(1));
        let mut log = Log::default();
        for us in 0..2_000_000u64 {
            let now = Duration::from_micros(us);
            let at = log.earliest(now, limit, window).max(now);
            log.record(at, limit, window);
        }
        assert!(log.groups() <= GROUPS as usize + 2, "{}", log.groups());
    }

    #[test]
    fn grouping_only_delays() {
        // Bookings 0.5 ms apart in a 1 s window share groups of ~1 ms; the next slot is never earlier
        // than exactly one window after the booking `limit` back, and at most one resolution later.
        let (limit, window) = (100u32, Duration::from_secs(1));
        let mut log = Log::default();
        let mut times = Vec::new();
        for i in 0..100u64 {
            let at = Duration::from_micros(500 * i);
            log.record(at, limit, window);
            times.push(at);
        }
        let next = log.earliest(times[99], limit, window);
        assert!(next >= times[0] + window && next <= times[0] + window + window / GROUPS, "{next:?}");
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let mut log = Log::default();
        log.record(Duration::MAX, 1, Duration::MAX);
        assert_eq!(log.earliest(Duration::ZERO, 1, Duration::MAX), Duration::MAX);
        log.record(Duration::MAX, 1, Duration::MAX);
        assert_eq!(log.groups(), 1);
    }
}
