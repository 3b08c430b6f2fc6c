//! Opening one socket: the HTTP/1.1 client sockets use, and the upgrade request (URL with the client's
//! org, Bearer auth, WebSocket headers) with its checks (`101`, `Upgrade`, `Sec-WebSocket-Accept`).
//!
//! [`open`] is the one place that builds the upgrade request; it can be swapped for the generated
//! operation's `.send()` once the spec carries the WebSocket routes (that path must also go over an
//! HTTP/1.1 connection, see [`upgrade_client`]).

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{self, HeaderValue};
use reqwest::{StatusCode, Version};
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::{Disconnect, EventsConfig, Feed};
use crate::client::sockets::SocketSettings;
use crate::Client;

/// Most of a refused upgrade's body that is kept (error bodies are small; a proxy's HTML page is not).
const MAX_REFUSAL_BODY: usize = 64 * 1024;

/// An open event socket.
pub(crate) type Socket = WebSocketStream<reqwest::Upgraded>;

/// The HTTP client upgrade requests go through. It must speak HTTP/1.1: the main client negotiates
/// HTTP/2 by ALPN on HTTPS, and an `Upgrade` request sent over HTTP/2 loses its upgrade headers. Built on
/// first use (TLS setup is not free) from the client's connect timeout and user agent and kept in its
/// [`SocketSettings`], unless [`crate::ClientBuilder::events_http_client`] (or, failing that,
/// `http_client`) supplied one.
fn upgrade_client(settings: &SocketSettings) -> Result<reqwest::Client, Disconnect> {
    if let Some(client) = &settings.supplied {
        return Ok(client.clone());
    }
    let built = settings.built.get_or_init(|| {
        crate::client::auth::origin_bound(reqwest::Client::builder(), &settings.base)
            .http1_only()
            .connect_timeout(settings.connect_timeout)
            .user_agent(settings.user_agent.clone())
            .build()
            .map_err(|e| e.to_string())
    });
    built.clone().map_err(Disconnect::Setup)
}

/// The socket URL of `feed` for the client's org: base URL (with its path) + `/orgs/{org}/` + route. The
/// org goes in as one path segment (`org::segment_of`); an org id that cannot be one fails the stream
/// for good ([`Disconnect::Setup`]), before anything is sent.
pub(crate) fn checked_url(client: &Client, feed: Feed) -> Result<String, Disconnect> {
    let org = crate::client::org::segment_of(&client.inner).map_err(|e| Disconnect::Setup(e.to_string()))?;
    Ok(format!("{}/orgs/{org}/{}", client.baseurl, feed.suffix()))
}

/// [`checked_url`] for logs (the reason in place of a URL when there is none).
pub(crate) fn url(client: &Client, feed: Feed) -> String {
    checked_url(client, feed).unwrap_or_else(|reason| reason.to_string())
}

/// Sends the upgrade request for `feed` and returns the open socket, or why there is none. The caller
/// applies `handshake_timeout`.
pub(crate) async fn open(client: &Client, feed: Feed, config: &EventsConfig) -> Result<Socket, Disconnect> {
    let url = checked_url(client, feed)?;
    let http = upgrade_client(&client.inner.shared.sockets)?;
    let key = generate_key();
    let request = http
        .get(url.as_str())
        .version(Version::HTTP_11)
        .header(header::AUTHORIZATION, client.inner.shared.api_key.header())
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, key.as_str());
    let response = request.send().await.map_err(|e| Disconnect::Connect(error_chain(&e)))?;
    // A caller-supplied HTTP client may follow redirects: an answer from elsewhere is not Invent's.
    if let Ok(sent) = reqwest::Url::parse(&url) {
        if response.url().origin() != sent.origin() {
            return Err(Disconnect::BadHandshake(format!(
                "the upgrade was redirected from {} to {}; the socket is not opened",
                sent.origin().ascii_serialization(),
                response.url().origin().ascii_serialization()
            )));
        }
    }

    check_version(response.version())?;
    let status = response.status();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        let headers = Box::new(response.headers().clone());
        let body = bounded_body(response).await;
        return Err(Disconnect::Refused { status, headers, body });
    }
    check_upgrade_headers(response.headers(), &key)?;
    let upgraded = response.upgrade().await.map_err(|e| Disconnect::BadHandshake(error_chain(&e)))?;
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes));
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, Some(ws_config)).await)
}

