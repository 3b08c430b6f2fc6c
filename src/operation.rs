//! The generic view of a generated operation: its [`OperationSpec`] (one generated static per
//! operation), the [`Quota`] it counts against, and the [`Operation`] trait every builder implements.

use std::future::Future;

use progenitor_client::ResponseValue;

use crate::Error;

/// One generated operation as the spec declares it (a generated static per operation, so nothing is
/// looked up by name at run time). [`crate::operations`] lists them all; `O::SPEC` is the one of an
/// [`Operation`].
///
/// ```
/// let spec = invent_api::operations().iter().find(|op| op.id == "list_assistants").expect("in the spec");
/// assert_eq!((spec.method.as_str(), spec.template), ("GET", "/orgs/{org_id}/assistants"));
/// assert!(spec.org_scoped && spec.is_idempotent());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationSpec {
    /// progenitor's snake_case id, also the `Client` method name (e.g. `list_assistants`).
    pub id: &'static str,
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The path template as the spec writes it (`/orgs/{org_id}/assistants`).
    pub template: &'static str,
    /// Whether the client's org ([`crate::Client::for_org`]) fills the path's org segment.
    pub org_scoped: bool,
    /// The server-side quota the operation counts against besides the per-IP limit.
    pub quota: Quota,
}

impl OperationSpec {
    /// Whether repeating the request cannot change the outcome (RFC 9110 §9.2.2).
    pub fn is_idempotent(&self) -> bool {
        self.method.is_idempotent()
    }
}

/// Server-side quotas an operation can count against (from the spec's `x-invent-quota`, set in
/// `spec-overrides.json`), each with its own client-side limiter bucket when configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Quota {
    /// Only the per-IP request limit.
    Shared,
    /// Invent's assistant creations per org (10 per hour), see
    /// [`crate::LimiterConfig::assistant_creations`].
    AssistantCreations,
}

/// A request builder of one operation (every `builder::*` type implements it, by generated code), for
/// code that handles any operation the same way.
///
/// ```
/// use invent_api::{Error, Operation, ResponseValue};
///
/// /// Sends any operation and logs which one it was.
/// async fn logged<O: Operation>(operation: O) -> Result<ResponseValue<O::Output>, Error> {
///     let spec = O::SPEC;
///     let result = operation.send().await;
///     println!("{} {} ({}): {}", spec.method, spec.template, spec.id, if result.is_ok() { "ok" } else { "failed" });
///     result
/// }
/// // logged(client.list_assistants().take(5)).await?
/// ```
pub trait Operation: Sized + Send {
    /// The success body type.
    type Output: Send;
    /// The error body type the spec declares (read it with [`Error::body_as`]).
    type ErrorBody;
    /// This operation's spec entry.
    const SPEC: &'static OperationSpec;
    /// Sends the request (the builder's own `send`).
    fn send(self) -> impl Future<Output = Result<ResponseValue<Self::Output>, Error>> + Send;
}
