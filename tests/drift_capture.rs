//! Drift capture (feature `drift`) through real client calls against a loopback server that behaves
//! like a future Invent: what is found, that only shapes are kept (sentinel values never reach a
//! report), sampling, the bound on findings, the JSON-lines sink, the environment variables, the
//! tracing event; and the whole loop: capture → `invent-spec learn` → the crate rebuilt from the
//! learned overrides has the new field → `invent-spec diff` calls the change non-breaking.

#[path = "common/loopback.rs"]
mod loopback;
#[path = "common/recorder.rs"]
mod recorder;
#[path = "common/spec_program.rs"]
mod spec_program;

use std::path::{Path, PathBuf};

use invent_api::{Client, DriftConfig, DriftKind, DriftReport, Error};
use loopback::{Reply, Seen};
use serde_json::{json, Value};

const KEY: &str = "sk_test_drift_0123456789";

fn client(url: &str, drift: DriftConfig) -> Client {
    match Client::builder().api_key(KEY).base_url(url).limiter(None).max_retries(0).drift(drift).build() {
        Ok(client) => client,
        Err(e) => panic!("client for {url}: {e}"),
    }
}

fn reply(status: u16, media: &str, body: &Value) -> Reply {
    Reply { status, headers: vec![("content-type".into(), media.into())], body: body.to_string() }
}

/// An assistant as a future Invent returns it: a new top-level property, a new property nested in an
/// inline object (`config.tts`) and one in the items of an array (`actions[]`).
fn future_assistant() -> Value {
    json!({
        "id": "ast_1", "name": "Front desk", "enabled": true,
        "mood": "calm",
        "config": {"model": "gpt-4o", "tts": {"voice_id": "v1", "speed": 1.25}},
        "actions": [
            {"id": "act_1", "enabled": true, "name": null, "instructions": null, "action_id": "TOOLS:HTTP_REQUEST", "retries": 3},
            {"id": "act_2", "enabled": false, "name": "Search", "instructions": "Look it up", "action_id": "TOOLS:WEB_SEARCH", "retries": 0}
        ]
    })
}

/// The future Invent: new properties, a new enum value, a new status (409) and a new media type on an
/// error (400 as `application/problem+json`).
fn future_invent(request: &Seen) -> Reply {
    match request.path() {
        "/orgs/c/assistants/ast_1" => reply(200, "application/json", &future_assistant()),
        "/orgs/c/assistants/ast_busy" => reply(409, "application/json", &json!({"error": "assistant is busy"})),
        "/orgs/c/assistants/ast_bad" => {
            reply(400, "application/problem+json", &json!({"type": "about:blank", "title": "Bad id", "status": 400}))
        }
        "/orgs/c/connections" => reply(
            200,
            "application/json",
            &json!([{"id": "con_1", "type": "PHONE", "status": "ACTIVE"}, {"id": "con_2", "type": "BLUESKY", "status": "ACTIVE"}]),
        ),
        _ => reply(404, "application/json", &json!({"error": "not found"})),
    }
}

/// The calls a program makes against the future Invent (each error is the expected one).
async fn exercise(client: &Client) {
    let assistant = client.get_assistant().assistant_id("ast_1").send().await.expect("an assistant");
    assert_eq!(assistant.name, "Front desk", "the known part decodes as before");
    client.list_connections().send().await.expect("connections (the new type decodes as Unknown)");
    for (id, status) in [("ast_busy", 409), ("ast_bad", 400)] {
        match client.get_assistant().assistant_id(id).send().await {
            Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), status),
            other => panic!("{id}: expected an API error, got {other:?}"),
        }
    }
}

/// Kind, operation, status, schema pointer, name, literal.
type Row = (DriftKind, String, u16, String, Option<String>, Option<Value>);

fn summary(report: &DriftReport) -> Vec<Row> {
    let mut rows: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.kind, f.operation.clone(), f.status, f.schema.clone(), f.name.clone(), f.value.clone()))
        .collect();
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

