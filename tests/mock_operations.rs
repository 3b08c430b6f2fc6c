//! The local mock Invent's operations beyond the basics: each resource is created, read, listed,
//! updated and deleted where the API allows, and the inbox socket hears about changed chats.
#![cfg(feature = "mock")]

use std::time::Duration;

use futures::StreamExt;
use invent_api::events::ChatEvent;
use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;
use invent_api::{types, Client};
use serde_json::{json, Value};

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a body that fits its type")
}

fn part(text: &str) -> types::MessagePart {
    body(json!({ "type": "text", "text": text }))
}

fn status(error: &invent_api::Error) -> Option<u16> {
    error.status().map(|s| s.as_u16())
}

async fn first_assistant(client: &Client) -> String {
    client.list_assistants().take(1).send().await.expect("assistants")[0].id.clone()
}

#[tokio::test]
async fn assistant_actions_are_created_read_updated_and_reordered() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let assistant = first_assistant(&client).await;
    let mut ids = Vec::new();
    for name in ["First", "Second", "Third"] {
        let create: types::CreateAssistantActionRequest =
            body(json!({ "enabled": true, "action_id": "TOOLS:WEB_SEARCH", "config": {}, "name": name }));
        let action =
            client.create_assistant_action().assistant_id(&assistant).body(create).send().await.expect("created");
        ids.push(action.id.clone());
    }
    let listed = client.list_assistant_actions().assistant_id(&assistant).send().await.expect("listed");
    assert_eq!(listed.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), ids, "in position order");
    assert_eq!(listed.iter().map(|a| a.position).collect::<Vec<_>>(), [Some(100), Some(200), Some(300)]);
    let on_assistant = client.get_assistant().assistant_id(&assistant).send().await.expect("assistant");
    assert_eq!(on_assistant.actions.len(), 3, "the assistant's own `actions` follow");

    let update: types::UpdateAssistantActionRequest = body(json!({ "enabled": false, "instructions": "Only ask" }));
    let updated = client
        .update_assistant_action()
        .assistant_id(&assistant)
        .action_id(&ids[1])
        .body(update)
        .send()
        .await
        .expect("updated");
    assert!(!updated.enabled);
    let fetched = client.get_assistant_action().assistant_id(&assistant).action_id(&ids[1]).send().await.expect("get");
    assert_eq!(fetched.instructions.as_deref(), Some("Only ask"));
    assert_eq!(fetched.name.as_deref(), Some("Second"), "untouched fields stay");

    let reorder: types::ReorderAssistantActionsRequest =
        body(json!({ "positions": [{ "id": ids[2], "position": 50 }] }));
    let reordered =
        client.reorder_assistant_actions().assistant_id(&assistant).body(reorder).send().await.expect("reordered");
    assert_eq!(reordered[0].id, ids[2], "moved to the front");
    let reorder: types::ReorderAssistantActionsRequest =
        body(json!({ "positions": [{ "id": "aac_missing", "position": 1 }] }));
    let err = client.reorder_assistant_actions().assistant_id(&assistant).body(reorder).send().await.unwrap_err();
    assert!(err.is_not_found());
    let create: types::CreateAssistantActionRequest =
        body(json!({ "enabled": true, "action_id": "TOOLS:X", "config": {}, "connection_id": "con_missing" }));
    let err = client.create_assistant_action().assistant_id(&assistant).body(create).send().await.unwrap_err();
    assert!(err.is_not_found(), "an unknown connection");
    let err = client.get_assistant_action().assistant_id(&assistant).action_id("aac_missing").send().await.unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn approvals_are_asked_for_by_an_assistant_with_an_action_and_decided_once() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let assistant = first_assistant(&client).await;
    // Without an action, no approval is asked for.
    let start = types::CreateAssistantChatRequest { message: vec![part("hello")] };
    let plain = client.create_assistant_chat().assistant_id(&assistant).body(start).send().await.expect("chat");
    let plain_id = plain.into_inner()["id"].as_str().expect("id").to_string();
    let messages = client.list_chat_messages().chat_id(&plain_id).send().await.expect("messages");
    assert_eq!(messages[0].status.as_ref().map(|s| s.to_string()).as_deref(), Some("COMPLETED"));

    let create: types::CreateAssistantActionRequest =
        body(json!({ "enabled": true, "action_id": "TOOLS:HTTP_REQUEST", "config": {} }));
    client.create_assistant_action().assistant_id(&assistant).body(create).send().await.expect("action");
    let start = types::CreateAssistantChatRequest { message: vec![part("Refund order 7")] };
    let chat = client.create_assistant_chat().assistant_id(&assistant).body(start).send().await.expect("chat");
    let chat_id = chat.into_inner()["id"].as_str().expect("id").to_string();
    let messages = client.list_chat_messages().chat_id(&chat_id).send().await.expect("messages");
    let reply = &messages[0];
    assert_eq!(reply.status.as_ref().map(|s| s.to_string()).as_deref(), Some("RUNNING"), "waiting for approval");
    let approval = reply.messages[0].parts.iter().find(|p| p.get("type") == Some(&json!("tool-approval"))).cloned();
    let approval = approval.expect("an approval part");
    assert_eq!(approval.get("tool_name"), Some(&json!("TOOLS:HTTP_REQUEST")));
    let tool_call = approval.get("tool_call_id").and_then(Value::as_str).expect("tool call id").to_string();
    let message_id = reply.id.clone().expect("message id");

    let decide = |decision: &str| -> types::DecideActionApprovalRequest { body(json!({ "decision": decision })) };
    let bad = client
        .decide_action_approval()
        .chat_id(&chat_id)
        .message_id(&message_id)
        .tool_call_id(&tool_call)
        .body(body::<types::DecideActionApprovalRequest>(json!({})))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&bad), Some(400));
    let decided = client
        .decide_action_approval()
        .chat_id(&chat_id)
        .message_id(&message_id)
        .tool_call_id(&tool_call)
        .body(decide("rejected"))
        .send()
        .await
        .expect("decided")
        .into_inner();
    assert_eq!(decided.status.as_ref().map(|s| s.to_string()).as_deref(), Some("COMPLETED"));
    let parts = &decided.messages[0].parts;
    assert!(parts.iter().any(|p| p.get("state") == Some(&json!("approval-rejected"))));
    let again = client
        .decide_action_approval()
        .chat_id(&chat_id)
        .message_id(&message_id)
        .tool_call_id(&tool_call)
        .body(decide("accepted"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&again), Some(400), "decided once");
    let unknown = client
        .decide_action_approval()
        .chat_id(&chat_id)
        .message_id(&message_id)
        .tool_call_id("call_missing")
        .body(decide("accepted"))
        .send()
        .await
        .unwrap_err();
    assert!(unknown.is_not_found());
}

