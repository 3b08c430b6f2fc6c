//! A scripted loopback WebSocket server: each accepted connection is handed, with its parsed upgrade
//! request and its number, to the test's script, which answers it (refuse, accept, misbehave).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use invent_api::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

pub const KEY: &str = "sk_test_events_do_not_leak_42";

/// What the client sent to open the socket.
#[derive(Debug, Clone)]
pub struct Upgrade {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// When it arrived (tokio's clock: paused tests measure backoff with it).
    pub at: Instant,
}

impl Upgrade {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One accepted connection whose upgrade request has been read.
pub struct Conn {
    pub tcp: TcpStream,
    pub upgrade: Upgrade,
    /// 0 for the first connection.
    pub number: usize,
}

pub type Ws = WebSocketStream<TcpStream>;

impl Conn {
    /// Answers `101` with the right accept key and returns the server side of the socket.
    pub async fn accept(mut self) -> Ws {
        let key = self.upgrade.header("sec-websocket-key").unwrap_or_default().to_string();
        let accept = derive_accept_key(key.as_bytes());
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        self.tcp.write_all(head.as_bytes()).await.unwrap();
        WebSocketStream::from_raw_socket(self.tcp, Role::Server, None).await
    }

    /// Answers `101` with these header lines (e.g. a wrong accept key) and keeps the raw stream.
    pub async fn answer_raw(mut self, head: &str) -> TcpStream {
        self.tcp.write_all(head.as_bytes()).await.unwrap();
        self.tcp
    }

    /// Answers with `status` and a body, then closes.
    pub async fn refuse(mut self, status: u16, extra_headers: &str, body: &str) {
        let head = format!(
            "HTTP/1.1 {status} Refused\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
            body.len()
        );
        let _ = self.tcp.write_all(head.as_bytes()).await;
        let _ = self.tcp.write_all(body.as_bytes()).await;
        let _ = self.tcp.shutdown().await;
    }
}

type Script = Arc<dyn Fn(Conn) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The server: its address and every upgrade request it received.
pub struct Server {
    pub base_url: String,
    pub upgrades: Arc<Mutex<Vec<Upgrade>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Starts a server whose connections are answered by `script` (each in its own task).
    pub async fn start<F, Fut>(script: F) -> Server
    where
        F: Fn(Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let script: Script = Arc::new(move |conn| Box::pin(script(conn)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let upgrades = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&upgrades);
        let task = tokio::spawn(async move {
            let mut number = 0;
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else { continue };
                let Some(upgrade) = read_head(&mut tcp).await else { continue };
                log.lock().unwrap().push(upgrade.clone());
                tokio::spawn(script(Conn { tcp, upgrade, number }));
                number += 1;
            }
        });
        Server { base_url, upgrades, task }
    }

    /// Upgrade requests received so far.
    pub fn count(&self) -> usize {
        self.upgrades.lock().unwrap().len()
    }

    pub fn upgrades(&self) -> Vec<Upgrade> {
        self.upgrades.lock().unwrap().clone()
    }

    /// A client for this server (key [`KEY`], limiter off).
    pub fn client(&self) -> Client {
        Client::builder().api_key(KEY).base_url(&self.base_url).limiter(None).build().unwrap()
    }
}

/// Reads a request head (up to the blank line) byte by byte, so nothing after it is consumed.
async fn read_head(tcp: &mut TcpStream) -> Option<Upgrade> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).await.ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Upgrade { method, path, headers, at: Instant::now() })
}
