//! Limits shared across processes on a real Redis (feature `redis`). Fleet members are
//! this test binary re-executed (`common/fleet.rs`): the child runs the test [`fleet_member`] alone
//! with `INVENT_FLEET_CHILD` set, so the standard harness parses every libtest argument.
//!
//! Redis: the tests that keep Redis up read `INVENT_TEST_REDIS_URL`; the kill and restart tests start
//! their own `redis-server`. Both kinds are `#[ignore]`d with that reason, so a plain `cargo test`
//! lists them as ignored; `scripts/test-all.sh` starts Redis (`scripts/redis.sh`) and runs them with
//! `--include-ignored`. Run without Redis, they fail: unset variable, unreachable server or no
//! `redis-server` binary. The tests run one at a time (each starts processes and measures rates).

#[path = "common/faults.rs"]
mod faults;
#[path = "common/fleet.rs"]
mod fleet;
#[path = "common/redis_server.rs"]
mod redis_server;

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use fleet::{collect, max_in_window, total, LimitedServer, Limiting, Spec, FLEET_KEY};
use invent_api::{Client, LimiterConfig};
use redis_server::RedisServer;
use reqwest::Method;
use tokio::time::Instant;

/// One fleet test at a time: they start processes, measure rates and set environment variables.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `test` on its own runtime, alone.
fn run(test: impl Future<Output = ()>) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(test);
}

/// `INVENT_TEST_REDIS_URL`; the test fails when it is unset.
fn redis_url() -> String {
    match std::env::var("INVENT_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("INVENT_TEST_REDIS_URL is unset: this test needs Redis (scripts/redis.sh start prints a URL)"),
    }
}

/// In a fleet member process: the member's calls (`fleet::child_main`). Run by the harness: one member
/// is started the way every fleet test starts them and must report exactly the calls the server saw.
#[test]
fn fleet_member() {
    if fleet::child_main() {
        return;
    }
    run(async {
        let server = LimitedServer::unlimited().await;
        let mut spec = Spec::new(&server.base_url(), Limiting::Local, 100, Duration::from_secs(1));
        (spec.tasks, spec.calls) = (2, 3);
        let reports = collect(vec![spec.spawn()]);
        assert_eq!(reports.len(), 1);
        assert_eq!((reports[0].ok, reports[0].failed, reports[0].refused), (6, 0, 0), "{reports:?}");
        assert_eq!(server.accepted().len(), 6);
    });
}

#[test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
fn four_processes_share_one_limit_and_see_no_429() {
    run(four_processes_share_one_limit(redis_url()));
}

#[test]
fn four_processes_with_local_limiters_draw_429s() {
    run(four_processes_with_local_limiters());
}

#[test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
fn assistant_creations_are_shared_across_processes() {
    run(assistant_creations_shared(redis_url()));
}

#[test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
fn a_429_seen_by_one_process_pauses_the_others() {
    run(a_429_pauses_other_processes(redis_url()));
}

#[test]
#[ignore = "needs redis-server on PATH (scripts/redis.sh start installs it; scripts/test-all.sh runs ignored tests)"]
fn redis_killed_mid_run_calls_go_on_locally() {
    run(redis_killed_mid_run());
}

#[test]
#[ignore = "needs redis-server on PATH (scripts/redis.sh start installs it; scripts/test-all.sh runs ignored tests)"]
fn redis_restarted_limits_are_shared_again() {
    run(redis_restarted());
}

#[test]
fn unreachable_redis_never_fails_or_blocks_a_call() {
    run(unreachable_redis());
}

#[test]
fn a_black_hole_redis_costs_one_timeout_then_calls_go_local() {
    run(black_hole_redis());
}

#[test]
#[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
fn environment_variables_share_the_limit_and_keys_hold_no_api_key() {
    run(environment(redis_url()));
}

/// A prefix no other test or run uses.
fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("invent-test:{test}:{}:{nanos}", std::process::id())
}

/// Fails the test when the shared Redis does not answer (instead of letting calls silently go local).
async fn check_redis(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("INVENT_TEST_REDIS_URL is a Redis URL");
    let connect = client.get_multiplexed_async_connection();
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => panic!("INVENT_TEST_REDIS_URL={url} is set but Redis does not answer: {e}"),
        Err(_) => panic!("INVENT_TEST_REDIS_URL={url} is set but Redis does not answer within 5 s"),
    }
}

