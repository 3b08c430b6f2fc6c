//! Multipart uploads and deepObject maps through a generated client, on the wire: the crate is built
//! from `invent-spec/tests/specs/multipart-upload.json` (a multipart-only upload, a free-form deepObject
//! map, several response body types) and a program sends through the generated builders to a loopback
//! server that records every request byte for byte.

#[path = "common/spec_program.rs"]
mod spec_program;

const MAIN: &str = r##"
use std::sync::{Arc, Mutex};

use invent_api::{types, Error, FilePart};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as the server read it: the head (request line and headers) and the body.
#[derive(Clone, Debug)]
struct Seen { head: String, body: Vec<u8> }

/// Answers the n-th request with `replies[n]` (status, content type, body), recording each request.
async fn server(replies: Vec<(u16, &'static str, &'static str)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            let head_end = loop {
                let read = sock.read(&mut chunk).await.unwrap();
                if read == 0 { return; }
                buf.extend_from_slice(&chunk[..read]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") { break i + 4; }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let length: usize = head.lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
            // A chunked body ends with its last-chunk line and an empty trailer.
            while (chunked && !buf[head_end..].ends_with(b"0\r\n\r\n")) || (!chunked && buf.len() < head_end + length) {
                let read = sock.read(&mut chunk).await.unwrap();
                if read == 0 { break; }
                buf.extend_from_slice(&chunk[..read]);
            }
            let body = if chunked { dechunk(&buf[head_end..]) } else { buf[head_end..].to_vec() };
            log.lock().unwrap().push(Seen { head, body });
            let (status, ctype, body) = replies[n.min(replies.len() - 1)];
            n += 1;
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nretry-after: 0\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (format!("http://{addr}"), seen)
}

/// The payload of a chunked body (`size CRLF data CRLF` … `0 CRLF CRLF`).
fn dechunk(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = wire.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&wire[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 { return out; }
        out.extend_from_slice(&wire[line_end + 2..line_end + 2 + size]);
        wire = &wire[line_end + 2 + size + 2..];
    }
}

fn client(base: &str) -> invent_api::Client {
    invent_api::Client::builder().api_key("sk_wire").base_url(base).limiter(None).build().expect("client")
}

fn upload() -> types::Upload {
    types::Upload {
        file: FilePart::bytes(&b"%PDF-1.7\r\nbinary\x00\xff"[..]).file_name("invoice.pdf").content_type("application/pdf"),
        purpose: types::UploadPurpose::Invoice,
        tags: vec!["a".into(), "b c".into()],
        meta: [("n".to_string(), json!(1))].into_iter().collect(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // A 429 first: the retry builds the multipart body again from the same values, so it sends the same
    // parts in the same order (under a boundary of its own) to the 201.
    let (base, seen) = server(vec![(429, "text/plain", "slow down"), (201, "application/json", r#"{"id":"f1","size":17}"#)]).await;
    let stored = client(&base).upload_contact_file().contact_id("ct_1").body(upload()).send().await.expect("stored");
    assert_eq!(stored.status().as_u16(), 201);
    let stored = stored.into_inner();
    assert_eq!((stored.id.as_str(), stored.size), ("f1", Some(17)));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (attempt, request) in seen.iter().enumerate() {
        let head = &request.head;
        assert!(head.starts_with("POST /orgs/c/contacts/ct_1/files HTTP/1.1\r\n"), "attempt {attempt}: {head}");
        let boundary = head.lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: multipart/form-data; boundary=").map(str::to_string))
            .expect("a multipart content type");
        let mut expected = Vec::new();
        expected.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"invoice.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        expected.extend_from_slice(b"%PDF-1.7\r\nbinary\x00\xff\r\n");
        // Parts in the order of the generated struct's fields (typify sorts them by name).
        expected.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{{\"n\":1}}\r\n").as_bytes());
        for (name, value) in [("purpose", "invoice"), ("tags", "a"), ("tags", "b c")] {
            expected.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        expected.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        assert_eq!(request.body, expected, "attempt {attempt}:\n{}", String::from_utf8_lossy(&request.body));
    }
    println!("ok multipart body byte for byte, replayed after a 429");

    // A streamed file part is sent once and never retried (it cannot be replayed), even after a 429,
    // which the bytes body above was retried after; the one request carried the stream's chunks.
    let (base, seen) = server(vec![(429, "text/plain", "slow down"), (201, "application/json", r#"{"id":"f2"}"#)]).await;
    let chunks = futures_stream();
    let mut body = upload();
    body.file = FilePart::stream(chunks).file_name("big.bin");
    let error = client(&base).upload_contact_file().contact_id("ct_1").body(body).send().await.unwrap_err();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(matches!(&error, Error::Api(e) if e.status.as_u16() == 429), "{error:?}");
    assert!(seen[0].head.contains("transfer-encoding: chunked"), "{:?}", seen[0].head);
    let boundary = seen[0].head.lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: multipart/form-data; boundary=").map(str::to_string))
        .expect("a multipart content type");
    let file_part = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\nchunk one, chunk two\r\n--{boundary}\r\n");
    let body_text = String::from_utf8_lossy(&seen[0].body).to_string();
    assert!(body_text.starts_with(&file_part), "{body_text}");
    assert!(body_text.ends_with(&format!("--{boundary}--\r\n")), "{body_text}");
    println!("ok streamed part sent once, not retried");

    // Error bodies of both declared kinds, by status.
    let (base, _) = server(vec![(413, "text/plain", "too big"), (422, "application/json", r#"{"message":"bad"}"#)]).await;
    let c = client(&base);
    let e = c.upload_contact_file().contact_id("ct_1").body(upload()).send().await.unwrap_err();
    assert!(matches!(e.body_as::<types::UploadContactFileError>(), Some(types::UploadContactFileError::Status413(b)) if &b[..] == b"too big"));
    let e = c.upload_contact_file().contact_id("ct_1").body(upload()).send().await.unwrap_err();
    assert!(matches!(e.body_as::<types::UploadContactFileError>(), Some(types::UploadContactFileError::Status4xx(p)) if p.message.as_deref() == Some("bad")), "{e:?}");
    println!("ok error bodies typed by status");

    // A free-form deepObject map: `group[key]=value`.
    let (base, seen) = server(vec![(200, "application/json", r#"["cus_1"]"#)]).await;
    let group: std::collections::HashMap<String, String> =
        [("country".to_string(), "FR".to_string()), ("plan".to_string(), "pro".to_string())].into_iter().collect();
    let customers = client(&base).list_customers().group(group).send().await.expect("customers");
    assert_eq!(customers.into_inner(), vec!["cus_1".to_string()]);
    let line = seen.lock().unwrap()[0].head.lines().next().unwrap().to_string();
    assert_eq!(line, "GET /orgs/c/customers?group%5Bcountry%5D=FR&group%5Bplan%5D=pro HTTP/1.1");
    println!("ok deepObject map as name[key]=value");
}

fn futures_stream() -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures::stream::iter([Ok(bytes::Bytes::from_static(b"chunk one, ")), Ok(bytes::Bytes::from_static(b"chunk two"))])
}
"##;

#[test]
fn multipart_bodies_and_deep_object_maps_on_the_wire() {
    let printed = spec_program::run("multipart-upload", "multipart-upload.json", MAIN);
    assert_eq!(
        printed,
        [
            "ok multipart body byte for byte, replayed after a 429",
            "ok streamed part sent once, not retried",
            "ok error bodies typed by status",
            "ok deepObject map as name[key]=value",
        ]
    );
}
