//! Chatting: start a chat with an assistant, send a text message, read the reply's text.
//!
//! `cargo run --example chat_and_reply` (a local mock Invent, whose assistant quotes what it is
//! told: no key, no network). Against the real API, build the client with `Client::from_env()?`.

use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::start().await;
    let client = mock.client();

    // Any assistant of the org.
    let assistants = client.list_assistants().take(1).send().await?.into_inner();
    let assistant = assistants.first().ok_or("the org has no assistant")?;

    // A chat with it; its first message is a text part (`MessagePart::text`, no JSON by hand).
    let question = "Are you open on Saturday?";
    let body = types::CreateAssistantChatRequest { message: vec![types::MessagePart::text(question)] };
    // The spec leaves this answer's shape open (JSON); the new chat's `id` is in it.
    let chat = client.create_assistant_chat().assistant_id(&assistant.id).body(body).send().await?.into_inner();
    let chat_id = chat["id"].as_str().ok_or("the chat has no id")?.to_string();
    println!("chat {chat_id} with {}", assistant.name);

    // Another message in the same chat; the reply is a typed `ChatMessage`, its text one call away.
    let body = types::CreateChatMessageRequest { message: vec![types::MessagePart::text("And on Sunday?")] };
    let reply = client.create_chat_message().chat_id(&chat_id).body(body).send().await?.into_inner();
    let role = reply.role.as_ref().map_or("?".to_string(), ToString::to_string);
    println!("{role} replied: {}", reply.text());

    // The conversation so far.
    let messages = client.list_chat_messages().chat_id(&chat_id).collect_all().await?;
    for message in &messages {
        let role = message.role.as_ref().map_or("?".to_string(), ToString::to_string);
        println!("  {role}: {}", message.text());
    }

    // Check what was printed: a reply with text, and our question in the chat.
    if reply.text().is_empty() || !messages.iter().any(|m| m.text().contains(question)) {
        return Err("no reply text, or the question is not in the chat".into());
    }
    Ok(())
}
