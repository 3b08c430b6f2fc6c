//! The file parts of the body being encoded: serde cannot hand a [`FilePart`]'s bytes or stream through
//! a `Serializer`, so while [`capturing`] runs (the encoder serializing a body, synchronously, on one
//! thread) each file part is put aside in a thread-local and serialized as its index, which the form
//! fields refer to.

use std::cell::RefCell;

use bytes::Bytes;
use serde::ser::{self, Serialize, SerializeStruct};

use super::file_part::FilePart;

/// Name under which a file part announces itself to the encoder's serializer.
pub(super) const MARKER: &str = "$invent_api::FilePart";

thread_local! {
    /// The file parts of the body being encoded (set only inside [`capturing`], which the encoder
    /// calls to serialize a body synchronously on one thread).
    static COLLECTED: RefCell<Option<Vec<FilePart>>> = const { RefCell::new(None) };
}

/// Runs `serialize` with a capture open and returns its result with the file parts it captured, in
/// the order their indices were given. The capture is closed again whatever `serialize` returned.
pub(super) fn capturing<R>(serialize: impl FnOnce() -> R) -> (R, Vec<FilePart>) {
    COLLECTED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let result = serialize();
    let files = COLLECTED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (result, files)
}

/// Inside a capture, a file part serializes as its index (a newtype named `MARKER`, which the form
/// serializer recognizes); outside one, as a summary (never its bytes).
impl Serialize for FilePart {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match record(self) {
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

/// Adds `part` to the capture of the body being encoded and returns its index; `None` outside
/// [`capturing`] (a `FilePart` serialized for anything else).
pub(super) fn record(part: &FilePart) -> Option<usize> {
    COLLECTED.with(|c| {
        c.borrow_mut().as_mut().map(|parts| {
            parts.push(part.clone());
            parts.len() - 1
        })
    })
}

/// Whether a capture is open (for tests: [`capturing`] must close it).
#[cfg(test)]
pub(super) fn is_open() -> bool {
    COLLECTED.with(|c| c.borrow().is_some())
}
