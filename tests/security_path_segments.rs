//! Every path segment is one segment: hostile ids in every path parameter of every generated operation,
//! org ids (`for_org`, the builder), the event socket URL and raw paths, against a loopback server that
//! records the request target exactly as received. An id either fails the call before anything is sent
//! (`""`, `.`, `..`: `Error::InvalidRequest`) or arrives as exactly one segment of the template that
//! decodes back to the id.

#[path = "common/loopback.rs"]
mod loopback;

#[allow(dead_code)]
#[path = "contract/examples.rs"]
mod examples;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use invent_api::{types, Client, ConfigError, Error, Org};
use loopback::{decode_segment, Reply, Server};
use proptest::prelude::*;
use reqwest::Method;

use examples::{Examples, Spec};

const KEY: &str = "sk_test_paths_do_not_leak_0123";

/// Ids that must fail before sending.
const REFUSED: [&str; 3] = ["", ".", ".."];

/// Ids that must arrive as one segment: traversal in every spelling, separators, query and fragment
/// characters, percent signs, white space, non-ASCII.
const ACCEPTED: [&str; 14] = [
    r"..\..\..\orgs\org_B\assistants\ast_1",
    "../org_B",
    r"..\",
    "%2e%2e",
    "%2E%2E%2Forg_B",
    ".%2e",
    "a/b",
    r"a\b",
    "?x=1",
    "#frag",
    "...",
    " .. ",
    ".\t.",
    "é/😀",
];

fn client(url: &str) -> Client {
    Client::builder().api_key(KEY).base_url(url).limiter(None).max_retries(0).build().expect("test client")
}

async fn server() -> Server {
    loopback::start(|_| Reply::json(200, "{}")).await
}

type Run = fn(Client, Examples, BTreeMap<&'static str, String>) -> BoxFuture<'static, Result<(), Error>>;

/// One path-parameter operation: its id, its path parameters (setter names) and how to call it with
/// spec-derived arguments, any of which `ids` overrides.
struct Case {
    id: &'static str,
    params: &'static [&'static str],
    run: Run,
}

macro_rules! cases {
    ($( $id:ident ( $($path:ident),+ ) $(=> $body:ident)? ; )*) => {
        vec![$(Case {
            id: stringify!($id),
            params: &[$(stringify!($path)),+],
            run: |client: Client, ex: Examples, ids: BTreeMap<&'static str, String>| -> BoxFuture<'static, Result<(), Error>> {
                Box::pin(async move {
                    let call = client.$id();
                    $( let call = call.$path(ids.get(stringify!($path)).cloned().unwrap_or_else(|| ex.path(stringify!($path)))); )+
                    $( let call = match ex.body::<types::$body>() { Some(v) => call.body(v), None => call }; )?
                    call.send().await.map(drop)
                })
            },
        }),*]
    };
}

/// Every operation of `openapi.json` with a path parameter besides the org.
fn cases() -> Vec<Case> {
    cases! {
        get_assistant(assistant_id);
        update_assistant(assistant_id) => UpdateAssistantRequest;
        list_assistant_actions(assistant_id);
        create_assistant_action(assistant_id) => CreateAssistantActionRequest;
        get_assistant_action(assistant_id, action_id);
        update_assistant_action(assistant_id, action_id) => UpdateAssistantActionRequest;
        reorder_assistant_actions(assistant_id) => ReorderAssistantActionsRequest;
        create_assistant_chat(assistant_id) => CreateAssistantChatRequest;
        update_contact(contact_id) => UpdateContactRequest;
        merge_contacts(contact_id) => MergeContactsRequest;
        list_contact_segments(contact_id);
        add_contact_segment(contact_id, segment_id);
        list_contact_notes(contact_id);
        list_contact_activities(contact_id);
        list_contact_files(contact_id);
        upload_contact_file(contact_id) => UploadContactFileRequest;
        update_contact_channel(contact_id, channel_id) => UpdateContactChannelRequest;
        create_contact_channel_chat(contact_id, channel_id) => CreateContactChannelChatRequest;
        create_contact_chat_message(contact_id, chat_id) => CreateContactChatMessageRequest;
        create_contact_channel_chat_message(contact_id, channel_id, chat_id) => CreateContactChannelChatMessageRequest;
        decide_contact_channel_action_approval(contact_id, channel_id, chat_id, message_id, tool_call_id)
            => DecideActionApprovalRequest;
        update_segment(segment_id) => UpdateSegmentRequest;
        update_chat(chat_id) => UpdateChatRequest;
        list_chat_messages(chat_id);
        create_chat_message(chat_id) => CreateChatMessageRequest;
        get_chat_message(chat_id, message_id);
        edit_chat_message(chat_id, message_id) => EditChatMessageRequest;
        decide_action_approval(chat_id, message_id, tool_call_id) => DecideActionApprovalRequest;
        delete_chat_message(chat_id, message_id);
        list_chat_files(chat_id);
        list_chat_memories(chat_id);
        clear_chat_memories(chat_id);
        delete_chat_memory(chat_id, memory_id);
        update_chat_state(chat_id) => UpdateChatStateRequest;
        get_chat_state_info(chat_id);
        assign_conversation(chat_id) => AssignConversationRequest;
        join_sub_organization(sub_org_id) => JoinSubOrganizationRequest;
        transfer_organization(sub_org_id) => TransferOrganizationRequest;
        update_sub_organization(sub_org_id) => UpdateSubOrganizationRequest;
    }
}

