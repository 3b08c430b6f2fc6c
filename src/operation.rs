//! The generic view of a generated operation: [`Operation`] (implemented by `build.rs` output for every
//! builder), the operation table, and [`OperationExt::call`], which sends with full error context.

use std::future::Future;

use crate::{context, ResponseValue};

/// One generated operation as the spec declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// progenitor's snake_case id, also the `Client` method name (e.g. `list_assistants`).
    pub id: &'static str,
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path as generated, org segment inlined (`/orgs/c/assistants`).
    pub path: &'static str,
    /// The path template as the spec writes it (`/orgs/{org_id}/assistants`).
    pub template: &'static str,
    /// Whether the client's org ([`crate::Client::for_org`]) applies.
    pub org_scoped: bool,
}

impl OperationSpec {
    /// Looks an operation up by its id.
    pub fn find(id: &str) -> Option<&'static OperationSpec> {
        crate::operations().iter().find(|op| op.id == id)
    }

    /// Whether repeating the request cannot change the outcome (RFC 9110 §9.2.2).
    pub fn is_idempotent(&self) -> bool {
        crate::retry::is_idempotent_method(self.method)
    }
}

/// A request builder of one operation (every `builder::*` type implements it, by generated code).
pub trait Operation: Sized + Send {
    /// The success body type.
    type Output: Send;
    /// The declared error body type.
    type ErrorBody: Send;
    /// The operation id (`OperationInfo::operation_id`).
    const ID: &'static str;
    /// Sends the request exactly as the builder's own `send()` does.
    fn dispatch(
        self,
    ) -> impl Future<Output = Result<ResponseValue<Self::Output>, progenitor_client::Error<Self::ErrorBody>>> + Send;

    /// This operation's table entry.
    fn spec() -> Option<&'static OperationSpec> {
        OperationSpec::find(Self::ID)
    }
}

/// Sending with the crate's [`Error`]: status, headers, raw body and attempt count are always kept.
pub trait OperationExt: Operation {
    /// Sends the request; like `send()`, but failures are [`Error`] with everything the server said.
    fn call(self) -> impl Future<Output = crate::Result<ResponseValue<Self::Output>>> + Send {
        context::run(self.dispatch())
    }
}

impl<T: Operation> OperationExt for T {}
