//! Pagination over Invent's `page` (1-based) / `take` (≤ 100) query parameters and the
//! `pagination-count`, `pagination-page` and `pagination-take` response headers. List bodies are bare
//! JSON arrays; every list builder implements [`ListOperation`] (generated), and [`Paginate`] turns it
//! into a stream of pages or items that always ends (page limit, repeated or unhonoured pages).

use futures::stream::{self, Stream, TryStreamExt};
use reqwest::header::HeaderMap;

use progenitor_client::ResponseValue;

use crate::error::PaginationError;
use crate::operation::Operation;
use crate::Error;

/// Invent's largest page (public as `invent_api::MAX_TAKE`).
pub const LARGEST_TAKE: u32 = 100;
/// [`LARGEST_TAKE`] as the mock Invent counts items (`u64`), under the path it reads.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) const MAX_TAKE: u64 = LARGEST_TAKE as u64;

/// The counts Invent sends with a list response; each is `None` when the header is absent or garbled
/// (or out of range: page numbers and sizes are `u32` here as on the list builders).
///
/// ```
/// use invent_api::PageInfo;
/// use reqwest::header::{HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("pagination-count", HeaderValue::from_static("250"));
/// headers.insert("pagination-page", HeaderValue::from_static("1"));
/// headers.insert("pagination-take", HeaderValue::from_static("100"));
/// let info = PageInfo::from_headers(&headers);
/// assert_eq!((info.count, info.page, info.take), (Some(250), Some(1), Some(100)));
/// assert_eq!(info.total_pages(), Some(3));
/// // From a response: `PageInfo::of(&client.list_assistants().send().await?)`.
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// Total number of items across all pages.
    pub count: Option<u64>,
    /// This page's number (1-based).
    pub page: Option<u32>,
    /// Page size the server used.
    pub take: Option<u32>,
}

