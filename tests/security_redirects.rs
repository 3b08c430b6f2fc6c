//! Requests stay on their origin. The client the crate builds follows no redirect: a `301`/`302`/`303`/
//! `307`/`308` to another port, host or scheme is an `Error::Api` with that status, and the other
//! origin sees nothing — no `GET`, no `POST` body. With a caller-supplied `reqwest::Client` that follows
//! redirects, an answer from another origin is `Error::OriginChanged`: never decoded as Invent's,
//! never retried.

#[path = "common/loopback.rs"]
mod loopback;

use std::time::Duration;

use invent_api::{types, Client, Error, RetryConfig};
use loopback::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const KEY: &str = "sk_test_redirects_do_not_leak_01";
const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];
const MESSAGE: &str = "my card number is 4111 1111 1111 1111";

fn assistant() -> String {
    json!({ "id": "ast_foreign", "name": "not Invent", "enabled": true }).to_string()
}

/// The foreign server: answers as if it were Invent.
async fn foreign() -> Server {
    loopback::start(|_| Reply::json(200, &assistant())).await
}

/// Invent's stand-in: answers every request with `status` and `Location: location`.
async fn redirecting(status: u16, location: String) -> Server {
    loopback::start(move |_| Reply::redirect(status, &location)).await
}

/// Other port, other host (and port), other scheme.
fn elsewhere(foreign: &Server) -> [String; 3] {
    [
        format!("http://127.0.0.1:{}/stolen", foreign.port),
        format!("http://localhost:{}/stolen", foreign.port),
        format!("https://127.0.0.1:{}/stolen", foreign.port),
    ]
}

fn builder(url: &str) -> invent_api::ClientBuilder {
    Client::builder().api_key(KEY).base_url(url).limiter(None).max_retries(0)
}

/// A `GET` (generated), a `POST` with the customer's message (generated) and a raw `POST`.
async fn calls(client: &Client) -> [(Method, Result<(), Error>); 3] {
    let body: types::CreateChatMessageRequest =
        serde_json::from_value(json!({ "message": [{ "type": "text", "text": MESSAGE }] })).expect("body");
    [
        (Method::GET, client.get_assistant().assistant_id("ast_1").send().await.map(drop)),
        (Method::POST, client.create_chat_message().chat_id("cht_1").body(body).send().await.map(drop)),
        (
            Method::POST,
            client.raw(Method::POST, "/chats/cht_1/messages").json(&json!({ "text": MESSAGE })).send().await.map(drop),
        ),
    ]
}

#[tokio::test]
async fn the_built_client_follows_no_redirect_to_another_origin() {
    let foreign = foreign().await;
    let mut cases = 0;
    for status in STATUSES {
        for location in elsewhere(&foreign) {
            let origin = redirecting(status, location.clone()).await;
            let client = builder(&origin.url).build().unwrap();
            for (method, result) in calls(&client).await {
                let label = format!("{method} answered {status} → {location}");
                let Err(Error::Api(error)) = &result else { panic!("{label}: {result:?}") };
                assert_eq!(error.status, StatusCode::from_u16(status).unwrap(), "{label}");
                assert_eq!(error.headers.get("location").and_then(|v| v.to_str().ok()), Some(location.as_str()));
                cases += 1;
            }
            assert_eq!(origin.count(), 3, "{status} → {location}: {:?}", origin.seen());
            assert_eq!(foreign.count(), 0, "{status} → {location}: the other origin saw {:?}", foreign.seen());
        }
    }
    assert_eq!(cases, 5 * 3 * 3);
}

#[tokio::test]
async fn a_redirect_on_the_same_origin_is_not_followed_either() {
    let origin = loopback::start(|seen| {
        if seen.path() == "/elsewhere" {
            Reply::json(200, &assistant())
        } else {
            Reply::redirect(307, "/elsewhere")
        }
    })
    .await;
    let client = builder(&origin.url).build().unwrap();
    let result = client.get_assistant().assistant_id("ast_1").send().await;
    assert!(matches!(&result, Err(Error::Api(e)) if e.status == StatusCode::TEMPORARY_REDIRECT), "{result:?}");
    assert_eq!(origin.count(), 1);
}

