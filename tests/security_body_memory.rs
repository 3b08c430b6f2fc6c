//! Memory one call can cost when the server sends a 1 GiB body: the process's peak resident set
//! (VmHWM, reset through /proc/self/clear_refs before each case) grows by less than the body cap plus
//! 32 MiB. One test, so nothing else runs in this binary while it measures; the figures are printed
//! (`cargo test --test security_body_memory -- --nocapture`). Linux only (/proc).

mod common;

use std::time::Duration;

use invent_api::{Client, Error, DEFAULT_MAX_BODY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const GIB: u64 = 1 << 30;
const SLACK: u64 = 32 << 20;

/// `VmRSS` or `VmHWM` of this process, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let line =
        status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB");
    kib * 1024
}

/// Resets the peak (VmHWM) to the current resident set (Linux ≥ 4.0).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("/proc/self/clear_refs");
}

/// Serves one connection: the head, then a body of `GIB` bytes (chunked, or under a declared length),
/// as fast as the client reads; returns the URL and a handle with the bytes written.
async fn serve(head: &'static str, chunked: bool) -> (String, tokio::task::JoinHandle<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let Ok((mut tcp, _)) = listener.accept().await else { return 0 };
        let mut buf = vec![0u8; 4096];
        let mut request = Vec::new();
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return 0,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        if tcp.write_all(head.as_bytes()).await.is_err() {
            return 0;
        }
        let piece = vec![b' '; 256 * 1024];
        let mut sent: u64 = 0;
        let chunk_head = format!("{:x}\r\n", piece.len());
        while sent < GIB {
            let written = if chunked {
                let mut framed = Vec::with_capacity(piece.len() + 16);
                framed.extend_from_slice(chunk_head.as_bytes());
                framed.extend_from_slice(&piece);
                framed.extend_from_slice(b"\r\n");
                tcp.write_all(&framed).await
            } else {
                tcp.write_all(&piece).await
            };
            if written.is_err() {
                break; // the client hung up
            }
            sent += piece.len() as u64;
        }
        sent
    });
    (url, task)
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(url)
        .limiter(None)
        .max_retries(0)
        .attempt_timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Runs one call against a 1 GiB body and returns (growth of the peak RSS, bytes the server sent).
async fn measure(head: &'static str, chunked: bool) -> (u64, u64, Box<invent_api::BodyTooLarge>) {
    let (url, server) = serve(head, chunked).await;
    let client = client(&url);
    reset_peak();
    let before = status_bytes("VmRSS:");
    let result = client.list_assistants().send().await;
    let peak = status_bytes("VmHWM:");
    drop(client);
    let sent = server.await.unwrap();
    let error = match result {
        Err(Error::BodyTooLarge(e)) => e,
        other => panic!("expected BodyTooLarge, got {other:?}"),
    };
    (peak.saturating_sub(before), sent, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_body_costs_at_most_the_cap_plus_32_mib() {
    let cap = DEFAULT_MAX_BODY as u64;

    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let (growth, sent, error) = measure(head, true).await;
    println!(
        "chunked 1 GiB body: peak RSS grew by {:.1} MiB (limit {} MiB); the client stopped after {:.1} MiB, the server wrote {:.1} MiB",
        growth as f64 / 1048576.0,
        (cap + SLACK) >> 20,
        error.read as f64 / 1048576.0,
        sent as f64 / 1048576.0,
    );
    assert!(growth < cap + SLACK, "peak RSS grew by {growth} bytes");
    assert!(error.read > cap && error.read < cap + (1 << 20), "{error:?}");
    assert!(sent < GIB, "the client hung up instead of draining the body: {sent}");

    // The length is declared honestly here: refused before a byte of the body is read.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n";
    let (growth, sent, error) = measure(head, false).await;
    println!(
        "1 GiB body with Content-Length: peak RSS grew by {:.1} MiB; the client read {} bytes, the server wrote {:.1} MiB",
        growth as f64 / 1048576.0,
        error.read,
        sent as f64 / 1048576.0,
    );
    assert!(growth < SLACK, "peak RSS grew by {growth} bytes");
    assert_eq!((error.read, error.declared), (0, Some(GIB)));
}
