//! [`RetryStop`]: why the retry loop stopped before its retries were used up, kept in errors; its
//! `Display` is the note error messages show.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::retry::backoff::secs;

/// Why the retry loop stopped before `max_retries` was used up. `Display` gives the note that
/// error messages show ("retry budget exhausted", …). Found in [`crate::ApiError::stopped`] and
/// `Error::Transport { stopped, .. }`; the decision table is in [the retries guide](crate::guide::retries).
///
/// ```
/// use std::time::Duration;
///
/// use invent_api::{AttemptFailure, RetryStop};
///
/// assert_eq!(RetryStop::BudgetExhausted.to_string(), "retry budget exhausted");
/// // A POST that met a 503 is never sent again: the server may have acted on it.
/// let stop = RetryStop::NotIdempotent {
///     method: reqwest::Method::POST,
///     after: AttemptFailure::Status(reqwest::StatusCode::SERVICE_UNAVAILABLE),
/// };
/// assert!(stop.to_string().starts_with("not retried after 503 Service Unavailable: POST is not idempotent"));
/// let wait = RetryStop::ServerWaitAboveCap { wait: Duration::from_secs(120), cap: Duration::from_secs(60) };
/// assert_eq!(wait.to_string(), "server asked to wait 120s, above the 60s cap");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryStop {
    /// The client's retry budget (shared by its clones) had too few tokens for another retry.
    BudgetExhausted,
    /// The attempt ended in a way the server may have acted on, and `method` is not idempotent, so
    /// sending it again could do the work twice.
    NotIdempotent {
        /// The request's method (POST, PATCH).
        method: Method,
        /// How the attempt ended.
        after: AttemptFailure,
    },
    /// The request body is a stream and cannot be sent again.
    BodyNotReplayable,
    /// The next attempt, after `wait`, would start past the call's `deadline`.
    DeadlineWouldPass {
        /// The wait before the next attempt.
        wait: Duration,
        /// The call's deadline.
        deadline: Duration,
    },
    /// The call's `deadline` passed before the next attempt could start.
    DeadlineReached {
        /// The call's deadline.
        deadline: Duration,
    },
    /// The server asked to wait `wait`, longer than `cap` ([`crate::RetryConfig::max_server_wait`]).
    ServerWaitAboveCap {
        /// The wait the server asked for.
        wait: Duration,
        /// The cap in force.
        cap: Duration,
    },
    /// The client's own limiter has no slot for `wait`, longer than the call may wait.
    ClientRateLimited {
        /// How long until the limiter's next slot.
        wait: Duration,
        /// What bounded the wait.
        limit: WaitLimit,
    },
}

/// How an attempt failed, in a [`RetryStop::NotIdempotent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptFailure {
    /// The server (or a proxy) answered with this status (408, 502, 503, 504).
    Status(StatusCode),
    /// The attempt timed out after the request may have been sent.
    Timeout,
    /// The connection dropped before a complete response.
    ConnectionDropped,
}

/// What bounded a wait for the limiter, in a [`RetryStop::ClientRateLimited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitLimit {
    /// [`crate::RetryConfig::max_server_wait`] (as applied: at most 30 years).
    Cap(Duration),
    /// The call's deadline (as configured; the wait was longer than the time left).
    Deadline(Duration),
}

impl fmt::Display for AttemptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailure::Status(status) => write!(f, "{status}"),
            AttemptFailure::Timeout => f.write_str("a timeout"),
            AttemptFailure::ConnectionDropped => f.write_str("the connection dropped"),
        }
    }
}

impl fmt::Display for RetryStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryStop::BudgetExhausted => f.write_str("retry budget exhausted"),
            RetryStop::NotIdempotent { method, after } => {
                write!(f, "not retried after {after}: {method} is not idempotent and the server may have acted on it")
            }
            RetryStop::BodyNotReplayable => f.write_str("not retried: request body is a stream and cannot be replayed"),
            RetryStop::DeadlineWouldPass { wait, deadline } => write!(
                f,
                "not retried: the next attempt (after {}) would pass the call's {} deadline",
                secs(*wait),
                secs(*deadline)
            ),
            RetryStop::DeadlineReached { deadline } => write!(f, "the call's {} deadline was reached", secs(*deadline)),
            RetryStop::ServerWaitAboveCap { wait, cap } => {
                write!(f, "server asked to wait {}, above the {} cap", secs(*wait), secs(*cap))
            }
            RetryStop::ClientRateLimited { wait, limit } => {
                write!(f, "client-side rate limit: the next request slot is in {}, ", secs(*wait))?;
                match limit {
                    WaitLimit::Cap(cap) => write!(f, "above the {} cap", secs(*cap)),
                    WaitLimit::Deadline(deadline) => write!(f, "past the call's {} deadline", secs(*deadline)),
                }
            }
        }
    }
}