/// Four processes, two tasks each, 32 calls in all against a server allowing 8 per sliding 2 s
/// window; every process is configured with the server's limit and shares it through Redis. Zero
/// 429s, and the calls take the four windows that 32 calls need at that limit.
async fn four_processes_share_one_limit(url: String) {
    check_redis(&url).await;
    let server = LimitedServer::start(8, Duration::from_secs(2)).await;
    let mut spec = Spec::new(&server.base_url(), Limiting::Shared(url, prefix("four")), 8, Duration::from_secs(2));
    (spec.tasks, spec.calls) = (2, 4);
    let started = Instant::now();
    let sum = total(&collect((0..4).map(|_| spec.spawn()).collect()));
    let took = started.elapsed();
    assert_eq!(server.refused(), 0, "the server refused requests: the limit was not shared ({sum:?})");
    assert_eq!((sum.ok, sum.failed, sum.limited, sum.refused), (32, 0, 0, 0), "{sum:?}");
    assert_eq!(sum.warnings, 0, "Redis stayed up: no fallback");
    // Every arrival, refused or not (the server's own log of accepted ones holds at most 8 by design).
    let arrivals: Vec<Instant> = server.server.seen().iter().map(|seen| seen.at).collect();
    assert_eq!(arrivals.len(), 32);
    let most = max_in_window(&arrivals, Duration::from_secs(2), started);
    assert!(most <= 8, "{most} requests reached the server within 2 s");
    assert!(took >= Duration::from_secs(6), "32 calls at 8 per 2 s window need three more windows: {took:?}");
}

/// The control: the same fleet with per-process limiters. Together the processes send up to 4× the
/// limit, and the server refuses (each process then learns the limit from its own 429s only).
async fn four_processes_with_local_limiters() {
    let server = LimitedServer::start(8, Duration::from_secs(2)).await;
    let mut spec = Spec::new(&server.base_url(), Limiting::Local, 8, Duration::from_secs(2));
    (spec.tasks, spec.calls, spec.max_retries) = (2, 4, 0);
    let reports = collect((0..4).map(|_| spec.spawn()).collect());
    let refused: u64 = reports.iter().map(|r| r.refused).sum();
    assert!(refused >= 4, "the server refused only {refused}: {reports:?}");
    assert_eq!(refused as usize, server.refused(), "{reports:?}");
}

/// The per-org creation bucket (4 per hour here) shared by four processes that try two creations
/// each: exactly four reach the server, the other four get an immediate client-made 429. With local
/// buckets all eight would have gone.
async fn assistant_creations_shared(url: String) {
    let mut redis = check_redis(&url).await;
    let server = LimitedServer::unlimited().await;
    let prefix = prefix("creations");
    let mut spec = Spec::new(&server.base_url(), Limiting::Shared(url, prefix.clone()), 500, Duration::from_secs(60));
    (spec.op, spec.creations, spec.tasks, spec.calls) = ("create".into(), Some((4, Duration::from_secs(3600))), 1, 2);
    let sum = total(&collect((0..4).map(|_| spec.spawn()).collect()));
    assert_eq!(server.accepted().len(), 4, "{sum:?}");
    assert_eq!((sum.ok, sum.limited, sum.failed, sum.refused), (4, 4, 0, 0), "{sum:?}");
    let key = format!("{{{prefix}:assistant_creations}}:state");
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut redis).await.expect("PTTL");
    assert!(ttl > 3_500_000 && ttl <= 3_602_000, "the creation bucket's state lives about an hour: {ttl} ms");

    let local = LimitedServer::unlimited().await;
    spec.base_url = local.base_url();
    spec.limiting = Limiting::Local;
    let sum = total(&collect((0..4).map(|_| spec.spawn()).collect()));
    assert_eq!((sum.ok, local.accepted().len()), (8, 8), "local buckets cannot see each other: {sum:?}");
}

/// Process A gets a 429 with `Retry-After: 4`; process B, started after it, waits that out too: its
/// one call is held by the shared pause (its own latency is seconds, not the milliseconds of a
/// loopback call), and nothing reaches the server before the pause is over.
async fn a_429_pauses_other_processes(url: String) {
    check_redis(&url).await;
    let refused_at = std::sync::Arc::new(std::sync::Mutex::new(None));
    let server = faults::FaultServer::start({
        let refused_at = refused_at.clone();
        move |n, history| {
            if n == 0 {
                *refused_at.lock().unwrap() = Some(history[0].at);
                faults::Reply::status(429).header("retry-after", "4")
            } else {
                faults::Reply::ok()
            }
        }
    })
    .await;
    let spec = Spec::new(&server.base_url(), Limiting::Shared(url, prefix("pause")), 100, Duration::from_secs(1));
    let a = spec.spawn();
    while server.requests() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = spec.spawn();
    let reports = collect(vec![a, b]);
    let sum = total(&reports);
    assert_eq!((sum.ok, sum.failed), (2, 0), "{sum:?}");
    // B starts ~0.3 s into the 4 s pause: held ≥ 1 s even if its process took 2.7 s to start; without
    // the shared pause its call is a loopback round trip.
    let b_latency = Duration::from_micros(reports[1].mean_us);
    assert!(b_latency >= Duration::from_secs(1), "B was not held by A's 429: its call took {b_latency:?}");
    let refused_at = refused_at.lock().unwrap().expect("the first request was refused");
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "the 429, A's retry and B's call");
    for later in &seen[1..] {
        let after = later.at - refused_at;
        assert!(after >= Duration::from_millis(3900), "a request went {after:?} after the 429's 4 s pause");
    }
}

