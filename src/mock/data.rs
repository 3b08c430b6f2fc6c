//! The mock Invent's data: a deterministic, spec-shaped world of orgs, assistants, contacts, segments,
//! chats and messages.
//!
//! Every object is written as JSON and then passed through its generated type ([`conform`]), so what the
//! mock serves is exactly what `types::*` reads and writes. A seed that drifts from the spec fails the
//! unit tests at the bottom of this file (and would panic at start-up naming the type).
//!
//! Ids follow Invent's documented format (a prefix and 22 base62 characters, e.g.
//! `ast_3KBrzrQtmz96OiN97iIztc`). Only the `org_`, `ast_` and `con_` prefixes are documented; the mock
//! uses `ctc_` (contacts), `seg_`, `cht_` (chats), `msg_`, `ain_` (assistant integrations), `chn_`
//! (contact channels), `mbr_` (members), `mem_` (memories), `fld_` (contact fields), `aac_` (assistant
//! actions), `fil_` (files), `acv_` (activities) and `call_` (tool calls) for the rest.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use crate::types;

/// 2025-01-01T00:00:00Z: seed timestamps count from here so every run serves the same data.
const EPOCH: i64 = 1_735_689_600;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// How much data to seed. Org 0 is the key's own (parent) org; each sub-org gets its own, smaller set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// Assistants of the parent org.
    pub assistants: usize,
    /// Contacts of the parent org.
    pub contacts: usize,
    /// Chats of the parent org (each with a user message and an assistant reply).
    pub chats: usize,
    /// Sub-orgs of the parent org.
    pub sub_orgs: usize,
    /// Assistants of each sub-org.
    pub sub_org_assistants: usize,
    /// Contacts of each sub-org.
    pub sub_org_contacts: usize,
    /// Chats of each sub-org.
    pub sub_org_chats: usize,
}

impl Default for Seed {
    fn default() -> Self {
        Seed {
            assistants: 25,
            contacts: 12,
            chats: 3,
            sub_orgs: 2,
            sub_org_assistants: 3,
            sub_org_contacts: 4,
            sub_org_chats: 1,
        }
    }
}

/// Deserializes `value` into the generated type `T` and serializes it back: the result is exactly what
/// the client would read and write. `Err` names the type and the mismatch.
pub fn conform<T: DeserializeOwned + Serialize>(value: Value) -> Result<Value, String> {
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("?");
    let typed: T = serde_json::from_value(value).map_err(|e| format!("not a valid {name}: {e}"))?;
    serde_json::to_value(typed).map_err(|e| format!("{name} does not serialize: {e}"))
}

/// [`conform`] for data the mock itself builds: a failure is a bug in this file, caught by its tests.
fn seeded<T: DeserializeOwned + Serialize>(value: Value) -> Value {
    match conform::<T>(value) {
        Ok(value) => value,
        Err(e) => panic!("mock Invent seed data no longer matches the spec: {e}"),
    }
}

