//! Live events: subscribe to the org's chat events, then see a new chat arrive.
//!
//! `cargo run --example watch_events` (a local mock Invent: no key, no network). Against the real
//! API, build the client with `Client::from_env()?` instead.

use std::time::Duration;

use futures::TryStreamExt;
use invent_api::events::ChatEvent;
use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::start().await;
    let client = mock.client();

    // Returns once the socket is open: a chat created after this line is in the stream (Invent does
    // not replay events). It reconnects by itself and reports what it may have missed as a `Gap`.
    let mut events = client.subscribe_chat_events().await?;
    println!("subscribed ({} connection)", events.stats().connections);

    // Start a chat with an assistant.
    let assistant = client.list_assistants().take(1).send().await?.into_inner().into_iter().next();
    let assistant = assistant.ok_or("the org has no assistant")?;
    let body = types::CreateAssistantChatRequest { message: vec![types::MessagePart::text("Hello!")] };
    // The spec leaves this answer's shape open (JSON); the new chat's `id` is in it.
    let chat = client.create_assistant_chat().assistant_id(&assistant.id).body(body).send().await?.into_inner();
    let chat_id = chat["id"].as_str().ok_or("the chat has no id")?.to_string();
    println!("created chat {chat_id}");

    // Read events until that chat shows up (bounded: an example must not hang).
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.try_next().await? {
            match event {
                ChatEvent::ChatCreated(created) if created.id.as_deref() == Some(chat_id.as_str()) => return Ok(true),
                ChatEvent::Gap(gap) => {
                    println!("gap: {} reconnect(s); catch up with client.chats_since", gap.reconnects)
                }
                other => println!("event: {}", other.to_json()),
            }
        }
        Ok::<_, invent_api::events::EventError>(false)
    })
    .await;

    match seen {
        Ok(Ok(true)) => {
            println!("event: ChatCreated {chat_id}");
            Ok(())
        }
        Ok(Ok(false)) => Err("the event stream ended".into()),
        Ok(Err(error)) => Err(error.into()),
        Err(_) => Err("no event for the new chat within 10 s".into()),
    }
}
