//! Every body the client reads into memory is bounded (`ClientBuilder::max_body`, default
//! `DEFAULT_MAX_BODY`): typed calls, each page of a list, raw calls, and the answer to a WebSocket
//! upgrade that is not a `101`. Loopback servers send bodies over the cap, chunked and with a
//! `Content-Length`, honest or not. The process's memory under a 1 GiB body is measured in
//! tests/security_body_memory.rs (its own binary, so other tests do not pollute the figures).

mod common;

use std::time::Duration;

use futures::TryStreamExt;
use invent_api::{Client, Error, Paginate, DEFAULT_MAX_BODY};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How one connection is answered: a head (status line and headers, without the blank line) and a
/// body written in `chunk`-byte pieces, `total` bytes in all, chunked or as-is.
#[derive(Clone)]
struct Answer {
    head: String,
    chunked: bool,
    total: usize,
    byte: u8,
    /// Sent before the filler bytes (e.g. `[` to open a JSON array).
    prefix: Vec<u8>,
    /// Keep the connection open after the body (a server that declared more than it sends).
    hold: bool,
}

impl Answer {
    fn chunked(status: &str, total: usize) -> Answer {
        Answer {
            head: format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked"),
            chunked: true,
            total,
            byte: b' ',
            prefix: b"[".to_vec(),
            hold: false,
        }
    }

    fn sized(status: &str, declared: usize, total: usize) -> Answer {
        Answer {
            head: format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {declared}"),
            chunked: false,
            total,
            byte: b' ',
            prefix: Vec::new(),
            hold: declared > total,
        }
    }

    fn json(status: &str, body: &str, extra: &str) -> Answer {
        Answer {
            head: format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}{extra}",
                body.len()
            ),
            chunked: false,
            total: 0,
            byte: b' ',
            prefix: body.as_bytes().to_vec(),
            hold: false,
        }
    }
}

/// A loopback server answering the n-th request with `answers(n)`; returns its URL.
async fn serve(answers: impl Fn(usize) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answers = std::sync::Arc::new(answers);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut tcp, _)) = listener.accept().await {
            let answer = answers(n);
            n += 1;
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let _ = write_answer(&mut tcp, &answer).await;
                if answer.hold {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            });
        }
    });
    url
}

async fn write_answer(tcp: &mut tokio::net::TcpStream, answer: &Answer) -> std::io::Result<()> {
    tcp.write_all(format!("{}\r\n\r\n", answer.head).as_bytes()).await?;
    let filler = vec![answer.byte; 64 * 1024];
    let mut pieces: Vec<&[u8]> = Vec::new();
    if !answer.prefix.is_empty() {
        pieces.push(&answer.prefix);
    }
    let mut left = answer.total;
    while left > 0 || !pieces.is_empty() {
        let piece = match pieces.pop() {
            Some(piece) => piece,
            None => {
                let n = left.min(filler.len());
                left -= n;
                &filler[..n]
            }
        };
        if answer.chunked {
            tcp.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
            tcp.write_all(piece).await?;
            tcp.write_all(b"\r\n").await?;
        } else {
            tcp.write_all(piece).await?;
        }
    }
    if answer.chunked {
        tcp.write_all(b"0\r\n\r\n").await?;
    }
    tcp.flush().await
}

fn client(url: &str, max_body: Option<usize>) -> Client {
    let mut builder = Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(url)
        .limiter(None)
        .max_retries(0)
        .attempt_timeout(Duration::from_secs(60));
    if let Some(cap) = max_body {
        builder = builder.max_body(cap);
    }
    builder.build().unwrap()
}

