//! Auth and configuration: the Bearer header on every request (generated and raw), the key redacted
//! in Debug and errors, HTTPS-only base URLs, the missing-key message, and no key after a redirect
//! leaves the configured host.

mod common;

use httpmock::prelude::*;
use invent_api::prelude::*;
use invent_api::ConfigError;

const BEARER: &str = "Bearer sk_test_do_not_leak_0123456789";

#[tokio::test]
async fn generated_calls_send_the_bearer_key() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants").header("authorization", BEARER);
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    common::client(&server).list_assistants().send().await.expect("authorized call");
    m.assert_calls_async(1).await;
}

#[tokio::test]
async fn raw_calls_send_the_bearer_key_and_follow_the_org() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/org_sub/undocumented").query_param("x", "1").header("authorization", BEARER);
            then.status(200).body("{\"ok\":true}");
        })
        .await;
    let client = common::client(&server).for_org("org_sub");
    let response = client.raw(reqwest::Method::GET, "/orgs/c/undocumented").query("x", 1).send().await.expect("raw");
    assert_eq!(response.status(), 200);
    assert_eq!(&response.into_inner()[..], b"{\"ok\":true}");
    m.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_key_never_shows_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(401).json_body(serde_json::json!({"message": "bad key"}));
        })
        .await;
    let client = common::client(&server);
    let debug = format!("{client:?}");
    assert!(!debug.contains(common::TEST_KEY), "key leaked in Client Debug: {debug}");
    let builder_debug = format!("{:?}", Client::builder().api_key(common::TEST_KEY));
    assert!(!builder_debug.contains(common::TEST_KEY), "key leaked in ClientBuilder Debug: {builder_debug}");
    let err = client.list_assistants().send().await.expect_err("401");
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(common::TEST_KEY), "key leaked in error: {text}");
    }
    assert!(err.is_unauthorized());
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let build = |url: &str| Client::builder().api_key("k").base_url(url).build();
    let err = build("http://api.useinvent.com").expect_err("non-loopback http");
    assert!(matches!(err, ConfigError::InvalidBaseUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("HTTPS only"), "{err}");
    assert!(build("http://192.168.1.10:8080").is_err());
    assert!(build("http://127.0.0.1:9").is_ok());
    assert!(build("http://localhost:9").is_ok());
    assert!(build("http://[::1]:9").is_ok());
    assert!(build("https://api.useinvent.com").is_ok());
}

#[test]
fn a_missing_key_names_the_variable() {
    let err = Client::builder().build().expect_err("no key");
    assert!(matches!(err, ConfigError::MissingApiKey { variable: "INVENT_API_KEY" }), "{err:?}");
    assert!(err.to_string().contains("INVENT_API_KEY"), "{err}");
}

/// The key never reaches another host: the built client follows no redirect, so the other host sees
/// no request at all (with or without the key), and the caller gets the `302` as an API error.
#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let other = MockServer::start_async().await;
    let reached = other
        .mock_async(|when, then| {
            when.method(GET).path("/landing");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let server = MockServer::start_async().await;
    let target = other.url("/landing");
    server
        .mock_async(move |when, then| {
            when.method(GET).path("/orgs/c/assistants");
            then.status(302).header("location", &target);
        })
        .await;
    let error = common::client(&server).list_assistants().send().await.expect_err("302 is not followed");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(302), "{error:?}");
    reached.assert_calls_async(0).await;
}
