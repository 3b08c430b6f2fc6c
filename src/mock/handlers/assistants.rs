//! Assistants, their actions and the chats started with them (`/orgs/{org}/assistants/…`).

use serde_json::{json, Value};

use super::super::conventions::ASSISTANT_CREATION_LIMIT;
use super::super::data::{self, World};
use super::super::events::MockEvent;
use super::super::reply::{conformed, find, merge, now, page, parts, Call, Handled, Reply};
use super::chats;
use crate::types;

/// Assistant `id` of org `org`.
pub(in crate::mock) fn assistant<'a>(world: &'a World, org: usize, id: &str) -> Result<&'a Value, Reply> {
    world.orgs[org].assistants.iter().find(|a| a["id"] == id).ok_or_else(|| Reply::not_found("Assistant", id))
}

fn assistant_mut<'a>(world: &'a mut World, org: usize, id: &str) -> Result<&'a mut Value, Reply> {
    find(&mut world.orgs[org].assistants, id).ok_or_else(|| Reply::not_found("Assistant", id))
}

pub(in crate::mock) fn get(world: &World, org: usize, id: &str) -> Handled {
    assistant(world, org, id).map(|a| Reply::ok(a.clone()))
}

pub(in crate::mock) fn create(world: &mut World, org: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateAssistantRequest>()?;
    let name = body["name"].as_str().unwrap_or_default();
    if name.is_empty() || name.chars().count() > 1024 {
        return Err(Reply::bad_request("name must be between 1 and 1024 characters"));
    }
    if world.orgs[org].assistants_created >= ASSISTANT_CREATION_LIMIT {
        return Err(
            Reply::error(429, "Assistant creation limit reached: 10 per hour per org").header("retry-after", "3600")
        );
    }
    let id = world.new_id("ast");
    let at = now();
    let mut config = json!({ "language": "auto", "model": data::MODEL, "knowledge_scope": "all", "timezone": "UTC" });
    if let Some(Value::Object(extra)) = body.get("config") {
        merge(&mut config, extra, &extra.keys().map(String::as_str).collect::<Vec<_>>());
    }
    let secret = body["generate_secret_key"].as_bool().unwrap_or(false).then(|| world.new_id("sk"));
    let assistant = conformed::<types::Assistant>(json!({
        "id": id,
        "name": name,
        "enabled": body["enabled"].as_bool().unwrap_or(true),
        "deleted": false,
        "secret_key": secret,
        "avatar_url": null,
        "config": config,
        "integrations": [],
        "actions": [],
        "boards": [],
        "created_at": at,
        "updated_at": at,
    }))?;
    world.orgs[org].assistants.insert(0, assistant.clone());
    world.orgs[org].assistants_created += 1;
    Ok(Reply::ok(assistant))
}

pub(in crate::mock) fn update(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateAssistantRequest>()?;
    let assistant = assistant_mut(world, org, id)?;
    let mut updated = assistant.clone();
    merge(&mut updated, &patch, &["name", "enabled", "config"]);
    updated["updated_at"] = json!(now());
    *assistant = conformed::<types::Assistant>(updated)?;
    Ok(Reply::ok(assistant.clone()))
}

/// The assistant's actions, by position (they live in the assistant's own `actions`).
fn actions(assistant: &Value) -> Vec<&Value> {
    let mut actions: Vec<&Value> = assistant["actions"].as_array().into_iter().flatten().collect();
    actions.sort_by_key(|a| a["position"].as_i64().unwrap_or(i64::MAX));
    actions
}

pub(in crate::mock) fn list_actions(world: &World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    page(actions(assistant(world, org, id)?), call.query)
}

pub(in crate::mock) fn get_action(world: &World, org: usize, id: &str, action: &str) -> Handled {
    let assistant = assistant(world, org, id)?;
    let found = actions(assistant).into_iter().find(|a| a["id"] == action);
    found.map(|a| Reply::ok(a.clone())).ok_or_else(|| Reply::not_found("Action", action))
}

/// A `connection_id` must name one of the org's connections.
fn check_connection(world: &World, org: usize, patch: &serde_json::Map<String, Value>) -> Result<(), Reply> {
    match patch.get("connection_id").and_then(Value::as_str) {
        Some(id) if !world.orgs[org].connections.iter().any(|c| c["id"] == id) => {
            Err(Reply::not_found("Connection", id))
        }
        _ => Ok(()),
    }
}

