//! The bytes on the wire (RFC 7578): each form field one part, `Content-Disposition` and `Content-Type`
//! heads, a random boundary; a body of bytes is encoded up front (replayable), one with a streamed part
//! as a stream (sent once).

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde::Serialize;

use super::capture::capturing;
use super::fields::{Fields, Value};
use super::file_part::{ByteChunks, FilePart, PartData};
use crate::Error;

struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: PartBody,
}

enum PartBody {
    Bytes(Bytes),
    Stream(ByteChunks),
}

/// Sets `body` as a `multipart/form-data` body of `request`. `encoding` maps field names to the
/// content type the spec gives them.
#[allow(dead_code, reason = "named by generated code only when the spec has multipart operations")]
pub(crate) fn encode<T: Serialize>(
    request: reqwest::RequestBuilder,
    body: &T,
    encoding: &[(&str, &str)],
) -> Result<reqwest::RequestBuilder, Error> {
    let (fields, files) = collect(body)?;
    let mut parts = Vec::new();
    for (name, value) in fields {
        push_parts(&mut parts, &name, value, &files, encoding)?;
    }
    let boundary = format!("invent-{:032x}", crate::rng::u128());
    let content_type = HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
        .map_err(|e| Error::InvalidRequest(format!("multipart boundary: {e}")))?;
    let request = request.header(CONTENT_TYPE, content_type);
    Ok(if parts.iter().all(|p| matches!(p.data, PartBody::Bytes(_))) {
        let mut out = BytesMut::new();
        for part in parts {
            out.extend_from_slice(&part_head(&boundary, &part));
            if let PartBody::Bytes(b) = part.data {
                out.extend_from_slice(&b);
            }
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        request.body(out.freeze())
    } else {
        let mut chunks: Vec<ByteChunks> = Vec::new();
        for part in parts {
            chunks.push(Box::pin(futures::stream::once(futures::future::ready(Ok(part_head(&boundary, &part))))));
            chunks.push(match part.data {
                PartBody::Bytes(b) => Box::pin(futures::stream::once(futures::future::ready(Ok(b)))),
                PartBody::Stream(s) => s,
            });
            chunks.push(Box::pin(futures::stream::once(futures::future::ready(Ok(Bytes::from_static(b"\r\n"))))));
        }
        let end = Bytes::from(format!("--{boundary}--\r\n"));
        chunks.push(Box::pin(futures::stream::once(futures::future::ready(Ok(end)))));
        request.body(reqwest::Body::wrap_stream(futures::stream::iter(chunks).flatten()))
    })
}

/// A body's top-level fields (name, value) and the file parts their values refer to by index.
type Collected = (Vec<(String, Value)>, Vec<FilePart>);

/// The body's top-level fields as form values, and the file parts they refer to by index.
fn collect<T: Serialize>(body: &T) -> Result<Collected, Error> {
    let (fields, files) = capturing(|| body.serialize(Fields::default()));
    let fields = fields.map_err(|e| Error::InvalidRequest(format!("multipart body: {e}")))?;
    Ok((fields.0, files))
}

fn push_parts(
    parts: &mut Vec<Part>,
    name: &str,
    value: Value,
    files: &[FilePart],
    encoding: &[(&str, &str)],
) -> Result<(), Error> {
    let declared = encoding.iter().find(|(n, _)| *n == name).map(|(_, ct)| ct.to_string());
    let text = |data: Bytes, content_type: Option<String>| Part {
        name: name.to_string(),
        file_name: None,
        content_type,
        data: PartBody::Bytes(data),
    };
    match value {
        Value::Absent => {}
        Value::Text(s) => parts.push(text(Bytes::from(s), declared)),
        Value::Json(v) => {
            let data =
                serde_json::to_vec(&v).map_err(|e| Error::InvalidRequest(format!("multipart field `{name}`: {e}")))?;
            parts.push(text(Bytes::from(data), declared.or_else(|| Some("application/json".into()))));
        }
        Value::Many(items) => {
            for item in items {
                push_parts(parts, name, item, files, encoding)?;
            }
        }
        Value::File(index) => {
            let file = files.get(index).ok_or_else(|| Error::InvalidRequest("multipart: file part lost".into()))?;
            let data = match &file.data {
                PartData::Bytes(b) => PartBody::Bytes(b.clone()),
                PartData::Stream(slot) => {
                    let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                    PartBody::Stream(taken.ok_or_else(|| {
                        Error::InvalidRequest(format!("multipart field `{name}`: its stream was already sent"))
                    })?)
                }
            };
            parts.push(Part {
                name: name.to_string(),
                file_name: Some(file.file_name.clone().unwrap_or_else(|| name.to_string())),
                content_type: file
                    .content_type
                    .clone()
                    .or(declared)
                    .or_else(|| Some("application/octet-stream".into())),
                data,
            });
        }
    }
    Ok(())
}

/// `--boundary`, `Content-Disposition` and `Content-Type` of one part (RFC 7578), up to the blank line.
fn part_head(boundary: &str, part: &Part) -> Bytes {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"").replace(['\r', '\n'], " ");
    let mut head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"", quote(&part.name));
    if let Some(file_name) = &part.file_name {
        head.push_str(&format!("; filename=\"{}\"", quote(file_name)));
    }
    head.push_str("\r\n");
    if let Some(ct) = &part.content_type {
        head.push_str(&format!("Content-Type: {}\r\n", ct.replace(['\r', '\n'], " ")));
    }
    head.push_str("\r\n");
    Bytes::from(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Upload {
        file: FilePart,
        purpose: String,
        tags: Vec<String>,
        limit: Option<u32>,
        skipped: Option<u32>,
        meta: serde_json::Value,
    }

    fn boundary(request: &reqwest::Request) -> String {
        let ct = request.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
        ct.strip_prefix("multipart/form-data; boundary=").unwrap().to_string()
    }

    #[test]
    fn exact_bytes_of_a_replayable_body() {
        let body = Upload {
            file: FilePart::bytes(&b"hello\r\n"[..]).file_name("a \"b\".txt").content_type("text/plain"),
            purpose: "fine-tune".into(),
            tags: vec!["x".into(), "y".into()],
            limit: Some(3),
            skipped: None,
            meta: serde_json::json!({"k": [1]}),
        };
        let client = reqwest::Client::new();
        let request = encode(client.post("http://127.0.0.1:9/x"), &body, &[("meta", "application/vnd.x+json")])
            .unwrap()
            .build()
            .unwrap();
        let b = boundary(&request);
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nx\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\ny\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"limit\"\r\n\r\n3\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/vnd.x+json\r\n\r\n{{\"k\":[1]}}\r\n\
             --{b}--\r\n"
        );
        assert_eq!(std::str::from_utf8(request.body().unwrap().as_bytes().unwrap()).unwrap(), expected);
        assert!(request.try_clone().is_some(), "a body of bytes can be replayed");
        assert!(!super::super::capture::is_open(), "the capture is closed");
    }

    #[test]
    fn a_streamed_part_is_not_replayable_and_goes_once() {
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]);
        let part = FilePart::stream(chunks);
        #[derive(serde::Serialize)]
        struct One {
            file: FilePart,
        }
        let body = One { file: part };
        let client = reqwest::Client::new();
        let request = encode(client.post("http://127.0.0.1:9/x"), &body, &[]).unwrap().build().unwrap();
        assert!(request.try_clone().is_none());
        let again = encode(client.post("http://127.0.0.1:9/x"), &body, &[]);
        assert!(matches!(again, Err(Error::InvalidRequest(m)) if m.contains("already sent")));
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        let client = reqwest::Client::new();
        assert!(matches!(encode(client.post("http://127.0.0.1:9/x"), &vec![1], &[]), Err(Error::InvalidRequest(_))));
        assert!(format!("{:?}", FilePart::bytes("secret")).contains("6 bytes"));
    }
}
