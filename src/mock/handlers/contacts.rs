//! Contacts (`/orgs/{org}/contacts/…`): the list and its filters, create, update, duplicates and
//! merging, segments, notes, activities, files, channels, and chats and messages as a contact.

use serde_json::{json, Map, Value};

use super::super::data::{self, World};
use super::super::events::MockEvent;
use super::super::reply::{conformed, find, merge as merge_fields, now, page, parts, Call, Handled, Reply};
use super::{assistants, chats};
use crate::types;

/// Contact `id` of org `org`.
fn contact<'a>(world: &'a World, org: usize, id: &str) -> Result<&'a Value, Reply> {
    world.orgs[org].contacts.iter().find(|c| c["id"] == id).ok_or_else(|| Reply::not_found("Contact", id))
}

fn contact_mut<'a>(world: &'a mut World, org: usize, id: &str) -> Result<&'a mut Value, Reply> {
    find(&mut world.orgs[org].contacts, id).ok_or_else(|| Reply::not_found("Contact", id))
}

/// Adds an activity to the contact's timeline (newest first).
fn record(world: &mut World, contact_id: &str, kind: &str, extra: Value) -> Result<(), Reply> {
    let mut activity = json!({ "id": world.new_id("acv"), "type": kind, "created_at": now() });
    if let (Some(activity), Value::Object(extra)) = (activity.as_object_mut(), extra) {
        activity.extend(extra);
    }
    let activity = conformed::<types::Activity>(activity)?;
    world.activities.entry(contact_id.to_string()).or_default().insert(0, activity);
    Ok(())
}

/// Recounts `contacts_count` of every segment of org `org`.
fn recount_segments(world: &mut World, org: usize) {
    let data = &mut world.orgs[org];
    for segment in &mut data.segments {
        let members = data
            .contacts
            .iter()
            .filter(|c| c["segments"].as_array().is_some_and(|s| s.iter().any(|s| s["id"] == segment["id"])))
            .count();
        segment["contacts_count"] = json!(members as f64);
    }
}

pub(in crate::mock) fn list(world: &World, org: usize, call: &Call<'_>) -> Handled {
    let q = call.query;
    let lower = |v: &Value| v.as_str().unwrap_or_default().to_lowercase();
    let search = q.get("search").map(str::to_lowercase);
    let name = q.get("name").map(str::to_lowercase);
    let unsubscribed = q.flag("unsubscribed")?;
    let exclude_admins = q.flag("exclude_admins")?.unwrap_or(false);
    let status = q.get("status").unwrap_or("ALL");
    if !["ALL", "SUBSCRIBED", "UNSUBSCRIBED", "BLOCKED", "AI_REPLIES_DISABLED"].contains(&status) {
        return Err(Reply::bad_request(
            "status must be one of ALL, SUBSCRIBED, UNSUBSCRIBED, BLOCKED, AI_REPLIES_DISABLED",
        ));
    }
    let channel_has = |c: &Value, field: &str, wanted: &str| {
        c["channels"].as_array().into_iter().flatten().any(|ch| lower(&ch[field]) == wanted.to_lowercase())
    };
    let keep = |c: &&Value| {
        let is_unsubscribed = c["unsubscribed"].as_bool().unwrap_or(false);
        let is_blocked = c["blocked"].as_bool().unwrap_or(false);
        search.as_ref().is_none_or(|s| lower(&c["name"]).contains(s))
            && name.as_ref().is_none_or(|n| lower(&c["name"]) == *n)
            && q.get("email").is_none_or(|e| channel_has(c, "email", e))
            && q.get("user_id").is_none_or(|u| channel_has(c, "user_id", u))
            && q.get("username").is_none_or(|u| channel_has(c, "username", u))
            && q.get("segment_id").is_none_or(|s| c["segments"].as_array().into_iter().flatten().any(|x| x["id"] == s))
            && unsubscribed.is_none_or(|u| u == is_unsubscribed)
            && !(exclude_admins && c["is_admin"].as_bool().unwrap_or(false))
            && match status {
                "SUBSCRIBED" => !is_unsubscribed,
                "UNSUBSCRIBED" => is_unsubscribed,
                "BLOCKED" => is_blocked,
                "AI_REPLIES_DISABLED" => false,
                _ => true,
            }
    };
    page(world.orgs[org].contacts.iter().filter(keep).collect(), q)
}

