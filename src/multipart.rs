//! Multipart request bodies: [`FilePart`] (the type binary properties of `multipart/form-data` bodies
//! are generated with) and the encoder generated code calls in place of `.json(&body)`. Each top-level
//! field of the body is one part: scalars as text, [`FilePart`]s as files, arrays as repeated parts,
//! objects as JSON (or the content type the spec's `encoding` names). A body built from bytes is
//! encoded up front, so it can be replayed by the retry loop; one with a streamed part is sent as a
//! stream, once.
// The encoder is named by generated code only when the spec has multipart operations.
#![allow(dead_code)]

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde::ser::{self, Serialize, SerializeSeq, SerializeStruct};

use crate::Error;

type ByteChunks = Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// A file sent as one part of a multipart body: bytes (replayable) or a stream (sent once), with an
/// optional file name and content type (default `application/octet-stream`). The generator types a
/// binary property of a `multipart/form-data` body as `FilePart`; set it on the body like any field,
/// and the generated `send` encodes the body as multipart. (Invent's current spec has no multipart
/// operation; specs built with `INVENT_API_SPEC` may.)
///
/// ```
/// use invent_api::FilePart;
///
/// let csv = FilePart::bytes(&b"id,name\n1,Mary\n"[..]).file_name("contacts.csv").content_type("text/csv");
/// assert_eq!(csv.as_bytes().map(|b| b.len()), Some(15)); // bytes: kept, so a retry can send them again
///
/// // A stream is read while the request is sent, so that request is never retried.
/// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"..."))]);
/// let streamed = FilePart::stream(chunks).file_name("big.bin");
/// assert!(streamed.as_bytes().is_none());
/// ```
#[derive(Clone)]
pub struct FilePart {
    data: PartData,
    file_name: Option<String>,
    content_type: Option<String>,
}

#[derive(Clone)]
enum PartData {
    Bytes(Bytes),
    /// Taken by the first request that sends it.
    Stream(Arc<Mutex<Option<ByteChunks>>>),
}

impl FilePart {
    /// A part holding `data`.
    pub fn bytes(data: impl Into<Bytes>) -> Self {
        FilePart { data: PartData::Bytes(data.into()), file_name: None, content_type: None }
    }

    /// A part read from `stream` while the request is sent. A request with a streamed part is never
    /// retried (the stream cannot be replayed) and can be sent only once.
    pub fn stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let chunks: ByteChunks = Box::pin(stream.map(|chunk| chunk.map_err(Into::into)));
        FilePart { data: PartData::Stream(Arc::new(Mutex::new(Some(chunks)))), file_name: None, content_type: None }
    }

    /// The file at `path`, read now; its name becomes the part's file name.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let part = Self::bytes(std::fs::read(path)?);
        Ok(match path.file_name().and_then(|n| n.to_str()) {
            Some(name) => part.file_name(name),
            None => part,
        })
    }

    /// Sets the file name sent in the part's `Content-Disposition`.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the part's `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The bytes, unless the part is a stream.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.data {
            PartData::Bytes(b) => Some(b),
            PartData::Stream(_) => None,
        }
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = match &self.data {
            PartData::Bytes(b) => format!("{} bytes", b.len()),
            PartData::Stream(_) => "stream".to_string(),
        };
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("data", &data)
            .finish()
    }
}

/// Name under which a file part announces itself to the encoder's serializer.
const MARKER: &str = "$invent_api::FilePart";

thread_local! {
    /// The file parts of the body being encoded (set only inside [`encode`], which serializes
    /// synchronously on one thread).
    static COLLECTED: RefCell<Option<Vec<FilePart>>> = const { RefCell::new(None) };
}

impl Serialize for FilePart {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let index = COLLECTED.with(|c| {
            c.borrow_mut().as_mut().map(|parts| {
                parts.push(self.clone());
                parts.len() - 1
            })
        });
        match index {
            Some(index) => serializer.serialize_newtype_struct(MARKER, &index),
            // Outside a multipart body (e.g. printing a request as JSON): what it is, not its bytes.
            None => {
                let mut s = serializer.serialize_struct("FilePart", 3)?;
                s.serialize_field("file_name", &self.file_name)?;
                s.serialize_field("content_type", &self.content_type)?;
                s.serialize_field("size", &self.as_bytes().map(Bytes::len))?;
                s.end()
            }
        }
    }
}

