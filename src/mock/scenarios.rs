//! Ready-made httpmock scenarios for Invent's conventions: rate limiting, pagination, error bodies.
//!
//! Every scenario is a method of [`Scenarios`], implemented for [`httpmock::MockServer`], and takes a
//! *route*: either an operation id of the generated client (`"list_assistants"`; see
//! [`crate::operations`]) or `"METHOD /path"` (`"GET /orgs/c/assistants"`). Path parameters may be
//! written as `{name}` to match any value of that segment (`"GET /orgs/c/assistants/{assistant_id}"`);
//! operation ids match any value of theirs.
//!
//! httpmock answers with the **first** mock (in creation order) that matches and is not used up, so a
//! scenario that must give way after a few calls ([`Scenarios::throttle`]) is created *before* the mock
//! that takes over.

use std::sync::Arc;
use std::time::Duration;

use httpmock::{HttpMockRequest, HttpMockResponse, Method, Mock, MockServer};
use serde::Serialize;
use serde_json::Value;

pub use super::conventions::{error_body, DEFAULT_TAKE, MAX_TAKE};
use super::conventions::{page_of, paging};

/// Where a scenario answers: a method and a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as given; `{name}` segments match any value.
    pub path: String,
}

impl Route {
    /// `"list_assistants"` (an operation id of the generated client) or `"GET /orgs/c/assistants"`.
    ///
    /// # Panics
    /// On an unknown operation id (the message lists the known ones) or a malformed `"METHOD /path"`.
    pub fn parse(route: &str) -> Route {
        let route = route.trim();
        if let Some((method, path)) = route.split_once(char::is_whitespace) {
            let path = path.trim();
            assert!(path.starts_with('/'), "route `{route}`: the path must start with `/`");
            return Route { method: method.to_ascii_uppercase(), path: path.to_string() };
        }
        match crate::operations().iter().find(|op| op.id == route) {
            Some(op) => Route::from(*op),
            None => {
                let known: Vec<&str> = crate::operations().iter().map(|op| op.id).collect();
                panic!("unknown operation `{route}`; use \"METHOD /path\" or one of: {}", known.join(", "))
            }
        }
    }

    /// The anchored regex the path must match (`{name}` segments become `[^/]+`).
    pub fn path_regex(&self) -> String {
        let mut out = String::from("^");
        let mut rest = self.path.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&regex::escape(&rest[..start]));
            match rest[start..].find('}') {
                Some(end) => {
                    out.push_str("[^/]+");
                    rest = &rest[start + end + 1..];
                }
                None => {
                    out.push_str(&regex::escape(&rest[start..]));
                    rest = "";
                }
            }
        }
        out.push_str(&regex::escape(rest));
        out.push('$');
        out
    }

    fn method(&self) -> Method {
        self.method.parse().unwrap_or_else(|_| panic!("unknown HTTP method `{}`", self.method))
    }

    /// Applies this route to a `When` (method and path).
    pub fn matches(&self, when: httpmock::When) -> httpmock::When {
        let regex = regex::Regex::new(&self.path_regex()).expect("route regex");
        when.method(self.method()).path_matches(regex)
    }
}

impl From<&str> for Route {
    fn from(route: &str) -> Route {
        Route::parse(route)
    }
}

impl From<&crate::OperationSpec> for Route {
    fn from(op: &crate::OperationSpec) -> Route {
        Route { method: op.method.to_string(), path: op.template.to_string() }
    }
}

/// A rate-limited scenario: the 429 mock and the success mock behind it.
pub struct RateLimited<'a> {
    /// Answers the first `times` calls with 429.
    pub limited: Mock<'a>,
    /// Answers every later call with 200 and the body.
    pub ok: Mock<'a>,
}

/// Ready scenarios on an [`httpmock::MockServer`] (see the [module docs](self) for routes).
pub trait Scenarios {
    /// The first `times` calls to `route` get `429 Too Many Requests` with `Retry-After` (whole seconds,
    /// rounded up), `retry-after-ms` and a JSON error body; later calls fall through to the next
    /// matching mock, so define the success *after* this one (with a typed helper, for example).
    ///
    /// # Panics
    /// If `times` is 0.
    fn throttle(&self, route: impl Into<Route>, times: usize, retry_after: Duration) -> Mock<'_>;

    /// [`Scenarios::throttle`] followed by a `200` with `body` for every later call.
    fn rate_limited<T: Serialize + ?Sized>(
        &self,
        route: impl Into<Route>,
        times: usize,
        retry_after: Duration,
        body: &T,
    ) -> RateLimited<'_>;

    /// Serves `items` as an Invent list at `route` (usually a `GET`): `page` (1-based, default 1) and
    /// `take` (1..=100, default [`DEFAULT_TAKE`]) select the slice, and every page carries
    /// `pagination-count`, `pagination-page` and `pagination-take`. A page past the end is an empty
    /// array; a `page` or `take` that is not a positive integer, or a `take` above 100, is a 400 with a
    /// JSON error body. One mock serves every page: `mock.calls()` counts the pages fetched.
    fn paginated<T: Serialize>(&self, route: impl Into<Route>, items: &[T]) -> Mock<'_>;

