//! Ids as URL path segments: the one function every path parameter, org id and WebSocket route goes
//! through ([`path_segment`]), and the dot-segment check of raw paths.
//!
//! Ids come from untrusted places (webhook payloads, widget input, imports). A URL parser removes `.`
//! and `..` segments (and, for http(s), reads `\` as `/`), so an id left as written could move a request
//! to another path — another org's, with the caller's key. An id therefore either becomes exactly one
//! segment that decodes back to itself, or the call fails before anything is sent.

use crate::Error;

/// `value` as exactly one URL path segment: every byte that is not an RFC 3986 unreserved character
/// (`A-Z a-z 0-9 - . _ ~`) is percent-encoded (`/`, `\`, `%`, `?`, `#`, spaces, non-ASCII, …), so the
/// server decodes it back to `value`. `""`, `.` and `..` are refused with [`Error::InvalidRequest`]: no
/// encoding keeps them a segment of their own, and a URL parser would drop or collapse them.
///
/// Generated operations, org ids and the event routes use it; use it too for an id you put into a
/// [`crate::Client::raw`] path.
///
/// ```
/// assert_eq!(invent_api::path_segment("ast_1").unwrap(), "ast_1");
/// assert_eq!(invent_api::path_segment(r"..\org_B").unwrap(), "..%5Corg_B");
/// assert!(invent_api::path_segment("..").is_err());
/// ```
pub fn path_segment(value: &str) -> Result<String, Error> {
    named_segment("path segment", value)
}

/// [`path_segment`] with the parameter's name in the error (`assistant_id: …`). Named by generated code
/// (rule `path-segment-checked`).
pub(crate) fn named_segment(name: &str, value: &str) -> Result<String, Error> {
    if let Some(problem) = dot_or_empty(value) {
        return Err(Error::InvalidRequest(format!("{name}: {problem}; nothing was sent")));
    }
    Ok(percent_encode(value, is_unreserved))
}

/// `value` with every byte `keep` refuses written `%XX` (upper-case hex).
pub(crate) fn percent_encode(value: &str, keep: fn(u8) -> bool) -> String {
    let mut encoded = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if keep(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 §2.3.
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn dot_or_empty(value: &str) -> Option<&'static str> {
    match value {
        "" => Some("an empty id would collapse into the neighbouring path segments"),
        "." | ".." => Some("`.` and `..` are not ids: a URL parser would remove the segment or the one before it"),
        _ => None,
    }
}

/// The first dot segment of a raw path (`.`, `..`, also written `%2e`, `%2E%2e`, …), reading `\` as `/`
/// and ignoring tab and newline the way a URL parser does; only the part before `?` or `#` is a path.
pub(crate) fn find_dot_segment(path: &str) -> Option<&str> {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].split(['/', '\\']).find(|segment| {
        let plain: String = segment.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
        let plain = plain.to_ascii_lowercase().replace("%2e", ".");
        plain == "." || plain == ".."
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Percent-decodes a segment as a server would (bytes, then UTF-8).
    fn decode(segment: &str) -> String {
        let bytes = segment.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Ids made of the characters that move requests: dots, slashes, backslashes, percent signs, `?`,
    /// `#`, spaces and hex digits (so `%2e`-style escapes appear).
    fn hostile() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec![".", "..", "/", "\\", "%", "%2e", "%2E", "?", "#", " ", "\t", "2", "e", "a"]),
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    fn one_segment_through_the_url_parser(id: &str) {
        match path_segment(id) {
            Err(Error::InvalidRequest(message)) => {
                assert!(matches!(id, "" | "." | ".."), "{id:?} refused: {message}");
            }
            Err(other) => panic!("{id:?}: unexpected error {other}"),
            Ok(segment) => {
                assert!(!matches!(id, "" | "." | ".."), "{id:?} accepted as {segment:?}");
                assert!(segment.bytes().all(|b| is_unreserved(b) || b == b'%'), "{segment}");
                let url = reqwest::Url::parse(&format!("http://127.0.0.1/a/{segment}/b")).unwrap();
                let segments: Vec<&str> = url.path_segments().unwrap().collect();
                assert_eq!(segments.len(), 3, "{id:?} → {}", url.path());
                assert_eq!(segments[0], "a");
                assert_eq!(segments[2], "b");
                assert_eq!(decode(segments[1]), id);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn any_unicode_id_is_one_segment_that_decodes_to_itself(id in any::<String>()) {
            one_segment_through_the_url_parser(&id);
        }

        #[test]
        fn hostile_ids_are_one_segment_or_refused(id in hostile()) {
            one_segment_through_the_url_parser(&id);
        }
    }

    #[test]
    fn dot_and_empty_ids_are_refused_and_others_encoded() {
        for id in ["", ".", ".."] {
            assert!(matches!(path_segment(id), Err(Error::InvalidRequest(_))), "{id:?}");
        }
        assert_eq!(path_segment("...").unwrap(), "...");
        assert_eq!(path_segment(r"a\b/c").unwrap(), "a%5Cb%2Fc");
        assert_eq!(path_segment("%2e%2e").unwrap(), "%252e%252e");
        assert_eq!(path_segment("é?#").unwrap(), "%C3%A9%3F%23");
        assert_eq!(path_segment("A-z_0.9~").unwrap(), "A-z_0.9~");
        let error = named_segment("memory_id", "..").unwrap_err().to_string();
        assert!(error.contains("memory_id") && error.contains("nothing was sent"), "{error}");
    }

    #[test]
    fn raw_dot_segments_in_every_spelling_are_found() {
        for path in [
            "/orgs/c/assistants/../../org_B/assistants",
            "/orgs/c/./assistants",
            r"/orgs/c/assistants\..\..\org_B",
            "/orgs/c/%2e%2e/org_B",
            "/orgs/c/%2E%2E/org_B",
            "/orgs/c/.%2e/org_B",
            "/orgs/c/%2e/x",
            "/orgs/c/.\t./x",
            "/orgs/c/..",
            "..",
        ] {
            assert!(find_dot_segment(path).is_some(), "{path}");
        }
        for path in ["/orgs/c/assistants", "/a/.../b", "/a/..b/c", "/a/%252e%252e/b", "/a?x=../..", "/a#../b", "/"] {
            assert_eq!(find_dot_segment(path), None, "{path}");
        }
    }
}
