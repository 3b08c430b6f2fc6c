//! What the request hooks learn during one call (last status and headers, attempts, why a retry was
//! skipped), kept in a task-local so [`crate::OperationExt::call`] can build a complete [`crate::Error`]
//! even where progenitor's error drops the status.

use std::cell::RefCell;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// Facts about the call in progress.
#[derive(Debug, Default, Clone)]
pub(crate) struct CallRecord {
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: Option<HeaderMap>,
    /// Body of the last non-success response, buffered by the hooks so errors keep it verbatim.
    pub(crate) body: Option<bytes::Bytes>,
    pub(crate) attempts: u32,
    /// Why the hooks stopped retrying (budget spent, body not replayable, deadline, …).
    pub(crate) gave_up: Option<String>,
}

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// Runs `fut` with a fresh record and returns the record with the output.
pub(crate) async fn scope<F: std::future::Future>(fut: F) -> (F::Output, CallRecord) {
    CALL.scope(RefCell::new(CallRecord::default()), async move {
        let out = fut.await;
        let record = CALL.with(|c| c.borrow().clone());
        (out, record)
    })
    .await
}

/// Runs one progenitor-style call in a fresh scope and turns its error into [`crate::Error`] with what
/// the hooks recorded (shared by `OperationExt::call` and raw calls).
pub(crate) async fn run<T, E: Send>(
    fut: impl std::future::Future<Output = Result<T, progenitor_client::Error<E>>>,
) -> crate::Result<T> {
    let (result, record) = scope(fut).await;
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(crate::Error::from_progenitor(error, record).await),
    }
}

/// Updates the record if a scope is active (plain `.send()` calls have none; that is fine).
pub(crate) fn update(f: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|c| f(&mut c.borrow_mut()));
}

pub(crate) fn record_response(response: &reqwest::Response) {
    update(|r| {
        r.status = Some(response.status());
        r.headers = Some(response.headers().clone());
    });
}
