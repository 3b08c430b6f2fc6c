//! Errors and retries: a typed error keeps the status, the server's message and the request id; 429s
//! and 5xx are retried for you (POST/PATCH never re-sent after a 5xx); `RetryConfig` tunes it.
//!
//! `cargo run --example errors_and_retries` (a local mock Invent that answers every 4th request with
//! a 429: no key, no network). Against the real API, build the client with `Client::from_env()?`.

use std::time::Duration;

use invent_api::mock::server::MockInvent;
use invent_api::prelude::*;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    let mock = MockInvent::builder().rate_limit_every(4).start().await;

    // Retries: up to 3, backoff from 100 ms; the mock's 429s ask for no wait (`Retry-After: 0`).
    let client = mock
        .client_builder()
        .retry(RetryConfig::default().max_retries(3).base_delay(Duration::from_millis(100)))
        .build()?;

    // 1. Not found: match on the error, read what the server said.
    let missing = client.get_assistant().assistant_id("ast_DoesNotExist0000000000").send().await;
    let message = match missing {
        Ok(assistant) => return Err(format!("unexpectedly found {}", assistant.name).into()),
        Err(err) if err.is_not_found() => {
            println!("404: {} (request id {})", err.message().unwrap_or("no message"), err.request_id().unwrap_or("-"));
            err.message().map(str::to_string)
        }
        Err(err) => return Err(err.into()),
    };

    // 2. Rate limits: ten calls, every 4th request answered 429, each retried transparently.
    for _ in 0..10 {
        client.list_assistants().take(5).send().await?;
    }
    println!("{} requests, {} answered 429, every call succeeded", mock.request_count(), mock.rate_limited_count());

    // 3. Without retries the 429 is the caller's to handle, with the wait the server asked for.
    let no_retries = mock.client_builder().retry(RetryConfig::disabled()).build()?;
    let mut limited = None;
    for _ in 0..4 {
        if let Err(err) = no_retries.list_assistants().take(5).send().await {
            if !err.is_rate_limited() {
                return Err(err.into());
            }
            println!("429 without retries: retry after {:?}, {} attempt(s)", err.retry_after(), err.attempts());
            limited = Some(err);
        }
    }

    // Check what was printed.
    let retried = mock.rate_limited_count() >= 2;
    let surfaced = limited.as_ref().is_some_and(|e| e.attempts() == 1 && e.retry_after() == Some(Duration::ZERO));
    if message.is_none() || !retried || !surfaced {
        return Err(format!("message {message:?}, retried {retried}, 429 surfaced {surfaced}").into());
    }
    Ok(())
}
