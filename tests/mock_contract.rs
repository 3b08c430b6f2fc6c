//! The local mock Invent checked against the spec by an independent validator: Prism
//! (`@stoplight/prism-cli`, pinned in package.json) as a validating proxy in front of the mock
//! (`prism proxy openapi.json <mock> --errors`). Prism checks each request against the spec, forwards
//! it to the mock and checks the mock's answer; a violation comes back in an `sl-violations` header
//! (or, with `--errors`, as a 500 problem document instead of the answer).
//!
//! Every REST operation of the spec is called once through the generated client, with real ids from
//! earlier answers (an action created, then read; a chat started, then its messages…), and must get a
//! 2xx without a violation. The two WebSocket routes (Prism does not proxy upgrades) are opened on the
//! mock directly. A negative check proves the validator fails a wrong answer.
//!
//! Needs `npm ci` first (Prism from package-lock.json); `scripts/test-all.sh` does it.
#![cfg(feature = "mock")]

#[allow(dead_code)]
#[path = "contract/prism.rs"]
mod prism;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use invent_api::mock::server::MockInvent;
use invent_api::{types, Client};
use serde_json::{json, Value};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// `prism proxy` in front of an upstream; killed (and reaped) when dropped.
struct PrismProxy {
    child: Child,
    base_url: String,
    log: PathBuf,
}