/// Two processes share 10 per second on a private Redis, which is killed after 1.5 s. No call fails,
/// calls go on at the local limiters' rate (each process its own 10/s: the documented worst case of
/// N × the limit), and each process warns exactly once.
async fn redis_killed_mid_run() {
    let mut redis = RedisServer::start();
    let server = LimitedServer::unlimited().await;
    let mut spec =
        Spec::new(&server.base_url(), Limiting::Shared(redis.url(), prefix("kill")), 10, Duration::from_secs(1));
    (spec.tasks, spec.calls, spec.duration) = (2, 0, Duration::from_secs(4));
    let started = Instant::now();
    let members = vec![spec.spawn(), spec.spawn()];
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.kill();
    let killed = Instant::now();
    let reports = collect(members);
    let sum = total(&reports);
    assert_eq!((sum.failed, sum.refused, sum.limited), (0, 0, 0), "{sum:?}");
    assert!(reports.iter().all(|r| r.warnings == 1), "one warning per process: {reports:?}");
    let accepted = server.accepted();
    let before = accepted.iter().filter(|t| **t < killed).count();
    let after = accepted.iter().filter(|t| **t >= killed + Duration::from_millis(500)).count();
    // Shared: 10 per 1.02 s for both together; local: 10 per 1.02 s each, over the last 2 s.
    assert!(before <= 20, "shared before the kill: {before} in 1.5 s");
    assert!(after >= 30, "calls went on locally after the kill: only {after} in the last 2 s ({sum:?})");
    // A 4 s run; a member blocked on the dead Redis would not have finished at all.
    assert!(started.elapsed() < Duration::from_secs(30), "nothing blocked: {:?}", started.elapsed());
}

/// Redis killed at 1 s and restarted at 2.5 s: the processes reconnect (one "shared again" note
/// each), their bookings reach the new Redis, and from then on both together stay under one limit.
/// "From then on" is when the later of the two logged its recovery (each member reports the time),
/// so a slow reconnect shortens the checked stretch instead of failing the test.
async fn redis_restarted() {
    let mut redis = RedisServer::start();
    let server = LimitedServer::unlimited().await;
    let prefix = prefix("restart");
    let mut spec =
        Spec::new(&server.base_url(), Limiting::Shared(redis.url(), prefix.clone()), 10, Duration::from_secs(1));
    (spec.tasks, spec.calls, spec.duration) = (2, 0, Duration::from_secs(9));
    let members = vec![spec.spawn(), spec.spawn()];
    tokio::time::sleep(Duration::from_secs(1)).await;
    redis.kill();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.restart();
    let reports = collect(members);
    let ended = Instant::now();
    let sum = total(&reports);
    assert_eq!((sum.failed, sum.refused, sum.limited), (0, 0, 0), "{sum:?}");
    assert!(reports.iter().all(|r| r.warnings == 1 && r.recovered == 1), "{reports:?}");
    let mut connection = redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("the restarted Redis");
    let total: Option<u64> = redis::cmd("HGET")
        .arg(format!("{{{prefix}:general}}:state"))
        .arg("total")
        .query_async(&mut connection)
        .await
        .expect("HGET");
    assert!(total.is_some_and(|t| t > 0), "bookings reached the restarted Redis");
    // Shared again once both recovered: at most 10 per second together (10 per 1.02 s window). One
    // window later, so no call admitted by a local bucket before the recovery is still on its way.
    let recovered = reports.iter().map(|r| fleet::instant_of_unix_ms(r.recovered_at_ms)).max().expect("two members");
    let shared_from = recovered + Duration::from_secs(1);
    assert!(ended > shared_from + Duration::from_secs(1), "the members recovered too late to check anything");
    let most = max_in_window(&server.accepted(), Duration::from_millis(900), shared_from);
    assert!(most <= 10, "{most} calls in 0.9 s after recovery: not shared");
    // While Redis was down each process had its own limit of 10 per second.
    let outage: Vec<Instant> = server.accepted().into_iter().filter(|t| *t < recovered).collect();
    let during = max_in_window(&outage, Duration::from_millis(900), killed);
    assert!(during > 10, "during the outage each process had its own limit: {during}");
}

