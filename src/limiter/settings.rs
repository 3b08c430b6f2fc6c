//! Limiter settings: the public [`LimiterConfig`] (and, with feature `redis`, [`SharedRedis`]), and the
//! per-bucket numbers both backends run on ([`Rule`]), derived and validated in one place.

use std::time::Duration;

use crate::config_error::ConfigError;

/// Start of the key prefix when `INVENT_LIMITER_REDIS_PREFIX` is unset (the client's namespace follows).
#[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "only shared limits (feature `redis`) have keys"))]
pub(crate) const DEFAULT_LIMITER_REDIS_PREFIX: &str = "invent-api";

/// Limiter settings. The guarantee, for any valid `(requests, period, burst)`: never more than
/// `requests` requests in any window of `period`, up to `burst` of them back to back after an idle
/// spell, and a sustained rate of at least 97.9 % of `requests / period` for periods of whole
/// milliseconds (the rest is the skew margin, see `docs/DESIGN.md`). The default is Invent's limit, 500
/// requests per minute, burst 10. More: [guide: rate limiter](crate::guide::limiter).
///
/// Setters without `with_` (`burst`, `assistant_creations`; the `with_*` names are deprecated aliases);
/// `LimiterConfig::disabled()` turns the limiter off.
///
/// ```no_run
/// use std::time::Duration;
///
/// use invent_api::{Client, LimiterConfig};
///
/// // Half of the org's quota for this service, and Invent's 10 assistant creations per hour.
/// let limiter = LimiterConfig::new(250, Duration::from_secs(60))
///     .burst(5)
///     .assistant_creations(10, Duration::from_secs(3600));
/// let client = Client::builder().api_key("sk_…").limiter(limiter).build()?;
/// let unlimited = Client::builder().api_key("sk_…").limiter(LimiterConfig::disabled()).build()?;
/// # let _ = (client, unlimited);
/// # Ok::<(), invent_api::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimiterConfig {
    /// Requests allowed per `period` (default 500).
    pub requests: u32,
    /// Window of the limit (default 60 s).
    pub period: Duration,
    /// Requests that may go at once after an idle spell (default 10, between 1 and `requests`). It
    /// shapes bursts only: the sustained rate is the same for every burst.
    pub burst: u32,
    /// A second bucket for `create_assistant`: `(count, period)`, e.g. `(10, 1 h)`, Invent's per-org
    /// limit; up to `count` creations go at once and `count` in any window of `period`. Off by
    /// default: other processes of the org share that quota, so a local bucket cannot be exact; turn
    /// it on when this program is the only one creating assistants, or share it through Redis.
    pub assistant_creations: Option<(u32, Duration)>,
    /// Share the buckets with other processes through Redis (feature `redis`); `None`: this process only.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub shared: Option<SharedRedis>,
    /// Set by [`LimiterConfig::disabled`]: the client gets no limiter.
    disabled: bool,
}

impl std::fmt::Debug for LimiterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("LimiterConfig");
        d.field("requests", &self.requests)
            .field("period", &self.period)
            .field("burst", &self.burst)
            .field("assistant_creations", &self.assistant_creations);
        #[cfg(feature = "redis")]
        d.field("shared", &self.shared);
        d.field("disabled", &self.disabled);
        d.finish()
    }
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self::new(500, Duration::from_secs(60))
    }
}

