//! Building a [`Client`]: from the environment or a builder (key, base URL, org, timeouts, retries,
//! limiter, user agent, custom `reqwest::Client`), and the per-client state every call reads.

use std::sync::Arc;
use std::time::Duration;

use crate::body::{DEFAULT_MAX_BODY, DEFAULT_MAX_ERROR_BODY};
use crate::client::auth::{self, ApiKey};
use crate::client::org::Org;
use crate::client::state::{CallOptions, Inner, Shared};
use crate::config_error::ConfigError;
use crate::limiter::{Limiter, LimiterConfig};
use crate::retry::backoff::Jitter;
use crate::retry::budget::RetryBudget;
use crate::retry::config::RetryConfig;
use crate::Client;

/// The Invent API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.useinvent.com";
/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "INVENT_API_KEY";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "INVENT_BASE_URL";
/// Environment variable choosing the default org (`c` or a sub-org id).
pub const ENV_ORG: &str = "INVENT_ORG";
/// Environment variable: share the limiter through this Redis (feature `redis`).
pub const ENV_LIMITER_REDIS_URL: &str = "INVENT_LIMITER_REDIS_URL";
/// Environment variable: key prefix in that Redis, used as given (default: `invent-api:` and a hash of
/// the base URL and org, see `SharedRedis::namespaced`).
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub const ENV_LIMITER_REDIS_PREFIX: &str = "INVENT_LIMITER_REDIS_PREFIX";

/// Connect timeout: a TCP+TLS handshake to a healthy API takes well under a second; 5 s leaves room for
/// a slow network without hanging on a black-holed address.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Per-attempt timeout: creating a chat message or deciding an approval waits for the assistant's
/// reply, which can take tens of seconds.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Overall deadline across attempts and retry waits.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(180);

/// Builds a [`Client`]. Start from [`Client::builder`] (defaults) or [`Client::builder_from_env`]
/// (the `INVENT_*` variables), set what differs, then [`build`](ClientBuilder::build). Every setting,
/// its default and its environment variable: [guide: building a client](crate::guide::configuration).
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn main() -> Result<(), invent_api::ConfigError> {
/// let client = invent_api::Client::builder()
///     .api_key("sk_…")
///     .org("org_7wHuTTRIfOM537zxuAHi6g") // a sub-org of an agency key; default: `c`, the key's own org
///     .attempt_timeout(Duration::from_secs(30))
///     .max_retries(3)
///     .build()?; // fails on a missing key or a base URL that is not https (loopback may be http)
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    org: Org,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    user_agent: String,
    http: Option<reqwest::Client>,
    retry: RetryConfig,
    limiter: Option<LimiterConfig>,
    max_error_body: usize,
    max_body: usize,
    #[cfg(feature = "events")]
    events_http: Option<reqwest::Client>,
    /// Redis sharing from the environment, applied at `build` to a limiter that has none of its own.
    #[cfg(feature = "redis")]
    limiter_redis_from_env: Option<crate::limiter::SharedRedis>,
    #[cfg(feature = "drift")]
    drift: crate::drift::DriftConfig,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("ClientBuilder");
        f.field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("org", &self.org)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("user_agent", &self.user_agent)
            .field("http", &self.http)
            .field("retry", &self.retry)
            .field("limiter", &self.limiter)
            .field("max_error_body", &self.max_error_body)
            .field("max_body", &self.max_body);
        #[cfg(feature = "events")]
        f.field("events_http", &self.events_http);
        #[cfg(feature = "redis")]
        f.field("limiter_redis_from_env", &self.limiter_redis_from_env);
        #[cfg(feature = "drift")]
        f.field("drift", &self.drift);
        f.finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            org: Org::Current,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            deadline: Some(DEFAULT_DEADLINE),
            user_agent: concat!("invent-api-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            http: None,
            retry: RetryConfig::default(),
            limiter: Some(LimiterConfig::default()),
            max_error_body: DEFAULT_MAX_ERROR_BODY,
            max_body: DEFAULT_MAX_BODY,
            #[cfg(feature = "events")]
            events_http: None,
            #[cfg(feature = "redis")]
            limiter_redis_from_env: None,
            #[cfg(feature = "drift")]
            drift: crate::drift::DriftConfig::off(),
        }
    }
}

