//! One request through the mock Invent, in Invent's order: the scheduled 429 (cadence), Bearer auth,
//! the route, then the request log, the event it raises and the response with its `x-request-id`.

use std::sync::{Mutex, PoisonError};

use httpmock::{HttpMockRequest, HttpMockResponse};

use super::data::World;
use super::events::MockEvent;
use super::reply::{Call, Query, Reply};
use super::routes;
use super::server::RecordedRequest;

/// Everything the server keeps between requests.
pub(super) struct State {
    pub(super) world: World,
    pub(super) api_key: String,
    pub(super) rate_limit_every: Option<u64>,
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) rate_limited: u64,
    /// To the event sockets ([`super::events`]).
    pub(super) events: tokio::sync::broadcast::Sender<MockEvent>,
}

/// Answers one request (the httpmock catch-all calls this for every request).
pub(super) fn handle(state: &Mutex<State>, request: &HttpMockRequest) -> HttpMockResponse {
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
        routes::route(&mut state.world, &call, &segments).unwrap_or_else(|reply| reply)
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

/// The front server upgraded (or refused) request `req_mock_NNNNNN`: log the status the client got.
pub(super) fn record_status(state: &Mutex<State>, request_id: &str, status: u16) {
    let Some(number) = request_id.strip_prefix("req_mock_").and_then(|n| n.parse::<usize>().ok()) else { return };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(request) = number.checked_sub(1).and_then(|i| state.requests.get_mut(i)) {
        request.status = status;
    }
}

fn authorized(request: &HttpMockRequest, key: &str) -> bool {
    request.headers_vec().iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("authorization")
            && value
                .split_once(' ')
                .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && token.trim() == key)
    })
}
