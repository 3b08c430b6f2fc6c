//! `cargo bench --features redis --bench fleet` (or `scripts/bench-fleet.sh`, which starts Redis):
//! the shared limiter across processes, printed as tables and `RESULT` lines.
//!
//! 1. **fleet goodput**: four client processes (this binary re-executed, `tests/common/fleet.rs`),
//!    8 workers each in a closed loop for a fixed duration, against one loopback server that accepts
//!    at most R requests in any sliding window W and answers 429 with `Retry-After`/`retry-after-ms`
//!    beyond it (default R = 500 per 2 s: Invent's 500/min with time compressed 30×, as in
//!    `benches/client.rs`). Three fleets in turn, each against a fresh server: every process with the
//!    limiter set to R/W and **shared** through Redis, every process with its own **local** limiter
//!    set to R/W (what N processes do today), and **no limiter** (retry only). All members start their
//!    first call at one wall-clock moment. Goodput = requests the server accepted (answered 200) within
//!    the duration / (R · duration / W), for the whole fleet; `completed_by_deadline` counts the calls
//!    the members saw succeed by then.
//! 2. **admission latency**: sequential calls from one process to an unlimited loopback server with a
//!    limiter that never waits (10^9 per second), shared vs local vs none, rounds interleaved; the
//!    difference shared − local is what one Redis admission (one script round trip) adds per call.
//!
//! Redis: `INVENT_BENCH_REDIS_URL`, else `INVENT_TEST_REDIS_URL`. Tune with INVENT_BENCH_LIMIT [500],
//! INVENT_BENCH_WINDOW_MS [2000], INVENT_BENCH_DURATION_MS [10000], INVENT_BENCH_PROCESSES [4],
//! INVENT_BENCH_WORKERS [8] (per process), INVENT_BENCH_CALLS [300] and INVENT_BENCH_ROUNDS [10] for
//! part 2; a filter argument (`-- goodput` or `-- admission`) runs one part. Without `--bench`
//! (`cargo test --benches`) every part runs tiny, as a smoke test of the harness. Nothing is asserted.

#[path = "../tests/common/faults.rs"]
mod faults;
#[path = "../tests/common/fleet.rs"]
mod fleet;

use std::time::{Duration, Instant};