/// `prefix_` + 22 base62 characters, derived from `(stream, n)` by SplitMix64.
pub fn make_id(prefix: &str, stream: u64, n: u64) -> String {
    fn mix(z: u64) -> u64 {
        let z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let mut state = mix(stream.wrapping_mul(0x0100_0000_01B3) ^ mix(n));
    let mut id = String::with_capacity(prefix.len() + 23);
    id.push_str(prefix);
    id.push('_');
    for _ in 0..22 {
        state = mix(state);
        id.push(ALPHABET[(state % 62) as usize] as char);
    }
    id
}

/// RFC 3339 in UTC with millisecond precision, as Invent writes timestamps.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A seed timestamp `hours` after [`EPOCH`].
fn seed_time(hours: i64) -> String {
    timestamp(DateTime::from_timestamp(EPOCH + hours * 3600, 0).unwrap_or_default())
}

const ORG_NAMES: [&str; 6] = [
    "Northwind Dental",
    "Blue Harbor Realty",
    "Pine Street Bakery",
    "Summit Fitness",
    "Lakeside Vet Clinic",
    "Atlas Logistics",
];
const ASSISTANT_ROLES: [&str; 10] =
    ["Support", "Sales", "Booking", "Onboarding", "Billing", "FAQ", "Returns", "Appointments", "Feedback", "Concierge"];
const FIRST_NAMES: [&str; 12] =
    ["Ada", "Grace", "Alan", "Marie", "Nikola", "Rosalind", "Linus", "Hedy", "Katherine", "Tim", "Barbara", "Dennis"];
const LAST_NAMES: [&str; 12] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Curie",
    "Tesla",
    "Franklin",
    "Torvalds",
    "Lamarr",
    "Johnson",
    "Berners-Lee",
    "Liskov",
    "Ritchie",
];
const SEGMENTS: [(&str, &str); 3] = [("VIP", "amber"), ("Newsletter", "blue"), ("Leads", "green")];
const CHAT_TOPICS: [(&str, &str); 5] = [
    ("Opening hours", "Are you open on Saturday?"),
    ("Order status", "Where is my order #1042?"),
    ("Refund request", "I'd like a refund for my last purchase."),
    ("Booking a demo", "Can I book a demo for next week?"),
    ("Pricing question", "How much is the business plan?"),
];
/// The model the mock's assistants answer with.
pub const MODEL: &str = "gpt-4o-mini";

/// One org and everything in it. Lists are kept newest first, as they are served.
#[derive(Debug, Clone)]
pub struct OrgData {
    /// The org id (`org_…`).
    pub id: String,
    /// The org's name.
    pub name: String,
    /// The org as a `SubOrganization` (what its parent's `GET /orgs/c/orgs` lists).
    pub summary: Value,
    /// `Assistant` objects.
    pub assistants: Vec<Value>,
    /// `Contact` objects.
    pub contacts: Vec<Value>,
    /// `Segment` objects.
    pub segments: Vec<Value>,
    /// `Chat` objects.
    pub chats: Vec<Value>,
    /// `Connection` objects (integrations; the API only lists them).
    pub connections: Vec<Value>,
    /// `ContactField` objects (the API only lists them).
    pub contact_fields: Vec<Value>,
    /// Indexes of this org's sub-orgs in [`World::orgs`].
    pub sub_orgs: Vec<usize>,
    /// Assistants created through the API (Invent allows 10 per hour per org).
    pub assistants_created: usize,
}

/// Everything the mock server knows.
#[derive(Debug, Clone)]
pub struct World {
    /// `orgs[0]` is the org the API key belongs to (`c`); the rest are its sub-orgs.
    pub orgs: Vec<OrgData>,
    /// Messages of each chat, oldest first.
    pub messages: HashMap<String, Vec<Value>>,
    /// Which org (index in `orgs`) each chat belongs to.
    pub chat_org: HashMap<String, usize>,
    /// `Memory` objects of each chat, newest first.
    pub memories: HashMap<String, Vec<Value>>,
    /// `ContactFile` objects of each contact, newest first.
    pub contact_files: HashMap<String, Vec<Value>>,
    /// `Activity` objects of each contact, newest first.
    pub activities: HashMap<String, Vec<Value>>,
    next_id: u64,
}

impl World {
    /// The deterministic world `seed` describes.
    pub fn seeded(seed: &Seed) -> World {
        let mut world = World {
            orgs: Vec::new(),
            messages: HashMap::new(),
            chat_org: HashMap::new(),
            memories: HashMap::new(),
            contact_files: HashMap::new(),
            activities: HashMap::new(),
            next_id: 0,
        };
        let parent = world.seed_org(0, "Acme Agency", seed.assistants, seed.contacts, seed.chats);
        world.orgs.push(parent);
        for i in 0..seed.sub_orgs {
            let name = match ORG_NAMES.get(i) {
                Some(name) => name.to_string(),
                None => format!("Client Org {}", i + 1),
            };
            let org = world.seed_org(i + 1, &name, seed.sub_org_assistants, seed.sub_org_contacts, seed.sub_org_chats);
            world.orgs.push(org);
            world.orgs[0].sub_orgs.push(i + 1);
        }
        world
    }

