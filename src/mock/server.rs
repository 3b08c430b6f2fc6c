//! A local mock Invent server on loopback: stateful, spec-shaped, with Invent's conventions.
//!
//! ```no_run
//! # async fn demo() -> Result<(), invent_api::Error> {
//! use invent_api::mock::server::MockInvent;
//! use invent_api::prelude::*;
//!
//! let mock = MockInvent::builder().rate_limit_every(7).start().await;
//! let client = mock.client();
//! let assistants = client.list_assistants().collect_all().await?;
//! println!("{} assistants, {} requests", assistants.len(), mock.request_count());
//! # Ok(()) }
//! ```
//!
//! What it serves (see [`super::data`] for the seeded world): **every operation of the spec** (51 REST
//! operations and both WebSocket routes; `tests/mock_contract.rs` runs each one through Prism, an
//! independent validator, in front of the mock), with Invent's conventions:
//! - `Authorization: Bearer <key>` on every request ([`MOCK_API_KEY`] unless set); otherwise a 401.
//! - `/orgs/c/…` is the key's own (parent) org; `/orgs/<sub_org_id>/…` is that sub-org's own data; an
//!   unknown org id is a 404.
//! - Lists take `page` (1-based, default 1) and `take` (1..=100, default [`DEFAULT_TAKE`]), answer a bare
//!   JSON array, newest first, and send `pagination-count`, `pagination-page` and `pagination-take`.
//! - Stateful: what is created can be read, listed, updated and deleted. Assistants and their actions
//!   (created, read, updated, reordered), contacts (created, updated, merged, given segments, files;
//!   their activity timeline follows), segments, chats (started with an assistant or on a contact's
//!   custom channel; renamed, pinned, their state and assignee changed), messages (sent, edited,
//!   deleted, sent as a contact), memories (one per seeded chat, one more every 10 messages; deleted,
//!   cleared), sub-orgs (created, renamed, joined). Request bodies are checked against the generated
//!   request types (a 400 when they do not fit).
//! - A message to a chat with its AI on gets the handling assistant's reply (it quotes the message). If
//!   that assistant has an enabled action, the reply asks for approval to run it (see below); deciding
//!   it (as the admin or as the contact) completes the message.
//! - Errors are JSON: `{"statusCode": 404, "error": "Not Found", "message": "…"}` (Invent's error body is
//!   undocumented; this is the common NestJS shape). Unknown routes are 404s of that shape.
//! - With [`MockInventBuilder::rate_limit_every`]`(n)`, every n-th request (counting all requests) is a
//!   429 with `Retry-After: 0` and `retry-after-ms: 0`: deterministic, and never two in a row for n ≥ 2.
//! - More than 10 assistant creations per org is a 429 with `Retry-After: 3600`, like Invent's limit.
//! - Every response carries an `x-request-id` (`req_mock_000001`, …).
//! - The WebSocket routes `GET /orgs/{org}/chats/ws` and `GET /orgs/{org}/inbox/ws` (served by
//!   `src/mock/events.rs`, in front of the rest): every chat created in an org is sent to that org's
//!   sockets as `{"type": "create", "data": Chat}`, and inbox sockets get `{"data": Chat}` whenever a
//!   chat of the org changes (a message, an edit, an approval, its state, assignee or settings).
//!   Upgrades go through the same auth, org resolution, 429 cadence and request log (status 101) as any
//!   request. [`MockInvent::close_event_sockets`] closes them with a chosen code.
//!
//! # What the mock does not imitate
//!
//! - **The assistant's real replies.** A reply quotes the message it answers; no model runs, no
//!   knowledge is searched, no action is executed (an accepted approval only says it ran).
//! - **Undocumented shapes, made up where the spec is open.** The pending-approval part of a message is
//!   `{"type": "tool-approval", "tool_call_id", "action_id", "tool_name", "state"}` (Invent's is not
//!   documented); the approval body's `decision` / `reason` names are the spec's guesses; inbox entries
//!   are chats; `DELETE` answers carry the deleted object (or `{"deleted": n}`); a transfer of an org
//!   that is already a sub-org answers it unchanged (every org the mock knows is one).
//! - **Time.** Memories appear every 10 messages at once, not after a delay; the assistant creation
//!   limit counts for the server's lifetime, not per hour; nothing expires, snoozes or follows up.
//! - **Things the API cannot do.** Notes are never created (the API only lists them), chat files come
//!   only from `file` parts of messages, uploaded files are not fetched or stored (their size is
//!   estimated from base64 data), and contact fields and connections are a fixed seeded set.
//! - **Permissions and limits beyond the key.** Every request with the key may do everything; only the
//!   assistant creation limit and the optional 429 cadence are enforced.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use httpmock::{HttpMockRequest, MockServer};

