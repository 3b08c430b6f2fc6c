//! The mock Invent's WebSocket routes end to end: an event per chat created through it, per org; the
//! upgrade under the mock's auth, 429 cadence and request log; a server-side close and catch-up.

use std::time::Duration;

use futures::StreamExt;
use invent_api::events::{Disconnect, EventsConfig, Feed};
use invent_api::mock::server::MockInvent;
use invent_api::{types, Client};
use serde_json::json;

use super::{created_id, gap, next, next_event};

fn quick() -> EventsConfig {
    EventsConfig::default().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A contact with one custom channel in `client`'s org; returns (contact id, channel id).
async fn contact_with_channel(client: &Client, name: &str) -> (String, String) {
    let channel = types::CreateContactRequestChannel {
        name: Some(name.into()),
        email: Some(format!("{}@example.com", name.to_lowercase().replace(' ', "."))),
        ..Default::default()
    };
    let body = types::CreateContactRequest { channel: Some(channel), ..Default::default() };
    let contact = client.create_contact().body(body).send().await.unwrap().into_inner();
    let channel = contact.channels[0].id.clone().unwrap();
    (contact.id, channel)
}

async fn create_chat(client: &Client, contact: &(String, String), title: &str) -> types::Chat {
    let text: types::MessagePart = serde_json::from_value(json!({"type": "text", "text": "My order is late"})).unwrap();
    let body =
        types::CreateContactChannelChatRequest { title: Some(title.into()), message: vec![text], ..Default::default() };
    let call = client.create_contact_channel_chat().contact_id(&contact.0).channel_id(&contact.1).body(body);
    call.send().await.unwrap().into_inner()
}

#[tokio::test]
async fn every_chat_created_through_the_mock_reaches_the_sockets_of_its_org() {
    let mock = MockInvent::builder().sub_orgs(1).start().await;
    let client = mock.client();
    let sub = client.for_org(mock.sub_org_ids()[0].as_str());
    let mut chats = client.chat_events();
    let mut inbox = client.inbox_events();
    let mut sub_chats = sub.chat_events();
    for stream in [&chats, &inbox, &sub_chats] {
        assert!(stream.connected().await);
    }
    assert_eq!(mock.event_sockets(), 3);

    let parent_contact = contact_with_channel(&client, "Ada Parent").await;
    let created = create_chat(&client, &parent_contact, "Late order").await;
    let id = created.id.clone().unwrap();
    assert_eq!(created_id(&next_event(&mut chats).await), id);
    let in_inbox = next_event(&mut inbox).await;
    assert_eq!(created_id(&in_inbox), id);
    let chat = in_inbox.chat().unwrap();
    assert_eq!(chat.title.as_deref(), Some("Late order"));
    assert_eq!(chat.org_id.as_deref(), Some(mock.org_id().as_str()), "the real org id, not `c`");
    assert_eq!(chat.members[0].contact_channel.as_ref().unwrap().id.as_deref(), Some(parent_contact.1.as_str()));

    // The sub-org's socket did not get the parent's chat: its first event is its own.
    let sub_contact = contact_with_channel(&sub, "Sam Sub").await;
    let sub_created = create_chat(&sub, &sub_contact, "Sub question").await;
    assert_eq!(created_id(&next_event(&mut sub_chats).await), sub_created.id.unwrap());

    // The chat is stored like any other: listed first, with the first message authored as the contact.
    let listed = client.list_org_chats().take(1).send().await.unwrap().into_inner();
    assert_eq!(listed[0].id.as_deref(), Some(id.as_str()));
    let messages = client.list_chat_messages().chat_id(&id).send().await.unwrap().into_inner();
    assert_eq!(messages.len(), 1);

    // Upgrades are logged with the status the client got.
    let upgrades: Vec<_> = mock.requests().into_iter().filter(|r| r.path.ends_with("/ws")).collect();
    assert_eq!(upgrades.len(), 3);
    assert!(upgrades.iter().all(|r| r.status == 101 && r.method == "GET"), "{upgrades:?}");
}

#[tokio::test]
async fn a_chat_on_a_non_custom_channel_is_refused_and_sends_no_event() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let mut chats = client.events_with(Feed::Chats, quick()).unwrap();
    let mut inbox = client.events_with(Feed::Inbox, quick()).unwrap();
    assert!(chats.connected().await && inbox.connected().await);
    let world = mock.world();
    let seeded = world.orgs[0].contacts.iter().find(|c| c["channels"][0]["type"] != "custom").unwrap();
    let (contact, channel) = (seeded["id"].as_str().unwrap(), seeded["channels"][0]["id"].as_str().unwrap());
    let body = types::CreateContactChannelChatRequest::default();
    let error = client
        .create_contact_channel_chat()
        .contact_id(contact)
        .channel_id(channel)
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    // A chat created after the refused one is the first event on both sockets: the refusal sent none.
    let contact = contact_with_channel(&client, "Next Chat").await;
    let next_chat = create_chat(&client, &contact, "After the refusal").await.id.unwrap();
    assert_eq!(created_id(&next_event(&mut chats).await), next_chat);
    assert_eq!(created_id(&next_event(&mut inbox).await), next_chat);
}

