//! Bounded reads of response bodies. Error bodies: at most a cap (default 1 MiB) is kept, chunked or
//! not; past the cap the client stops reading and drops the connection instead of draining it, and says
//! so. Success bodies: read whole up to their own cap (default 64 MiB), or refused — before reading when
//! the declared `Content-Length` is already over it.

use bytes::{Bytes, BytesMut};
use reqwest::{Response, ResponseBuilderExt};

/// Default cap on the error and retry bodies the client keeps ([`crate::ClientBuilder::max_error_body`]).
/// Error bodies are small JSON; 1 MiB keeps any real one whole and bounds a misbehaving server.
pub const DEFAULT_MAX_ERROR_BODY: usize = 1 << 20;

/// Default cap on a success body the client reads into memory ([`crate::ClientBuilder::max_body`]).
/// Invent's largest answers (a page of 100 chats with their messages) are a few MiB; 64 MiB keeps any
/// real one whole and bounds what one call can make the process hold.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// A body read up to a cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BoundedBody {
    pub(crate) bytes: Bytes,
    /// The body was longer than the cap; `bytes` holds its first `cap` bytes.
    pub(crate) truncated: bool,
}

/// Marker in the extensions of a response rebuilt from a truncated body, so a later read of the
/// in-memory copy still reports the truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

/// Reads `response`'s body, keeping at most `cap` bytes. Past the cap it stops and drops the response,
/// which closes the connection (hyper never pools a connection with an unread body), so a 64 MiB body
/// costs `cap` bytes of memory and little more on the wire. The request's timeout (the retry loop
/// sets the attempt timeout on every request) keeps running while the body is read, so a body that
/// stalls fails as a timeout at the attempt's end, not later. Transport errors while reading are
/// returned as they are.
pub(crate) async fn read_bounded(mut response: Response, cap: usize) -> reqwest::Result<BoundedBody> {
    let mut truncated = response.extensions().get::<Truncated>().is_some();
    let expected = response.content_length().and_then(|n| usize::try_from(n).ok()).unwrap_or(8 * 1024);
    // Never reserve more than the cap (nor trust a huge content-length for the reservation).
    let mut kept = BytesMut::with_capacity(expected.min(cap).min(DEFAULT_MAX_ERROR_BODY));
    while let Some(chunk) = response.chunk().await? {
        let room = cap - kept.len();
        if chunk.len() > room {
            kept.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(BoundedBody { bytes: kept.freeze(), truncated })
}

/// Why a success body was not read whole.
#[derive(Debug)]
pub(crate) enum Unread {
    /// Longer than the cap: `read` bytes had arrived when the client stopped (0 when the declared
    /// length was already over the cap); nothing of it is kept.
    TooLarge { read: u64, declared: Option<u64> },
    /// The body broke off.
    Transport(reqwest::Error),
}

/// Reads `response`'s whole body if it is at most `cap` bytes. A declared `Content-Length` over the cap
/// fails at once, nothing read; a body that grows past the cap (chunked, or a length hyper has not
/// checked yet) fails as soon as it does, and the response is dropped, which closes the connection.
/// At most `cap` bytes plus one chunk are held at any time.
pub(crate) async fn read_limited(mut response: Response, cap: usize) -> Result<Bytes, Unread> {
    let declared = response.content_length();
    let cap_bytes = u64::try_from(cap).unwrap_or(u64::MAX);
    if declared.is_some_and(|length| length > cap_bytes) {
        return Err(Unread::TooLarge { read: 0, declared });
    }
    // A body the retry loop already held in memory was cut at the error-body cap: it is not whole.
    let cut_earlier = response.extensions().get::<Truncated>().is_some();
    let expected = declared.and_then(|n| usize::try_from(n).ok()).unwrap_or(8 * 1024);
    let mut kept = BytesMut::with_capacity(expected.min(cap).min(DEFAULT_MAX_ERROR_BODY));
    let mut read: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(Unread::Transport)? {
        read = read.saturating_add(chunk.len() as u64);
        if read > cap_bytes {
            return Err(Unread::TooLarge { read, declared });
        }
        kept.extend_from_slice(&chunk);
    }
    if cut_earlier {
        return Err(Unread::TooLarge { read: read.saturating_add(1), declared });
    }
    Ok(kept.freeze())
}

/// Reads and drops a body nobody needs (an operation that declares none), so the connection goes
/// back to the pool; past `cap` bytes it stops and drops the connection instead of draining more.
#[allow(
    dead_code,
    reason = "used by the `Empty` decoder, which generated code names when the spec has such operations"
)]
pub(crate) async fn discard(mut response: Response, cap: usize) -> reqwest::Result<()> {
    let cap_bytes = u64::try_from(cap).unwrap_or(u64::MAX);
    if response.content_length().is_some_and(|length| length > cap_bytes) {
        return Ok(());
    }
    let mut read: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        read = read.saturating_add(chunk.len() as u64);
        if read > cap_bytes {
            break;
        }
    }
    Ok(())
}