fn too_large(result: Result<impl std::fmt::Debug, Error>) -> Box<invent_api::BodyTooLarge> {
    match result {
        Err(Error::BodyTooLarge(e)) => e,
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn the_default_cap_is_64_mib() {
    assert_eq!(DEFAULT_MAX_BODY, 64 << 20);
    let url = serve(|_| Answer::chunked("200 OK", 64 << 20)).await;
    let error = too_large(client(&url, None).list_assistants().send().await);
    assert_eq!(error.limit, DEFAULT_MAX_BODY);
    // `[` plus 64 MiB of spaces is one byte over: read up to the chunk that crossed the cap.
    assert!(error.read > DEFAULT_MAX_BODY as u64 && error.read <= DEFAULT_MAX_BODY as u64 + 64 * 1024, "{error:?}");
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_a_typed_error() {
    let url = serve(|_| Answer::chunked("200 OK", 10 << 20)).await;
    let result = client(&url, Some(1 << 20)).list_assistants().send().await;
    let error = too_large(result);
    assert_eq!((error.status.as_u16(), error.limit, error.declared), (200, 1 << 20, None));
    assert!(error.read > 1 << 20 && error.read <= (1 << 20) + 64 * 1024 + 1, "{error:?}");
    assert_eq!(error.headers["transfer-encoding"], "chunked");
    assert_eq!(error.attempts, 1);
    let shown = Error::BodyTooLarge(error).to_string();
    assert!(shown.contains("1048576-byte limit") && shown.contains("max_body"), "{shown}");
}

/// A declared length over the cap fails before any of the body is read: the server here sends
/// nothing after its head and keeps the connection open, so reading would wait for the timeout.
#[tokio::test]
async fn a_content_length_over_the_cap_fails_before_reading() {
    let url = serve(|_| Answer::sized("200 OK", 1 << 30, 0)).await;
    let error = too_large(client(&url, None).list_assistants().send().await);
    assert_eq!((error.read, error.declared), (0, Some(1 << 30)));
    let shown = Error::BodyTooLarge(error).to_string();
    assert!(shown.contains("Content-Length: 1073741824") && shown.contains("nothing was read"), "{shown}");
}

/// A body exactly at the cap is whole; one byte more is not. Content-Length and chunked alike.
#[tokio::test]
async fn the_cap_is_exact() {
    let body = serde_json::to_string(&common::assistants(1..=50)).unwrap();
    let cap = body.len();
    for chunked in [false, true] {
        let body = body.clone();
        let url = serve(move |_| {
            let mut answer = Answer::json("200 OK", &body, "");
            if chunked {
                answer.head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked".into();
                answer.chunked = true;
            }
            answer
        })
        .await;
        let listed = client(&url, Some(cap)).list_assistants().send().await.unwrap();
        assert_eq!(listed.into_inner().len(), 50, "chunked: {chunked}");
        let error = too_large(client(&url, Some(cap - 1)).list_assistants().send().await);
        assert_eq!(error.limit, cap - 1, "chunked: {chunked}");
    }
}

/// A server that declares a small length and sends far more: the client reads what was declared
/// (HTTP framing), never the rest.
#[tokio::test]
async fn a_short_content_length_with_a_long_body_reads_only_the_declared_bytes() {
    let url = serve(|_| {
        let mut answer = Answer::sized("200 OK", 2, 8 << 20);
        answer.prefix = b"[]".to_vec();
        answer
    })
    .await;
    let listed = client(&url, Some(1 << 20)).list_assistants().send().await.unwrap();
    assert!(listed.into_inner().is_empty());
}

#[tokio::test]
async fn raw_calls_are_capped() {
    let url = serve(|_| Answer::chunked("200 OK", 3 << 20)).await;
    let error = too_large(client(&url, Some(1 << 20)).raw(Method::GET, "/orgs/c/anything").send().await);
    assert_eq!(error.limit, 1 << 20);
    let url = serve(|_| Answer::sized("200 OK", 1 << 20, 1 << 20)).await;
    let whole = client(&url, Some(1 << 20)).raw(Method::GET, "/orgs/c/anything").send().await.unwrap();
    assert_eq!(whole.into_inner().len(), 1 << 20, "exactly the cap is whole");
    let url = serve(|_| Answer::chunked("200 OK", 3 << 20)).await;
    let result =
        client(&url, Some(1 << 20)).raw(Method::GET, "/orgs/c/anything").send_json::<serde_json::Value>().await;
    too_large(result);
}

/// Each page is capped: a list whose second page is too big ends with the typed error after the
/// first page's items.
#[tokio::test]
async fn each_page_of_a_list_is_capped() {
    let url = serve(|n| match n {
        0 => {
            let page = serde_json::to_string(&common::assistants(1..=2)).unwrap();
            Answer::json("200 OK", &page, "\r\npagination-count: 4\r\npagination-page: 1\r\npagination-take: 2")
        }
        _ => Answer::chunked("200 OK", 4 << 20),
    })
    .await;
    let capped = client(&url, Some(1 << 20));
    let mut items = std::pin::pin!(capped.list_assistants().items());
    assert!(items.try_next().await.unwrap().is_some());
    assert!(items.try_next().await.unwrap().is_some());
    let error = items.try_next().await.unwrap_err();
    assert!(matches!(error, Error::BodyTooLarge(ref e) if e.limit == 1 << 20), "{error:?}");
    let url = serve(|_| Answer::chunked("200 OK", 4 << 20)).await;
    let result = client(&url, Some(1 << 20)).list_assistants().collect_all().await;
    too_large(result);
}

/// The answer to a WebSocket upgrade that is not a `101` is kept like an error body: at most
/// `max_error_body` bytes, however long it is.
#[tokio::test]
async fn a_refused_upgrade_keeps_at_most_the_error_body_cap() {
    let url = serve(|_| Answer::chunked("200 OK", 8 << 20)).await;
    let client = Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(&url)
        .limiter(None)
        .max_retries(0)
        .max_error_body(4096)
        .build()
        .unwrap();
    match client.watch_org_chats().send().await {
        Err(Error::Decode(e)) => {
            assert_eq!(e.status.as_u16(), 200);
            assert_eq!(e.body.len(), 4096, "cut at max_error_body");
        }
        other => panic!("expected a decode error for a 200 instead of a 101, got {:?}", other.map(|_| ())),
    }
}

/// Error bodies keep their own cap (`max_error_body`), whatever `max_body` is.
#[tokio::test]
async fn error_bodies_keep_their_own_cap() {
    let url = serve(|_| {
        let mut answer = Answer::chunked("404 Not Found", 4 << 20);
        answer.prefix = b"{".to_vec();
        answer
    })
    .await;
    match client(&url, Some(16)).list_assistants().send().await {
        Err(Error::Api(e)) => assert!(e.truncated && e.body.len() == invent_api::DEFAULT_MAX_ERROR_BODY, "{e:?}"),
        other => panic!("expected an API error, got {other:?}"),
    }
}
