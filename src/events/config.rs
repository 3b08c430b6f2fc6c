//! Settings of an event stream: reconnect backoff, keepalive, buffer and message limits.

use std::time::Duration;

use crate::ConfigError;

/// How an event stream connects, notices a dead socket, reconnects and buffers. Start from
/// [`EventsConfig::default`] and change what you need with one setter per field (`backoff`,
/// `max_reconnects`, `buffer`, …; the `with_*` names are deprecated aliases); give it to
/// [`Client::events_with`](crate::Client::events_with), which checks it first.
///
/// ```no_run
/// use std::time::Duration;
///
/// use invent_api::events::{EventsConfig, Feed};
///
/// # fn run(client: invent_api::Client) -> Result<(), invent_api::ConfigError> {
/// let config = EventsConfig::default()
///     .backoff(Duration::from_millis(200), Duration::from_secs(10))
///     .max_reconnects(20) // then the stream ends with EventError::GaveUp
///     .buffer(1024);
/// let events = client.events_with(Feed::Inbox, config)?;
/// # drop(events);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventsConfig {
    /// First backoff step (default 0.5 s). The wait before the n-th reconnection in a row is a uniform
    /// draw from `[0, min(backoff_base · 2^(n-1), backoff_cap))` (full jitter).
    pub backoff_base: Duration,
    /// Largest backoff step (default 30 s). Also caps a server's `Retry-After` on a 429 upgrade.
    pub backoff_cap: Duration,
    /// Failed attempts in a row before the stream gives up with [`super::EventError::GaveUp`]: `None`
    /// (the default) never gives up; `Some(0)` ends the stream at the first failure.
    pub max_reconnects: Option<u32>,
    /// A connection that stayed up this long resets the backoff (default 30 s). A server that accepts
    /// and then drops every connection at once is backed off like one that refuses.
    pub stable_after: Duration,
    /// Send a ping after this long without any frame from the server (default 20 s).
    pub ping_interval: Duration,
    /// No frame at all (event, ping or pong) for this long: the connection is presumed dead (dropped
    /// TCP, a silent proxy) and replaced (default 60 s; `Duration::MAX` turns detection off).
    pub idle_timeout: Duration,
    /// The upgrade, from sending the request to the `101` (default 15 s).
    pub handshake_timeout: Duration,
    /// Events held for a slow consumer (default 256). When it is full, newer events are dropped and
    /// counted, and a [`super::ChatEvent::Gap`] says how many before the next event.
    pub buffer: usize,
    /// Largest message accepted (default 4 MiB); a larger one ends the connection (and is reconnected).
    pub max_message_bytes: usize,
    /// Bytes of events (their frames' payloads) held for a slow consumer (default 16 MiB), beside the
    /// count: when an event would take the buffer past it, it is dropped and counted like an event
    /// that found the buffer full. An event always fits an empty buffer, so the buffer holds at most
    /// `max(buffer_bytes, max_message_bytes)`.
    pub buffer_bytes: usize,
}

/// Largest [`EventsConfig::buffer`]: a bound on what a slow consumer can make the stream hold.
pub const MAX_BUFFER: usize = 1 << 20;

/// Default [`EventsConfig::buffer_bytes`]: four of the largest messages accepted by default, and far
/// more than 256 ordinary chat events (a few KiB each).
pub const DEFAULT_BUFFER_BYTES: usize = 16 << 20;

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_reconnects: None,
            stable_after: Duration::from_secs(30),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(15),
            buffer: 256,
            max_message_bytes: 4 << 20,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
        }
    }
}