impl LimiterConfig {
    /// `requests` per `period`, burst `min(10, requests)`.
    pub fn new(requests: u32, period: Duration) -> Self {
        Self {
            requests,
            period,
            burst: requests.clamp(1, 10),
            assistant_creations: None,
            #[cfg(feature = "redis")]
            shared: None,
            disabled: false,
        }
    }
    /// A limiter that is off: `ClientBuilder::limiter(LimiterConfig::disabled())` sends every request
    /// as soon as it is made (the server's 429s are still retried).
    pub fn disabled() -> Self {
        Self { disabled: true, ..Self::default() }
    }
    /// Whether this is [`LimiterConfig::disabled`].
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }
    /// Sets the burst.
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }
    /// Adds the `create_assistant` bucket (Invent: `assistant_creations(10, Duration::from_secs(3600))`).
    pub fn assistant_creations(mut self, count: u32, period: Duration) -> Self {
        self.assistant_creations = Some((count, period));
        self
    }
    /// Shares every bucket with the other processes using the same Redis and key prefix (feature
    /// `redis`; see [the limiter guide](crate::guide::limiter)):
    /// `.shared_redis(SharedRedis::new("redis://127.0.0.1:6379", "org_1"))`. The prefix names the group
    /// of processes that share one quota (for example one prefix per egress IP and org); the API key is
    /// never part of a Redis key. Without a prefix of your own, use [`SharedRedis::namespaced`]: one
    /// quota per base URL and org.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn shared_redis(mut self, shared: SharedRedis) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Old name of [`LimiterConfig::burst`].
    #[deprecated(note = "use `LimiterConfig::burst`")]
    pub fn with_burst(self, burst: u32) -> Self {
        self.burst(burst)
    }
    /// Old name of [`LimiterConfig::assistant_creations`].
    #[deprecated(note = "use `LimiterConfig::assistant_creations`")]
    pub fn with_assistant_creations(self, count: u32, period: Duration) -> Self {
        self.assistant_creations(count, period)
    }
    /// Old name of [`LimiterConfig::shared_redis`].
    #[cfg(feature = "redis")]
    #[deprecated(note = "use `LimiterConfig::shared_redis`")]
    pub fn with_shared_redis(self, shared: SharedRedis) -> Self {
        self.shared_redis(shared)
    }
}

/// Where and how the buckets are shared through Redis (feature `redis`): every process with the same
/// URL and key prefix draws from the same buckets, so a fleet together stays under Invent's limit.
/// Give it to `LimiterConfig::shared_redis`; or set `INVENT_LIMITER_REDIS_URL` (and
/// `INVENT_LIMITER_REDIS_PREFIX`) and use [`Client::from_env`](crate::Client::from_env), with no code.
/// If Redis is unusable, calls fall back to this process's local limiter (one warning), never fail.
///
/// ```
/// use invent_api::{LimiterConfig, SharedRedis};
///
/// let shared = SharedRedis::new("redis://:s3cret@10.0.0.5:6379/0", "egress-a:org_7wHu");
/// // The password never shows: not in Debug output, not in logs.
/// assert_eq!(shared.url_redacted(), "redis://<redacted>@10.0.0.5:6379/0");
/// assert!(!format!("{shared:?}").contains("s3cret"));
/// # let _ = LimiterConfig::default();
/// // Then: LimiterConfig::default().shared_redis(shared)
/// ```
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedRedis {
    /// Kept private: it may hold a password, and `Debug` shows it redacted.
    url: String,
    /// Start of every key (`{<prefix>:<bucket>}:state`, `…:log`).
    pub key_prefix: String,
    /// Longest wait for a connection to Redis (default 1 s).
    pub connect_timeout: Duration,
    /// Longest wait for one admission script (default 250 ms); past it the call is admitted by the
    /// local limiter instead.
    pub command_timeout: Duration,
    /// `key_prefix` is the start of the prefix only: the client appends its namespace (base URL and
    /// org) when it is built.
    namespaced: bool,
}

#[cfg(feature = "redis")]
impl SharedRedis {
    /// Default [`SharedRedis::connect_timeout`].
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
    /// Default [`SharedRedis::command_timeout`].
    pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