impl PageInfo {
    /// The counts in `headers` (`pagination-count`, `pagination-page`, `pagination-take`).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        fn number<N: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<N> {
            headers.get(name)?.to_str().ok()?.trim().parse::<N>().ok()
        }
        PageInfo {
            count: number(headers, "pagination-count"),
            page: number(headers, "pagination-page"),
            take: number(headers, "pagination-take"),
        }
    }

    /// The counts of a response (`PageInfo::of(&client.list_assistants().send().await?)`).
    pub fn of<T>(response: &ResponseValue<T>) -> Self {
        Self::from_headers(response.headers())
    }

    /// Number of pages, when count and take are known.
    pub fn total_pages(&self) -> Option<u64> {
        match (self.count, self.take) {
            (Some(count), Some(take)) if take > 0 => Some(count.div_ceil(u64::from(take))),
            _ => None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The page number that was requested (1-based).
    pub number: u32,
    /// The page's items.
    pub items: Vec<T>,
    /// The counts the server sent with the page.
    pub info: PageInfo,
}

/// A list operation: returns an array and takes `page` and `take` (implemented by generated code).
/// Items serialize (every generated type does), so a repeated page can be recognised.
pub trait ListOperation: Operation<Output = Vec<<Self as ListOperation>::Item>> + Clone {
    /// The list's item type.
    type Item: Send + serde::Serialize;
    /// The same request for another page.
    fn with_page(self, page: u32, take: u32) -> Self;

    /// The page size the caller set on the builder (`.take(n)`), if any: [`Paginate::pages`] and
    /// [`Paginate::items`] keep it, and use [`MAX_TAKE`](crate::MAX_TAKE) only when it is unset.
    fn requested_take(&self) -> Option<u32> {
        None
    }
}

/// Pages a stream fetches at most unless told otherwise ([`Paginate::pages_with_limit`]): 10 000 pages,
/// a million items at 100 a page. A list longer than that is more likely a server that keeps
/// answering than a real list, so the stream ends with [`PaginationError::PageLimit`].
pub const DEFAULT_MAX_PAGES: u32 = 10_000;

/// The crate error for a [`PaginationError`].
fn stopped(error: PaginationError) -> Error {
    Error::Pagination(error)
}

/// Streams over every page of a list operation. Every stream ends: on the last page (by the counts, or
/// a short or empty page), with a [`PaginationError`] when the server does not honour `page`, or at
/// the page limit ([`DEFAULT_MAX_PAGES`] unless set with [`Paginate::pages_with_limit`]). Implemented
/// by every list builder; in the prelude. [Guide: pagination](crate::guide::pagination).
///
/// The streams are not `Unpin`: `pin!` them to call `next()`/`try_next()`, or use the by-value
/// combinators of `futures::TryStreamExt`.
///
/// ```no_run
/// use std::pin::pin;
///
/// use futures::TryStreamExt;
/// use invent_api::prelude::*;
///
/// # async fn run(client: Client) -> Result<(), invent_api::Error> {
/// // Every contact whose name matches, fetched a page at a time as the loop reads.
/// let mut contacts = pin!(client.list_contacts().search("jackson").items());
/// while let Some(contact) = contacts.try_next().await? {
///     println!("{} {:?}", contact.id, contact.name);
/// }
///
/// // Everything in one Vec; or page by page with the counts.
/// let all = client.list_assistants().collect_all().await?;
/// let sizes: Vec<usize> = client.list_org_chats().pages_with(50).map_ok(|p| p.items.len()).try_collect().await?;
/// # let _ = (all, sizes);
/// # Ok(())
/// # }
/// ```
pub trait Paginate: ListOperation {
    /// All pages, `take` items each (clamped to 1..=100).
    fn pages_with(self, take: u32) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        paginate(self, 1, take, DEFAULT_MAX_PAGES)
    }

    /// All pages, `take` items each (clamped to 1..=100), fetching at most `max_pages` (at least 1);
    /// a list with more ends with [`PaginationError::PageLimit`].
    fn pages_with_limit(self, take: u32, max_pages: u32) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        paginate(self, 1, take, max_pages)
    }

    /// Pages `first`, `first + 1`, … to the end, `take` items each (clamped to 1..=100).
    fn pages_from(self, first: u32, take: u32) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        paginate(self, first, take, DEFAULT_MAX_PAGES)
    }

    /// All pages, of the size set on the builder with `.take(n)` (clamped to 1..=100), else of 100
    /// items.
    fn pages(self) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        let take = self.requested_take().unwrap_or(LARGEST_TAKE);
        self.pages_with(take)
    }

    /// Every item of every page, fetched page by page as the stream is read; pages are of the size
    /// set on the builder with `.take(n)`, else of 100 items. To read it with `while let`, pin it
    /// first: `let mut items = std::pin::pin!(request.items());`.
    fn items(self) -> impl Stream<Item = Result<Self::Item, Error>> + Send {
        self.pages().map_ok(|page| stream::iter(page.items.into_iter().map(Ok))).try_flatten()
    }

    /// Every item, collected.
    fn collect_all(self) -> impl std::future::Future<Output = Result<Vec<Self::Item>, Error>> + Send {
        self.items().try_collect()
    }
}

impl<T: ListOperation> Paginate for T {}

fn paginate<T: ListOperation>(
    request: T,
    first: u32,
    take: u32,
    max_pages: u32,
) -> impl Stream<Item = Result<Page<T::Item>, Error>> + Send {
    let take = take.clamp(1, LARGEST_TAKE);
    stream::try_unfold(Cursor::new(first, take, max_pages), move |mut cursor| {
        let request = request.clone();
        async move {
            let Some(number) = cursor.next_request().map_err(stopped)? else { return Ok(None) };
            let response = request.with_page(number, take).send().await?;
            let info = PageInfo::of(&response);
            let items = response.into_inner();
            // Serialized items identify a page; a page that fails to serialize matches nothing.
            let fingerprint = serde_json::to_vec(&items).ok();
            cursor.advance(number, items.len() as u64, &info, fingerprint).map_err(stopped)?;
            Ok(Some((Page { number, items, info }, cursor)))
        }
    })
}

