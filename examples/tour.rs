//! A tour of `invent-api`: `cargo run --example tour`.
//!
//! With `INVENT_API_KEY` set, it makes a few read-only calls against the real Invent API. Without it, it
//! starts a local mock Invent on loopback (no network needed) and walks through the client: pagination,
//! creating a contact, chatting, sub-orgs, typed errors, transparent 429 retries and live chat events.

use std::time::Duration;

use futures::TryStreamExt;
use invent_api::events::{self, ChatEvent};
use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;
use invent_api::types;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    match std::env::var("INVENT_API_KEY") {
        Ok(key) if !key.trim().is_empty() => real_api(Client::from_env()?).await,
        _ => mock_tour().await,
    }
}

/// Read-only calls against your org (and its sub-orgs) on the real API. (`pub` items: the tests run them.)
pub async fn real_api(client: Client) -> Result {
    println!("INVENT_API_KEY is set: read-only calls against the Invent API (org `{}`)\n", client.org());

    let assistants = client.list_assistants().collect_all().await?;
    println!("{} assistants (every page, fetched automatically):", assistants.len());
    for assistant in assistants.iter().take(10) {
        println!("  {}  {}", assistant.id, assistant.name);
    }

    let contacts = client.list_contacts().page(1).take(5).send().await?;
    let info = PageInfo::of(&contacts);
    println!("\nContacts: first {} of {}", contacts.len(), info.count.map_or("?".into(), |n| n.to_string()));
    for contact in contacts.iter() {
        println!("  {}  {}", contact.id, contact.name.as_deref().unwrap_or("(no name)"));
    }

    let sub_orgs = client.list_sub_organizations().collect_all().await?;
    println!("\n{} sub-orgs", sub_orgs.len());
    for sub in &sub_orgs {
        println!("  {}  {}", sub.id.as_deref().unwrap_or("?"), sub.name.as_deref().unwrap_or("?"));
    }
    Ok(())
}

/// The same client against a local mock Invent that answers every 5th request with a 429.
pub async fn mock_tour() -> Result {
    let mock = MockInvent::builder().assistants(120).rate_limit_every(5).start().await;
    let client = mock.client();
    println!("No INVENT_API_KEY: touring a local mock Invent at {}\n", mock.base_url());

    println!("1. Every assistant, pages of 100 fetched as the stream is read (Paginate::items)");
    let before = mock.request_count();
    let assistants: Vec<types::Assistant> = client.list_assistants().items().try_collect().await?;
    let enabled = assistants.iter().filter(|a| a.enabled).count();
    println!("   {} assistants ({enabled} enabled) in {} requests", assistants.len(), mock.request_count() - before);
    println!(
        "   first: {} ({}), last: {}",
        assistants[0].name,
        assistants[0].id,
        assistants[assistants.len() - 1].name
    );

    println!("\n2. One page, with the pagination headers as PageInfo");
    let page = client.list_assistants().page(3).take(20).send().await?;
    let info = PageInfo::of(&page);
    println!("   {} items; {info:?}; {} pages in all", page.len(), info.total_pages().unwrap_or(0));

    println!("\n3. Creating a contact, then finding it in the list");
    let channel = types::CreateContactRequestChannel {
        name: Some("Mary Jackson".into()),
        email: Some("mary.jackson@example.com".into()),
        ..Default::default()
    };
    let body = types::CreateContactRequest { channel: Some(channel), ..Default::default() };
    let contact = client.create_contact().body(body).send().await?.into_inner();
    println!("   created {} ({})", contact.id, contact.name.as_deref().unwrap_or("no name"));
    let found = client.list_contacts().search("jackson").collect_all().await?;
    println!(
        "   contacts matching \"jackson\": {}",
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
    );

    println!("\n4. Sending a chat message; the reply is a typed ChatMessage");
    let chats = client.list_org_chats().take(1).send().await?.into_inner();
    let chat_id = chats.first().and_then(|c| c.id.clone()).ok_or("the org has no chats")?;
    let body = types::CreateChatMessageRequest { message: vec![types::MessagePart::text("Are you open on Saturday?")] };
    let reply = client.create_chat_message().chat_id(&chat_id).body(body).send().await?.into_inner();
    let role = reply.role.as_ref().map_or("?".to_string(), ToString::to_string);
    println!("   chat {chat_id}, {role} replied: {}", reply.text());

    println!("\n5. Sub-orgs: the same client, scoped with client.for_org(id)");
    for sub in client.list_sub_organizations().collect_all().await? {
        let (Some(id), Some(name)) = (sub.id, sub.name) else { continue };
        let names: Vec<String> =
            client.for_org(id.as_str()).list_assistants().items().map_ok(|a| a.name).try_collect().await?;
        println!("   {name} ({id}): {}", names.join(", "));
    }

    println!("\n6. A 404 is a typed error that keeps status, body and request id");
    match client.get_assistant().assistant_id("ast_DoesNotExist0000000000").send().await {
        Ok(assistant) => println!("   unexpectedly found {}", assistant.name),
        Err(err) if err.is_not_found() => {
            let status = err.status().map_or(0, |s| s.as_u16());
            let message = err.message().unwrap_or("-");
            println!("   status {status}, request id {}, message \"{message}\"", err.request_id().unwrap_or("-"));
        }
        Err(err) => return Err(err.into()),
    }

    println!("\n7. Rate limits: 429s were retried transparently (Retry-After: 0)");
    let log = mock.requests();
    for limited in log.iter().filter(|r| r.status == 429) {
        let retry = log.iter().find(|r| r.number > limited.number && r.path == limited.path);
        let outcome = retry.map_or("-".to_string(), |r| format!("#{} → {}", r.number, r.status));
        println!("   #{} {} {} → 429, retried as {outcome}", limited.number, limited.method, limited.path);
    }
    println!(
        "   {} requests, {} answered 429, and every call above succeeded",
        mock.request_count(),
        mock.rate_limited_count()
    );

    println!("\n8. Live events: subscribe to the org's chat events, create a chat, receive it");
    // GET /orgs/c/chats/ws, Bearer auth, reconnects by itself; returns once the socket is open.
    let mut chat_events = client.subscribe_chat_events().await?;
    println!("   socket open after {} upgrade request(s)", chat_events.stats().attempts);
    let channel_id = contact.channels.iter().find_map(|c| c.id.clone()).ok_or("the contact has no channel")?;
    let body = types::CreateContactChannelChatRequest {
        title: Some("Order #1042 arrived damaged".into()),
        ..Default::default()
    };
    let created =
        client.create_contact_channel_chat().contact_id(&contact.id).channel_id(&channel_id).body(body).send().await?;
    println!(
        "   created chat {} on {}'s channel",
        created.id.as_deref().unwrap_or("?"),
        contact.name.as_deref().unwrap_or("?")
    );
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), chat_events.try_next()).await;
        let event = next.map_err(|_| "no event within 10 s")??.ok_or("the event stream ended")?;
        match &event {
            ChatEvent::ChatCreated(chat) => {
                let title = chat.title.as_deref().unwrap_or("?");
                println!("   event: ChatCreated {} \"{title}\"", chat.id.as_deref().unwrap_or("?"));
                let line = events::json_line(&event);
                let shown: String = line.chars().take(110).collect();
                println!("   as a JSON line ({} bytes): {shown}…", line.len());
                break;
            }
            ChatEvent::Gap(gap) => println!(
                "   gap: {} reconnect(s), last cause: {:?}",
                gap.reconnects,
                gap.cause.as_ref().map(|c| c.to_string())
            ),
            other => println!("   event: {}", other.to_json()),
        }
    }
    Ok(())
}
