//! Nothing dropped, on the wire: the crate is built from `invent-spec/tests/specs/cookies-and-shadows.json`
//! (cookie parameters, a query parameter named like a path parameter, a cookie named like a query
//! parameter) and a program sends through the generated builders to a loopback server that records each
//! request head: the cookies arrive in one `Cookie` header with percent-encoded values, and both
//! same-named parameters arrive under their own wire names.

#[path = "common/spec_program.rs"]
mod spec_program;

const MAIN: &str = r##"
use std::sync::{Arc, Mutex};

use invent_api::types;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers every request with `status` and `body` (JSON), recording each request head.
async fn server(status: u16, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let read = sock.read(&mut chunk).await.unwrap();
                if read == 0 { break; }
                buf.extend_from_slice(&chunk[..read]);
            }
            log.lock().unwrap().push(String::from_utf8_lossy(&buf).to_string());
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (format!("http://{addr}"), seen)
}

fn client(base: &str) -> invent_api::Client {
    invent_api::Client::builder().api_key("sk_wire").base_url(base).limiter(None).build().expect("client")
}

/// The request line and every `Cookie` header of a request head.
fn line_and_cookies(head: &str) -> (String, Vec<String>) {
    let line = head.lines().next().unwrap_or_default().to_string();
    let cookies = head
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("cookie")).map(|(_, v)| v.trim().to_string()))
        .collect();
    (line, cookies)
}

/// The `name=value` pairs of a request line's query, sorted.
fn query_pairs(line: &str) -> Vec<String> {
    let target = line.split(' ').nth(1).unwrap_or_default();
    let mut pairs: Vec<String> = target.split_once('?').map_or("", |(_, q)| q).split('&').map(str::to_string).collect();
    pairs.sort();
    pairs
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (base, seen) = server(200, r#"{"id":"ses_1","revision":7}"#).await;
    let session = client(&base)
        .get_session()
        .id("ses_1")
        .id_query(7)
        .session("q v")
        .session_cookie("a;b c=d")
        .theme(types::GetSessionTheme::Dark)
        .send()
        .await
        .expect("session");
    assert_eq!(session.into_inner().revision, Some(7));
    let (line, cookies) = line_and_cookies(&seen.lock().unwrap()[0]);
    assert!(line.starts_with("GET /sessions/ses_1?"), "{line}");
    assert_eq!(query_pairs(&line), ["id=7", "session=q+v"], "{line}");
    assert_eq!(cookies, ["session=a%3Bb%20c%3Dd; theme=dark"]);
    println!("ok path id and query id, query session and cookie session, each under its wire name");

    let (base, seen) = server(204, "").await;
    client(&base).delete_sessions().csrf("t 1").send().await.expect("deleted");
    client(&base).delete_sessions().csrf("t").tracking(true).send().await.expect("deleted");
    let heads = seen.lock().unwrap().clone();
    assert_eq!(line_and_cookies(&heads[0]), ("DELETE /sessions HTTP/1.1".to_string(), vec!["csrf=t%201".to_string()]));
    assert_eq!(line_and_cookies(&heads[1]).1, ["csrf=t; tracking=true"]);
    println!("ok an absent cookie is left out, the others joined with `; `");
}
"##;

#[test]
fn cookies_and_same_named_parameters_on_the_wire() {
    let printed = spec_program::run("cookies-and-shadows", "cookies-and-shadows.json", MAIN);
    assert_eq!(
        printed,
        [
            "ok path id and query id, query session and cookie session, each under its wire name",
            "ok an absent cookie is left out, the others joined with `; `",
        ]
    );
}