pub(in crate::mock) fn create(world: &mut World, org: usize, call: &Call<'_>) -> Handled {
    let body = call.body::<types::CreateContactRequest>()?;
    let Some(channel) = body.get("channel").and_then(Value::as_object) else {
        return Err(Reply::bad_request("channel is required"));
    };
    let field = |name: &str| channel.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let (name, email, phone) = (field("name"), field("email"), field("phone"));
    let user_id = [field("user_id"), email.clone(), phone.clone()].into_iter().find(|s| !s.is_empty());
    let Some(user_id) = user_id else {
        return Err(Reply::bad_request("channel needs a user_id, email or phone"));
    };
    let mut segments = Vec::new();
    for id in body["segment_ids"].as_array().into_iter().flatten() {
        let id = id.as_str().unwrap_or_default();
        let segment =
            world.orgs[org].segments.iter().find(|s| s["id"] == id).ok_or_else(|| Reply::not_found("Segment", id))?;
        segments.push(data::nested_segment(segment));
    }
    let at = now();
    let contact_id = world.new_id("ctc");
    let mut channel = data::channel(world.new_id("chn"), "custom", &name, &email, &phone, &at);
    channel["user_id"] = json!(user_id);
    for (key, value) in [("name", &name), ("email", &email), ("phone", &phone)] {
        if value.is_empty() {
            channel.as_object_mut().map(|c| c.remove(key));
        }
    }
    let contact = conformed::<types::Contact>(json!({
        "id": contact_id,
        "name": if name.is_empty() { Value::Null } else { json!(name) },
        "blocked": false,
        "unsubscribed": false,
        "is_admin": false,
        "channels": [channel],
        "segments": segments,
        "created_at": at,
        "updated_at": at,
    }))?;
    world.orgs[org].contacts.insert(0, contact.clone());
    recount_segments(world, org);
    Ok(Reply::ok(contact))
}

pub(in crate::mock) fn update(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateContactRequest>()?;
    if patch.get("name").and_then(Value::as_str).is_some_and(|n| n.chars().count() > 512) {
        return Err(Reply::bad_request("name must be at most 512 characters"));
    }
    let contact = contact_mut(world, org, id)?;
    let mut updated = contact.clone();
    let at = now();
    merge_fields(&mut updated, &patch, &["name", "blocked", "unsubscribed"]);
    let mut changes = Vec::new();
    for (flag, stamp, on, off) in [
        ("blocked", "blocked_at", "contact_blocked", "contact_unblocked"),
        ("unsubscribed", "unsubscribed_at", "contact_unsubscribed", "contact_resubscribed"),
    ] {
        let was = contact[flag].as_bool().unwrap_or(false);
        match patch.get(flag).and_then(Value::as_bool) {
            Some(true) => {
                updated[stamp] = json!(at);
                if !was {
                    changes.push(on);
                }
            }
            Some(false) => {
                updated.as_object_mut().map(|c| c.remove(stamp));
                if was {
                    changes.push(off);
                }
            }
            None => {}
        }
    }
    updated["updated_at"] = json!(at);
    *contact = conformed::<types::Contact>(updated)?;
    let result = contact.clone();
    for kind in changes {
        record(world, id, kind, json!({}))?;
    }
    Ok(Reply::ok(result))
}

