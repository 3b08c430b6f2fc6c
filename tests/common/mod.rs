//! Helpers shared by the integration tests: a client pointed at a loopback server, and spec-shaped
//! JSON bodies. Each test file uses a subset.
#![allow(dead_code)]

use httpmock::MockServer;
use invent_api::Client;
use serde_json::{json, Value};

/// A key that must never show up in Debug output, errors or logs.
pub const TEST_KEY: &str = "sk_test_do_not_leak_0123456789";

/// A client for `server`: no limiter and no retries, so request counts are exact.
pub fn client(server: &MockServer) -> Client {
    client_for(&server.base_url())
}

pub fn client_for(base_url: &str) -> Client {
    match Client::builder().api_key(TEST_KEY).base_url(base_url).limiter(None).max_retries(0).build() {
        Ok(client) => client,
        Err(e) => panic!("test client for {base_url} did not build: {e}"),
    }
}

/// An `Assistant` with the fields the spec requires.
pub fn assistant(id: &str) -> Value {
    json!({ "id": id, "name": format!("Assistant {id}"), "enabled": true })
}

/// A `Contact` with the fields the spec requires.
pub fn contact(id: &str, name: &str) -> Value {
    json!({ "id": id, "name": name, "blocked": false, "is_admin": false, "channels": [], "segments": [] })
}

/// `n` assistants `ast_1..=ast_n`.
pub fn assistants(range: std::ops::RangeInclusive<usize>) -> Vec<Value> {
    range.map(|i| assistant(&format!("ast_{i}"))).collect()
}
