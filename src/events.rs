//! Live events (feature `events`): typed streams over Invent's two WebSocket routes, with auth, the
//! client's org, keepalive, reconnection and a bounded buffer.
//!
//! ```no_run
//! # async fn demo(client: invent_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use invent_api::events::ChatEvent;
//!
//! let mut events = client.chat_events(); // GET /orgs/c/chats/ws (or the org of `client.for_org(…)`)
//! // The socket opens in the background: wait for it before acting on the org, or what happens
//! // before it is open (a chat you create right now) never reaches the stream.
//! if !events.connected().await {
//!     return Err(format!("no event socket: {:?}", events.try_next().await.err()).into());
//! }
//! while let Some(event) = events.try_next().await? {
//!     match event {
//!         ChatEvent::ChatCreated(chat) => println!("new chat {:?}", chat.id),
//!         ChatEvent::Gap(gap) => {
//!             // The socket was down or we were too slow: fetch what may have been missed.
//!             for chat in client.chats_since(gap.since).await?.chats {
//!                 println!("caught up: {:?}", chat.id);
//!             }
//!         }
//!         other => println!("{}", other.to_json()),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! - **What the stream yields**: `Ok(`[`ChatEvent`]`)` items — `ChatCreated` for `{"type": "create",
//!   "data": Chat}`, `Chat` for `{"data": Chat}` without a type (the inbox's documented shape), `Other`
//!   with the raw frame for any other JSON (unknown event types, a `data` that does not fit), and `Gap`
//!   before the first event after a disconnection or dropped events. Unknown fields are ignored in the
//!   typed chat and kept in `Other`. A frame that is not JSON is skipped, logged (target
//!   `invent_api::events`) and counted in [`EventStats::skipped_frames`]: one bad frame does not end a
//!   feed. An `Err(`[`EventError`]`)` is always the last item.
//! - **Each connection**: takes a slot of the client's rate limiter, sends `Authorization: Bearer …` on
//!   the upgrade (over HTTP/1.1; see [`crate::ClientBuilder::events_http_client`]), checks the `101` and
//!   `Sec-WebSocket-Accept`, answers pings, pings after [`EventsConfig::ping_interval`] of silence and
//!   presumes the connection dead after [`EventsConfig::idle_timeout`] without any frame (dropped TCP,
//!   a silent proxy).
//! - **Reconnection**: after a lost connection, a failed attempt, a 429/5xx or a close code such as 1001
//!   or 1011, the stream waits a full-jitter backoff (uniform in `[0, min(base · 2^(n-1), cap))` for the
//!   n-th failure in a row, or the server's `Retry-After` up to `cap`) and reconnects; a connection that
//!   stayed up [`EventsConfig::stable_after`] resets n. 401/403 and other 4xx on the upgrade, a
//!   non-WebSocket handshake and close codes 1002, 1003, 1007–1010, 3000, 3003 and 4000–4999 end the
//!   stream with [`EventError::Fatal`] (status, headers and body, or code and reason) and are not
//!   retried. [`EventsConfig::max_reconnects`] bounds the failures in a row (default: unlimited).
//! - **What can be missed**: Invent does not replay events, so everything between the last frame of a
//!   lost connection and the next connection is gone, as are events dropped for a slow consumer. Each
//!   such stretch is reported once, by a [`Gap`] (`since`, `dropped`, `reconnects`, `cause`) delivered
//!   before the next event; [`crate::Client::chats_since`] lists the chats created or changed since.
//! - **Backpressure**: the socket is read continuously (so pings are answered however slow the consumer
//!   is) into a buffer of at most [`EventsConfig::buffer`] events and [`EventsConfig::buffer_bytes`]
//!   bytes of frames. When either is reached, newer events are dropped and counted
//!   ([`EventStats::dropped_events`], [`Gap::dropped`]); memory stays at most `buffer_bytes` (or one
//!   message, when that is larger) plus the message being read, of at most
//!   [`EventsConfig::max_message_bytes`].

mod catch_up;
mod config;
mod error;
pub(crate) mod event;
mod feed;
pub(crate) mod handshake;
mod output;
mod session;
mod stream;

pub use catch_up::{CatchUp, CATCH_UP_MARGIN, CATCH_UP_MAX_PAGES};
pub use config::{EventsConfig, DEFAULT_BUFFER_BYTES, MAX_BUFFER};
pub use error::{close_code_is_retryable, Disconnect, EventError};
pub use event::{ChatEvent, Gap};
pub use feed::Feed;
pub use output::{json_line, write_json_lines, WatchError};
pub use stream::{EventStats, EventStream};

use crate::{Client, ConfigError};

#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
impl Client {
    /// Chat events of this client's org, returned once the socket is open (see
    /// [`EventStream::ready`]): a chat created after this returns is in the stream.
    ///
    /// ```no_run
    /// # async fn demo(client: invent_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let events = client.subscribe_chat_events().await?;
    /// // … create a chat: its `ChatCreated` event is delivered to `events`.
    /// # drop(events); Ok(()) }
    /// ```
    pub async fn subscribe_chat_events(&self) -> Result<EventStream, EventError> {
        self.chat_events().ready().await
    }

    /// Inbox events of this client's org, returned once the socket is open (see
    /// [`EventStream::ready`]).
    pub async fn subscribe_inbox_events(&self) -> Result<EventStream, EventError> {
        self.inbox_events().ready().await
    }

    /// Chat events of this client's org (`GET /orgs/{org}/chats/ws`), with the default
    /// [`EventsConfig`], connecting in the background: events before the socket opens are not seen
    /// (await [`EventStream::connected`] first, or use [`Client::subscribe_chat_events`]). Must be
    /// called inside a Tokio runtime (otherwise the only item is [`EventError::NoRuntime`]).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use invent_api::events::ChatEvent;
    ///
    /// # async fn run(client: invent_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut events = client.chat_events();
    /// events.connected().await; // from here on, every new chat reaches the stream
    /// while let Some(event) = events.try_next().await? {
    ///     if let ChatEvent::ChatCreated(chat) = event {
    ///         println!("new chat {:?}: {:?}", chat.id, chat.title);
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn chat_events(&self) -> EventStream {
        session::start(self, Feed::Chats, EventsConfig::default())
    }

    /// Chat events of this client's org's inbox (`GET /orgs/{org}/inbox/ws`), default settings.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    ///
    /// # async fn run(client: invent_api::Client) {
    /// let mut events = client.inbox_events();
    /// // Live once this returns: a change made after it is not missed.
    /// events.connected().await;
    /// while let Some(event) = events.next().await {
    ///     println!("{event:?}");
    /// }
    /// # }
    /// ```
    pub fn inbox_events(&self) -> EventStream {
        session::start(self, Feed::Inbox, EventsConfig::default())
    }

    /// Events of `feed` with your settings (checked first).
    pub fn events_with(&self, feed: Feed, config: EventsConfig) -> Result<EventStream, ConfigError> {
        config.validate()?;
        Ok(session::start(self, feed, config))
    }
}
