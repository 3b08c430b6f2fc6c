//! Pagination over `page`/`take` and the `pagination-*` headers: several full pages, a short last page,
//! headers missing, empty lists, and `PageInfo` on a single call; and termination against servers
//! that do not page properly (a scripted loopback server that ignores `page`, lies in its headers or
//! never runs out), each asserting the outcome and the number of requests.

mod common;
#[path = "common/faults.rs"]
mod faults;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::Mock;
use invent_api::prelude::*;
use serde_json::Value;

/// Serves `items` at `path` in pages of the requested `take`, with or without count headers.
async fn serve_pages<'a>(
    server: &'a MockServer,
    path: &str,
    items: &[Value],
    take: usize,
    headers: bool,
) -> Vec<Mock<'a>> {
    let pages = items.chunks(take).map(<[Value]>::to_vec).collect::<Vec<_>>();
    let mut mocks = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let number = (i + 1).to_string();
        let count = items.len().to_string();
        let take_s = take.to_string();
        let body = Value::Array(page.clone());
        let path = path.to_string();
        mocks.push(
            server
                .mock_async(move |when, then| {
                    when.method(GET).path(path).query_param("page", &number).query_param("take", &take_s);
                    let then = then.status(200).json_body(body);
                    if headers {
                        then.header("pagination-count", &count)
                            .header("pagination-page", &number)
                            .header("pagination-take", &take_s);
                    }
                })
                .await,
        );
    }
    mocks
}

#[tokio::test]
async fn three_pages_with_headers() {
    let server = MockServer::start_async().await;
    let items = common::assistants(1..=250);
    let mocks = serve_pages(&server, "/orgs/c/assistants", &items, 100, true).await;
    let client = common::client(&server);
    let all = client.list_assistants().collect_all().await.expect("all pages");
    assert_eq!(all.len(), 250);
    assert_eq!(all[0].id, "ast_1");
    assert_eq!(all[249].id, "ast_250");
    for m in &mocks {
        m.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn pages_stream_reports_page_info() {
    let server = MockServer::start_async().await;
    let items = common::assistants(1..=25);
    serve_pages(&server, "/orgs/c/assistants", &items, 10, true).await;
    let pages: Vec<_> = common::client(&server).list_assistants().pages_with(10).try_collect().await.expect("pages");
    let sizes: Vec<_> = pages.iter().map(|p| (p.number, p.items.len())).collect();
    assert_eq!(sizes, vec![(1, 10), (2, 10), (3, 5)]);
    assert_eq!(pages[2].info, PageInfo { count: Some(25), page: Some(3), take: Some(10) });
    assert_eq!(pages[0].info.total_pages(), Some(3));
}

#[tokio::test]
async fn short_last_page_without_headers_ends_the_list() {
    let server = MockServer::start_async().await;
    let items = common::assistants(1..=23);
    let mocks = serve_pages(&server, "/orgs/c/assistants", &items, 10, false).await;
    let all: Vec<_> =
        common::client(&server).list_assistants().pages_with(10).try_collect::<Vec<_>>().await.expect("pages");
    assert_eq!(all.iter().map(|p| p.items.len()).sum::<usize>(), 23);
    assert_eq!(mocks.len(), 3);
    for m in &mocks {
        m.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn full_last_page_without_headers_costs_one_empty_request() {
    let server = MockServer::start_async().await;
    let items = common::assistants(1..=20);
    serve_pages(&server, "/orgs/c/assistants", &items, 10, false).await;
    let empty = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants").query_param("page", "3");
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    let all: Vec<_> =
        common::client(&server).list_assistants().pages_with(10).try_collect::<Vec<_>>().await.expect("pages");
    assert_eq!(all.iter().map(|p| p.items.len()).sum::<usize>(), 20);
    empty.assert_calls_async(1).await;
}

#[tokio::test]
async fn single_call_exposes_page_info_and_other_list_filters_are_kept() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/orgs/c/contacts")
                .query_param("status", "SUBSCRIBED")
                .query_param("page", "2")
                .query_param("take", "20");
            then.status(200)
                .header("pagination-count", "41")
                .header("pagination-page", "2")
                .header("pagination-take", "20")
                .json_body(serde_json::json!([common::contact("con_1", "Ada")]));
        })
        .await;
    let response = common::client(&server)
        .list_contacts()
        .status(invent_api::types::ListContactsStatus::Subscribed)
        .page(2)
        .take(20)
        .send()
        .await
        .expect("page 2");
    assert_eq!(PageInfo::of(&response), PageInfo { count: Some(41), page: Some(2), take: Some(20) });
    assert_eq!(response.len(), 1);
    m.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_error_mid_stream_is_yielded_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    let items = common::assistants(1..=10);
    serve_pages(&server, "/orgs/c/assistants", &items, 10, false).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/assistants").query_param("page", "2");
            then.status(500).body("boom");
        })
        .await;
    let client = common::client(&server);
    let mut pages = Box::pin(client.list_assistants().pages_with(10));
    assert_eq!(pages.try_next().await.expect("page 1").expect("some").items.len(), 10);
    let err = pages.try_next().await.expect_err("page 2 fails");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

