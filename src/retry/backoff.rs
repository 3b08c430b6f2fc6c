//! How long to wait before a retry: the server's `retry-after-ms` / `Retry-After` (seconds, fractional
//! seconds or HTTP-date), else full-jitter exponential backoff drawn from the client's jitter source.
//! Pure arithmetic (no sleeping); the loop is in `retry`.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::rng::{self, SplitMix64};

/// The longest wait the client ever sleeps or hands to the limiter: 30 years, tokio's own clamp for a
/// sleep (`Instant + Duration` overflows on some platforms at 100 years). Longer settings and server
/// waits (up to `Duration::MAX`) are accepted and reported as given, but act as this.
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The wait the server asked for, if any and parseable: `retry-after-ms` first (OpenAI's
/// millisecond header, more precise), then `Retry-After` as seconds (integer or decimal), then as an
/// HTTP-date relative to `now`. Garbage, negative, non-finite or non-UTF-8 values count as absent, so
/// the caller falls back to backoff instead of trusting a broken header. A date in the past means
/// "now"; a number too large for a `Duration` saturates at `Duration::MAX` (the server meant "not soon").
pub(crate) fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(wait) = header("retry-after-ms").and_then(|v| parse_delay(v, 1_000_000)) {
        return Some(wait);
    }
    let value = header("retry-after")?;
    if let Some(wait) = parse_delay(value, NANOS_PER_SEC) {
        return Some(wait);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative decimal number (`"2"`, `"1.5"`, `".5"`, `"007"`) of units of `unit_nanos`
/// nanoseconds, exact to the nanosecond and saturating at `Duration::MAX`. `"-1"`, `"NaN"`, `"inf"`,
/// `"1e3"`, `"."`, `"1.2.3"` and text are rejected. Integer arithmetic, so no float can overflow.
fn parse_delay(value: &str, unit_nanos: u128) -> Option<Duration> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    // Leading zeros are harmless however many; otherwise 39+ digits overflow u128 (and any Duration).
    let whole = whole.trim_start_matches('0');
    let Some(whole_nanos) =
        (if whole.is_empty() { Some(0) } else { whole.parse::<u128>().ok() }).and_then(|w| w.checked_mul(unit_nanos))
    else {
        return Some(Duration::MAX);
    };
    // Digits past the 18th are below a nanosecond for either unit.
    let fraction = &fraction[..fraction.len().min(18)];
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction_value = if fraction.is_empty() { 0 } else { fraction.parse::<u128>().ok()? };
    Some(from_nanos(whole_nanos.saturating_add(fraction_value * unit_nanos / scale)))
}

/// A `Duration` of `nanos` nanoseconds, saturating at `Duration::MAX`.
fn from_nanos(nanos: u128) -> Duration {
    match u64::try_from(nanos / NANOS_PER_SEC) {
        Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

/// The backoff ceiling before retry number `retry` (0-based): `min(base · 2^retry, max)`, never above
/// [`LONGEST_WAIT`]. Saturating, so any `Duration` settings are fine.
pub(crate) fn ceiling(base: Duration, max: Duration, retry: u32) -> Duration {
    let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(max).min(LONGEST_WAIT)
}

/// Full-jitter exponential backoff (AWS "full jitter"): a uniform draw from `[0, ceiling)`, see
/// [`ceiling`]. Full jitter spreads retries of many clients that failed together better than the
/// ±25 % Stainless jitter; `retry` is the number of retries already made.
pub(crate) fn jittered(base: Duration, max: Duration, retry: u32, jitter: &Jitter) -> Duration {
    jitter.below(ceiling(base, max, retry))
}

/// Where backoff's randomness comes from. Each client has one (in `Shared`, so clones share it):
/// the thread's RNG by default, or a seeded RNG ([`crate::RetryConfig::jitter_seed`]) so tests
/// and simulations can replay the exact waits. No global state.
#[derive(Debug)]
pub(crate) enum Jitter {
    Thread,
    Seeded(Mutex<SplitMix64>),
}

impl Jitter {
    pub(crate) fn new(seed: Option<u64>) -> Jitter {
        match seed {
            Some(seed) => Jitter::Seeded(Mutex::new(SplitMix64::new(seed))),
            None => Jitter::Thread,
        }
    }

    /// A uniform draw from `[0, ceiling)`, exact in nanoseconds for any `Duration` (zero for zero).
    pub(crate) fn below(&self, ceiling: Duration) -> Duration {
        let nanos = ceiling.as_nanos();
        if nanos == 0 {
            return Duration::ZERO;
        }
        let draw = match self {
            Jitter::Thread => rng::with_thread(|rng| rng.below(nanos)),
            // A draw cannot leave the RNG half-updated, so a poisoned lock is still usable.
            Jitter::Seeded(rng) => rng.lock().unwrap_or_else(|e| e.into_inner()).below(nanos),
        };
        from_nanos(draw)
    }
}

/// `1.5s`, `60s`, `0.25s`: how waits appear in notes, to the millisecond (rounded), exact at any size.
pub(crate) fn secs(d: Duration) -> String {
    let (mut whole, mut millis) = (d.as_secs(), (d.subsec_nanos() + 500_000) / 1_000_000);
    if millis == 1000 {
        match whole.checked_add(1) {
            Some(next) => (whole, millis) = (next, 0),
            None => millis = 999,
        }
    }
    if millis == 0 {
        format!("{whole}s")
    } else {
        format!("{whole}.{}s", format!("{millis:03}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn parses_every_form_and_rejects_garbage() {
        let wait = |pairs: &[(&'static str, &str)]| server_wait(&headers(pairs), now());
        assert_eq!(wait(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        assert_eq!(wait(&[("retry-after", " 1.5 ")]), Some(Duration::from_millis(1500)));
        assert_eq!(wait(&[("retry-after", ".25")]), Some(Duration::from_millis(250)));
        assert_eq!(wait(&[("retry-after", "3.")]), Some(Duration::from_secs(3)));
        assert_eq!(wait(&[("retry-after", "0")]), Some(Duration::ZERO));
        assert_eq!(wait(&[("retry-after-ms", "250"), ("retry-after", "9")]), Some(Duration::from_millis(250)));
        assert_eq!(wait(&[("retry-after-ms", "0.5")]), Some(Duration::from_micros(500)));
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(30));
        assert_eq!(wait(&[("retry-after", &date)]), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(30));
        assert_eq!(wait(&[("retry-after", &past)]), Some(Duration::ZERO));
        for bad in ["-1", "soon", "NaN", "inf", "1e3", "", ".", "1.2.3", "+5", "0x10", "1 000"] {
            assert_eq!(wait(&[("retry-after", bad)]), None, "{bad:?}");
        }
        assert_eq!(wait(&[("retry-after-ms", "-5"), ("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(wait(&[]), None);
    }

    #[test]
    fn extremes_saturate_instead_of_overflowing() {
        let wait = |pairs: &[(&'static str, &str)]| server_wait(&headers(pairs), now());
        // u64::MAX seconds is exactly the largest whole-second Duration.
        assert_eq!(wait(&[("retry-after", "18446744073709551615")]), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(
            wait(&[("retry-after", "10000000000000000000")]),
            Some(Duration::from_secs(10_000_000_000_000_000_000))
        );
        assert_eq!(wait(&[("retry-after", "18446744073709551616")]), Some(Duration::MAX));
        assert_eq!(wait(&[("retry-after", "18446744073709551615.999999999999")]), Some(Duration::MAX));
        assert_eq!(wait(&[("retry-after", &"9".repeat(100_000))]), Some(Duration::MAX));
        assert_eq!(wait(&[("retry-after", &format!("0{}", "0".repeat(100_000)))]), Some(Duration::ZERO));
        assert_eq!(wait(&[("retry-after-ms", "18446744073709551615")]), Some(Duration::from_millis(u64::MAX)));
        // Above u64::MAX milliseconds is still a representable Duration: exact, not saturated.
        assert_eq!(
            wait(&[("retry-after-ms", "18446744073709551616")]),
            Some(Duration::new(18_446_744_073_709_551, 616_000_000))
        );
        assert_eq!(wait(&[("retry-after-ms", "99999999999999999999999")]), Some(Duration::MAX));
        // Far-past and far-future dates.
        assert_eq!(wait(&[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]), Some(Duration::ZERO));
        let far = wait(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]).unwrap();
        assert!(far > Duration::from_secs(7900 * 365 * 86400), "{far:?}");
        // A clock already past the year 9999 reads the same date as "now".
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(300_000_000_000);
        assert_eq!(
            server_wait(&headers(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]), later),
            Some(Duration::ZERO)
        );
        // Not UTF-8 (obs-text bytes): ignored like garbage, the next header still counts.
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", HeaderValue::from_bytes(&[0xff, 0xfe, b'1']).unwrap());
        h.insert("retry-after", HeaderValue::from_static("4"));
        assert_eq!(server_wait(&h, now()), Some(Duration::from_secs(4)));
    }

    /// Full jitter: the draws spread over the whole `[0, ceiling)`, not a point in it.
    #[test]
    fn jittered_waits_spread_over_zero_to_the_ceiling() {
        let jitter = Jitter::new(Some(7));
        let (base, max) = (Duration::from_millis(250), Duration::from_secs(60));
        let waits: Vec<Duration> = (0..2000).map(|_| jittered(base, max, 2, &jitter)).collect();
        let mean = waits.iter().sum::<Duration>() / 2000;
        // Uniform on [0, 1 s): mean 0.5 s with a standard error of 6.5 ms.
        assert!((Duration::from_millis(470)..Duration::from_millis(530)).contains(&mean), "{mean:?}");
        assert!(
            waits.iter().any(|w| *w < Duration::from_millis(50))
                && waits.iter().any(|w| *w > Duration::from_millis(950))
        );
    }

    #[test]
    fn backoff_ceiling_doubles_up_to_the_cap() {
        let (base, max) = (Duration::from_millis(500), Duration::from_secs(8));
        let ceilings: Vec<_> = (0..7).map(|n| ceiling(base, max, n).as_millis()).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(ceiling(Duration::MAX, Duration::MAX, u32::MAX), LONGEST_WAIT);
        // The clamp is 30 years of 365 days, no less: a 29-year setting is kept as it is.
        let years = |n: u64| Duration::from_secs(n * 365 * 24 * 3600);
        assert_eq!(LONGEST_WAIT, years(30));
        assert_eq!(ceiling(years(29), Duration::MAX, 0), years(29));
        assert_eq!(ceiling(Duration::from_nanos(1), Duration::MAX, 40), Duration::from_nanos(u64::from(u32::MAX)));
        assert_eq!(ceiling(Duration::ZERO, Duration::MAX, 3), Duration::ZERO);
    }

    /// With a seeded source the draws are uniform on `[0, ceiling)`: the mean is half the ceiling and
    /// a tenth of the draws fall in the lowest tenth. Seeded, so this cannot flake.
    #[test]
    fn seeded_jitter_is_uniform_and_reproducible() {
        let jitter = Jitter::new(Some(7));
        let ceiling = Duration::from_secs(8);
        let draws: Vec<Duration> = (0..10_000).map(|_| jitter.below(ceiling)).collect();
        assert!(draws.iter().all(|d| *d < ceiling));
        let mean = draws.iter().sum::<Duration>() / draws.len() as u32;
        assert!(mean > Duration::from_millis(3900) && mean < Duration::from_millis(4100), "{mean:?}");
        let low = draws.iter().filter(|d| **d < ceiling / 10).count();
        assert!((900..1100).contains(&low), "{low}");
        let again = Jitter::new(Some(7));
        assert!(draws.iter().take(100).all(|d| *d == again.below(ceiling)), "same seed, same waits");
        let other = Jitter::new(Some(8));
        assert!(draws.iter().take(100).any(|d| *d != other.below(ceiling)));
        assert_eq!(jitter.below(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn formats_seconds() {
        assert_eq!(secs(Duration::from_secs(60)), "60s");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5s");
        assert_eq!(secs(Duration::from_millis(250)), "0.25s");
        assert_eq!(secs(Duration::from_micros(1_000_400)), "1s");
        assert_eq!(secs(Duration::from_micros(1_999_600)), "2s");
        assert_eq!(secs(Duration::from_micros(1_050)), "0.001s");
        assert_eq!(secs(Duration::from_millis(u64::MAX)), "18446744073709551.615s");
        assert_eq!(secs(Duration::MAX), "18446744073709551615.999s");
    }

    /// Arbitrary header bytes, as a server could send them (anything `HeaderValue` accepts).
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            "[0-9]{0,40}(\\.[0-9]{0,30})?".prop_map(String::into_bytes),
            "[-+ .0-9eEinfNa]{0,24}".prop_map(String::into_bytes),
            any::<i128>().prop_map(|n| n.to_string().into_bytes()),
            any::<f64>().prop_map(|n| n.to_string().into_bytes()),
        ]
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
            (0..100_000u64).prop_map(Duration::from_millis),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// No header value and no clock reading makes the parser panic.
        #[test]
        fn server_wait_never_panics(ms in header_bytes(), secs in header_bytes(), now_secs in any::<u64>()) {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_bytes(&ms) { h.insert("retry-after-ms", v); }
            if let Ok(v) = HeaderValue::from_bytes(&secs) { h.insert("retry-after", v); }
            let now = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(now_secs)).unwrap_or(SystemTime::UNIX_EPOCH);
            let _ = server_wait(&h, now);
        }

        /// Whole seconds and milliseconds are read exactly, at any size.
        #[test]
        fn integers_are_exact(n in any::<u64>()) {
            let wait = |name: &'static str| server_wait(&headers(&[(name, &n.to_string())]), now());
            prop_assert_eq!(wait("retry-after"), Some(Duration::from_secs(n)));
            prop_assert_eq!(wait("retry-after-ms"), Some(Duration::from_millis(n)));
        }

        /// A decimal number of seconds: more digits never mean a shorter wait, and the parse agrees
        /// with the decimal value to the nanosecond.
        #[test]
        fn decimals_are_monotonic_and_exact(whole in 0..u64::MAX / 2, nanos in 0..1_000_000_000u32, extra in 0..10u32) {
            let text = format!("{whole}.{nanos:09}{extra}");
            let wait = server_wait(&headers(&[("retry-after", &text)]), now()).unwrap();
            prop_assert_eq!(wait, Duration::new(whole, nanos));
            let bigger = format!("{}.{nanos:09}", whole + 1);
            prop_assert!(server_wait(&headers(&[("retry-after", &bigger)]), now()).unwrap() > wait);
        }

        /// An HTTP date `offset` seconds ahead reads as that wait, behind as zero.
        #[test]
        fn http_dates_round_trip((ahead, offset) in prop_oneof![
            // httpdate covers the years 1970..=9999: from `now` that is 1.7e9 s back, 2.5e11 s ahead.
            (Just(true), 0..253_402_300_799 - 1_700_000_000u64),
            (Just(false), 0..=1_700_000_000u64),
        ]) {
            let now = now();
            let date = if ahead { now + Duration::from_secs(offset) } else { now - Duration::from_secs(offset) };
            let text = httpdate::fmt_http_date(date);
            let expected = if ahead { Duration::from_secs(offset) } else { Duration::ZERO };
            prop_assert_eq!(server_wait(&headers(&[("retry-after", &text)]), now), Some(expected));
        }

        /// Backoff never panics and stays under its ceiling, which never exceeds the cap or 30 years.
        #[test]
        fn jitter_stays_under_the_ceiling(base in any_duration(), max in any_duration(), retry in any::<u32>(), seed in any::<u64>()) {
            let jitter = Jitter::new(Some(seed));
            let ceiling = ceiling(base, max, retry);
            prop_assert!(ceiling <= max && ceiling <= LONGEST_WAIT);
            let wait = jittered(base, max, retry, &jitter);
            prop_assert!(wait < ceiling || (ceiling.is_zero() && wait.is_zero()));
            prop_assert!(tokio::time::Instant::now().checked_add(wait).is_some());
        }

        /// Notes show any wait to the millisecond: the text reads back within half a millisecond.
        #[test]
        fn secs_is_exact_to_the_millisecond(d in any_duration()) {
            let text = secs(d);
            let read = parse_delay(text.strip_suffix('s').unwrap(), NANOS_PER_SEC).unwrap();
            let error = read.abs_diff(d);
            prop_assert!(error <= Duration::from_micros(500) || d > Duration::MAX - Duration::from_millis(1), "{d:?} → {text}");
        }
    }
}
