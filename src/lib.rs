// The crate docs (the docs.rs front page) are docs/crate.md; the guide's pages are src/guide.rs.
#![doc = include_str!("../docs/crate.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names the crate by its absolute path (mocks, CLI); make that path resolve here too.
extern crate self as invent_api;

mod body;
mod call;
mod client;
mod config_error;
mod error;
mod generated;
pub mod guide;
mod limiter;
#[cfg(invent_messages)]
mod messages;
mod operation;
mod pagination;
mod retry;
mod rng;

// Paths generated code names: invent-spec's rewrite rules and extension code write `crate::decode::…`,
// `crate::query::…`, `crate::cookie::…` and `crate::multipart::…` (and `crate::call::…`, which is where
// it lives); these keep them resolving now that the modules sit under `call/`.
#[allow(unused_imports, reason = "a spec without cookie, deepObject or multipart operations names none of them")]
pub(crate) use call::{cookie, decode, multipart, query};

// Live events over Invent's WebSocket routes (`Client::chat_events`, `Client::inbox_events`).
#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod events;

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

// Drift capture: where real responses depart from the spec (`ClientBuilder::drift`).
#[cfg(feature = "drift")]
mod drift;
#[cfg(feature = "drift")]
#[cfg_attr(docsrs, doc(cfg(feature = "drift")))]
pub use drift::{
    DriftConfig, DriftFinding, DriftKind, DriftReport, DEFAULT_MAX_FINDINGS, ENV_DRIFT_FILE, ENV_DRIFT_SAMPLE,
};

pub use body::{DEFAULT_MAX_BODY, DEFAULT_MAX_ERROR_BODY};
pub use call::decode::{ResponseBody, Unlisted};
pub use call::multipart::FilePart;
pub use call::raw::RawRequest;
pub use client::config::{
    ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE, ENV_API_KEY,
    ENV_BASE_URL, ENV_ORG,
};
pub use client::org::{Org, CURRENT_ORG};
pub use client::path::path_segment;
pub use config_error::ConfigError;
pub use error::{ApiError, BodyTooLarge, DecodeError, Error, PaginationError, Result};
pub use generated::{builder, types, ByteStream, Client, ResponseValue};
pub use limiter::LimiterConfig;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use limiter::SharedRedis;
pub use operation::{Operation, OperationSpec, Quota};
pub use pagination::{ListOperation, Page, PageInfo, Paginate, DEFAULT_MAX_PAGES, LARGEST_TAKE as MAX_TAKE};
pub use retry::config::{RetryConfig, MAX_RETRIES_LIMIT};
pub use retry::stop::{AttemptFailure, RetryStop, WaitLimit};
// progenitor's `Client` names it as its inner type; users never build or read one.
#[doc(hidden)]
pub use client::state::Inner;
mod spec_revision;
pub use spec_revision::{SPEC_SHA256, SPEC_VERSION};

/// The HTTP types the public API shows: [`Method`] for [`Client::raw`], [`StatusCode`] and [`HeaderMap`]
/// of errors and responses (the same types as `reqwest`'s and `http`'s, re-exported so a program
/// needs neither dependency).
pub use reqwest::{header::HeaderMap, Method, StatusCode};

/// progenitor's runtime crate, for code that wants its error type (`progenitor_client::Error`).
pub use progenitor_client;

/// Everything a typical program needs: `use invent_api::prelude::*;`.
pub mod prelude {
    pub use crate::{
        types, Client, ClientBuilder, Error, FilePart, LimiterConfig, ListOperation, Operation, Org, PageInfo,
        Paginate, ResponseValue, RetryConfig,
    };
}

/// The README's Rust examples, compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Every operation of the vendored spec (id, method, path template, org scope, quota), in spec order.
///
/// ```
/// let writes = invent_api::operations().iter().filter(|op| !op.is_idempotent()).count();
/// println!("{} operations, {writes} of them never re-sent after a 5xx", invent_api::operations().len());
/// ```
pub fn operations() -> &'static [&'static OperationSpec] {
    generated::OPERATIONS
}