/// An upgrade only exists in HTTP/1.x; over HTTP/2 the request lost its `Upgrade` header on the way.
fn check_version(version: Version) -> Result<(), Disconnect> {
    if version == Version::HTTP_11 || version == Version::HTTP_10 {
        return Ok(());
    }
    Err(Disconnect::BadHandshake(format!(
        "the server answered over {version:?}; WebSocket upgrades need HTTP/1.1 (give \
         ClientBuilder::events_http_client a client built with http1_only())"
    )))
}

/// RFC 6455 §4.1: a `101` must carry `Upgrade: websocket`, `Connection: Upgrade` and the accept key
/// derived from ours; anything else is some other protocol (or a confused proxy).
pub(crate) fn check_upgrade_headers(headers: &header::HeaderMap, key: &str) -> Result<(), Disconnect> {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or("");
    if !text(header::UPGRADE).trim().eq_ignore_ascii_case("websocket") {
        return Err(Disconnect::BadHandshake(format!("101 with `Upgrade: {}`", text(header::UPGRADE))));
    }
    if !text(header::CONNECTION).split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")) {
        return Err(Disconnect::BadHandshake(format!("101 with `Connection: {}`", text(header::CONNECTION))));
    }
    let expected = derive_accept_key(key.as_bytes());
    let accept = text(header::SEC_WEBSOCKET_ACCEPT).trim();
    if accept != expected {
        return Err(Disconnect::BadHandshake(format!(
            "Sec-WebSocket-Accept is `{accept}`, expected `{expected}` for the key sent"
        )));
    }
    Ok(())
}

/// Up to [`MAX_REFUSAL_BODY`] bytes of a refusal's body (what arrived, if the body breaks off).
async fn bounded_body(response: reqwest::Response) -> Bytes {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        let room = MAX_REFUSAL_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_REFUSAL_BODY {
            break;
        }
    }
    Bytes::from(body)
}

/// reqwest's error with its sources ("error sending request: … : connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap())).collect()
    }

    #[test]
    fn only_http_1_can_upgrade() {
        assert!(check_version(Version::HTTP_11).is_ok());
        assert!(check_version(Version::HTTP_10).is_ok());
        for version in [Version::HTTP_2, Version::HTTP_3, Version::HTTP_09] {
            let error = check_version(version).unwrap_err();
            assert!(!error.is_retryable());
            assert!(error.to_string().contains("events_http_client"), "{error}");
        }
    }

    #[test]
    fn accept_key_and_upgrade_headers_are_checked() {
        // RFC 6455 §1.3's example key and accept value.
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let good = [
            (header::UPGRADE, "WebSocket"),
            (header::CONNECTION, "keep-alive, Upgrade"),
            (header::SEC_WEBSOCKET_ACCEPT, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ];
        assert_eq!(check_upgrade_headers(&headers(&good), key), Ok(()));
        let mut wrong_accept = good.clone();
        wrong_accept[2].1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let err = check_upgrade_headers(&headers(&wrong_accept), key).unwrap_err();
        assert!(err.to_string().contains("Sec-WebSocket-Accept"), "{err}");
        let mut not_ws = good.clone();
        not_ws[0].1 = "h2c";
        assert!(check_upgrade_headers(&headers(&not_ws), key).is_err());
        let mut no_conn = good.clone();
        no_conn[1].1 = "close";
        assert!(check_upgrade_headers(&headers(&no_conn), key).is_err());
        assert!(check_upgrade_headers(&HeaderMap::new(), key).is_err());
    }
}