impl PrismProxy {
    fn start(upstream: &str) -> PrismProxy {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let version = prism::installed_version(&root);
        assert_eq!(version, prism::PINNED_VERSION, "node_modules has prism-cli {version}: run `npm ci`");
        let port = {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
            listener.local_addr().expect("local addr").port()
        };
        let log_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        std::fs::create_dir_all(&log_dir).expect("log dir");
        let log = log_dir.join(format!("mock-contract-prism-{port}.log"));
        let file = std::fs::File::create(&log).expect("prism log");
        let child = Command::new(prism::prism_bin(&root))
            .args(["proxy", "openapi.json", upstream, "--errors", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log handle"))
            .stderr(file)
            .spawn()
            .expect("start Prism (is `node` on PATH?)");
        let mut proxy = PrismProxy { child, base_url: format!("http://127.0.0.1:{port}"), log };
        proxy.wait_ready(port);
        proxy
    }

    fn wait_ready(&mut self, port: u16) {
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Some(status) = self.child.try_wait().expect("prism status") {
                panic!("Prism exited during startup ({status}); its log:\n{}", self.log_tail());
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
                && std::fs::read_to_string(&self.log).is_ok_and(|l| l.contains("Prism is listening on"))
            {
                return;
            }
            assert!(started.elapsed() < STARTUP_TIMEOUT, "Prism did not start; its log:\n{}", self.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for PrismProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one call got through the proxy.
#[derive(Debug)]
struct Outcome {
    operation: &'static str,
    status: u16,
    violations: Vec<String>,
    /// The error, when the client returned one (a non-2xx, or a body that did not decode).
    error: Option<String>,
}

impl Outcome {
    fn clean(&self) -> bool {
        (200..300).contains(&self.status) && self.violations.is_empty() && self.error.is_none()
    }
}

#[derive(Default)]
struct Report(Vec<Outcome>);

impl Report {
    /// Records a call's outcome and hands back its value (`None` when it failed).
    fn check<T>(
        &mut self,
        operation: &'static str,
        result: Result<invent_api::ResponseValue<T>, invent_api::Error>,
    ) -> Option<T> {
        match result {
            Ok(response) => {
                let violations = prism::violations(response.headers()).iter().map(|v| v.to_string()).collect();
                let status = response.status().as_u16();
                self.0.push(Outcome { operation, status, violations, error: None });
                Some(response.into_inner())
            }
            Err(error) => {
                let status = error.status().map_or(0, |s| s.as_u16());
                let violations = error.headers().map(prism::violations).unwrap_or_default();
                let body = error.body().map(|b| String::from_utf8_lossy(b).to_string()).unwrap_or_default();
                self.0.push(Outcome {
                    operation,
                    status,
                    violations: violations.iter().map(|v| v.to_string()).collect(),
                    error: Some(format!("{error}: {body}")),
                });
                None
            }
        }
    }
}

fn part(text: &str) -> types::MessagePart {
    serde_json::from_value(json!({ "type": "text", "text": text })).expect("a text part")
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a request body that fits its type")
}

/// The pending approval (`(message id, tool call id)`) newest in a chat's messages.
fn pending_approval(messages: &[types::ChatMessage]) -> Option<(String, String)> {
    messages.iter().find_map(|m| {
        let parts = m.messages.iter().flat_map(|x| x.parts.iter());
        let approval = parts
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("tool-approval"))
            .find(|p| p.get("state").and_then(Value::as_str) == Some("approval-requested"))?;
        Some((m.id.clone()?, approval.get("tool_call_id")?.as_str()?.to_string()))
    })
}

/// Calls every REST operation once, in an order where each id comes from an earlier answer.
async fn call_every_operation(client: &Client, mock: &MockInvent) -> Report {
    let mut r = Report::default();
    let world = mock.world();
    let sub_org = mock.sub_org_ids()[0].clone();

    // Assistants and their actions.
    let assistants = r.check("list_assistants", client.list_assistants().send().await).unwrap_or_default();
    let assistant = assistants.first().map(|a| a.id.clone()).unwrap_or_default();
    let create = types::CreateAssistantRequest::builder().name("Contract Bot");
    r.check("create_assistant", client.create_assistant().body(create).send().await);
    r.check("get_assistant", client.get_assistant().assistant_id(&assistant).send().await);
    let update = types::UpdateAssistantRequest::builder().enabled(true);
    r.check("update_assistant", client.update_assistant().assistant_id(&assistant).body(update).send().await);
    let connections = r.check("list_connections", client.list_connections().send().await).unwrap_or_default();
    let connection = connections.first().and_then(|c| c.id.clone()).unwrap_or_default();
    let action: types::CreateAssistantActionRequest = body(json!({
        "enabled": true, "action_id": "TOOLS:HTTP_REQUEST", "config": { "input": { "url": "https://example.com" } },
        "name": "Look up order", "connection_id": connection,
    }));
    let created = r.check(
        "create_assistant_action",
        client.create_assistant_action().assistant_id(&assistant).body(action).send().await,
    );
    let action = created.map(|a| a.id).unwrap_or_default();
    r.check("list_assistant_actions", client.list_assistant_actions().assistant_id(&assistant).send().await);
    r.check(
        "get_assistant_action",
        client.get_assistant_action().assistant_id(&assistant).action_id(&action).send().await,
    );
    let update: types::UpdateAssistantActionRequest = body(json!({ "instructions": "Only for orders" }));
    r.check(
        "update_assistant_action",
        client.update_assistant_action().assistant_id(&assistant).action_id(&action).body(update).send().await,
    );
    let reorder: types::ReorderAssistantActionsRequest =
        body(json!({ "positions": [{ "id": action, "position": 300 }] }));
    r.check(
        "reorder_assistant_actions",
        client.reorder_assistant_actions().assistant_id(&assistant).body(reorder).send().await,
    );

    // A chat with the assistant, its messages, approvals, memories and state.
    let start = types::CreateAssistantChatRequest { message: vec![part("Where is my order?")] };
    let chat = r.check(
        "create_assistant_chat",
        client.create_assistant_chat().assistant_id(&assistant).body(start).send().await,
    );
    let chat = chat.and_then(|c| c["id"].as_str().map(str::to_string)).unwrap_or_default();
    let send = types::CreateChatMessageRequest { message: vec![part("Order 1042, please")] };
    r.check("create_chat_message", client.create_chat_message().chat_id(&chat).body(send).send().await);
    let messages =
        r.check("list_chat_messages", client.list_chat_messages().chat_id(&chat).send().await).unwrap_or_default();
    let user_message = messages.iter().find(|m| m.role.as_ref().map(|x| x.to_string()).as_deref() == Some("user"));
    let user_message = user_message.and_then(|m| m.id.clone()).unwrap_or_default();
    r.check("get_chat_message", client.get_chat_message().chat_id(&chat).message_id(&user_message).send().await);
    let edit: types::EditChatMessageRequest = body(json!({ "message": [{ "type": "text", "text": "Order 1043" }] }));
    r.check(
        "edit_chat_message",
        client.edit_chat_message().chat_id(&chat).message_id(&user_message).body(edit).send().await,
    );
    let (approval_message, tool_call) = pending_approval(&messages).unwrap_or_default();
    let decide: types::DecideActionApprovalRequest = body(json!({ "decision": "accepted" }));
    r.check(
        "decide_action_approval",
        client
            .decide_action_approval()
            .chat_id(&chat)
            .message_id(&approval_message)
            .tool_call_id(&tool_call)
            .body(decide)
            .send()
            .await,
    );
    r.check("delete_chat_message", client.delete_chat_message().chat_id(&chat).message_id(&user_message).send().await);
    let update: types::UpdateChatRequest = body(json!({ "title": "Order 1043", "pinned": true }));
    r.check("update_chat", client.update_chat().chat_id(&chat).body(update).send().await);
    r.check("list_chat_files", client.list_chat_files().chat_id(&chat).send().await);
    let seeded_chat = world.orgs[0].chats[0]["id"].as_str().unwrap_or_default().to_string();
    let memories = r
        .check("list_chat_memories", client.list_chat_memories().chat_id(&seeded_chat).send().await)
        .unwrap_or_default();
    let memory = memories.first().and_then(|m| m.id.clone()).unwrap_or_default();
    r.check("delete_chat_memory", client.delete_chat_memory().chat_id(&seeded_chat).memory_id(&memory).send().await);
    r.check("clear_chat_memories", client.clear_chat_memories().chat_id(&seeded_chat).send().await);
    let state: types::UpdateChatStateRequest = body(json!({ "ai_enabled": true, "csat_score": 5 }));
    r.check("update_chat_state", client.update_chat_state().chat_id(&chat).body(state).send().await);
    r.check("get_chat_state_info", client.get_chat_state_info().chat_id(&chat).send().await);
    let member = world.orgs[0].summary["members"][0]["id"].as_str().unwrap_or_default().to_string();
    let assign: types::AssignConversationRequest = body(json!({ "member_id": member }));
    r.check("assign_conversation", client.assign_conversation().chat_id(&chat).body(assign).send().await);
    r.check("list_org_chats", client.list_org_chats().send().await);
    r.check("list_inbox", client.list_inbox().send().await);

    // Contacts, segments, duplicates and merging, files, channels, chats as a contact.
    r.check("list_contacts", client.list_contacts().send().await);
    let new_contact = |email: &str| -> types::CreateContactRequest {
        body(json!({ "channel": { "name": "Kay Contract", "email": email } }))
    };
    let contact = r.check("create_contact", client.create_contact().body(new_contact("kay@example.com")).send().await);
    let contact = contact.unwrap_or_else(|| panic!("create_contact failed: {:?}", r.0.last()));
    let (contact_id, channel) = (contact.id.clone(), contact.channels[0].id.clone().unwrap_or_default());
    let twin = client.create_contact().body(new_contact("kay@example.com")).send().await.expect("a duplicate");
    let update: types::UpdateContactRequest = body(json!({ "name": "Kay Contract-Test" }));
    r.check("update_contact", client.update_contact().contact_id(&contact_id).body(update).send().await);
    r.check("list_duplicate_contact_groups", client.list_duplicate_contact_groups().send().await);
    let merge: types::MergeContactsRequest = body(json!({ "source_contact_ids": [twin.id] }));
    r.check("merge_contacts", client.merge_contacts().contact_id(&contact_id).body(merge).send().await);
    r.check("list_contact_fields", client.list_contact_fields().send().await);
    let segments = r.check("list_segments", client.list_segments().send().await).unwrap_or_default();
    let segment = segments.first().and_then(|s| s.id.clone()).unwrap_or_default();
    r.check(
        "add_contact_segment",
        client.add_contact_segment().contact_id(&contact_id).segment_id(&segment).send().await,
    );
    r.check("list_contact_segments", client.list_contact_segments().contact_id(&contact_id).send().await);
    let update: types::UpdateSegmentRequest = body(json!({ "name": "VIP customers", "color": "rose" }));
    r.check("update_segment", client.update_segment().segment_id(&segment).body(update).send().await);
    r.check("list_contact_notes", client.list_contact_notes().contact_id(&contact_id).send().await);
    let upload: types::UploadContactFileRequest = body(json!({ "file_url": "https://example.com/files/invoice.pdf" }));
    r.check("upload_contact_file", client.upload_contact_file().contact_id(&contact_id).body(upload).send().await);
    r.check("list_contact_files", client.list_contact_files().contact_id(&contact_id).send().await);
    r.check("list_contact_activities", client.list_contact_activities().contact_id(&contact_id).send().await);
    let update: types::UpdateContactChannelRequest = body(json!({ "name": "Kay C.", "phone": "+15550100123" }));
    r.check(
        "update_contact_channel",
        client.update_contact_channel().contact_id(&contact_id).channel_id(&channel).body(update).send().await,
    );
    let open: types::CreateContactChannelChatRequest = body(
        json!({ "assistant_id": assistant, "title": "Returns", "message": [{ "type": "text", "text": "Hello" }] }),
    );
    let contact_chat = r.check(
        "create_contact_channel_chat",
        client.create_contact_channel_chat().contact_id(&contact_id).channel_id(&channel).body(open).send().await,
    );
    let contact_chat = contact_chat.and_then(|c| c.id).unwrap_or_default();
    let send: types::CreateContactChatMessageRequest =
        body(json!({ "message": [{ "type": "text", "text": "Can I return it?" }], "channel_id": channel }));
    r.check(
        "create_contact_chat_message",
        client.create_contact_chat_message().contact_id(&contact_id).chat_id(&contact_chat).body(send).send().await,
    );
    let send: types::CreateContactChannelChatMessageRequest =
        body(json!({ "message": [{ "type": "text", "text": "It is unopened" }] }));
    r.check(
        "create_contact_channel_chat_message",
        client
            .create_contact_channel_chat_message()
            .contact_id(&contact_id)
            .channel_id(&channel)
            .chat_id(&contact_chat)
            .body(send)
            .send()
            .await,
    );
    let messages = client.list_chat_messages().chat_id(&contact_chat).send().await.expect("messages").into_inner();
    let (approval_message, tool_call) = pending_approval(&messages).unwrap_or_default();
    let decide: types::DecideActionApprovalRequest = body(json!({ "decision": "rejected", "reason": "Not now" }));
    r.check(
        "decide_contact_channel_action_approval",
        client
            .decide_contact_channel_action_approval()
            .contact_id(&contact_id)
            .channel_id(&channel)
            .chat_id(&contact_chat)
            .message_id(&approval_message)
            .tool_call_id(&tool_call)
            .body(decide)
            .send()
            .await,
    );

    // Sub-organizations.
    r.check("list_sub_organizations", client.list_sub_organizations().send().await);
    let create: types::CreateSubOrganizationRequest = body(json!({ "name": "Contract Clinic" }));
    r.check("create_sub_organization", client.create_sub_organization().body(create).send().await);
    let update: types::UpdateSubOrganizationRequest =
        body(json!({ "name": "Renamed Clinic", "config": { "email": "hi@clinic.example" } }));
    r.check("update_sub_organization", client.update_sub_organization().sub_org_id(&sub_org).body(update).send().await);
    let join: types::JoinSubOrganizationRequest = body(json!({ "role": "ADMIN" }));
    r.check("join_sub_organization", client.join_sub_organization().sub_org_id(&sub_org).body(join).send().await);
    let transfer: types::TransferOrganizationRequest = body(json!({}));
    r.check("transfer_organization", client.transfer_organization().sub_org_id(&sub_org).body(transfer).send().await);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_mock_passes_prism_validation() {
    let mock = MockInvent::builder().sub_orgs(1).start().await;
    let proxy = PrismProxy::start(&mock.base_url());
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(&proxy.base_url)
        .limiter(None)
        .max_retries(0)
        .build()
        .expect("client through Prism");

    let report = call_every_operation(&client, &mock).await;
    let rest: Vec<&str> =
        invent_api::operations().iter().filter(|op| !op.template.ends_with("/ws")).map(|op| op.id).collect();
    let called: Vec<&str> = report.0.iter().map(|o| o.operation).collect();
    let missing: Vec<&&str> = rest.iter().filter(|id| !called.contains(id)).collect();
    assert!(missing.is_empty(), "operations not called: {missing:?}");
    assert_eq!(called.len(), rest.len(), "each operation called once");

    let failed: Vec<&Outcome> = report.0.iter().filter(|o| !o.clean()).collect();
    let violations: usize = report.0.iter().map(|o| o.violations.len()).sum();
    println!(
        "mock contract: {} of {} operations clean through Prism, {violations} violations",
        report.0.len() - failed.len(),
        rest.len()
    );
    assert!(
        failed.is_empty(),
        "{} calls failed validation or the call:\n{failed:#?}\nPrism log:\n{}",
        failed.len(),
        proxy.log_tail()
    );
    // Both WebSocket routes, on the mock directly (Prism does not proxy upgrades).
    let direct = mock.client();
    let chats = direct.chat_events();
    let inbox = direct.inbox_events();
    assert!(chats.connected().await && inbox.connected().await, "both socket routes upgrade");
    assert_eq!(mock.event_sockets(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_flags_an_answer_that_breaks_the_spec() {
    // A server that answers a list with an object: the proxy must refuse it, or the suite proves nothing.
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).header("content-type", "application/json").json_body(json!({ "not": "a list" }));
        })
        .await;
    let proxy = PrismProxy::start(&server.base_url());
    let client = Client::builder()
        .api_key("sk_test")
        .base_url(&proxy.base_url)
        .limiter(None)
        .max_retries(0)
        .build()
        .expect("client");
    let mut report = Report::default();
    report.check("list_assistants", client.list_assistants().send().await);
    let outcome = &report.0[0];
    assert!(!outcome.clean(), "Prism let a wrong answer through: {outcome:?}");
    assert!(outcome.status == 500 || !outcome.violations.is_empty(), "{outcome:?}");
}