pub use super::builder::MockInventBuilder;
use super::data::World;
use super::dispatch::{handle, record_status, State};
use super::events::{Front, MockEvent, RecordStatus, EVENT_BACKLOG};
use crate::{Client, ClientBuilder};

pub use super::conventions::{ASSISTANT_CREATION_LIMIT, DEFAULT_TAKE, MAX_TAKE, MOCK_API_KEY};
pub use super::dispatch::RecordedRequest;

impl MockInventBuilder {
    /// Starts the server on `127.0.0.1` (a free port).
    pub async fn start(self) -> MockInvent {
        let (events, _) = tokio::sync::broadcast::channel(EVENT_BACKLOG);
        let state = Arc::new(Mutex::new(State {
            world: World::seeded(&self.seed),
            api_key: self.api_key.clone(),
            rate_limit_every: self.rate_limit_every,
            requests: Vec::new(),
            rate_limited: 0,
            events: events.clone(),
        }));
        let server = MockServer::start_async().await;
        let handler = Arc::clone(&state);
        server
            .mock_async(move |_when, then| {
                then.respond_with(move |request: &HttpMockRequest| handle(&handler, request));
            })
            .await;
        let record: RecordStatus = {
            let state = Arc::clone(&state);
            Arc::new(move |request_id: &str, status: u16| record_status(&state, request_id, status))
        };
        let front = Front::start(server.base_url(), events, record).await;
        MockInvent { server, front, state, api_key: self.api_key }
    }
}

/// A running mock Invent server. Dropping it stops serving. It keeps state (what you create through it
/// is listed afterwards), checks the key, pages lists with Invent's headers and serves both WebSocket
/// routes; `cargo run --example tour` runs against it.
///
/// ```
/// use invent_api::mock::server::MockInvent;
/// use invent_api::prelude::*;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), invent_api::Error> {
/// let mock = MockInvent::builder().assistants(3).rate_limit_every(4).start().await;
/// let client = mock.client(); // its key, its loopback URL, the limiter off
/// let assistants = client.list_assistants().collect_all().await?;
/// assert_eq!(assistants.len(), 3);
/// // Every 4th request was answered 429 and retried by the client, invisibly to the caller.
/// println!("{} requests, {} rate limited", mock.request_count(), mock.rate_limited_count());
/// # Ok(())
/// # }
/// ```
pub struct MockInvent {
    /// The REST routes; reached through `front`, which adds the WebSocket routes.
    server: MockServer,
    front: Front,
    state: Arc<Mutex<State>>,
    api_key: String,
}

impl std::fmt::Debug for MockInvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockInvent")
            .field("base_url", &self.server.base_url())
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl MockInvent {
    /// A server with the default seed (25 assistants, 12 contacts, 3 chats, 2 sub-orgs) and no 429s.
    pub async fn start() -> MockInvent {
        Self::builder().start().await
    }

    /// Settings: seed sizes, API key, 429 cadence.
    pub fn builder() -> MockInventBuilder {
        MockInventBuilder::default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.front.base_url()
    }

    /// Closes every open event socket with `code` and `reason` (e.g. 1012 "service restart" to test
    /// reconnection, 1008 to test a refusal).
    pub fn close_event_sockets(&self, code: u16, reason: &str) {
        let _ = self.lock().events.send(MockEvent::Close { code, reason: reason.to_string() });
    }

    /// Event sockets open now (and upgrades being answered).
    pub fn event_sockets(&self) -> usize {
        self.lock().events.receiver_count()
    }

    /// The key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// A client builder pointed at this server with its key, the limiter off and the default retries.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder().api_key(self.api_key.clone()).base_url(self.base_url()).limiter(None)
    }

    /// A ready client (see [`Self::client_builder`]).
    ///
    /// # Panics
    /// If the key given to [`MockInventBuilder::api_key`] cannot go into an HTTP header.
    pub fn client(&self) -> Client {
        match self.client_builder().build() {
            Ok(client) => client,
            Err(e) => panic!("client for the mock Invent at {}: {e}", self.base_url()),
        }
    }

    /// Requests received so far, 429s and 401s included.
    pub fn request_count(&self) -> u64 {
        self.lock().requests.len() as u64
    }

    /// Requests answered with the scheduled 429.
    pub fn rate_limited_count(&self) -> u64 {
        self.lock().rate_limited
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The real id of the key's own org (what `c` stands for).
    pub fn org_id(&self) -> String {
        self.lock().world.orgs[0].id.clone()
    }

    /// The ids of the key's org's sub-orgs, including ones created through the API.
    pub fn sub_org_ids(&self) -> Vec<String> {
        let state = self.lock();
        state.world.orgs[0].sub_orgs.iter().map(|&i| state.world.orgs[i].id.clone()).collect()
    }

    /// A copy of the server's current data.
    pub fn world(&self) -> World {
        self.lock().world.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
