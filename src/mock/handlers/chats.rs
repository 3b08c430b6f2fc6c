//! Chats and everything under `/chats/{chat}`: messages and the assistant's replies, action approvals,
//! files, memories, the chat's state and assignment; plus the org's inbox and socket admission.

use serde_json::{json, Value};

use super::super::data::{self, World};
use super::super::events::MockEvent;
use super::super::reply::{conformed, merge, now, page, parts, Call, Handled, Reply};
use crate::types;

/// Invent summarizes a conversation into a memory every this many messages.
const MESSAGES_PER_MEMORY: usize = 10;

/// The member the API key's user is in chats it starts (the first member of the parent org).
pub(in crate::mock) fn admin_member(world: &mut World) -> Value {
    let member = world.orgs[0].summary["members"][0].clone();
    json!({
        "id": world.new_id("mbr"),
        "role": "ADMIN",
        "user": { "id": member["id"], "name": member["name"] },
    })
}

/// The chat as stored (the router checked it exists).
fn chat(world: &World, chat: &str) -> Value {
    let org = world.org_of_chat(chat).unwrap_or(0);
    world.orgs[org].chats.iter().find(|c| c["id"] == chat).cloned().unwrap_or(Value::Null)
}

/// The event for a changed chat: inbox sockets get the chat as it is now.
fn changed(world: &World, chat_id: &str) -> MockEvent {
    let org = world.org_of_chat(chat_id).unwrap_or(0);
    MockEvent::ChatChanged { org_id: world.orgs[org].id.clone(), chat: chat(world, chat_id) }
}

/// Stores `parts` as a user message (authored by `member`, a chat member, when given) and, when the
/// chat's AI is on, the assistant's reply after it. Returns `(user message, reply)`.
///
/// The reply repeats the user's text. If the handling assistant has an enabled action, the reply also
/// asks for approval to run it: a part `{"type": "tool-approval", "tool_call_id", "action_id",
/// "tool_name", "state": "approval-requested"}` with the message `RUNNING` until
/// [`decide`] records a decision (the part's shape is the mock's own: Invent's is not documented).
pub(in crate::mock) fn converse(
    world: &mut World,
    chat_id: &str,
    parts: Vec<Value>,
    member: Option<Value>,
) -> Result<(Value, Option<Value>), Reply> {
    let at = now();
    let current = chat(world, chat_id);
    let user_id = world.new_id("msg");
    let mut user = json!({
        "id": user_id,
        "role": "user",
        "status": "COMPLETED",
        "created_at": at,
        "updated_at": at,
        "messages": [{ "role": "user", "parts": parts }],
    });
    if let Some(member) = member {
        user["member"] = member;
    }
    let user = conformed::<types::ChatMessage>(user)?;
    let text = data::message_text(&user);

    let ai_enabled = current["state"]["ai_enabled"].as_bool().unwrap_or(true);
    let reply = if ai_enabled {
        let name = current["state"]["assistant"]["name"].as_str().unwrap_or("Invent").to_string();
        let reply_text = if text.trim().is_empty() {
            format!("{name} here: I received your message.")
        } else {
            format!("{name} here: you said “{}”. (A reply from the local mock Invent.)", text.trim())
        };
        let mut reply = data::message(world.new_id("msg"), "assistant", &reply_text, Some(data::MODEL), &at);
        if let Some(action) = handling_action(world, &current) {
            let call_id = world.new_id("call");
            if let Some(parts) = reply["messages"][0]["parts"].as_array_mut() {
                parts.push(json!({
                    "type": "tool-approval",
                    "tool_call_id": call_id,
                    "action_id": action["id"],
                    "tool_name": action["action_id"],
                    "state": "approval-requested",
                }));
            }
            reply["status"] = json!("RUNNING");
            reply = conformed::<types::ChatMessage>(reply)?;
        }
        Some(reply)
    } else {
        None
    };

    let messages = world.messages.entry(chat_id.to_string()).or_default();
    let before = messages.len();
    messages.push(user.clone());
    messages.extend(reply.clone());
    let after = messages.len();
    if after / MESSAGES_PER_MEMORY > before / MESSAGES_PER_MEMORY {
        remember(world, chat_id, after, &at)?;
    }
    if let Some(stored) = world.chat_mut(chat_id) {
        stored["updated_at"] = json!(at);
    }
    Ok((user, reply))
}