    /// `url` (`redis://[user:password@]host[:port][/db]` or `redis+unix:///path`) and `key_prefix`, with
    /// the default timeouts. The prefix is used as given: every client with the same prefix shares one
    /// quota, whatever its base URL and org.
    pub fn new(url: impl Into<String>, key_prefix: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: key_prefix.into(),
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            command_timeout: Self::DEFAULT_COMMAND_TIMEOUT,
            namespaced: false,
        }
    }

    /// `url` with the default prefix, namespaced when the client is built: `invent-api:<namespace>`,
    /// where the namespace is a short hash of the base URL (origin and path) and the client's org
    /// segment (`c` or the org id). Clients of one API and org share one quota; staging and
    /// production, or two orgs, never do. The API key is not part of it (see [`SharedRedis::key_prefix`]).
    pub fn namespaced(url: impl Into<String>) -> Self {
        Self { namespaced: true, ..Self::new(url, DEFAULT_LIMITER_REDIS_PREFIX) }
    }

    /// The prefix the keys get for a client of `base_url` and `org`: `key_prefix` as set, or, for
    /// [`SharedRedis::namespaced`], `key_prefix` plus the namespace. Not the key: a digest of it in
    /// Redis would let anyone who can list keys test guesses of it offline, and rotating the key
    /// would silently reset the shared quota while the server still counts the org's requests.
    pub(crate) fn scope(&mut self, base_url: &str, org: &str) {
        if std::mem::take(&mut self.namespaced) {
            self.key_prefix = format!("{}:{}", self.key_prefix, namespace(base_url, org));
        }
    }
    /// Sets both timeouts.
    pub fn timeouts(mut self, connect: Duration, command: Duration) -> Self {
        self.connect_timeout = connect;
        self.command_timeout = command;
        self
    }
    /// Old name of [`SharedRedis::timeouts`].
    #[deprecated(note = "use `SharedRedis::timeouts`")]
    pub fn with_timeouts(self, connect: Duration, command: Duration) -> Self {
        self.timeouts(connect, command)
    }
    /// The URL with its user info and query (either may carry a password) replaced by `<redacted>`;
    /// scheme, host, port and path (the db number, or a socket's path) are kept.
    pub fn url_redacted(&self) -> String {
        redact_url(&self.url)
    }
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// See [`SharedRedis::url_redacted`].
#[cfg(feature = "redis")]
pub(crate) fn redact_url(text: &str) -> String {
    let Ok(url) = url::Url::parse(text) else { return "<unparseable URL>".to_string() };
    let mut out = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str("<redacted>@");
    }
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path());
    if url.query().is_some() {
        out.push_str("?<redacted>");
    }
    if url.fragment().is_some() {
        out.push_str("#<redacted>");
    }
    out
}

/// 16 hex digits naming a base URL (normalised origin and path: scheme and host lower-cased, default
/// port dropped, no trailing `/`, no user info or query) and an org segment. FNV-1a: the inputs are
/// not secret and an accidental collision of two namespaces has odds of 2^-64.
#[cfg(feature = "redis")]
pub(crate) fn namespace(base_url: &str, org: &str) -> String {
    let normalised = match url::Url::parse(base_url) {
        Ok(url) => format!("{}{}", url.origin().ascii_serialization(), url.path().trim_end_matches('/')),
        Err(_) => base_url.to_string(),
    };
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in normalised.bytes().chain([b'\n']).chain(org.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(feature = "redis")]
impl std::fmt::Display for SharedRedis {
    /// The redacted URL and the key prefix.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (prefix {})", self.url_redacted(), self.key_prefix)
    }
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis")
            .field("url", &self.url_redacted())
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("namespaced", &self.namespaced)
            .finish()
    }
}

/// The largest skew margin (see [`skew_margin`]).
const MAX_MARGIN: Duration = Duration::from_secs(1);
const MILLI: u128 = 1_000_000;
/// tokio's timer resolution.
const TICK: Duration = Duration::from_millis(1);

/// Time added to the period before the window bound is enforced. The limiter releases a request at
/// one moment and the server counts it a little later; the gap varies (a burst after an idle spell
/// opens new connections — TCP and TLS handshakes — while later requests reuse warm ones), so a
/// request released exactly one period after the burst can reach the server *inside* the burst's
/// window. The goodput benchmark measured that skew at 10–16 ms on loopback. 2 % of the period
/// (whole milliseconds, at most 1 s) covers a handshake over the internet for minute-scale limits
/// and costs at most 2 % of the rate; below 50 ms periods it is zero.
pub(crate) fn skew_margin(period: Duration) -> Duration {
    floor_ms((period / 50).min(MAX_MARGIN))
}

fn floor_ms(d: Duration) -> Duration {
    let nanos = d.as_nanos();
    Duration::from_millis(u64::try_from(nanos / MILLI).unwrap_or(u64::MAX))
}

/// Rounds up to whole milliseconds, saturating at `Duration::MAX`.
pub(crate) fn ceil_ms(d: Duration) -> Duration {
    let rest = d.subsec_nanos() % MILLI as u32;
    if rest == 0 {
        return d;
    }
    d.checked_add(Duration::from_nanos(u64::from(MILLI as u32 - rest))).unwrap_or(Duration::MAX)
}