#[tokio::test]
async fn future_invent_drift_is_captured_per_operation_and_schema_place() {
    let server = loopback::start(future_invent).await;
    let client = client(&server.url, DriftConfig::all());
    exercise(&client).await;
    exercise(&client).await;
    let report = client.drift_report();
    let get = "/paths/~1orgs~1{org_id}~1assistants~1{assistant_id}/get/responses";
    let s = |x: &str| x.to_string();
    let mut expected = vec![
        (DriftKind::PropertyAdded, s("getAssistant"), 200, s("/components/schemas/Assistant"), Some(s("mood")), None),
        (
            DriftKind::PropertyAdded,
            s("getAssistant"),
            200,
            s("/components/schemas/AssistantAction"),
            Some(s("retries")),
            None,
        ),
        (
            DriftKind::PropertyAdded,
            s("getAssistant"),
            200,
            s("/components/schemas/AssistantConfig/properties/tts"),
            Some(s("speed")),
            None,
        ),
        (
            DriftKind::EnumValueAdded,
            s("listConnections"),
            200,
            s("/components/schemas/ConnectionType"),
            None,
            Some(json!("BLUESKY")),
        ),
        (DriftKind::StatusUndeclared, s("getAssistant"), 409, s(get), None, None),
        (DriftKind::MediaTypeUndeclared, s("getAssistant"), 400, s("/components/responses/BadRequest"), None, None),
    ];
    expected.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(summary(&report), expected, "{report:#?}");
    assert_eq!(report.checked, 8, "every response of the two rounds was checked");
    for f in &report.findings {
        assert_eq!(f.count, 2, "{f:?}");
        assert!(f.first_seen.ends_with('Z') && f.first_seen.len() == 20, "RFC 3339 UTC: {}", f.first_seen);
        assert!(f.first_seen <= f.last_seen);
    }
    let sketch_of =
        |name: &str| report.findings.iter().find(|f| f.name.as_deref() == Some(name)).and_then(|f| f.sketch.clone());
    assert_eq!(sketch_of("speed"), Some(json!({"type": "number"})));
    assert_eq!(sketch_of("retries"), Some(json!({"type": "integer"})));
    let status = report.of_kind(DriftKind::StatusUndeclared).next().expect("the 409");
    assert_eq!(status.sketch, Some(json!({"type": "object", "properties": {"error": {"type": "string"}}})));
    assert_eq!(status.media_type.as_deref(), Some("application/json"));
    let problem = report.of_kind(DriftKind::MediaTypeUndeclared).next().expect("the problem+json");
    assert_eq!(problem.media_type.as_deref(), Some("application/problem+json"));
}

#[tokio::test]
async fn a_client_without_capture_or_with_rate_zero_records_nothing() {
    let server = loopback::start(future_invent).await;
    for config in [DriftConfig::off(), DriftConfig::sampled(0.0)] {
        let client = client(&server.url, config);
        exercise(&client).await;
        assert_eq!(client.drift_report(), DriftReport::default());
        client.drift_flush().expect("nothing to write");
    }
    let plain = Client::builder().api_key(KEY).base_url(&server.url).limiter(None).build().expect("client");
    exercise(&plain).await;
    assert!(plain.drift_report().is_empty(), "off by default");
}

/// Strings and numbers that must never reach a report.
const SENTINELS: [&str; 9] = [
    "SENTINEL-MESSAGE Please call me back about my order",
    "sentinel.person@example.com",
    "Zebulon Sentinelson",
    "+1-555-0100-SENTINEL",
    "sentinel_token_value_do_not_store",
    "987654321",
    "4.736291",
    "SENTINEL-ERROR your card was declined",
    "sentinel-map-key@example.com",
];

fn sentinel_invent(request: &Seen) -> Reply {
    match request.path() {
        "/orgs/c/contacts" => reply(
            200,
            "application/json",
            &json!([{
                "id": "ctc_1", "name": SENTINELS[2], "email": SENTINELS[1], "phone": SENTINELS[3],
                "blocked": false, "is_admin": false, "channels": [], "segments": [],
                "note_text": SENTINELS[0],
                "secret_answer": {"value": SENTINELS[4], "score": 987654321, "ratio": 4.736291},
                "by_email": {SENTINELS[8]: {"last_message": SENTINELS[0]}},
                "history": [SENTINELS[0], SENTINELS[2]]
            }]),
        ),
        "/orgs/c/connections" => reply(
            200,
            "application/json",
            &json!([{"id": "con_1", "type": SENTINELS[2], "status": SENTINELS[0], "name": SENTINELS[1]}]),
        ),
        _ => reply(
            402,
            "application/json",
            &json!({"message": SENTINELS[7], "customer": SENTINELS[1], "amount": 987654321}),
        ),
    }
}