/// From a string (its UTF-8 bytes) or `{"data": "...", "file_name": ..., "content_type": ...}`.
impl<'de> serde::Deserialize<'de> for FilePart {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Full { data: String, file_name: Option<String>, content_type: Option<String> },
        }
        Ok(match Repr::deserialize(deserializer)? {
            Repr::Text(data) => FilePart::bytes(data),
            Repr::Full { data, file_name, content_type } => {
                FilePart { data: PartData::Bytes(Bytes::from(data)), file_name, content_type }
            }
        })
    }
}

/// One form field before encoding.
enum Value {
    Text(String),
    File(usize),
    Json(serde_json::Value),
    Many(Vec<Value>),
    Absent,
}

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

/// The body's top-level fields as form values, and the file parts they refer to.
fn collect<T: Serialize>(body: &T) -> Result<Collected, Error> {
    COLLECTED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let fields = body.serialize(Fields::default());
    let files = COLLECTED.with(|c| c.borrow_mut().take()).unwrap_or_default();
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

/// Serializes the body itself: it must be a struct or a map (its fields become parts).
#[derive(Default)]
struct Fields(Vec<(String, Value)>);

type JsonError = serde_json::Error;

fn unsupported(what: &str) -> JsonError {
    ser::Error::custom(format!("a multipart body must be an object, not {what}"))
}

macro_rules! refuse {
    ($($f:ident($($t:ty),*)),*) => {
        $(fn $f(self, $(_: $t),*) -> Result<Self::Ok, JsonError> { Err(unsupported(stringify!($f))) })*
    };
}

impl ser::Serializer for Fields {
    type Ok = Fields;
    type Error = JsonError;
    type SerializeSeq = ser::Impossible<Fields, JsonError>;
    type SerializeTuple = ser::Impossible<Fields, JsonError>;
    type SerializeTupleStruct = ser::Impossible<Fields, JsonError>;
    type SerializeTupleVariant = ser::Impossible<Fields, JsonError>;
    type SerializeMap = FieldsMap;
    type SerializeStruct = Fields;
    type SerializeStructVariant = ser::Impossible<Fields, JsonError>;

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str)
    );

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Fields, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<Fields, JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Fields, JsonError> {
        Err(unsupported("an enum"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Err(unsupported("an array"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, JsonError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, JsonError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        Err(unsupported("an enum"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<FieldsMap, JsonError> {
        Ok(FieldsMap { fields: self, key: None })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields, JsonError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        Err(unsupported("an enum"))
    }
}

impl SerializeStruct for Fields {
    type Ok = Fields;
    type Error = JsonError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), JsonError> {
        self.0.push((key.to_string(), value.serialize(FieldValue)?));
        Ok(())
    }
    fn end(self) -> Result<Fields, JsonError> {
        Ok(self)
    }
}

/// Free-form bodies (`additionalProperties`) serialize as maps: keys must be strings.
struct FieldsMap {
    fields: Fields,
    key: Option<String>,
}

impl ser::SerializeMap for FieldsMap {
    type Ok = Fields;
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), JsonError> {
        match serde_json::to_value(key)? {
            serde_json::Value::String(k) => self.key = Some(k),
            other => return Err(ser::Error::custom(format!("multipart field names must be strings, not {other}"))),
        }
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        let key = self.key.take().ok_or_else(|| <JsonError as ser::Error>::custom("value without a key"))?;
        self.fields.0.push((key, value.serialize(FieldValue)?));
        Ok(())
    }
    fn end(self) -> Result<Fields, JsonError> {
        Ok(self.fields)
    }
}

/// Serializes one field's value into a [`Value`].
struct FieldValue;

fn text(v: impl ToString) -> Result<Value, JsonError> {
    Ok(Value::Text(v.to_string()))
}

/// Serializes into JSON, then wraps the result (objects and nested values).
struct JsonPart<S>(S);

impl<S: SerializeSeq<Ok = serde_json::Value, Error = JsonError>> SerializeSeq for JsonPart<S> {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.serialize_element(value)
    }
    fn end(self) -> Result<Value, JsonError> {
        self.0.end().map(Value::Json)
    }
}

macro_rules! json_part {
    ($trait:ident, $method:ident) => {
        impl<S: ser::$trait<Ok = serde_json::Value, Error = JsonError>> ser::$trait for JsonPart<S> {
            type Ok = Value;
            type Error = JsonError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
                self.0.$method(value)
            }
            fn end(self) -> Result<Value, JsonError> {
                self.0.end().map(Value::Json)
            }
        }
    };
}
json_part!(SerializeTuple, serialize_element);
json_part!(SerializeTupleStruct, serialize_field);
json_part!(SerializeTupleVariant, serialize_field);

impl<S: ser::SerializeMap<Ok = serde_json::Value, Error = JsonError>> ser::SerializeMap for JsonPart<S> {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), JsonError> {
        self.0.serialize_key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.serialize_value(value)
    }
    fn end(self) -> Result<Value, JsonError> {
        self.0.end().map(Value::Json)
    }
}

macro_rules! json_struct_part {
    ($trait:ident) => {
        impl<S: ser::$trait<Ok = serde_json::Value, Error = JsonError>> ser::$trait for JsonPart<S> {
            type Ok = Value;
            type Error = JsonError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), JsonError> {
                self.0.serialize_field(key, value)
            }
            fn end(self) -> Result<Value, JsonError> {
                self.0.end().map(Value::Json)
            }
        }
    };
}
json_struct_part!(SerializeStruct);
json_struct_part!(SerializeStructVariant);