/// The keys two contacts are duplicates by: the `user_id` of each of their channels.
fn channel_keys(contact: &Value) -> Vec<String> {
    contact["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["user_id"].as_str().filter(|u| !u.is_empty()).map(str::to_lowercase))
        .collect()
}

/// Groups of contacts sharing a channel (`user_id`), each as (primary, duplicates): the oldest contact
/// is the suggested primary.
fn duplicate_groups(contacts: &[Value]) -> Vec<(usize, Vec<usize>)> {
    let keys: Vec<Vec<String>> = contacts.iter().map(channel_keys).collect();
    let mut group_of: Vec<Option<usize>> = vec![None; contacts.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    // Oldest first (the list is newest first), so the first of a group is its primary.
    for i in (0..contacts.len()).rev() {
        if group_of[i].is_some() {
            continue;
        }
        let mut members = vec![i];
        let mut k = 0;
        while k < members.len() {
            let current = members[k];
            for j in (0..contacts.len()).rev() {
                if group_of[j].is_none()
                    && !members.contains(&j)
                    && keys[current].iter().any(|key| keys[j].contains(key))
                {
                    members.push(j);
                }
            }
            k += 1;
        }
        for &m in &members {
            group_of[m] = Some(groups.len());
        }
        groups.push(members);
    }
    groups.into_iter().filter(|g| g.len() > 1).map(|g| (g[0], g[1..].to_vec())).collect()
}

pub(in crate::mock) fn duplicates(world: &World, org: usize, call: &Call<'_>) -> Handled {
    let contacts = &world.orgs[org].contacts;
    let groups: Vec<Value> = duplicate_groups(contacts)
        .into_iter()
        .map(|(primary, rest)| {
            json!({ "primary": contacts[primary], "duplicates": rest.iter().map(|&i| &contacts[i]).collect::<Vec<_>>() })
        })
        .collect();
    let groups = groups.into_iter().map(conformed::<types::DuplicateContactGroup>).collect::<Result<Vec<_>, _>>()?;
    page(groups.iter().collect(), call.query)
}

pub(in crate::mock) fn merge(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::MergeContactsRequest>()?;
    contact(world, org, id)?;
    let contacts = &world.orgs[org].contacts;
    let sources: Vec<String> = match body["source_contact_ids"].as_array().filter(|ids| !ids.is_empty()) {
        Some(ids) => ids.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        // Left out: every auto-detected duplicate of the primary.
        None => {
            let primary = contacts.iter().position(|c| c["id"] == id);
            let group = duplicate_groups(contacts)
                .into_iter()
                .map(|(first, rest)| std::iter::once(first).chain(rest).collect::<Vec<_>>())
                .find(|members| primary.is_some_and(|p| members.contains(&p)))
                .unwrap_or_default();
            group
                .into_iter()
                .filter_map(|i| contacts[i]["id"].as_str())
                .filter(|s| *s != id)
                .map(str::to_string)
                .collect()
        }
    };
    if sources.iter().any(|s| s == id) {
        return Err(Reply::bad_request("a contact cannot be merged into itself"));
    }
    let mut channels = Vec::new();
    let mut segments = Vec::new();
    for source in &sources {
        let found = contact(world, org, source)?;
        channels.extend(found["channels"].as_array().cloned().unwrap_or_default());
        segments.extend(found["segments"].as_array().cloned().unwrap_or_default());
    }
    world.orgs[org].contacts.retain(|c| !sources.iter().any(|s| c["id"] == s.as_str()));
    for source in &sources {
        let files = world.contact_files.remove(source).unwrap_or_default();
        world.contact_files.entry(id.to_string()).or_default().extend(files);
        let activities = world.activities.remove(source).unwrap_or_default();
        world.activities.entry(id.to_string()).or_default().extend(activities);
    }
    let primary = contact_mut(world, org, id)?;
    let mut updated = primary.clone();
    for (field, extra) in [("channels", channels), ("segments", segments)] {
        let list = updated[field].as_array_mut();
        if let Some(list) = list {
            for item in extra {
                if !list.iter().any(|x| x["id"] == item["id"]) {
                    list.push(item);
                }
            }
        }
    }
    updated["updated_at"] = json!(now());
    *primary = conformed::<types::Contact>(updated)?;
    let merged = primary.clone();
    recount_segments(world, org);
    let response = json!({ "merged": merged, "merged_contact_ids": sources });
    Ok(Reply::ok(conformed::<types::MergeContactsResponse>(response)?))
}

pub(in crate::mock) fn segments(world: &World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let found = contact(world, org, id)?;
    let ids: Vec<&Value> = found["segments"].as_array().into_iter().flatten().map(|s| &s["id"]).collect();
    page(world.orgs[org].segments.iter().filter(|s| ids.contains(&&s["id"])).collect(), call.query)
}

pub(in crate::mock) fn add_segment(world: &mut World, org: usize, id: &str, segment_id: &str) -> Handled {
    let segment = world.orgs[org]
        .segments
        .iter()
        .find(|s| s["id"] == segment_id)
        .cloned()
        .ok_or_else(|| Reply::not_found("Segment", segment_id))?;
    let contact = contact_mut(world, org, id)?;
    let already = contact["segments"].as_array().is_some_and(|s| s.iter().any(|s| s["id"] == segment_id));
    if !already {
        let mut updated = contact.clone();
        match updated["segments"].as_array_mut() {
            Some(list) => list.push(data::nested_segment(&segment)),
            None => updated["segments"] = json!([data::nested_segment(&segment)]),
        }
        updated["updated_at"] = json!(now());
        *contact = conformed::<types::Contact>(updated)?;
    }
    let result = contact.clone();
    if !already {
        recount_segments(world, org);
        record(world, id, "segment_added", json!({ "segment": segment }))?;
    }
    Ok(Reply::ok(result))
}

/// Notes: the API can only list them, and the mock seeds none.
pub(in crate::mock) fn notes(world: &World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    contact(world, org, id)?;
    page(Vec::new(), call.query)
}

pub(in crate::mock) fn activities(world: &World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    contact(world, org, id)?;
    let kind = call.query.get("type");
    let all = world.activities.get(id).into_iter().flatten();
    page(all.filter(|a| kind.is_none_or(|k| a["type"] == k)).collect(), call.query)
}

pub(in crate::mock) fn files(world: &World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    contact(world, org, id)?;
    let all = world.contact_files.get(id).into_iter().flatten();
    page(all.filter(|f| chats::file_matches(f, call)).collect(), call.query)
}

/// Stores a `ContactFile` (source `direct`): from `file_url`, or a `file` object's `name`, `type` and
/// base64 `data`. Nothing is fetched or decoded beyond the size.
pub(in crate::mock) fn upload_file(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let body = call.body::<types::UploadContactFileRequest>()?;
    contact(world, org, id)?;
    let (name, mime, size) = match (body.get("file_url").and_then(Value::as_str), body.get("file")) {
        (Some(url), _) => {
            let parsed = url::Url::parse(url).map_err(|e| Reply::bad_request(format!("file_url is not a URL: {e}")))?;
            let name = parsed.path_segments().and_then(|mut s| s.next_back()).filter(|s| !s.is_empty());
            let name = name.unwrap_or("file").to_string();
            (name.clone(), mime_of(&name).to_string(), 0.0)
        }
        (None, Some(Value::Object(file))) => {
            let name = file.get("name").and_then(Value::as_str).unwrap_or("file").to_string();
            let mime =
                file.get("type").and_then(Value::as_str).map_or_else(|| mime_of(&name).to_string(), str::to_string);
            let data = file.get("data").and_then(Value::as_str).unwrap_or_default();
            (name, mime, (data.trim_end_matches('=').len() * 3 / 4) as f64)
        }
        (None, Some(Value::String(data))) => (
            "file".to_string(),
            "application/octet-stream".to_string(),
            (data.trim_end_matches('=').len() * 3 / 4) as f64,
        ),
        _ => return Err(Reply::bad_request("a file or a file_url is required")),
    };
    let allowed = body["allowed_types"].as_array().cloned().unwrap_or_default();
    let fits = |pattern: &str| match pattern.strip_suffix('*') {
        Some(prefix) => mime.starts_with(prefix),
        None => mime == pattern,
    };
    if !allowed.is_empty() && !allowed.iter().filter_map(Value::as_str).any(fits) {
        return Err(Reply::bad_request(format!("file type {mime} is not allowed")));
    }
    let file_id = world.new_id("fil");
    let path = format!("contacts/{id}/{file_id}/{name}");
    let file = conformed::<types::ContactFile>(json!({
        "id": file_id,
        "file_path": path,
        "file_filename": name,
        "file_size": size,
        "file_mimetype": mime,
        "file_url": format!("https://files.mock.invent.invalid/{path}"),
        "created_at": now(),
        "source": "direct",
        "user": null,
    }))?;
    world.contact_files.entry(id.to_string()).or_default().insert(0, file.clone());
    let plain: Map<String, Value> = file.as_object().cloned().unwrap_or_default();
    let as_file: Map<String, Value> = plain.into_iter().filter(|(k, _)| k != "source" && k != "user").collect();
    record(world, id, "file_uploaded", json!({ "file": as_file }))?;
    Ok(Reply::ok(file))
}

fn mime_of(name: &str) -> &'static str {
    match name.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    }
}