#[tokio::test]
async fn a_body_full_of_sentinel_values_leaves_only_shapes_in_the_report() {
    let server = loopback::start(sentinel_invent).await;
    let dir = scratch("sentinels");
    let file = dir.join("drift.jsonl");
    let client = client(&server.url, DriftConfig::all().file(&file));
    client.list_contacts().send().await.expect("contacts decode");
    client.list_connections().send().await.expect("connections decode");
    let _ = client.get_assistant().assistant_id("ast_1").send().await;
    let report = client.drift_report();
    assert!(report.findings.len() >= 6, "the drift was found: {report:#?}");
    assert!(
        report.of_kind(DriftKind::EnumValueAdded).all(|f| f.value.is_none()),
        "sentences in enum places are withheld"
    );
    client.drift_flush().expect("written");
    let written = std::fs::read_to_string(&file).expect("the report file");
    for text in [report.to_json_lines(), format!("{report:?}"), written] {
        for sentinel in SENTINELS {
            assert!(!text.contains(sentinel), "`{sentinel}` leaked into:\n{text}");
        }
        for fragment in ["SENTINEL", "sentinel", "@example.com", "Zebulon", "555"] {
            assert!(!text.contains(fragment), "`{fragment}` leaked into:\n{text}");
        }
    }
    println!("sentinel report:\n{}", report.to_json_lines());
}

/// A body the generated type cannot decode is still checked whole (the walk that rides along the
/// decode stops with it, so the bytes are walked on their own): the call fails with the decode error
/// and the report says what departed, before and after the place the decode stopped.
#[tokio::test]
async fn a_body_that_fails_to_decode_is_checked_whole() {
    let server = loopback::start(|_: &Seen| {
        let body = json!({"id": "ast_1", "enabled": "yes", "name": "Front desk", "mood": "calm"});
        reply(200, "application/json", &body)
    })
    .await;
    let client = client(&server.url, DriftConfig::all());
    let failed = client.get_assistant().assistant_id("ast_1").send().await;
    assert!(matches!(failed, Err(Error::Decode(_))), "{failed:?}");
    let found: Vec<_> = client.drift_report().findings.iter().map(|f| (f.kind, f.name.clone())).collect();
    assert!(found.contains(&(DriftKind::TypeMismatch, None)), "{found:?}");
    assert!(found.contains(&(DriftKind::PropertyAdded, Some("mood".into()))), "after the failure too: {found:?}");
}

#[tokio::test]
async fn sampling_checks_about_the_rate_and_the_same_seed_samples_the_same_calls() {
    let server = loopback::start(future_invent).await;
    let mut checked = Vec::new();
    for seed in [1, 1, 2] {
        let client = client(&server.url, DriftConfig::sampled(0.25).seed(seed));
        for _ in 0..200 {
            client.list_connections().send().await.expect("connections");
        }
        checked.push(client.drift_report().checked);
    }
    assert_eq!(checked[0], checked[1], "same seed, same sample");
    for n in &checked {
        // Binomial(200, 0.25): mean 50, sd 6.1; ±25 is over 4 sd.
        assert!((25..=75).contains(n), "{checked:?}");
    }
}

#[tokio::test]
async fn the_store_is_bounded_and_counts_what_it_dropped() {
    let server = loopback::start(future_invent).await;
    let client = client(&server.url, DriftConfig::all().max_findings(2));
    exercise(&client).await;
    let report = client.drift_report();
    assert_eq!(report.findings.len(), 2);
    assert_eq!(report.dropped, 4, "four more distinct findings arrived");
    let text = report.to_json_lines();
    let last: Value = serde_json::from_str(text.lines().last().expect("lines")).expect("JSON");
    assert_eq!(last, json!({"drift": 1, "kind": "findings-dropped", "count": 4}));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("invent-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test]
async fn the_sink_appends_counts_since_the_last_write_on_flush_and_when_the_client_goes() {
    let server = loopback::start(future_invent).await;
    let dir = scratch("sink");
    let file = dir.join("drift.jsonl");
    let client = client(&server.url, DriftConfig::all().file(&file));
    client.list_connections().send().await.expect("connections");
    client.list_connections().send().await.expect("connections");
    client.drift_flush().expect("flush");
    let first = lines(&file);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0]["kind"].as_str(), first[0]["count"].as_u64()), (Some("enum-value-added"), Some(2)));
    client.drift_flush().expect("nothing new");
    assert_eq!(lines(&file).len(), 1, "a flush with nothing new writes nothing");
    client.list_connections().send().await.expect("connections");
    let clone = client.clone();
    drop(client);
    assert_eq!(lines(&file).len(), 1, "a clone still holds the capture");
    drop(clone);
    let all = lines(&file);
    assert_eq!(all.len(), 2, "the last clone wrote the rest");
    assert_eq!(all[1]["count"], 1, "counts since the last write");
    let merged =
        invent_spec::drift::report::Reports::read(&[file.display().to_string()]).expect("readable by invent-spec");
    assert_eq!(merged.findings.len(), 1);
    assert_eq!(merged.findings[0].count, 3, "readers add the counts up");
}

