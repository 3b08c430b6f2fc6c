//! The `c` org alias: org-scoped calls go to `/orgs/c/…` by default, and to a sub-org's real id with
//! `for_org` (per client), `builder().org(..)` (default org) or `INVENT_ORG`-style configuration.

mod common;
#[path = "common/faults.rs"]
mod faults;

use std::time::Duration;

use faults::{FaultServer, Reply};
use httpmock::prelude::*;
use invent_api::prelude::*;

#[tokio::test]
async fn default_org_is_the_key_org_alias_c() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants");
            then.status(200).json_body(serde_json::json!([common::assistant("ast_1")]));
        })
        .await;
    let client = common::client(&server);
    let assistants = client.list_assistants().send().await.expect("list");
    assert_eq!(assistants.len(), 1);
    list.assert_calls_async(1).await;
}

#[tokio::test]
async fn for_org_sends_the_sub_org_id_and_leaves_the_parent_client_alone() {
    let server = MockServer::start_async().await;
    let sub = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/org_sub42/assistants/ast_9");
            then.status(200).json_body(common::assistant("ast_9"));
        })
        .await;
    let parent = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants/ast_9");
            then.status(200).json_body(common::assistant("ast_9"));
        })
        .await;
    let client = common::client(&server);
    let sub_client = client.for_org("org_sub42");
    assert_eq!(sub_client.org(), &Org::Id("org_sub42".into()));
    sub_client.get_assistant().assistant_id("ast_9").send().await.expect("sub-org call");
    client.get_assistant().assistant_id("ast_9").send().await.expect("parent call");
    // Per call: a one-off handle, no state kept.
    client.for_org("org_sub42").get_assistant().assistant_id("ast_9").send().await.expect("per-call");
    sub.assert_calls_async(2).await;
    parent.assert_calls_async(1).await;
}

#[tokio::test]
async fn builder_org_sets_the_default_and_non_org_paths_are_untouched() {
    let server = MockServer::start_async().await;
    let orgs = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/org_a/orgs");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let chat = server
        .mock_async(|when, then| {
            when.method(GET).path("/chats/c/messages");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let client = invent_api::Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(server.base_url())
        .org("org_a")
        .limiter(None)
        .build()
        .expect("client");
    client.list_sub_organizations().send().await.expect("sub-orgs of org_a");
    // `/chats/{chat_id}` is not org-scoped: a chat id that happens to be `c` is sent as is.
    client.list_chat_messages().chat_id("c").send().await.expect("chat messages");
    orgs.assert_calls_async(1).await;
    chat.assert_calls_async(1).await;
}

#[tokio::test]
async fn org_ids_are_path_encoded() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/a%2Fb/contacts");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    common::client(&server).for_org("a/b").list_contacts().send().await.expect("encoded");
    m.assert_calls_async(1).await;
}

#[test]
fn every_org_scoped_operation_is_generated_with_the_alias() {
    let ops = invent_api::operations();
    let scoped: Vec<_> = ops.iter().filter(|op| op.org_scoped).collect();
    assert!(scoped.len() >= 30, "expected most operations to be org-scoped, got {}", scoped.len());
    for op in &scoped {
        assert!(op.template.starts_with("/orgs/{"), "{} template {}", op.id, op.template);
    }
    for op in ops.iter().filter(|op| !op.org_scoped) {
        assert!(!op.template.starts_with("/orgs/{"), "{} should be org-scoped: {}", op.id, op.template);
    }
}

/// One page of a two-page list of assistants, one per page.
fn page(id: &str, number: u32) -> Reply {
    Reply::status(200)
        .header("content-type", "application/json")
        .header("pagination-count", "2")
        .header("pagination-page", number.to_string())
        .header("pagination-take", "1")
        .body(&serde_json::json!([common::assistant(id)]).to_string())
}

/// Every request of a `for_org` client — the retries after a 429 and a 503, the second page, a raw
/// call to `/orgs/c/…` — goes to that org, and the parent client's next call still goes to `c`.
/// Each request's path is compared with the path written out here, one by one and counted.
#[tokio::test(start_paused = true)]
async fn every_request_of_a_for_org_client_goes_to_that_org_retries_and_pages_included() {
    let server = FaultServer::sequence(vec![
        Reply::status(429).header("retry-after", "1"),
        Reply::status(503),
        page("ast_1", 1),
        page("ast_2", 2),
        Reply::status(200).header("content-type", "application/json").body("[]"),
    ])
    .await;
    let parent = invent_api::Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(server.base_url())
        .limiter(None)
        .build()
        .expect("client");
    // From a `String`, as an id read from a config file or a database would be.
    let sub = parent.for_org(String::from("org_sub42"));
    let all = sub.list_assistants().take(1).collect_all().await.expect("both pages after two retries");
    let ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["ast_1", "ast_2"]);
    sub.raw(reqwest::Method::GET, "/orgs/c/assistants").send().await.expect("raw call");
    parent.list_assistants().send().await.expect("parent call");

    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.split('?').next().unwrap_or_default()).collect();
    assert_eq!(
        paths,
        [
            "/orgs/org_sub42/assistants", // 429
            "/orgs/org_sub42/assistants", // 503
            "/orgs/org_sub42/assistants", // page 1
            "/orgs/org_sub42/assistants", // page 2
            "/orgs/org_sub42/assistants", // raw `/orgs/c/assistants`
            "/orgs/c/assistants",         // the parent
        ]
    );
    assert!(seen[3].path.contains("page=2"), "the second page was asked for: {}", seen[3].path);
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1), "Retry-After: 1 was waited out");
}

/// `Org` from a `String` (an id read at run time) and from a `&str` keep the id; only `c` means the
/// key's own org. A blank id stays an id (which every call then refuses), never the key's own org.
#[test]
fn an_org_from_a_string_keeps_its_id() {
    assert_eq!(Org::from(String::from("org_sub42")), Org::Id("org_sub42".to_string()));
    assert_eq!(Org::from("org_sub42"), Org::Id("org_sub42".to_string()));
    assert_eq!(Org::from(String::from("c")), Org::Current);
    assert_eq!(Org::from(String::from(" ")), Org::Id(String::new()));
    assert!(Org::from(String::from(" ")).check().is_err(), "a blank org id is refused");
    assert_eq!(
        invent_api::Client::builder()
            .api_key(common::TEST_KEY)
            .build()
            .expect("client")
            .for_org(String::from("org_b"))
            .org(),
        &Org::Id("org_b".to_string())
    );
}
