//! Contract suite: every operation of `openapi.json`, called through the generated client, against Prism
//! (an independent validating mock server built from the same document).
//!
//! For each operation the test passes example arguments derived from the spec (`contract::examples`:
//! examples, enums, formats, bounds; path ids as `example-<name>`) through the generated builder and
//! `.send()`, and asserts that Prism saw a valid request (no `sl-violations` header, no
//! 400/401/415/422) and that its schema-shaped response decoded into the generated type. Two negative
//! checks prove the suite can fail. The report goes to stdout and `target/contract-report.md`.
//!
//! Needs `npm ci` first (Prism from package-lock.json); `scripts/test-all.sh` does it.

mod contract;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use invent_api::{types, Client};
use serde_json::json;

use contract::examples::{Examples, Spec};
use contract::prism::{Mode, Prism};
use contract::{Called, Negative, Report, Row};

type Run = fn(Client, Examples) -> BoxFuture<'static, Called>;

/// Seed of the dynamic run: fixed, so its responses are the same on every run (Prism reseeds per request).
const DYNAMIC_SEED: u64 = 20261129;

/// One operation's call: the generated builder with spec-derived arguments.
struct Case {
    id: &'static str,
    run: Run,
}

/// `op(path params) [query: Type, ...] => BodyType;` — one line per operation. Every argument comes from
/// the spec via `Examples`; the Rust types are the ones the generated setters take.
macro_rules! cases {
    ($( $id:ident ( $($path:ident),* ) [ $($q:ident : $qt:ty),* ] $(=> $body:ident)? ; )*) => {
        vec![$(Case {
            id: stringify!($id),
            run: |client: Client, ex: Examples| -> BoxFuture<'static, Called> {
                Box::pin(async move {
                    let call = client.$id();
                    $( let call = call.$path(ex.path(stringify!($path))); )*
                    $( let call = match ex.query::<$qt>(stringify!($q)) { Some(v) => call.$q(v), None => call }; )*
                    $( let call = match ex.body::<types::$body>() { Some(v) => call.body(v), None => call }; )?
                    Called::of(call.send().await)
                })
            },
        }),*]
    };
}

