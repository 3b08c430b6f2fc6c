//! What a client carries at run time: [`Inner`] (the state progenitor's `Client` holds, per handle) and
//! [`Shared`] (the key, limiter, retry budget and settings every clone shares). Built by `config`, read by
//! the executor and the retry loop.

use std::sync::Arc;
use std::time::Duration;

use crate::client::auth::ApiKey;
use crate::client::org::Org;
use crate::limiter::Limiter;
use crate::retry::backoff::Jitter;
use crate::retry::budget::RetryBudget;
use crate::retry::config::RetryConfig;

/// State shared by every clone of a client: the key, limiter, retry budget and settings.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) api_key: ApiKey,
    /// Path of the base URL (`""` for `https://api.useinvent.com`), where `/orgs/…` starts.
    pub(crate) base_path: String,
    /// The base URL's origin: every answer must come from it (`call::exchange`).
    pub(crate) origin: url::Origin,
    pub(crate) retry: RetryConfig,
    pub(crate) budget: RetryBudget,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) attempt_timeout: Duration,
    pub(crate) deadline: Option<Duration>,
    /// Most bytes of an error or retried response body kept (`body::read_bounded`).
    pub(crate) max_error_body: usize,
    /// Most bytes of a success body read into memory (`body::read_limited`).
    pub(crate) max_body: usize,
    /// Backoff randomness (seeded by `RetryConfig::jitter_seed`).
    pub(crate) jitter: Jitter,
    /// The HTTP/1.1 client WebSocket upgrades go through (feature `events`).
    #[cfg(feature = "events")]
    pub(crate) sockets: crate::client::sockets::SocketSettings,
    /// Drift capture (feature `drift`); `None` when off.
    #[cfg(feature = "drift")]
    pub(crate) drift: Option<crate::drift::Recorder>,
}

/// Per-handle settings: cheap to change on a clone (`for_org`, `with_max_retries`, `with_timeouts`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) max_retries: Option<u32>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) deadline: Option<Option<Duration>>,
}

/// The hand-written state progenitor's `Client` carries (`with_inner_type`). Not constructed directly.
#[derive(Debug, Clone)]
pub struct Inner {
    pub(crate) org: Org,
    /// `org` as it goes into a path (percent-encoded once, not per call); `None` when its id cannot be
    /// one path segment, so org-scoped calls fail (`org::segment_of`).
    pub(crate) org_path: Option<Arc<str>>,
    pub(crate) call: CallOptions,
    pub(crate) shared: Arc<Shared>,
}

impl Inner {
    pub(crate) fn max_retries(&self) -> u32 {
        self.call.max_retries.unwrap_or(self.shared.retry.max_retries)
    }
    pub(crate) fn attempt_timeout(&self) -> Duration {
        self.call.attempt_timeout.unwrap_or(self.shared.attempt_timeout)
    }
    pub(crate) fn deadline(&self) -> Option<Duration> {
        self.call.deadline.unwrap_or(self.shared.deadline)
    }
}
