//! `INVENT_ORG` goes through the same path-segment check as every other org id: `..` or `.` fails
//! `Client::from_env` (no silent fallback to the key's own org), a traversal id is one segment, and an
//! unset or blank variable means the key's own org. One test in a binary of its own: it changes the
//! process environment.

#[path = "common/loopback.rs"]
mod loopback;

use invent_api::{Client, ConfigError, Org};
use loopback::Reply;

#[tokio::test(flavor = "current_thread")]
async fn invent_org_is_one_segment_or_a_config_error() {
    let server = loopback::start(|_| Reply::json(200, "{}")).await;
    std::env::set_var("INVENT_API_KEY", "sk_test_env_org_0123456789");
    std::env::set_var("INVENT_BASE_URL", &server.url);
    std::env::remove_var("INVENT_LIMITER_REDIS_URL");

    for refused in ["..", ".", " .. "] {
        std::env::set_var("INVENT_ORG", refused);
        let result = Client::from_env();
        let Err(ConfigError::InvalidSetting { setting, reason }) = &result else { panic!("{refused:?}: {result:?}") };
        assert_eq!(*setting, "org");
        assert!(reason.contains("path segment"), "{reason}");
    }

    std::env::set_var("INVENT_ORG", r"..\org_B");
    let client = Client::builder_from_env().limiter(None).max_retries(0).build().expect("client");
    let _ = client.list_assistants().send().await;

    for blank in ["", "  "] {
        std::env::set_var("INVENT_ORG", blank);
        assert_eq!(Client::from_env().expect("client").org(), &Org::Current, "{blank:?}");
    }
    std::env::remove_var("INVENT_ORG");
    assert_eq!(Client::from_env().expect("client").org(), &Org::Current);

    let targets: Vec<String> = server.seen().into_iter().map(|s| format!("{} {}", s.method, s.target)).collect();
    assert_eq!(targets, ["GET /orgs/..%5Corg_B/assistants"]);
}