    /// Every call to `route` gets `status` with [`error_body`]`(status, message)`.
    fn error(&self, route: impl Into<Route>, status: u16, message: &str) -> Mock<'_>;

    /// Every call to `route` gets `status` with `body` as JSON (an error body of any shape).
    fn error_json<T: Serialize + ?Sized>(&self, route: impl Into<Route>, status: u16, body: &T) -> Mock<'_>;

    /// `404 Not Found` with a JSON error body.
    fn not_found(&self, route: impl Into<Route>, message: &str) -> Mock<'_> {
        self.error(route, 404, message)
    }

    /// `401 Unauthorized` with a JSON error body (what Invent answers to a missing or revoked key).
    fn unauthorized(&self, route: impl Into<Route>) -> Mock<'_> {
        self.error(route, 401, "Invalid API key")
    }
}

impl Scenarios for MockServer {
    fn throttle(&self, route: impl Into<Route>, times: usize, retry_after: Duration) -> Mock<'_> {
        assert!(times > 0, "throttle: `times` must be at least 1");
        let route = route.into();
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        let millis = retry_after.as_millis().to_string();
        let body = error_body(429, "Too many requests, please try again later");
        self.mock(|when, then| {
            route.matches(when);
            then.status(429)
                .header("content-type", "application/json")
                .header("retry-after", seconds.to_string())
                .header("retry-after-ms", millis)
                .json_body(body)
                .up_to_n_times(times);
        })
    }

    fn rate_limited<T: Serialize + ?Sized>(
        &self,
        route: impl Into<Route>,
        times: usize,
        retry_after: Duration,
        body: &T,
    ) -> RateLimited<'_> {
        let route = route.into();
        let limited = self.throttle(route.clone(), times, retry_after);
        let body = serde_json::to_value(body).expect("rate_limited: the body does not serialize");
        let ok = self.mock(|when, then| {
            route.matches(when);
            then.status(200).header("content-type", "application/json").json_body(body);
        });
        RateLimited { limited, ok }
    }

    fn paginated<T: Serialize>(&self, route: impl Into<Route>, items: &[T]) -> Mock<'_> {
        let route = route.into();
        let serialize = |item: &T| serde_json::to_value(item).expect("paginated: an item does not serialize");
        let items: Arc<Vec<Value>> = Arc::new(items.iter().map(serialize).collect());
        self.mock(|when, then| {
            route.matches(when);
            then.respond_with(move |request: &HttpMockRequest| page_response(&items, request));
        })
    }

    fn error(&self, route: impl Into<Route>, status: u16, message: &str) -> Mock<'_> {
        self.error_json(route, status, &error_body(status, message))
    }

    fn error_json<T: Serialize + ?Sized>(&self, route: impl Into<Route>, status: u16, body: &T) -> Mock<'_> {
        let route = route.into();
        let body = serde_json::to_value(body).expect("error_json: the body does not serialize");
        self.mock(|when, then| {
            route.matches(when);
            then.status(status).header("content-type", "application/json").json_body(body);
        })
    }
}

/// One page of `items` for `request`, or a 400.
fn page_response(items: &[Value], request: &HttpMockRequest) -> HttpMockResponse {
    let query = request.query_params();
    let lookup = |name: &str| query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match paging(lookup) {
        Ok((page, take)) => {
            let (slice, headers) = page_of(items, page, take);
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            json_response(200, &Value::Array(slice), &headers)
        }
        Err(message) => json_response(400, &error_body(400, &message), &[]),
    }
}

fn json_response(status: u16, body: &Value, headers: &[(&str, &str)]) -> HttpMockResponse {
    let mut builder = HttpMockResponse::builder().status(status).header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(serde_json::to_vec(body).unwrap_or_default()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_ids_and_patterns() {
        let r = Route::parse("list_assistants");
        // By operation id: the template, so the route matches the key's org (`c`) and sub-orgs alike.
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/orgs/{org_id}/assistants"));
        let r = Route::parse("get_assistant");
        assert_eq!(r.path_regex(), "^/orgs/[^/]+/assistants/[^/]+$");
        let r = Route::parse("patch /chats/{chat_id}/state");
        assert_eq!(r.method, "PATCH");
        assert_eq!(r.path_regex(), "^/chats/[^/]+/state$");
        let re = regex::Regex::new(&Route::parse("GET /a.b/{x}").path_regex()).unwrap();
        assert!(re.is_match("/a.b/1") && !re.is_match("/aXb/1") && !re.is_match("/a.b/1/2"));
    }

    #[test]
    #[should_panic(expected = "unknown operation `list_assistant`")]
    fn unknown_operation_ids_panic_with_the_list() {
        Route::parse("list_assistant");
    }
}
