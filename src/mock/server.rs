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
//! What it serves (see [`super::data`] for the seeded world):
//! - `Authorization: Bearer <key>` on every request ([`MOCK_API_KEY`] unless set); otherwise a 401.
//! - `/orgs/c/…` is the key's own (parent) org; `/orgs/<sub_org_id>/…` is that sub-org's own data; an
//!   unknown org id is a 404.
//! - Lists take `page` (1-based, default 1) and `take` (1..=100, default [`DEFAULT_TAKE`]), answer a bare
//!   JSON array, newest first, and send `pagination-count`, `pagination-page` and `pagination-take`.
//! - Created assistants, contacts, sub-orgs and chat messages are stored and show up in later lists.
//!   Request bodies are checked against the generated request types (a 400 when they do not fit).
//! - `POST /chats/{chat_id}/messages` stores the user message and answers with the assistant's reply.
//! - Errors are JSON: `{"statusCode": 404, "error": "Not Found", "message": "…"}` (Invent's error body is
//!   undocumented; this is the common NestJS shape). Unknown routes are 404s of that shape.
//! - With [`MockInventBuilder::rate_limit_every`]`(n)`, every n-th request (counting all requests) is a
//!   429 with `Retry-After: 0` and `retry-after-ms: 0`: deterministic, and never two in a row for n ≥ 2.
//! - More than 10 assistant creations per org is a 429 with `Retry-After: 3600`, like Invent's limit.
//! - Every response carries an `x-request-id` (`req_mock_000001`, …).
//! - `POST /orgs/{org}/contacts/{contact_id}/channels/{channel_id}/chats` creates a chat on a contact's
//!   custom channel (400 on other channels), optionally with a first message authored as the contact.
//! - The WebSocket routes `GET /orgs/{org}/chats/ws` and `GET /orgs/{org}/inbox/ws` (served by
//!   `src/mock/events.rs`, in front of the rest): every chat created in an org is sent to that org's
//!   sockets as `{"type": "create", "data": Chat}`. Upgrades go through the same auth, org resolution,
//!   429 cadence and request log (status 101) as any request. [`MockInvent::close_event_sockets`] closes
//!   them with a chosen code.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use httpmock::{HttpMockRequest, HttpMockResponse, MockServer};
use serde_json::{json, Map, Value};

use super::conventions;
use super::data::{self, Seed, World};
use super::events::{Front, MockEvent, RecordStatus, EVENT_BACKLOG};
use crate::{types, Client, ClientBuilder};

/// The API key the mock accepts unless [`MockInventBuilder::api_key`] sets another.
pub const MOCK_API_KEY: &str = "sk_mock_invent_local_key";
pub use super::conventions::{DEFAULT_TAKE, MAX_TAKE};
/// Invent's assistant-creation limit per org (per hour on the real API; for the mock's lifetime here).
pub const ASSISTANT_CREATION_LIMIT: usize = 10;

/// One request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// 1-based position among all requests the server received.
    pub number: u64,
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The status the mock answered with.
    pub status: u16,
}

/// Settings of a [`MockInvent`]; start from [`MockInvent::builder`].
#[derive(Debug, Clone)]
pub struct MockInventBuilder {
    seed: Seed,
    api_key: String,
    rate_limit_every: Option<u64>,
}

impl Default for MockInventBuilder {
    fn default() -> Self {
        MockInventBuilder { seed: Seed::default(), api_key: MOCK_API_KEY.to_string(), rate_limit_every: None }
    }
}

