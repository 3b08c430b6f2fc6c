//! The local mock Invent (`invent_api::mock::server`): pagination headers, auth, sub-org separation,
//! the 429 cadence, stateful stores, error bodies, and the tour running against it.
#![cfg(feature = "mock")]

use futures::TryStreamExt;
use invent_api::mock::server::{MockInvent, MOCK_API_KEY};
use invent_api::prelude::*;
use invent_api::types;
use serde_json::{json, Value};

#[allow(dead_code)]
#[path = "../examples/tour.rs"]
mod tour;

/// A raw GET with the mock's key: status, headers and JSON body, no client logic in between.
async fn raw_get(mock: &MockInvent, path: &str, key: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new().get(format!("{}{path}", mock.base_url()));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("mock answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json::<Value>().await.expect("every mock answer is JSON");
    (status, headers, body)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn pagination_headers_and_bare_array_bodies() {
    let mock = MockInvent::start().await; // 25 assistants
    let (status, headers, body) = raw_get(&mock, "/orgs/c/assistants?page=3&take=10", Some(MOCK_API_KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(5), "short last page");
    assert_eq!(header(&headers, "pagination-count"), "25");
    assert_eq!(header(&headers, "pagination-page"), "3");
    assert_eq!(header(&headers, "pagination-take"), "10");
    assert!(header(&headers, "x-request-id").starts_with("req_mock_"));

    // Defaults: page 1, take 10. Past the end: an empty array, still with headers.
    let (_, headers, body) = raw_get(&mock, "/orgs/c/assistants", Some(MOCK_API_KEY)).await;
    assert_eq!(body.as_array().map(Vec::len), Some(10));
    assert_eq!((header(&headers, "pagination-page"), header(&headers, "pagination-take")), ("1", "10"));
    let (_, _, body) = raw_get(&mock, "/orgs/c/assistants?page=9&take=10", Some(MOCK_API_KEY)).await;
    assert_eq!(body, json!([]));

    // take above 100 or a non-number is a 400 with a JSON body.
    let (status, _, body) = raw_get(&mock, "/orgs/c/assistants?take=101", Some(MOCK_API_KEY)).await;
    assert_eq!((status, body["statusCode"].as_u64()), (400, Some(400)));
    let (status, _, _) = raw_get(&mock, "/orgs/c/assistants?page=zero", Some(MOCK_API_KEY)).await;
    assert_eq!(status, 400);

    // Through the client: PageInfo, typed items, and the paginator walking 3 pages.
    let client = mock.client();
    let page = client.list_assistants().page(2).take(10).send().await.expect("page 2");
    assert_eq!(PageInfo::of(&page), PageInfo { count: Some(25), page: Some(2), take: Some(10) });
    let before = mock.request_count();
    let pages: Vec<_> = client.list_assistants().pages_with(10).try_collect().await.expect("pages");
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [10, 10, 5]);
    assert_eq!(mock.request_count() - before, 3, "no request past the last page");
    let all = client.list_assistants().collect_all().await.expect("all");
    let mut ids: Vec<_> = all.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25);
}

#[tokio::test]
async fn bearer_auth_is_required() {
    let mock = MockInvent::start().await;
    for key in [None, Some("sk_wrong")] {
        let (status, headers, body) = raw_get(&mock, "/orgs/c/assistants", key).await;
        assert_eq!(status, 401, "key {key:?}");
        assert_eq!(body["statusCode"], 401);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(header(&headers, "www-authenticate"), "Bearer");
    }
    // The client's typed error keeps the status and the parsed body.
    let wrong = mock.client_builder().api_key("sk_not_the_mock_key").build().expect("client");
    let err = wrong.list_assistants().send().await.expect_err("401");
    assert!(err.is_unauthorized(), "{err}");
    let body: Value = serde_json::from_slice(err.body().expect("body kept")).expect("JSON");
    assert_eq!(body["error"], "Unauthorized");
    // A custom key works when configured.
    let custom = MockInvent::builder().api_key("sk_custom").start().await;
    assert_eq!(custom.client().list_assistants().send().await.expect("custom key").len(), 10);
    assert_eq!(custom.api_key(), "sk_custom");
}

#[tokio::test]
async fn sub_orgs_serve_their_own_data() {
    let mock = MockInvent::builder().sub_orgs(3).start().await;
    let client = mock.client();
    let subs = client.list_sub_organizations().collect_all().await.expect("sub-orgs");
    let sub_ids: Vec<String> = subs.iter().filter_map(|s| s.id.clone()).collect();
    assert_eq!(sub_ids, mock.sub_org_ids());
    assert_eq!(sub_ids.len(), 3);
    assert!(subs.iter().all(|s| s.name.is_some() && s.plan.is_some()));

    let parent: Vec<String> = client.list_assistants().items().map_ok(|a| a.id).try_collect().await.expect("parent");
    let sub = client.for_org(sub_ids[0].as_str());
    let before = mock.requests().len();
    let sub_assistants: Vec<String> = sub.list_assistants().items().map_ok(|a| a.id).try_collect().await.expect("sub");
    assert_eq!((parent.len(), sub_assistants.len()), (25, 3));
    assert!(sub_assistants.iter().all(|id| !parent.contains(id)), "no overlap");
    // Every request of the sub-org client (one page of three) went to the sub-org, by its id.
    let sub_paths: Vec<String> = mock.requests()[before..].iter().map(|r| r.path.clone()).collect();
    assert_eq!(sub_paths, [format!("/orgs/{}/assistants", sub_ids[0])]);
    assert!(sub_ids[0].starts_with("org_") && sub_ids[0] != "c", "a real id: {}", sub_ids[0]);

    // A parent assistant is not reachable through the sub-org, and vice versa.
    let err = sub.get_assistant().assistant_id(&parent[0]).send().await.expect_err("not in the sub-org");
    assert!(err.is_not_found());
    let found = sub.get_assistant().assistant_id(&sub_assistants[0]).send().await.expect("in the sub-org");
    assert_eq!(found.id, sub_assistants[0]);

    // A contact created in a sub-org stays there.
    let body = types::CreateContactRequest {
        channel: Some(types::CreateContactRequestChannel {
            email: Some("sub@example.com".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = sub.create_contact().body(body).send().await.expect("create").into_inner();
    let sub_contacts = sub.list_contacts().collect_all().await.expect("sub contacts");
    let parent_contacts = client.list_contacts().collect_all().await.expect("parent contacts");
    assert!(sub_contacts.iter().any(|c| c.id == created.id));
    assert!(!parent_contacts.iter().any(|c| c.id == created.id));

    // The parent's real id is the same org as `c`; a sub-org has no sub-orgs; unknown orgs are 404s.
    let by_id = client.for_org(mock.org_id()).list_assistants().collect_all().await.expect("parent by id");
    assert_eq!(by_id.len(), parent.len());
    assert!(sub.list_sub_organizations().collect_all().await.expect("none").is_empty());
    let err = client.for_org("org_unknown").list_assistants().send().await.expect_err("unknown org");
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn every_nth_request_is_a_429_and_the_client_retries_it() {
    let mock = MockInvent::builder().rate_limit_every(3).start().await;
    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let (status, headers, body) = raw_get(&mock, "/orgs/c/assistants", Some(MOCK_API_KEY)).await;
            if status == 429 {
                assert_eq!(header(&headers, "retry-after"), "0");
                assert_eq!(header(&headers, "retry-after-ms"), "0");
                assert_eq!(body["statusCode"], 429);
            }
            statuses.push(status);
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    assert_eq!(mock.rate_limited_count(), 2);

    // With retries the 429s are invisible: 10 calls, all fine, and the server saw the extra attempts.
    let client = mock.client();
    for _ in 0..10 {
        client.list_assistants().send().await.expect("retried past the 429");
    }
    assert_eq!(mock.request_count(), 6 + 10 + (mock.rate_limited_count() - 2));
    assert!(mock.rate_limited_count() >= 5);
    // Without retries the 429 surfaces as a typed error with the server's wait.
    let no_retry = client.with_max_retries(0);
    let mut limited = None;
    for _ in 0..3 {
        if let Err(err) = no_retry.list_assistants().send().await {
            limited = Some(err);
        }
    }
    let err = limited.expect("one of three requests is a 429");
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(std::time::Duration::ZERO));
}

#[tokio::test]
async fn created_contacts_are_listed_first_and_counted() {
    let mock = MockInvent::start().await; // 12 contacts
    let client = mock.client();
    let segments = mock.world().orgs[0].segments.clone();
    let vip = segments[0]["id"].as_str().expect("segment id").to_string();
    let body = types::CreateContactRequest {
        channel: Some(types::CreateContactRequestChannel {
            name: Some("Mary Jackson".into()),
            phone: Some("+15550100999".into()),
            ..Default::default()
        }),
        segment_ids: vec![vip.clone()],
    };
    let created = client.create_contact().body(body).send().await.expect("created").into_inner();
    assert_eq!(created.name.as_deref(), Some("Mary Jackson"));
    assert!(created.id.starts_with("ctc_"));
    assert_eq!(created.channels[0].user_id.as_deref(), Some("+15550100999"));
    assert_eq!(created.segments.len(), 1);

    let first = client.list_contacts().take(5).send().await.expect("list");
    assert_eq!(PageInfo::of(&first).count, Some(13));
    assert_eq!(first[0].id, created.id, "newest first");
    let in_segment = client.list_contacts().segment_id(&vip).collect_all().await.expect("by segment");
    assert!(in_segment.iter().any(|c| c.id == created.id));
    let found = client.list_contacts().search("jackson").collect_all().await.expect("search");
    assert_eq!(found.len(), 1);

    // Bad bodies are 400s, unknown segments 404s, all with JSON bodies.
    let no_channel = client.create_contact().body(types::CreateContactRequest::default()).send().await;
    assert_eq!(no_channel.expect_err("no channel").status().map(|s| s.as_u16()), Some(400));
    let body = types::CreateContactRequest {
        channel: Some(types::CreateContactRequestChannel { email: Some("x@example.com".into()), ..Default::default() }),
        segment_ids: vec!["seg_missing".into()],
    };
    let err = client.create_contact().body(body).send().await.expect_err("unknown segment");
    assert!(err.is_not_found());
    assert_eq!(client.list_contacts().collect_all().await.expect("list").len(), 13, "nothing half-created");
}

#[tokio::test]
async fn chat_messages_get_an_assistant_reply_and_are_stored() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let chats = client.list_org_chats().collect_all().await.expect("chats");
    assert_eq!(chats.len(), 3);
    let chat_id = chats[0].id.clone().expect("chat id");
    let before = client.list_chat_messages().chat_id(&chat_id).collect_all().await.expect("messages").len();

    let part: types::MessagePart =
        serde_json::from_value(json!({ "type": "text", "text": "Hello there" })).expect("part");
    let body = types::CreateChatMessageRequest { message: vec![part] };
    let reply = client.create_chat_message().chat_id(&chat_id).body(body).send().await.expect("reply").into_inner();
    assert_eq!(reply.role.map(|r| r.to_string()).as_deref(), Some("assistant"));
    let text = reply.messages[0].parts[0].get("text").and_then(Value::as_str).unwrap_or_default();
    assert!(text.contains("Hello there"), "{text}");

    let messages = client.list_chat_messages().chat_id(&chat_id).collect_all().await.expect("messages");
    assert_eq!(messages.len(), before + 2, "the user message and the reply");
    assert_eq!(messages[0].id, reply.id, "newest first");
    assert_eq!(messages[1].role.as_ref().map(|r| r.to_string()).as_deref(), Some("user"));
    let reply_id = reply.id.clone().expect("message id");
    let fetched = client.get_chat_message().chat_id(&chat_id).message_id(&reply_id).send().await.expect("get");
    assert_eq!(fetched.id, reply.id);

    let empty = types::CreateChatMessageRequest { message: vec![] };
    let err = client.create_chat_message().chat_id(&chat_id).body(empty).send().await.expect_err("empty");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let err = client.list_chat_messages().chat_id("cht_missing").send().await.expect_err("unknown chat");
    assert!(err.is_not_found());
}

#[tokio::test]
async fn unknown_routes_and_ids_are_json_404s() {
    let mock = MockInvent::start().await;
    for path in ["/nope", "/orgs/c/nope", "/orgs/c/assistants/ast_missing", "/chats/cht_missing/messages"] {
        let (status, _, body) = raw_get(&mock, path, Some(MOCK_API_KEY)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["statusCode"], 404, "{path}");
        assert_eq!(body["error"], "Not Found", "{path}");
    }
    let err = mock.client().get_assistant().assistant_id("ast_missing").send().await.expect_err("404");
    assert!(err.is_not_found());
    assert!(err.request_id().is_some_and(|id| id.starts_with("req_mock_")));
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 5);
    assert!(recorded.iter().all(|r| r.status == 404));
}

#[tokio::test]
async fn assistants_can_be_created_and_updated_within_the_creation_limit() {
    let mock = MockInvent::builder().assistants(0).start().await;
    let client = mock.client().with_max_retries(0);
    for i in 0..10 {
        let body = types::CreateAssistantRequest::builder().name(format!("Bot {i}"));
        client.create_assistant().body(body).send().await.expect("within the limit");
    }
    let body = types::CreateAssistantRequest::builder().name("One too many");
    let err = client.create_assistant().body(body).send().await.expect_err("limit");
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3600)));

    let all = client.list_assistants().collect_all().await.expect("list");
    assert_eq!(all.len(), 10);
    assert_eq!(all[0].name, "Bot 9", "newest first");
    let updated = client
        .update_assistant()
        .assistant_id(&all[0].id)
        .body(types::UpdateAssistantRequest::builder().enabled(false))
        .send()
        .await
        .expect("update")
        .into_inner();
    assert!(!updated.enabled);
    assert_eq!(updated.name, "Bot 9");
}