/// Where a page stream is: the next page to ask for and what the last one looked like. Pure, so every
/// server behaviour can be tried against it.
#[derive(Debug, Clone)]
struct Cursor {
    next: Option<u32>,
    take: u32,
    fetched: u32,
    max_pages: u32,
    previous: Option<Vec<u8>>,
}

impl Cursor {
    fn new(first: u32, take: u32, max_pages: u32) -> Cursor {
        Cursor { next: Some(first.max(1)), take, fetched: 0, max_pages: max_pages.max(1), previous: None }
    }

    /// The page to request now; `None` when the list is done.
    fn next_request(&self) -> Result<Option<u32>, PaginationError> {
        match self.next {
            Some(_) if self.fetched >= self.max_pages => Err(PaginationError::PageLimit { limit: self.max_pages }),
            next => Ok(next),
        }
    }

    /// Page `number` came back with `received` items, these counts and this fingerprint.
    fn advance(
        &mut self,
        number: u32,
        received: u64,
        info: &PageInfo,
        fingerprint: Option<Vec<u8>>,
    ) -> Result<(), PaginationError> {
        self.fetched = self.fetched.saturating_add(1);
        if let Some(served) = info.page.filter(|served| *served != number) {
            return Err(PaginationError::PageNotHonoured { requested: number, served });
        }
        if received > 0 && fingerprint.is_some() && self.previous == fingerprint {
            return Err(PaginationError::RepeatedPage { page: number });
        }
        self.previous = fingerprint;
        self.next = next_page(number, self.take, received, info);
        Ok(())
    }
}

