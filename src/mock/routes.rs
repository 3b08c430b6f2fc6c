//! The mock Invent's routing table: a request's method and path segments to the handler of its
//! operation (every operation of the spec has one; see the test at the bottom).

use super::data::World;
use super::handlers::{assistants, chats, contacts, segments, sub_orgs};
use super::reply::{page, Call, Handled, Reply};

/// Routes one authorized request; an unknown route is a 404 naming it (NestJS's wording).
pub(super) fn route(world: &mut World, call: &Call<'_>, segments: &[&str]) -> Handled {
    let unknown = || Reply::error(404, format!("Cannot {} /{}", call.method, segments.join("/")));
    match segments {
        ["orgs", org, rest @ ..] => {
            let org = world.resolve_org(org).ok_or_else(|| Reply::not_found("Org", org))?;
            org_route(world, org, call, rest).unwrap_or_else(|| Err(unknown()))
        }
        ["chats", chat, rest @ ..] => chat_route(world, chat, call, rest).unwrap_or_else(|| Err(unknown())),
        _ => Err(unknown()),
    }
}

/// Routes under `/orgs/{org}`; `None` for an unknown route.
fn org_route(world: &mut World, org: usize, call: &Call<'_>, rest: &[&str]) -> Option<Handled> {
    let q = call.query;
    let handled = match (call.method, rest) {
        ("GET", ["assistants"]) => page(world.orgs[org].assistants.iter().collect(), q),
        ("POST", ["assistants"]) => assistants::create(world, org, call),
        ("GET", ["assistants", id]) => assistants::get(world, org, id),
        ("PATCH", ["assistants", id]) => assistants::update(world, org, id, call),
        ("GET", ["assistants", id, "actions"]) => assistants::list_actions(world, org, id, call),
        ("POST", ["assistants", id, "actions"]) => assistants::create_action(world, org, id, call),
        // Before `actions/{action_id}`: `reorder` is a fixed segment.
        ("PATCH", ["assistants", id, "actions", "reorder"]) => assistants::reorder_actions(world, org, id, call),
        ("GET", ["assistants", id, "actions", action]) => assistants::get_action(world, org, id, action),
        ("PATCH", ["assistants", id, "actions", action]) => assistants::update_action(world, org, id, action, call),
        ("POST", ["assistants", id, "chats"]) => assistants::create_chat(world, org, id, call),

        ("GET", ["contacts"]) => contacts::list(world, org, call),
        ("POST", ["contacts"]) => contacts::create(world, org, call),
        ("GET", ["contacts", "duplicates"]) => contacts::duplicates(world, org, call),
        ("GET", ["contacts", "fields"]) => page(world.orgs[org].contact_fields.iter().collect(), q),
        ("PATCH", ["contacts", id]) => contacts::update(world, org, id, call),
        ("POST", ["contacts", id, "merge"]) => contacts::merge(world, org, id, call),
        ("GET", ["contacts", id, "segments"]) => contacts::segments(world, org, id, call),
        ("POST", ["contacts", id, "segments", segment]) => contacts::add_segment(world, org, id, segment),
        ("GET", ["contacts", id, "notes"]) => contacts::notes(world, org, id, call),
        ("GET", ["contacts", id, "activities"]) => contacts::activities(world, org, id, call),
        ("GET", ["contacts", id, "files"]) => contacts::files(world, org, id, call),
        ("POST", ["contacts", id, "files"]) => contacts::upload_file(world, org, id, call),
        ("PATCH", ["contacts", id, "channels", channel]) => contacts::update_channel(world, org, id, channel, call),
        ("POST", ["contacts", id, "channels", channel, "chats"]) => {
            contacts::create_channel_chat(world, org, id, channel, call)
        }
        ("POST", ["contacts", id, "chats", chat, "messages"]) => {
            contacts::send_as_contact(world, org, id, None, chat, call)
        }
        ("POST", ["contacts", id, "channels", channel, "chats", chat, "messages"]) => {
            contacts::send_as_contact(world, org, id, Some(channel), chat, call)
        }
        ("POST", ["contacts", id, "channels", channel, "chats", chat, "messages", message, "approvals", tool_call]) => {
            contacts::decide_as_contact(world, org, id, channel, chat, message, tool_call, call)
        }

        ("GET", ["segments"]) => segments::list(world, org, call),
        ("PATCH", ["segments", id]) => segments::update(world, org, id, call),
        ("GET", ["connections"]) => page(world.orgs[org].connections.iter().collect(), q),

        ("GET", ["chats"]) => page(world.orgs[org].chats.iter().collect(), q),
        ("GET", ["inbox"]) => chats::inbox(world, org, call),
        // The admission check of a WebSocket upgrade (see `super::events`): auth and org passed.
        ("GET", ["chats" | "inbox", "ws"]) => chats::admit_socket(world, org),

        ("GET", ["orgs"]) => {
            let subs = &world.orgs[org].sub_orgs;
            page(subs.iter().map(|&i| &world.orgs[i].summary).collect(), q)
        }
        ("POST", ["orgs"]) => sub_orgs::create(world, org, call),
        ("PATCH", ["orgs", id]) => sub_orgs::update(world, org, id, call),
        ("POST", ["orgs", id, "join"]) => sub_orgs::join(world, org, id, call),
        ("POST", ["orgs", id, "transfer"]) => sub_orgs::transfer(world, org, id, call),
        _ => return None,
    };
    Some(handled)
}