fn spec() -> Arc<Spec> {
    Arc::new(Spec::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")))
}

/// The template's segments as the server must see them (`{org_id}` is the client's org, `c`), and the
/// index of `{param}`.
fn expected_segments(template: &str, param: &str) -> (usize, usize) {
    let segments: Vec<&str> = template.split('/').collect();
    let at = segments.iter().position(|s| *s == format!("{{{param}}}")).expect("parameter in the template");
    (segments.len(), at)
}

/// Asserts the one request `server` saw for `id` in `param` of `template`: same method, the template's
/// segments (org `c`), and the segment decoding back to `id`.
fn assert_one_segment(server: &Server, method: &Method, template: &str, param: &str, id: &str, case: &str) {
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{case}: expected exactly one request, got {seen:?}");
    let request = &seen[0];
    assert_eq!(request.method, method.as_str(), "{case}");
    let segments: Vec<&str> = request.path().split('/').collect();
    let (count, at) = expected_segments(template, param);
    assert_eq!(segments.len(), count, "{case}: `{}` does not have the segments of `{template}`", request.target);
    assert_eq!(decode_segment(segments[at]).as_deref(), Some(id), "{case}: `{}`", request.target);
    for (i, (sent, want)) in segments.iter().zip(template.split('/')).enumerate() {
        if !want.starts_with('{') {
            assert_eq!(*sent, want, "{case}: segment {i} of `{}`", request.target);
        } else if want == "{org_id}" {
            assert_eq!(*sent, "c", "{case}: org of `{}`", request.target);
        }
    }
}

/// Each hostile id in each path parameter of each operation: refused before sending, or one segment.
#[tokio::test]
async fn every_path_parameter_of_every_operation_is_one_segment() {
    let cases = cases();
    let with_params: BTreeSet<&str> = invent_api::operations()
        .iter()
        .filter(|op| op.template.replacen("/orgs/{org_id}", "", 1).contains('{'))
        .map(|op| op.id)
        .collect();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.id).collect();
    assert_eq!(covered, with_params, "the table must list every operation with a path parameter");
    assert_eq!(covered.len(), 39);

    let spec = spec();
    let server = server().await;
    let client = client(&server.url);
    let mut checked = 0;
    for case in &cases {
        let op = invent_api::operations().iter().find(|op| op.id == case.id).expect("listed");
        for &param in case.params {
            for id in REFUSED.iter().chain(ACCEPTED.iter()) {
                server.clear();
                let ex = Examples::new(spec.clone(), op.method.as_str(), op.template);
                let ids = BTreeMap::from([(param, id.to_string())]);
                let result = (case.run)(client.clone(), ex, ids).await;
                let label = format!("{} {} with {param} = {id:?}", op.method, op.template);
                if REFUSED.contains(id) {
                    let Err(Error::InvalidRequest(message)) = &result else {
                        panic!("{label}: expected InvalidRequest, got {result:?}");
                    };
                    assert!(message.contains(param), "{label}: {message}");
                    assert_eq!(server.count(), 0, "{label}: sent {:?}", server.seen());
                } else {
                    assert_one_segment(&server, &op.method, op.template, param, id, &label);
                }
                checked += 1;
            }
        }
    }
    // 57 path parameters × 17 ids.
    assert_eq!(checked, 57 * 17);
}

