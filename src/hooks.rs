//! progenitor's request hooks for [`Client`]: `pre` adds the API key and applies the client's org;
//! `exec` runs the retry loop (with the limiter), keeps error bodies for [`crate::Error`] and records a
//! tracing span per call.

use std::time::Instant;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::AUTHORIZATION;
use tracing::Instrument;

use crate::context;
use crate::operation::OperationSpec;
use crate::{body, org, retry, Client, Inner};

/// Operation id used for [`Client::raw`] calls.
pub(crate) const RAW_OPERATION: &str = "raw";

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request.headers_mut().insert(AUTHORIZATION, self.inner.shared.api_key.header());
        let org_scoped = info.operation_id == RAW_OPERATION
            || OperationSpec::find(info.operation_id).is_some_and(|op| op.org_scoped);
        if org_scoped {
            org::apply(request, &self.inner.shared.base_path, &self.inner.org);
        }
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let op = OperationSpec::find(info.operation_id);
        let span = tracing::info_span!(
            "invent.request",
            operation = info.operation_id,
            method = %request.method(),
            path = op.map_or_else(|| request.url().path(), |op| op.template),
            org = %self.inner.org,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let outcome =
            retry::execute(&self.client, &self.inner, request, info.operation_id).instrument(span.clone()).await;
        span.record("attempts", outcome.attempts);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        context::update(|r| {
            r.attempts = outcome.attempts;
            r.gave_up = outcome.stopped.as_ref().map(ToString::to_string);
        });
        let response = match outcome.result {
            Ok(response) => response,
            Err(error) => {
                span.in_scope(|| tracing::warn!(error = %error, "request failed"));
                return Err(error);
            }
        };
        span.record("status", response.status().as_u16());
        context::record_response(&response);
        if response.status().is_success() {
            return Ok(response);
        }
        keep_error_body(response, self.inner.shared.max_error_body).await
    }
}

/// Reads an error body, at most `cap` bytes (chunked or not), so the final error can keep it
/// verbatim, then hands progenitor an equivalent in-memory response.
async fn keep_error_body(response: reqwest::Response, cap: usize) -> reqwest::Result<reqwest::Response> {
    let (rebuilt, body) = body::buffer(response, cap).await?;
    context::update(|r| r.body = Some(body.bytes));
    Ok(rebuilt)
}
