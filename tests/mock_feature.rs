//! Testing code that uses `invent-api` without the network, the way a user of the crate would: only the
//! public API of the `mock` feature (`invent_api::mock`), no httpmock dependency of one's own.
#![cfg(feature = "mock")]

use std::time::Duration;

use futures::TryStreamExt;
use invent_api::mock::prelude::*;
use invent_api::prelude::*;
use invent_api::types;
use serde_json::json;

fn assistant(i: usize) -> types::Assistant {
    fixture(json!({ "id": format!("ast_{i}"), "name": format!("Assistant {i}"), "enabled": true }))
}

#[tokio::test]
async fn typed_helpers_match_parameters_and_bodies() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);

    // A list call with its query parameters matched, and a typed 200 body.
    let list = server.list_assistants(|when, then| {
        when.page(2).take(2);
        then.ok(&vec![assistant(3), assistant(4)]);
    });
    let page = client.list_assistants().page(2).take(2).send().await.expect("page 2");
    assert_eq!(page.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["ast_3", "ast_4"]);
    list.assert();

    // A create call matched on its typed JSON body.
    let request: types::CreateAssistantRequest =
        types::CreateAssistantRequest::builder().name("Support").enabled(true).try_into().expect("valid body");
    let create = server.create_assistant(|when, then| {
        when.body(&request);
        then.ok(&assistant(7));
    });
    let created = client.create_assistant().body(request.clone()).send().await.expect("created");
    assert_eq!(created.id, "ast_7");
    create.assert();

    // A typed error response: the crate's error keeps status and body.
    let missing = server.get_assistant(|when, then| {
        when.assistant_id("ast_missing");
        then.not_found(&fixture(json!({ "statusCode": 404, "message": "Assistant not found" })));
    });
    let err = client.get_assistant().assistant_id("ast_missing").send().await.expect_err("404");
    assert!(err.is_not_found(), "{err}");
    let invent_api::Error::Api(api) = &err else { panic!("expected an API error, got {err:?}") };
    assert_eq!(api.parsed.as_ref().and_then(|b| b["message"].as_str()), Some("Assistant not found"));
    missing.assert();
}

#[tokio::test]
async fn typed_responses_take_extra_headers_through_into_inner() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);
    server.list_segments(|_, then| {
        then.ok(&vec![]).into_inner().header("pagination-count", "0").header("x-request-id", "req_1");
    });
    let response = client.list_segments().send().await.expect("segments");
    assert_eq!(PageInfo::of(&response).count, Some(0));
    assert_eq!(response.headers()["x-request-id"], "req_1");
}

#[tokio::test]
async fn rate_limited_then_success_is_retried() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);
    let scenario = server.rate_limited("list_assistants", 2, Duration::ZERO, &vec![assistant(1)]);

    let assistants = client.list_assistants().send().await.expect("retried past two 429s");
    assert_eq!(assistants.len(), 1);
    scenario.limited.assert_calls(2);
    scenario.ok.assert_calls(1);
}

#[tokio::test]
async fn throttle_then_a_typed_success_and_retry_after_is_reported() {
    let server = MockServer::start_async().await;
    // The 429 first (it gives way after one call), then a typed helper takes over.
    let throttle = server.throttle("get_assistant", 1, Duration::from_secs(1));
    server.get_assistant(|when, then| {
        when.assistant_id("ast_1");
        then.ok(&assistant(1));
    });

    // Without retries the 429 comes back to the caller, with the server's wait.
    let client = invent_api::mock::client_builder(&server).max_retries(0).build().expect("client");
    let err = client.get_assistant().assistant_id("ast_1").send().await.expect_err("429");
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    throttle.assert_calls(1);

    // The throttle is used up: the next call succeeds.
    assert_eq!(client.get_assistant().assistant_id("ast_1").send().await.expect("ok").id, "ast_1");
}

