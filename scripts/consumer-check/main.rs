//! The program of scripts/consumer-check.sh: a user's binary built against the *packaged* invent-api
//! (default features), talking to a loopback HTTP server it starts itself. Exits non-zero (a failed
//! assertion or an error) unless every call decoded as the spec says and the requests were what a user's
//! client should send.
//!
//! Environment (set by the script): `EXPECT_SPEC_SHA256`, the digest of the packaged openapi.json;
//! `INVENT_CLI`, optionally, the packaged `invent` binary, run once against the same server.

use std::sync::{Arc, Mutex};

use invent_api::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "consumer-check-key";

/// What the server saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    authorization: Option<String>,
    user_agent: Option<String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let log: Log = Arc::default();
    tokio::spawn(serve(listener, log.clone()));

    // The spec revision the packaged build generated from is the packaged openapi.json.
    let expected = std::env::var("EXPECT_SPEC_SHA256")?;
    assert_eq!(invent_api::SPEC_SHA256, expected, "SPEC_SHA256 is not the packaged openapi.json's digest");
    assert!(!invent_api::SPEC_VERSION.is_empty());

    let client = Client::builder().api_key(KEY).base_url(&base_url).build()?;

    // One page, typed, with its status.
    let page = client.list_assistants().send().await?;
    assert_eq!(page.status().as_u16(), 200);
    let assistants = page.into_inner();
    assert_eq!(assistants.len(), 2, "{assistants:?}");
    assert_eq!(
        (assistants[0].id.as_str(), assistants[0].name.as_str(), assistants[0].enabled),
        ("ast_1", "Support", true)
    );
    assert_eq!((assistants[1].id.as_str(), assistants[1].enabled), ("ast_22", false));
    assert!(assistants[0].created_at.is_some(), "date-time decoded");

    // Every page (the pagination-* headers say there is one).
    let all = client.list_assistants().collect_all().await?;
    assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["ast_1", "ast_22"]);

    // A 404 is `Error::Api` keeping status and body.
    let err = client.get_assistant().assistant_id("ast_missing").send().await.expect_err("404 is an error");
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    let body = err.body().expect("the error keeps the body");
    assert!(String::from_utf8_lossy(body).contains("Assistant not found"), "{err:?}");

    let mut expected_requests = vec![
        ("GET", "/orgs/c/assistants"),
        ("GET", "/orgs/c/assistants?page=1&take=100"),
        ("GET", "/orgs/c/assistants/ast_missing"),
    ];
    let mut cli = "not run (INVENT_CLI unset)".to_string();
    if let Some(invent) = std::env::var_os("INVENT_CLI") {
        let run = tokio::task::spawn_blocking({
            let base_url = base_url.clone();
            move || {
                std::process::Command::new(invent)
                    .args(["list-assistants", "--take", "5"])
                    .env("INVENT_API_KEY", KEY)
                    .env("INVENT_BASE_URL", base_url)
                    .env_remove("INVENT_ORG")
                    .output()
            }
        })
        .await??;
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "invent list-assistants: {}\n{stderr}", run.status);
        let printed: serde_json::Value = serde_json::from_slice(&run.stdout)?;
        let ids: Vec<_> = printed.as_array().expect("a JSON array").iter().map(|a| a["id"].clone()).collect();
        assert_eq!(ids, ["ast_1", "ast_22"]);
        expected_requests.push(("GET", "/orgs/c/assistants?take=5"));
        cli = "invent list-assistants decoded 2 assistants".to_string();
    }

    let seen = log.lock().expect("request log").clone();
    let got: Vec<(&str, &str)> = seen.iter().map(|s| (s.method.as_str(), s.target.as_str())).collect();
    assert_eq!(got, expected_requests, "requests the server received");
    for s in &seen {
        assert_eq!(s.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()), "{s:?}");
        let agent = s.user_agent.as_deref().unwrap_or_default();
        assert!(agent.starts_with("invent-api-rust/") || agent.starts_with("invent-cli/"), "{s:?}");
    }
    println!(
        "consumer check: invent-api (spec {} sha256 {}…) built from its package: 3 calls decoded, {} requests as expected; {cli}",
        invent_api::SPEC_VERSION,
        &invent_api::SPEC_SHA256[..12],
        seen.len()
    );
    Ok(())
}

/// Serves every connection (keep-alive: several requests each) until the process ends.
async fn serve(listener: TcpListener, log: Log) {
    while let Ok((stream, _)) = listener.accept().await {
        let log = log.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, log).await {
                eprintln!("consumer check server: {e}");
            }
        });
    }
}

async fn connection(stream: TcpStream, log: Log) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) =
            (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
        let (mut authorization, mut user_agent, mut length) = (None, None, 0usize);
        loop {
            let mut header = String::new();
            read.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else { continue };
            let value = value.trim().to_string();
            match name.to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(value),
                "user-agent" => user_agent = Some(value),
                "content-length" => length = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await?;
        let path = target.split('?').next().unwrap_or_default().to_string();
        log.lock().expect("request log").push(Seen { method: method.clone(), target, authorization, user_agent });

        let (status, body, extra) = match (method.as_str(), path.as_str()) {
            ("GET", "/orgs/c/assistants") => (
                "200 OK",
                r#"[{"id":"ast_1","name":"Support","enabled":true,"created_at":"2026-05-01T10:00:00+02:00","actions":[],"boards":[],"integrations":[]},
                   {"id":"ast_22","name":"Sales","enabled":false}]"#,
                "pagination-count: 2\r\npagination-page: 1\r\npagination-take: 100\r\n",
            ),
            ("GET", "/orgs/c/assistants/ast_missing") => {
                ("404 Not Found", r#"{"statusCode":404,"error":"Not Found","message":"Assistant not found"}"#, "")
            }
            _ => ("500 Internal Server Error", r#"{"message":"the consumer check server has no such route"}"#, ""),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n",
            body.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(body.as_bytes()).await?;
        write.flush().await?;
    }
}