/// A caller-supplied client with reqwest's default policy follows the redirect: the answer from the
/// other origin is refused with `OriginChanged` (HTTP) or fails to connect (HTTPS to a plain server);
/// it is never decoded, and the key never reaches the other origin.
#[tokio::test]
async fn a_supplied_client_that_follows_redirects_gets_origin_changed() {
    let foreign = foreign().await;
    let mut cases = 0;
    for status in STATUSES {
        for location in elsewhere(&foreign) {
            let origin = redirecting(status, location.clone()).await;
            let client = builder(&origin.url).http_client(reqwest::Client::new()).build().unwrap();
            for (method, result) in calls(&client).await {
                let label = format!("{method} answered {status} → {location}");
                if location.starts_with("https") {
                    assert!(matches!(result, Err(Error::Transport { .. })), "{label}: {result:?}");
                } else {
                    let Err(Error::OriginChanged { expected, actual, attempts }) = &result else {
                        panic!("{label}: {result:?}")
                    };
                    assert_eq!(expected, &origin.url, "{label}");
                    assert_eq!(actual, location.trim_end_matches("/stolen"), "{label}");
                    assert_eq!(*attempts, 1);
                    assert!(result.as_ref().unwrap_err().to_string().contains("not used"));
                }
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 5 * 3 * 3);
    for seen in foreign.seen() {
        assert_eq!(seen.header("authorization"), None, "the key reached the other origin: {seen:?}");
    }
}

/// The same client with `Policy::none()` (what `http_client`'s docs ask for) sends nothing elsewhere.
#[tokio::test]
async fn a_supplied_client_without_redirects_sends_nothing_elsewhere() {
    let foreign = foreign().await;
    let origin = redirecting(307, format!("{}/stolen", foreign.url)).await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client = builder(&origin.url).http_client(http).build().unwrap();
    for (method, result) in calls(&client).await {
        assert!(matches!(&result, Err(Error::Api(e)) if e.status.as_u16() == 307), "{method}: {result:?}");
    }
    assert_eq!(foreign.count(), 0);
}

/// A foreign `503` to a `GET` would be retried if it were Invent's; it is not: one request, and the
/// call ends with `OriginChanged`.
#[tokio::test]
async fn a_foreign_answer_is_not_retried() {
    let foreign = loopback::start(|_| Reply::json(503, "{}")).await;
    let origin = redirecting(302, format!("{}/stolen", foreign.url)).await;
    let fast = RetryConfig::default().base_delay(Duration::from_millis(1)).max_delay(Duration::from_millis(1));
    let client = builder(&origin.url).retry(fast).max_retries(2).http_client(reqwest::Client::new()).build().unwrap();
    let result = client.get_assistant().assistant_id("ast_1").send().await;
    assert!(matches!(result, Err(Error::OriginChanged { attempts: 1, .. })), "{result:?}");
    assert_eq!((origin.count(), foreign.count()), (1, 1));
}

/// A supplied client that gives up on a redirect loop on Invent's own origin: the call fails with that
/// error and is not retried (another attempt would loop the same way), whatever the method.
#[tokio::test]
async fn a_redirect_loop_is_not_retried() {
    let origin = loopback::start(|seen| Reply::redirect(307, seen.path())).await;
    let follows = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
    let fast = RetryConfig::default().base_delay(Duration::from_millis(1)).max_delay(Duration::from_millis(1));
    let client = builder(&origin.url).retry(fast).max_retries(2).http_client(follows).build().unwrap();
    let result = client.get_assistant().assistant_id("ast_1").send().await;
    match result {
        Err(Error::Transport { ref source, attempts: 1, .. }) if source.is_redirect() => {}
        other => panic!("expected one attempt ending in a redirect error, got {other:?}"),
    }
    assert_eq!(origin.count(), 4, "the first request and the three redirects the client follows");
}

/// The event socket: the socket client the crate builds follows no redirect (a `307` is a fatal
/// refusal, the other origin sees nothing), and a supplied one that follows it does not get a socket
/// from the other origin.
#[cfg(feature = "events")]
#[tokio::test]
async fn a_redirected_event_socket_is_not_opened() {
    use futures::StreamExt;

    let foreign = loopback::start(|_| Reply::json(403, "{}")).await;
    let origin = redirecting(307, format!("{}/stolen", foreign.url)).await;
    let built = builder(&origin.url).build().unwrap();
    let first = built.chat_events().next().await;
    let Some(Err(error)) = &first else { panic!("{first:?}") };
    assert_eq!(error.status(), Some(StatusCode::TEMPORARY_REDIRECT), "{error}");
    assert_eq!(foreign.count(), 0, "{:?}", foreign.seen());

    let follows = reqwest::Client::builder().http1_only().build().unwrap();
    let supplied = builder(&origin.url).events_http_client(follows).build().unwrap();
    let first = supplied.chat_events().next().await;
    let Some(Err(error)) = &first else { panic!("{first:?}") };
    assert!(error.to_string().contains("redirected from"), "{error}");
    assert_eq!(error.status(), None, "the other origin's 403 is not reported as Invent's: {error}");
}
