//! `--org` and `INVENT_ORG` go through the client's path-segment check: `..`, `.` or an empty org is a
//! configuration error (exit 2) with nothing sent, a traversal id arrives as one segment, and so do
//! path arguments; a raw `invent api` path with dot segments is refused. The server is a loopback
//! listener recording each request line exactly as received.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// A loopback server answering `200` with an assistant; returns its base URL and the request lines it read.
fn server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            log.lock().unwrap().push(line.trim_end().trim_end_matches(" HTTP/1.1").to_string());
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            // An `Assistant` (the spec's required fields), which also reads as any JSON value.
            let body = r#"{"id":"ast_1","name":"Assistant","enabled":true}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(format!("{head}{body}").as_bytes());
        }
    });
    (url, seen)
}

fn invent(url: &str, org_env: Option<&str>, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invent"));
    cmd.env("INVENT_API_KEY", "sk_test_cli_org_0123456789")
        .env("INVENT_BASE_URL", url)
        .env("INVENT_MAX_RETRIES", "0")
        .env("INVENT_NO_RATE_LIMIT", "1")
        .env_remove("INVENT_ORG")
        .args(args)
        .stdin(Stdio::null());
    if let Some(org) = org_env {
        cmd.env("INVENT_ORG", org);
    }
    let out = cmd.output().expect("run invent");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn org_ids_that_are_no_segment_are_refused_before_sending() {
    let (url, seen) = server();
    for org in ["..", ".", ""] {
        let (code, stderr) = invent(&url, None, &["--org", org, "list-assistants"]);
        assert_eq!(code, 2, "--org {org:?}: {stderr}");
        assert!(stderr.contains("org"), "--org {org:?}: {stderr}");
    }
    let (code, stderr) = invent(&url, Some(".."), &["list-assistants"]);
    assert_eq!(code, 2, "INVENT_ORG=..: {stderr}");
    assert!(seen.lock().unwrap().is_empty(), "{:?}", seen.lock().unwrap());
}

#[test]
fn traversal_ids_arrive_as_one_segment() {
    let (url, seen) = server();
    let (code, stderr) = invent(&url, None, &["--org", r"..\org_B", "get-assistant", "--assistant-id", "../ast_2"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) =
        invent(&url, Some("../org_C"), &["delete-chat-memory", "--chat-id", r"..\x", "--memory-id", "%2e%2e"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = invent(&url, None, &["delete-chat-memory", "--chat-id", "cht_1", "--memory-id", ".."]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("memory_id"), "{stderr}");
    let (code, stderr) = invent(&url, None, &["api", "GET", "/orgs/c/assistants/../../org_B/assistants"]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("dot segment"), "{stderr}");
    assert_eq!(
        *seen.lock().unwrap(),
        ["GET /orgs/..%5Corg_B/assistants/..%2Fast_2", "DELETE /chats/..%5Cx/memories/%252e%252e"]
    );
}
