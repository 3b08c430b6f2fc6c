//! Sub-organizations of the key's org (`/orgs/{org}/orgs…`): list, create, update, join, transfer.
//! Only the key's own (parent) org has sub-orgs; a sub-org's id names it in any org-scoped path.

use serde_json::{json, Value};

use super::super::data::{OrgData, World};
use super::super::reply::{conformed, merge, now, Call, Handled, Reply};
use crate::types;

/// The index of sub-org `id` of org `parent` (a 403 for a sub-org's own sub-orgs: it has none).
fn sub_org(world: &World, parent: usize, id: &str) -> Result<usize, Reply> {
    if parent != 0 {
        return Err(Reply::error(403, "a sub-organization has no sub-organizations"));
    }
    world.orgs[0]
        .sub_orgs
        .iter()
        .copied()
        .find(|&i| world.orgs[i].id == id)
        .ok_or_else(|| Reply::not_found("Sub-organization", id))
}

fn valid_name(name: &str) -> Result<String, Reply> {
    let name = name.trim();
    if !(2..=64).contains(&name.chars().count()) {
        return Err(Reply::bad_request("name must be between 2 and 64 characters"));
    }
    Ok(name.to_string())
}

pub(in crate::mock) fn create(world: &mut World, parent: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateSubOrganizationRequest>()?;
    if parent != 0 {
        return Err(Reply::error(403, "a sub-organization cannot have sub-organizations"));
    }
    let name = valid_name(body["name"].as_str().unwrap_or_default())?;
    let id = world.new_id("org");
    let summary = conformed::<types::SubOrganization>(json!({
        "id": id,
        "name": name,
        "plan": "free",
        "balance": 0.0,
        "promo_balance": 0.0,
        "members": [],
        "spending_cap_used": 0.0,
        "created_at": now(),
        "features": { "enterprise": false, "allow_overdraft": false, "workflows": false, "broadcasts": false },
    }))?;
    world.orgs.push(OrgData {
        id,
        name,
        summary: summary.clone(),
        assistants: Vec::new(),
        contacts: Vec::new(),
        segments: Vec::new(),
        chats: Vec::new(),
        connections: Vec::new(),
        contact_fields: world.orgs[0].contact_fields.clone(),
        sub_orgs: Vec::new(),
        assistants_created: 0,
    });
    let index = world.orgs.len() - 1;
    world.orgs[0].sub_orgs.insert(0, index);
    Ok(Reply::ok(summary))
}

/// `name`, `logo_id` and a deep-merged partial `config`; `features` is deprecated and ignored.
pub(in crate::mock) fn update(world: &mut World, parent: usize, id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateSubOrganizationRequest>()?;
    let index = sub_org(world, parent, id)?;
    let name = match patch.get("name").and_then(Value::as_str) {
        Some(name) => Some(valid_name(name)?),
        None => None,
    };
    let org = &mut world.orgs[index];
    let mut updated = org.summary.clone();
    if let Some(name) = &name {
        updated["name"] = json!(name);
    }
    match patch.get("logo_id") {
        Some(Value::String(logo)) => {
            updated["logo_url"] = json!(format!("https://files.mock.invent.invalid/logos/{logo}"))
        }
        Some(Value::Null) => {
            updated.as_object_mut().map(|o| o.remove("logo_url"));
        }
        _ => {}
    }
    if let Some(Value::Object(config)) = patch.get("config") {
        let target = updated.as_object_mut().map(|o| o.entry("config").or_insert_with(|| json!({})));
        if let Some(target) = target {
            let keys: Vec<&str> = config.keys().map(String::as_str).collect();
            merge(target, config, &keys);
        }
    }
    org.summary = conformed::<types::SubOrganization>(updated)?;
    if let Some(name) = name {
        org.name = name;
    }
    Ok(Reply::ok(org.summary.clone()))
}

/// The key's user joins the sub-org as a member (with `role`, default `ADMIN`); joining again is a no-op.
pub(in crate::mock) fn join(world: &mut World, parent: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::JoinSubOrganizationRequest>()?;
    let index = sub_org(world, parent, id)?;
    let user = world.orgs[0].summary["members"][0].clone();
    let member_id = world.new_id("mbr");
    let org = &mut world.orgs[index];
    let email = user["email"].clone();
    let already = org.summary["members"].as_array().is_some_and(|m| m.iter().any(|m| m["email"] == email));
    if !already {
        let member = json!({
            "id": member_id,
            "name": user["name"],
            "email": email,
            "role": body["role"].as_str().unwrap_or("ADMIN"),
            "status": "ACTIVE",
            "org_id": org.id,
            "created_at": now(),
        });
        let mut updated = org.summary.clone();
        match updated["members"].as_array_mut() {
            Some(members) => members.push(member),
            None => updated["members"] = json!([member]),
        }
        org.summary = conformed::<types::SubOrganization>(updated)?;
    }
    Ok(Reply::ok(org.summary.clone()))
}

/// Makes org `id` a sub-org of the key's org. Every org the mock knows is already one, so this
/// answers the sub-org as it is (the key's own org cannot become its own sub-org: a 400).
pub(in crate::mock) fn transfer(world: &mut World, parent: usize, id: &str, call: &Call<'_>) -> Handled {
    call.body::<types::TransferOrganizationRequest>()?;
    if world.orgs[0].id == id {
        return Err(Reply::bad_request("an organization cannot become its own sub-organization"));
    }
    let index = sub_org(world, parent, id)?;
    Ok(Reply::ok(world.orgs[index].summary.clone()))
}