#[tokio::test]
async fn the_environment_configures_capture_for_from_env() {
    let server = loopback::start(future_invent).await;
    let dir = scratch("env");
    let file = dir.join("env.jsonl");
    // This file's only test that reads the environment.
    std::env::set_var("INVENT_API_KEY", KEY);
    std::env::set_var("INVENT_BASE_URL", &server.url);
    std::env::set_var(invent_api::ENV_DRIFT_FILE, &file);
    std::env::set_var(invent_api::ENV_DRIFT_SAMPLE, "1");
    let client = Client::builder_from_env().limiter(None).build().expect("from the environment");
    client.list_connections().send().await.expect("connections");
    assert_eq!(client.drift_report().findings.len(), 1);
    drop(client);
    assert_eq!(lines(&file).len(), 1);
    std::env::set_var(invent_api::ENV_DRIFT_SAMPLE, "often");
    let error = Client::builder_from_env().build().expect_err("a rate that is not a number");
    assert!(error.to_string().contains("drift.sample"), "{error}");
    for name in ["INVENT_API_KEY", "INVENT_BASE_URL", invent_api::ENV_DRIFT_FILE, invent_api::ENV_DRIFT_SAMPLE] {
        std::env::remove_var(name);
    }
}

#[tokio::test]
async fn each_new_finding_is_one_tracing_event_and_repeats_are_not() {
    let server = loopback::start(future_invent).await;
    let events = recorder::Recorder::default();
    let _guard = tracing::subscriber::set_default(events.clone());
    let client = client(&server.url, DriftConfig::all());
    client.list_connections().send().await.expect("connections");
    client.list_connections().send().await.expect("connections");
    let found = events.find("new drift: the response departs from the spec");
    assert_eq!(found.len(), 1, "{}", events.everything());
    assert_eq!(recorder::field(&found[0], "kind"), "enum-value-added");
    assert_eq!(recorder::field(&found[0], "operation"), "listConnections");
    assert_eq!(recorder::field(&found[0], "schema"), "/components/schemas/ConnectionType");
}

/// The consumer program built against the crate generated from the learned overrides: it reads the
/// learned fields as typed fields (it does not compile without them).
const LEARNED_MAIN: &str = r##"
use invent_api::types;

