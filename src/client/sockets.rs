//! What the events' WebSocket upgrade client is made from (feature `events`): plain settings the builder
//! fills and a cell for the client once built. Building it is the events part's job
//! (`events::handshake`), so client setup never names that part.

use std::sync::OnceLock;
use std::time::Duration;

/// The HTTP client upgrade requests go through, as settings: a caller-supplied client (from
/// [`crate::ClientBuilder::events_http_client`] or, failing that, `http_client`), else what to build one
/// from on first use (TLS setup is not free), and the built client (or why it failed) once it is.
pub(crate) struct SocketSettings {
    pub(crate) supplied: Option<reqwest::Client>,
    pub(crate) connect_timeout: Duration,
    pub(crate) user_agent: String,
    /// The client's base URL: what the built client may reach (`auth::origin_bound`).
    pub(crate) base: reqwest::Url,
    pub(crate) built: OnceLock<Result<reqwest::Client, String>>,
}

impl SocketSettings {
    pub(crate) fn new(
        supplied: Option<reqwest::Client>,
        connect_timeout: Duration,
        user_agent: String,
        base: reqwest::Url,
    ) -> Self {
        SocketSettings { supplied, connect_timeout, user_agent, base, built: OnceLock::new() }
    }
}

impl std::fmt::Debug for SocketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketSettings")
            .field("supplied", &self.supplied.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}
