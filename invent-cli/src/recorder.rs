//! How a generated subcommand's answer is printed as received (the default; `--typed` decodes it).
//!
//! The generated code builds each operation's request (path, query, body from the flags) into a typed
//! builder whose `send` decodes the answer into the generated types, dropping fields the spec does not
//! know. So the builder is sent to this recorder instead: a one-shot HTTP/1.1 listener on loopback that
//! keeps the request (method, path and query, JSON body) and answers `204`. The CLI then sends the
//! same request through [`invent_api::Client::raw`] (the same key, org, retries, limiter and errors)
//! and prints the body it gets.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The longest request head (request line and headers) the recorder reads.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body the recorder keeps (the CLI sends JSON bodies read from files).
const MAX_BODY: usize = 32 * 1024 * 1024;
/// How long one recording may take; the client is on the same machine.
const RECORD_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the generated code built it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recorded {
    pub(crate) method: Method,
    /// The path, relative to the base URL (the org segment as the client's org made it).
    pub(crate) path: String,
    /// The query pairs, in order.
    pub(crate) query: Vec<(String, String)>,
    /// The headers the generated code set (`accept`, `api-version`, …), without the ones the real
    /// call sets itself (auth, host, length, content type, user agent, encoding).
    pub(crate) headers: Vec<(String, String)>,
    /// The JSON body, if there was one.
    pub(crate) body: Option<Value>,
}

/// Headers of the recorded request that are not replayed: the real call makes its own.
const OWN_HEADERS: [&str; 9] = [
    "host",
    "authorization",
    "content-length",
    "content-type",
    "user-agent",
    "accept-encoding",
    "connection",
    "transfer-encoding",
    "te",
];

/// The listener and what it recorded.
pub(crate) struct Recorder {
    base_url: String,
    last: Arc<Mutex<Option<Result<Recorded, String>>>>,
    task: tokio::task::AbortHandle,
}

impl Recorder {
    /// Binds a loopback port and starts recording (on the current runtime).
    pub(crate) async fn start() -> std::io::Result<Recorder> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let last = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&last);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { continue };
                let outcome = tokio::time::timeout(RECORD_TIMEOUT, read_request(&mut stream))
                    .await
                    .unwrap_or_else(|_| Err("the request was not read in time".to_string()));
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = stream.shutdown().await;
            }
        })
        .abort_handle();
        Ok(Recorder { base_url, last, task })
    }

    /// `http://127.0.0.1:<port>`: the base URL of the client whose builders are recorded.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The request recorded last (taken: a second call without a new request is `None`).
    pub(crate) fn take(&self) -> Option<Result<Recorded, String>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Result<Recorded, String> {
    let mut buffer = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(format!("the request head is longer than {MAX_HEAD} bytes"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed before the request was complete".to_string());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(|_| "the request head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(format!("malformed request line `{request_line}`"));
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let url = reqwest::Url::parse(&format!("http://recorder{target}")).map_err(|e| e.to_string())?;
    let mut length = 0usize;
    let mut content_type = None;
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "content-length" => length = value.trim().parse().map_err(|_| "bad content-length".to_string())?,
            "content-type" => content_type = Some(value.trim().to_ascii_lowercase()),
            "transfer-encoding" => return Err("a chunked request body cannot be recorded".to_string()),
            _ => {}
        }
        if !OWN_HEADERS.contains(&name.as_str()) {
            headers.push((name, value.trim().to_string()));
        }
    }
    if length > MAX_BODY {
        return Err(format!("the request body is larger than {MAX_BODY} bytes"));
    }
    let mut body = buffer.split_off(head_end + 4);
    while body.len() < length {
        let mut chunk = vec![0u8; (length - body.len()).min(64 * 1024)];
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed inside the request body".to_string());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let body = Bytes::from(body);
    let body = if body.is_empty() {
        None
    } else if content_type.as_deref().is_some_and(|t| t.starts_with("application/json")) {
        Some(serde_json::from_slice(&body).map_err(|e| format!("the request body is not JSON: {e}"))?)
    } else {
        return Err(format!("a {} request body cannot be resent as is", content_type.as_deref().unwrap_or("untyped")));
    };
    let query = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    Ok(Recorded { method, path: url.path().to_string(), query, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn record(raw: &[u8]) -> Option<Result<Recorded, String>> {
        let recorder = Recorder::start().await.unwrap();
        let addr = recorder.base_url().trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 204"));
        recorder.take()
    }

    #[tokio::test]
    async fn records_method_path_query_and_json_body() {
        let raw = b"PATCH /orgs/c/assistants/ast_1?take=5&q=a%20b HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\napi-version: 2\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{\"name\":\"Bot\"}\n";
        let recorded = record(raw).await.unwrap().unwrap();
        assert_eq!(recorded.method, Method::PATCH);
        assert_eq!(recorded.path, "/orgs/c/assistants/ast_1");
        assert_eq!(recorded.query, [("take".to_string(), "5".to_string()), ("q".to_string(), "a b".to_string())]);
        assert_eq!(recorded.body, Some(serde_json::json!({ "name": "Bot" })));
        assert_eq!(recorded.headers, [("api-version".to_string(), "2".to_string())], "the key is never replayed");
    }

    #[tokio::test]
    async fn refuses_what_it_cannot_resend() {
        let chunked = b"POST /x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n";
        assert!(record(chunked).await.unwrap().unwrap_err().contains("chunked"));
        let form = b"POST /x HTTP/1.1\r\ncontent-type: multipart/form-data\r\ncontent-length: 2\r\n\r\nab";
        assert!(record(form).await.unwrap().unwrap_err().contains("multipart"));
        let huge = format!("POST /x HTTP/1.1\r\ncontent-length: {}\r\n\r\n", MAX_BODY + 1);
        assert!(record(huge.as_bytes()).await.unwrap().unwrap_err().contains("larger"));
    }
}