fn cases() -> Vec<Case> {
    cases! {
        list_assistants() [page: u32, take: u32, next: String];
        create_assistant() [] => CreateAssistantRequest;
        get_assistant(assistant_id) [];
        update_assistant(assistant_id) [] => UpdateAssistantRequest;
        list_assistant_actions(assistant_id) [page: u32, take: u32, next: String];
        create_assistant_action(assistant_id) [] => CreateAssistantActionRequest;
        get_assistant_action(assistant_id, action_id) [];
        update_assistant_action(assistant_id, action_id) [] => UpdateAssistantActionRequest;
        reorder_assistant_actions(assistant_id) [page: u32, take: u32, next: String] => ReorderAssistantActionsRequest;
        create_assistant_chat(assistant_id) [] => CreateAssistantChatRequest;
        list_contacts() [search: String, unsubscribed: bool, user_id: String, name: String, username: String,
            email: String, segment_id: String, exclude_admins: bool, exclude_board_id: String,
            status: types::ListContactsStatus, page: u32, take: u32, next: String];
        create_contact() [] => CreateContactRequest;
        update_contact(contact_id) [] => UpdateContactRequest;
        list_duplicate_contact_groups() [page: u32, take: u32, next: String];
        merge_contacts(contact_id) [] => MergeContactsRequest;
        list_contact_fields() [page: u32, take: u32, next: String];
        list_contact_segments(contact_id) [page: u32, take: u32, next: String];
        add_contact_segment(contact_id, segment_id) [];
        list_contact_notes(contact_id) [page: u32, take: u32, next: String];
        list_contact_activities(contact_id) [type_: types::ActivityType, page: u32, take: u32, next: String];
        list_contact_files(contact_id) [search: types::ListContactFilesSearch, mime_type: String, page: u32,
            take: u32, next: String];
        upload_contact_file(contact_id) [] => UploadContactFileRequest;
        update_contact_channel(contact_id, channel_id) [] => UpdateContactChannelRequest;
        create_contact_channel_chat(contact_id, channel_id) [] => CreateContactChannelChatRequest;
        create_contact_chat_message(contact_id, chat_id) [] => CreateContactChatMessageRequest;
        create_contact_channel_chat_message(contact_id, channel_id, chat_id) []
            => CreateContactChannelChatMessageRequest;
        decide_contact_channel_action_approval(contact_id, channel_id, chat_id, message_id, tool_call_id) []
            => DecideActionApprovalRequest;
        list_segments() [search: String, exclude_board_columns: bool, page: u32, take: u32, next: String];
        update_segment(segment_id) [] => UpdateSegmentRequest;
        list_connections() [page: u32, take: u32, next: String];
        list_org_chats() [page: u32, take: u32, next: String];
        list_inbox() [integration_id: String, take: u32];
        update_chat(chat_id) [] => UpdateChatRequest;
        list_chat_messages(chat_id) [from_date: String, page: u32, take: u32, next: String];
        create_chat_message(chat_id) [] => CreateChatMessageRequest;
        get_chat_message(chat_id, message_id) [];
        edit_chat_message(chat_id, message_id) [] => EditChatMessageRequest;
        delete_chat_message(chat_id, message_id) [];
        decide_action_approval(chat_id, message_id, tool_call_id) [] => DecideActionApprovalRequest;
        list_chat_files(chat_id) [search: types::ListChatFilesSearch, mime_type: String, page: u32, take: u32,
            next: String];
        list_chat_memories(chat_id) [page: u32, take: u32, next: String];
        clear_chat_memories(chat_id) [];
        delete_chat_memory(chat_id, memory_id) [];
        update_chat_state(chat_id) [] => UpdateChatStateRequest;
        get_chat_state_info(chat_id) [];
        assign_conversation(chat_id) [] => AssignConversationRequest;
        list_sub_organizations() [page: u32, take: u32, next: String];
        create_sub_organization() [] => CreateSubOrganizationRequest;
        join_sub_organization(sub_org_id) [] => JoinSubOrganizationRequest;
        transfer_organization(sub_org_id) [] => TransferOrganizationRequest;
        update_sub_organization(sub_org_id) [] => UpdateSubOrganizationRequest;
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/` (integration tests get `CARGO_TARGET_TMPDIR` = `<target>/tmp`).
fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(Path::to_path_buf).unwrap_or(tmp)
}

fn client(prism: &Prism) -> Client {
    Client::builder()
        .api_key("test")
        .base_url(&prism.base_url)
        .limiter(None)
        .max_retries(0)
        .build()
        .expect("client for Prism")
}

/// Runs every case against a Prism in `mode` and returns the report's parts.
async fn run_suite(mode: Mode) -> Suite {
    let root = root();
    let spec = Arc::new(Spec::load(&root.join("openapi.json")));
    let prism = Prism::start(&root, Path::new("openapi.json"), mode, &target_dir().join("tmp"));
    let client = client(&prism);

    let mut rows = Vec::new();
    let mut not_exercised = Vec::new();
    let cases = cases();
    for case in &cases {
        let Some(op) = invent_api::operations().iter().copied().find(|op| op.id == case.id) else {
            not_exercised.push((case.id.to_string(), "the generated client has no such operation".to_string()));
            continue;
        };
        if spec.operation(op.method.as_str(), op.template).is_none() {
            not_exercised.push((case.id.to_string(), format!("{} {} is not in openapi.json", op.method, op.template)));
            continue;
        }
        let ex = Examples::new(spec.clone(), op.method.as_str(), op.template);
        let called = (case.run)(client.clone(), ex.clone()).await;
        let given = ex.given.lock().unwrap().clone();
        let (response_problems, response_notes) = match &called.decoded {
            Some(decoded) => compare_with_raw(&client, &spec, op, &given, decoded).await,
            None => (Vec::new(), Vec::new()),
        };
        let known = called.violations.iter().map(|v| contract::prism::known_issue(mode, v)).collect::<Vec<_>>();
        let known_issue = if !known.is_empty() && known.iter().all(Option::is_some) { known[0] } else { None };
        rows.push(Row {
            known_issue,
            response_problems,
            response_notes,
            id: case.id.to_string(),
            method: op.method.to_string(),
            template: op.template.to_string(),
            body_missing: ex.expects_body() && given.body.is_none(),
            unused: ex.unused(),
            called,
            given,
        });
    }
    // Operations of the spec that no case called (a new operation, or one the generator skipped).
    for (method, template) in spec.operations() {
        let generated = invent_api::operations().iter().find(|o| o.method.as_str() == method && o.template == template);
        let why = match generated {
            None => "openapi.json declares it but the generated client has no method for it".to_string(),
            Some(op) if !cases.iter().any(|c| c.id == op.id) => {
                format!("no case in tests/contract_prism.rs calls `client.{}()` yet", op.id)
            }
            Some(_) => continue,
        };
        not_exercised.push((format!("{method} {template}"), why));
    }

    let negatives = negative_checks(&client, &prism.base_url).await;
    Suite { prism, rows, not_exercised, negatives, spec }
}

/// Sends the same request again as a raw call (Prism's answers are deterministic: static examples, or
/// dynamic ones reseeded per request) and compares the raw JSON with the decoded value.
async fn compare_with_raw(
    client: &Client,
    spec: &Spec,
    op: &invent_api::OperationSpec,
    given: &contract::examples::Given,
    decoded: &serde_json::Value,
) -> (Vec<String>, Vec<String>) {
    // The org segment is the client's (`c`); every other path parameter comes from the examples.
    let mut path = op.template.to_string();
    if op.org_scoped {
        if let Some(end) = path.strip_prefix("/orgs/{").and_then(|rest| rest.find('}')) {
            path = format!("/orgs/c{}", &path["/orgs/{".len() + end + 1..]);
        }
    }
    for (location, name, value) in &given.params {
        if location == "path" {
            let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
            path = path.replace(&format!("{{{name}}}"), &invent_api::progenitor_client::encode_path(&text));
        }
    }
    let mut raw = client.raw(op.method.clone(), path);
    for (location, name, value) in &given.params {
        if location == "query" {
            raw = raw.query(name.clone(), value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()));
        }
    }
    if let Some(body) = &given.body {
        raw = raw.json(body);
    }
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    match raw.send_json::<serde_json::Value>().await {
        Ok(response) => {
            let schema = spec.operation(op.method.as_str(), op.template).and_then(|o| o.response_schema());
            contract::response_round_trip(spec, schema, &response, decoded, "response", &mut problems, &mut notes)
        }
        Err(e) => problems.push(format!("the raw repeat of the request failed: {e}")),
    }
    (problems, notes)
}

/// Requests Prism must refuse: proves that a violation would be seen.
async fn negative_checks(client: &Client, base_url: &str) -> Vec<Negative> {
    let mut out = Vec::new();

    // Through the generated builder: `take` is a u32 in Rust, but the spec caps it at 100.
    let called = Called::of(client.list_assistants().take(500u32).send().await);
    let refused = called.status == Some(400)
        && called.violations.iter().any(|v| v.code == json!("maximum") && v.location.contains(&json!("take")));
    out.push(Negative {
        what: "`client.list_assistants().take(500)` (generated builder; spec: take ≤ 100)".into(),
        expected: "400 with an sl-violations `maximum` entry at request.query.take".into(),
        refused,
        called,
    });

    // A raw call with a body that breaks `minLength: 1` (the generated type refuses to build it, below).
    let raw = client.raw(reqwest::Method::POST, "/orgs/c/assistants").json(&json!({"name": ""}));
    let called = Called::of(raw.send_json::<serde_json::Value>().await);
    let refused = called.status == Some(400)
        && called.violations.iter().any(|v| v.code == json!("minLength") && v.location.contains(&json!("name")));
    out.push(Negative {
        what: "raw `POST /orgs/c/assistants` with `{\"name\": \"\"}` (spec: name minLength 1)".into(),
        expected: "400 with an sl-violations `minLength` entry at request.body.name".into(),
        refused,
        called,
    });

    // The same body through the generated builder never leaves the client.
    let result = client.create_assistant().body_map(|b| b.name("")).send().await;
    let refused = matches!(result, Err(invent_api::Error::InvalidRequest(_)));
    out.push(Negative {
        what: "`client.create_assistant().body_map(|b| b.name(\"\"))` (generated type)".into(),
        expected: "Error::InvalidRequest before sending".into(),
        refused,
        called: Called::of(result),
    });

    // A request without a bearer token fails Prism's security check.
    let called = Called::of(
        reqwest::Client::new()
            .get(format!("{base_url}/orgs/c/assistants"))
            .send()
            .await
            .map(|r| {
                let status = r.status();
                let headers = r.headers().clone();
                invent_api::ResponseValue::new((), status, headers)
            })
            .map_err(|e| invent_api::Error::InvalidRequest(format!("plain reqwest call failed: {e}"))),
    );
    let refused = called.status == Some(401) && called.violations.iter().any(|v| v.code == json!(401));
    out.push(Negative {
        what: "`GET /orgs/c/assistants` without `Authorization` (plain reqwest)".into(),
        expected: "401 with an sl-violations security entry".into(),
        refused,
        called,
    });
    out
}