#[tokio::test]
async fn the_tour_runs_against_the_mock() {
    tour::mock_tour().await.expect("the tour's mock walk-through succeeds");
    // The read-only path it takes with INVENT_API_KEY set, pointed at a mock instead of the real API.
    let mock = MockInvent::builder().rate_limit_every(2).start().await;
    tour::real_api(mock.client()).await.expect("the tour's read-only calls succeed");
    assert!(mock.requests().iter().all(|r| r.method == "GET"), "read-only");
    assert!(mock.rate_limited_count() > 0);
}

/// A text part, as the generated `MessagePart` (an open object).
fn text_part(text: &str) -> types::MessagePart {
    serde_json::from_value(json!({ "type": "text", "text": text })).expect("a text part")
}

/// The text parts of a message, joined.
fn text_of(message: &types::ChatMessage) -> String {
    let parts = message.messages.iter().flat_map(|m| m.parts.iter());
    parts.filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn a_chat_started_with_an_assistant_is_stored_answered_and_listed() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let assistant = client.list_assistants().take(1).send().await.expect("assistants")[0].clone();
    let body = types::CreateAssistantChatRequest { message: vec![text_part("What are your opening hours?")] };
    let started = client.create_assistant_chat().assistant_id(&assistant.id).body(body).send().await.expect("started");
    let chat: types::Chat = serde_json::from_value(started.into_inner()).expect("the answer is a Chat");
    let chat_id = chat.id.clone().expect("chat id");
    assert!(chat_id.starts_with("cht_"), "{chat_id}");
    assert_eq!(chat.title.as_deref(), Some("What are your opening hours?"));
    let state = chat.state.as_ref().expect("state");
    assert_eq!(state.assistant_id.as_deref(), Some(assistant.id.as_str()), "handled by the assistant");
    assert_eq!(chat.org_id.as_deref(), Some(mock.org_id().as_str()));

    // Stored: listed first among the org's chats, with the first message and the assistant's reply.
    let listed = client.list_org_chats().take(1).send().await.expect("chats");
    assert_eq!(listed[0].id.as_deref(), Some(chat_id.as_str()));
    let messages = client.list_chat_messages().chat_id(&chat_id).collect_all().await.expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].role.as_ref().map(|r| r.to_string()).as_deref(), Some("user"));
    assert_eq!(text_of(&messages[1]), "What are your opening hours?");
    let first_reply = text_of(&messages[0]);
    assert!(first_reply.contains(&assistant.name) && first_reply.contains("opening hours"), "{first_reply}");

    // The conversation goes on: each message gets a reply whose text part can be read.
    let body = types::CreateChatMessageRequest { message: vec![text_part("And on Sunday?")] };
    let reply = client.create_chat_message().chat_id(&chat_id).body(body).send().await.expect("reply").into_inner();
    assert_eq!(reply.role.as_ref().map(|r| r.to_string()).as_deref(), Some("assistant"));
    assert!(text_of(&reply).contains("And on Sunday?"), "{}", text_of(&reply));
    let reply_id = reply.id.clone().expect("reply id");
    let fetched = client.get_chat_message().chat_id(&chat_id).message_id(&reply_id).send().await.expect("get");
    assert_eq!(text_of(&fetched), text_of(&reply));
    let page = client.list_chat_messages().chat_id(&chat_id).take(3).send().await.expect("page");
    assert_eq!(PageInfo::of(&page).count, Some(4));
    assert_eq!(page[0].id.as_deref(), Some(reply_id.as_str()), "newest first");

    // Without a first message the chat starts empty and is titled "New chat".
    let empty = client
        .create_assistant_chat()
        .assistant_id(&assistant.id)
        .body(types::CreateAssistantChatRequest::default())
        .send()
        .await
        .expect("empty chat")
        .into_inner();
    assert_eq!(empty["title"], "New chat");
    let empty_id = empty["id"].as_str().expect("id");
    assert!(client.list_chat_messages().chat_id(empty_id).collect_all().await.expect("none").is_empty());

    // An assistant of another org (or none) is a 404, and nothing is created.
    let err = client
        .create_assistant_chat()
        .assistant_id("ast_missing")
        .body(types::CreateAssistantChatRequest::default())
        .send()
        .await
        .expect_err("unknown assistant");
    assert!(err.is_not_found(), "{err}");
    assert_eq!(client.list_org_chats().collect_all().await.expect("chats").len(), 5, "3 seeded + 2 started");
}

