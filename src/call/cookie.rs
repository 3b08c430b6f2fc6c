//! Cookie parameters as generated code sends them (rule `cookie-parameter`): every cookie of an
//! operation goes into one `Cookie` header, `name=value` pairs joined with `; ` (RFC 6265 §4.2.1), the
//! value percent-encoded so no caller string can end the pair, add another cookie or break the header.

use std::fmt::Display;

use reqwest::header::{HeaderMap, HeaderValue, COOKIE};

use crate::client::path::{is_unreserved, percent_encode};
use crate::Error;

/// Adds the cookie `name` with `value` to the request's `Cookie` header, after the cookies already in
/// it. The value is written with every byte but RFC 3986's unreserved ones percent-encoded; the name
/// (the spec's) keeps the RFC 7230 token characters a cookie name is made of and is encoded past them.
#[allow(dead_code, reason = "named by generated code only when the spec has cookie parameters")]
pub(crate) fn append(headers: &mut HeaderMap, name: &str, value: &impl Display) -> Result<(), Error> {
    let pair = format!("{}={}", percent_encode(name, is_token), percent_encode(&value.to_string(), is_unreserved));
    let joined = match headers.get(COOKIE) {
        Some(earlier) => {
            let mut bytes = earlier.as_bytes().to_vec();
            bytes.extend_from_slice(b"; ");
            bytes.extend_from_slice(pair.as_bytes());
            HeaderValue::from_bytes(&bytes)?
        }
        None => HeaderValue::from_str(&pair)?,
    };
    headers.insert(COOKIE, joined);
    Ok(())
}

/// RFC 7230 §3.2.6 `tchar`: what a cookie name (a token, RFC 6265 §4.1.1) is written with.
fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cookie(headers: &HeaderMap) -> &str {
        headers.get(COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// `%XX` sequences back to bytes (what a server does with the value).
    fn decode(encoded: &str) -> Vec<u8> {
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or_default();
                out.push(u8::from_str_radix(hex, 16).unwrap_or_default());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    #[test]
    fn cookies_are_joined_into_one_header_in_order() {
        let mut headers = HeaderMap::new();
        append(&mut headers, "session", &"s;1 x").unwrap();
        append(&mut headers, "theme", &"dark").unwrap();
        append(&mut headers, "n", &7).unwrap();
        assert_eq!(headers.get_all(COOKIE).iter().count(), 1);
        assert_eq!(cookie(&headers), "session=s%3B1%20x; theme=dark; n=7");
    }

    #[test]
    fn a_name_outside_the_token_characters_is_encoded() {
        let mut headers = HeaderMap::new();
        append(&mut headers, "a b=c;", &"v").unwrap();
        assert_eq!(cookie(&headers), "a%20b%3Dc%3B=v");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever the values, the header holds exactly one pair per cookie, in order, each value
        /// decoding back to itself: no value ends its pair or smuggles in another cookie.
        #[test]
        fn any_values_stay_one_pair_each(values in proptest::collection::vec(any::<String>(), 1..5)) {
            let mut headers = HeaderMap::new();
            for (i, v) in values.iter().enumerate() {
                append(&mut headers, &format!("c{i}"), v).unwrap();
            }
            let header = cookie(&headers);
            let pairs: Vec<&str> = header.split("; ").collect();
            prop_assert_eq!(pairs.len(), values.len());
            for (i, (pair, value)) in pairs.iter().zip(&values).enumerate() {
                let (name, encoded) = pair.split_once('=').unwrap_or_default();
                prop_assert_eq!(name.to_string(), format!("c{i}"));
                prop_assert!(encoded.bytes().all(|b| is_unreserved(b) || b == b'%'), "{}", encoded);
                prop_assert_eq!(decode(encoded), value.as_bytes().to_vec());
            }
        }
    }
}
