//! The API without sharp edges: no header Invent does not document, the server's error message in
//! one call, `.items()` keeping the caller's page size, one way to turn the limiter off, and retry
//! counts above the limit refused wherever they are set. Each against a loopback server.

mod common;

use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use invent_api::prelude::*;
use invent_api::{Method, MAX_RETRIES_LIMIT};
use serde_json::{json, Value};

#[tokio::test]
async fn a_default_client_sends_no_api_version_header() {
    let server = MockServer::start_async().await;
    let clean = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants").header_missing("api-version");
            then.status(200).json_body(json!([]));
        })
        .await;
    // A call with a body goes the same way.
    let contact = server
        .mock_async(|when, then| {
            when.method(POST).path("/orgs/c/contacts").header_missing("api-version");
            then.status(201).json_body(common::contact("ct_1", "Mary"));
        })
        .await;
    // Registered last, so matched only when the routes above are not.
    let any = server
        .mock_async(|_, then| {
            then.status(500).body("the request carried an api-version header");
        })
        .await;
    let client = common::client(&server);
    let listed = client.list_assistants().send().await.expect("no api-version header, so the clean route answers");
    assert!(listed.is_empty());
    client.create_contact().body(types::CreateContactRequest::default()).send().await.expect("created");
    clean.assert_calls_async(1).await;
    contact.assert_calls_async(1).await;
    any.assert_calls_async(0).await;
}

/// Serves `body` (as given, JSON or not) with `status` at `path`.
async fn error_at(server: &MockServer, path: &str, status: u16, content_type: &str, body: &str) {
    let (path, content_type, body) = (path.to_string(), content_type.to_string(), body.to_string());
    server
        .mock_async(move |when, then| {
            when.method(GET).path(path);
            then.status(status).header("content-type", content_type).body(body);
        })
        .await;
}

#[tokio::test]
async fn the_servers_message_is_found_in_every_usual_error_shape() {
    let server = MockServer::start_async().await;
    let json = "application/json";
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        // NestJS (Invent's shape).
        ("nest", json!({"statusCode": 404, "message": "Assistant not found", "error": "Not Found"}).to_string(), Some("Assistant not found")),
        // NestJS validation: a list of messages.
        ("nest-list", json!({"statusCode": 400, "message": ["take must not be greater than 100", "page must be a number"], "error": "Bad Request"}).to_string(), Some("take must not be greater than 100")),
        ("error-string", json!({"error": "invalid_api_key"}).to_string(), Some("invalid_api_key")),
        ("error-object", json!({"error": {"message": "Rate limit exceeded", "code": "rate_limited"}}).to_string(), Some("Rate limit exceeded")),
        ("problem", json!({"type": "about:blank", "title": "Forbidden", "detail": "The key lacks the contacts scope"}).to_string(), Some("The key lacks the contacts scope")),
        ("title-only", json!({"title": "Forbidden", "status": 403}).to_string(), Some("Forbidden")),
        ("errors-list", json!({"errors": [{"message": "name is required"}, {"message": "second"}]}).to_string(), Some("name is required")),
        // Blank values are no message: the next key is tried.
        ("blank", json!({"message": "  ", "detail": "fallback"}).to_string(), Some("fallback")),
        ("none", json!({"statusCode": 500, "code": 17}).to_string(), None),
        ("json-string", "\"just a string\"".to_string(), None),
        ("json-array", "[1, 2]".to_string(), None),
        ("empty", String::new(), None),
    ];
    for (name, body, _) in &cases {
        error_at(&server, &format!("/{name}"), 400, json, body).await;
    }
    error_at(&server, "/html", 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>").await;
    let client = common::client(&server);
    for (name, body, expected) in &cases {
        let err = client.raw(Method::GET, format!("/{name}")).send().await.expect_err("an error status");
        assert_eq!(err.message(), *expected, "{name}: {body}");
    }
    let err = client.raw(Method::GET, "/html").send().await.expect_err("502");
    assert_eq!(err.message(), None, "an HTML page is no message");
    // No response at all: no message.
    let refused = common::client_for("http://127.0.0.1:9");
    let err = refused.raw(Method::GET, "/x").send().await.expect_err("nothing listens on port 9");
    assert_eq!(err.message(), None);
}

/// Serves 25 assistants in pages of `take` (with Invent's headers) and nothing for any other `take`.
async fn serve_25(server: &MockServer, take: usize) -> Vec<httpmock::Mock<'_>> {
    let all = common::assistants(1..=25);
    let mut mocks = Vec::new();
    for (i, page) in all.chunks(take).enumerate() {
        let number = (i + 1).to_string();
        let take_s = take.to_string();
        let body = Value::Array(page.to_vec());
        mocks.push(
            server
                .mock_async(move |when, then| {
                    when.method(GET)
                        .path("/orgs/c/assistants")
                        .query_param("page", &number)
                        .query_param("take", &take_s);
                    then.status(200)
                        .json_body(body)
                        .header("pagination-count", "25")
                        .header("pagination-page", &number)
                        .header("pagination-take", &take_s);
                })
                .await,
        );
    }
    mocks
}

