//! A scripted loopback HTTP/1.1 server for the resilience tests: per request it answers (with a
//! `content-length` or chunked body, raw header bytes, or a huge body streamed block by block without
//! allocating it), resets the connection before the headers, or stalls before the headers or
//! mid-body; it records every request it read (method, path, tokio-clock arrival time, connection,
//! body bytes written), so tests assert what the server saw.
//!
//! Use it from a test file with `#[path = "common/faults.rs"] mod faults;`.
#![allow(dead_code)] // each test file uses a different part

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response (`content-length` is added, or the body goes out in chunks).
    Respond { status: u16, headers: Vec<(String, Vec<u8>)>, body: String, chunked: bool },
    /// A body of `len` bytes of `x`, written 64 KiB at a time as the client reads (never held in
    /// memory), with a `content-length` or chunked. Stops when the client drops the connection.
    Stream { status: u16, headers: Vec<(String, Vec<u8>)>, len: u64, chunked: bool },
    /// Read the request, then reset the connection without a byte of response.
    Reset,
    /// Wait (tokio clock), then do the inner reply.
    After(Duration, Box<Reply>),
    /// Send the headers and the first `sent` bytes of `body`, then stall for `stall` before the rest.
    StallMidBody { status: u16, body: String, sent: usize, stall: Duration },
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Respond { status, headers: Vec::new(), body: String::new(), chunked: false }
    }
    /// `status` with a body of `len` bytes, streamed (see [`Reply::Stream`]).
    pub fn huge(status: u16, len: u64) -> Reply {
        Reply::Stream { status, headers: Vec::new(), len, chunked: false }
    }
    /// `200 OK` with a small JSON body.
    pub fn ok() -> Reply {
        Reply::status(200).body("{\"ok\":true}")
    }
    pub fn header(self, name: &str, value: impl Into<String>) -> Reply {
        self.raw_header(name, value.into().into_bytes())
    }
    /// A header with any bytes as its value (e.g. not UTF-8).
    pub fn raw_header(mut self, name: &str, value: Vec<u8>) -> Reply {
        if let Reply::Respond { headers, .. } | Reply::Stream { headers, .. } = &mut self {
            headers.push((name.to_string(), value));
        }
        self
    }
    /// Send the body with `transfer-encoding: chunked` instead of a `content-length`.
    pub fn chunked(mut self) -> Reply {
        if let Reply::Respond { chunked, .. } | Reply::Stream { chunked, .. } = &mut self {
            *chunked = true;
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
    /// Number of the connection it came on (0 for the first one accepted): equal numbers mean the
    /// client reused a pooled connection.
    pub conn: usize,
    /// Body bytes written in reply so far.
    pub sent: Arc<AtomicU64>,
}

impl Seen {
    pub fn body_bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
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
                let connections = AtomicUsize::new(0);
                while let Ok((stream, _)) = listener.accept().await {
                    let conn = connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, conn, seen.clone(), script.clone()));
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
async fn serve(mut stream: TcpStream, conn: usize, seen: Arc<Mutex<Vec<Seen>>>, script: Arc<Script>) {
    // Each reply goes out in one write, with Nagle off: a reply split across two small writes waits
    // ~40 ms for a delayed ACK on a reused connection, and the paused clock would jump over that wait
    // straight to the client's timeout.
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some((method, path)) = read_request(&mut stream, &mut buf).await else { return };
        let sent = Arc::new(AtomicU64::new(0));
        let reply = {
            let mut seen = seen.lock().unwrap();
            seen.push(Seen { method, path, at: Instant::now(), conn, sent: sent.clone() });
            script(seen.len() - 1, &seen)
        };
        if !answer(&mut stream, reply, &sent).await {
            return;
        }
    }
}

/// Plays a reply, counting body bytes in `sent`; `false` when the connection is finished.
async fn answer(stream: &mut TcpStream, mut reply: Reply, sent: &AtomicU64) -> bool {
    while let Reply::After(wait, inner) = reply {
        tokio::time::sleep(wait).await;
        reply = *inner;
    }
    match reply {
        Reply::Respond { status, headers, body, chunked } => {
            let mut bytes = head(status, &headers, (!chunked).then_some(body.len() as u64));
            if chunked {
                // Several chunks, so chunk boundaries are exercised, but one write (see above).
                for piece in body.as_bytes().chunks(1000) {
                    bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                    bytes.extend_from_slice(piece);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
            } else {
                bytes.extend_from_slice(body.as_bytes());
            }
            sent.store(body.len() as u64, Ordering::SeqCst);
            stream.write_all(&bytes).await.is_ok()
        }
        Reply::Stream { status, headers, len, chunked } => {
            static BLOCK: [u8; 64 * 1024] = [b'x'; 64 * 1024];
            if stream.write_all(&head(status, &headers, (!chunked).then_some(len))).await.is_err() {
                return false;
            }
            let mut left = len;
            while left > 0 {
                let n = left.min(BLOCK.len() as u64) as usize;
                let mut piece = Vec::with_capacity(n + 16);
                if chunked {
                    piece.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                }
                piece.extend_from_slice(&BLOCK[..n]);
                if chunked {
                    piece.extend_from_slice(b"\r\n");
                }
                if stream.write_all(&piece).await.is_err() {
                    return false; // the client hung up
                }
                sent.fetch_add(n as u64, Ordering::SeqCst);
                left -= n as u64;
            }
            !chunked || stream.write_all(b"0\r\n\r\n").await.is_ok()
        }
        Reply::Reset => {
            // Zero linger turns the close into a TCP reset: the client sees "connection reset".
            let _ = stream.set_zero_linger();
            false
        }
        Reply::StallMidBody { status, body, sent: first, stall } => {
            let mut bytes = head(status, &[], Some(body.len() as u64));
            bytes.extend_from_slice(&body.as_bytes()[..first]);
            let _ = stream.write_all(&bytes).await;
            sent.store(first as u64, Ordering::SeqCst);
            tokio::time::sleep(stall).await;
            let _ = stream.write_all(&body.as_bytes()[first..]).await;
            false
        }
        Reply::After(..) => unreachable!(),
    }
}

/// Status line and headers; `len` is the `content-length`, `None` for a chunked body.
fn head(status: u16, headers: &[(String, Vec<u8>)], len: Option<u64>) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    match len {
        Some(len) => head.extend_from_slice(format!("content-length: {len}\r\n").as_bytes()),
        None => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    for (name, value) in headers {
        head.extend_from_slice(format!("{name}: ").as_bytes());
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        418 => "I'm a teapot",
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