/// The numbers one bucket runs on. Two rules at once: a GCRA at the full rate (`interval =
/// period / requests`, `tolerance = (burst − 1) · interval`) shapes bursts, and a sliding-window log
/// (see `window.rs`) holds the hard bound of `requests` in any `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    /// Setting name in errors and bucket name in logs (`limiter`, `limiter.assistant_creations`).
    pub(crate) setting: &'static str,
    /// The bucket's part of a Redis key.
    pub(crate) key: &'static str,
    pub(crate) requests: u32,
    /// `period` plus [`skew_margin`], rounded up to whole milliseconds: tokio's timer wakes sleepers on
    /// millisecond ticks, and a window of whole milliseconds keeps two bookings one window apart at
    /// least one window apart when they wake.
    pub(crate) window: Duration,
    /// GCRA emission interval at the full rate.
    pub(crate) interval: Duration,
    /// How far ahead of the GCRA schedule a request may go: `(burst − 1) · interval`, and at least
    /// one timer tick less one interval. tokio wakes sleepers on millisecond ticks, so with intervals
    /// under a millisecond a tick's worth of requests goes at once whatever the burst; without this, a
    /// caller woken late by the tick would lose its place and the rate would fall.
    pub(crate) tolerance: Duration,
    /// Time to climb back to the full rate after a 429 (one period).
    pub(crate) recovery: Duration,
}

impl Rule {
    pub(crate) fn new(
        setting: &'static str,
        key: &'static str,
        requests: u32,
        period: Duration,
        burst: u32,
    ) -> Result<Rule, ConfigError> {
        let invalid = |reason: String| ConfigError::InvalidSetting { setting, reason };
        if requests == 0 || period.is_zero() {
            return Err(invalid("the limit must allow at least one request per non-zero period".into()));
        }
        if burst == 0 || burst > requests {
            return Err(invalid(format!("burst {burst} must be between 1 and the {requests} requests per period")));
        }
        // Rounding the interval down is harmless: the window log, not the GCRA, holds the bound.
        let interval = period / requests;
        Ok(Rule {
            setting,
            key,
            requests,
            window: ceil_ms(period.saturating_add(skew_margin(period))),
            interval,
            tolerance: interval.saturating_mul(burst - 1).max(TICK.saturating_sub(interval)),
            recovery: period,
        })
    }

