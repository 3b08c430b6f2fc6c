//! The mock Invent's WebSocket routes. httpmock cannot upgrade a connection, so the mock's address is a
//! small loopback HTTP/1.1 server (hyper) in front of the httpmock server: it forwards every request
//! there and serves `GET /orgs/{org}/chats/ws` and `GET /orgs/{org}/inbox/ws` itself.
//!
//! An upgrade is first forwarded as a plain `GET` of the same path, so auth, the org, the 429 cadence
//! and the request log apply exactly as to any other request; only a `200` from there is upgraded.
//! Every socket of an org then gets `{"type": "create", "data": Chat}` for each chat created in that org;
//! inbox sockets also get `{"data": Chat}` (the inbox's documented shape, no `type`) each time a chat
//! of the org changes: a message, an edit, an approval, its state, assignment or settings. Pings are answered; [`super::server::MockInvent::close_event_sockets`] closes every socket
//! with a chosen code, for testing reconnection.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::{AbortHandle, JoinSet};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::events::Feed;

/// Events a slow socket may fall behind by before the mock closes it with 1013 (try again later).
pub(super) const EVENT_BACKLOG: usize = 1024;
/// How long the mock waits for the client's reply to its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What the REST side tells the sockets.
#[derive(Debug, Clone)]
pub(super) enum MockEvent {
    /// A chat was created through the API in org `org_id` (the real id, never `c`).
    ChatCreated { org_id: String, chat: Value },
    /// A chat of org `org_id` changed (a message, its state, its settings): inbox sockets get it.
    ChatChanged { org_id: String, chat: Value },
    /// Close every socket with this code and reason.
    Close { code: u16, reason: String },
}

/// Sets the status of a logged request (by its `x-request-id`) to what the client finally got.
pub(super) type RecordStatus = Arc<dyn Fn(&str, u16) + Send + Sync>;

/// The running front server. Dropping it stops accepting, ends open connections and closes every
/// socket with 1001 (going away).
pub(super) struct Front {
    addr: SocketAddr,
    accept: AbortHandle,
    _shutdown: watch::Sender<bool>,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    events: broadcast::Sender<MockEvent>,
    shutdown: watch::Receiver<bool>,
    record: RecordStatus,
}

impl Front {
    /// Binds `127.0.0.1:0` and serves in front of `upstream` (the httpmock server's base URL).
    ///
    /// # Panics
    /// If no loopback port can be bound (the mock cannot work without one).
    pub(super) async fn start(upstream: String, events: broadcast::Sender<MockEvent>, record: RecordStatus) -> Front {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(e) => panic!("mock Invent: cannot bind a loopback port: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => panic!("mock Invent: no local address: {e}"),
        };
        // Plain HTTP to loopback: no proxy from the environment, no HTTP/2.
        let http = match reqwest::Client::builder().no_proxy().http1_only().build() {
            Ok(http) => http,
            Err(e) => panic!("mock Invent: cannot build the forwarding client: {e}"),
        };
        let (shutdown_tx, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared { upstream, http, events, shutdown, record });
        let accept = tokio::spawn(accept_loop(listener, shared)).abort_handle();
        Front { addr, accept, _shutdown: shutdown_tx }
    }

    /// `http://127.0.0.1:<port>`.
    pub(super) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.accept.abort();
        // Dropping `_shutdown` wakes every socket session.
    }
}

/// Accepts connections; each is served in this task's set, so aborting the loop ends them all.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |request| respond(Arc::clone(&shared), request));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(tcp), service).with_upgrades().await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Which event route `path` is (`/orgs/{org}/chats/ws` or `/orgs/{org}/inbox/ws`).
fn feed_of(path: &str) -> Option<Feed> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["orgs", _, "chats", "ws"] => Some(Feed::Chats),
        ["orgs", _, "inbox", "ws"] => Some(Feed::Inbox),
        _ => None,
    }
}

fn is_upgrade(headers: &header::HeaderMap) -> bool {
    let has_token = |name, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    has_token(header::CONNECTION, "upgrade") && has_token(header::UPGRADE, "websocket")
}

/// Headers that belong to one hop (RFC 9110 §7.6.1) or to the upgrade, never forwarded.
fn hop_by_hop(name: &header::HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "connection"
            | "upgrade"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "content-length"
            | "proxy-connection"
            | "sec-websocket-key"
            | "sec-websocket-version"
            | "sec-websocket-extensions"
            | "sec-websocket-protocol"
    )
}