#[tokio::test]
async fn messages_are_edited_and_deleted_and_memories_follow_the_conversation() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let chat = mock.world().orgs[0].chats[0]["id"].as_str().expect("id").to_string();
    let messages = client.list_chat_messages().chat_id(&chat).collect_all().await.expect("messages");
    let user = messages.iter().find(|m| m.role.as_ref().map(|r| r.to_string()).as_deref() == Some("user"));
    let user = user.and_then(|m| m.id.clone()).expect("a user message");
    let assistant_message = messages[0].id.clone().expect("the reply");

    let edit: types::EditChatMessageRequest = body(json!({ "message": [{ "type": "text", "text": "Edited" }] }));
    let edited = client.edit_chat_message().chat_id(&chat).message_id(&user).body(edit).send().await.expect("edited");
    assert_eq!(edited.messages[0].parts[0].get("text"), Some(&json!("Edited")));
    let edit: types::EditChatMessageRequest = body(json!({ "message": [{ "type": "text", "text": "x" }] }));
    let err = client.edit_chat_message().chat_id(&chat).message_id(&assistant_message).body(edit).send().await;
    assert_eq!(status(&err.unwrap_err()), Some(400), "only user messages");

    client.delete_chat_message().chat_id(&chat).message_id(&user).send().await.expect("deleted");
    let err = client.get_chat_message().chat_id(&chat).message_id(&user).send().await.unwrap_err();
    assert!(err.is_not_found(), "gone");
    assert_eq!(client.list_chat_messages().chat_id(&chat).collect_all().await.expect("left").len(), 1);

    // One seeded memory; another once the chat reaches 10 messages (each message adds a reply).
    let memories = client.list_chat_memories().chat_id(&chat).collect_all().await.expect("memories");
    assert_eq!(memories.len(), 1);
    for i in 0..5 {
        let send = types::CreateChatMessageRequest { message: vec![part(&format!("message {i}"))] };
        client.create_chat_message().chat_id(&chat).body(send).send().await.expect("sent");
    }
    let memories = client.list_chat_memories().chat_id(&chat).collect_all().await.expect("memories");
    assert_eq!(memories.len(), 2, "11 messages: a summary at 10");
    assert_eq!(memories[0].message_count, Some(11.0));
    let memory = memories[1].id.clone().expect("id");
    client.delete_chat_memory().chat_id(&chat).memory_id(&memory).send().await.expect("deleted");
    let err = client.delete_chat_memory().chat_id(&chat).memory_id(&memory).send().await.unwrap_err();
    assert!(err.is_not_found());
    client.clear_chat_memories().chat_id(&chat).send().await.expect("cleared");
    assert!(client.list_chat_memories().chat_id(&chat).collect_all().await.expect("none").is_empty());
}

