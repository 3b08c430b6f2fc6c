//! Multipart request bodies: [`FilePart`] (the type binary properties of `multipart/form-data` bodies
//! are generated with) and the encoder generated code calls in place of `.json(&body)`. Each top-level
//! field of the body is one part: scalars as text, [`FilePart`]s as files, arrays as repeated parts,
//! objects as JSON (or the content type the spec's `encoding` names). A body built from bytes is
//! encoded up front, so it can be replayed by the retry loop; one with a streamed part is sent as a
//! stream, once.
//!
//! One file a job: the public type (`file_part`), the thread-local capture of a body's file parts
//! (`capture`), the serde `Serializer` that turns a body into form fields (`fields`), and the wire
//! encoding (`wire`).

mod capture;
mod fields;
mod file_part;
mod wire;

pub use file_part::FilePart;
#[allow(unused_imports, reason = "named by generated code only when the spec has multipart operations")]
pub(crate) use wire::encode;
