//! A scripted loopback HTTP/1.1 server for the resilience tests: per request it answers, resets the
//! connection before the headers, or stalls before the headers or mid-body; it records every request
//! it read (method, path, tokio-clock arrival time), so tests assert what the server saw.
//!
//! Use it from a test file with `#[path = "common/faults.rs"] mod faults;`.
#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response (`content-length` is added).
    Respond { status: u16, headers: Vec<(String, String)>, body: String },
    /// Read the request, then reset the connection without a byte of response.
    Reset,
    /// Wait (tokio clock), then do the inner reply.
    After(Duration, Box<Reply>),
    /// Send the headers and the first `sent` bytes of `body`, then stall for `stall` before the rest.
    StallMidBody { status: u16, body: String, sent: usize, stall: Duration },
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Respond { status, headers: Vec::new(), body: String::new() }
    }
    /// `200 OK` with a small JSON body.
    pub fn ok() -> Reply {
        Reply::status(200).body("{\"ok\":true}")
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_string(), value.into()));
        }
        self
    }
    pub fn body(mut self, text: &str) -> Reply {
        if let Reply::Respond { body, .. } = &mut self {
            *body = text.to_string();
        }
        self
    }
    pub fn after(self, wait: Duration) -> Reply {
        Reply::After(wait, Box::new(self))
    }
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub at: Instant,
}

type Script = dyn Fn(usize, &[Seen]) -> Reply + Send + Sync;

/// The server; stops when dropped.
pub struct FaultServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultServer {
    /// Answers the n-th request (0-based) with `script(n, history)`; `history` ends with this request.
    pub async fn start(script: impl Fn(usize, &[Seen]) -> Reply + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let task = tokio::spawn({
            let seen = seen.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, seen.clone(), script.clone()));
                }
            }
        });
        FaultServer { addr, seen, task }
    }

    /// Replies in order; the last one repeats forever.
    pub async fn sequence(replies: Vec<Reply>) -> FaultServer {
        FaultServer::start(move |n, _| replies[n.min(replies.len() - 1)].clone()).await
    }

    /// The same reply to every request.
    pub async fn always(reply: Reply) -> FaultServer {
        FaultServer::sequence(vec![reply]).await
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection: requests are read and answered in turn (keep-alive) until a reply ends it.
async fn serve(mut stream: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, script: Arc<Script>) {
    // Each reply goes out in one write, with Nagle off: a reply split across two small writes waits
    // ~40 ms for a delayed ACK on a reused connection, and the paused clock would jump over that wait
    // straight to the client's timeout.
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some((method, path)) = read_request(&mut stream, &mut buf).await else { return };
        let reply = {
            let mut seen = seen.lock().unwrap();
            seen.push(Seen { method, path, at: Instant::now() });
            script(seen.len() - 1, &seen)
        };
        if !answer(&mut stream, reply).await {
            return;
        }
    }
}

/// Plays a reply; `false` when the connection is finished.
async fn answer(stream: &mut TcpStream, mut reply: Reply) -> bool {
    while let Reply::After(wait, inner) = reply {
        tokio::time::sleep(wait).await;
        reply = *inner;
    }
    match reply {
        Reply::Respond { status, headers, body } => {
            let bytes = head(status, &headers, body.len()) + &body;
            stream.write_all(bytes.as_bytes()).await.is_ok()
        }
        Reply::Reset => {
            // Zero linger turns the close into a TCP reset: the client sees "connection reset".
            let _ = stream.set_zero_linger();
            false
        }
        Reply::StallMidBody { status, body, sent, stall } => {
            let _ = stream.write_all((head(status, &[], body.len()) + &body[..sent]).as_bytes()).await;
            tokio::time::sleep(stall).await;
            let _ = stream.write_all(&body.as_bytes()[sent..]).await;
            false
        }
        Reply::After(..) => unreachable!(),
    }
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> String {
    let mut head = format!("HTTP/1.1 {status} {}\r\ncontent-length: {len}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Reads one request (head plus a `content-length` or chunked body); `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, String)> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(stream, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    buf.drain(..head_end);
    let mut words = head.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let end = loop {
            if let Some(i) = find(buf, b"0\r\n\r\n") {
                break i + 5;
            }
            fill(stream, buf).await?;
        };
        buf.drain(..end);
    } else {
        let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        while buf.len() < len {
            fill(stream, buf).await?;
        }
        buf.drain(..len);
    }
    Some((method, path))
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
