//! Client setup: the builder and its settings (`config`), what a built client carries (`state`), the
//! API key and base-URL rules (`auth`), the org a call goes to (`org`), the path segments it is written
//! into (`path`) and what the events' upgrade client is made from (`sockets`). Calls read this part; it
//! never names the call path.

pub(crate) mod auth;
pub(crate) mod config;
pub(crate) mod org;
pub(crate) mod path;
#[cfg(feature = "events")]
pub(crate) mod sockets;
pub(crate) mod state;