/// The examples the issue names, with the exact targets.
#[tokio::test]
async fn the_reported_traversals_stay_in_their_segment() {
    let server = server().await;
    let client = client(&server.url);
    let _ = client.get_assistant().assistant_id(r"..\..\..\orgs\org_B\assistants\ast_1").send().await;
    let _ = client.clear_chat_memories().chat_id("a/../../memories").send().await;
    let targets: Vec<String> = server.seen().into_iter().map(|s| format!("{} {}", s.method, s.target)).collect();
    assert_eq!(
        targets,
        [
            "GET /orgs/c/assistants/..%5C..%5C..%5Corgs%5Corg_B%5Cassistants%5Cast_1",
            "DELETE /chats/a%2F..%2F..%2Fmemories/memories"
        ]
    );
    for (chat, memory) in [("cht_1", ".."), ("cht_1", ""), ("..", "mem_1"), (".", "mem_1")] {
        let result = client.delete_chat_memory().chat_id(chat).memory_id(memory).send().await;
        assert!(matches!(result, Err(Error::InvalidRequest(_))), "{chat:?}/{memory:?}: {result:?}");
    }
    assert_eq!(server.count(), 2, "{:?}", server.seen());
}

/// `for_org` and the builder's org: an id that is no segment fails org-scoped calls (never the key's
/// own org), any other id is one segment; calls that are not org-scoped are not affected.
#[tokio::test]
async fn org_ids_are_one_segment_or_refused() {
    let server = server().await;
    let base = client(&server.url);
    for id in REFUSED {
        let sub = base.for_org(id);
        let result = sub.list_assistants().send().await;
        let Err(Error::InvalidRequest(message)) = &result else { panic!("{id:?}: {result:?}") };
        assert!(message.contains("org id"), "{message}");
        assert!(matches!(base.try_for_org(id), Err(Error::InvalidRequest(_))), "{id:?}");
        let built = Client::builder().api_key(KEY).base_url(&server.url).org(id).build();
        assert!(matches!(built, Err(ConfigError::InvalidSetting { setting: "org", .. })), "{id:?}: {built:?}");
        // Not org-scoped: the org is not used, the call goes out.
        server.clear();
        let _ = sub.list_chat_memories().chat_id("cht_1").send().await;
        assert_eq!(server.seen().iter().map(|s| s.target.clone()).collect::<Vec<_>>(), ["/chats/cht_1/memories"]);
    }
    assert_eq!(server.count(), 1);
    // `Org::parse` trims white space: " .. " is `..`, refused like the rest.
    assert!(base.try_for_org(" .. ").is_err());
    let accepted: Vec<&str> = ACCEPTED.iter().copied().filter(|id| Org::parse(id).check().is_ok()).collect();
    assert_eq!(accepted.len(), ACCEPTED.len() - 1);
    for id in accepted {
        server.clear();
        let _ = base.for_org(id).get_assistant().assistant_id("ast_1").send().await;
        let org = Org::parse(id);
        let label = format!("for_org({id:?})");
        assert_one_segment(&server, &Method::GET, "/orgs/{o}/assistants/ast_1", "o", org.segment(), &label);
        server.clear();
        let built = Client::builder().api_key(KEY).base_url(&server.url).org(id).limiter(None).build().unwrap();
        let _ = built.list_assistants().send().await;
        assert_one_segment(&server, &Method::GET, "/orgs/{o}/assistants", "o", org.segment(), &label);
    }
}

/// Raw calls: a dot segment in any spelling fails unless the caller opts in; the org alias goes in as
/// one segment or fails.
#[tokio::test]
async fn raw_paths_with_dot_segments_need_the_opt_in() {
    let server = server().await;
    let client = client(&server.url);
    let traversals = [
        "/orgs/c/assistants/../../org_B/assistants",
        "/orgs/c/assistants/./../../org_B/assistants",
        r"/orgs/c/assistants\..\..\org_B\assistants",
        "/orgs/c/assistants/%2e%2e/%2E%2E/org_B/assistants",
        "/orgs/c/assistants/.%2e/%2e./org_B/assistants",
    ];
    for path in traversals {
        let result = client.raw(Method::GET, path).send().await;
        assert!(matches!(result, Err(Error::InvalidRequest(_))), "{path}: {result:?}");
        assert!(matches!(client.raw(Method::POST, path).json(&1).send().await, Err(Error::InvalidRequest(_))));
    }
    assert_eq!(server.count(), 0, "{:?}", server.seen());
    for path in traversals {
        server.clear();
        client.raw(Method::GET, path).allow_dot_segments().send().await.expect("200");
        let seen = server.seen();
        assert_eq!(seen.len(), 1, "{path}");
        assert_eq!(seen[0].target, "/orgs/org_B/assistants", "{path}: the opt-in sends what the URL parser resolves");
    }
    // Ids encoded with `path_segment` stay in their segment without any opt-in.
    server.clear();
    let id = invent_api::path_segment(r"..\org_B").unwrap();
    client.raw(Method::GET, format!("/orgs/c/assistants/{id}")).send().await.expect("200");
    assert_eq!(server.seen()[0].target, "/orgs/c/assistants/..%5Corg_B");
    // The org alias of a raw path follows the client's org, as one segment, or fails.
    server.clear();
    client.for_org(r"..\org_B").raw(Method::GET, "/orgs/c/x").send().await.expect("200");
    assert_eq!(server.seen()[0].target, "/orgs/..%5Corg_B/x");
    let result = client.for_org("..").raw(Method::GET, "/orgs/c/x").send().await;
    assert!(matches!(result, Err(Error::InvalidRequest(_))), "{result:?}");
    assert_eq!(server.count(), 1);
}