/// Only a contact's custom channels can be changed through the API.
pub(in crate::mock) fn update_channel(
    world: &mut World,
    org: usize,
    id: &str,
    channel_id: &str,
    call: &Call<'_>,
) -> Handled {
    let patch = call.patch::<types::UpdateContactChannelRequest>()?;
    let contact = contact_mut(world, org, id)?;
    let mut updated = contact.clone();
    let channel = updated["channels"]
        .as_array_mut()
        .and_then(|list| find(list, channel_id))
        .ok_or_else(|| Reply::not_found("Channel", channel_id))?;
    if channel["type"] != "custom" {
        return Err(Reply::bad_request("only custom channels can be updated"));
    }
    for field in ["avatar", "name", "phone", "username", "email"] {
        match patch.get(field) {
            // `avatar` is nullable in a channel; the other fields are left out instead of null.
            Some(Value::Null) if field != "avatar" => {
                channel.as_object_mut().map(|c| c.remove(field));
            }
            Some(value) => channel[field] = value.clone(),
            None => {}
        }
    }
    channel["updated_at"] = json!(now());
    let result = conformed::<types::ContactChannel>(channel.clone())?;
    *contact = conformed::<types::Contact>(updated)?;
    Ok(Reply::ok(result))
}

/// The contact's custom channel `channel_id`, or a 404 / 400.
fn custom_channel(contact: &Value, channel_id: &str) -> Result<Value, Reply> {
    let channels = contact["channels"].as_array().cloned().unwrap_or_default();
    let channel =
        channels.into_iter().find(|c| c["id"] == channel_id).ok_or_else(|| Reply::not_found("Channel", channel_id))?;
    if channel["type"] != "custom" {
        return Err(Reply::bad_request("only custom channels can do this"));
    }
    Ok(channel)
}

