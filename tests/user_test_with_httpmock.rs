//! How a user of the crate tests their own code with the typed httpmock helpers (feature `mock`):
//! the code under test is `escalate_unhappy_chats` below, written as an application would; the tests
//! describe Invent's answers with `server.<operation>(|when, then| …)` and check what the code sent.
#![cfg(feature = "mock")]

use invent_api::mock::prelude::*;
use invent_api::prelude::*;
use invent_api::{types, Client};
use serde_json::json;

/// The application's code: every open chat whose last message mentions "refund" is assigned to
/// `agent` and gets a note from the assistant. Returns the ids of the chats it escalated.
async fn escalate_unhappy_chats(client: &Client, agent: &str) -> Result<Vec<String>, invent_api::Error> {
    let mut escalated = Vec::new();
    for chat in client.list_org_chats().collect_all().await? {
        let Some(chat_id) = chat.id else { continue };
        let latest = client.list_chat_messages().chat_id(&chat_id).take(1).send().await?;
        let mentions_refund = latest.first().is_some_and(|message| {
            message.messages.iter().flat_map(|m| m.parts.iter()).any(|part| {
                part.get("text").and_then(|t| t.as_str()).is_some_and(|t| t.to_lowercase().contains("refund"))
            })
        });
        if !mentions_refund {
            continue;
        }
        let assign = types::AssignConversationRequest { member_id: Some(agent.to_string()) };
        client.assign_conversation().chat_id(&chat_id).body(assign).send().await?;
        escalated.push(chat_id);
    }
    Ok(escalated)
}

fn chat(id: &str) -> types::Chat {
    fixture(json!({ "id": id, "title": "A chat" }))
}

fn message(text: &str) -> types::ChatMessage {
    fixture(
        json!({ "id": "msg_1", "role": "user", "messages": [{ "role": "user", "parts": [{ "type": "text", "text": text }] }] }),
    )
}

#[tokio::test]
async fn only_chats_asking_for_a_refund_are_assigned() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server);

    let chats = server.list_org_chats(|_, then| {
        then.ok(&vec![chat("cht_refund"), chat("cht_hello")]).into_inner().header("pagination-count", "2");
    });
    let refund = server.list_chat_messages(|when, then| {
        when.chat_id("cht_refund").take(1u32);
        then.ok(&vec![message("I want a REFUND please")]);
    });
    let hello = server.list_chat_messages(|when, then| {
        when.chat_id("cht_hello");
        then.ok(&vec![message("Hello!")]);
    });
    let assign = server.assign_conversation(|when, then| {
        // The typed body matcher: exactly this request body.
        when.chat_id("cht_refund").body(&types::AssignConversationRequest { member_id: Some("mbr_agent".into()) });
        then.ok(&fixture::<types::ChatState>(json!({ "id": "cht_refund", "assigned_user": { "id": "mbr_agent" } })));
    });

    let escalated = escalate_unhappy_chats(&client, "mbr_agent").await.expect("escalated");
    assert_eq!(escalated, ["cht_refund"]);
    chats.assert();
    refund.assert();
    hello.assert();
    assign.assert_calls(1);
}

#[tokio::test]
async fn an_api_error_stops_the_run_and_reaches_the_caller() {
    let server = MockServer::start_async().await;
    let client = invent_api::mock::client(&server).with_max_retries(0);
    server.list_org_chats(|_, then| {
        then.ok(&vec![chat("cht_1")]).into_inner().header("pagination-count", "1");
    });
    server.list_chat_messages(|when, then| {
        when.chat_id("cht_1");
        then.not_found(&fixture::<types::ErrorBody>(json!({ "statusCode": 404, "message": "Chat not found" })));
    });
    let assign = server.assign_conversation(|_, then| {
        then.ok(&fixture::<types::ChatState>(json!({})));
    });

    let err = escalate_unhappy_chats(&client, "mbr_agent").await.expect_err("the 404 is returned");
    assert!(err.is_not_found(), "{err}");
    assign.assert_calls(0);
}
