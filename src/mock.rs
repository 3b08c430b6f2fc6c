//! Mocks of the Invent API for tests and demos (feature `mock`).
//!
//! - [`server::MockInvent`]: a stateful local Invent server on loopback serving every operation of the
//!   spec, with spec-shaped seed data, pagination headers, Bearer auth, sub-orgs, an optional
//!   deterministic 429 cadence, and both WebSocket routes (an event for every chat created through it,
//!   and on the inbox route for every chat changed). Its [module docs](server) say what it serves and
//!   what it does not imitate (the assistant's real replies, among others).
//! - [`MockServerExt`] and [`operations`]: progenitor's typed [`httpmock`] helpers, one per
//!   operation, generated from the same spec as the client: `server.list_assistants(|when, then| …)`
//!   matches the operation's method and path, `when` has a typed method per parameter and `body(&T)`,
//!   `then` a typed method per declared response (`ok(&Vec<types::Assistant>)`, `not_found(&types::ErrorBody)`, …).
//! - [`Scenarios`]: ready scenarios on any route: rate limited ([`Scenarios::rate_limited`],
//!   [`Scenarios::throttle`]), a list served page by page with Invent's `pagination-*` headers
//!   ([`Scenarios::paginated`]), and JSON error bodies ([`Scenarios::error`], [`Scenarios::not_found`],
//!   [`Scenarios::unauthorized`]).
//! - [`client`], [`fixture`], [`query_value`], and `httpmock` itself re-exported ([`httpmock`], [`MockServer`],
//!   [`Mock`]), so a test needs no other dependency.
//!
//! # Example
//!
//! ```
//! use futures::TryStreamExt;
//! use invent_api::mock::prelude::*;
//! use invent_api::prelude::*;
//! use invent_api::types;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = MockServer::start();
//! let client = invent_api::mock::client(&server);
//!
//! // A typed helper: the method and path of `get_assistant`, the id matched, a typed 200 body.
//! let support: types::Assistant = fixture(serde_json::json!({"id": "ast_1", "name": "Support", "enabled": true}));
//! let get = server.get_assistant(|when, then| {
//!     when.assistant_id("ast_1");
//!     then.ok(&support);
//! });
//! assert_eq!(client.get_assistant().assistant_id("ast_1").send().await.unwrap().name, "Support");
//! get.assert();
//!
//! // Two 429s, then a success: the client's retries absorb them.
//! let chats = server.rate_limited("list_org_chats", 2, Duration::ZERO, &Vec::<types::Chat>::new());
//! assert!(client.list_org_chats().send().await.unwrap().is_empty());
//! chats.limited.assert_calls(2);
//!
//! // 25 assistants in pages: `Paginate` follows the headers to the end.
//! let all: Vec<types::Assistant> = (1..=25)
//!     .map(|i| fixture(serde_json::json!({"id": format!("ast_{i}"), "name": "A", "enabled": true})))
//!     .collect();
//! let pages = server.paginated("list_assistants", &all);
//! let sizes: Vec<usize> =
//!     client.list_assistants().pages_with(10).map_ok(|page| page.items.len()).try_collect().await.unwrap();
//! assert_eq!(sizes, [10, 10, 5]);
//! pages.assert_calls(3);
//!
//! // A JSON error body.
//! server.not_found("GET /orgs/c/contacts/{contact_id}/notes", "Contact not found");
//! let err = client.list_contact_notes().contact_id("ct_x").send().await.unwrap_err();
//! assert!(err.is_not_found());
//! # }
//! ```
//!
//! The helpers are synchronous (`server.mock(…)` underneath) and work inside `#[tokio::test]`; start
//! the server with `MockServer::start()` or `MockServer::start_async().await`.
//!
//! # Gaps in the generated helpers, and what to do instead
//!
//! Each `When`/`Then` wrapper has `into_inner()`, which gives back the raw [`httpmock::When`] /
//! [`httpmock::Then`] for anything the typed methods cannot say.
//!
//! - **Org-scoped paths match `c` only.** The helpers match `/orgs/c/…` (the org segment is inlined as
//!   the current org). For a client made with [`crate::Client::for_org`], match the path yourself:
//!   `when.into_inner().path("/orgs/org_123/assistants")`, or a scenario route
//!   `"GET /orgs/{org}/assistants"`.
//! - **Array query parameters** have no typed `When` method (progenitor's generated code for them does
//!   not compile, so `build.rs` generates the helpers from a copy of the spec without them). The client
//!   sends arrays as repeated keys; match them with
//!   `when.into_inner().query_param("tag", "a").query_param("tag", "b")`.
//! - **Date-time query parameters** would be matched by their `Display` form (`2024-01-01 00:00:00 UTC`)
//!   while the client sends RFC 3339 (`2024-01-01T00:00:00Z`), so a typed matcher never matches. Use
//!   `when.into_inner().query_param("from", query_value(&value))` ([`query_value`] gives exactly the
//!   text the client sends).
//! - **Headers on a typed response** (a `Retry-After`, the `pagination-*` counts): chain on the inner
//!   `Then`: `then.ok(&items).into_inner().header("pagination-count", "1")`. Or use [`Scenarios`].
//! - **Non-JSON responses** take a `serde_json::Value` and always say `application/json`; use
//!   `then.into_inner().status(200).body(bytes)` for anything else.
//! - **Order matters**: httpmock answers with the first mock that matches and is not used up (see
//!   `Mock::up_to_n_times`), so create a limited mock before the one that takes over.