use fleet::{collect, total, LimitedServer, Limiting, Spec, FLEET_KEY};
use invent_api::{Client, LimiterConfig};
use reqwest::Method;

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    if fleet::child_main() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = !args.iter().any(|a| a == "--bench");
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let Some(url) = ["INVENT_BENCH_REDIS_URL", "INVENT_TEST_REDIS_URL"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|u| !u.is_empty()))
    else {
        eprintln!("fleet bench: set INVENT_BENCH_REDIS_URL (scripts/bench-fleet.sh starts a Redis and sets it)");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The shared figures mean nothing if Redis is not there (the limiter would quietly go local).
    runtime.block_on(async {
        let client = redis::Client::open(url.as_str()).expect("a Redis URL");
        let connect = client.get_multiplexed_async_connection();
        if !matches!(tokio::time::timeout(Duration::from_secs(5), connect).await, Ok(Ok(_))) {
            eprintln!("fleet bench: Redis at {url} does not answer");
            std::process::exit(2);
        }
    });
    println!("# invent-api fleet benchmarks ({} CPUs; loopback; Redis {url})", num_cpus());
    if filter.as_deref().is_none_or(|f| "goodput".contains(f)) {
        runtime.block_on(goodput(&url, smoke));
    }
    if filter.as_deref().is_none_or(|f| "admission".contains(f)) {
        runtime.block_on(admission(&url, smoke));
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A key prefix of its own for each fleet, so runs never share state.
fn prefix(what: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("invent-bench:{what}:{}:{nanos}", std::process::id())
}

async fn goodput(url: &str, smoke: bool) {
    let limit = env_num("INVENT_BENCH_LIMIT", if smoke { 20 } else { 500 }) as u32;
    let window = Duration::from_millis(env_num("INVENT_BENCH_WINDOW_MS", if smoke { 500 } else { 2000 }));
    let duration = Duration::from_millis(env_num("INVENT_BENCH_DURATION_MS", if smoke { 1000 } else { 10_000 }));
    let processes = env_num("INVENT_BENCH_PROCESSES", 4) as usize;
    let workers = env_num("INVENT_BENCH_WORKERS", if smoke { 2 } else { 8 }) as u32;
    let allowed = f64::from(limit) * duration.as_secs_f64() / window.as_secs_f64();
    println!(
        "\n## 1. Fleet goodput: {processes} processes x {workers} workers, server limit {limit} per {:.1} s sliding window, {:.0} s per fleet",
        window.as_secs_f64(),
        duration.as_secs_f64()
    );
    println!(
        "Limit over the run = {allowed:.0} requests. Every limiter is LimiterConfig::new({limit}, {} ms).",
        window.as_millis()
    );
    println!();
    println!(
        "| {:<28} | {:>9} | {:>8} | {:>6} | {:>7} | {:>11} | {:>6} | {:>8} | {:>13} |",
        "fleet", "accepted", "goodput", "failed", "limited", "server 429s", "429 %", "p50 (med)", "p99 (worst)"
    );
    println!(
        "|{:-<30}|{:->11}|{:->10}|{:->8}|{:->9}|{:->13}|{:->8}|{:->10}|{:->15}|",
        "", "", "", "", "", "", "", "", ""
    );
    let mut results = Vec::new();
    let mut goodputs = Vec::new();
    for (key, label, limiting) in [
        ("shared", "shared through Redis", Limiting::Shared(url.to_string(), prefix("goodput"))),
        ("local", "local limiter per process", Limiting::Local),
        ("none", "no limiter (retry only)", Limiting::None),
    ] {
        let server = LimitedServer::start(limit as usize, window).await;
        let mut spec = Spec::new(&server.base_url(), limiting, limit, window);
        (spec.tasks, spec.calls, spec.duration) = (workers, 0, duration);
        // All members start their first call at the same moment, whenever their process came up.
        let lead = Duration::from_secs(1);
        let (start_wall, start) = (std::time::SystemTime::now() + lead, tokio::time::Instant::now() + lead);
        spec.start_at = Some(start_wall);
        let reports = tokio::task::spawn_blocking(move || collect((0..processes).map(|_| spec.spawn()).collect()))
            .await
            .expect("fleet");
        let sum = total(&reports);
        let requests = server.server.requests();
        let refused = server.refused();
        // What the server accepted (and answered 200) within the run, by its own clock.
        let accepted = server.accepted().iter().filter(|t| **t >= start && **t < start + duration).count();
        let goodput = accepted as f64 / allowed * 100.0;
        let share = refused as f64 / requests.max(1) as f64 * 100.0;
        let mut p50s: Vec<u64> = reports.iter().map(|r| r.p50_us).collect();
        p50s.sort();
        let p50 = p50s[p50s.len() / 2] as f64 / 1000.0;
        let p99 = reports.iter().map(|r| r.p99_us).max().unwrap_or(0) as f64 / 1000.0;
        println!(
            "| {label:<28} | {:>9} | {goodput:>7.1}% | {:>6} | {:>7} | {refused:>11} | {share:>5.1}% | {p50:>7.0}ms | {p99:>11.0}ms |",
            accepted,
            sum.failed + sum.refused,
            sum.limited,
        );
        results.push(format!(
            "RESULT fleet.{key} goodput_pct={goodput:.1} accepted={accepted} completed_by_deadline={} limit={allowed:.0} processes={processes} workers={workers} failed={} client_limited={} server_requests={requests} server_429s={refused} share_429_pct={share:.2} p50_ms={p50:.0} p99_worst_ms={p99:.0} fallback_warnings={}",
            sum.ok_by_deadline,
            sum.failed + sum.refused,
            sum.limited,
            sum.warnings
        ));
        goodputs.push(goodput);
    }
    println!();
    for line in results {
        println!("{line}");
    }
    println!(
        "RESULT fleet.ratios shared_vs_local={:.3} shared_vs_none={:.3}",
        goodputs[0] / goodputs[1].max(f64::MIN_POSITIVE),
        goodputs[0] / goodputs[2].max(f64::MIN_POSITIVE)
    );
}

async fn admission(url: &str, smoke: bool) {
    let calls = env_num("INVENT_BENCH_CALLS", if smoke { 20 } else { 300 });
    let rounds = env_num("INVENT_BENCH_ROUNDS", if smoke { 2 } else { 10 }) as usize;
    let server = LimitedServer::unlimited().await;
    // A limiter that never makes anyone wait: what is measured is the cost of asking.
    let never_waits = LimiterConfig::new(1_000_000_000, Duration::from_secs(1));
    let client = |limiter: Option<LimiterConfig>| {
        Client::builder().api_key(FLEET_KEY).base_url(server.base_url()).limiter(limiter).build().expect("client")
    };
    let variants = [
        ("no limiter", client(None)),
        ("local limiter", client(Some(never_waits.clone()))),
        (
            "shared through Redis",
            client(Some(never_waits.clone().shared_redis(invent_api::SharedRedis::new(url, prefix("admission"))))),
        ),
    ];
    println!(
        "\n## 2. Admission latency: sequential GETs to a loopback server, {rounds} interleaved rounds x {calls} calls"
    );
    // Warm up: connections, the Redis connection and its script cache.
    for (_, client) in &variants {
        for _ in 0..20 {
            client.raw(Method::GET, fleet::PATH).send().await.expect("warm-up call");
        }
    }
    let mut per_round: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for k in 0..variants.len() {
            let index = (k + round) % variants.len();
            let started = Instant::now();
            for _ in 0..calls {
                variants[index].1.raw(Method::GET, fleet::PATH).send().await.expect("call");
            }
            per_round[index].push(started.elapsed().as_secs_f64() * 1e6 / calls as f64);
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!();
    println!("| {:<22} | {:>13} | {:>13} |", "limiter", "us/call (med)", "+us vs none");
    println!("|{:-<24}|{:->15}|{:->15}|", "", "", "");
    let none = median(&per_round[0]);
    let mut us = [0.0; 3];
    for (i, (label, _)) in variants.iter().enumerate() {
        let m = median(&per_round[i]);
        us[i] = m;
        println!("| {label:<22} | {m:>13.1} | {:>13.1} |", m - none);
    }
    // Per round, shared − local ran back to back, so slow drifts of the machine cancel.
    let mut diffs: Vec<f64> = per_round[2].iter().zip(&per_round[1]).map(|(s, l)| s - l).collect();
    diffs.sort_by(|a, b| a.total_cmp(b));
    let added = diffs[diffs.len() / 2];
    println!();
    println!(
        "RESULT admission.redis added_us_per_admission={added:.1} shared_us_per_call={:.1} local_us_per_call={:.1} none_us_per_call={:.1} calls={calls} rounds={rounds}",
        us[2], us[1], us[0]
    );
}