impl MockInventBuilder {
    /// Every `n`-th request gets a 429 (`Retry-After: 0`); 0 or 1 turns it off (1 would refuse everything).
    pub fn rate_limit_every(mut self, n: u64) -> Self {
        self.rate_limit_every = (n >= 2).then_some(n);
        self
    }
    /// The key the server accepts (default [`MOCK_API_KEY`]).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }
    /// Number of assistants in the key's own org (default 25).
    pub fn assistants(mut self, n: usize) -> Self {
        self.seed.assistants = n;
        self
    }
    /// Number of contacts in the key's own org (default 12).
    pub fn contacts(mut self, n: usize) -> Self {
        self.seed.contacts = n;
        self
    }
    /// Number of chats in the key's own org (default 3).
    pub fn chats(mut self, n: usize) -> Self {
        self.seed.chats = n;
        self
    }
    /// Number of sub-orgs (default 2), each with 3 assistants, 4 contacts and 1 chat unless [`Self::seed`]
    /// says otherwise.
    pub fn sub_orgs(mut self, n: usize) -> Self {
        self.seed.sub_orgs = n;
        self
    }
    /// All seed counts at once.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

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

struct State {
    world: World,
    api_key: String,
    rate_limit_every: Option<u64>,
    requests: Vec<RecordedRequest>,
    rate_limited: u64,
    /// To the event sockets ([`super::events`]).
    events: tokio::sync::broadcast::Sender<MockEvent>,
}

/// The front server upgraded (or refused) request `req_mock_NNNNNN`: log the status the client got.
fn record_status(state: &Mutex<State>, request_id: &str, status: u16) {
    let Some(number) = request_id.strip_prefix("req_mock_").and_then(|n| n.parse::<usize>().ok()) else { return };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(request) = number.checked_sub(1).and_then(|i| state.requests.get_mut(i)) {
        request.status = status;
    }
}

/// A response before it becomes an `HttpMockResponse`.
struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
    /// Sent to the event sockets once the reply is made. Boxed: a `Reply` is also every handler's `Err`,
    /// which stays small without the event inline (clippy `result_large_err`).
    event: Option<Box<MockEvent>>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply { status: 200, body, headers: Vec::new(), event: None }
    }

    fn error(status: u16, message: impl Into<String>) -> Reply {
        Reply { status, body: conventions::error_body(status, &message.into()), headers: Vec::new(), event: None }
    }

    fn not_found(what: &str, id: &str) -> Reply {
        Reply::error(404, format!("{what} {id} not found"))
    }

    fn event(mut self, event: MockEvent) -> Reply {
        self.event = Some(Box::new(event));
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

type Handled = Result<Reply, Reply>;

fn handle(state: &Mutex<State>, request: &HttpMockRequest) -> HttpMockResponse {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let number = state.requests.len() as u64 + 1;
    let uri = request.uri();
    let method = request.method_str().to_ascii_uppercase();
    let path = uri.path().to_string();

    let mut reply = if state.rate_limit_every.is_some_and(|n| number.is_multiple_of(n)) {
        state.rate_limited += 1;
        Reply::error(429, "Too many requests: the limit is 500 requests per minute")
            .header("retry-after", "0")
            .header("retry-after-ms", "0")
    } else if !authorized(request, &state.api_key) {
        Reply::error(401, "Unauthorized: missing or invalid API key").header("www-authenticate", "Bearer")
    } else {
        let query = Query(request.query_params());
        let call = Call { method: &method, query: &query, body: request.body_ref() };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        route(&mut state.world, &call, &segments).unwrap_or_else(|reply| reply)
    };

    if let Some(event) = reply.event.take() {
        // No socket listening is fine.
        let _ = state.events.send(*event);
    }
    state.requests.push(RecordedRequest {
        number,
        method,
        path,
        query: uri.query().map(str::to_string),
        status: reply.status,
    });

    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let mut response = HttpMockResponse::builder()
        .status(reply.status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-request-id", format!("req_mock_{number:06}"));
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(body).build()
}

fn authorized(request: &HttpMockRequest, key: &str) -> bool {
    request.headers_vec().iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("authorization")
            && value
                .split_once(' ')
                .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && token.trim() == key)
    })
}

struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `page` and `take`, validated like Invent's query validation.
    fn paging(&self) -> Result<(u64, u64), Reply> {
        conventions::paging(|name| self.get(name)).map_err(|message| Reply::error(400, message))
    }

    fn flag(&self, name: &str) -> Result<Option<bool>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Reply::error(400, format!("{name} must be a boolean value"))),
        }
    }
}

struct Call<'a> {
    method: &'a str,
    query: &'a Query,
    body: &'a [u8],
}

impl Call<'_> {
    /// The JSON body, checked against the generated request type `T`.
    fn body<T: serde::de::DeserializeOwned + serde::Serialize>(&self) -> Result<Value, Reply> {
        let value: Value = if self.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(self.body)
                .map_err(|e| Reply::error(400, format!("the body is not valid JSON: {e}")))?
        };
        data::conform::<T>(value).map_err(|e| Reply::error(400, e))
    }
}

/// One page of `items` with the pagination headers.
fn page(items: Vec<&Value>, query: &Query) -> Handled {
    let (page, take) = query.paging()?;
    let (slice, headers) = conventions::page_of(&items, page, take);
    let mut reply = Reply::ok(Value::Array(slice.into_iter().cloned().collect()));
    for (name, value) in headers {
        reply = reply.header(name, value);
    }
    Ok(reply)
}

fn now() -> String {
    data::timestamp(chrono::Utc::now())
}

fn find<'a>(items: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
    items.iter_mut().find(|item| item["id"] == id)
}

fn route(world: &mut World, call: &Call<'_>, segments: &[&str]) -> Handled {
    let unknown = || Reply::error(404, format!("Cannot {} /{}", call.method, segments.join("/")));
    match segments {
        ["orgs", org, rest @ ..] => {
            let org = world.resolve_org(org).ok_or_else(|| Reply::not_found("Org", org))?;
            org_route(world, org, call, rest).unwrap_or_else(|| Err(unknown()))
        }
        ["chats", chat, rest @ ..] => chat_route(world, chat, call, rest).unwrap_or_else(|| Err(unknown())),
        _ => Err(unknown()),
    }
}

/// Routes under `/orgs/{org}`; `None` for an unknown route.
fn org_route(world: &mut World, org: usize, call: &Call<'_>, rest: &[&str]) -> Option<Handled> {
    let q = call.query;
    let handled = match (call.method, rest) {
        ("GET", ["assistants"]) => page(world.orgs[org].assistants.iter().collect(), q),
        ("POST", ["assistants"]) => create_assistant(world, org, call),
        ("GET", ["assistants", id]) => assistant(world, org, id).map(|a| Reply::ok(a.clone())),
        ("PATCH", ["assistants", id]) => update_assistant(world, org, id, call),
        ("GET", ["assistants", id, "actions"]) => assistant(world, org, id).and_then(|_| page(Vec::new(), q)),
        ("GET", ["contacts"]) => list_contacts(world, org, q),
        ("POST", ["contacts"]) => create_contact(world, org, call),
        ("GET", ["contacts", "duplicates" | "fields"]) => page(Vec::new(), q),
        ("PATCH", ["contacts", id]) => update_contact(world, org, id, call),
        ("GET", ["contacts", id, "segments"]) => contact(world, org, id).and_then(|c| {
            let ids: Vec<Value> = c["segments"].as_array().into_iter().flatten().map(|s| s["id"].clone()).collect();
            page(world.orgs[org].segments.iter().filter(|s| ids.contains(&s["id"])).collect(), q)
        }),
        ("GET", ["contacts", id, "notes" | "activities" | "files"]) => {
            contact(world, org, id).and_then(|_| page(Vec::new(), q))
        }
        ("GET", ["segments"]) => {
            let search = q.get("search").map(str::to_lowercase);
            let matches = |s: &&Value| {
                search.as_ref().is_none_or(|t| s["name"].as_str().is_some_and(|n| n.to_lowercase().contains(t)))
            };
            page(world.orgs[org].segments.iter().filter(matches).collect(), q)
        }
        ("GET", ["connections"]) | ("GET", ["inbox"]) => page(Vec::new(), q),
        ("GET", ["chats"]) => page(world.orgs[org].chats.iter().collect(), q),
        // The admission check of a WebSocket upgrade (see `super::events`): auth and org passed.
        ("GET", ["chats" | "inbox", "ws"]) => Ok(Reply::ok(json!({ "org_id": world.orgs[org].id }))),
        ("POST", ["contacts", contact, "channels", channel, "chats"]) => {
            create_channel_chat(world, org, contact, channel, call)
        }
        ("GET", ["orgs"]) => {
            let subs = &world.orgs[org].sub_orgs;
            page(subs.iter().map(|&i| &world.orgs[i].summary).collect(), q)
        }
        ("POST", ["orgs"]) => create_sub_org(world, org, call),
        _ => return None,
    };
    Some(handled)
}