use serde::de::DeserializeOwned;

use crate::{Client, ClientBuilder};

mod builder;
pub mod conventions;
pub mod data;
mod dispatch;
mod events;
mod handlers;
mod reply;
mod routes;
pub mod scenarios;
pub mod server;

/// progenitor's generated helpers (`build.rs` writes them to `OUT_DIR/generated_mock.rs`).
#[allow(clippy::all, missing_docs, unused_imports, dead_code, rustdoc::all)]
mod typed {
    include!(concat!(env!("OUT_DIR"), "/generated_mock.rs"));
}

pub use typed::{operations, MockServerExt};

pub use scenarios::{error_body, RateLimited, Route, Scenarios};

/// The httpmock crate this module is built on (version 0.9), so tests need no dependency of their own.
pub use httpmock;
pub use httpmock::{Mock, MockServer};

/// The API key [`client`] uses (any key works: httpmock does not check it unless told to).
pub const TEST_API_KEY: &str = "sk_test_invent_mock";

/// What a mock test usually needs: `use invent_api::mock::prelude::*;`.
pub mod prelude {
    pub use super::{client, fixture, query_value, MockServerExt, Scenarios};
    pub use httpmock::{Mock, MockServer};
}

/// A client builder pointed at `server`: key [`TEST_API_KEY`], the limiter off, default retries (so
/// 429 scenarios are retried).
pub fn client_builder(server: &MockServer) -> ClientBuilder {
    Client::builder().api_key(TEST_API_KEY).base_url(server.base_url()).limiter(None)
}

/// A ready client for `server` (see [`client_builder`]).
///
/// ```
/// use invent_api::mock::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), invent_api::Error> {
/// let server = MockServer::start_async().await;
/// server.not_found("get_assistant", "Assistant not found");
/// let client = invent_api::mock::client(&server);
/// let err = client.get_assistant().assistant_id("ast_1").send().await.expect_err("mocked 404");
/// assert!(err.is_not_found());
/// # Ok(())
/// # }
/// ```
pub fn client(server: &MockServer) -> Client {
    match client_builder(server).build() {
        Ok(client) => client,
        Err(e) => panic!("client for the mock server at {}: {e}", server.base_url()),
    }
}

/// The text the client sends for `value` as a query parameter (serde's form: RFC 3339 for date-times,
/// the wire name for enums), for matching with `when.into_inner().query_param(name, query_value(&v))`
/// where a typed matcher compares something else (date-times, see the module docs).
///
/// ```
/// let t = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").unwrap().to_utc();
/// assert_eq!(invent_api::mock::query_value(&t), "2024-01-02T03:04:05Z");
/// assert_eq!(invent_api::mock::query_value(&invent_api::types::ListContactsStatus::Subscribed), "SUBSCRIBED");
/// ```
pub fn query_value<T: serde::Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => panic!("query_value: {} does not serialize: {e}", std::any::type_name::<T>()),
    }
}

/// A generated type from JSON, for test data: `fixture::<types::Assistant>(json!({"id": "ast_1", …}))`.
///
/// ```
/// use invent_api::{mock::fixture, types};
///
/// let assistant: types::Assistant = fixture(serde_json::json!({"id": "ast_1", "name": "Support", "enabled": true}));
/// assert_eq!(assistant.name, "Support");
/// ```
///
/// # Panics
/// When the JSON does not fit the type (the message names the type and serde's reason).
pub fn fixture<T: DeserializeOwned>(value: serde_json::Value) -> T {
    match serde_json::from_value(value) {
        Ok(v) => v,
        Err(e) => panic!("fixture: the JSON does not fit {}: {e}", std::any::type_name::<T>()),
    }
}