/// The first enabled action of the assistant handling `chat`, if any.
fn handling_action(world: &World, chat: &Value) -> Option<Value> {
    let assistant_id = chat["state"]["assistant_id"].as_str()?;
    let org = chat["org_id"].as_str().and_then(|id| world.resolve_org(id))?;
    let assistant = world.orgs[org].assistants.iter().find(|a| a["id"] == assistant_id)?;
    let mut actions: Vec<&Value> =
        assistant["actions"].as_array()?.iter().filter(|a| a["enabled"].as_bool() == Some(true)).collect();
    actions.sort_by_key(|a| a["position"].as_i64().unwrap_or(i64::MAX));
    actions.first().map(|a| (*a).clone())
}

/// A memory summarizing the chat's first `count` messages.
fn remember(world: &mut World, chat_id: &str, count: usize, at: &str) -> Result<(), Reply> {
    let memory = conformed::<types::Memory>(json!({
        "id": world.new_id("mem"),
        "chat_id": chat_id,
        "summary": format!("A conversation of {count} messages (summarized by the local mock Invent)."),
        "key_points": [],
        "message_count": count as f64,
        "summarized_at": at,
        "created_at": at,
    }))?;
    world.memories.entry(chat_id.to_string()).or_default().insert(0, memory);
    Ok(())
}

pub(in crate::mock) fn inbox(world: &World, org: usize, call: &Call<'_>) -> Handled {
    let channel = call.query.get("integration_id");
    let mut open: Vec<&Value> =
        world.orgs[org].chats.iter().filter(|c| channel.is_none_or(|id| c["state"]["integration_id"] == id)).collect();
    // Most recently active first.
    open.sort_by(|a, b| b["updated_at"].as_str().cmp(&a["updated_at"].as_str()));
    page(open, call.query)
}

pub(in crate::mock) fn admit_socket(world: &World, org: usize) -> Handled {
    Ok(Reply::ok(json!({ "org_id": world.orgs[org].id })))
}

pub(in crate::mock) fn update(world: &mut World, chat_id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateChatRequest>()?;
    let stored = world.chat_mut(chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    let mut updated = stored.clone();
    merge(&mut updated, &patch, &["title", "model", "visibility", "pinned", "tools"]);
    updated["updated_at"] = json!(now());
    *stored = conformed::<types::Chat>(updated)?;
    let reply = Reply::ok(stored.clone());
    Ok(reply.event(changed(world, chat_id)))
}

pub(in crate::mock) fn list_messages(world: &World, chat_id: &str, call: &Call<'_>) -> Handled {
    let from = match call.query.get("from_date") {
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| Reply::bad_request(format!("from_date must be an ISO 8601 date-time, got `{text}`")))?,
        ),
        None => None,
    };
    let after = |m: &&Value| {
        from.is_none_or(|from| {
            m["created_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t >= from)
        })
    };
    // Served newest first, like every other list.
    page(world.messages.get(chat_id).into_iter().flatten().rev().filter(after).collect(), call.query)
}

pub(in crate::mock) fn create_message(world: &mut World, chat_id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateChatMessageRequest>()?;
    let first = parts(&body, true)?;
    let (user, reply) = converse(world, chat_id, first, None)?;
    // With the AI off nobody answers: the stored user message is the answer.
    Ok(Reply::ok(reply.unwrap_or(user)).event(changed(world, chat_id)))
}

fn message_mut<'a>(world: &'a mut World, chat_id: &str, id: &str) -> Result<&'a mut Value, Reply> {
    let messages = world.messages.get_mut(chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    messages.iter_mut().find(|m| m["id"] == id).ok_or_else(|| Reply::not_found("Message", id))
}