/// Routes under `/chats/{chat}`; `None` for an unknown route.
fn chat_route(world: &mut World, chat: &str, call: &Call<'_>, rest: &[&str]) -> Option<Handled> {
    let q = call.query;
    let known = matches!(
        (call.method, rest),
        ("GET" | "POST", ["messages"])
            | ("GET", ["messages", _])
            | ("GET", ["files" | "memories"])
            | ("GET", ["state", "info"])
    );
    if !known {
        return None;
    }
    let Some(messages) = world.messages.get(chat) else { return Some(Err(Reply::not_found("Chat", chat))) };
    let handled = match (call.method, rest) {
        // Messages are served newest first, like every other list.
        ("GET", ["messages"]) => page(messages.iter().rev().collect(), q),
        ("GET", ["messages", id]) => match messages.iter().find(|m| m["id"] == *id) {
            Some(message) => Ok(Reply::ok(message.clone())),
            None => Err(Reply::not_found("Message", id)),
        },
        ("POST", ["messages"]) => create_message(world, chat, call),
        ("GET", ["state", "info"]) => Ok(Reply::ok(json!({ "newest_chat_id": null }))),
        _ => page(Vec::new(), q),
    };
    Some(handled)
}

fn assistant<'a>(world: &'a World, org: usize, id: &str) -> Result<&'a Value, Reply> {
    world.orgs[org].assistants.iter().find(|a| a["id"] == id).ok_or_else(|| Reply::not_found("Assistant", id))
}

fn contact<'a>(world: &'a World, org: usize, id: &str) -> Result<&'a Value, Reply> {
    world.orgs[org].contacts.iter().find(|c| c["id"] == id).ok_or_else(|| Reply::not_found("Contact", id))
}

/// Merges the object `patch` into `target` (one level; `config` one level deeper).
fn merge(target: &mut Value, patch: &Map<String, Value>, fields: &[&str]) {
    for field in fields {
        let Some(value) = patch.get(*field) else { continue };
        match (target.get_mut(*field), value) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                for (k, v) in new {
                    old.insert(k.clone(), v.clone());
                }
            }
            _ => target[*field] = value.clone(),
        }
    }
}

fn create_assistant(world: &mut World, org: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateAssistantRequest>()?;
    let name = body["name"].as_str().unwrap_or_default();
    if name.is_empty() || name.chars().count() > 1024 {
        return Err(Reply::error(400, "name must be between 1 and 1024 characters"));
    }
    if world.orgs[org].assistants_created >= ASSISTANT_CREATION_LIMIT {
        return Err(
            Reply::error(429, "Assistant creation limit reached: 10 per hour per org").header("retry-after", "3600")
        );
    }
    let id = world.new_id("ast");
    let at = now();
    let mut config = json!({ "language": "auto", "model": data::MODEL, "knowledge_scope": "all", "timezone": "UTC" });
    if let Some(Value::Object(extra)) = body.get("config") {
        merge(&mut config, extra, &extra.keys().map(String::as_str).collect::<Vec<_>>());
    }
    let secret = body["generate_secret_key"].as_bool().unwrap_or(false).then(|| world.new_id("sk"));
    let assistant = json!({
        "id": id,
        "name": name,
        "enabled": body["enabled"].as_bool().unwrap_or(true),
        "deleted": false,
        "secret_key": secret,
        "avatar_url": null,
        "config": config,
        "integrations": [],
        "actions": [],
        "boards": [],
        "created_at": at,
        "updated_at": at,
    });
    let assistant = data::conform::<types::Assistant>(assistant).map_err(|e| Reply::error(500, e))?;
    world.orgs[org].assistants.insert(0, assistant.clone());
    world.orgs[org].assistants_created += 1;
    Ok(Reply::ok(assistant))
}