#[tokio::test]
async fn chat_settings_state_and_assignment_are_stored_and_reach_the_inbox_socket() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let mut inbox = client.inbox_events();
    let mut chats = client.chat_events();
    assert!(inbox.connected().await && chats.connected().await);
    let chat = mock.world().orgs[0].chats[0]["id"].as_str().expect("id").to_string();

    let update: types::UpdateChatRequest = body(json!({ "title": "Renamed", "pinned": true }));
    let updated = client.update_chat().chat_id(&chat).body(update).send().await.expect("updated");
    assert_eq!((updated.title.as_deref(), updated.pinned), (Some("Renamed"), Some(true)));
    let event = tokio::time::timeout(Duration::from_secs(10), inbox.next()).await.expect("an inbox event");
    match event {
        Some(Ok(ChatEvent::Chat(changed))) => assert_eq!(changed.title.as_deref(), Some("Renamed")),
        other => panic!("expected the changed chat, got {other:?}"),
    }

    let state: types::UpdateChatStateRequest = body(json!({ "ai_enabled": false, "csat_score": 4 }));
    let stated = client.update_chat_state().chat_id(&chat).body(state).send().await.expect("state");
    let chat_state = stated.state.as_ref().expect("state");
    assert_eq!((chat_state.ai_enabled, chat_state.csat_score.map(|n| n.get())), (Some(false), Some(4)));
    let state: types::UpdateChatStateRequest = body(json!({ "csat_score": 9 }));
    assert_eq!(status(&client.update_chat_state().chat_id(&chat).body(state).send().await.unwrap_err()), Some(400));
    // With the AI off nobody answers: the user's own message comes back.
    let send = types::CreateChatMessageRequest { message: vec![part("anyone?")] };
    let answer = client.create_chat_message().chat_id(&chat).body(send).send().await.expect("sent");
    assert_eq!(answer.role.as_ref().map(|r| r.to_string()).as_deref(), Some("user"));

    let member = mock.world().orgs[0].summary["members"][0]["id"].as_str().expect("member").to_string();
    let assign: types::AssignConversationRequest = body(json!({ "member_id": member }));
    let assigned = client.assign_conversation().chat_id(&chat).body(assign).send().await.expect("assigned");
    assert_eq!(assigned.assigned_user.as_ref().and_then(|u| u.id.clone()), Some(member));
    let unassign: types::AssignConversationRequest = body(json!({ "member_id": null }));
    let unassigned = client.assign_conversation().chat_id(&chat).body(unassign).send().await.expect("unassigned");
    assert!(unassigned.assigned_user.is_none());
    let unknown: types::AssignConversationRequest = body(json!({ "member_id": "mbr_missing" }));
    assert!(client.assign_conversation().chat_id(&chat).body(unknown).send().await.unwrap_err().is_not_found());
    let info = client.get_chat_state_info().chat_id(&chat).send().await.expect("info");
    assert_eq!(info.newest_chat_id, None, "no later chat of the same contact");

    // The chats socket hears only about created chats: its next event is the next chat.
    let assistant = first_assistant(&client).await;
    let start = types::CreateAssistantChatRequest::default();
    let created = client.create_assistant_chat().assistant_id(&assistant).body(start).send().await.expect("chat");
    let event = tokio::time::timeout(Duration::from_secs(10), chats.next()).await.expect("a chats event");
    match event {
        Some(Ok(ChatEvent::ChatCreated(chat))) => assert_eq!(chat.id.as_deref(), created.into_inner()["id"].as_str()),
        other => panic!("expected the created chat, got {other:?}"),
    }
}