pub(in crate::mock) fn get_message(world: &mut World, chat_id: &str, id: &str) -> Handled {
    message_mut(world, chat_id, id).map(|m| Reply::ok(m.clone()))
}

pub(in crate::mock) fn edit_message(world: &mut World, chat_id: &str, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::EditChatMessageRequest>()?;
    let new_parts = parts(&body, true)?;
    let message = message_mut(world, chat_id, id)?;
    if message["role"] != "user" {
        return Err(Reply::bad_request("only user messages can be edited"));
    }
    let mut updated = message.clone();
    updated["messages"] = json!([{ "role": "user", "parts": new_parts }]);
    updated["updated_at"] = json!(now());
    *message = conformed::<types::ChatMessage>(updated)?;
    let reply = Reply::ok(message.clone());
    Ok(reply.event(changed(world, chat_id)))
}

pub(in crate::mock) fn delete_message(world: &mut World, chat_id: &str, id: &str) -> Handled {
    let messages = world.messages.get_mut(chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    let index = messages.iter().position(|m| m["id"] == id).ok_or_else(|| Reply::not_found("Message", id))?;
    let removed = messages.remove(index);
    Ok(Reply::ok(removed).event(changed(world, chat_id)))
}

/// Records a decision on a pending approval. `as_contact` is the chat member deciding for a contact.
pub(in crate::mock) fn decide(
    world: &mut World,
    chat_id: &str,
    id: &str,
    tool_call: &str,
    call: &Call<'_>,
    as_contact: Option<Value>,
) -> Handled {
    let body = call.body::<types::DecideActionApprovalRequest>()?;
    let decision = match body["decision"].as_str() {
        Some(d @ ("accepted" | "rejected")) => d.to_string(),
        _ => return Err(Reply::bad_request("decision must be `accepted` or `rejected`")),
    };
    let reason = body["reason"].as_str().map(str::to_string);
    let message = message_mut(world, chat_id, id)?;
    let mut updated = message.clone();
    let parts = updated["messages"][0]["parts"].as_array_mut();
    let part = parts
        .and_then(|parts| parts.iter_mut().find(|p| p["type"] == "tool-approval" && p["tool_call_id"] == tool_call))
        .ok_or_else(|| Reply::not_found("Pending approval", tool_call))?;
    if part["state"] != "approval-requested" {
        return Err(Reply::bad_request(format!("approval {tool_call} was already decided")));
    }
    part["state"] = json!(format!("approval-{decision}"));
    if let Some(reason) = &reason {
        part["reason"] = json!(reason);
    }
    if let Some(member) = as_contact {
        part["decided_by"] = member;
    }
    let tool = part["tool_name"].as_str().unwrap_or("the action").to_string();
    let outcome = match (decision.as_str(), &reason) {
        ("accepted", _) => format!("Done: {tool} ran (the local mock Invent runs no actions)."),
        (_, Some(reason)) => format!("Understood, {tool} was not run: {reason}"),
        _ => format!("Understood, {tool} was not run."),
    };
    if let Some(parts) = updated["messages"][0]["parts"].as_array_mut() {
        parts.push(json!({ "type": "text", "text": outcome }));
    }
    updated["status"] = json!("COMPLETED");
    updated["updated_at"] = json!(now());
    *message = conformed::<types::ChatMessage>(updated)?;
    let reply = Reply::ok(message.clone());
    Ok(reply.event(changed(world, chat_id)))
}

/// Files of a chat: the `file` parts of its messages (`{"type": "file", "file": File}`).
pub(in crate::mock) fn files(world: &World, chat_id: &str, call: &Call<'_>) -> Handled {
    let files: Vec<&Value> = world
        .messages
        .get(chat_id)
        .into_iter()
        .flatten()
        .rev()
        .flat_map(|m| m["messages"].as_array().into_iter().flatten())
        .flat_map(|m| m["parts"].as_array().into_iter().flatten())
        .filter(|p| p["type"] == "file" && p["file"].is_object())
        .map(|p| &p["file"])
        .filter(|f| file_matches(f, call))
        .collect();
    page(files, call.query)
}

/// The `search` (file name contains, any case) and `mime_type` (prefix) filters of the file lists.
pub(in crate::mock) fn file_matches(file: &Value, call: &Call<'_>) -> bool {
    let name = file["file_filename"].as_str().unwrap_or_default().to_lowercase();
    let mime = file["file_mimetype"].as_str().unwrap_or_default();
    call.query.get("search").is_none_or(|s| name.contains(&s.to_lowercase()))
        && call.query.get("mime_type").is_none_or(|m| mime.starts_with(m))
}

pub(in crate::mock) fn clear_memories(world: &mut World, chat_id: &str) -> Handled {
    let cleared = world.memories.remove(chat_id).map_or(0, |m| m.len());
    Ok(Reply::ok(json!({ "deleted": cleared })))
}

pub(in crate::mock) fn delete_memory(world: &mut World, chat_id: &str, id: &str) -> Handled {
    let memories = world.memories.get_mut(chat_id).ok_or_else(|| Reply::not_found("Memory", id))?;
    let index = memories.iter().position(|m| m["id"] == id).ok_or_else(|| Reply::not_found("Memory", id))?;
    Ok(Reply::ok(memories.remove(index)))
}

pub(in crate::mock) fn update_state(world: &mut World, chat_id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateChatStateRequest>()?;
    if let Some(score) = patch.get("csat_score").and_then(Value::as_i64) {
        if !(1..=5).contains(&score) {
            return Err(Reply::bad_request("csat_score must be between 1 and 5"));
        }
    }
    let stored = world.chat_mut(chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    let mut updated = stored.clone();
    merge(&mut updated["state"], &patch, &["ai_enabled", "follow_up_at", "muted_until", "csat_score"]);
    updated["updated_at"] = json!(now());
    *stored = conformed::<types::Chat>(updated)?;
    let reply = Reply::ok(stored.clone());
    Ok(reply.event(changed(world, chat_id)))
}

/// `newest_chat_id`: a later chat of the same contact in the same org, if there is one.
pub(in crate::mock) fn state_info(world: &World, chat_id: &str) -> Handled {
    let current = chat(world, chat_id);
    let contact = |c: &Value| c["members"][0]["contact_channel"]["contact"]["id"].as_str().map(str::to_string);
    let org = world.org_of_chat(chat_id).unwrap_or(0);
    let newest = contact(&current).and_then(|who| {
        // Chats are kept newest first: the first chat of the same contact is the newest.
        let first = world.orgs[org].chats.iter().find(|c| contact(c).as_deref() == Some(who.as_str()))?;
        (first["id"] != chat_id).then(|| first["id"].clone())
    });
    Ok(Reply::ok(conformed::<types::ChatStateInfo>(json!({ "newest_chat_id": newest }))?))
}

pub(in crate::mock) fn assign(world: &mut World, chat_id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::AssignConversationRequest>()?;
    let org = world.org_of_chat(chat_id).unwrap_or(0);
    let assignee = match body["member_id"].as_str() {
        None => None,
        Some(id) => {
            let members = world.orgs[org].summary["members"].as_array().cloned().unwrap_or_default();
            let member = members.into_iter().find(|m| m["id"] == id).ok_or_else(|| Reply::not_found("Member", id))?;
            Some(member)
        }
    };
    let at = now();
    let stored = world.chat_mut(chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    let mut updated = stored.clone();
    let state = &mut updated["state"];
    match assignee {
        Some(member) => {
            state["assigned_user"] = json!({ "id": member["id"], "name": member["name"], "email": member["email"] });
            state["assigned_at"] = json!(at);
        }
        None => {
            if let Some(state) = state.as_object_mut() {
                state.remove("assigned_user");
                state.remove("assigned_at");
            }
        }
    }
    updated["updated_at"] = json!(at);
    *stored = conformed::<types::Chat>(updated)?;
    let state = conformed::<types::ChatState>(stored["state"].clone())?;
    Ok(Reply::ok(state).event(changed(world, chat_id)))
}
