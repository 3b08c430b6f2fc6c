//! The `c` org alias: org-scoped calls go to `/orgs/c/…` by default, and to a sub-org's real id with
//! `for_org` (per client), `builder().org(..)` (default org) or `INVENT_ORG`-style configuration.

mod common;

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
