//! Invent's conventions, once, for every mock in this crate (the scenarios, the local mock Invent and
//! its socket routes): the error body shape, `page`/`take` validation and the page slice with its
//! `pagination-*` headers.

use serde_json::{json, Value};

/// The API key the mock accepts unless [`MockInventBuilder::api_key`](super::server::MockInventBuilder::api_key)
/// sets another.
pub const MOCK_API_KEY: &str = "sk_mock_invent_local_key";
/// Invent's assistant-creation limit per org (per hour on the real API; for the mock's lifetime here).
pub const ASSISTANT_CREATION_LIMIT: usize = 10;
/// `take` when the request has none (what Invent answers with).
pub const DEFAULT_TAKE: u64 = 10;
/// The largest `take` Invent accepts (the client's own page size limit).
pub const MAX_TAKE: u64 = crate::pagination::MAX_TAKE;

/// The error body: `{"statusCode": 404, "error": "Not Found", "message": "…"}` (Invent's error shape
/// is undocumented; this is the NestJS shape its answers have).
pub fn error_body(status: u16, message: &str) -> Value {
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    json!({ "statusCode": status, "error": reason, "message": message })
}

/// `page` (1-based, default 1) and `take` (1..=100, default [`DEFAULT_TAKE`]) from a query, validated
/// like Invent's query validation; `Err` is the 400 message.
pub fn paging<'q>(query: impl Fn(&str) -> Option<&'q str>) -> Result<(u64, u64), String> {
    let number = |name: &str, default: u64| match query(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<u64>().map_err(|_| format!("{name} must be a positive integer, got `{v}`")),
    };
    let page = number("page", 1)?;
    let take = number("take", DEFAULT_TAKE)?;
    if page < 1 {
        return Err("page must not be less than 1".into());
    }
    if !(1..=MAX_TAKE).contains(&take) {
        return Err(format!("take must be between 1 and {MAX_TAKE}"));
    }
    Ok((page, take))
}

/// Page `page` of `items` at `take` a page (empty past the end), and its `pagination-*` headers.
pub fn page_of<T: Clone>(items: &[T], page: u64, take: u64) -> (Vec<T>, [(&'static str, String); 3]) {
    let count = items.len() as u64;
    let start = usize::try_from(page.saturating_sub(1).saturating_mul(take).min(count)).unwrap_or(items.len());
    let end = usize::try_from((start as u64).saturating_add(take).min(count)).unwrap_or(items.len());
    let headers = [
        ("pagination-count", count.to_string()),
        ("pagination-page", page.to_string()),
        ("pagination-take", take.to_string()),
    ];
    (items[start..end].to_vec(), headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_limits_and_slices() {
        let none = |_: &str| None;
        assert_eq!(paging(none), Ok((1, DEFAULT_TAKE)));
        let q =
            |page: &'static str, take: &'static str| move |n: &str| if n == "page" { Some(page) } else { Some(take) };
        assert_eq!(paging(q("2", "100")), Ok((2, 100)));
        assert!(paging(q("0", "5")).unwrap_err().contains("page"));
        assert!(paging(q("1", "101")).unwrap_err().contains("take"));
        assert!(paging(q("x", "5")).unwrap_err().contains("positive integer"));
        let items: Vec<u32> = (1..=25).collect();
        let (slice, headers) = page_of(&items, 3, 10);
        assert_eq!(slice, vec![21, 22, 23, 24, 25]);
        assert_eq!(headers[0], ("pagination-count", "25".to_string()));
        assert!(page_of(&items, u64::MAX, u64::MAX).0.is_empty(), "no overflow past the end");
        assert_eq!(error_body(404, "gone"), json!({"statusCode": 404, "error": "Not Found", "message": "gone"}));
    }
}