fn update_assistant(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::UpdateAssistantRequest>()?;
    let patch = body.as_object().cloned().unwrap_or_default();
    let assistant = find(&mut world.orgs[org].assistants, id).ok_or_else(|| Reply::not_found("Assistant", id))?;
    let mut updated = assistant.clone();
    merge(&mut updated, &patch, &["name", "enabled", "config"]);
    updated["updated_at"] = json!(now());
    *assistant = data::conform::<types::Assistant>(updated).map_err(|e| Reply::error(500, e))?;
    Ok(Reply::ok(assistant.clone()))
}

fn list_contacts(world: &World, org: usize, q: &Query) -> Handled {
    let lower = |v: &Value| v.as_str().unwrap_or_default().to_lowercase();
    let search = q.get("search").map(str::to_lowercase);
    let name = q.get("name").map(str::to_lowercase);
    let unsubscribed = q.flag("unsubscribed")?;
    let status = q.get("status").unwrap_or("ALL");
    if !["ALL", "SUBSCRIBED", "UNSUBSCRIBED", "BLOCKED", "AI_REPLIES_DISABLED"].contains(&status) {
        return Err(Reply::error(
            400,
            "status must be one of ALL, SUBSCRIBED, UNSUBSCRIBED, BLOCKED, AI_REPLIES_DISABLED",
        ));
    }
    let channel_has = |c: &Value, field: &str, wanted: &str| {
        c["channels"].as_array().into_iter().flatten().any(|ch| lower(&ch[field]) == wanted.to_lowercase())
    };
    let keep = |c: &&Value| {
        let is_unsubscribed = c["unsubscribed"].as_bool().unwrap_or(false);
        let is_blocked = c["blocked"].as_bool().unwrap_or(false);
        search.as_ref().is_none_or(|s| lower(&c["name"]).contains(s))
            && name.as_ref().is_none_or(|n| lower(&c["name"]) == *n)
            && q.get("email").is_none_or(|e| channel_has(c, "email", e))
            && q.get("user_id").is_none_or(|u| channel_has(c, "user_id", u))
            && q.get("segment_id").is_none_or(|s| c["segments"].as_array().into_iter().flatten().any(|x| x["id"] == s))
            && unsubscribed.is_none_or(|u| u == is_unsubscribed)
            && match status {
                "SUBSCRIBED" => !is_unsubscribed,
                "UNSUBSCRIBED" => is_unsubscribed,
                "BLOCKED" => is_blocked,
                "AI_REPLIES_DISABLED" => false,
                _ => true,
            }
    };
    page(world.orgs[org].contacts.iter().filter(keep).collect(), q)
}