    /// A fresh id for an object created through the API.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        make_id(prefix, u64::MAX, self.next_id)
    }

    /// The org (index in [`World::orgs`]) chat `chat_id` belongs to.
    pub fn org_of_chat(&self, chat_id: &str) -> Option<usize> {
        self.chat_org.get(chat_id).copied()
    }

    /// Chat `chat_id` as stored in its org's list.
    pub fn chat_mut(&mut self, chat_id: &str) -> Option<&mut Value> {
        let org = self.org_of_chat(chat_id)?;
        self.orgs.get_mut(org)?.chats.iter_mut().find(|c| c["id"] == chat_id)
    }

    /// The org a path segment names: `c` is `orgs[0]`, otherwise a real org id.
    pub fn resolve_org(&self, segment: &str) -> Option<usize> {
        if segment == crate::CURRENT_ORG {
            return Some(0);
        }
        self.orgs.iter().position(|org| org.id == segment)
    }

    fn seed_org(&mut self, index: usize, name: &str, assistants: usize, contacts: usize, chats: usize) -> OrgData {
        let stream = |kind: u64| (index as u64) << 8 | kind;
        let org_id = make_id("org", stream(0), 0);
        // Newest first: item 0 was created last.
        let hours = |i: usize, total: usize| (index * 1000 + (total - i) * 3) as i64;

        let segments: Vec<Value> = SEGMENTS
            .iter()
            .enumerate()
            .map(|(i, (name, color))| {
                seeded::<types::Segment>(json!({
                    "id": make_id("seg", stream(1), i as u64),
                    "name": name,
                    "color": color,
                    "contacts_count": 0,
                    "boards": [],
                    "created_at": seed_time(hours(i, 3)),
                    "updated_at": seed_time(hours(i, 3)),
                }))
            })
            .collect();

        let assistants: Vec<Value> = (0..assistants)
            .map(|i| {
                let id = make_id("ast", stream(2), i as u64);
                // Sub-orgs start further down the list, so their assistants differ from the parent's.
                let role = ASSISTANT_ROLES[(i + index * 3) % ASSISTANT_ROLES.len()];
                let name = match i / ASSISTANT_ROLES.len() {
                    0 => format!("{role} Assistant"),
                    n => format!("{role} Assistant {}", n + 1),
                };
                let at = seed_time(hours(i, assistants));
                seeded::<types::Assistant>(json!({
                    "id": id,
                    "name": name,
                    "enabled": i % 5 != 4,
                    "deleted": false,
                    "secret_key": null,
                    "avatar_url": null,
                    "config": assistant_config(role),
                    "integrations": [{
                        "id": make_id("ain", stream(3), i as u64),
                        "enabled": true,
                        "integration_id": "internal",
                        "assistant_id": id,
                        "config": {},
                        "created_at": at,
                        "updated_at": at,
                    }],
                    "actions": [],
                    "boards": [],
                    "created_at": at,
                    "updated_at": at,
                }))
            })
            .collect();

        let mut contact_list = Vec::with_capacity(contacts);
        for i in 0..contacts {
            let first = FIRST_NAMES[(i + index) % FIRST_NAMES.len()];
            let last = LAST_NAMES[(i * 5 + index * 7) % LAST_NAMES.len()];
            let at = seed_time(hours(i, contacts));
            let mut member_of = Vec::new();
            if i % 3 == 0 {
                member_of.push(nested_segment(&segments[0]));
            }
            if i % 2 == 0 {
                member_of.push(nested_segment(&segments[1]));
            }
            let unsubscribed = i % 7 == 6;
            let mut contact = json!({
                "id": make_id("ctc", stream(4), i as u64),
                "name": format!("{first} {last}"),
                "blocked": false,
                "unsubscribed": unsubscribed,
                "is_admin": false,
                "channels": [channel(
                    make_id("chn", stream(5), i as u64),
                    if i % 2 == 0 { "whatsapp_bot" } else { "email" },
                    &format!("{first} {last}"),
                    &format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase().replace('-', "")),
                    &format!("+1555{:03}{:04}", index, i),
                    &at,
                )],
                "segments": member_of,
                "created_at": at,
                "updated_at": at,
            });
            if unsubscribed {
                contact["unsubscribed_at"] = json!(at);
            }
            contact_list.push(seeded::<types::Contact>(contact));
        }
        let mut segments = segments;
        for segment in &mut segments {
            let id = segment["id"].clone();
            let members = contact_list
                .iter()
                .filter(|c| c["segments"].as_array().is_some_and(|s| s.iter().any(|s| s["id"] == id)))
                .count();
            segment["contacts_count"] = json!(members as f64);
            *segment = seeded::<types::Segment>(segment.take());
        }

        let mut chat_list = Vec::with_capacity(chats);
        for i in 0..chats {
            let chat_id = make_id("cht", stream(6), i as u64);
            let (title, question) = CHAT_TOPICS[(i + index) % CHAT_TOPICS.len()];
            let at = seed_time(hours(i, chats));
            let assistant = assistants.get(i % assistants.len().max(1));
            let chat = chat(&chat_id, title, &org_id, "internal", &at, assistant);
            let question_message = message(make_id("msg", stream(7), 2 * i as u64), "user", question, None, &at);
            let reply_text = format!(
                "Thanks for asking about {}! Someone from {name} will follow up shortly.",
                title.to_lowercase()
            );
            let reply =
                message(make_id("msg", stream(7), 2 * i as u64 + 1), "assistant", &reply_text, Some(MODEL), &at);
            self.messages.insert(chat_id.clone(), vec![question_message, reply]);
            // Invent summarizes a conversation every 10 messages; seeded chats start with one summary.
            let memory = seeded::<types::Memory>(json!({
                "id": make_id("mem", stream(9), i as u64),
                "chat_id": chat_id,
                "summary": format!("The contact asked about {}.", title.to_lowercase()),
                "key_points": [question],
                "message_count": 2,
                "summarized_at": at,
                "created_at": at,
            }));
            self.memories.insert(chat_id.clone(), vec![memory]);
            self.chat_org.insert(chat_id, index);
            chat_list.push(seeded::<types::Chat>(chat));
        }

        let created = seed_time(index as i64 * 1000);
        let summary = seeded::<types::SubOrganization>(json!({
            "id": org_id,
            "name": name,
            "plan": if index % 2 == 1 { "business" } else { "free" },
            "balance": 25.0 + index as f64 * 12.5,
            "promo_balance": 0.0,
            "billing": { "use_parent_balance": true, "auto_recharge": { "enabled": false } },
            "members": [{
                "id": make_id("mbr", stream(8), 0),
                "name": "Morgan Admin",
                "email": "admin@acme-agency.example",
                "role": "ADMIN",
                "status": "ACTIVE",
                "org_id": org_id,
                "created_at": created,
            }],
            "spending_cap_used": 0.0,
            "created_at": created,
            "features": { "enterprise": false, "allow_overdraft": false, "workflows": true, "broadcasts": true },
            "config": { "modules": { "enable_inbox": true, "enable_assistants": true } },
        }));

        let connections = vec![seeded::<types::Connection>(json!({
            "id": make_id("con", stream(10), 0),
            "type": "WHATSAPP",
            "name": format!("{name} WhatsApp"),
            "external_name": null,
            "external_id": null,
            "status": "ACTIVE",
            "status_error": null,
            "config": {},
            "created_at": created,
            "updated_at": created,
        }))];

        OrgData {
            id: org_id,
            name: name.to_string(),
            summary,
            assistants,
            contacts: contact_list,
            segments,
            chats: chat_list,
            connections,
            contact_fields: contact_fields(stream(11), &created),
            sub_orgs: Vec::new(),
            assistants_created: 0,
        }
    }
}