fn main() {
    let body = r#"{"id": "ast_1", "name": "Front desk", "enabled": true, "mood": "calm",
        "config": {"tts": {"voice_id": "v1", "speed": 1.25}},
        "actions": [{"id": "act_1", "enabled": true, "name": null, "instructions": null,
                     "action_id": "TOOLS:HTTP_REQUEST", "retries": 3}]}"#;
    let assistant: types::Assistant = serde_json::from_str(body).expect("an assistant");
    let mood: Option<String> = assistant.mood.clone();
    let speed: Option<f64> = assistant.config.as_ref().and_then(|c| c.tts.as_ref()).and_then(|t| t.speed);
    let retries: Vec<Option<i64>> = assistant.actions.iter().map(|a| a.retries).collect();
    let bluesky: types::ConnectionType = serde_json::from_str("\"BLUESKY\"").expect("a connection type");
    println!("Assistant.mood: Option<String> = {mood:?}");
    println!("AssistantConfigTts.speed: Option<f64> = {speed:?}");
    println!("AssistantAction.retries: Option<i64> = {retries:?}");
    println!("ConnectionType::Bluesky typed: {}", matches!(bluesky, types::ConnectionType::Bluesky));
}
"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_invent_drift_is_learned_and_the_rebuilt_crate_types_the_new_field() {
    use invent_spec::drift::{learn, report::Reports, verify};

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = scratch("end-to-end");
    // 1. Capture: real calls against the future Invent.
    let server = loopback::start(future_invent).await;
    let report_path = dir.join("drift.jsonl");
    let client = client(&server.url, DriftConfig::all().file(&report_path));
    exercise(&client).await;
    drop(client);
    let report_text = std::fs::read_to_string(&report_path).expect("the report");
    println!("--- drift report ({})\n{report_text}", report_path.display());
    for value in ["calm", "1.25", "Front desk", "assistant is busy", "Bad id", "con_2", "act_1"] {
        assert!(!report_text.contains(value), "the value `{value}` is in the report");
    }

    // 2. Learn into the overrides.
    let read =
        |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).expect("JSON") };
    let spec = read(&root.join("openapi.json"));
    let overrides = read(&root.join("spec-overrides.json"));
    let reports = Reports::read(&[report_path.display().to_string()]).expect("a valid report");
    let learned = learn::learn(&spec, &overrides, &reports).expect("learned");
    let paths: Vec<&str> = learned.added.iter().filter_map(|(_, p)| p["path"].as_str()).collect();
    assert_eq!(
        paths,
        [
            "/components/schemas/Assistant/properties/mood",
            "/components/schemas/AssistantAction/properties/retries",
            "/components/schemas/AssistantConfig/properties/tts/properties/speed",
            "/components/schemas/ConnectionType/enum/-",
            "/paths/~1orgs~1{org_id}~1assistants~1{assistant_id}/get/responses/409",
            "/components/responses/BadRequest/content/application~1problem+json",
        ]
    );
    assert!(learned.review.is_empty(), "{:?}", learned.review);
    let new_patches = &learned.overrides["patches"].as_array().expect("patches")
        [overrides["patches"].as_array().map_or(0, Vec::len)..];
    println!(
        "--- patches learned into spec-overrides.json\n{}",
        serde_json::to_string_pretty(new_patches).unwrap_or_default()
    );
    for patch in new_patches {
        let evidence = &patch[learn::EVIDENCE];
        assert_eq!(evidence["count"], 1, "{patch}");
        assert!(evidence["first_seen"].as_str().is_some_and(|t| t.ends_with('Z')), "{patch}");
    }
    // Nothing removed: the old overrides are a prefix of the new ones, member by member.
    for (key, value) in overrides.as_object().expect("an object") {
        if key == "patches" {
            assert!(learned.overrides["patches"]
                .as_array()
                .expect("patches")
                .starts_with(value.as_array().expect("list")));
        } else {
            assert_eq!(&learned.overrides[key], value, "{key} unchanged");
        }
    }
    // Idempotent: the same report learned again changes nothing.
    let again = learn::learn(&spec, &learned.overrides, &reports).expect("learned again");
    assert!(again.added.is_empty(), "{:?}", again.added);
    assert_eq!(again.overrides, learned.overrides, "a second run changes nothing");
    // Verify: the old overrides miss six findings, the learned ones none.
    assert_eq!(verify::verify(&spec, Some(&overrides), &reports).expect("verdict").undescribed(), 6);
    assert_eq!(verify::verify(&spec, Some(&learned.overrides), &reports).expect("verdict").undescribed(), 0);
    let learned_path = dir.join("spec-overrides.learned.json");
    std::fs::write(&learned_path, serde_json::to_string_pretty(&learned.overrides).expect("JSON")).expect("written");

    // 3. Rebuild the crate from the learned overrides; the new fields are typed.
    let printed = tokio::task::spawn_blocking({
        let spec = root.join("openapi.json");
        move || spec_program::run_with("drift-learned", &spec, Some(&learned_path), LEARNED_MAIN)
    })
    .await
    .expect("the build ran");
    println!("--- the rebuilt crate\n{}", printed.join("\n"));
    assert_eq!(
        printed,
        [
            "Assistant.mood: Option<String> = Some(\"calm\")",
            "AssistantConfigTts.speed: Option<f64> = Some(1.25)",
            "AssistantAction.retries: Option<i64> = [Some(3)]",
            "ConnectionType::Bluesky typed: true",
        ]
    );

    // 4. diff: what the learned spec changes for the generated client.
    let patched = learn::patched_spec(&spec, &learned).expect("patched");
    let diff = invent_spec::diff::diff_values("openapi.json", &spec, "learned.json", &patched, Some(&overrides))
        .expect("diff");
    println!("--- invent-spec diff openapi.json learned.json\n{}", diff.to_text());
    let kinds: Vec<(&str, bool)> = diff.changes.iter().map(|c| (c.kind, c.breaking)).collect();
    assert!(kinds.contains(&("property-added", false)), "{kinds:?}");
    assert!(
        diff.changes.iter().filter(|c| c.kind != "enum-value-added").all(|c| !c.breaking),
        "only the new variant of a response enum may count as breaking: {kinds:?}"
    );
}