/// Reads the body (bounded, see [`read_bounded`]) and returns an equivalent response holding it in
/// memory (status, version, headers, URL and extensions kept; a truncated body marked with
/// [`Truncated`]), plus the bytes read. Used before a retry sleep, so the connection goes back to the
/// pool, and for error bodies.
pub(crate) async fn buffer(mut response: Response, cap: usize) -> reqwest::Result<(Response, BoundedBody)> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    let body = read_bounded(response, cap).await?;
    let mut rebuilt = http::Response::new(reqwest::Body::from(body.bytes.clone()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    *rebuilt.extensions_mut() = extensions;
    // reqwest keeps the URL in an extension that only its builder extension can set.
    if let Ok(with_url) = http::Response::builder().url(url).body(()) {
        rebuilt.extensions_mut().extend(with_url.into_parts().0.extensions);
    }
    if body.truncated {
        rebuilt.extensions_mut().insert(Truncated);
    }
    Ok((Response::from(rebuilt), body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use proptest::prelude::*;
    use reqwest::StatusCode;

    /// A response whose body arrives in `chunks` (a stream: no content-length, like chunked encoding).
    fn streamed(chunks: Vec<Vec<u8>>) -> Response {
        let stream = futures::stream::iter(chunks.into_iter().map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
        let mut response = http::Response::new(reqwest::Body::wrap_stream(stream));
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        response.headers_mut().insert("x-request-id", "req_1".parse().unwrap());
        Response::from(response)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().unwrap()
    }

    /// A body of `frames` ten-byte frames that counts the frames it was asked for, with an exact
    /// length when `declared` (as hyper gives a response with a Content-Length).
    struct Counted {
        frames: usize,
        declared: Option<u64>,
        polled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl http_body::Body for Counted {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            if self.frames == 0 {
                return std::task::Poll::Ready(None);
            }
            self.frames -= 1;
            self.polled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"0123456789")))))
        }

        fn size_hint(&self) -> http_body::SizeHint {
            self.declared.map(http_body::SizeHint::with_exact).unwrap_or_default()
        }
    }

    /// `discard` drains a body within the cap (the connection is pooled again) and never starts on one
    /// that declares more.
    #[test]
    fn discard_drains_within_the_cap_and_refuses_a_longer_declared_length() {
        let polled = |declared: Option<u64>, frames: usize, cap: usize| {
            let polled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let body = Counted { frames, declared, polled: polled.clone() };
            let response = Response::from(http::Response::new(reqwest::Body::wrap(body)));
            runtime().block_on(discard(response, cap)).unwrap();
            polled.load(std::sync::atomic::Ordering::SeqCst)
        };
        assert_eq!(polled(Some(1 << 30), 5, 100), 0, "a declared length over the cap: not read at all");
        assert_eq!(polled(Some(50), 5, 50), 5, "exactly the cap: drained");
        assert_eq!(polled(Some(40), 4, 100), 4, "under the cap: drained");
        assert_eq!(polled(None, 50, 100), 11, "undeclared: read until past the cap, then dropped");
    }

    #[test]
    fn keeps_short_bodies_whole_and_cuts_long_ones_at_the_cap() {
        runtime().block_on(async {
            let short = read_bounded(streamed(vec![b"abc".to_vec(), b"def".to_vec()]), 6).await.unwrap();
            assert_eq!(short, BoundedBody { bytes: Bytes::from_static(b"abcdef"), truncated: false });
            let long = read_bounded(streamed(vec![b"abc".to_vec(), b"defg".to_vec()]), 6).await.unwrap();
            assert_eq!(long, BoundedBody { bytes: Bytes::from_static(b"abcdef"), truncated: true });
            let nothing = read_bounded(streamed(vec![b"a".to_vec()]), 0).await.unwrap();
            assert_eq!(nothing, BoundedBody { bytes: Bytes::new(), truncated: true });
            let empty = read_bounded(streamed(vec![]), 0).await.unwrap();
            assert_eq!(empty, BoundedBody::default());
        });
    }

    #[test]
    fn a_rebuilt_response_keeps_everything_and_remembers_the_truncation() {
        runtime().block_on(async {
            let (rebuilt, body) = buffer(streamed(vec![vec![b'x'; 10]]), 4).await.unwrap();
            assert!(body.truncated);
            assert_eq!(rebuilt.status(), StatusCode::BAD_GATEWAY);
            assert_eq!(rebuilt.headers()["x-request-id"], "req_1");
            assert!(rebuilt.extensions().get::<Truncated>().is_some());
            // Reading the in-memory copy again: same bytes, still marked truncated.
            let again = read_bounded(rebuilt, 4).await.unwrap();
            assert_eq!(again, BoundedBody { bytes: Bytes::from_static(b"xxxx"), truncated: true });
            let (whole, body) = buffer(streamed(vec![b"ok".to_vec()]), 4).await.unwrap();
            assert!(!body.truncated && whole.extensions().get::<Truncated>().is_none());
            assert_eq!(whole.bytes().await.unwrap(), "ok");
        });
    }

    #[test]
    fn a_transport_error_while_reading_is_returned() {
        runtime().block_on(async {
            let chunks = vec![Ok(Bytes::from_static(b"ab")), Err(std::io::Error::other("reset"))];
            let response =
                Response::from(http::Response::new(reqwest::Body::wrap_stream(futures::stream::iter(chunks))));
            assert!(read_bounded(response, 100).await.is_err());
        });
    }

    #[test]
    fn success_bodies_are_whole_or_refused() {
        runtime().block_on(async {
            let whole = read_limited(streamed(vec![b"abc".to_vec(), b"def".to_vec()]), 6).await.unwrap();
            assert_eq!(&whole[..], b"abcdef");
            match read_limited(streamed(vec![b"abc".to_vec(), b"defg".to_vec()]), 6).await {
                Err(Unread::TooLarge { read: 7, declared: None }) => {}
                other => panic!("expected TooLarge after 7 bytes, got {other:?}"),
            }
            assert!(read_limited(streamed(vec![]), 0).await.unwrap().is_empty());
            assert!(matches!(
                read_limited(streamed(vec![b"x".to_vec()]), 0).await,
                Err(Unread::TooLarge { read: 1, .. })
            ));
            let chunks = vec![Ok(Bytes::from_static(b"ab")), Err(std::io::Error::other("reset"))];
            let broken = Response::from(http::Response::new(reqwest::Body::wrap_stream(futures::stream::iter(chunks))));
            assert!(matches!(read_limited(broken, 100).await, Err(Unread::Transport(_))));
        });
    }

    #[test]
    fn a_declared_length_over_the_cap_fails_before_reading() {
        runtime().block_on(async {
            let body = reqwest::Body::from(vec![b'x'; 100]);
            let response = Response::from(http::Response::new(body));
            assert_eq!(response.content_length(), Some(100));
            match read_limited(response, 99).await {
                Err(Unread::TooLarge { read: 0, declared: Some(100) }) => {}
                other => panic!("expected a refusal before reading, got {other:?}"),
            }
            let response = Response::from(http::Response::new(reqwest::Body::from(vec![b'x'; 100])));
            assert_eq!(read_limited(response, 100).await.unwrap().len(), 100);
        });
    }

    /// A body nobody needs is read to the end when it is short (so the connection is pooled), and
    /// abandoned past the cap however long it is.
    #[test]
    fn an_unwanted_body_is_drained_only_up_to_the_cap() {
        runtime().block_on(async {
            let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let counter = pulled.clone();
            let chunks = futures::stream::iter(0..1024).map(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok::<_, std::io::Error>(Bytes::from_static(&[b'x'; 1024]))
            });
            let response = Response::from(http::Response::new(reqwest::Body::wrap_stream(chunks)));
            assert!(discard(response, 10 * 1024).await.is_ok());
            assert_eq!(pulled.load(std::sync::atomic::Ordering::Relaxed), 11, "10 KiB, then the chunk over the cap");
            assert!(discard(streamed(vec![b"ok".to_vec()]), 2).await.is_ok());
            let response = Response::from(http::Response::new(reqwest::Body::from(vec![b'x'; 100])));
            assert!(discard(response, 99).await.is_ok(), "a declared length over the cap: not read at all");
        });
    }

    #[test]
    fn a_body_cut_by_the_retry_loop_is_not_whole() {
        runtime().block_on(async {
            let (rebuilt, _) = buffer(streamed(vec![vec![b'x'; 10]]), 4).await.unwrap();
            assert!(matches!(read_limited(rebuilt, 1000).await, Err(Unread::TooLarge { .. })));
            let (whole, _) = buffer(streamed(vec![vec![b'x'; 4]]), 4).await.unwrap();
            assert_eq!(read_limited(whole, 1000).await.unwrap().len(), 4);
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// For any chunking and any cap: a body of at most `cap` bytes comes back whole, a longer one is
        /// refused having read at most `cap` bytes plus the chunk that crossed it.
        #[test]
        fn success_bodies_are_whole_exactly_when_they_fit(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20), cap in 0usize..3000) {
            let whole: Vec<u8> = chunks.concat();
            let longest = chunks.iter().map(Vec::len).max().unwrap_or(0);
            match runtime().block_on(read_limited(streamed(chunks), cap)) {
                Ok(body) => prop_assert!(whole.len() <= cap && body[..] == whole[..]),
                Err(Unread::TooLarge { read, declared: None }) => {
                    prop_assert!(whole.len() > cap);
                    prop_assert!(read as usize > cap && read as usize <= cap + longest);
                }
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        /// For any chunking and any cap: the kept bytes are the body's first `min(len, cap)` bytes and
        /// `truncated` says exactly whether the body was longer.
        #[test]
        fn keeps_exactly_the_prefix(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20), cap in 0usize..3000) {
            let whole: Vec<u8> = chunks.concat();
            let body = runtime().block_on(read_bounded(streamed(chunks), cap)).unwrap();
            prop_assert_eq!(&body.bytes[..], &whole[..whole.len().min(cap)]);
            prop_assert_eq!(body.truncated, whole.len() > cap);
        }
    }
}