fn create_contact(world: &mut World, org: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateContactRequest>()?;
    let Some(channel) = body.get("channel").and_then(Value::as_object) else {
        return Err(Reply::error(400, "channel is required"));
    };
    let field = |name: &str| channel.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let (name, email, phone) = (field("name"), field("email"), field("phone"));
    let user_id = [field("user_id"), email.clone(), phone.clone()].into_iter().find(|s| !s.is_empty());
    let Some(user_id) = user_id else {
        return Err(Reply::error(400, "channel needs a user_id, email or phone"));
    };
    let mut segments = Vec::new();
    for id in body["segment_ids"].as_array().into_iter().flatten() {
        let id = id.as_str().unwrap_or_default();
        let segment =
            world.orgs[org].segments.iter().find(|s| s["id"] == id).ok_or_else(|| Reply::not_found("Segment", id))?;
        segments.push(data::nested_segment(segment));
    }
    let at = now();
    let contact_id = world.new_id("ctc");
    let mut channel = data::channel(world.new_id("chn"), "custom", &name, &email, &phone, &at);
    channel["user_id"] = json!(user_id);
    for (key, value) in [("name", &name), ("email", &email), ("phone", &phone)] {
        if value.is_empty() {
            channel.as_object_mut().map(|c| c.remove(key));
        }
    }
    let contact = json!({
        "id": contact_id,
        "name": if name.is_empty() { Value::Null } else { json!(name) },
        "blocked": false,
        "unsubscribed": false,
        "is_admin": false,
        "channels": [channel],
        "segments": segments,
        "created_at": at,
        "updated_at": at,
    });
    let contact = data::conform::<types::Contact>(contact).map_err(|e| Reply::error(500, e))?;
    for segment in &mut world.orgs[org].segments {
        if contact["segments"].as_array().into_iter().flatten().any(|s| s["id"] == segment["id"]) {
            let count = segment["contacts_count"].as_f64().unwrap_or(0.0) + 1.0;
            segment["contacts_count"] = json!(count);
        }
    }
    world.orgs[org].contacts.insert(0, contact.clone());
    Ok(Reply::ok(contact))
}

fn update_contact(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::UpdateContactRequest>()?;
    let patch = body.as_object().cloned().unwrap_or_default();
    if patch.get("name").and_then(Value::as_str).is_some_and(|n| n.chars().count() > 512) {
        return Err(Reply::error(400, "name must be at most 512 characters"));
    }
    let contact = find(&mut world.orgs[org].contacts, id).ok_or_else(|| Reply::not_found("Contact", id))?;
    let mut updated = contact.clone();
    let at = now();
    merge(&mut updated, &patch, &["name", "blocked", "unsubscribed"]);
    for (flag, stamp) in [("blocked", "blocked_at"), ("unsubscribed", "unsubscribed_at")] {
        match patch.get(flag).and_then(Value::as_bool) {
            Some(true) => updated[stamp] = json!(at),
            Some(false) => {
                updated.as_object_mut().map(|c| c.remove(stamp));
            }
            None => {}
        }
    }
    updated["updated_at"] = json!(at);
    *contact = data::conform::<types::Contact>(updated).map_err(|e| Reply::error(500, e))?;
    Ok(Reply::ok(contact.clone()))
}

fn create_channel_chat(world: &mut World, org: usize, contact_id: &str, channel_id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateContactChannelChatRequest>()?;
    let contact = contact(world, org, contact_id)?.clone();
    let channels = contact["channels"].as_array().cloned().unwrap_or_default();
    let channel =
        channels.iter().find(|c| c["id"] == channel_id).ok_or_else(|| Reply::not_found("Channel", channel_id))?;
    if channel["type"] != "custom" {
        return Err(Reply::error(400, "chats can only be created on custom channels"));
    }
    let handler = match body.get("assistant_id").and_then(Value::as_str) {
        Some(id) => Some(assistant(world, org, id)?.clone()),
        None => None,
    };
    let at = now();
    let id = world.new_id("cht");
    let title = body["title"].as_str().unwrap_or("New chat").to_string();
    let org_id = world.orgs[org].id.clone();
    let mut chat = data::chat(&id, &title, &org_id, "custom", &at, handler.as_ref());
    // The contact channel is the only member (the admin is not).
    chat["members"] = json!([{
        "id": world.new_id("mbr"),
        "contact_channel": {
            "id": channel["id"],
            "type": "custom",
            "user_id": channel["user_id"],
            "name": channel["name"],
            "contact": { "id": contact["id"], "name": contact["name"], "blocked": contact["blocked"], "is_admin": false },
        },
    }]);
    let chat = data::conform::<types::Chat>(chat).map_err(|e| Reply::error(500, e))?;
    let mut messages = Vec::new();
    if let Some(parts) = body["message"].as_array().filter(|p| !p.is_empty()) {
        let first = json!({
            "id": world.new_id("msg"),
            "role": "user",
            "status": "COMPLETED",
            "created_at": at,
            "updated_at": at,
            "messages": [{ "role": "user", "parts": parts }],
        });
        messages.push(data::conform::<types::ChatMessage>(first).map_err(|e| Reply::error(500, e))?);
    }
    world.messages.insert(id.clone(), messages);
    world.chat_org.insert(id, org);
    world.orgs[org].chats.insert(0, chat.clone());
    Ok(Reply::ok(chat.clone()).event(MockEvent::ChatCreated { org_id, chat }))
}

