//! Listing and paginating: every item of a list, page by page, or one page with its counts.
//!
//! `cargo run --example list_and_paginate` (a local mock Invent with 120 assistants: no key, no
//! network). Against the real API, build the client with `Client::from_env()?` instead.

use futures::TryStreamExt;
use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::builder().assistants(120).start().await;
    let client = mock.client();

    // Every item: pages of 100 are fetched as the stream is read (`Paginate::items`).
    let all: Vec<types::Assistant> = client.list_assistants().items().try_collect().await?;
    println!("{} assistants", all.len());

    // The same with pages of 20: `.take(20)` on the builder is kept by `.items()` and `.pages()`.
    // A stream read with `while let` is pinned first.
    let mut pages = std::pin::pin!(client.list_assistants().take(20).pages());
    let mut sizes = Vec::new();
    while let Some(page) = pages.try_next().await? {
        println!("page {}: {} items (of {:?})", page.number, page.items.len(), page.info.count);
        sizes.push(page.items.len());
    }

    // One page, with Invent's `pagination-*` headers as `PageInfo`.
    let third = client.list_assistants().page(3).take(50).send().await?;
    let info = PageInfo::of(&third);
    println!("page 3 of {:?}: {} items, {:?}", info.total_pages(), third.len(), info);

    // Check what was printed: the mock holds 120 assistants.
    let expected_sizes = [20; 6];
    if all.len() != 120 || sizes != expected_sizes || third.len() != 20 || info.total_pages() != Some(3) {
        return Err(
            format!("unexpected: {} items, pages {sizes:?}, page 3 {} items {info:?}", all.len(), third.len()).into()
        );
    }
    Ok(())
}