/// The event socket opens at `/orgs/{org}/chats/ws` with the org as one segment; an org id that is no
/// segment ends the stream for good before any request.
#[cfg(feature = "events")]
#[tokio::test]
async fn the_event_socket_url_keeps_the_org_in_one_segment() {
    use futures::StreamExt;
    use invent_api::events::EventError;

    let server = loopback::start(|_| Reply::json(403, "{}")).await;
    let client = client(&server.url);
    let mut stream = client.for_org(r"..\org_B").chat_events();
    let first = stream.next().await;
    assert!(matches!(first, Some(Err(_))), "{first:?}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].method.as_str(), seen[0].target.as_str()), ("GET", "/orgs/..%5Corg_B/chats/ws"));

    for id in REFUSED {
        let mut stream = client.for_org(id).inbox_events();
        let first = stream.next().await;
        let Some(Err(error)) = &first else { panic!("{id:?}: {first:?}") };
        assert!(matches!(error, EventError::Fatal { .. }), "{id:?}: {error:?}");
        assert!(error.to_string().contains("org id"), "{error}");
        assert!(stream.next().await.is_none(), "an Err is the last item");
    }
    assert_eq!(server.count(), 1, "{:?}", server.seen());
}

/// The property behind all of the above, for any id: the request fails before sending, or it has
/// exactly the template's segments and the id decodes back to itself.
fn one_request_or_none(id: &str, runtime: &tokio::runtime::Runtime, server: &Server, client: &Client) {
    server.clear();
    let result = runtime.block_on(client.delete_chat_memory().chat_id("cht_1").memory_id(id).send());
    if let Err(Error::InvalidRequest(_)) = result {
        assert!(REFUSED.contains(&id), "{id:?} refused");
        assert_eq!(server.count(), 0);
    } else {
        assert_one_segment(server, &Method::DELETE, "/chats/cht_1/memories/{m}", "m", id, &format!("{id:?}"));
    }
    server.clear();
    let _ = runtime.block_on(client.for_org(id).get_assistant().assistant_id(id).send());
    let org = Org::parse(id);
    if org.check().is_err() || REFUSED.contains(&id) {
        assert_eq!(server.count(), 0, "{id:?}");
    } else {
        let seen = server.seen();
        assert_eq!(seen.len(), 1, "{id:?}");
        let segments: Vec<&str> = seen[0].path().split('/').collect();
        assert_eq!(segments.len(), 5, "{id:?}: {}", seen[0].target);
        assert_eq!((segments[1], segments[3]), ("orgs", "assistants"), "{}", seen[0].target);
        assert_eq!(decode_segment(segments[2]).as_deref(), Some(org.segment()), "{}", seen[0].target);
        assert_eq!(decode_segment(segments[4]).as_deref(), Some(id), "{}", seen[0].target);
    }
}

fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![".", "..", "/", "\\", "%", "%2e", "%2E", "?", "#", " ", "\t", "\n", "2e", "a", "é"]),
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

fn loopback_fixture() -> (tokio::runtime::Runtime, Server, Client) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = runtime.block_on(server());
    let client = client(&server.url);
    (runtime, server, client)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_unicode_id_is_one_segment_or_refused_on_the_wire(ids in proptest::collection::vec(any::<String>(), 4)) {
        let (runtime, server, client) = loopback_fixture();
        for id in &ids {
            one_request_or_none(id, &runtime, &server, &client);
        }
    }

    #[test]
    fn hostile_ids_are_one_segment_or_refused_on_the_wire(ids in proptest::collection::vec(hostile(), 4)) {
        let (runtime, server, client) = loopback_fixture();
        for id in &ids {
            one_request_or_none(id, &runtime, &server, &client);
        }
    }
}