fn assistant_config(role: &str) -> Value {
    json!({
        "language": "auto",
        "model": MODEL,
        "knowledge_scope": "all",
        "timezone": "UTC",
        "instructions": format!("You are the {} assistant. Be brief and friendly.", role.to_lowercase()),
        "conversation": { "thread_mode": "new", "enable_memories": true, "enable_transfer_to_human_tool": true },
    })
}

/// The system fields every org's contacts have (`ContactField` objects).
fn contact_fields(stream: u64, at: &str) -> Vec<Value> {
    [("name", "Name", "string"), ("email", "Email", "string"), ("phone", "Phone", "string")]
        .iter()
        .enumerate()
        .map(|(i, (key, label, kind))| {
            seeded::<types::ContactField>(json!({
                "id": make_id("fld", stream, i as u64),
                "table_id": "contacts",
                "key": key,
                "type": kind,
                "schema": { "type": kind, "name": label, "optional": true, "order": i as f64 },
                "created_at": at,
            }))
        })
        .collect()
}

/// A segment as it appears inside a contact (no `boards`, no count).
pub fn nested_segment(segment: &Value) -> Value {
    json!({
        "id": segment["id"],
        "name": segment["name"],
        "color": segment["color"],
        "created_at": segment["created_at"],
        "updated_at": segment["updated_at"],
    })
}