async fn respond(shared: Arc<Shared>, mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let feed = feed_of(request.uri().path());
    let upgrade = (feed.is_some() && is_upgrade(request.headers())).then(|| hyper::upgrade::on(&mut request));
    let key = request.headers().get(header::SEC_WEBSOCKET_KEY).cloned();
    let version_ok = request.headers().get(header::SEC_WEBSOCKET_VERSION).is_some_and(|v| v == "13");
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return Ok(json_response(
                StatusCode::BAD_REQUEST,
                &super::conventions::error_body(400, &format!("unreadable body: {e}")),
            ))
        }
    };

    let target = format!("{}{}", shared.upstream, parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    let mut forward = shared.http.request(parts.method.clone(), target).body(body);
    for (name, value) in parts.headers.iter().filter(|(name, _)| !hop_by_hop(name)) {
        forward = forward.header(name, value);
    }
    let upstream = match forward.send().await {
        Ok(response) => response,
        Err(e) => {
            return Ok(json_response(
                StatusCode::BAD_GATEWAY,
                &super::conventions::error_body(502, &format!("mock upstream: {e}")),
            ))
        }
    };
    let status = upstream.status();
    let request_id = upstream.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();

    let Some(feed) = feed.filter(|_| status == StatusCode::OK) else {
        return Ok(pass_through(upstream).await);
    };
    let refuse = |code: StatusCode, message: &str| {
        (shared.record)(&request_id, code.as_u16());
        Ok(json_response(code, &super::conventions::error_body(code.as_u16(), message)).with_request_id(&request_id))
    };
    let Some(upgrade) = upgrade else {
        return refuse(StatusCode::UPGRADE_REQUIRED, "this route is a WebSocket: send an Upgrade request");
    };
    let (Some(key), true) = (key, version_ok) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13",
        );
    };
    let admitted: Value = upstream.json().await.unwrap_or_default();
    let org_id = admitted["org_id"].as_str().unwrap_or_default().to_string();

    // Subscribe before answering: an event created right after the client sees the 101 is not lost.
    let events = shared.events.subscribe();
    let shutdown = shared.shutdown.clone();
    tokio::spawn(session(upgrade, org_id, feed, events, shutdown));
    (shared.record)(&request_id, 101);
    let accept = derive_accept_key(key.as_bytes());
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .header("x-request-id", request_id.as_str())
        .body(Full::new(Bytes::new()));
    Ok(response.unwrap_or_else(|_| {
        json_response(StatusCode::INTERNAL_SERVER_ERROR, &super::conventions::error_body(500, "bad 101"))
    }))
}

/// One socket: events of `org_id` out, pings answered, closed on request or shutdown.
async fn session(
    upgrade: hyper::upgrade::OnUpgrade,
    org_id: String,
    feed: Feed,
    mut events: broadcast::Receiver<MockEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(upgraded) = upgrade.await else { return };
    let mut socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
    let close = |code: u16, reason: &str| {
        Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.to_string().into() }))
    };
    let goodbye = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(MockEvent::ChatCreated { org_id: of, chat }) if of == org_id => {
                    let frame = json!({ "type": "create", "data": chat });
                    if socket.send(Message::text(frame.to_string())).await.is_err() {
                        return;
                    }
                }
                // The inbox's documented frame: the chat as it is now, no `type`.
                Ok(MockEvent::ChatChanged { org_id: of, chat }) if of == org_id && feed == Feed::Inbox => {
                    let frame = json!({ "data": chat });
                    if socket.send(Message::text(frame.to_string())).await.is_err() {
                        return;
                    }
                }
                Ok(MockEvent::ChatCreated { .. } | MockEvent::ChatChanged { .. }) => {}
                Ok(MockEvent::Close { code, reason }) => break close(code, &reason),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    break close(1013, &format!("the mock's {} socket fell behind", feed.name()))
                }
                Err(broadcast::error::RecvError::Closed) => break close(1001, "mock Invent stopped"),
            },
            message = socket.next() => match message {
                None | Some(Err(_)) => return,
                Some(Ok(Message::Close(_))) => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, socket.close(None)).await;
                    return;
                }
                Some(Ok(_)) => {} // tungstenite answers pings itself
            },
            _ = shutdown.changed() => break close(1001, "mock Invent stopped"),
        }
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        socket.send(goodbye).await?;
        // Read until the client's close reply (or the end), so the closing handshake completes.
        while let Some(message) = socket.next().await {
            message?;
        }
        Ok::<(), tokio_tungstenite::tungstenite::Error>(())
    })
    .await;
}

/// The upstream response as it came (minus hop-by-hop headers).
async fn pass_through(upstream: reqwest::Response) -> Response<Full<Bytes>> {
    let status = upstream.status();
    let headers = upstream.headers().clone();
    let body = upstream.bytes().await.unwrap_or_default();
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for (name, value) in headers.iter().filter(|(name, _)| !hop_by_hop(name)) {
        response.headers_mut().append(name, value.clone());
    }
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

trait WithRequestId {
    fn with_request_id(self, id: &str) -> Self;
}

impl WithRequestId for Response<Full<Bytes>> {
    fn with_request_id(mut self, id: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(id) {
            self.headers_mut().insert("x-request-id", value);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_upgrade_headers() {
        assert_eq!(feed_of("/orgs/c/chats/ws"), Some(Feed::Chats));
        assert_eq!(feed_of("/orgs/org_1/inbox/ws"), Some(Feed::Inbox));
        assert_eq!(feed_of("/orgs/c/chats"), None);
        assert_eq!(feed_of("/orgs/c/chats/ws/x"), None);
        let mut h = header::HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        h.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(is_upgrade(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!is_upgrade(&h));
    }
}