#[tokio::test]
async fn duplicates_are_found_and_merged_with_segments_files_and_activities() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    assert!(client.list_duplicate_contact_groups().collect_all().await.expect("none").is_empty());
    let create = |name: &str| -> types::CreateContactRequest {
        body(json!({ "channel": { "name": name, "email": "twin@example.com" } }))
    };
    let older = client.create_contact().body(create("Older")).send().await.expect("older").into_inner();
    let newer = client.create_contact().body(create("Newer")).send().await.expect("newer").into_inner();
    let groups = client.list_duplicate_contact_groups().collect_all().await.expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].primary.as_ref().map(|c| c.id.clone()), Some(older.id.clone()), "the oldest is primary");
    assert_eq!(groups[0].duplicates.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [newer.id.as_str()]);

    // Segments, files and activities of the duplicate move to the primary.
    let segment = client.list_segments().send().await.expect("segments")[0].id.clone().expect("id");
    let with_segment =
        client.add_contact_segment().contact_id(&newer.id).segment_id(&segment).send().await.expect("added");
    assert!(with_segment.segments.iter().any(|s| s.id.as_deref() == Some(segment.as_str())));
    let upload: types::UploadContactFileRequest =
        body(json!({ "file": { "name": "scan.png", "data": "aGVsbG8gd29ybGQ=" }, "allowed_types": ["image/*"] }));
    let file = client.upload_contact_file().contact_id(&newer.id).body(upload).send().await.expect("uploaded");
    assert_eq!((file.file_mimetype.as_deref().map(String::as_str), file.file_size), (Some("image/png"), Some(11.0)));
    let refused: types::UploadContactFileRequest =
        body(json!({ "file_url": "https://example.com/a.pdf", "allowed_types": ["image/*"] }));
    let err = client.upload_contact_file().contact_id(&newer.id).body(refused).send().await.unwrap_err();
    assert_eq!(status(&err), Some(400), "type not allowed");

    let merged = client
        .merge_contacts()
        .contact_id(&older.id)
        .body(types::MergeContactsRequest::default())
        .send()
        .await
        .expect("merged into the primary")
        .into_inner();
    assert_eq!(merged.merged_contact_ids, std::slice::from_ref(&newer.id), "all auto-detected duplicates");
    let primary = merged.merged.expect("the primary");
    assert_eq!(primary.channels.len(), 2);
    assert!(primary.segments.iter().any(|s| s.id.as_deref() == Some(segment.as_str())));
    assert!(client
        .update_contact()
        .contact_id(&newer.id)
        .body(types::UpdateContactRequest::default())
        .send()
        .await
        .unwrap_err()
        .is_not_found());
    assert!(client.list_duplicate_contact_groups().collect_all().await.expect("none").is_empty());
    let files = client.list_contact_files().contact_id(&older.id).mime_type("image/").send().await.expect("files");
    assert_eq!(files.len(), 1, "the file moved with the merge");
    let activities = client.list_contact_activities().contact_id(&older.id).send().await.expect("activities");
    let kinds: Vec<String> = activities.iter().filter_map(|a| a.type_.as_ref().map(|t| t.to_string())).collect();
    assert_eq!(kinds, ["file_uploaded", "segment_added"], "newest first");
    let members = client.list_contacts().segment_id(&segment).collect_all().await.expect("members");
    let counted = client.list_segments().send().await.expect("segments")[0].contacts_count;
    assert_eq!(counted, Some(members.len() as f64), "counts follow");

    let err = client
        .merge_contacts()
        .contact_id(&older.id)
        .body(body::<types::MergeContactsRequest>(json!({ "source_contact_ids": [older.id] })))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(400), "not into itself");
    let blocked: types::UpdateContactRequest = body(json!({ "blocked": true }));
    client.update_contact().contact_id(&older.id).body(blocked).send().await.expect("blocked");
    let latest = client.list_contact_activities().contact_id(&older.id).take(1).send().await.expect("activities");
    assert_eq!(latest[0].type_.as_ref().map(|t| t.to_string()).as_deref(), Some("contact_blocked"));
}

