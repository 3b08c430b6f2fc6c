//! One `invent.request` span per call with operation id, method, path template, org, status, attempt
//! count and duration; the API key never appears in any recorded field.

mod common;

#[path = "common/recorder.rs"]
mod recorder;

use httpmock::prelude::*;
use recorder::{field, Recorder};

#[tokio::test]
async fn a_call_records_one_span_with_the_operation_facts() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/org_sub/assistants");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    common::client(&server).for_org("org_sub").list_assistants().send().await.expect("call");

    let span = recorder.span("invent.request");
    assert_eq!(field(&span, "operation"), "list_assistants");
    assert_eq!(field(&span, "method"), "GET");
    assert_eq!(field(&span, "path"), "/orgs/{org_id}/assistants");
    assert_eq!(field(&span, "org"), "org_sub");
    assert_eq!(field(&span, "status"), "200");
    assert_eq!(field(&span, "attempts"), "1");
    assert!(field(&span, "duration_ms").parse::<u64>().is_ok());
    assert!(!recorder.everything().contains(common::TEST_KEY), "key leaked into tracing: {}", recorder.everything());
}

#[path = "common/faults.rs"]
mod faults;

/// Targets and names of every span and event, with each event's message.
#[derive(Clone, Default)]
struct Targets(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

struct Message<'a>(&'a mut String);

impl tracing::field::Visit for Message<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Targets {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let meta = span.metadata();
        self.0.lock().unwrap().push((meta.target().to_string(), meta.name().to_string()));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        self.0.lock().unwrap().push((event.metadata().target().to_string(), message));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A log filter selects by target (`invent_api::call=info,invent_api::retry=debug`): the call span and
/// the retry event keep the targets they had when their code lived in `call.rs` and `retry.rs`.
#[tokio::test(start_paused = true)]
async fn the_call_span_and_the_retry_event_keep_their_targets() {
    let server = faults::FaultServer::sequence(vec![faults::Reply::status(503), faults::Reply::ok()]).await;
    let targets = Targets::default();
    let _guard = tracing::subscriber::set_default(targets.clone());
    let client = invent_api::Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(server.base_url())
        .limiter(None)
        .retry(invent_api::RetryConfig::default().jitter_seed(7))
        .build()
        .unwrap();
    let status = client.raw(invent_api::Method::GET, "/ping").send().await.expect("the retry succeeds").status();
    assert_eq!(status, 200);
    assert_eq!(server.requests(), 2);

    let seen = targets.0.lock().unwrap().clone();
    let has = |target: &str, name: &str| seen.iter().any(|(t, n)| t == target && n == name);
    assert!(has("invent_api::call", "invent.request"), "{seen:?}");
    assert!(has("invent_api::retry", "retrying"), "{seen:?}");
}
