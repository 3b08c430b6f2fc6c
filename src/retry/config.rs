//! [`RetryConfig`]: the retry policy's settings (retries, backoff steps, the cap on server waits, the
//! retry budget, the jitter seed) and their checks. The loop that applies them is in `retry`.

use std::time::Duration;

use crate::config_error::ConfigError;

/// Largest accepted `max_retries`.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// Retry settings of a client. Build it with [`RetryConfig::default`] and one setter per field
/// (`max_retries`, `base_delay`, `max_delay`, `max_server_wait`, `budget_capacity`, `jitter_seed`; the
/// `with_*` names are deprecated aliases), or [`RetryConfig::disabled`]; the struct is
/// `#[non_exhaustive]`, so it grows without breaking callers, and the fields stay public to read.
/// Which outcomes are retried, and how long the client waits: [guide: retries](crate::guide::retries).
///
/// Any `Duration` is accepted: waits above 30 years (tokio's own limit for a sleep) act as 30 years.
///
/// ```no_run
/// use std::time::Duration;
///
/// use invent_api::{Client, RetryConfig};
///
/// let retry = RetryConfig::default()
///     .max_retries(4)
///     .base_delay(Duration::from_millis(250))
///     .max_server_wait(Duration::from_secs(120));
/// assert_eq!(retry.max_retries, 4);
/// let client = Client::builder().api_key("sk_…").retry(retry).build()?;
/// // Retries off, e.g. behind a gateway that retries by itself:
/// let once = Client::builder().api_key("sk_…").retry(RetryConfig::disabled()).build()?;
/// # let _ = (client, once);
/// # Ok::<(), invent_api::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Retries after the first attempt (default 2, at most 10).
    pub max_retries: u32,
    /// First backoff step when the server gives no wait (default 0.5 s).
    pub base_delay: Duration,
    /// Largest backoff step (default 8 s).
    pub max_delay: Duration,
    /// A server-requested wait above this is not waited out; the 429 is returned at once (default 60 s).
    /// The client's own limiter follows the same cap.
    pub max_server_wait: Duration,
    /// Retry budget tokens shared by clones of a client (default 500; a retry costs 5, a retry after a
    /// timeout 10, a first-attempt success gives 1 back). 0 turns the budget off.
    pub budget_capacity: u32,
    /// Seed of the backoff jitter (default `None`: the thread's RNG). With a seed, a client's backoff
    /// waits are reproducible, for tests and simulations; do not give many production clients the
    /// same seed, or their retries line up again.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_server_wait: Duration::from_secs(60),
            budget_capacity: 500,
            jitter_seed: None,
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        Self::default().max_retries(0)
    }
    /// Sets [`RetryConfig::max_retries`] (0..=[`MAX_RETRIES_LIMIT`]; more is an error when the client
    /// is built, never a silent cap).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }
    /// Sets [`RetryConfig::base_delay`] (at most `max_delay`, checked when the client is built).
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }
    /// Sets [`RetryConfig::max_delay`].
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }
    /// Sets [`RetryConfig::max_server_wait`] (`Duration::MAX`: honour any wait up to 30 years).
    pub fn max_server_wait(mut self, wait: Duration) -> Self {
        self.max_server_wait = wait;
        self
    }
    /// Sets [`RetryConfig::budget_capacity`] (0 turns the budget off).
    pub fn budget_capacity(mut self, tokens: u32) -> Self {
        self.budget_capacity = tokens;
        self
    }
    /// Sets [`RetryConfig::jitter_seed`]: reproducible backoff waits.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Old name of [`RetryConfig::max_retries`].
    #[deprecated(note = "use `RetryConfig::max_retries`")]
    pub fn with_max_retries(self, retries: u32) -> Self {
        self.max_retries(retries)
    }
    /// Old name of [`RetryConfig::base_delay`].
    #[deprecated(note = "use `RetryConfig::base_delay`")]
    pub fn with_base_delay(self, delay: Duration) -> Self {
        self.base_delay(delay)
    }
    /// Old name of [`RetryConfig::max_delay`].
    #[deprecated(note = "use `RetryConfig::max_delay`")]
    pub fn with_max_delay(self, delay: Duration) -> Self {
        self.max_delay(delay)
    }
    /// Old name of [`RetryConfig::max_server_wait`].
    #[deprecated(note = "use `RetryConfig::max_server_wait`")]
    pub fn with_max_server_wait(self, wait: Duration) -> Self {
        self.max_server_wait(wait)
    }
    /// Old name of [`RetryConfig::budget_capacity`].
    #[deprecated(note = "use `RetryConfig::budget_capacity`")]
    pub fn with_budget_capacity(self, tokens: u32) -> Self {
        self.budget_capacity(tokens)
    }
    /// Old name of [`RetryConfig::jitter_seed`].
    #[deprecated(note = "use `RetryConfig::jitter_seed`")]
    pub fn with_jitter_seed(self, seed: u64) -> Self {
        self.jitter_seed(seed)
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting, reason| Err(ConfigError::InvalidSetting { setting, reason });
        check_max_retries(self.max_retries)?;
        if self.base_delay > self.max_delay {
            return invalid("base_delay", format!("{:?} is above max_delay {:?}", self.base_delay, self.max_delay));
        }
        Ok(())
    }
}

