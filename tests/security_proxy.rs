//! A loopback `http://` base URL ignores the proxy environment variables: with `HTTP_PROXY` and
//! `ALL_PROXY` pointing at a loopback "proxy" that records what it gets, the key and the request go
//! straight to the server. A plain `reqwest::Client` in the same process does go through the proxy,
//! which shows the variables are in force.
//!
//! A test binary of its own: the variables are set once, before any HTTP client reads them, and
//! cannot leak into other tests.

#[path = "common/loopback.rs"]
mod loopback;

use std::sync::OnceLock;

use invent_api::Client;
use loopback::{Reply, Server};

const KEY: &str = "sk_test_proxy_do_not_leak_0123";

/// The recording proxy, and the environment pointing at it (set once, before any client is built).
async fn proxy() -> &'static Server {
    static PROXY: OnceLock<Server> = OnceLock::new();
    if let Some(proxy) = PROXY.get() {
        return proxy;
    }
    let server = loopback::start(|_| Reply::json(502, "{}")).await;
    PROXY.get_or_init(|| {
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"] {
            std::env::set_var(name, &server.url);
        }
        for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
            std::env::remove_var(name);
        }
        server
    })
}

/// One test, so the environment is changed while no other test thread reads it.
#[tokio::test(flavor = "current_thread")]
async fn a_loopback_base_url_ignores_the_proxy_variables() {
    let proxy = proxy().await;
    let server = loopback::start(|_| Reply::json(200, "{}")).await;

    // The variables work: a plain client sends its request (absolute URL) to the proxy.
    let plain = reqwest::Client::new();
    let answer = plain.get(format!("{}/control", server.url)).send().await.expect("the proxy answers");
    assert_eq!(answer.status().as_u16(), 502);
    let through_proxy = proxy.seen();
    assert_eq!(through_proxy.len(), 1, "{through_proxy:?}");
    assert_eq!(through_proxy[0].target, format!("{}/control", server.url));
    assert_eq!(server.count(), 0);
    proxy.clear();

    for base in [server.url.clone(), format!("http://localhost:{}", server.port)] {
        let client = Client::builder().api_key(KEY).base_url(&base).limiter(None).max_retries(0).build().unwrap();
        let _ = client.list_chat_memories().chat_id("cht_1").send().await;
        let _ = client.raw(reqwest::Method::POST, "/chats/cht_1/messages").json(&1).send().await;
    }
    assert_eq!(proxy.count(), 0, "the proxy saw {:?}", proxy.seen());
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    for request in &seen {
        assert!(request.target.starts_with("/chats/cht_1/"), "{request:?}");
        assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    }
}
