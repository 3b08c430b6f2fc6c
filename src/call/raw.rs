//! Raw calls: any path (e.g. an endpoint the spec does not document yet) with the same auth, org
//! alias, retries, limiter, errors and tracing as generated calls (they end in the same executor).
//!
//! What is checked: the path stays under the base URL's origin (it is appended to the base URL, with a
//! leading `/`), the client's org goes into `/orgs/c/…` as one segment, and a dot segment (`.`, `..`,
//! also as `%2e`, with `\` for `/`, or with tabs and newlines a URL parser drops) fails the call unless
//! [`RawRequest::allow_dot_segments`] opts in. What is not: the rest of the path is sent as written,
//! so an id put into it must be encoded by the caller with [`crate::path_segment`].

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;

use progenitor_client::ResponseValue;

use crate::call::{self, Raw};
use crate::client::org;
use crate::operation::{OperationSpec, Quota};
use crate::{Client, Error};

/// The spec entry of raw calls (no template: their span records the path as sent).
static RAW: OperationSpec =
    OperationSpec { id: "raw", method: Method::GET, template: "", org_scoped: true, quota: Quota::Shared };

/// A request to an arbitrary path, built by [`Client::raw`]: for an endpoint the spec lacks or
/// describes wrongly. It runs through the same executor as generated calls (auth, org alias, retries,
/// limiter, errors, tracing); any 2xx is a success. [Guide: raw calls](crate::guide::raw_calls).
///
/// ```no_run
/// use invent_api::Method;
///
/// # async fn run(client: invent_api::Client) -> Result<(), invent_api::Error> {
/// // Bytes back, whatever the content type.
/// let page = client.raw(Method::GET, "/orgs/c/segments").query("take", 5).send().await?;
/// println!("{} bytes: {}", page.len(), String::from_utf8_lossy(&page));
///
/// // JSON in, JSON out.
/// let chat = client
///     .raw(Method::PATCH, "/chats/ch_1")
///     .header("x-debug", "1")
///     .json(&serde_json::json!({ "title": "Refund" }))
///     .send_json::<serde_json::Value>()
///     .await?
///     .into_inner();
/// # let _ = chat;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    error: Option<String>,
    allow_dot_segments: bool,
}

impl Client {
    /// A request to `path` (relative to the base URL, e.g. `/orgs/c/whatever`). `/orgs/c/…` paths follow
    /// the client's org like generated calls. The path is sent as written, except that a dot segment
    /// (`.`/`..`, in any spelling a URL parser reads as one) fails the call with
    /// [`Error::InvalidRequest`] (see [`RawRequest::allow_dot_segments`]); put ids into it with
    /// [`crate::path_segment`].
    ///
    /// ```no_run
    /// use invent_api::{path_segment, Client, Method};
    ///
    /// # async fn run(client: Client, chat_id: &str) -> invent_api::Result<()> {
    /// // A route the spec does not have yet, with an id from a webhook put in as one segment.
    /// let path = format!("/orgs/c/chats/{}/notes", path_segment(chat_id)?);
    /// let notes = client.raw(Method::GET, path).query("take", 20).send_json::<serde_json::Value>().await?;
    /// println!("{} {}", notes.status(), notes.into_inner());
    /// # Ok(())
    /// # }
    /// ```
    pub fn raw(&self, method: Method, path: impl Into<String>) -> RawRequest<'_> {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        RawRequest {
            client: self,
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            error: None,
            allow_dot_segments: false,
        }
    }
}

impl RawRequest<'_> {
    /// Sends a path with dot segments (`..`, `.`, `%2e%2e`, `\..\`) as the URL parser resolves them,
    /// instead of failing the call: only for a path that comes from your own code, never from data. The
    /// request still goes to the base URL's origin, but it can leave the base path and the org.
    pub fn allow_dot_segments(mut self) -> Self {
        self.allow_dot_segments = true;
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds a header; an invalid name or value fails the call with [`Error::InvalidRequest`].
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => self.error = Some(format!("invalid header `{name}`")),
        }
        self
    }

    /// A JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Some(bytes.into());
                self.headers.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
            }
            Err(e) => self.error = Some(format!("body does not serialize: {e}")),
        }
        self
    }

    /// Sends the request. Any 2xx is success (the body as bytes, at most
    /// [`crate::ClientBuilder::max_body`] of them: a longer one is [`Error::BodyTooLarge`]); anything
    /// else is an [`Error::Api`] with the body kept up to [`crate::ClientBuilder::max_error_body`].
    pub async fn send(self) -> crate::Result<ResponseValue<Bytes>> {
        if let Some(message) = self.error {
            return Err(Error::InvalidRequest(message));
        }
        if !self.allow_dot_segments {
            if let Some(segment) = crate::client::path::find_dot_segment(&self.path) {
                return Err(Error::InvalidRequest(format!(
                    "raw path {:?} has the dot segment {segment:?}, which would move the request to another \
                     path; nothing was sent (RawRequest::allow_dot_segments opts in)",
                    self.path
                )));
            }
        }
        let url = format!("{}{}", self.client.baseurl, self.path);
        let mut builder = self.client.client.request(self.method, url).query(&self.query);
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = self.body {
            builder = builder.body(body);
        }
        let mut request = builder.build()?;
        let inner = &self.client.inner;
        org::apply(&mut request, &inner.shared.base_path, &inner.org)?;
        call::execute_once::<Raw>(self.client, &RAW, request).await
    }

    /// Sends the request and decodes a JSON success body (an empty body reads as `null`).
    pub async fn send_json<T: DeserializeOwned>(self) -> crate::Result<ResponseValue<T>> {
        let response = self.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_inner();
        match crate::call::decode::json_body(&body) {
            Ok(value) => Ok(ResponseValue::new(value, status, headers)),
            Err(source) => Err(Error::Decode(Box::new(crate::error::DecodeError { status, headers, body, source }))),
        }
    }
}