/// The chat member standing for `contact` on `channel`.
fn contact_member(world: &mut World, contact: &Value, channel: &Value) -> Value {
    json!({
        "id": world.new_id("mbr"),
        "contact_channel": {
            "id": channel["id"],
            "type": "custom",
            "user_id": channel["user_id"],
            "name": channel["name"],
            "contact": { "id": contact["id"], "name": contact["name"], "blocked": contact["blocked"], "is_admin": false },
        },
    })
}

pub(in crate::mock) fn create_channel_chat(
    world: &mut World,
    org: usize,
    contact_id: &str,
    channel_id: &str,
    call: &Call<'_>,
) -> Handled {
    let body = call.body::<types::CreateContactChannelChatRequest>()?;
    let found = contact(world, org, contact_id)?.clone();
    let channel = custom_channel(&found, channel_id)?;
    let handler = match body.get("assistant_id").and_then(Value::as_str) {
        Some(id) => Some(assistants::assistant(world, org, id)?.clone()),
        None => None,
    };
    let at = now();
    let id = world.new_id("cht");
    let title = body["title"].as_str().unwrap_or("New chat").to_string();
    let org_id = world.orgs[org].id.clone();
    let mut chat = data::chat(&id, &title, &org_id, "custom", &at, handler.as_ref());
    // The contact channel is the only member (the admin is not).
    chat["members"] = json!([contact_member(world, &found, &channel)]);
    let chat = conformed::<types::Chat>(chat)?;
    let mut messages = Vec::new();
    if let Some(parts) = body["message"].as_array().filter(|p| !p.is_empty()) {
        let first = json!({
            "id": world.new_id("msg"),
            "role": "user",
            "status": "COMPLETED",
            "created_at": at,
            "updated_at": at,
            "member": chat["members"][0],
            "messages": [{ "role": "user", "parts": parts }],
        });
        messages.push(conformed::<types::ChatMessage>(first)?);
    }
    world.messages.insert(id.clone(), messages);
    world.chat_org.insert(id, org);
    world.orgs[org].chats.insert(0, chat.clone());
    Ok(Reply::ok(chat.clone()).event(MockEvent::ChatCreated { org_id, chat }))
}

