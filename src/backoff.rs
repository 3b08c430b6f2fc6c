//! How long to wait before a retry: the server's `retry-after-ms` / `Retry-After` (seconds, fractional
//! seconds or HTTP-date), else full-jitter exponential backoff. Pure functions; the loop is in `retry`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The wait the server asked for, if any and parseable: `retry-after-ms` first (OpenAI's
/// millisecond header, more precise), then `Retry-After` as seconds (integer or float), then as an
/// HTTP-date relative to `now`. Garbage, negative or non-finite values count as absent, so the caller
/// falls back to backoff instead of trusting a broken header. A date in the past means "now".
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(parse_non_negative) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = header("retry-after")?;
    if let Some(secs) = parse_non_negative(value) {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A finite, non-negative number (`"2"`, `"1.5"`); `"-1"`, `"NaN"`, `"inf"` and text are rejected.
fn parse_non_negative(value: &str) -> Option<f64> {
    // `f64::from_str` accepts "inf"/"NaN"; only digits and one dot are a delay.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    value.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Full-jitter exponential backoff (AWS "full jitter"): a uniform draw from `[0, min(base·2^retry, max))`.
/// Full jitter spreads retries of many clients that failed together better than the ±25 % Stainless
/// jitter; `retry` is the number of retries already made.
pub(crate) fn jittered(base: Duration, max: Duration, retry: u32) -> Duration {
    let ceiling = base.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX)).min(max);
    ceiling.mul_f64(rand::random::<f64>())
}

/// `1.5s`, `60s`, `0.25s`: how waits appear in notes.
pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{}s", format!("{s:.3}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn parses_every_form_and_rejects_garbage() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |pairs: &[(&'static str, &str)]| server_wait(&headers(pairs), now);
        assert_eq!(wait(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        assert_eq!(wait(&[("retry-after", " 1.5 ")]), Some(Duration::from_millis(1500)));
        assert_eq!(wait(&[("retry-after", "0")]), Some(Duration::ZERO));
        assert_eq!(wait(&[("retry-after-ms", "250"), ("retry-after", "9")]), Some(Duration::from_millis(250)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(wait(&[("retry-after", &date)]), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(wait(&[("retry-after", &past)]), Some(Duration::ZERO));
        for bad in ["-1", "soon", "NaN", "inf", "1e3", "", "1.2.3"] {
            assert_eq!(wait(&[("retry-after", bad)]), None, "{bad:?}");
        }
        assert_eq!(wait(&[("retry-after-ms", "-5"), ("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(wait(&[("retry-after", "99999999999999999999999")]), None);
        assert_eq!(wait(&[]), None);
    }

    #[test]
    fn backoff_stays_under_the_exponential_ceiling() {
        let (base, max) = (Duration::from_millis(500), Duration::from_secs(8));
        for retry in 0..40 {
            let ceiling = (base * 2u32.saturating_pow(retry.min(20))).min(max);
            for _ in 0..50 {
                assert!(jittered(base, max, retry) < ceiling.max(Duration::from_nanos(1)));
            }
        }
    }

    #[test]
    fn formats_seconds() {
        assert_eq!(secs(Duration::from_secs(60)), "60s");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5s");
        assert_eq!(secs(Duration::from_millis(250)), "0.25s");
    }
}
