//! Raw calls: any path (e.g. an endpoint the spec does not document yet) with the same auth, org
//! alias, retries, limiter and tracing as generated calls.

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::context;
use crate::hooks::RAW_OPERATION;
use crate::{Client, Error, ResponseValue};

/// A request to an arbitrary path, built by [`Client::raw`].
#[derive(Debug)]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    error: Option<String>,
}

impl Client {
    /// A request to `path` (relative to the base URL, e.g. `/orgs/c/whatever`). `/orgs/c/…` paths follow
    /// the client's org like generated calls.
    pub fn raw(&self, method: Method, path: impl Into<String>) -> RawRequest<'_> {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        RawRequest { client: self, method, path, query: Vec::new(), headers: Vec::new(), body: None, error: None }
    }
}

impl<'a> RawRequest<'a> {
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

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

    /// Sends the request. A non-success status is an [`Error::Api`] with the body kept.
    pub async fn send(self) -> crate::Result<ResponseValue<Bytes>> {
        context::run(self.send_inner()).await
    }

    /// Sends the request and decodes a JSON success body.
    pub async fn send_json<T: DeserializeOwned>(self) -> crate::Result<ResponseValue<T>> {
        let response = self.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_inner();
        match serde_json::from_slice(&body) {
            Ok(value) => Ok(ResponseValue::new(value, status, headers)),
            Err(source) => Err(Error::Decode(Box::new(crate::error::DecodeError {
                status: Some(status),
                headers,
                body,
                source,
            }))),
        }
    }

    async fn send_inner(self) -> Result<ResponseValue<Bytes>, progenitor_client::Error<()>> {
        if let Some(message) = self.error {
            return Err(progenitor_client::Error::InvalidRequest(message));
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
        let info = OperationInfo { operation_id: RAW_OPERATION };
        self.client.pre::<()>(&mut request, &info).await?;
        let response = self.client.exec(request, &info).await?;
        let status = response.status();
        let headers = response.headers().clone();
        if !status.is_success() {
            return Err(progenitor_client::Error::UnexpectedResponse(response));
        }
        let body = response.bytes().await.map_err(progenitor_client::Error::ResponseBodyError)?;
        Ok(ResponseValue::new(body, status, headers))
    }
}