/// One mode's results.
struct Suite {
    prism: Prism,
    rows: Vec<Row>,
    not_exercised: Vec<(String, String)>,
    negatives: Vec<Negative>,
    spec: Arc<Spec>,
}

impl Suite {
    fn report(&self) -> Report<'_> {
        Report {
            prism_version: &self.prism.version,
            mode: self.prism.mode,
            command: &self.prism.command,
            spec_version: self.spec.doc()["info"]["version"].as_str().unwrap_or("?").to_string(),
            rows: &self.rows,
            not_exercised: &self.not_exercised,
            negatives: &self.negatives,
            total: self.spec.operations().len(),
        }
    }
}

/// Every operation against Prism twice, concurrently: static responses (each operation's first example,
/// else built from the schema; the 51/51 gate) and dynamic ones (json-schema-faker, seeded, so
/// reproducible: nulls, optional fields and formats vary, which exercises decoding beyond the examples).
/// One report: stdout and `target/contract-report.md`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_against_prism() {
    let (static_suite, dynamic_suite) =
        tokio::join!(run_suite(Mode::Static), run_suite(Mode::Dynamic { seed: DYNAMIC_SEED }));
    let suites = [static_suite, dynamic_suite];

    let mut markdown = String::from("# Prism contract report\n\n");
    markdown.push_str(
        "Every operation of `openapi.json`, called through the generated client (`client.<op>()…send()`) with \
         arguments derived from the spec, against Prism in validating mock mode (`tests/contract_prism.rs`). \
         A call passes when Prism reports no violation (its `sl-violations` response header lists every request \
         and response violation; an invalid request is answered with the spec's 400/422, a failed security \
         check with 401, and with `--errors` an invalid response of Prism's own with a 500 problem+json), the \
         response decodes into the generated type, and the decoded value serialized back matches the JSON \
         Prism sent (same request repeated as a raw call).\n\n",
    );
    let mut verdicts = Vec::new();
    for suite in &suites {
        let report = suite.report();
        markdown.push_str(&report.markdown());
        markdown.push('\n');
        let negatives_failed: Vec<&Negative> = suite.negatives.iter().filter(|n| !n.refused).collect();
        verdicts.push((
            report.mode,
            report.exercised(),
            report.total,
            report.failures().len(),
            report.violations(),
            suite.not_exercised.len(),
            negatives_failed.len(),
        ));
    }
    let path = target_dir().join("contract-report.md");
    std::fs::write(&path, &markdown).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("{markdown}");
    for suite in &suites {
        println!("Prism {} log: {}", suite.prism.mode, suite.prism.log.display());
    }
    println!("report written to {}", path.display());

    for (mode, exercised, total, failed, violations, not_exercised, negatives_failed) in verdicts {
        assert_eq!(
            negatives_failed,
            0,
            "{mode}: Prism accepted requests it must refuse, so the suite could not see a violation; see {}",
            path.display()
        );
        assert!(
            failed == 0 && not_exercised == 0 && exercised == total,
            "contract ({mode}): {exercised}/{total} operations exercised, {failed} failed, {violations} violations, \
             {not_exercised} not exercised; see {}",
            path.display()
        );
    }
}
