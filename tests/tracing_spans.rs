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
