//! Sub-organizations: `/orgs/c/…` is the API key's own org; a sub-org is addressed by its id, with a
//! handle from `client.for_org(id)` that keeps every other setting.
//!
//! `cargo run --example sub_orgs` (a local mock Invent: no key, no network). Against the real API,
//! build the client with `Client::from_env()?` instead.

use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::start().await;
    let client = mock.client(); // org `c`: the key's own org

    // A new sub-org, then every sub-org of this org.
    // The spec leaves this body open (a JSON object); `name` is the field Invent reads.
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), "Acme Europe".into());
    let body = types::CreateSubOrganizationRequest(fields);
    let created = client.create_sub_organization().body(body).send().await?.into_inner();
    let created_id = created.id.clone().ok_or("the new sub-org has no id")?;
    println!("created sub-org {created_id}");

    let sub_orgs = client.list_sub_organizations().collect_all().await?;
    for sub in &sub_orgs {
        let Some(id) = sub.id.as_deref() else { continue };
        // The same client, scoped to the sub-org: its calls go to `/orgs/{id}/…`.
        let scoped = client.for_org(id);
        let assistants = scoped.list_assistants().collect_all().await?;
        println!("  {} ({id}): {} assistants", sub.name.as_deref().unwrap_or("?"), assistants.len());
    }

    // Check what was printed: the new sub-org is listed, and its calls went to its own path.
    let listed = sub_orgs.iter().any(|s| s.id.as_deref() == Some(created_id.as_str()));
    let scoped_path = format!("/orgs/{created_id}/assistants");
    let routed = mock.requests().iter().any(|r| r.path == scoped_path);
    if !listed || !routed {
        return Err(format!("sub-org listed: {listed}, a request to {scoped_path}: {routed}").into());
    }
    Ok(())
}
