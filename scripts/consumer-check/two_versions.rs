//! The program of scripts/consumer-check-two-versions.sh: one binary that depends on two
//! semver-incompatible releases of the packaged invent-api at once (`invent_api_01` = 0.1.x,
//! `invent_api_02` = the same package as 0.2.0), as a program does when two of its dependencies
//! pick different releases. Both clients call a loopback server the program starts; it exits
//! non-zero unless each decoded its answer and each release's own `User-Agent` reached the server
//! (so two distinct crates were linked, not one twice) with no `api-version` header.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "consumer-check-key";
const ASSISTANTS: &str = r#"[{"id":"ast_1","name":"Support","enabled":true}]"#;

/// `User-Agent` of each request, and whether it carried an `api-version` header.
type Log = Arc<Mutex<Vec<(String, bool)>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let log: Log = Arc::default();
    tokio::spawn(serve(listener, log.clone()));

    let old = invent_api_01::Client::builder().api_key(KEY).base_url(&base_url).build()?;
    let new = invent_api_02::Client::builder().api_key(KEY).base_url(&base_url).build()?;
    let from_old = old.list_assistants().send().await?.into_inner();
    let from_new = new.list_assistants().send().await?.into_inner();
    assert_eq!((from_old.len(), from_old[0].id.as_str()), (1, "ast_1"), "invent_api_01 decoded");
    assert_eq!((from_new.len(), from_new[0].name.as_str()), (1, "Support"), "invent_api_02 decoded");
    // The two releases' types are distinct types: each error converts only into its own crate's.
    let _: Option<invent_api_01::Error> = None;
    let _: Option<invent_api_02::Error> = None;

    let seen = log.lock().map_err(|_| "request log poisoned")?.clone();
    let agents: Vec<&str> = seen.iter().map(|(agent, _)| agent.as_str()).collect();
    assert_eq!(agents.len(), 2, "{agents:?}");
    assert!(agents[0].starts_with("invent-api-rust/0.1."), "{agents:?}");
    assert!(agents[1].starts_with("invent-api-rust/0.2.0"), "{agents:?}");
    assert!(seen.iter().all(|(_, api_version)| !api_version), "an api-version header was sent: {seen:?}");
    println!("consumer check (two versions): {} and {} in one binary, both answered", agents[0], agents[1]);
    Ok(())
}

/// Answers every request on every connection with one page of assistants.
async fn serve(listener: TcpListener, log: Log) {
    while let Ok((stream, _)) = listener.accept().await {
        let log = log.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, log).await {
                eprintln!("two-versions server: {e}");
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
        let (mut agent, mut api_version) = (String::new(), false);
        loop {
            let mut header = String::new();
            read.read_line(&mut header).await?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else { continue };
            match name.to_ascii_lowercase().as_str() {
                "user-agent" => agent = value.trim().to_string(),
                "api-version" => api_version = true,
                _ => {}
            }
        }
        if let Ok(mut log) = log.lock() {
            log.push((agent, api_version));
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            ASSISTANTS.len()
        );
        write.write_all(head.as_bytes()).await?;
        write.write_all(ASSISTANTS.as_bytes()).await?;
        write.flush().await?;
    }
}