/// The page after `number`, or `None` when the list is exhausted. Counts from the headers win; without
/// them a short or empty page ends the list.
fn next_page(number: u32, take: u32, received: u64, info: &PageInfo) -> Option<u32> {
    if received == 0 {
        return None;
    }
    let more = if let Some(total) = info.total_pages() {
        u64::from(number) < total
    } else if let Some(count) = info.count {
        // Both factors are u32: the product fits a u64.
        u64::from(number) * u64::from(take) < count
    } else {
        received >= u64::from(info.take.unwrap_or(take))
    };
    // Past page u32::MAX there is no page number to ask for.
    more.then(|| number.checked_add(1)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(count: Option<u64>, page: Option<u32>, take: Option<u32>) -> PageInfo {
        PageInfo { count, page, take }
    }

    #[test]
    fn stops_on_counts_short_pages_and_empty_pages() {
        // 250 items at 100 a page: pages 1, 2, 3.
        assert_eq!(next_page(1, 100, 100, &info(Some(250), Some(1), Some(100))), Some(2));
        assert_eq!(next_page(3, 100, 50, &info(Some(250), Some(3), Some(100))), None);
        // Exactly full: no extra request.
        assert_eq!(next_page(2, 100, 100, &info(Some(200), Some(2), Some(100))), None);
        // No headers: a full page means "maybe more", a short one ends it.
        assert_eq!(next_page(1, 10, 10, &PageInfo::default()), Some(2));
        assert_eq!(next_page(2, 10, 3, &PageInfo::default()), None);
        assert_eq!(next_page(1, 10, 0, &PageInfo::default()), None);
        // No page after u32::MAX.
        assert_eq!(next_page(u32::MAX, 10, 10, &PageInfo::default()), None);
        assert_eq!(next_page(u32::MAX, 10, 10, &info(Some(u64::MAX), None, Some(1))), None);
        // The largest page and size: the product does not overflow.
        assert_eq!(next_page(u32::MAX - 1, u32::MAX, 1, &info(Some(u64::MAX), None, None)), Some(u32::MAX));
        let two_full_pages = 2 * u64::from(u32::MAX);
        assert_eq!(next_page(2, u32::MAX, 1, &info(Some(two_full_pages), None, None)), None, "2 · take = count");
        assert_eq!(next_page(2, u32::MAX, 1, &info(Some(two_full_pages + 1), None, None)), Some(3));
    }

    #[test]
    fn a_page_the_server_did_not_serve_is_an_error() {
        let mut cursor = Cursor::new(1, 10, DEFAULT_MAX_PAGES);
        assert_eq!(cursor.next_request(), Ok(Some(1)));
        cursor.advance(1, 10, &info(None, Some(1), None), Some(b"a".to_vec())).unwrap();
        assert_eq!(cursor.next_request(), Ok(Some(2)));
        let error = cursor.advance(2, 10, &info(None, Some(1), None), Some(b"b".to_vec())).unwrap_err();
        assert_eq!(error, PaginationError::PageNotHonoured { requested: 2, served: 1 });
        assert_eq!(
            error.to_string(),
            "pagination stopped: page 2 was answered with page 1 (the server does not honour `page`)"
        );
    }

    #[test]
    fn a_repeated_page_is_an_error_but_repeated_empty_or_unserializable_pages_are_not() {
        let mut cursor = Cursor::new(1, 10, DEFAULT_MAX_PAGES);
        cursor.advance(1, 10, &PageInfo::default(), Some(b"same".to_vec())).unwrap();
        let error = cursor.advance(2, 10, &PageInfo::default(), Some(b"same".to_vec())).unwrap_err();
        assert_eq!(error, PaginationError::RepeatedPage { page: 2 });
        assert!(error.to_string().contains("page 2 repeats page 1"), "{error}");
        let mut cursor = Cursor::new(1, 10, DEFAULT_MAX_PAGES);
        cursor.advance(1, 10, &PageInfo::default(), None).unwrap();
        assert!(cursor.advance(2, 10, &PageInfo::default(), None).is_ok(), "nothing to compare");
    }

    #[test]
    fn the_page_limit_ends_the_stream_and_defaults_to_ten_thousand() {
        let mut cursor = Cursor::new(1, 1, 3);
        for n in 1..=3u32 {
            assert_eq!(cursor.next_request(), Ok(Some(n)));
            cursor.advance(n, 1, &PageInfo::default(), Some(n.to_be_bytes().to_vec())).unwrap();
        }
        let error = cursor.next_request().unwrap_err();
        assert_eq!(error, PaginationError::PageLimit { limit: 3 });
        assert!(error.to_string().contains("after 3 pages"), "{error}");
        // A list that ends exactly at the limit is not an error.
        let mut cursor = Cursor::new(1, 10, 2);
        cursor.advance(1, 10, &info(Some(20), Some(1), Some(10)), Some(vec![1])).unwrap();
        cursor.advance(2, 10, &info(Some(20), Some(2), Some(10)), Some(vec![2])).unwrap();
        assert_eq!(cursor.next_request(), Ok(None));
        // The default, and 0 meaning "at least one page".
        assert_eq!(Cursor::new(1, 100, DEFAULT_MAX_PAGES).max_pages, 10_000);
        assert_eq!(Cursor::new(0, 100, 0).next_request(), Ok(Some(1)));
    }

    /// Drives a cursor against a server model until it stops; returns the pages asked for and the end.
    fn run(
        mut cursor: Cursor,
        serve: impl Fn(u32, usize) -> (u64, PageInfo, Option<Vec<u8>>),
    ) -> (Vec<u32>, Result<(), PaginationError>) {
        let mut asked = Vec::new();
        loop {
            match cursor.next_request() {
                Err(e) => return (asked, Err(e)),
                Ok(None) => return (asked, Ok(())),
                Ok(Some(n)) => {
                    let (received, info, fingerprint) = serve(n, asked.len());
                    asked.push(n);
                    if let Err(e) = cursor.advance(n, received, &info, fingerprint) {
                        return (asked, Err(e));
                    }
                }
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever the server answers, a stream asks for at most `max_pages` pages, in order, then ends.
        #[test]
        fn always_terminates(
            answers in proptest::collection::vec((0..=12u64, proptest::option::of(0..50u64), proptest::option::of(0..6u32), proptest::option::of(0..12u32), proptest::option::of(0..3u8)), 1..40),
            take in 1..=10u32,
            max_pages in 1..30u32,
            first in prop_oneof![Just(1u32), 0..5u32, Just(u32::MAX - 2)],
        ) {
            let (asked, _) = run(Cursor::new(first, take, max_pages), |_, i| {
                let (received, count, page, served_take, fp) = answers[i % answers.len()];
                (received, info(count, page, served_take), fp.map(|f| vec![f]))
            });
            prop_assert!(!asked.is_empty() && asked.len() as u64 <= u64::from(max_pages));
            prop_assert!(asked.windows(2).all(|w| w[1] == w[0] + 1));
        }

        /// An honest server (any list length, with or without each header) is read to the end with no
        /// error and no request more than the headers allow.
        #[test]
        fn honest_servers_are_read_exactly(len in 0..500u64, take in 1..=100u32, counts in any::<bool>(), pages in any::<bool>()) {
            let (asked, end) = run(Cursor::new(1, take, DEFAULT_MAX_PAGES), |n, _| {
                let start = u64::from(n - 1) * u64::from(take);
                let received = len.saturating_sub(start).min(u64::from(take));
                let info = PageInfo { count: counts.then_some(len), page: pages.then_some(n), take: counts.then_some(take) };
                (received, info, Some(start.to_be_bytes().to_vec()))
            });
            prop_assert_eq!(end, Ok(()));
            let full_pages = len / u64::from(take);
            let expected = if counts { len.div_ceil(u64::from(take)).max(1) } else { full_pages + 1 };
            prop_assert_eq!(asked.len() as u64, expected);
        }

        /// A server that ignores `page` and answers full pages is caught on the second request.
        #[test]
        fn servers_ignoring_page_are_caught_on_the_second_request(take in 1..=100u32, page_header in any::<bool>()) {
            let (asked, end) = run(Cursor::new(1, take, DEFAULT_MAX_PAGES), |_, _| {
                (u64::from(take), PageInfo { count: None, page: page_header.then_some(1), take: None }, Some(b"page one".to_vec()))
            });
            prop_assert_eq!(asked, vec![1, 2]);
            prop_assert!(end.is_err());
        }
    }

    #[test]
    fn headers_parse_and_garbage_is_none() {
        let mut h = HeaderMap::new();
        h.insert("pagination-count", "42".parse().unwrap());
        h.insert("pagination-page", " 2 ".parse().unwrap());
        h.insert("pagination-take", "ten".parse().unwrap());
        assert_eq!(PageInfo::from_headers(&h), info(Some(42), Some(2), None));
        assert_eq!(info(Some(42), None, Some(10)).total_pages(), Some(5));
        // Above u32: a page or size out of range reads as absent; the count is a u64.
        h.insert("pagination-page", "4294967296".parse().unwrap());
        h.insert("pagination-count", "18446744073709551615".parse().unwrap());
        assert_eq!(PageInfo::from_headers(&h), info(Some(u64::MAX), None, None));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Any header text parses without panicking; a number in range reads back exactly, one out of
        /// range or not a number reads as absent.
        #[test]
        fn headers_parse_any_text(count in any::<u64>(), page in any::<u64>(), take in "[ 0-9a-z-]{0,24}") {
            let mut h = HeaderMap::new();
            h.insert("pagination-count", count.to_string().parse().unwrap());
            h.insert("pagination-page", page.to_string().parse().unwrap());
            h.insert("pagination-take", take.parse().unwrap());
            let parsed = PageInfo::from_headers(&h);
            prop_assert_eq!(parsed.count, Some(count));
            prop_assert_eq!(parsed.page, u32::try_from(page).ok());
            prop_assert_eq!(parsed.take, take.trim().parse::<u32>().ok());
        }
    }
}