/// A `ContactChannel`.
pub fn channel(id: String, kind: &str, name: &str, email: &str, phone: &str, at: &str) -> Value {
    let user_id = if kind == "email" { email } else { phone };
    json!({
        "id": id,
        "type": kind,
        "user_id": user_id,
        "name": name,
        "email": email,
        "phone": phone,
        "created_at": at,
        "updated_at": at,
    })
}

/// A `Chat` of `org_id` on integration `integration_id`, handled by `assistant` if any (not conformed:
/// callers add members and conform).
pub fn chat(id: &str, title: &str, org_id: &str, integration_id: &str, at: &str, assistant: Option<&Value>) -> Value {
    let mut chat = json!({
        "id": id,
        "title": title,
        "model": MODEL,
        "members": [],
        "temporary": false,
        "visibility": "PRIVATE",
        "pinned": false,
        "status": "COMPLETED",
        "created_at": at,
        "updated_at": at,
        "org_id": org_id,
        "state": {
            "id": id,
            "state": "OPEN",
            "integration_id": integration_id,
            "ai_enabled": true,
            "admin_unseen_count": 0,
            "user_unseen_count": 0,
        },
    });
    if let Some(assistant) = assistant {
        chat["state"]["assistant_id"] = assistant["id"].clone();
        chat["state"]["assistant"] = json!({
            "id": assistant["id"],
            "name": assistant["name"],
            "enabled": assistant["enabled"],
            "deleted": false,
        });
    }
    chat
}

/// A `ChatMessage` with one text part, conformed.
pub fn message(id: String, role: &str, text: &str, model: Option<&str>, at: &str) -> Value {
    let mut value = json!({
        "id": id,
        "role": role,
        "status": "COMPLETED",
        "created_at": at,
        "updated_at": at,
        "messages": [{ "role": role, "parts": [{ "type": "text", "text": text }] }],
    });
    if let Some(model) = model {
        let input = (text.len() / 4 + 40) as f64;
        let output = (text.len() / 4 + 1) as f64;
        value["model"] = json!(model);
        value["usage"] = json!({ "input_tokens": input, "output_tokens": output, "total_tokens": input + output });
    }
    seeded::<types::ChatMessage>(value)
}

