//! The retry budget: a token bucket shared by all clones of a client (it lives in `Shared`), so a
//! failing server is not hammered by retries from many tasks at once. Numbers follow smithy-rs'
//! standard retry quota: capacity 500, a retry costs 5, a retry after a timeout costs 10.

use std::sync::atomic::{AtomicU32, Ordering};

/// Tokens a retry costs.
pub(crate) const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout costs: a timed-out attempt held a connection for the whole
/// attempt timeout, so retrying it is the most expensive thing we can do to a struggling server.
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a call that succeeds at the first attempt gives back, so the budget refills as the server
/// recovers (a healthy call, not time, is the evidence).
pub(crate) const SUCCESS_REWARD: u32 = 1;

/// A token bucket: retries spend, healthy answers refill. Capacity 0 turns the budget off.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: AtomicU32,
}

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self { capacity, tokens: AtomicU32::new(capacity) }
    }

    /// Takes `cost` tokens if there are that many; `false` means "do not retry".
    pub(crate) fn try_spend(&self, cost: u32) -> bool {
        if self.capacity == 0 {
            return true;
        }
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).is_ok()
    }

    /// Gives tokens back, never above capacity.
    pub(crate) fn refund(&self, amount: u32) {
        if self.capacity == 0 || amount == 0 {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| Some(t.saturating_add(amount).min(self.capacity)));
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_refunds_and_caps() {
        let budget = RetryBudget::new(12);
        assert!(budget.try_spend(RETRY_COST));
        assert!(budget.try_spend(RETRY_COST));
        assert!(!budget.try_spend(RETRY_COST), "2 tokens left");
        assert_eq!(budget.available(), 2);
        budget.refund(100);
        assert_eq!(budget.available(), 12);
        assert!(!budget.try_spend(13));
    }

    #[test]
    fn zero_capacity_is_unlimited() {
        let budget = RetryBudget::new(0);
        assert!((0..1000).all(|_| budget.try_spend(TIMEOUT_RETRY_COST)));
    }
}