// ---- every stream ends ----------------------------------------------------------------------

use faults::{FaultServer, Reply};

/// `take` assistants starting at `first`, as a JSON array body.
fn page_body(first: usize, take: usize) -> String {
    serde_json::Value::Array(common::assistants(first..=first + take - 1)).to_string()
}

/// The `page` query parameter of a request path.
fn page_param(path: &str) -> u64 {
    let query = path.split_once('?').map_or("", |(_, q)| q);
    query.split('&').find_map(|kv| kv.strip_prefix("page=")).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_server_that_ignores_page_and_sends_no_headers_is_stopped_on_the_second_request() {
    // The server: 456 requests in 20 s and still going before this check.
    let server = FaultServer::always(Reply::ok().body(&page_body(1, 100))).await;
    let client = common::client_for(&server.base_url());
    let err = client.list_assistants().collect_all().await.expect_err("the same page again");
    assert_eq!(server.requests(), 2);
    assert_eq!(err.to_string(), "pagination stopped: page 2 repeats page 1 item for item (the server ignores `page`)");
}

#[tokio::test]
async fn a_server_that_answers_every_page_as_page_one_is_stopped() {
    let reply = Reply::ok().body(&page_body(1, 10)).header("pagination-page", "1").header("pagination-take", "10");
    let server = FaultServer::always(reply).await;
    let client = common::client_for(&server.base_url());
    let mut pages = Box::pin(client.list_assistants().pages_with(10));
    assert_eq!(pages.try_next().await.expect("page 1").expect("some").items.len(), 10);
    let err = pages.try_next().await.expect_err("page 2 was not served");
    assert!(err.to_string().contains("page 2 was answered with page 1"), "{err}");
    assert!(pages.try_next().await.expect("ended").is_none(), "nothing after the error");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_page_limit() {
    // Honours `page`, but every page is full and there are no counts: it never runs out.
    let server = FaultServer::start(|_, seen| {
        let page = page_param(&seen.last().unwrap().path) as usize;
        Reply::ok().body(&page_body((page - 1) * 10 + 1, 10))
    })
    .await;
    let client = common::client_for(&server.base_url());
    let mut pages = Box::pin(client.list_assistants().pages_with_limit(10, 5));
    let mut numbers = Vec::new();
    let err = loop {
        match pages.try_next().await {
            Ok(Some(page)) => numbers.push(page.number),
            Ok(None) => panic!("an endless list cannot end by itself"),
            Err(e) => break e,
        }
    };
    assert_eq!(numbers, vec![1, 2, 3, 4, 5]);
    assert_eq!(server.requests(), 5, "the limit is checked before asking for page 6");
    assert!(err.to_string().contains("after 5 pages, the page limit"), "{err}");
    assert_eq!(invent_api::DEFAULT_MAX_PAGES, 10_000);
}

#[tokio::test]
async fn a_list_ending_exactly_at_the_limit_is_not_an_error() {
    let server = FaultServer::start(|_, seen| {
        let page = page_param(&seen.last().unwrap().path) as usize;
        Reply::ok()
            .body(&page_body((page - 1) * 10 + 1, 10))
            .header("pagination-count", "30")
            .header("pagination-page", page.to_string())
            .header("pagination-take", "10")
    })
    .await;
    let client = common::client_for(&server.base_url());
    let pages: Vec<_> = client.list_assistants().pages_with_limit(10, 3).try_collect().await.expect("3 pages");
    assert_eq!(pages.iter().map(|p| p.items.len()).sum::<usize>(), 30);
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn a_server_ignoring_page_with_a_short_page_ends_normally_after_one_request() {
    // Documented stop: a short page is the last one, whatever the server does with `page`.
    let server = FaultServer::always(Reply::ok().body(&page_body(1, 7))).await;
    let client = common::client_for(&server.base_url());
    let all = client.list_assistants().collect_all().await.expect("one short page");
    assert_eq!(all.len(), 7);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_server_counting_more_items_than_it_serves_is_stopped_by_the_repeat_check() {
    // Claims 10 000 items, honours nothing: identical pages, no page header.
    let reply = Reply::ok().body(&page_body(1, 100)).header("pagination-count", "10000");
    let server = FaultServer::always(reply).await;
    let client = common::client_for(&server.base_url());
    let err = client.list_assistants().items().try_collect::<Vec<_>>().await.expect_err("repeat");
    assert!(err.to_string().contains("page 2 repeats page 1"), "{err}");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn the_last_page_number_ends_the_stream_cleanly() {
    // Page numbers are u32, like Invent's `page`: after page u32::MAX there is no page to ask for, so
    // a full page there ends the stream; nothing panics and nothing more is sent.
    let server = FaultServer::always(Reply::ok().body(&page_body(1, 10))).await;
    let client = common::client_for(&server.base_url());
    let mut pages = Box::pin(client.list_assistants().pages_from(u32::MAX, 10));
    assert_eq!(pages.try_next().await.expect("page u32::MAX").expect("some").number, u32::MAX);
    assert!(pages.try_next().await.expect("no error").is_none(), "no page after u32::MAX");
    assert_eq!(server.requests(), 1);
}
