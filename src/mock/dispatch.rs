//! One request through the mock Invent, in Invent's order: the scheduled 429 (cadence), Bearer auth,
//! the route, then the request log, the event it raises and the response with its `x-request-id`.

use std::sync::{Mutex, PoisonError};

use httpmock::{HttpMockRequest, HttpMockResponse};

use super::data::World;
use super::events::MockEvent;
use super::reply::{Call, Query, Reply};
use super::routes;

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
    let uri = request.uri();
    let incoming = Incoming {
        method: request.method_str().to_ascii_uppercase(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        query_params: request.query_params(),
        headers: request.headers_vec(),
        body: request.body_ref(),
    };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let (number, reply) = answer(&mut state, incoming);
    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let mut response = HttpMockResponse::builder()
        .status(reply.status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-request-id", request_id(number));
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(body).build()
}

/// A request as the dispatch reads it (plain data, so it is tested without a server).
pub(super) struct Incoming<'a> {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Option<String>,
    pub(super) query_params: Vec<(String, String)>,
    pub(super) headers: &'a [(String, String)],
    pub(super) body: &'a [u8],
}

/// One request in Invent's order: the scheduled 429, auth, the route; then the event it raises and the
/// request log. Returns the request's number (1-based) and the reply.
fn answer(state: &mut State, incoming: Incoming<'_>) -> (u64, Reply) {
    let number = state.requests.len() as u64 + 1;
    let Incoming { method, path, query, query_params, headers, body } = incoming;
    let mut reply = if is_rate_limited(state.rate_limit_every, number) {
        state.rate_limited += 1;
        Reply::error(429, "Too many requests: the limit is 500 requests per minute")
            .header("retry-after", "0")
            .header("retry-after-ms", "0")
    } else if !authorized(headers, &state.api_key) {
        Reply::error(401, "Unauthorized: missing or invalid API key").header("www-authenticate", "Bearer")
    } else {
        let query = Query(query_params);
        let call = Call { method: &method, query: &query, body };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        routes::route(&mut state.world, &call, &segments).unwrap_or_else(|reply| reply)
    };

    if let Some(event) = reply.event.take() {
        // No socket listening is fine.
        let _ = state.events.send(*event);
    }
    state.requests.push(RecordedRequest { number, method, path, query, status: reply.status });
    (number, reply)
}

/// The 429 cadence: with `every = Some(n)` (n ≥ 2, see `MockInventBuilder::rate_limit_every`), request
/// number `n`, `2n`, `3n`, … is refused, counting every request; deterministic, never two in a row.
fn is_rate_limited(every: Option<u64>, number: u64) -> bool {
    every.is_some_and(|n| n != 0 && number.is_multiple_of(n))
}

/// The `x-request-id` of request `number`.
fn request_id(number: u64) -> String {
    format!("req_mock_{number:06}")
}

/// The front server upgraded (or refused) request `req_mock_NNNNNN`: log the status the client got.
pub(super) fn record_status(state: &Mutex<State>, request_id: &str, status: u16) {
    let Some(number) = request_id.strip_prefix("req_mock_").and_then(|n| n.parse::<usize>().ok()) else { return };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(request) = number.checked_sub(1).and_then(|i| state.requests.get_mut(i)) {
        request.status = status;
    }
}

/// Whether `headers` carry `Authorization: Bearer <key>` (scheme in any case).
fn authorized(headers: &[(String, String)], key: &str) -> bool {
    headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("authorization")
            && value
                .split_once(' ')
                .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && token.trim() == key)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::conventions::MOCK_API_KEY;
    use super::super::data::Seed;
    use super::*;

    fn state(rate_limit_every: Option<u64>) -> Mutex<State> {
        let (events, _) = tokio::sync::broadcast::channel(4);
        Mutex::new(State {
            world: World::seeded(&Seed { assistants: 3, ..Seed::default() }),
            api_key: MOCK_API_KEY.to_string(),
            rate_limit_every,
            requests: Vec::new(),
            rate_limited: 0,
            events,
        })
    }

    /// `Authorization: bearer <key>` (the scheme in lower case), or no header.
    fn bearer(key: Option<&str>) -> Vec<(String, String)> {
        key.map(|k| vec![("Authorization".to_string(), format!("bearer {k}"))]).unwrap_or_default()
    }

    fn get<'a>(path: &str, headers: &'a [(String, String)]) -> Incoming<'a> {
        Incoming { method: "GET".into(), path: path.into(), query: None, query_params: Vec::new(), headers, body: b"" }
    }

    fn status(state: &Mutex<State>, incoming: Incoming<'_>) -> u16 {
        answer(&mut state.lock().unwrap_or_else(PoisonError::into_inner), incoming).1.status
    }

    #[test]
    fn auth_then_route_then_log_in_order() {
        let state = state(None);
        let (none, other, key) = (bearer(None), bearer(Some("sk_other")), bearer(Some(MOCK_API_KEY)));
        assert_eq!(status(&state, get("/orgs/c/assistants", &none)), 401);
        assert_eq!(status(&state, get("/orgs/c/assistants", &other)), 401);
        assert_eq!(status(&state, get("/orgs/c/assistants", &key)), 200);
        assert_eq!(status(&state, get("/orgs/c/nowhere", &key)), 404);
        let log = state.lock().unwrap_or_else(PoisonError::into_inner).requests.clone();
        let seen: Vec<(u64, u16)> = log.iter().map(|r| (r.number, r.status)).collect();
        assert_eq!(seen, [(1, 401), (2, 401), (3, 200), (4, 404)]);
    }

    #[test]
    fn the_scheduled_429_comes_before_auth_and_is_counted() {
        let state = state(Some(2));
        // Request 2 is the scheduled 429 even without a key; 1 and 3 are refused for the key.
        let statuses: Vec<u16> = (0..4).map(|_| status(&state, get("/orgs/c/assistants", &[]))).collect();
        assert_eq!(statuses, [401, 429, 401, 429]);
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(state.rate_limited, 2);
    }

    #[test]
    fn record_status_overwrites_the_logged_status_of_that_request_only() {
        let state = state(None);
        let key = bearer(Some(MOCK_API_KEY));
        status(&state, get("/orgs/c/chats/ws", &key));
        status(&state, get("/orgs/c/assistants", &key));
        record_status(&state, &request_id(1), 101);
        record_status(&state, "req_mock_000009", 101);
        record_status(&state, "not-an-id", 101);
        let log = state.lock().unwrap_or_else(PoisonError::into_inner).requests.clone();
        assert_eq!(log.iter().map(|r| r.status).collect::<Vec<_>>(), [101, 200]);
    }

    proptest! {
        /// Over any run, exactly `count / n` requests are refused, never two in a row, and none at all
        /// without a cadence.
        #[test]
        fn the_cadence_refuses_every_nth_request(n in 2u64..50, count in 0u64..500) {
            let refused: Vec<u64> = (1..=count).filter(|&k| is_rate_limited(Some(n), k)).collect();
            prop_assert_eq!(refused.len() as u64, count / n);
            prop_assert!(refused.windows(2).all(|w| w[1] - w[0] == n));
            prop_assert!((1..=count).all(|k| !is_rate_limited(None, k)));
        }
    }
}
