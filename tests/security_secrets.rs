//! Secrets never printed: generated types redact the fields the spec names like secrets in their
//! `Debug` (rule `redact-secrets` in invent-spec), and a Redis URL keeps its user info and query
//! (either may carry a password) out of `Debug`, `Display`, errors and logs.

mod common;

#[path = "common/recorder.rs"]
mod recorder;

use invent_api::types;

const SENTINEL: &str = "sk_sentinel_secret_9f8e7d";

fn assistant(secret: Option<&str>) -> types::Assistant {
    let mut json = common::assistant("ast_1");
    json["secret_key"] = secret.map_or(serde_json::Value::Null, serde_json::Value::from);
    serde_json::from_value(json).expect("an Assistant")
}

#[test]
fn an_assistants_secret_key_is_redacted_in_debug() {
    let with = assistant(Some(SENTINEL));
    assert_eq!(with.secret_key.as_deref(), Some(SENTINEL), "the value itself is still there");
    for shown in [format!("{with:?}"), format!("{with:#?}")] {
        assert!(!shown.contains(SENTINEL), "{shown}");
        // The other fields print as the derive would print them.
        assert!(shown.contains(r#"id: "ast_1""#) && shown.contains("enabled: true"), "{shown}");
    }
    assert!(format!("{with:?}").contains("secret_key: Some(<redacted>)"), "{with:?}");
    assert!(format!("{with:#?}").contains("secret_key: Some(\n        <redacted>,\n    ),"), "{with:#?}");
    assert!(format!("{:?}", assistant(None)).contains("secret_key: None"));
    // Nested: a list of assistants, or an assistant inside a result, still hides it.
    let nested = format!("{:?}", Ok::<_, ()>(vec![with.clone()]));
    assert!(!nested.contains(SENTINEL) && nested.contains("<redacted>"), "{nested}");
    // Serialization is untouched: the value goes to the server and back as it is.
    assert_eq!(serde_json::to_value(&with).unwrap()["secret_key"], SENTINEL);
}

/// `generate_secret_key` is named like a secret but can only hold a boolean: printed as it is.
#[test]
fn a_boolean_named_like_a_secret_is_printed() {
    let request: types::CreateAssistantRequest =
        serde_json::from_value(serde_json::json!({"name": "A", "generate_secret_key": true})).expect("a request");
    let shown = format!("{request:?}");
    assert!(shown.contains("generate_secret_key: Some(true)"), "{shown}");
}

/// The secret-named properties of the vendored spec are the ones the tests above check.
#[test]
fn every_spec_property_named_like_a_secret_is_covered() {
    // The vendored spec's secret-named properties: all of them are `secret_key` (string) or
    // `generate_secret_key` (boolean); a new one fails here until it is checked above.
    let spec: serde_json::Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let mut names = std::collections::BTreeSet::new();
    collect(&spec, &mut names);
    let secret_like: Vec<&String> = names
        .iter()
        .filter(|n| {
            let n = n.to_ascii_lowercase();
            n.contains("secret")
                || n.contains("password")
                || n.ends_with("_key")
                || n.ends_with("_token")
                || n.ends_with("apikey")
        })
        .collect();
    assert_eq!(secret_like, ["generate_secret_key", "secret_key"], "a new secret-named property: test its Debug here");
}

fn collect(value: &serde_json::Value, names: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            map.values().for_each(|v| collect(v, names));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, names)),
        _ => {}
    }
}

#[cfg(feature = "redis")]
mod redis_urls {
    use super::*;
    use invent_api::{Client, LimiterConfig, SharedRedis};

    const URL: &str = "redis://admin:hunter2@127.0.0.1:6390/3?password=hunter3&user=root";

    fn assert_clean(shown: &str) {
        for secret in ["hunter2", "hunter3", "admin", "root"] {
            assert!(!shown.contains(secret), "`{secret}` in {shown}");
        }
    }

    #[test]
    fn debug_display_and_the_redacted_url_keep_only_scheme_host_port_and_db() {
        let shared = SharedRedis::new(URL, "svc");
        assert_eq!(shared.url_redacted(), "redis://<redacted>@127.0.0.1:6390/3?<redacted>");
        for shown in [format!("{shared:?}"), format!("{shared:#?}"), shared.to_string()] {
            assert_clean(&shown);
            assert!(shown.contains("127.0.0.1:6390/3"), "{shown}");
        }
        let config = LimiterConfig::default().shared_redis(shared);
        assert_clean(&format!("{config:?}"));
        let builder = Client::builder().api_key(common::TEST_KEY).limiter(Some(config));
        let shown = format!("{builder:?}");
        assert_clean(&shown);
        assert!(!shown.contains(common::TEST_KEY), "{shown}");
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"));
    }

    #[test]
    fn a_bad_url_is_an_error_without_its_secrets() {
        let bad = "http://admin:hunter2@127.0.0.1:6390/3?password=hunter3&user=root";
        let config = LimiterConfig::default().shared_redis(SharedRedis::new(bad, "svc"));
        let error = Client::builder().api_key(common::TEST_KEY).limiter(Some(config)).build().unwrap_err();
        assert!(error.to_string().contains("limiter.shared.url"), "{error}");
        assert_clean(&error.to_string());
        assert_clean(&format!("{error:?}"));
    }

    /// Redis refuses the connection: the warning that shared limiting stopped names the URL redacted.
    #[tokio::test]
    async fn logs_name_the_url_redacted() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("redis://admin:hunter2@127.0.0.1:{port}/3?password=hunter3&user=root");
        let server = httpmock::MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.any_request();
                then.status(200).json_body(serde_json::json!([]));
            })
            .await;
        let config = LimiterConfig::default().shared_redis(SharedRedis::new(url, "svc"));
        let client = Client::builder()
            .api_key(common::TEST_KEY)
            .base_url(server.base_url())
            .limiter(Some(config))
            .build()
            .unwrap();
        let recorder = recorder::Recorder::default();
        let _guard = tracing::subscriber::set_default(recorder.clone());
        client.list_assistants().send().await.expect("admitted by the local limiter");
        let logged = recorder.everything();
        assert!(logged.contains("Redis unusable"), "the warning was not recorded: {logged}");
        assert!(logged.contains(&format!("redis://<redacted>@127.0.0.1:{port}/3?<redacted>")), "{logged}");
        assert_clean(&logged);
    }
}