fn create_sub_org(world: &mut World, parent: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateSubOrganizationRequest>()?;
    if parent != 0 {
        return Err(Reply::error(403, "a sub-organization cannot have sub-organizations"));
    }
    let name = body["name"].as_str().unwrap_or_default().trim().to_string();
    if !(2..=64).contains(&name.chars().count()) {
        return Err(Reply::error(400, "name must be between 2 and 64 characters"));
    }
    let id = world.new_id("org");
    let summary = json!({
        "id": id,
        "name": name,
        "plan": "free",
        "balance": 0.0,
        "promo_balance": 0.0,
        "members": [],
        "spending_cap_used": 0.0,
        "created_at": now(),
        "features": { "enterprise": false, "allow_overdraft": false, "workflows": false, "broadcasts": false },
    });
    let summary = data::conform::<types::SubOrganization>(summary).map_err(|e| Reply::error(500, e))?;
    world.orgs.push(data::OrgData {
        id,
        name,
        summary: summary.clone(),
        assistants: Vec::new(),
        contacts: Vec::new(),
        segments: Vec::new(),
        chats: Vec::new(),
        sub_orgs: Vec::new(),
        assistants_created: 0,
    });
    let index = world.orgs.len() - 1;
    world.orgs[0].sub_orgs.insert(0, index);
    Ok(Reply::ok(summary))
}

fn create_message(world: &mut World, chat: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateChatMessageRequest>()?;
    let parts = body["message"].as_array().cloned().unwrap_or_default();
    if parts.is_empty() {
        return Err(Reply::error(400, "message must contain at least 1 element"));
    }
    let org = world.chat_org.get(chat).copied().unwrap_or(0);
    let chat_value = world.orgs[org].chats.iter().find(|c| c["id"] == chat).cloned().unwrap_or(Value::Null);
    let assistant_name = chat_value["state"]["assistant"]["name"].as_str().unwrap_or("Invent").to_string();
    let at = now();

    let user_id = world.new_id("msg");
    let user = json!({
        "id": user_id,
        "role": "user",
        "status": "COMPLETED",
        "created_at": at,
        "updated_at": at,
        "messages": [{ "role": "user", "parts": parts }],
    });
    let user = data::conform::<types::ChatMessage>(user).map_err(|e| Reply::error(500, e))?;
    let text = data::message_text(&user);
    let reply_text = if text.is_empty() {
        format!("{assistant_name} here: I received your message.")
    } else {
        format!("{assistant_name} here: you said “{}”. (A reply from the local mock Invent.)", text.trim())
    };
    let reply = data::message(world.new_id("msg"), "assistant", &reply_text, Some(data::MODEL), &at);

    if let Some(messages) = world.messages.get_mut(chat) {
        messages.push(user);
        messages.push(reply.clone());
    }
    if let Some(chat) = world.orgs[org].chats.iter_mut().find(|c| c["id"] == chat) {
        chat["updated_at"] = json!(at);
    }
    Ok(Reply::ok(reply))
}
