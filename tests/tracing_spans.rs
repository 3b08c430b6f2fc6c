//! One `invent.request` span per call with operation id, method, path template, org, status, attempt
//! count and duration; the API key never appears in any recorded field.

mod common;

use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span's name and its fields as text.
type SpanRecord = (String, Vec<(String, String)>);

/// Records every span's name and fields as text.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_string(), format!("{value:?}").trim_matches('"').to_string()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut spans = self.spans.lock().unwrap();
        let mut fields = Vec::new();
        span.record(&mut Fields(&mut fields));
        spans.push((span.metadata().name().to_string(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, fields)) = spans.get_mut(id.into_u64() as usize - 1) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.spans.lock().unwrap().push(("event".into(), fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Recorder {
    fn span(&self, name: &str) -> Vec<(String, String)> {
        let spans = self.spans.lock().unwrap();
        let found: Vec<_> = spans.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(found.len(), 1, "expected one `{name}` span, got {spans:?}");
        found[0].1.clone()
    }
    fn everything(&self) -> String {
        format!("{:?}", self.spans.lock().unwrap())
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no `{name}` in {fields:?}"))
}

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
