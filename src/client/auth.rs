//! The API key (redacted everywhere) and the base-URL rule: HTTPS, or plain HTTP on loopback only.

use std::fmt;
use std::net::IpAddr;

use reqwest::header::HeaderValue;
use reqwest::Url;

use crate::config_error::ConfigError;

/// An Invent API key. Its `Debug` and `Display` never show the key; the header value is marked
/// sensitive so reqwest and `http` redact it too.
#[derive(Clone)]
pub(crate) struct ApiKey(HeaderValue);

impl ApiKey {
    pub(crate) fn new(key: &str) -> Result<Self, ConfigError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(ConfigError::EmptyApiKey);
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| ConfigError::InvalidApiKey)?;
        value.set_sensitive(true);
        Ok(Self(value))
    }

    /// The `Authorization` header value (`Bearer <key>`), marked sensitive.
    pub(crate) fn header(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Parses and checks the base URL: `https://…`, or `http://` to a loopback host (tests, local mocks).
/// A trailing `/` is dropped because generated code appends `/orgs/…`.
pub(crate) fn parse_base_url(raw: &str) -> Result<String, ConfigError> {
    let url =
        Url::parse(raw).map_err(|e| ConfigError::InvalidBaseUrl { url: raw.to_string(), reason: e.to_string() })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::InvalidBaseUrl {
                url: raw.to_string(),
                reason: "plain http is only allowed for loopback hosts; the Invent API is HTTPS only".into(),
            })
        }
        other => {
            return Err(ConfigError::InvalidBaseUrl {
                url: raw.to_string(),
                reason: format!("unsupported scheme `{other}`"),
            })
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::InvalidBaseUrl {
            url: raw.to_string(),
            reason: "must not have a query or fragment".into(),
        });
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The settings that keep requests on the base URL's origin, for every HTTP client the crate builds: no
/// redirects (a JSON API has no use for them, and reqwest would re-send a `307`/`308` body to any
/// host), HTTPS only when the base URL is HTTPS, and no proxy for a loopback base URL (an `http://`
/// loopback request through a proxy from `HTTP_PROXY` would carry the key in clear text).
pub(crate) fn origin_bound(builder: reqwest::ClientBuilder, base: &reqwest::Url) -> reqwest::ClientBuilder {
    let builder = builder.redirect(reqwest::redirect::Policy::none()).https_only(base.scheme() == "https");
    if is_loopback(base) {
        builder.no_proxy()
    } else {
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert_eq!(parse_base_url("https://api.useinvent.com/").unwrap(), "https://api.useinvent.com");
        assert_eq!(parse_base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(parse_base_url("http://localhost:1/x/").unwrap(), "http://localhost:1/x");
        assert_eq!(parse_base_url("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert!(parse_base_url("http://api.useinvent.com").is_err());
        assert!(parse_base_url("http://10.0.0.1").is_err());
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn key_is_redacted() {
        let key = ApiKey::new("sk_secret_123").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(key.header().is_sensitive());
        assert!(!format!("{:?}", key.header()).contains("sk_secret_123"));
        assert!(matches!(ApiKey::new("  "), Err(ConfigError::EmptyApiKey)));
    }
}