#[tokio::test]
async fn items_keep_the_take_the_caller_set() {
    let server = MockServer::start_async().await;
    let by_ten = serve_25(&server, 10).await;
    let client = common::client(&server);
    let items: Vec<types::Assistant> = client.list_assistants().take(10).items().try_collect().await.expect("items");
    assert_eq!(items.len(), 25);
    for page in &by_ten {
        page.assert_calls_async(1).await;
    }
    // `pages()` keeps it too.
    let sizes: Vec<usize> =
        client.list_assistants().take(10).pages().map_ok(|p| p.items.len()).try_collect().await.expect("pages");
    assert_eq!(sizes, [10, 10, 5]);
    // Over the largest page: clamped to it, as everywhere.
    let all = serve_25(&server, 100).await;
    let items: Vec<types::Assistant> = client.list_assistants().take(500).items().try_collect().await.expect("items");
    assert_eq!(items.len(), 25);
    all[0].assert_calls_async(1).await;
}

#[tokio::test]
async fn items_ask_for_the_largest_page_when_no_take_is_set() {
    let server = MockServer::start_async().await;
    let by_hundred = serve_25(&server, 100).await;
    let client = common::client(&server);
    let items: Vec<types::Assistant> = client.list_assistants().items().try_collect().await.expect("items");
    assert_eq!(items.len(), 25);
    by_hundred[0].assert_calls_async(1).await;
    // A `while let` over the stream: pinned first.
    let mut stream = std::pin::pin!(client.list_assistants().items());
    let mut n = 0;
    while let Some(_assistant) = stream.try_next().await.expect("an item") {
        n += 1;
    }
    assert_eq!(n, 25);
}

/// A client whose own limiter may never wait (`max_server_wait` zero): a call it would delay is
/// refused at once, so whether a limiter is on shows in the results of a quick burst of calls.
fn refusing(server: &MockServer, limiter: Option<LimiterConfig>) -> Client {
    let mut builder = Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(server.base_url())
        .retry(RetryConfig::disabled().max_server_wait(Duration::ZERO));
    if let Some(limiter) = limiter {
        builder = builder.limiter(limiter);
    }
    builder.build().expect("client")
}

async fn refused_in_a_burst(client: &Client) -> usize {
    let mut refused = 0;
    for _ in 0..30 {
        match client.list_assistants().send().await {
            Ok(_) => {}
            Err(e) if e.is_rate_limited() && e.attempts() == 0 => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    refused
}

#[tokio::test]
async fn limiter_config_disabled_turns_the_limiter_off_like_none() {
    let server = MockServer::start_async().await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants");
            then.status(200).json_body(json!([]));
        })
        .await;
    // The default limiter (burst 10) refuses part of 30 back-to-back calls that it may not delay…
    assert!(refused_in_a_burst(&refusing(&server, None)).await > 0, "the default limiter is on");
    // …`disabled()` and `None` send them all.
    assert_eq!(refused_in_a_burst(&refusing(&server, Some(LimiterConfig::disabled()))).await, 0);
    let none = Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(server.base_url())
        .retry(RetryConfig::disabled().max_server_wait(Duration::ZERO))
        .limiter(None)
        .build()
        .expect("client");
    assert_eq!(refused_in_a_burst(&none).await, 0);
    assert!(ok.calls_async().await >= 60);
}

#[tokio::test]
async fn retry_counts_above_the_limit_are_errors_wherever_they_are_set() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants");
            then.status(200).json_body(json!([]));
        })
        .await;
    let builder = || Client::builder().api_key(common::TEST_KEY).base_url(server.base_url());
    let setting = |result: Result<Client, invent_api::ConfigError>| match result {
        Err(invent_api::ConfigError::InvalidSetting { setting, reason }) => (setting, reason),
        other => panic!("expected an invalid setting, got {other:?}"),
    };
    // A RetryConfig: an error at build, not a silent cap.
    let (name, reason) = setting(builder().retry(RetryConfig::default().max_retries(MAX_RETRIES_LIMIT + 1)).build());
    assert_eq!(name, "max_retries");
    assert!(reason.contains("11 is above the limit of 10"), "{reason}");
    // The builder's shorthand: the same.
    assert_eq!(setting(builder().max_retries(MAX_RETRIES_LIMIT + 1).build()).0, "max_retries");
    assert_eq!(setting(builder().max_retries(u32::MAX).build()).0, "max_retries");
    // The limit itself is fine.
    let client = builder().retry(RetryConfig::default().max_retries(MAX_RETRIES_LIMIT)).build().expect("10 is allowed");
    // A handle's override: its calls fail before anything is sent.
    let err = client.with_max_retries(MAX_RETRIES_LIMIT + 1).list_assistants().send().await.expect_err("refused");
    assert!(matches!(err, invent_api::Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("max_retries"), "{err}");
    list.assert_calls_async(0).await;
    client.with_max_retries(MAX_RETRIES_LIMIT).list_assistants().send().await.expect("10 is allowed");
    list.assert_calls_async(1).await;
}