/// Nothing listens on the Redis port: every call goes through at once on the local limiter. The
/// connect timeout is 5 s, so a call that waited for Redis instead of going local would take that long.
async fn unreachable_redis() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        listener.local_addr().expect("addr").port()
    };
    let server = LimitedServer::unlimited().await;
    let shared = invent_api::SharedRedis::new(format!("redis://127.0.0.1:{port}"), "t")
        .timeouts(Duration::from_secs(5), Duration::from_secs(5));
    let limiter = LimiterConfig::new(100, Duration::from_secs(1)).shared_redis(shared);
    let client = Client::builder()
        .api_key(FLEET_KEY)
        .base_url(server.base_url())
        .limiter(Some(limiter))
        .build()
        .expect("client");
    let started = Instant::now();
    for _ in 0..10 {
        client.raw(Method::GET, fleet::PATH).send().await.expect("a call never fails because of Redis");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(server.accepted().len(), 10);
}

/// Redis accepts connections and never answers: the first call waits one timeout (connect 2 s,
/// command 1 s), later calls go local at once while the link backs off. Bounds in seconds: five
/// calls that each waited for Redis would take ≥ 5 s; one reconnect after the backoff (a slow
/// machine) costs ≤ 2 s.
async fn black_hole_redis() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let server = LimitedServer::unlimited().await;
    let shared = invent_api::SharedRedis::new(format!("redis://127.0.0.1:{port}"), "t")
        .timeouts(Duration::from_secs(2), Duration::from_secs(1));
    let limiter = LimiterConfig::new(100, Duration::from_secs(1)).shared_redis(shared);
    let client = Client::builder()
        .api_key(FLEET_KEY)
        .base_url(server.base_url())
        .limiter(Some(limiter))
        .build()
        .expect("client");
    let started = Instant::now();
    client.raw(Method::GET, fleet::PATH).send().await.expect("first call");
    let first = started.elapsed();
    assert!(first >= Duration::from_secs(1) && first < Duration::from_secs(20), "{first:?}");
    let started = Instant::now();
    for _ in 0..5 {
        client.raw(Method::GET, fleet::PATH).send().await.expect("later calls");
    }
    assert!(started.elapsed() < Duration::from_secs(4), "later calls went local: {:?}", started.elapsed());
    hold.abort();
}

/// `INVENT_LIMITER_REDIS_URL` / `INVENT_LIMITER_REDIS_PREFIX` make `Client::from_env` share: two
/// clients (two limiters, as in two processes) book from one bucket. No Redis key holds the API key,
/// and a prefix that would is refused.
async fn environment(url: String) {
    let mut redis = check_redis(&url).await;
    let server = LimitedServer::unlimited().await;
    let prefix = prefix("env");
    // Edition 2021: plain fns. No other test runs meanwhile (`run` holds ONE_AT_A_TIME), and members
    // read their settings from INVENT_FLEET_CHILD only.
    std::env::set_var("INVENT_API_KEY", FLEET_KEY);
    std::env::set_var("INVENT_BASE_URL", server.base_url());
    std::env::set_var("INVENT_LIMITER_REDIS_URL", &url);
    std::env::set_var("INVENT_LIMITER_REDIS_PREFIX", &prefix);
    let one = Client::from_env().expect("client from env");
    let two = Client::from_env().expect("client from env");
    let prefix_with_key = Client::builder_from_env()
        .limiter(Some(
            LimiterConfig::default().shared_redis(invent_api::SharedRedis::new(&url, format!("x:{FLEET_KEY}"))),
        ))
        .build();
    for var in ["INVENT_API_KEY", "INVENT_BASE_URL", "INVENT_LIMITER_REDIS_URL", "INVENT_LIMITER_REDIS_PREFIX"] {
        std::env::remove_var(var);
    }
    let error = prefix_with_key.expect_err("a key prefix holding the API key");
    assert!(error.to_string().contains("key_prefix") && !error.to_string().contains(FLEET_KEY), "{error}");
    for client in [&one, &two, &one] {
        client.raw(Method::GET, fleet::PATH).send().await.expect("call");
    }
    let state = format!("{{{prefix}:general}}:state");
    let booked: Option<u64> = redis::cmd("HGET").arg(&state).arg("total").query_async(&mut redis).await.expect("HGET");
    assert_eq!(booked, Some(3), "both clients booked in the shared bucket");
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut redis).await.expect("KEYS");
    assert!(keys.iter().any(|k| k.contains(&prefix)));
    assert!(keys.iter().all(|k| !k.contains(FLEET_KEY)), "{keys:?}");
}