/// A retry count above [`MAX_RETRIES_LIMIT`] is an error wherever it is set (the builder, a
/// [`RetryConfig`], `Client::with_max_retries`), never a silent cap.
pub(crate) fn check_max_retries(retries: u32) -> Result<(), ConfigError> {
    if retries > MAX_RETRIES_LIMIT {
        return Err(ConfigError::InvalidSetting {
            setting: "max_retries",
            reason: format!("{retries} is above the limit of {MAX_RETRIES_LIMIT}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        assert!(RetryConfig::default().validate().is_ok());
        assert!(RetryConfig::default().max_retries(11).validate().is_err());
        assert!(RetryConfig::default().base_delay(Duration::from_secs(9)).validate().is_err());
        let extreme = RetryConfig::default()
            .base_delay(Duration::MAX)
            .max_delay(Duration::MAX)
            .max_server_wait(Duration::MAX)
            .budget_capacity(u32::MAX);
        assert!(extreme.validate().is_ok(), "any Duration is accepted");
    }

    #[test]
    fn setters_set_one_field_each() {
        let base = RetryConfig::default();
        let s = Duration::from_secs(3);
        assert_eq!(base.clone().max_retries(7), RetryConfig { max_retries: 7, ..base.clone() });
        assert_eq!(base.clone().base_delay(s), RetryConfig { base_delay: s, ..base.clone() });
        assert_eq!(base.clone().max_delay(s), RetryConfig { max_delay: s, ..base.clone() });
        assert_eq!(base.clone().max_server_wait(s), RetryConfig { max_server_wait: s, ..base.clone() });
        assert_eq!(base.clone().budget_capacity(9), RetryConfig { budget_capacity: 9, ..base.clone() });
        assert_eq!(base.clone().jitter_seed(4), RetryConfig { jitter_seed: Some(4), ..base.clone() });
        assert_eq!(RetryConfig::disabled().max_retries, 0);
    }

    #[test]
    #[allow(deprecated)]
    fn the_old_with_names_still_set_the_same_field() {
        let base = RetryConfig::default();
        let s = Duration::from_secs(3);
        assert_eq!(base.clone().with_max_retries(7), base.clone().max_retries(7));
        assert_eq!(base.clone().with_base_delay(s), base.clone().base_delay(s));
        assert_eq!(base.clone().with_max_delay(s), base.clone().max_delay(s));
        assert_eq!(base.clone().with_max_server_wait(s), base.clone().max_server_wait(s));
        assert_eq!(base.clone().with_budget_capacity(9), base.clone().budget_capacity(9));
        assert_eq!(base.clone().with_jitter_seed(4), base.clone().jitter_seed(4));
    }
}