impl EventsConfig {
    /// Backoff between reconnections: first step `base`, largest `cap`.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap;
        self
    }
    /// Failed attempts in a row before giving up (`None`: never).
    pub fn max_reconnects(mut self, max: impl Into<Option<u32>>) -> Self {
        self.max_reconnects = max.into();
        self
    }
    /// How long a connection must stay up to reset the backoff.
    pub fn stable_after(mut self, after: Duration) -> Self {
        self.stable_after = after;
        self
    }
    /// Ping after `ping_interval` of silence; give the connection up after `idle_timeout` of silence.
    pub fn keepalive(mut self, ping_interval: Duration, idle_timeout: Duration) -> Self {
        self.ping_interval = ping_interval;
        self.idle_timeout = idle_timeout;
        self
    }
    /// Timeout of the upgrade request.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }
    /// Events held for a slow consumer before newer ones are dropped (1..=[`MAX_BUFFER`]).
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events;
        self
    }
    /// Largest message accepted.
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }
    /// Bytes of events held for a slow consumer before newer ones are dropped (at least 1024).
    pub fn buffer_bytes(mut self, bytes: usize) -> Self {
        self.buffer_bytes = bytes;
        self
    }

    /// Old name of [`EventsConfig::backoff`].
    #[deprecated(note = "use `EventsConfig::backoff`")]
    pub fn with_backoff(self, base: Duration, cap: Duration) -> Self {
        self.backoff(base, cap)
    }
    /// Old name of [`EventsConfig::max_reconnects`].
    #[deprecated(note = "use `EventsConfig::max_reconnects`")]
    pub fn with_max_reconnects(self, max: Option<u32>) -> Self {
        self.max_reconnects(max)
    }
    /// Old name of [`EventsConfig::stable_after`].
    #[deprecated(note = "use `EventsConfig::stable_after`")]
    pub fn with_stable_after(self, after: Duration) -> Self {
        self.stable_after(after)
    }
    /// Old name of [`EventsConfig::keepalive`].
    #[deprecated(note = "use `EventsConfig::keepalive`")]
    pub fn with_keepalive(self, ping_interval: Duration, idle_timeout: Duration) -> Self {
        self.keepalive(ping_interval, idle_timeout)
    }
    /// Old name of [`EventsConfig::handshake_timeout`].
    #[deprecated(note = "use `EventsConfig::handshake_timeout`")]
    pub fn with_handshake_timeout(self, timeout: Duration) -> Self {
        self.handshake_timeout(timeout)
    }
    /// Old name of [`EventsConfig::buffer`].
    #[deprecated(note = "use `EventsConfig::buffer`")]
    pub fn with_buffer(self, events: usize) -> Self {
        self.buffer(events)
    }
    /// Old name of [`EventsConfig::max_message_bytes`].
    #[deprecated(note = "use `EventsConfig::max_message_bytes`")]
    pub fn with_max_message_bytes(self, bytes: usize) -> Self {
        self.max_message_bytes(bytes)
    }

    /// Checks the settings; every stream constructor calls it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &'static str, reason: String| Err(ConfigError::InvalidSetting { setting, reason });
        if self.backoff_base.is_zero() {
            // A zero step would reconnect in a hot loop whenever the limiter is off.
            return invalid("events.backoff_base", "must be above zero".into());
        }
        if self.backoff_base > self.backoff_cap {
            return invalid(
                "events.backoff_base",
                format!("{:?} is above backoff_cap {:?}", self.backoff_base, self.backoff_cap),
            );
        }
        if self.ping_interval.is_zero() {
            return invalid("events.ping_interval", "must be above zero".into());
        }
        if self.idle_timeout <= self.ping_interval && self.idle_timeout != Duration::MAX {
            return invalid(
                "events.idle_timeout",
                format!(
                    "{:?} must be longer than ping_interval {:?}, or the pong never has time to arrive",
                    self.idle_timeout, self.ping_interval
                ),
            );
        }
        if self.handshake_timeout.is_zero() {
            return invalid("events.handshake_timeout", "must be above zero".into());
        }
        if !(1..=MAX_BUFFER).contains(&self.buffer) {
            return invalid("events.buffer", format!("{} is not between 1 and {MAX_BUFFER}", self.buffer));
        }
        if self.max_message_bytes < 1024 {
            return invalid("events.max_message_bytes", format!("{} is below 1024", self.max_message_bytes));
        }
        if self.buffer_bytes < 1024 {
            return invalid("events.buffer_bytes", format!("{} is below 1024", self.buffer_bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_settings_name_themselves() {
        assert!(EventsConfig::default().validate().is_ok());
        let setting = |c: EventsConfig| match c.validate() {
            Err(ConfigError::InvalidSetting { setting, .. }) => setting,
            other => panic!("expected an invalid setting, got {other:?}"),
        };
        let d = EventsConfig::default;
        assert_eq!(setting(d().backoff(Duration::ZERO, Duration::from_secs(1))), "events.backoff_base");
        assert_eq!(setting(d().backoff(Duration::from_secs(2), Duration::from_secs(1))), "events.backoff_base");
        assert_eq!(setting(d().keepalive(Duration::ZERO, Duration::from_secs(1))), "events.ping_interval");
        assert_eq!(setting(d().keepalive(Duration::from_secs(5), Duration::from_secs(5))), "events.idle_timeout");
        assert_eq!(setting(d().handshake_timeout(Duration::ZERO)), "events.handshake_timeout");
        assert_eq!(setting(d().buffer(0)), "events.buffer");
        assert_eq!(setting(d().buffer(MAX_BUFFER + 1)), "events.buffer");
        assert_eq!(setting(d().max_message_bytes(10)), "events.max_message_bytes");
        assert_eq!(setting(d().buffer_bytes(1023)), "events.buffer_bytes");
        assert!(d().buffer_bytes(1024).validate().is_ok());
    }

    #[test]
    fn extreme_durations_are_accepted_where_they_mean_never() {
        let c = EventsConfig::default()
            .backoff(Duration::from_nanos(1), Duration::MAX)
            .keepalive(Duration::MAX, Duration::MAX)
            .handshake_timeout(Duration::MAX)
            .stable_after(Duration::MAX)
            .max_reconnects(Some(u32::MAX));
        assert!(c.validate().is_ok());
    }

    #[test]
    #[allow(deprecated)]
    fn the_old_with_names_set_the_same_fields() {
        let d = EventsConfig::default;
        let (a, b) = (Duration::from_secs(2), Duration::from_secs(9));
        assert_eq!(d().with_backoff(a, b), d().backoff(a, b));
        assert_eq!((d().backoff(a, b).backoff_base, d().backoff(a, b).backoff_cap), (a, b));
        assert_eq!(d().with_max_reconnects(Some(3)), d().max_reconnects(3));
        assert_eq!(d().max_reconnects(3).max_reconnects, Some(3));
        assert_eq!(d().with_stable_after(a), d().stable_after(a));
        assert_eq!(d().stable_after(a).stable_after, a);
        assert_eq!(d().with_keepalive(a, b), d().keepalive(a, b));
        assert_eq!((d().keepalive(a, b).ping_interval, d().keepalive(a, b).idle_timeout), (a, b));
        assert_eq!(d().with_handshake_timeout(a), d().handshake_timeout(a));
        assert_eq!(d().handshake_timeout(a).handshake_timeout, a);
        assert_eq!(d().with_buffer(7), d().buffer(7));
        assert_eq!(d().buffer(7).buffer, 7);
        assert_eq!(d().with_max_message_bytes(4096), d().max_message_bytes(4096));
        assert_eq!(d().max_message_bytes(4096).max_message_bytes, 4096);
    }
}