#[tokio::test]
async fn a_message_to_an_unknown_chat_or_message_is_a_404() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let body = types::CreateChatMessageRequest { message: vec![text_part("hi")] };
    let err = client.create_chat_message().chat_id("cht_missing").body(body).send().await.expect_err("no chat");
    assert!(err.is_not_found());
    let chat = client.list_org_chats().take(1).send().await.expect("chats")[0].id.clone().expect("id");
    let err = client.get_chat_message().chat_id(&chat).message_id("msg_missing").send().await.expect_err("no message");
    assert!(err.is_not_found());
}

/// The generated WebSocket operations (`watch_org_chats`, `watch_org_inbox`) end in the mock's `101`
/// as an upgraded connection; a refused upgrade is the server's error (status and body), not a
/// decode failure.
#[tokio::test]
async fn generated_socket_operations_upgrade_or_return_the_refusal() {
    let mock = MockInvent::start().await;
    let upgraded = mock.client().watch_org_chats().send().await.expect("upgraded");
    assert_eq!(upgraded.status().as_u16(), 101);
    let wrong_key = mock.client_builder().api_key("sk_wrong").build().expect("client");
    match wrong_key.watch_org_inbox().send().await {
        Err(invent_api::Error::Api(e)) => assert_eq!(e.status.as_u16(), 401),
        other => panic!("expected the mock's 401, got {:?}", other.map(|r| r.status())),
    }
}