/// An array field: each element is a part of its own (files, text) under the field's name.
struct Many(Vec<Value>);

impl SerializeSeq for Many {
    type Ok = Value;
    type Error = JsonError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), JsonError> {
        self.0.push(value.serialize(FieldValue)?);
        Ok(())
    }
    fn end(self) -> Result<Value, JsonError> {
        Ok(Value::Many(self.0))
    }
}

type JsonSer = serde_json::value::Serializer;

impl ser::Serializer for FieldValue {
    type Ok = Value;
    type Error = JsonError;
    type SerializeSeq = Many;
    type SerializeTuple = JsonPart<<JsonSer as ser::Serializer>::SerializeTuple>;
    type SerializeTupleStruct = JsonPart<<JsonSer as ser::Serializer>::SerializeTupleStruct>;
    type SerializeTupleVariant = JsonPart<<JsonSer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = JsonPart<<JsonSer as ser::Serializer>::SerializeMap>;
    type SerializeStruct = JsonPart<<JsonSer as ser::Serializer>::SerializeStruct>;
    type SerializeStructVariant = JsonPart<<JsonSer as ser::Serializer>::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_str(self, v: &str) -> Result<Value, JsonError> {
        text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, JsonError> {
        Ok(Value::Text(String::from_utf8_lossy(v).into_owned()))
    }
    fn serialize_none(self) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, JsonError> {
        Ok(Value::Absent)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Value, JsonError> {
        text(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, JsonError> {
        if name == MARKER {
            let index = serde_json::to_value(value)?
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| <JsonError as ser::Error>::custom("file part index"))?;
            return Ok(Value::File(index));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, JsonError> {
        ser::Serializer::serialize_newtype_variant(JsonSer {}, name, index, variant, value).map(Value::Json)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Many, JsonError> {
        Ok(Many(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, JsonError> {
        ser::Serializer::serialize_tuple(JsonSer {}, len).map(JsonPart)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, JsonError> {
        ser::Serializer::serialize_tuple_struct(JsonSer {}, name, len).map(JsonPart)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        ser::Serializer::serialize_tuple_variant(JsonSer {}, name, index, variant, len).map(JsonPart)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        ser::Serializer::serialize_map(JsonSer {}, len).map(JsonPart)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, JsonError> {
        ser::Serializer::serialize_struct(JsonSer {}, name, len).map(JsonPart)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        ser::Serializer::serialize_struct_variant(JsonSer {}, name, index, variant, len).map(JsonPart)
    }
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
        assert!(COLLECTED.with(|c| c.borrow().is_none()), "the collector is cleared");
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
