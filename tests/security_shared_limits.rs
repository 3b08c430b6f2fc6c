//! Shared limits are namespaced and Redis cannot park a call. Without a prefix of its own, a client
//! shares its quota only with clients of the same base URL and org (`SharedRedis::namespaced`, and
//! `INVENT_LIMITER_REDIS_URL` without `INVENT_LIMITER_REDIS_PREFIX`); the Redis keys carry a hash of
//! those, never the API key; a prefix of your own still groups whatever you put under it. A reply the
//! admission script cannot give (a wait past the caller's deadline, a refusal within it, a pause the
//! slot does not cover, waits of decades) is not obeyed: the call goes through the local limiter.
//!
//! The namespacing tests need a real Redis at `INVENT_TEST_REDIS_URL` (`scripts/redis.sh start`
//! prints one): they are `#[ignore]`d with that reason (the test command runs them) and fail without
//! it; the hostile-reply tests bring their own fake Redis.
#![cfg(feature = "redis")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use invent_api::{Client, Error, LimiterConfig, Org, SharedRedis};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn redis_url() -> String {
    match std::env::var("INVENT_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("INVENT_TEST_REDIS_URL is unset: start Redis with `scripts/redis.sh start` and export its URL"),
    }
}

/// A loopback API answering every list with `[]`.
async fn api() -> httpmock::MockServer {
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(serde_json::json!([]));
        })
        .await;
    server
}

/// One request a minute, shared through `shared`.
fn client(base_url: &str, org: &str, shared: SharedRedis) -> Client {
    let limiter = LimiterConfig::new(1, Duration::from_secs(60)).burst(1).shared_redis(shared);
    Client::builder()
        .api_key(common::TEST_KEY)
        .base_url(base_url)
        .org(Org::parse(org))
        .limiter(Some(limiter))
        .max_retries(0)
        .build()
        .unwrap()
}

/// `Ok` when the call went out; `Err` when the client's limiter refused it (a 429 it made itself).
async fn call(client: &Client) -> Result<(), ()> {
    match client.list_assistants().send().await {
        Ok(_) => Ok(()),
        Err(Error::Api(e)) if e.status.as_u16() == 429 && e.attempts == 0 => Err(()),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

async fn state_keys(url: &str) -> std::collections::BTreeSet<String> {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.expect("Redis at INVENT_TEST_REDIS_URL");
    let keys: Vec<String> = redis::cmd("KEYS").arg("*:state").query_async(&mut connection).await.unwrap();
    keys.into_iter().collect()
}

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{what}_{}_{nanos}", std::process::id())
}

#[tokio::test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
async fn the_default_prefix_separates_base_urls_and_orgs_and_holds_no_key() {
    let url = redis_url();
    let (a, b) = (api().await, api().await);
    let (org, other_org) = (unique("org_x"), unique("org_y"));
    let before = state_keys(&url).await;

    let first = client(&a.base_url(), &org, SharedRedis::namespaced(&url));
    assert_eq!(call(&first).await, Ok(()));
    assert_eq!(call(&first).await, Err(()), "one a minute");
    // Another client (another process, as far as Redis knows) of the same API and org shares it.
    let twin = client(&a.base_url(), &org, SharedRedis::namespaced(&url));
    assert_eq!(call(&twin).await, Err(()), "same base URL and org: one quota");
    // Another base URL (staging beside production), or another org: a quota of its own.
    assert_eq!(call(&client(&b.base_url(), &org, SharedRedis::namespaced(&url))).await, Ok(()));
    assert_eq!(call(&client(&a.base_url(), &other_org, SharedRedis::namespaced(&url))).await, Ok(()));

    let new: Vec<String> = state_keys(&url).await.difference(&before).cloned().collect();
    assert_eq!(new.len(), 3, "one bucket per base URL and org: {new:?}");
    for key in &new {
        let hash = key.strip_prefix("{invent-api:").and_then(|k| k.strip_suffix(":general}:state"));
        assert!(hash.is_some_and(|h| h.len() == 16 && h.bytes().all(|c| c.is_ascii_hexdigit())), "{key}");
        assert!(!key.contains(common::TEST_KEY) && !key.contains("sk_"), "{key}");
    }
}

#[tokio::test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
async fn a_prefix_of_your_own_still_wins() {
    let url = redis_url();
    let (a, b) = (api().await, api().await);
    let prefix = unique("fleet");
    let mine = || SharedRedis::new(&url, &prefix);
    assert_eq!(call(&client(&a.base_url(), "c", mine())).await, Ok(()));
    assert_eq!(call(&client(&b.base_url(), "org_other", mine())).await, Err(()), "one prefix, one quota");
    assert!(state_keys(&url).await.contains(&format!("{{{prefix}:general}}:state")));
}

/// A fake Redis: answers every EVAL/EVALSHA with `reply` (a RESP array of integers) and everything
/// else with `+OK`; counts the scripts it was asked to run.
async fn fake_redis(reply: [i64; 4]) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://127.0.0.1:{}/0", listener.local_addr().unwrap().port());
    let scripts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&scripts);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let (read, mut write) = tcp.into_split();
                let mut read = BufReader::new(read);
                while let Some(command) = read_command(&mut read).await {
                    let name = command.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                    let answer = if name == "EVALSHA" || name == "EVAL" {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let mut out = format!("*{}\r\n", reply.len());
                        for n in reply {
                            out.push_str(&format!(":{n}\r\n"));
                        }
                        out
                    } else {
                        "+OK\r\n".to_string()
                    };
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, scripts)
}