impl ClientBuilder {
    /// The API key (`Authorization: Bearer <key>`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    /// Base URL; `https://` only, or `http://` to a loopback host (local mocks and tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
    /// Default org for org-scoped calls (default: [`Org::Current`], the key's own org).
    pub fn org(mut self, org: impl Into<Org>) -> Self {
        self.org = org.into();
        self
    }
    /// TCP + TLS connect timeout (default 5 s). Ignored with [`ClientBuilder::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Timeout of one attempt, from sending to the last body byte (default 60 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }
    /// Deadline across all attempts and retry waits of one call (default 180 s; `None`: no deadline).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }
    /// `User-Agent` header (default `invent-api-rust/<version>`). Ignored with a custom HTTP client.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }
    /// Use this `reqwest::Client` (proxies, TLS roots, pools). Auth, retries and the limiter still apply.
    /// Its redirect policy is its own: build it with `redirect(reqwest::redirect::Policy::none())`. A
    /// call whose answer came from another origin than the base URL's (a redirect it followed) fails
    /// with [`crate::Error::OriginChanged`], but the request (body included) has reached that origin.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }
    /// Retry policy (default: 2 retries, see [`RetryConfig`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }
    /// Shorthand for the retry count (0..=10; more is an error at [`ClientBuilder::build`]).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }
    /// Client-side rate limiter (default 500 requests/minute); [`LimiterConfig::disabled`] turns it
    /// off, like [`RetryConfig::disabled`] does retries (`None` does too).
    pub fn limiter(mut self, limiter: impl Into<Option<LimiterConfig>>) -> Self {
        self.limiter = limiter.into().filter(|config| !config.is_disabled());
        self
    }
    /// Most bytes of a non-success (or retried) response body the client reads and keeps for the
    /// error (default 1 MiB). A longer body is cut there, chunked or not, and its connection dropped.
    pub fn max_error_body(mut self, bytes: usize) -> Self {
        self.max_error_body = bytes;
        self
    }
    /// Most bytes of a success body the client reads into memory (default [`DEFAULT_MAX_BODY`],
    /// 64 MiB), for typed calls, each page of a list and raw calls alike. A longer body fails the call
    /// with [`crate::Error::BodyTooLarge`] — at once when its `Content-Length` says so, otherwise as
    /// soon as it crosses the cap — and its connection is dropped. Streamed bodies
    /// ([`crate::ByteStream`]) are not read into memory and have no cap.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// (Feature `events`.) The `reqwest::Client` for WebSocket upgrades. It must speak HTTP/1.1 (build it
    /// with `.http1_only()`): over HTTP/2 there is no `Upgrade`. Default: the client given to
    /// [`ClientBuilder::http_client`] if any, else one built on first use with the connect timeout and
    /// user agent.
    #[cfg(feature = "events")]
    #[cfg_attr(docsrs, doc(cfg(feature = "events")))]
    pub fn events_http_client(mut self, client: reqwest::Client) -> Self {
        self.events_http = Some(client);
        self
    }

    /// (Feature `drift`.) Drift capture: check sampled responses against the spec and record where the
    /// real API departs from it (default [`DriftConfig::off`](crate::DriftConfig::off); from the
    /// environment `INVENT_DRIFT_SAMPLE` / `INVENT_DRIFT_FILE`). See [the guide](crate::guide::drift).
    #[cfg(feature = "drift")]
    #[cfg_attr(docsrs, doc(cfg(feature = "drift")))]
    pub fn drift(mut self, config: crate::drift::DriftConfig) -> Self {
        self.drift = config;
        self
    }

    /// Builds the client. Fails on a missing key, a non-HTTPS base URL, an org id that cannot be one
    /// path segment (`""`, `.`, `..`) or a bad setting.
    ///
    /// The HTTP client it builds (unless [`ClientBuilder::http_client`] gave one) follows no redirect
    /// (a `3xx` is an [`crate::Error::Api`]), speaks only HTTPS when the base URL is HTTPS, and reaches
    /// a loopback base URL directly, whatever the proxy environment variables say.
    pub fn build(self) -> Result<Client, ConfigError> {
        let key = self.api_key.as_deref().ok_or(ConfigError::MissingApiKey { variable: ENV_API_KEY })?;
        let api_key = ApiKey::new(key)?;
        let base_url = auth::parse_base_url(&self.base_url)?;
        let org_path = self.org.path_segment().map_err(|_| ConfigError::InvalidSetting {
            setting: "org",
            reason: format!(
                "{:?} is not an org id: an id must be one path segment (not empty, `.` or `..`)",
                self.org.segment()
            ),
        })?;
        let parsed_base = reqwest::Url::parse(&base_url)
            .map_err(|e| ConfigError::InvalidBaseUrl { url: base_url.clone(), reason: e.to_string() })?;
        self.retry.validate()?;
        #[cfg(feature = "drift")]
        self.drift.validate()?;
        #[allow(unused_mut)] // mutated with feature `redis`
        let mut limiter_config = self.limiter;
        #[cfg(feature = "redis")]
        if let Some(config) = limiter_config.as_mut() {
            if config.shared.is_none() {
                config.shared = self.limiter_redis_from_env;
            }
            if let Some(shared) = config.shared.as_mut() {
                shared.scope(&base_url, self.org.segment());
            }
            if config.shared.as_ref().is_some_and(|s| s.key_prefix.contains(key)) {
                return Err(ConfigError::InvalidSetting {
                    setting: "limiter.shared.key_prefix",
                    reason: "contains the API key; name the org or the service instead".into(),
                });
            }
        }
        let limiter = match &limiter_config {
            Some(config) => Some(Limiter::new(config)?),
            None => None,
        };
        #[cfg(feature = "events")]
        let sockets = crate::client::sockets::SocketSettings::new(
            self.events_http.or_else(|| self.http.clone()),
            self.connect_timeout,
            self.user_agent.clone(),
            parsed_base.clone(),
        );
        let http = match self.http {
            Some(http) => http,
            None => auth::origin_bound(reqwest::Client::builder(), &parsed_base)
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent)
                .build()
                .map_err(ConfigError::Http)?,
        };
        let base_path = parsed_base.path().trim_end_matches('/').to_string();
        let shared = Shared {
            api_key,
            base_path,
            origin: parsed_base.origin(),
            budget: RetryBudget::new(self.retry.budget_capacity),
            jitter: Jitter::new(self.retry.jitter_seed),
            retry: self.retry,
            limiter,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
            max_error_body: self.max_error_body,
            max_body: self.max_body,
            #[cfg(feature = "events")]
            sockets,
            #[cfg(feature = "drift")]
            drift: crate::drift::Recorder::new(&self.drift),
        };
        let inner = Inner {
            org_path: Some(org_path.into()),
            org: self.org,
            call: CallOptions::default(),
            shared: Arc::new(shared),
        };
        Ok(Client::new_with_client(&base_url, http, inner))
    }
}

