//! Downloading the live spec (cargo feature `fetch`; without it `download` says so and fails).

/// Where Invent publishes its spec.
pub const DEFAULT_URL: &str = "https://api.useinvent.com/openapi.json";
/// Downloads larger than this are refused.
const MAX_DOWNLOAD: usize = 64 << 20;

/// An error and its sources on one line.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Downloads `url` (`http://` or `https://`): the body of a 2xx response.
#[cfg(feature = "fetch")]
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    use std::time::Duration;
    let client = reqwest::blocking::Client::builder()
        .user_agent(concat!("invent-spec/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {}", chain(&e)))?;
    let response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .map_err(|e| format!("cannot download {url}: {}", chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("cannot download {url}: HTTP {status}"));
    }
    if response.content_length().is_some_and(|n| n > MAX_DOWNLOAD as u64) {
        return Err(format!("cannot download {url}: larger than {} MiB", MAX_DOWNLOAD >> 20));
    }
    let bytes = response.bytes().map_err(|e| format!("cannot download {url}: {}", chain(&e)))?;
    if bytes.len() > MAX_DOWNLOAD {
        return Err(format!("cannot download {url}: larger than {} MiB", MAX_DOWNLOAD >> 20));
    }
    Ok(bytes.to_vec())
}

/// Without the `fetch` feature there is no HTTP client.
#[cfg(not(feature = "fetch"))]
pub fn download(url: &str) -> Result<Vec<u8>, String> {
    let _ = MAX_DOWNLOAD;
    Err(format!("cannot download {url}: invent-spec was built without its `fetch` feature"))
}