/// One RESP command (an array of bulk strings), or `None` at the end of the connection.
async fn read_command(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<String>> {
    let mut line = String::new();
    read.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut parts = Vec::with_capacity(count);
    for _ in 0..count {
        line.clear();
        read.read_line(&mut line).await.ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut data = vec![0u8; len + 2];
        read.read_exact(&mut data).await.ok()?;
        parts.push(String::from_utf8_lossy(&data[..len]).into_owned());
    }
    Some(parts)
}

/// Each reply the script cannot give: the call still goes out at once (through the local limiter),
/// instead of sleeping decades, spinning on a pause, or failing with a made-up 429.
#[tokio::test]
async fn replies_the_script_cannot_give_are_not_obeyed() {
    let decades = 1i64 << 50; // µs, about 35 years
    let api = api().await;
    for (reply, what) in [
        ([1, decades, 0, 0], "booked with a wait of decades"),
        ([1, 90_000_000, 0, 0], "booked 90 s out, past the call's 5 s deadline"),
        ([1, 0, decades, 0], "booked before a pause of decades"),
        ([0, 10, 0, 0], "refused within the limit"),
        ([0, decades, decades, 0], "a pause of decades"),
        ([7, 0, 0, 0], "not a yes or no"),
        ([1, -5, 0, 0], "a negative wait"),
        ([2, 10_000_000, 0, 0], "neither yes nor no, with a wait a refusal could have"),
        ([0, 10_000_000, 0, -1], "a refusal a script could give, at a negative time"),
    ] {
        let (url, scripts) = fake_redis(reply).await;
        let limiter = LimiterConfig::default().shared_redis(SharedRedis::new(url, "hostile"));
        let client = Client::builder()
            .api_key(common::TEST_KEY)
            .base_url(api.base_url())
            .limiter(Some(limiter))
            .max_retries(0)
            .deadline(Some(Duration::from_secs(5)))
            .build()
            .unwrap();
        let result = tokio::time::timeout(Duration::from_secs(60), client.list_assistants().send()).await;
        let result = result.unwrap_or_else(|_| panic!("{what}: the call was parked"));
        assert!(result.is_ok(), "{what}: {result:?}");
        assert_eq!(scripts.load(Ordering::SeqCst), 1, "{what}: Redis was asked once, then distrusted");
    }
}

/// The check is not a blanket refusal: a sane reply within the deadline is obeyed (the call waits
/// for its slot), and one past the deadline is a refusal like the local limiter's.
#[tokio::test]
async fn sane_replies_are_obeyed() {
    let api = api().await;
    for (reply, allowed) in [([1i64, 0, 0, 0], true), ([0, 90_000_000, 0, 0], false)] {
        let (url, scripts) = fake_redis(reply).await;
        let limiter = LimiterConfig::default().shared_redis(SharedRedis::new(url, "sane"));
        let client = Client::builder()
            .api_key(common::TEST_KEY)
            .base_url(api.base_url())
            .limiter(Some(limiter))
            .max_retries(0)
            .deadline(Some(Duration::from_secs(5)))
            .build()
            .unwrap();
        let outcome = call(&client).await;
        assert_eq!(outcome.is_ok(), allowed, "{reply:?}");
        assert_eq!(scripts.load(Ordering::SeqCst), 1);
    }
}