/// The chat member of `contact_id` in chat `chat_id` (org `org`), on `channel_id` when given: the
/// contact must be in the chat through a custom channel.
fn member_in_chat(
    world: &World,
    org: usize,
    contact_id: &str,
    channel_id: Option<&str>,
    chat_id: &str,
) -> Result<Value, Reply> {
    let found = contact(world, org, contact_id)?;
    if let Some(channel_id) = channel_id {
        custom_channel(found, channel_id)?;
    }
    if world.org_of_chat(chat_id) != Some(org) {
        return Err(Reply::not_found("Chat", chat_id));
    }
    let chat =
        world.orgs[org].chats.iter().find(|c| c["id"] == chat_id).ok_or_else(|| Reply::not_found("Chat", chat_id))?;
    let member = chat["members"].as_array().into_iter().flatten().find(|m| {
        let channel = &m["contact_channel"];
        channel["contact"]["id"] == contact_id && channel_id.is_none_or(|id| channel["id"] == id)
    });
    let member = member
        .ok_or_else(|| Reply::bad_request(format!("contact {contact_id} is not in chat {chat_id} on that channel")))?;
    if member["contact_channel"]["type"] != "custom" {
        return Err(Reply::bad_request("only custom channels can do this"));
    }
    Ok(member.clone())
}

/// A message authored as the contact (the assistant answers when the chat's AI is on); answers with
/// the contact's message.
pub(in crate::mock) fn send_as_contact(
    world: &mut World,
    org: usize,
    contact_id: &str,
    channel_in_path: Option<&str>,
    chat_id: &str,
    call: &Call<'_>,
) -> Handled {
    let (body, required) = match channel_in_path {
        Some(_) => (call.body::<types::CreateContactChannelChatMessageRequest>()?, true),
        None => (call.body::<types::CreateContactChatMessageRequest>()?, false),
    };
    let parts = parts(&body, required)?;
    if parts.is_empty() {
        return Err(Reply::bad_request("message must contain at least 1 element"));
    }
    let channel_id = channel_in_path.or(body["channel_id"].as_str());
    let member = member_in_chat(world, org, contact_id, channel_id, chat_id)?;
    let (message, _) = chats::converse(world, chat_id, parts, Some(member))?;
    let org_id = world.orgs[org].id.clone();
    let chat = world.chat_mut(chat_id).map(|c| c.clone()).unwrap_or_default();
    Ok(Reply::ok(message).event(MockEvent::ChatChanged { org_id, chat }))
}

/// A decision on a pending approval, recorded as the contact.
#[allow(clippy::too_many_arguments)]
pub(in crate::mock) fn decide_as_contact(
    world: &mut World,
    org: usize,
    contact_id: &str,
    channel_id: &str,
    chat_id: &str,
    message_id: &str,
    tool_call: &str,
    call: &Call<'_>,
) -> Handled {
    let member = member_in_chat(world, org, contact_id, Some(channel_id), chat_id)?;
    chats::decide(world, chat_id, message_id, tool_call, call, Some(member))
}