#[tokio::test]
async fn segments_and_custom_channels_update_and_contacts_message_as_themselves() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let segment = client.list_segments().send().await.expect("segments")[0].clone();
    let segment_id = segment.id.clone().expect("id");
    let update: types::UpdateSegmentRequest = body(json!({ "name": "VIP+", "color": "rose" }));
    let renamed = client.update_segment().segment_id(&segment_id).body(update).send().await.expect("renamed");
    assert_eq!(renamed.name.as_deref(), Some("VIP+"));
    let member = client.list_contacts().segment_id(&segment_id).take(1).send().await.expect("a member");
    let nested = member[0].segments.iter().find(|s| s.id.as_deref() == Some(segment_id.as_str())).expect("nested");
    assert_eq!(nested.name.as_deref(), Some("VIP+"), "the contacts' copies follow");

    let create: types::CreateContactRequest = body(json!({ "channel": { "name": "Cy", "user_id": "cy-1" } }));
    let contact = client.create_contact().body(create).send().await.expect("contact").into_inner();
    let channel = contact.channels[0].id.clone().expect("channel");
    let update: types::UpdateContactChannelRequest = body(json!({ "name": "Cy Young", "email": null }));
    let updated =
        client.update_contact_channel().contact_id(&contact.id).channel_id(&channel).body(update).send().await;
    assert_eq!(updated.expect("updated").name.as_deref(), Some("Cy Young"));
    let world = mock.world();
    let seeded = world.orgs[0].contacts.iter().find(|c| c["channels"][0]["type"] != "custom").expect("seeded");
    let (seeded_id, seeded_channel) =
        (seeded["id"].as_str().expect("id"), seeded["channels"][0]["id"].as_str().expect("ch"));
    let update: types::UpdateContactChannelRequest = body(json!({ "name": "x" }));
    let err =
        client.update_contact_channel().contact_id(seeded_id).channel_id(seeded_channel).body(update).send().await;
    assert_eq!(status(&err.unwrap_err()), Some(400), "only custom channels");

    let assistant = first_assistant(&client).await;
    let open: types::CreateContactChannelChatRequest = body(json!({ "assistant_id": assistant, "title": "Help" }));
    let chat = client.create_contact_channel_chat().contact_id(&contact.id).channel_id(&channel).body(open).send();
    let chat = chat.await.expect("chat").into_inner().id.expect("chat id");
    let send: types::CreateContactChatMessageRequest = body(json!({ "message": [{ "type": "text", "text": "Hi" }] }));
    let sent = client.create_contact_chat_message().contact_id(&contact.id).chat_id(&chat).body(send).send().await;
    let sent = sent.expect("sent as the contact").into_inner();
    let author = sent.member.as_ref().and_then(|m| m.contact_channel.as_ref()).and_then(|c| c.contact.as_ref());
    assert_eq!(author.and_then(|c| c.id.clone()), Some(contact.id.clone()), "authored as the contact");
    let messages = client.list_chat_messages().chat_id(&chat).send().await.expect("messages");
    assert_eq!(messages.len(), 2, "the contact's message and the assistant's reply");
    let send: types::CreateContactChannelChatMessageRequest = body(json!({ "message": [] }));
    let err = client
        .create_contact_channel_chat_message()
        .contact_id(&contact.id)
        .channel_id(&channel)
        .chat_id(&chat)
        .body(send)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(400));
    // Another contact is not in the chat.
    let send: types::CreateContactChatMessageRequest = body(json!({ "message": [{ "type": "text", "text": "Hi" }] }));
    let err = client.create_contact_chat_message().contact_id(seeded_id).chat_id(&chat).body(send).send().await;
    assert_eq!(status(&err.unwrap_err()), Some(400));
    let info = client.get_chat_state_info().chat_id(&chat).send().await.expect("info");
    assert_eq!(info.newest_chat_id, None);
    let open: types::CreateContactChannelChatRequest = body(json!({ "title": "Again" }));
    let newer = client.create_contact_channel_chat().contact_id(&contact.id).channel_id(&channel).body(open).send();
    let newer = newer.await.expect("newer chat").into_inner().id;
    let info = client.get_chat_state_info().chat_id(&chat).send().await.expect("info");
    assert_eq!(info.newest_chat_id, newer, "a later chat of the same contact");
}