/// Routes under `/chats/{chat}`; `None` for an unknown route, a 404 for an unknown chat.
fn chat_route(world: &mut World, chat: &str, call: &Call<'_>, rest: &[&str]) -> Option<Handled> {
    let known = matches!(
        (call.method, rest),
        ("PATCH", [])
            | ("GET" | "POST", ["messages"])
            | ("GET" | "PATCH" | "DELETE", ["messages", _])
            | ("POST", ["messages", _, "approvals", _])
            | ("GET", ["files"])
            | ("GET" | "DELETE", ["memories"])
            | ("DELETE", ["memories", _])
            | ("PATCH", ["state"])
            | ("GET", ["state", "info"])
            | ("PATCH", ["state", "assign"])
    );
    if !known {
        return None;
    }
    if world.org_of_chat(chat).is_none() {
        return Some(Err(Reply::not_found("Chat", chat)));
    }
    let handled = match (call.method, rest) {
        ("PATCH", []) => chats::update(world, chat, call),
        ("GET", ["messages"]) => chats::list_messages(world, chat, call),
        ("POST", ["messages"]) => chats::create_message(world, chat, call),
        ("GET", ["messages", id]) => chats::get_message(world, chat, id),
        ("PATCH", ["messages", id]) => chats::edit_message(world, chat, id, call),
        ("DELETE", ["messages", id]) => chats::delete_message(world, chat, id),
        ("POST", ["messages", id, "approvals", tool_call]) => chats::decide(world, chat, id, tool_call, call, None),
        ("GET", ["files"]) => chats::files(world, chat, call),
        ("GET", ["memories"]) => page(world.memories.get(chat).into_iter().flatten().collect(), call.query),
        ("DELETE", ["memories"]) => chats::clear_memories(world, chat),
        ("DELETE", ["memories", id]) => chats::delete_memory(world, chat, id),
        ("PATCH", ["state"]) => chats::update_state(world, chat, call),
        ("GET", ["state", "info"]) => chats::state_info(world, chat),
        ("PATCH", ["state", "assign"]) => chats::assign(world, chat, call),
        _ => return None,
    };
    Some(handled)
}

#[cfg(test)]
mod tests {
    use super::super::data::Seed;
    use super::super::reply::Query;
    use super::*;

    /// Every operation of the spec (the WebSocket routes included) reaches a handler: with the seeded
    /// world's real ids, nothing answers the unknown-route 404.
    #[test]
    fn every_operation_has_a_route() {
        let mut world = World::seeded(&Seed::default());
        let org = &world.orgs[0];
        let contact = &org.contacts[0];
        let chat = org.chats[0]["id"].as_str().unwrap_or_default().to_string();
        let ids = [
            ("org_id", "c".to_string()),
            ("assistant_id", org.assistants[0]["id"].as_str().unwrap_or_default().to_string()),
            ("action_id", "aac_x".to_string()),
            ("contact_id", contact["id"].as_str().unwrap_or_default().to_string()),
            ("channel_id", contact["channels"][0]["id"].as_str().unwrap_or_default().to_string()),
            ("segment_id", org.segments[0]["id"].as_str().unwrap_or_default().to_string()),
            ("chat_id", chat.clone()),
            ("message_id", "msg_x".to_string()),
            ("tool_call_id", "call_x".to_string()),
            ("memory_id", "mem_x".to_string()),
            ("sub_org_id", world.orgs[1].id.clone()),
        ];
        let query = Query(Vec::new());
        let mut routed = 0;
        for op in crate::operations() {
            let mut path = op.template.to_string();
            for (name, value) in &ids {
                path = path.replace(&format!("{{{name}}}"), value);
            }
            assert!(!path.contains('{'), "{}: a path parameter without a test id: {path}", op.id);
            let call = Call { method: op.method.as_str(), query: &query, body: b"{}" };
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let reply = route(&mut world, &call, &segments).unwrap_or_else(|reply| reply);
            let message = reply.body["message"].as_str().unwrap_or_default();
            assert!(!message.starts_with("Cannot "), "{} ({} {path}) is not routed: {message}", op.id, op.method);
            routed += 1;
        }
        assert_eq!(routed, crate::operations().len());
        assert_eq!(routed, 53, "51 REST operations and 2 WebSocket routes");
    }
}
