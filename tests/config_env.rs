//! `Client::from_env`: `INVENT_API_KEY` (required), `INVENT_BASE_URL`, `INVENT_ORG`. One test, because
//! the environment is process-wide.

mod common;

use httpmock::prelude::*;
use invent_api::{Client, Org};

#[tokio::test]
async fn from_env_reads_key_base_url_and_org() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/org_env/assistants").header("authorization", "Bearer env_key");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;

    // SAFETY (edition 2021: plain fns): this file has one test, so nothing reads the env concurrently.
    std::env::remove_var("INVENT_API_KEY");
    std::env::remove_var("INVENT_ORG");
    std::env::set_var("INVENT_BASE_URL", server.base_url());
    let err = Client::from_env().expect_err("no key");
    assert!(err.to_string().contains("INVENT_API_KEY"), "{err}");

    std::env::set_var("INVENT_API_KEY", "env_key");
    std::env::set_var("INVENT_ORG", "org_env");
    let client = Client::from_env().expect("client from env");
    assert_eq!(client.org(), &Org::Id("org_env".into()));
    client.list_assistants().send().await.expect("call");
    m.assert_calls_async(1).await;
}