    /// The GCRA interval at `rate` (a fraction of the configured rate, 1/16..=1), saturating.
    pub(crate) fn interval_at(&self, rate: f64) -> Duration {
        if rate >= 1.0 {
            return self.interval;
        }
        Duration::try_from_secs_f64(self.interval.as_secs_f64() / rate).unwrap_or(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_two_percent_in_whole_milliseconds_capped_at_one_second() {
        assert_eq!(skew_margin(Duration::from_secs(2)), Duration::from_millis(40));
        assert_eq!(skew_margin(Duration::from_secs(60)), Duration::from_secs(1));
        assert_eq!(skew_margin(Duration::from_secs(3600)), Duration::from_secs(1));
        assert_eq!(skew_margin(Duration::from_millis(49)), Duration::ZERO);
        assert_eq!(skew_margin(Duration::from_millis(149)), Duration::from_millis(2));
        assert_eq!(skew_margin(Duration::MAX), Duration::from_secs(1));
    }

    #[test]
    fn rule_numbers() {
        let r = Rule::new("limiter", "general", 500, Duration::from_secs(60), 10).unwrap();
        assert_eq!(r.interval, Duration::from_millis(120));
        assert_eq!(r.tolerance, Duration::from_millis(1080));
        assert_eq!(r.window, Duration::from_secs(61));
        // Sub-millisecond periods round up to the timer's tick.
        let r = Rule::new("limiter", "general", 3, Duration::from_micros(1500), 3).unwrap();
        assert_eq!(r.window, Duration::from_millis(2));
        assert_eq!(r.interval, Duration::from_micros(500));
        assert_eq!(r.tolerance, Duration::from_micros(1000), "(3 − 1) · 0.5 ms");
        let r = Rule::new("limiter", "general", 4, Duration::from_millis(1), 1).unwrap();
        assert_eq!(r.tolerance, Duration::from_micros(750), "a tick's worth at once despite burst 1");
        // Extremes saturate instead of overflowing.
        let r = Rule::new("limiter", "general", 1, Duration::MAX, 1).unwrap();
        assert_eq!(r.window, Duration::MAX);
        assert_eq!(r.interval_at(1.0 / 16.0), Duration::MAX);
        let r = Rule::new("limiter", "general", u32::MAX, Duration::MAX, u32::MAX).unwrap();
        assert_eq!(r.tolerance, r.interval.saturating_mul(u32::MAX - 1));
        assert_eq!(r.interval_at(0.5), r.interval * 2);
    }

    #[cfg(feature = "redis")]
    #[test]
    fn debug_redacts_the_redis_password() {
        let config =
            LimiterConfig::default().shared_redis(SharedRedis::new("redis://user:hunter2@127.0.0.1:6379/0", "org_1"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && shown.contains("<redacted>") && shown.contains("org_1"), "{shown}");
        let shared = SharedRedis::new("redis://user:hunter2@127.0.0.1:6379/0", "org_1");
        assert_eq!(shared.to_string(), format!("{} (prefix org_1)", shared.url_redacted()));
        assert!(!shared.to_string().contains("hunter2"), "{shared}");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis_urls_lose_user_info_and_query_and_keep_the_rest() {
        for (url, shown) in [
            ("redis://user:hunter2@cache.example:6380/3", "redis://<redacted>@cache.example:6380/3"),
            ("redis://:hunter2@127.0.0.1/0", "redis://<redacted>@127.0.0.1/0"),
            ("redis://hunter2@127.0.0.1", "redis://<redacted>@127.0.0.1"),
            ("redis://127.0.0.1:6379/0?password=hunter2", "redis://127.0.0.1:6379/0?<redacted>"),
            ("redis+unix:///run/redis.sock?db=1&pass=hunter2", "redis+unix:///run/redis.sock?<redacted>"),
            ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
            ("not a url hunter2", "<unparseable URL>"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[cfg(feature = "redis")]
    #[test]
    fn namespaces_separate_base_urls_and_orgs_and_ignore_spelling() {
        let a = namespace("https://api.useinvent.com", "c");
        // FNV-1a (64 bits) of "https://api.useinvent.com\nc", as any implementation of it computes: the
        // prefix must not change between versions of the crate, which may share one Redis.
        assert_eq!(a, "9d63aa5061c6f05b");
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
        assert_eq!(a, namespace("HTTPS://API.useinvent.com:443/", "c"), "one origin, spelt two ways");
        assert_ne!(a, namespace("https://staging.useinvent.com", "c"));
        assert_ne!(a, namespace("https://api.useinvent.com/v2", "c"));
        assert_ne!(a, namespace("https://api.useinvent.com", "org_1"));
        // Only the base URL and the org separate: no field can shift into the other.
        assert_ne!(namespace("https://a.example/x", "y"), namespace("https://a.example/", "xy"));
        let mut shared = SharedRedis::namespaced("redis://127.0.0.1");
        shared.scope("https://api.useinvent.com", "c");
        assert_eq!(shared.key_prefix, format!("invent-api:{a}"));
        shared.scope("https://api.useinvent.com", "c");
        assert_eq!(shared.key_prefix, format!("invent-api:{a}"), "scoped once");
        let mut own = SharedRedis::new("redis://127.0.0.1", "mine");
        own.scope("https://api.useinvent.com", "c");
        assert_eq!(own.key_prefix, "mine", "a prefix of your own wins");
    }

    #[test]
    #[allow(deprecated)]
    fn setters_and_their_old_names_set_the_same_field() {
        let base = LimiterConfig::new(50, Duration::from_secs(1));
        assert_eq!(base.clone().burst(3).burst, 3);
        assert_eq!(base.clone().with_burst(3), base.clone().burst(3));
        let hour = Duration::from_secs(3600);
        assert_eq!(base.clone().assistant_creations(10, hour).assistant_creations, Some((10, hour)));
        assert_eq!(base.clone().with_assistant_creations(10, hour), base.clone().assistant_creations(10, hour));
        assert!(LimiterConfig::disabled().is_disabled() && !base.is_disabled());
        #[cfg(feature = "redis")]
        {
            let shared = SharedRedis::new("redis://127.0.0.1:6379", "p").timeouts(Duration::ZERO, Duration::MAX);
            assert_eq!((shared.connect_timeout, shared.command_timeout), (Duration::ZERO, Duration::MAX));
            assert_eq!(shared.clone().with_timeouts(Duration::ZERO, Duration::MAX), shared);
            assert_eq!(base.clone().shared_redis(shared.clone()).shared, Some(shared.clone()));
            assert_eq!(base.clone().with_shared_redis(shared.clone()), base.clone().shared_redis(shared));
        }
    }
}
