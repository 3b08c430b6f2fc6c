//! Client setup: the builder and its settings (`config`), what a built client carries (`state`), the
//! API key and base-URL rules (`auth`), the org a call goes to (`org`) and the path segments it is
//! written into (`path`). Calls read this part; it never names the call path.

pub(crate) mod auth;
pub(crate) mod config;
pub(crate) mod org;
pub(crate) mod path;
pub(crate) mod state;