pub(in crate::mock) fn create_action(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.patch::<types::CreateAssistantActionRequest>()?;
    if body.get("action_id").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(Reply::bad_request("action_id must not be empty"));
    }
    check_connection(world, org, &body)?;
    assistant(world, org, id)?;
    let action_id = world.new_id("aac");
    let at = now();
    let assistant = assistant_mut(world, org, id)?;
    let last = actions(assistant).iter().filter_map(|a| a["position"].as_i64()).max().unwrap_or(0);
    let action = conformed::<types::AssistantAction>(json!({
        "id": action_id,
        "enabled": body["enabled"],
        "name": body.get("name").cloned().unwrap_or(Value::Null),
        "instructions": body.get("instructions").cloned().unwrap_or(Value::Null),
        "action_id": body["action_id"],
        "assistant_id": id,
        "connection_id": body.get("connection_id").cloned().unwrap_or(Value::Null),
        "config": body["config"],
        // Positions are bucketed in multiples of 100, so an action can move between two others.
        "position": (last / 100 + 1) * 100,
        "created_at": at,
        "updated_at": at,
    }))?;
    let mut updated = assistant.clone();
    match updated["actions"].as_array_mut() {
        Some(list) => list.push(action.clone()),
        None => updated["actions"] = json!([action.clone()]),
    }
    updated["updated_at"] = json!(at);
    *assistant = conformed::<types::Assistant>(updated)?;
    Ok(Reply::ok(action))
}

pub(in crate::mock) fn update_action(
    world: &mut World,
    org: usize,
    id: &str,
    action: &str,
    call: &Call<'_>,
) -> Handled {
    let patch = call.patch::<types::UpdateAssistantActionRequest>()?;
    check_connection(world, org, &patch)?;
    let assistant = assistant_mut(world, org, id)?;
    let mut updated = assistant.clone();
    let list = updated["actions"].as_array_mut().ok_or_else(|| Reply::not_found("Action", action))?;
    let target = find(list, action).ok_or_else(|| Reply::not_found("Action", action))?;
    merge(target, &patch, &["enabled", "name", "instructions", "connection_id", "config"]);
    target["updated_at"] = json!(now());
    let result = conformed::<types::AssistantAction>(target.clone())?;
    *assistant = conformed::<types::Assistant>(updated)?;
    Ok(Reply::ok(result))
}

pub(in crate::mock) fn reorder_actions(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::ReorderAssistantActionsRequest>()?;
    let positions = body["positions"].as_array().cloned().unwrap_or_default();
    let assistant = assistant_mut(world, org, id)?;
    let mut updated = assistant.clone();
    let list = updated["actions"].as_array_mut();
    let list = match list {
        Some(list) => list,
        None if positions.is_empty() => return page(Vec::new(), call.query),
        None => return Err(Reply::bad_request("the assistant has no actions to reorder")),
    };
    for entry in &positions {
        let (Some(action), Some(position)) = (entry["id"].as_str(), entry["position"].as_i64()) else {
            return Err(Reply::bad_request("every position needs an id and an integer position"));
        };
        let target = find(list, action).ok_or_else(|| Reply::not_found("Action", action))?;
        target["position"] = json!(position);
    }
    *assistant = conformed::<types::Assistant>(updated)?;
    page(actions(assistant), call.query)
}

/// Starts an internal chat handled by the assistant; a first message gets the assistant's reply.
pub(in crate::mock) fn create_chat(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateAssistantChatRequest>()?;
    let first = parts(&body, false)?;
    let handler = assistant(world, org, id)?.clone();
    let at = now();
    let chat_id = world.new_id("cht");
    let title = data::parts_text(&first).chars().take(60).collect::<String>();
    let title = if title.trim().is_empty() { "New chat".to_string() } else { title };
    let org_id = world.orgs[org].id.clone();
    let mut chat = data::chat(&chat_id, &title, &org_id, "internal", &at, Some(&handler));
    chat["members"] = json!([chats::admin_member(world)]);
    let chat = conformed::<types::Chat>(chat)?;
    world.messages.insert(chat_id.clone(), Vec::new());
    world.chat_org.insert(chat_id.clone(), org);
    world.orgs[org].chats.insert(0, chat);
    if !first.is_empty() {
        chats::converse(world, &chat_id, first, None)?;
    }
    let chat = world.chat_mut(&chat_id).map(|c| c.clone()).unwrap_or_default();
    Ok(Reply::ok(chat.clone()).event(MockEvent::ChatCreated { org_id, chat }))
}