#[tokio::test]
async fn sub_orgs_are_updated_joined_and_transferred() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let created = client
        .create_sub_organization()
        .body(body::<types::CreateSubOrganizationRequest>(json!({ "name": "Fresh Org" })))
        .send()
        .await
        .expect("created")
        .into_inner();
    let id = created.id.clone().expect("id");
    assert!(created.members.is_empty());
    let update: types::UpdateSubOrganizationRequest =
        body(json!({ "name": "Renamed Org", "config": { "email": "hi@fresh.example" } }));
    let updated = client.update_sub_organization().sub_org_id(&id).body(update).send().await.expect("updated");
    assert_eq!(updated.name.as_deref(), Some("Renamed Org"));
    assert_eq!(updated.config.as_ref().and_then(|c| c.email.clone()).as_deref(), Some("hi@fresh.example"));
    let update: types::UpdateSubOrganizationRequest = body(json!({ "config": { "address": "1 Main St" } }));
    let merged = client.update_sub_organization().sub_org_id(&id).body(update).send().await.expect("merged");
    let config = merged.config.clone().expect("config");
    assert_eq!((config.email.as_deref(), config.address.as_deref()), (Some("hi@fresh.example"), Some("1 Main St")));
    let listed = client.list_sub_organizations().collect_all().await.expect("listed");
    assert!(listed.iter().any(|s| s.name.as_deref() == Some("Renamed Org")));

    let join: types::JoinSubOrganizationRequest = body(json!({ "role": "ADMIN" }));
    let joined = client.join_sub_organization().sub_org_id(&id).body(join.clone()).send().await.expect("joined");
    assert_eq!(joined.members.len(), 1);
    let again = client.join_sub_organization().sub_org_id(&id).body(join).send().await.expect("joined again");
    assert_eq!(again.members.len(), 1, "joining twice is one membership");
    let transfer: types::TransferOrganizationRequest = body(json!({}));
    let moved = client.transfer_organization().sub_org_id(&id).body(transfer.clone()).send().await.expect("ok");
    assert_eq!(moved.id.as_deref(), Some(id.as_str()));
    let err = client.transfer_organization().sub_org_id(mock.org_id()).body(transfer).send().await.unwrap_err();
    assert_eq!(status(&err), Some(400), "not into itself");
    // The typed client refuses a one-letter name itself; the mock checks it too.
    let short = client.raw(reqwest::Method::PATCH, format!("/orgs/c/orgs/{id}")).json(&json!({ "name": "x" }));
    assert_eq!(status(&short.send().await.unwrap_err()), Some(400));
    let sub = client.for_org(id.as_str());
    let err = sub.update_sub_organization().sub_org_id(&id).body(types::UpdateSubOrganizationRequest::default());
    assert_eq!(status(&err.send().await.unwrap_err()), Some(403), "a sub-org has no sub-orgs");
}

#[tokio::test]
async fn lists_page_and_filter_like_the_rest() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let fields = client.list_contact_fields().send().await.expect("fields");
    assert_eq!(PageInfo::of(&fields).count, Some(3));
    let connections = client.list_connections().send().await.expect("connections");
    assert!(connections[0].id.as_deref().is_some_and(|id| id.starts_with("con_")));
    let inbox = client.list_inbox().integration_id("internal").send().await.expect("inbox");
    assert_eq!(inbox.len(), 3, "the seeded chats are internal");
    assert!(client.list_inbox().integration_id("whatsapp_bot").send().await.expect("none").is_empty());
    let chat = mock.world().orgs[0].chats[0]["id"].as_str().expect("id").to_string();
    let err = client.list_chat_messages().chat_id(&chat).from_date("yesterday").send().await.unwrap_err();
    assert_eq!(status(&err), Some(400));
    let later = client.list_chat_messages().chat_id(&chat).from_date("2030-01-01T00:00:00Z").send().await;
    assert!(later.expect("none after 2030").is_empty());
    let files = client.list_chat_files().chat_id(&chat).send().await.expect("files");
    assert_eq!(PageInfo::of(&files).count, Some(0));
    let contact = mock.world().orgs[0].contacts[0]["id"].as_str().expect("id").to_string();
    assert!(client.list_contact_notes().contact_id(&contact).send().await.expect("notes").is_empty());
    assert!(client.list_contact_notes().contact_id("ctc_missing").send().await.unwrap_err().is_not_found());
}