impl Client {
    /// A builder with the defaults (base URL `https://api.useinvent.com`, org `c`, 2 retries, limiter on).
    ///
    /// ```no_run
    /// let client = invent_api::Client::builder().api_key("sk_…").build()?;
    /// # let _ = client;
    /// # Ok::<(), invent_api::ConfigError>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A builder from `INVENT_API_KEY` (required), `INVENT_BASE_URL` and `INVENT_ORG` (optional), and
    /// with feature `redis` `INVENT_LIMITER_REDIS_URL` / `INVENT_LIMITER_REDIS_PREFIX` (shared limits,
    /// applied to whichever limiter the builder ends up with unless it sets its own Redis), with feature
    /// `drift` `INVENT_DRIFT_SAMPLE` / `INVENT_DRIFT_FILE` (drift capture).
    pub fn builder_from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::default();
        if let Ok(key) = std::env::var(ENV_API_KEY) {
            builder = builder.api_key(key);
        }
        if let Ok(url) = std::env::var(ENV_BASE_URL) {
            if !url.trim().is_empty() {
                builder = builder.base_url(url);
            }
        }
        // Unset or blank: the key's own org. Anything else is an id, checked by `build`.
        if let Ok(org) = std::env::var(ENV_ORG) {
            if !org.trim().is_empty() {
                builder = builder.org(org);
            }
        }
        if let Some(url) = std::env::var(ENV_LIMITER_REDIS_URL).ok().filter(|u| !u.trim().is_empty()) {
            #[cfg(feature = "redis")]
            {
                let prefix = std::env::var(ENV_LIMITER_REDIS_PREFIX).ok().filter(|p| !p.trim().is_empty());
                builder.limiter_redis_from_env = Some(match prefix {
                    Some(prefix) => crate::limiter::SharedRedis::new(url.trim(), prefix),
                    None => crate::limiter::SharedRedis::namespaced(url.trim()),
                });
            }
            #[cfg(not(feature = "redis"))]
            {
                let _ = url;
                tracing::warn!(
                target: "invent_api::config",
                    "{ENV_LIMITER_REDIS_URL} is set but invent-api was built without the `redis` feature: \
                     the limiter stays local to this process"
                );
            }
        }
        #[cfg(feature = "drift")]
        if let Some(drift) = crate::drift::DriftConfig::from_env() {
            builder.drift = drift;
        }
        #[cfg(not(feature = "drift"))]
        if ["INVENT_DRIFT_SAMPLE", "INVENT_DRIFT_FILE"].iter().any(|name| std::env::var_os(name).is_some()) {
            tracing::warn!(
                target: "invent_api::config",
                "drift capture is configured in the environment but invent-api was built without the `drift` feature"
            );
        }
        builder
    }

    /// A client configured from the environment; see [`Client::builder_from_env`]. A missing
    /// `INVENT_API_KEY` is a [`ConfigError`] that says so (and `?` turns it into [`crate::Error`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), invent_api::Error> {
    /// let client = invent_api::Client::from_env()?;
    /// let assistants = client.list_assistants().send().await?;
    /// println!("{} assistants", assistants.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_env() -> Result<Client, ConfigError> {
        Self::builder_from_env().build()
    }

    /// A handle whose calls retry at most `retries` times (overrides the client's policy). Like
    /// [`RetryConfig::max_retries`], a count above [`crate::MAX_RETRIES_LIMIT`] is not capped silently:
    /// every call of that handle fails with [`crate::Error::Config`] before sending anything.
    pub fn with_max_retries(&self, retries: u32) -> Client {
        let mut client = self.clone();
        client.inner.call.max_retries = Some(retries);
        client
    }

    /// A handle with its own per-attempt timeout and overall deadline.
    pub fn with_timeouts(&self, attempt: Duration, deadline: Option<Duration>) -> Client {
        let mut client = self.clone();
        client.inner.call.attempt_timeout = Some(attempt);
        client.inner.call.deadline = Some(deadline);
        client
    }
}
