//! Creating a contact and finding it again: a contact's name and email go in its first channel, and
//! `search` matches names.
//!
//! `cargo run --example create_contact` (a local mock Invent: no key, no network). Against the real
//! API, build the client with `Client::from_env()?` instead.

use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::start().await;
    let client = mock.client();

    // The request body is a generated type; unset fields stay out of the JSON.
    let channel = types::CreateContactRequestChannel {
        name: Some("Mary Jackson".into()),
        email: Some("mary.jackson@example.com".into()),
        ..Default::default()
    };
    let body = types::CreateContactRequest { channel: Some(channel), ..Default::default() };
    let contact = client.create_contact().body(body).send().await?.into_inner();
    let email = contact.channels.iter().find_map(|c| c.email.clone());
    println!("created {} ({:?}, {:?})", contact.id, contact.name, email);

    // Found by name…
    let found = client.list_contacts().search("Jackson").collect_all().await?;
    println!("search \"Jackson\": {:?}", found.iter().map(|c| &c.id).collect::<Vec<_>>());
    // …and in the full list.
    let listed = client.list_contacts().collect_all().await?;
    println!("{} contacts in all", listed.len());

    let by_name = found.iter().any(|c| c.id == contact.id);
    let in_list = listed.iter().any(|c| c.id == contact.id);
    if !by_name || !in_list || email.as_deref() != Some("mary.jackson@example.com") {
        return Err(format!("the new contact was not found (search {by_name}, list {in_list}, email {email:?})").into());
    }
    Ok(())
}