#[tokio::test]
async fn paginated_list_is_followed_to_the_end() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);
    let all: Vec<types::Assistant> = (1..=250).map(assistant).collect();
    let pages = server.paginated("list_assistants", &all);

    // `items()` asks for 100 a page and stops after the last one the headers announce.
    let items: Vec<types::Assistant> = client.list_assistants().items().try_collect().await.expect("all items");
    assert_eq!(items.len(), 250);
    assert_eq!((items[0].id.as_str(), items[249].id.as_str()), ("ast_1", "ast_250"));
    pages.assert_calls(3);

    // One page, with the counts in the headers.
    let third = client.list_assistants().page(3).take(10).send().await.expect("page 3");
    assert_eq!(third.first().map(|a| a.id.as_str()), Some("ast_21"));
    assert_eq!(PageInfo::of(&third), PageInfo { count: Some(250), page: Some(3), take: Some(10) });

    // A take above Invent's maximum is refused like the API does.
    let err = client.list_assistants().take(500).send().await.expect_err("take > 100");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn error_scenarios_send_json_bodies() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);
    server.unauthorized("list_contacts");
    server.not_found("GET /chats/{chat_id}/messages", "Chat not found");
    server.error_json("POST /chats/{chat_id}/messages", 400, &json!({ "message": ["message must not be empty"] }));

    let err = client.list_contacts().send().await.expect_err("401");
    assert!(err.is_unauthorized(), "{err}");
    let expected = invent_api::mock::error_body(401, "Invalid API key");
    assert_eq!(err.body().map(|b| serde_json::from_slice::<serde_json::Value>(b).unwrap()), Some(expected));

    let err = client.list_chat_messages().chat_id("chat_gone").send().await.expect_err("404");
    assert!(err.is_not_found(), "{err}");

    let body: types::CreateChatMessageRequest = fixture(json!({ "message": [{ "type": "text", "text": "" }] }));
    let err = client.create_chat_message().chat_id("chat_1").body(body).send().await.expect_err("400");
    let invent_api::Error::Api(api) = &err else { panic!("expected an API error, got {err:?}") };
    assert_eq!(api.parsed, Some(json!({ "message": ["message must not be empty"] })));
}

#[tokio::test]
async fn sub_org_clients_are_matched_with_a_pattern_route() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server).for_org("org_sub_1");
    // The typed helpers match `/orgs/c/…`; a route with `{org}` matches any org.
    let sub = server.paginated("GET /orgs/{org}/assistants", &[assistant(1)]);
    let items = client.list_assistants().collect_all().await.expect("sub-org list");
    assert_eq!(items.len(), 1);
    sub.assert_calls(1);
}

/// The example of docs/guide/testing.md (`invent_api::guide::testing`), verbatim but for the name.
#[tokio::test]
async fn readme_example() -> Result<(), invent_api::Error> {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server); // test key, limiter off, default retries

    // Typed helper: method and path of the operation, typed parameter matchers, typed response body.
    let get = server.get_assistant(|when, then| {
        when.assistant_id("ast_1");
        then.ok(&assistant(1));
    });
    assert_eq!(client.get_assistant().assistant_id("ast_1").send().await?.name, "Assistant 1");
    get.assert();

    // Rate limited: two 429s (`Retry-After: 0`), then a 200; the client's retries absorb them.
    let limited = server.rate_limited("list_org_chats", 2, Duration::ZERO, &Vec::<types::Chat>::new());
    client.list_org_chats().send().await?;
    limited.limited.assert_calls(2);

    // A list served page by page with `pagination-count/page/take`; `items()` follows it to the end.
    let all: Vec<types::Assistant> = (1..=250).map(assistant).collect();
    let pages = server.paginated("list_assistants", &all); // any T: Serialize
    let items: Vec<types::Assistant> = client.list_assistants().items().try_collect().await?;
    assert_eq!(items.len(), 250);
    pages.assert_calls(3); // 100 + 100 + 50

    // Error bodies: `{"statusCode": 404, "error": "Not Found", "message": "…"}`.
    server.not_found("GET /orgs/c/contacts/{contact_id}/notes", "Contact not found");
    server.unauthorized("list_contacts");
    assert!(client.list_contact_notes().contact_id("ct_x").send().await.unwrap_err().is_not_found());
    assert!(client.list_contacts().send().await.unwrap_err().is_unauthorized());
    Ok(())
}