/// The text of `parts` (`type: text`), joined by newlines.
pub fn parts_text(parts: &[Value]) -> String {
    let texts: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    texts.join("\n")
}

/// The text of a message's parts (`type: text`), joined by newlines.
pub fn message_text(message: &Value) -> String {
    let parts =
        message["messages"].as_array().into_iter().flatten().flat_map(|m| m["parts"].as_array().into_iter().flatten());
    let texts: Vec<&str> = parts.filter_map(|p| p["text"].as_str()).collect();
    texts.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrips<T: DeserializeOwned + Serialize>(values: &[Value]) {
        for value in values {
            let typed: T = serde_json::from_value(value.clone()).expect("deserializes into the generated type");
            assert_eq!(&serde_json::to_value(typed).expect("serializes"), value, "conformed values are fixed points");
        }
    }

    #[test]
    fn seeded_world_deserializes_into_the_generated_types() {
        let seed = Seed { assistants: 23, contacts: 15, chats: 4, sub_orgs: 7, ..Seed::default() };
        let world = World::seeded(&seed);
        assert_eq!(world.orgs.len(), 8);
        for org in &world.orgs {
            roundtrips::<types::Assistant>(&org.assistants);
            roundtrips::<types::Contact>(&org.contacts);
            roundtrips::<types::Segment>(&org.segments);
            roundtrips::<types::Chat>(&org.chats);
            roundtrips::<types::SubOrganization>(std::slice::from_ref(&org.summary));
            roundtrips::<types::Connection>(&org.connections);
            roundtrips::<types::ContactField>(&org.contact_fields);
            assert_eq!(org.contact_fields.len(), 3);
        }
        for messages in world.messages.values() {
            roundtrips::<types::ChatMessage>(messages);
        }
        assert_eq!(world.memories.len(), world.messages.len(), "one memory per seeded chat");
        for (chat, memories) in &world.memories {
            roundtrips::<types::Memory>(memories);
            assert_eq!(memories[0]["chat_id"], json!(chat));
        }
        let parent = &world.orgs[0];
        assert_eq!(parent.assistants.len(), 23);
        assert_eq!(parent.contacts.len(), 15);
        assert_eq!(parent.sub_orgs, (1..=7).collect::<Vec<_>>());
        assert_eq!(world.orgs[7].name, "Client Org 7");
        // Typed access works on the served JSON.
        let first: types::Assistant = serde_json::from_value(parent.assistants[0].clone()).unwrap();
        assert_eq!(first.name, "Support Assistant");
        assert!(first.id.starts_with("ast_"));
    }

    #[test]
    fn seeding_is_deterministic_and_ids_are_well_formed() {
        let a = World::seeded(&Seed::default());
        let b = World::seeded(&Seed::default());
        assert_eq!(a.orgs[0].assistants, b.orgs[0].assistants);
        assert_eq!(a.orgs[1].id, b.orgs[1].id);
        let id = &a.orgs[0].id;
        assert!(id.starts_with("org_") && id.len() == 26 && id[4..].bytes().all(|c| c.is_ascii_alphanumeric()), "{id}");
        let mut ids: Vec<&str> =
            a.orgs.iter().flat_map(|o| o.assistants.iter().map(|x| x["id"].as_str().unwrap())).collect();
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), total, "ids are unique");
    }

    #[test]
    fn empty_orgs_seed_fine() {
        let seed = Seed { assistants: 0, contacts: 0, chats: 2, sub_orgs: 0, ..Seed::default() };
        let world = World::seeded(&seed);
        assert_eq!(world.orgs.len(), 1);
        assert_eq!(world.orgs[0].chats.len(), 2);
        assert!(world.orgs[0].chats[0]["state"].get("assistant_id").is_none());
    }

    #[test]
    fn message_text_reads_text_parts() {
        let m = message("msg_1".into(), "user", "hello", None, &seed_time(0));
        assert_eq!(message_text(&m), "hello");
    }
}
