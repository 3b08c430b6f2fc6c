//! The bytes on the wire for query parameter styles: the lowered regression spec
//! (`tests/specs/query-styles.json` → `tests/wire/query-styles.lowered.json`, checked current below) is
//! turned into a client by progenitor at compile time, and each call goes to a loopback server that
//! records the request line. `style: form` objects are sent as one `key=value` pair per member
//! (`QueryParam` hands a struct or map to serde_urlencoded); deepObject properties as `name[key]=value`
//! (brackets percent-encoded, as RFC 3986 wants them in a query); styles progenitor cannot produce as
//! the string the caller wrote.

use std::path::PathBuf;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod client {
    progenitor::generate_api!(spec = "tests/wire/query-styles.lowered.json", interface = Builder, tags = Merged);
}

use client::types;

const REGENERATE: &str = "cargo run -p invent-spec -- lower invent-spec/tests/specs/query-styles.json \
                          invent-spec/tests/wire/query-styles.lowered.json";

#[test]
fn the_compiled_client_is_generated_from_the_current_lowering() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let read = |p: PathBuf| -> Value {
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut spec = read(dir.join("specs/query-styles.json"));
    invent_spec::lower(&mut spec, &invent_spec::LowerOptions::default()).expect("the regression spec lowers");
    let fixture = read(dir.join("wire/query-styles.lowered.json"));
    assert!(spec == fixture, "tests/wire/query-styles.lowered.json is stale; regenerate it with:\n    {REGENERATE}");
}

/// One loopback server answering `status` (with `body` as JSON when given) to every request; returns its
/// base URL and a channel of the request lines it saw (`GET /path?query HTTP/1.1`).
async fn server(
    status: &'static str,
    body: Option<&'static str>,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let _ = tx.send(head.lines().next().unwrap_or_default().to_string());
                let reply = match body {
                    Some(b) => format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}",
                        b.len()
                    ),
                    None => format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
                };
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), rx)
}

/// The query string of a request line.
fn query(line: &str) -> &str {
    let target = line.split(' ').nth(1).unwrap_or_default();
    target.split_once('?').map_or("", |(_, q)| q)
}

#[tokio::test]
async fn deep_object_properties_are_sent_as_bracketed_names() {
    let (base, mut seen) = server("200 OK", Some("[]")).await;
    let c = client::Client::new(&base);
    c.list_runs()
        .page_size(25)
        .page_after("run_1")
        .filter_status(vec![types::ListRunsFilterStatusItem::Queued, types::ListRunsFilterStatusItem::Completed])
        .filter_created_at_period("1d")
        .filter_env(types::ListRunsFilterEnv::Dev)
        .filter_is_test(false)
        .send()
        .await
        .expect("200 with a JSON array");
    let line = seen.recv().await.expect("a request");
    assert_eq!(
        query(&line),
        "filter%5BcreatedAt%5D%5Bperiod%5D=1d&filter%5Benv%5D=dev&filter%5BisTest%5D=false\
         &filter%5Bstatus%5D=QUEUED&filter%5Bstatus%5D=COMPLETED&page%5Bafter%5D=run_1&page%5Bsize%5D=25",
        "{line}"
    );

    // Unset optional properties are left out; the required `page[size]` alone is a valid call.
    c.list_runs().page_size(1).send().await.expect("200");
    assert_eq!(query(&seen.recv().await.expect("a request")), "page%5Bsize%5D=1");
}

#[tokio::test]
async fn form_objects_are_sent_as_one_pair_per_member() {
    let (base, mut seen) = server("204 No Content", None).await;
    let c = client::Client::new(&base);
    // `query_filters` (a declared object) is sent member by member; `metadata` (a free-form map) as one
    // pair per entry.
    let mut metadata = serde_json::Map::new();
    metadata.insert("team".into(), Value::from("core"));
    metadata.insert("n".into(), Value::from(2));
    c.list_connectors()
        .active(true)
        .fetch_user_data(false)
        .kind(types::ListConnectorsKind::AB)
        .name("a b&c=d")
        .metadata(metadata)
        .limit(5)
        .send()
        .await
        .expect("204");
    let line = seen.recv().await.expect("a request");
    assert_eq!(
        query(&line),
        "active=true&fetch_user_data=false&kind=a+b&limit=5&team=core&n=2&name=a+b%26c%3Dd",
        "{line}"
    );

    // Members left unset are not sent, the declared `default` included.
    c.list_connectors().kind(types::ListConnectorsKind::CD).send().await.expect("204");
    assert_eq!(query(&seen.recv().await.expect("a request")), "kind=c%26d");
}

#[tokio::test]
async fn a_nested_value_in_a_form_map_fails_before_anything_is_sent() {
    let (base, mut seen) = server("204 No Content", None).await;
    let c = client::Client::new(&base);
    let mut metadata = serde_json::Map::new();
    metadata.insert("nested".into(), serde_json::json!({"a": 1}));
    let err = c.list_connectors().metadata(metadata).send().await.expect_err("a map inside a form object");
    assert!(
        matches!(err, progenitor_client::Error::InvalidRequest(_) | progenitor_client::Error::CommunicationError(_)),
        "{err:?}"
    );
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(200), seen.recv()).await.is_err(),
        "the request reached the server"
    );
}

#[tokio::test]
async fn other_styles_are_sent_as_written() {
    let (base, mut seen) = server("204 No Content", None).await;
    let c = client::Client::new(&base);
    c.list_exploded()
        .lang("de-DE,pt-PT")
        .point("x,1,y,2")
        .ids("1|2")
        .words("a b")
        .tags(vec!["x".to_string(), "y".to_string()])
        .send()
        .await
        .expect("204");
    let line = seen.recv().await.expect("a request");
    assert_eq!(query(&line), "ids=1%7C2&lang=de-DE%2Cpt-PT&point=x%2C1%2Cy%2C2&tags=x&tags=y&words=a+b", "{line}");
}
