//! [`FilePart`]: the public type binary properties of `multipart/form-data` bodies are generated
//! with, and how it deserializes (how it serializes is the capture's: `capture.rs`).

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{Stream, StreamExt};

/// The chunks of a streamed file part.
pub(super) type ByteChunks =
    Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

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
    pub(super) data: PartData,
    pub(super) file_name: Option<String>,
    pub(super) content_type: Option<String>,
}

/// A part's content: bytes, or a stream taken by the first request that sends it.
#[derive(Clone)]
pub(super) enum PartData {
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
