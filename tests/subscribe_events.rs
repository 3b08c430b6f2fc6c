//! `Client::subscribe_chat_events` returns once the socket is open, so a chat created right after it is
//! delivered without the caller knowing about `connected()`; a refused subscription is an error.

use std::time::Duration;

use futures::TryStreamExt;
use invent_api::events::{ChatEvent, EventError};
use invent_api::mock::server::MockInvent;
use invent_api::{types, Client};

// One thread: the socket's task cannot run until the test awaits, so "open when it returns" is
// exact, not a race the test happens to win.
#[tokio::test(flavor = "current_thread")]
async fn a_chat_created_right_after_subscribing_is_delivered() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let channel = types::CreateContactRequestChannel { email: Some("ada@example.com".into()), ..Default::default() };
    let contact = client
        .create_contact()
        .body(types::CreateContactRequest { channel: Some(channel), ..Default::default() })
        .send()
        .await
        .expect("contact");
    let channel_id = contact.channels.iter().find_map(|c| c.id.clone()).expect("the contact has a channel");

    let mut events = client.subscribe_chat_events().await.expect("subscribed");
    assert_eq!(events.stats().connections, 1, "the socket is open when subscribe returns");
    let body = types::CreateContactChannelChatRequest { title: Some("right away".into()), ..Default::default() };
    let chat = client
        .create_contact_channel_chat()
        .contact_id(&contact.id)
        .channel_id(&channel_id)
        .body(body)
        .send()
        .await
        .expect("chat");
    let event = tokio::time::timeout(Duration::from_secs(10), events.try_next())
        .await
        .expect("an event within 10 s")
        .expect("no stream error")
        .expect("the stream goes on");
    match event {
        ChatEvent::ChatCreated(created) => assert_eq!(created.id, chat.id),
        other => panic!("expected the chat, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_subscription_is_an_error_not_a_silent_stream() {
    let mock = MockInvent::start().await;
    let wrong_key = Client::builder().api_key("sk_wrong").base_url(mock.base_url()).build().expect("client");
    match wrong_key.subscribe_chat_events().await {
        Err(error @ EventError::Fatal { .. }) => assert_eq!(error.status().map(|s| s.as_u16()), Some(401)),
        other => panic!("expected a fatal 401, got {other:?}"),
    }
    // The inbox route the same.
    assert!(wrong_key.subscribe_inbox_events().await.is_err());
    assert_eq!(mock.client().subscribe_inbox_events().await.expect("inbox").stats().connections, 1);
}
