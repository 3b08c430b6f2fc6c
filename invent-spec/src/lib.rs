//! `invent-spec`: turns any OpenAPI 3.1 (or 3.0) document into one progenitor 0.15 generates a compiling
//! client from, and drives progenitor. A thin list of modules; each module's first doc line says what
//! belongs in it.

#[cfg(feature = "tools")]
pub mod diff;
pub mod error;
pub mod ext;
#[cfg(feature = "tools")]
pub mod fetch;
pub mod generate;
pub mod lower;
pub mod names;
pub mod overrides;
pub mod pointer;
pub mod report;
pub mod rewrite;
#[cfg(feature = "tools")]
pub mod surface;

pub use error::SpecError;
pub use lower::{lower, LowerOptions};
pub use report::{Note, Report};
