//! A loopback HTTP/1.1 server for the security tests: it records every request exactly as received
//! (method, raw request target, headers, body) and answers each with what the test's `reply` returns.
//! One request per connection (`connection: close`), so nothing is pooled between servers.
//!
//! Use it with `#[path = "common/loopback.rs"] mod loopback;`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server read it. `target` is the request line's target, untouched (for a proxy
/// the absolute URL, for a server the raw path and query).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The path part of the target (before `?`).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A running server: its base URL (`http://127.0.0.1:PORT`) and what it saw.
#[derive(Clone)]
pub struct Server {
    pub url: String,
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// An answer: status line code, extra header lines, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply { status, headers: vec![("content-type".into(), "application/json".into())], body: body.into() }
    }

    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply { status, headers: vec![("location".into(), location.into())], body: String::new() }
    }
}

/// Starts a server answering every request with `reply(&request)`. Bytes that are not an HTTP request
/// (a TLS hello sent to this plain server) are recorded too, as a request with method `?`.
pub async fn start(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let log = log.clone();
            let reply = reply.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else { return };
                log.lock().unwrap().push(request.clone());
                if request.method == "?" {
                    return;
                }
                let answer = reply(&request);
                let mut head = format!(
                    "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    answer.status,
                    answer.body.len()
                );
                for (name, value) in &answer.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                head.push_str(&answer.body);
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Server { url: format!("http://127.0.0.1:{port}"), port, seen }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return (!buf.is_empty()).then(|| garbage(&buf));
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            // An HTTP request line starts with a method in capitals; a TLS hello starts with 0x16.
            if !buf[0].is_ascii_uppercase() {
                return Some(garbage(&buf));
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let method = request_line.next().unwrap_or("").to_string();
        let target = request_line.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
            .collect();
        let length: usize =
            headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        while buf.len() < end + 4 + length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[end + 4..].to_vec();
        return Some(Seen { method, target, headers, body });
    }
}

fn garbage(bytes: &[u8]) -> Seen {
    Seen { method: "?".into(), target: String::new(), headers: Vec::new(), body: bytes.to_vec() }
}

/// Percent-decodes a path segment as a server would (bytes, then UTF-8; `None` if not UTF-8 or a bad
/// escape).
pub fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
