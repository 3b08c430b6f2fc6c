//! Pagination over `page`/`take` and the `pagination-*` headers: several full pages, a short last page,
//! headers missing, empty lists, and `PageInfo` on a single call.

mod common;

use futures::TryStreamExt;
use httpmock::prelude::*;
use httpmock::Mock;
use invent_api::prelude::*;
use serde_json::Value;

/// Serves `items` at `path` in pages of the requested `take`, with or without count headers.
async fn serve_pages<'a>(server: &'a MockServer, path: &str, items: &[Value], take: usize, headers: bool) -> Vec<Mock<'a>> {
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
    let all: Vec<_> = common::client(&server).list_assistants().pages_with(10).try_collect::<Vec<_>>().await.expect("pages");
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
    let all: Vec<_> = common::client(&server).list_assistants().pages_with(10).try_collect::<Vec<_>>().await.expect("pages");
    assert_eq!(all.iter().map(|p| p.items.len()).sum::<usize>(), 20);
    empty.assert_calls_async(1).await;
}

#[tokio::test]
async fn single_call_exposes_page_info_and_other_list_filters_are_kept() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/contacts").query_param("status", "SUBSCRIBED").query_param("page", "2").query_param("take", "20");
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