#[tokio::test]
async fn a_server_side_close_gives_a_gap_and_catch_up_lists_the_recent_chats() {
    let mock = MockInvent::builder().chats(150).start().await;
    let client = mock.client();
    let mut events = client.events_with(Feed::Chats, quick()).unwrap();
    assert!(events.connected().await);
    let contact = contact_with_channel(&client, "Grace Gap").await;
    let before = create_chat(&client, &contact, "Before the restart").await;
    assert_eq!(created_id(&next_event(&mut events).await), before.id.clone().unwrap());

    mock.close_event_sockets(1012, "service restart");
    let gap = gap(next_event(&mut events).await);
    assert_eq!(gap.cause, Some(Disconnect::Closed { code: 1012, reason: "service restart".into() }));
    assert!(events.connected().await);
    let after = create_chat(&client, &contact, "After the restart").await;
    assert_eq!(created_id(&next_event(&mut events).await), after.id.clone().unwrap());

    let lists_before = mock.requests().iter().filter(|r| r.path == "/orgs/c/chats").count();
    let caught = client.chats_since(gap.since).await.unwrap();
    let ids: Vec<_> = caught.chats.iter().filter_map(|c| c.id.clone()).collect();
    // The 150 seeded chats are from 2025; only the two created now are recent, oldest first.
    assert_eq!(ids, [before.id.unwrap(), after.id.unwrap()]);
    assert!(caught.complete);
    let lists = mock.requests().iter().filter(|r| r.path == "/orgs/c/chats").count() - lists_before;
    assert_eq!(lists, 1, "the first page with an older chat ends the catch-up");
    assert_eq!(events.stats().connections, 2);
}

#[tokio::test]
async fn catch_up_reads_at_most_the_page_limit() {
    // Every seeded chat is "recent" when `since` is far in the past: the page limit stops the read.
    // Written out, not read from the crate's constant: 10 pages of 100.
    let mock = MockInvent::builder().chats(1200).start().await;
    let caught = mock.client().chats_since(chrono::DateTime::UNIX_EPOCH).await.unwrap();
    assert_eq!(caught.chats.len(), 1000);
    let pages = mock.requests().iter().filter(|r| r.path == "/orgs/c/chats").count();
    assert_eq!(pages, 10, "one list call per page");
    assert!(!caught.complete);
    let chats = &caught.chats;
    assert!(chats.windows(2).all(|w| w[0].created_at <= w[1].created_at), "oldest first");
}

#[tokio::test]
async fn the_upgrade_goes_through_the_mocks_auth_and_429_cadence() {
    let mock = MockInvent::builder().rate_limit_every(2).start().await;
    // Request 1: a REST call; request 2 (the upgrade) gets the 429; request 3 (the retry) is upgraded.
    mock.client().list_assistants().take(1).send().await.unwrap();
    let events = mock.client().events_with(Feed::Inbox, quick()).unwrap();
    assert!(events.connected().await);
    let statuses: Vec<(String, u16)> = mock.requests().into_iter().map(|r| (r.path, r.status)).collect();
    assert_eq!(
        statuses,
        [("/orgs/c/assistants".to_string(), 200), ("/orgs/c/inbox/ws".into(), 429), ("/orgs/c/inbox/ws".into(), 101)]
    );
    drop(events);

    let wrong_key = mock.client_builder().api_key("sk_wrong").build().unwrap();
    let mut refused = wrong_key.events_with(Feed::Chats, quick()).unwrap();
    let error = next(&mut refused).await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(error.to_string().contains("missing or invalid API key"), "{error}");

    // A plain GET of a socket route is told to upgrade.
    let plain = mock.client().raw(reqwest::Method::GET, "/orgs/c/chats/ws").send().await.unwrap_err();
    assert_eq!(plain.status().map(|s| s.as_u16()), Some(426));
    let mut unknown_org = mock.client().for_org("org_nope").events_with(Feed::Chats, quick()).unwrap();
    assert_eq!(next(&mut unknown_org).await.unwrap_err().status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn dropping_the_mock_closes_its_sockets_with_going_away() {
    let mock = MockInvent::start().await;
    let client = mock.client();
    let mut events = client.events_with(Feed::Chats, quick().max_reconnects(Some(0))).unwrap();
    assert!(events.connected().await);
    drop(mock);
    let error = tokio::time::timeout(Duration::from_secs(10), events.next()).await.unwrap().unwrap().unwrap_err();
    // 1001 is retryable; with no reconnections allowed the stream reports it as the last failure.
    assert_eq!(error.close_code(), Some(1001), "{error}");
}
