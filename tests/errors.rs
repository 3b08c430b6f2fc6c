//! Errors keep everything the server said: status, headers, request id, raw body and parsed JSON, for
//! declared errors (404, 401), undeclared statuses, non-JSON error bodies, and 2xx bodies that do not
//! decode (where progenitor's own error drops the status).

mod common;

use httpmock::prelude::*;
use invent_api::prelude::*;

#[tokio::test]
async fn not_found_keeps_status_headers_request_id_and_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants/ast_missing");
            then.status(404)
                .header("x-request-id", "req_123")
                .json_body(serde_json::json!({"statusCode": 404, "message": "Assistant not found"}));
        })
        .await;
    let err = common::client(&server).get_assistant().assistant_id("ast_missing").send().await.expect_err("404");
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.request_id(), Some("req_123"));
    let body = err.body().expect("body kept");
    assert_eq!(serde_json::from_slice::<serde_json::Value>(body).unwrap()["message"], "Assistant not found");
    let Error::Api(api) = &err else { panic!("expected Error::Api, got {err:?}") };
    assert_eq!(api.parsed.as_ref().unwrap()["statusCode"], 404);
    assert_eq!(api.attempts, 1);
    assert!(err.to_string().contains("404") && err.to_string().contains("Assistant not found"), "{err}");
}

#[tokio::test]
async fn unauthorized_keeps_status_and_body_even_when_not_json() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/contacts");
            then.status(401).header("content-type", "text/plain").body("Unauthorized: invalid API key");
        })
        .await;
    let err = common::client(&server).list_contacts().send().await.expect_err("401");
    assert!(err.is_unauthorized());
    assert_eq!(&err.body().expect("body")[..], b"Unauthorized: invalid API key");
    let Error::Api(api) = &err else { panic!("expected Error::Api, got {err:?}") };
    assert!(api.parsed.is_none());
    assert_eq!(api.headers.get("content-type").unwrap(), "text/plain");
}

#[tokio::test]
async fn undecodable_success_body_keeps_status_headers_and_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants/ast_1");
            // `enabled` is required and must be a boolean.
            then.status(200).header("x-request-id", "req_dec").body(r#"{"id":"ast_1","name":"A","enabled":"yes"}"#);
        })
        .await;
    let err = common::client(&server).get_assistant().assistant_id("ast_1").send().await.expect_err("bad body");
    let Error::Decode(decode) = &err else { panic!("expected Error::Decode, got {err:?}") };
    assert_eq!(decode.status.as_u16(), 200);
    assert_eq!(&decode.body[..], br#"{"id":"ast_1","name":"A","enabled":"yes"}"#);
    assert_eq!(err.request_id(), Some("req_dec"));
    assert!(err.to_string().contains("200"), "{err}");
}

#[tokio::test]
async fn undeclared_status_is_an_api_error_with_its_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/segments");
            then.status(418).body("teapot");
        })
        .await;
    let err = common::client(&server).list_segments().send().await.expect_err("418");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(418));
    assert_eq!(&err.body().expect("body")[..], b"teapot");
}

#[tokio::test]
async fn question_mark_on_send_converts_to_the_crate_error() {
    async fn run(client: &invent_api::Client) -> Result<(), Error> {
        client.get_assistant().assistant_id("nope").send().await?;
        Ok(())
    }
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(404).json_body(serde_json::json!({"message": "gone"}));
        })
        .await;
    let err = run(&common::client(&server)).await.expect_err("404");
    assert!(err.is_not_found());
    assert!(String::from_utf8_lossy(err.body().unwrap()).contains("gone"));
}

#[tokio::test]
async fn invalid_arguments_fail_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    // `assistant_id` is required and was not set.
    let err = common::client(&server).get_assistant().send().await.expect_err("missing arg");
    assert!(matches!(err, Error::InvalidRequest(ref m) if m.contains("assistant_id")), "{err:?}");
    any.assert_calls_async(0).await;
}
