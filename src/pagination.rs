//! Pagination over Invent's `page` (1-based) / `take` (≤ 100) query parameters and the
//! `pagination-count`, `pagination-page` and `pagination-take` response headers. List bodies are bare
//! JSON arrays; every list builder implements [`ListOperation`] (generated), and [`Paginate`] turns it
//! into a stream of pages or items.

use futures::stream::{self, Stream, TryStreamExt};
use reqwest::header::HeaderMap;

use crate::operation::Operation;
use crate::{Error, ResponseValue};

/// Invent's largest page.
pub const MAX_TAKE: u64 = 100;

/// The counts Invent sends with a list response; each is `None` when the header is absent or garbled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// Total number of items across all pages.
    pub count: Option<u64>,
    /// This page's number (1-based).
    pub page: Option<u64>,
    /// Page size the server used.
    pub take: Option<u64>,
}

impl PageInfo {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        PageInfo { count: number("pagination-count"), page: number("pagination-page"), take: number("pagination-take") }
    }

    /// The counts of a response (`PageInfo::of(&client.list_assistants().send().await?)`).
    pub fn of<T>(response: &ResponseValue<T>) -> Self {
        Self::from_headers(response.headers())
    }

    /// Number of pages, when count and take are known.
    pub fn total_pages(&self) -> Option<u64> {
        match (self.count, self.take) {
            (Some(count), Some(take)) if take > 0 => Some(count.div_ceil(take)),
            _ => None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The page number that was requested (1-based).
    pub number: u64,
    pub items: Vec<T>,
    pub info: PageInfo,
}

/// A list operation: returns an array and takes `page` and `take` (implemented by generated code).
pub trait ListOperation: Operation<Output = Vec<<Self as ListOperation>::Item>> + Clone {
    type Item: Send;
    /// The same request for another page.
    fn with_page(self, page: u64, take: u64) -> Self;
}

/// Streams over every page of a list operation.
pub trait Paginate: ListOperation {
    /// All pages, `take` items each (clamped to 1..=100).
    fn pages_with(self, take: u64) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        self.pages_from(1, take)
    }

    /// Pages `first`, `first + 1`, … to the end, `take` items each (clamped to 1..=100).
    fn pages_from(self, first: u64, take: u64) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        let take = take.clamp(1, MAX_TAKE);
        stream::try_unfold(Some(first.max(1)), move |next| {
            let request = self.clone();
            async move {
                let Some(number) = next else { return Ok(None) };
                let response = request.with_page(number, take).send().await?;
                let info = PageInfo::of(&response);
                let items = response.into_inner();
                let following = next_page(number, take, items.len() as u64, &info);
                Ok(Some((Page { number, items, info }, following)))
            }
        })
    }

    /// All pages of 100 items.
    fn pages(self) -> impl Stream<Item = Result<Page<Self::Item>, Error>> + Send {
        self.pages_with(MAX_TAKE)
    }

    /// Every item of every page, fetched page by page as the stream is read.
    fn items(self) -> impl Stream<Item = Result<Self::Item, Error>> + Send {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every item, collected.
    fn collect_all(self) -> impl std::future::Future<Output = Result<Vec<Self::Item>, Error>> + Send {
        self.items().try_collect()
    }
}

impl<T: ListOperation> Paginate for T {}

/// The page after `number`, or `None` when the list is exhausted. Counts from the headers win; without
/// them a short or empty page ends the list.
fn next_page(number: u64, take: u64, received: u64, info: &PageInfo) -> Option<u64> {
    if received == 0 {
        return None;
    }
    // A server that ignores `page` would loop forever; stop if it says it sent another page.
    if info.page.is_some_and(|p| p != number) {
        return None;
    }
    if let Some(total) = info.total_pages() {
        return (number < total).then_some(number + 1);
    }
    if let Some(count) = info.count {
        return (number.saturating_mul(take) < count).then_some(number + 1);
    }
    let served_take = info.take.unwrap_or(take);
    (received >= served_take).then_some(number + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(count: Option<u64>, page: Option<u64>, take: Option<u64>) -> PageInfo {
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
        // Server ignoring `page`.
        assert_eq!(next_page(2, 10, 10, &info(None, Some(1), None)), None);
    }

    #[test]
    fn headers_parse_and_garbage_is_none() {
        let mut h = HeaderMap::new();
        h.insert("pagination-count", "42".parse().unwrap());
        h.insert("pagination-page", " 2 ".parse().unwrap());
        h.insert("pagination-take", "ten".parse().unwrap());
        assert_eq!(PageInfo::from_headers(&h), info(Some(42), Some(2), None));
        assert_eq!(info(Some(42), None, Some(10)).total_pages(), Some(5));
    }
}
