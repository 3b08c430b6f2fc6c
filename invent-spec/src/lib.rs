//! `invent-spec`: turns any OpenAPI 3.1 (or 3.0) document into one progenitor 0.15 generates a compiling
//! client from, and drives progenitor. A thin list of modules; each module's first doc line says what
//! belongs in it.

#[cfg(feature = "tools")]
pub mod cmdline;
#[cfg(feature = "tools")]
pub mod diff;
#[cfg(feature = "tools")]
pub mod download;
pub mod drift;
pub mod error;
pub mod ext;
pub mod files;
pub mod generate;
pub mod lower;
pub mod names;
pub mod overrides;
mod panics;
pub mod pointer;
pub mod report;
pub mod rewrite;
// Spec revision (info.version + SHA-256) for build scripts to export (packaging).
pub mod revision;
mod sha256;
#[cfg(feature = "tools")]
pub mod surface;
#[cfg(feature = "tools")]
pub mod update;

pub use error::SpecError;
pub use lower::{lower, LowerOptions};
pub use report::{Note, Report};
