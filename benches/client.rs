//! `cargo bench --bench client`: the client's runtime benchmarks (issue 9), printed as tables and
//! `RESULT` lines (one `key=value` set per figure, for `scripts/bench.sh` and BENCHMARKS.md).
//!
//! 1. **overhead**: sequential `list_assistants` calls returning 100 spec-shaped `Assistant`s from a
//!    loopback keep-alive server, through the full client (`.send()`: executor, retry on, limiter off)
//!    vs raw `reqwest` + `serde_json` into the same `Vec<types::Assistant>` with an identically built
//!    `reqwest::Client` and the same headers on the wire. Each round runs raw/send/send/raw (odd rounds
//!    send/raw/raw/send), so a load that drifts over a round hits both alike; the figure is the median
//!    over rounds of the throughput ratio ours / raw, measured in three separate processes (the median
//!    of the three and their spread are reported), with the same for the client thread's CPU time. Allocations per call
//!    are counted exactly by a counting global allocator that counts the benchmark thread only (the
//!    server runs on its own thread); they do not depend on the machine's load.
//! 2. **goodput**: a loopback server enforcing at most R requests in any sliding window W (Invent's
//!    500/min with time compressed 30×: default R = 500 per 2 s, so the limiter's burst-to-limit ratio
//!    and every wait relative to the window stay as in production), answering 429 with `Retry-After`
//!    (integer seconds) and `retry-after-ms` (the compressed waits need sub-second precision); 32
//!    workers in a closed loop (each starts its next call when one ends) for a fixed duration, for
//!    three clients in turn, each against a fresh server: ours with the limiter set to R/W, ours with
//!    the limiter off (retry only), and a Stainless-style retry-only baseline.
//!    Goodput = successful calls finished within the duration / (R · duration / W).
//!
//! 3. **drift** (with `--features drift`): drift capture on (every response's bytes walked against
//!    its schema as they are parsed a second time) vs off, throughput ratio per ABBA round in one
//!    process and exact allocations per call.
//!
//! Choose a part with a filter argument (`cargo bench --bench client -- overhead`, `-- goodput` or `-- drift`;
//! `-- ours_limiter`, `-- ours_retry_only` or `-- stainless` run one client of the goodput part).
//! Tune with environment variables (defaults in brackets): INVENT_BENCH_CALLS [100],
//! INVENT_BENCH_ROUNDS [60] and INVENT_BENCH_RUNS [3] (separate processes) for the overhead part; INVENT_BENCH_LIMIT [500], INVENT_BENCH_WINDOW_MS
//! [2000], INVENT_BENCH_DURATION_MS [10000], INVENT_BENCH_WORKERS [32], INVENT_BENCH_SERVER
//! [sliding | fixed] and INVENT_BENCH_LIMITER_REQUESTS [= the limit] for the goodput part. No timing is asserted anywhere: these print numbers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use invent_api::types::Assistant;
use invent_api::{Client, LimiterConfig};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// Allocation counting: per thread, so the loopback server's own allocations are not counted.

struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn note_alloc(bytes: usize) {
    let _ = ALLOCS.try_with(|c| {
        let (n, b) = c.get();
        c.set((n + 1, b + bytes as u64));
    });
}

/// (allocations, bytes allocated) by this thread so far.
fn allocs_so_far() -> (u64, u64) {
    ALLOCS.try_with(|c| c.get()).unwrap_or((0, 0))
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// CPU time this thread has run, in ns (Linux `/proc/thread-self/schedstat`; no allocation). Other
/// processes competing for the CPU stretch wall time but not this, so it is the steadier figure.
fn thread_cpu_ns() -> Option<u64> {
    use std::io::Read;
    let mut buf = [0u8; 96];
    let mut file = std::fs::File::open("/proc/thread-self/schedstat").ok()?;
    let n = file.read(&mut buf).ok()?;
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Settings.

const API_KEY: &str = "sk_bench_0123456789abcdef";
const ITEMS: usize = 100;

/// Set when the binary runs without `--bench` (`cargo test --benches` / `--all-targets`): every part
/// runs, but tiny, as a smoke test of the harness; the numbers mean nothing then.
static SMOKE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `normal`, or `smoke` in smoke-test mode.
fn sized(normal: u64, smoke: u64) -> u64 {
    if SMOKE.load(Ordering::Relaxed) {
        smoke
    } else {
        normal
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The `reqwest::Client` both sides use, built exactly as `ClientBuilder::build` builds its own.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent("invent-api-rust/bench")
        .build()
        .expect("reqwest client")
}

fn our_client(base_url: &str, limiter: Option<LimiterConfig>) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .http_client(http_client())
        .limiter(limiter)
        .build()
        .expect("invent client")
}

/// The limiter as a user would configure it for this limit (default burst: min(10, requests)).
fn limiter_config(requests: u32, period: Duration) -> LimiterConfig {
    LimiterConfig::new(requests, period)
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive server on its own thread and runtime, answering every request with
// a fixed 200 (100 assistants) unless its rate policy says 429.

/// 100 spec-shaped assistants: the required `id`, `name`, `enabled` plus the common optional fields.
fn assistants_body() -> String {
    let items: Vec<serde_json::Value> = (1..=ITEMS)
        .map(|i| {
            serde_json::json!({
                "id": format!("ast_3KBrzrQtmz96OiN97iIz{i:03}"),
                "name": format!("Support assistant {i}"),
                "enabled": i % 7 != 0,
                "deleted": false,
                "secret_key": null,
                "avatar_url": if i % 2 == 0 { serde_json::Value::Null } else { format!("https://cdn.useinvent.com/avatars/{i}.png").into() },
                "created_at": "2024-05-01T12:00:00.000Z",
                "updated_at": "2024-06-15T08:30:00.000Z",
            })
        })
        .collect();
    serde_json::to_string(&items).expect("json")
}

enum Policy {
    Unlimited,
    /// At most `limit` accepted requests in any window of length `window` (a sliding log).
    Sliding {
        limit: usize,
        window: Duration,
        log: Mutex<VecDeque<Instant>>,
    },
    /// At most `limit` accepted requests per fixed window `[k·window, (k+1)·window)` since start.
    Fixed {
        limit: u64,
        window: Duration,
        start: Instant,
        state: Mutex<(u64, u64)>,
    },
}

impl Policy {
    /// `None`: accept; `Some(wait)`: reject, the earliest time a request would be accepted is `wait` away.
    fn check(&self, now: Instant) -> Option<Duration> {
        match self {
            Policy::Unlimited => None,
            Policy::Sliding { limit, window, log } => {
                let mut log = log.lock().unwrap();
                while log.front().is_some_and(|&t| t + *window <= now) {
                    log.pop_front();
                }
                if log.len() < *limit {
                    log.push_back(now);
                    None
                } else {
                    Some((log[0] + *window).saturating_duration_since(now))
                }
            }
            Policy::Fixed { limit, window, start, state } => {
                let mut state = state.lock().unwrap();
                let elapsed = now.saturating_duration_since(*start);
                let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
                if state.0 != index {
                    *state = (index, 0);
                }
                if state.1 < *limit {
                    state.1 += 1;
                    None
                } else {
                    Some((*start + *window * (index as u32 + 1)).saturating_duration_since(now))
                }
            }
        }
    }
}

#[derive(Default)]
struct ServerStats {
    requests: AtomicU64,
    rejected: AtomicU64,
    /// Nanoseconds from the server's start to its first 429, plus one (0: none yet).
    first_rejection: AtomicU64,
}

struct ServerState {
    started: Instant,
    policy: Policy,
    ok: Vec<u8>,
    stats: ServerStats,
}

impl ServerState {
    fn respond(&self, out: &mut Vec<u8>) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        match self.policy.check(now) {
            None => out.extend_from_slice(&self.ok),
            Some(wait) => {
                if self.stats.rejected.fetch_add(1, Ordering::Relaxed) == 0 {
                    let at = (now - self.started).as_nanos() as u64 + 1;
                    self.stats.first_rejection.store(at, Ordering::Relaxed);
                }
                let body = br#"{"message":"Too many requests, please try again later."}"#;
                let ms = wait.as_millis() + u128::from(wait.subsec_nanos() % 1_000_000 != 0);
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() != 0);
                out.extend_from_slice(
                    format!(
                        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: {secs}\r\nretry-after-ms: {ms}\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(body);
            }
        }
    }
}

struct Server {
    addr: SocketAddr,
    state: Arc<ServerState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(policy: Policy) -> Server {
        let body = assistants_body();
        let ok = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\npagination-count: {ITEMS}\r\npagination-page: 1\r\npagination-take: {ITEMS}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
        let state = Arc::new(ServerState { started: Instant::now(), policy, ok, stats: ServerStats::default() });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    let accept = async {
                        loop {
                            if let Ok((stream, _)) = listener.accept().await {
                                tokio::spawn(serve_connection(stream, shared.clone()));
                            }
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("server thread");
        Server { addr, state, stop: Some(stop), thread: Some(thread) }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> u64 {
        self.state.stats.requests.load(Ordering::Relaxed)
    }

    fn rejected(&self) -> u64 {
        self.state.stats.rejected.load(Ordering::Relaxed)
    }

    /// Time from the server's start to its first 429.
    fn first_rejection(&self) -> Option<Duration> {
        match self.state.stats.first_rejection.load(Ordering::Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(n - 1)),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_connection(mut stream: TcpStream, state: Arc<ServerState>) {
    let _ = stream.set_nodelay(true);
    let mut input: Vec<u8> = Vec::with_capacity(8 * 1024);
    let mut output: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let mut consumed = 0;
        while let Some(head) = find_head_end(&input[consumed..]) {
            let body = content_length(&input[consumed..consumed + head]);
            if input.len() - consumed < head + body {
                break;
            }
            consumed += head + body;
            state.respond(&mut output);
        }
        input.drain(..consumed);
        if !output.is_empty() {
            if stream.write_all(&output).await.is_err() {
                return;
            }
            output.clear();
        }
        match stream.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Length of the request head including the blank line, if complete.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn content_length(head: &[u8]) -> usize {
    let head = std::str::from_utf8(head).unwrap_or("");
    head.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The raw baseline: the same request progenitor's builder sends, decoded the same way.

struct Raw {
    http: reqwest::Client,
    url: String,
    auth: HeaderValue,
}

impl Raw {
    fn new(base_url: &str) -> Raw {
        Raw {
            http: http_client(),
            url: format!("{base_url}/orgs/c/assistants"),
            auth: HeaderValue::from_str(&format!("Bearer {API_KEY}")).expect("header"),
        }
    }

    /// The headers the generated builder sends: `accept` and the key.
    fn request(&self) -> reqwest::RequestBuilder {
        self.http
            .get(&self.url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, self.auth.clone())
    }

    /// One call, no retries: status check, body, `serde_json` into the generated type.
    async fn list(&self) -> Vec<Assistant> {
        let response = self.request().send().await.expect("raw request");
        assert!(response.status().is_success(), "raw: {}", response.status());
        let bytes = response.bytes().await.expect("raw body");
        serde_json::from_slice(&bytes).expect("raw decode")
    }
}

// ---------------------------------------------------------------------------------------------
// Part 1: per-call overhead.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Raw,
    Send,
}

impl Variant {
    const ALL: [Variant; 2] = [Variant::Raw, Variant::Send];
    fn label(self) -> &'static str {
        match self {
            Variant::Raw => "raw reqwest + serde_json",
            Variant::Send => "ours: list_assistants().send()",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Variant::Raw => "raw",
            Variant::Send => "send",
        }
    }
}

async fn one_call(variant: Variant, client: &Client, raw: &Raw) -> usize {
    match variant {
        Variant::Raw => raw.list().await.len(),
        Variant::Send => client.list_assistants().send().await.expect("send").into_inner().len(),
    }
}

/// Runs `calls` sequential calls of `variant`; returns (wall time, client-thread CPU ns if known).
async fn block(variant: Variant, calls: u64, client: &Client, raw: &Raw) -> (Duration, Option<u64>) {
    let cpu0 = thread_cpu_ns();
    let started = Instant::now();
    for _ in 0..calls {
        black_box(one_call(variant, client, raw).await);
    }
    let elapsed = started.elapsed();
    let cpu = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    (elapsed, cpu)
}

/// One measurement: `rounds` rounds, each raw/send/send/raw (odd rounds send/raw/raw/send), `calls`
/// calls per variant per round. Returns per round the throughput ratio send/raw and the CPU ratio
/// (raw CPU per call / ours), plus the totals.
struct Measurement {
    wall_ratios: Vec<f64>,
    cpu_ratios: Vec<f64>,
    raw_calls_per_s: f64,
    send_calls_per_s: f64,
    raw_cpu_us: Option<f64>,
    send_cpu_us: Option<f64>,
}

async fn measure(rounds: usize, calls: u64, client: &Client, raw: &Raw) -> Measurement {
    let half = (calls / 2).max(1);
    let mut wall_ratios = Vec::with_capacity(rounds);
    let mut cpu_ratios = Vec::with_capacity(rounds);
    let (mut time, mut cpu, mut cpu_known) = ([Duration::ZERO; 2], [0u64; 2], true);
    for round in 0..rounds {
        // ABBA: a load that drifts linearly over the round hits both variants alike.
        let order = if round % 2 == 0 {
            [Variant::Raw, Variant::Send, Variant::Send, Variant::Raw]
        } else {
            [Variant::Send, Variant::Raw, Variant::Raw, Variant::Send]
        };
        let (mut round_time, mut round_cpu) = ([Duration::ZERO; 2], [0u64; 2]);
        for variant in order {
            let i = variant as usize;
            let (t, c) = block(variant, half, client, raw).await;
            round_time[i] += t;
            match c {
                Some(c) => round_cpu[i] += c,
                None => cpu_known = false,
            }
        }
        // Same number of calls on both sides: the throughput ratio is the inverse time ratio.
        wall_ratios.push(round_time[0].as_secs_f64() / round_time[1].as_secs_f64());
        if cpu_known && round_cpu[1] > 0 {
            cpu_ratios.push(round_cpu[0] as f64 / round_cpu[1] as f64);
        }
        for i in 0..2 {
            time[i] += round_time[i];
            cpu[i] += round_cpu[i];
        }
    }
    let per_variant = (half * 2 * rounds as u64) as f64;
    let cpu_us = |i: usize| cpu_known.then(|| cpu[i] as f64 / 1e3 / per_variant);
    Measurement {
        wall_ratios,
        cpu_ratios,
        raw_calls_per_s: per_variant / time[0].as_secs_f64(),
        send_calls_per_s: per_variant / time[1].as_secs_f64(),
        raw_cpu_us: cpu_us(0),
        send_cpu_us: cpu_us(1),
    }
}

/// The value at quantile `q` of `values` (sorted copy; nearest rank). NaN when empty.
fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Allocations of each of `calls` calls of `variant`, exactly (the counter is per thread): (min, max,
/// mean, bytes per call).
async fn allocations(variant: Variant, calls: u64, client: &Client, raw: &Raw) -> (u64, u64, f64, f64) {
    let (mut min, mut max, mut total, mut bytes) = (u64::MAX, 0, 0, 0);
    for _ in 0..calls {
        let (a0, b0) = allocs_so_far();
        black_box(one_call(variant, client, raw).await);
        let (a1, b1) = allocs_so_far();
        min = min.min(a1 - a0);
        max = max.max(a1 - a0);
        total += a1 - a0;
        bytes += b1 - b0;
    }
    (min, max, total as f64 / calls as f64, bytes as f64 / calls as f64)
}

fn overhead() {
    let calls = env_num("INVENT_BENCH_CALLS", sized(100, 4));
    let rounds = env_num("INVENT_BENCH_ROUNDS", sized(60, 2)) as usize;
    let runs = env_num("INVENT_BENCH_RUNS", sized(3, 1)).max(1) as usize;

    // Profiling aid: `INVENT_BENCH_PROFILE=raw|send` runs only that variant for
    // INVENT_BENCH_CALLS x INVENT_BENCH_ROUNDS calls (no warm-up), e.g. under `perf record` or
    // `valgrind --tool=callgrind` (scripts/bench-instructions.sh), and prints nothing else.
    if let Ok(only) = std::env::var("INVENT_BENCH_PROFILE") {
        let variant = *Variant::ALL.iter().find(|v| v.key() == only).expect("INVENT_BENCH_PROFILE: raw or send");
        let (server, rt, client, raw) = overhead_setup();
        let started = Instant::now();
        rt.block_on(async {
            for _ in 0..calls * rounds as u64 {
                black_box(one_call(variant, &client, &raw).await);
            }
        });
        println!(
            "profile {only}: {:.1} us/call",
            started.elapsed().as_secs_f64() * 1e6 / (calls * rounds as u64) as f64
        );
        drop(server);
        return;
    }
    // One timed measurement, in a child process (see below): prints one machine-readable line.
    if std::env::var_os("INVENT_BENCH_CHILD").is_some() {
        let (server, rt, client, raw) = overhead_setup();
        let m = rt.block_on(async {
            warm_up(&client, &raw).await;
            measure(rounds, calls, &client, &raw).await
        });
        drop(server);
        println!(
            "MEASUREMENT {} {} {} {} {} {} {} {} {} {}",
            quantile(&m.wall_ratios, 0.5),
            quantile(&m.wall_ratios, 0.1),
            quantile(&m.wall_ratios, 0.9),
            quantile(&m.cpu_ratios, 0.5),
            quantile(&m.cpu_ratios, 0.1),
            quantile(&m.cpu_ratios, 0.9),
            m.raw_calls_per_s,
            m.send_calls_per_s,
            m.raw_cpu_us.unwrap_or(f64::NAN),
            m.send_cpu_us.unwrap_or(f64::NAN),
        );
        return;
    }

    println!("\n## 1. Per-call overhead: list_assistants, {ITEMS} items/response, loopback keep-alive server");
    println!(
        "{runs} runs (separate processes) x {rounds} rounds (raw/send/send/raw, odd rounds send/raw/raw/send) x {calls} calls per variant per round; limiter off, retry on (default policy)"
    );
    // Allocations are exact (deterministic): counted here, once.
    let alloc_calls = sized(200, 4);
    let (raw_allocs, send_allocs) = {
        let (server, rt, client, raw) = overhead_setup();
        let counts = rt.block_on(async {
            warm_up(&client, &raw).await;
            (
                allocations(Variant::Raw, alloc_calls, &client, &raw).await,
                allocations(Variant::Send, alloc_calls, &client, &raw).await,
            )
        });
        drop(server);
        counts
    };
    // Each timed run in its own process: heap and code layout, connections and the scheduler's
    // placement differ between processes, and that spread belongs in the figure.
    let exe = std::env::current_exe().expect("bench executable");
    let mut results: Vec<Vec<f64>> = Vec::new();
    println!();
    println!(
        "| {:<3} | {:>11} | {:>30} | {:>26} | {:>11} | {:>10} | {:>11} |",
        "run",
        "raw calls/s",
        "ratio per round med [p10, p90]",
        "ratio CPU med [p10, p90]",
        "ratio total",
        "raw CPU us",
        "send CPU us"
    );
    println!("|{:-<5}|{:->13}|{:->32}|{:->28}|{:->13}|{:->12}|{:->13}|", "", "", "", "", "", "", "");
    for run in 1..=runs {
        let output = std::process::Command::new(&exe)
            .args(std::env::args().skip(1))
            .env("INVENT_BENCH_CHILD", "1")
            .output()
            .expect("run the overhead measurement");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().find_map(|l| l.strip_prefix("MEASUREMENT ")).unwrap_or_else(|| {
            panic!("overhead run {run} failed: {}{}", stdout, String::from_utf8_lossy(&output.stderr))
        });
        let v: Vec<f64> = line.split_whitespace().map(|x| x.parse().unwrap_or(f64::NAN)).collect();
        println!(
            "| {:<3} | {:>11.0} | {:>32} | {:>26} | {:>11.3} | {:>10.1} | {:>11.1} |",
            run,
            v[6],
            format!("{:.3} [{:.3}, {:.3}]", v[0], v[1], v[2]),
            format!("{:.3} [{:.3}, {:.3}]", v[3], v[4], v[5]),
            v[7] / v[6],
            v[8],
            v[9]
        );
        results.push(v);
    }
    let col = |i: usize| results.iter().map(|v| v[i]).collect::<Vec<f64>>();
    let all = |v: &[f64]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(",");
    let (wall, cpu) = (col(0), col(3));
    println!();
    println!("| {:<32} | {:>11} | {:>11} | {:>10} |", "variant", "allocs/call", "min–max", "bytes/call");
    println!("|{:-<34}|{:->13}|{:->13}|{:->12}|", "", "", "", "");
    for (v, (min, max, mean, bytes)) in [(Variant::Raw, raw_allocs), (Variant::Send, send_allocs)] {
        println!("| {:<32} | {:>11.1} | {:>11} | {:>10.0} |", v.label(), mean, format!("{min}–{max}"), bytes);
    }
    println!("(ratio = our throughput / raw throughput in the same round; CPU = time the client thread ran, server");
    println!(" excluded, ratio CPU = raw CPU / our CPU; allocations counted exactly on the client thread, {alloc_calls} calls each;");
    println!(" bytes/call sums every allocation and reallocation size, not live memory)");
    println!();
    println!(
        "RESULT overhead.send ratio_median_of_runs={:.3} ratio_min={:.3} ratio_max={:.3} ratio_all={} cpu_ratio_median_of_runs={:.3} cpu_ratio_min={:.3} cpu_ratio_max={:.3} cpu_ratio_all={} raw_calls_per_s={:.0} raw_cpu_us_per_call={:.1} send_cpu_us_per_call={:.1} runs={runs} rounds={rounds} calls={calls} goal=0.97",
        quantile(&wall, 0.5),
        quantile(&wall, 0.0),
        quantile(&wall, 1.0),
        all(&wall),
        quantile(&cpu, 0.5),
        quantile(&cpu, 0.0),
        quantile(&cpu, 1.0),
        all(&cpu),
        quantile(&col(6), 0.5),
        quantile(&col(8), 0.5),
        quantile(&col(9), 0.5),
    );
    println!(
        "RESULT overhead.allocations raw_per_call={:.1} send_per_call={:.1} extra_per_call={:.1} raw_min={} raw_max={} send_min={} send_max={} raw_bytes_per_call={:.0} send_bytes_per_call={:.0} calls={alloc_calls} goal=extra<=5",
        raw_allocs.2,
        send_allocs.2,
        send_allocs.2 - raw_allocs.2,
        raw_allocs.0,
        raw_allocs.1,
        send_allocs.0,
        send_allocs.1,
        raw_allocs.3,
        send_allocs.3
    );
}

/// The loopback server, a current-thread runtime and both clients of the overhead part.
fn overhead_setup() -> (Server, tokio::runtime::Runtime, Client, Raw) {
    let server = Server::start(Policy::Unlimited);
    let base = server.base_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = our_client(&base, None);
    let raw = Raw::new(&base);
    (server, rt, client, raw)
}

/// Connections open, caches filled, CPU frequency settled.
async fn warm_up(client: &Client, raw: &Raw) {
    for _ in 0..sized(200, 2) {
        for v in Variant::ALL {
            assert_eq!(black_box(one_call(v, client, raw).await), ITEMS);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Part 3 (feature `drift`): what drift capture costs per call.

/// Capture on (every response checked: the body's bytes walked against the schema, no `Value` built)
/// vs off, the same `list_assistants` calls in ABBA rounds in one process; allocations per call
/// exactly. Capture off is the default client; compare its allocations with part 1's `send` of a
/// build without the feature (they must be equal).
#[cfg(feature = "drift")]
fn drift_overhead() {
    let calls = env_num("INVENT_BENCH_CALLS", sized(100, 4));
    let rounds = env_num("INVENT_BENCH_ROUNDS", sized(60, 2)) as usize;
    let alloc_calls = sized(200, 4);
    let server = Server::start(Policy::Unlimited);
    let base = server.base_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let off = our_client(&base, None);
    let on = Client::builder()
        .api_key(API_KEY)
        .base_url(&base)
        .http_client(http_client())
        .limiter(None)
        .drift(invent_api::DriftConfig::all())
        .build()
        .expect("invent client with capture");
    let one = |client: &Client| {
        let client = client.clone();
        async move { client.list_assistants().send().await.expect("send").into_inner().len() }
    };
    let (ratios, cpu_ratios, allocs, per_s) = rt.block_on(async {
        for _ in 0..sized(200, 2) {
            assert_eq!(one(&off).await, ITEMS);
            assert_eq!(one(&on).await, ITEMS);
        }
        let mut allocs = Vec::new();
        for client in [&off, &on] {
            let (mut min, mut max, mut total) = (u64::MAX, 0, 0);
            for _ in 0..alloc_calls {
                let (a0, _) = allocs_so_far();
                black_box(one(client).await);
                let (a1, _) = allocs_so_far();
                min = min.min(a1 - a0);
                max = max.max(a1 - a0);
                total += a1 - a0;
            }
            allocs.push((min, max, total as f64 / alloc_calls as f64));
        }
        let (mut ratios, mut cpu_ratios, mut time) = (Vec::new(), Vec::new(), [Duration::ZERO; 2]);
        let half = (calls / 2).max(1);
        for round in 0..rounds {
            let order = if round % 2 == 0 { [0, 1, 1, 0] } else { [1, 0, 0, 1] };
            let (mut t, mut c) = ([Duration::ZERO; 2], [0u64; 2]);
            for i in order {
                let client = if i == 0 { &off } else { &on };
                let cpu0 = thread_cpu_ns();
                let started = Instant::now();
                for _ in 0..half {
                    black_box(one(client).await);
                }
                t[i] += started.elapsed();
                if let (Some(a), Some(b)) = (cpu0, thread_cpu_ns()) {
                    c[i] += b - a;
                }
            }
            // Throughput on / off = time off / time on (same number of calls).
            ratios.push(t[0].as_secs_f64() / t[1].as_secs_f64());
            if c[1] > 0 {
                cpu_ratios.push(c[0] as f64 / c[1] as f64);
            }
            time[0] += t[0];
            time[1] += t[1];
        }
        let n = (half * 2 * rounds as u64) as f64;
        (ratios, cpu_ratios, allocs, [n / time[0].as_secs_f64(), n / time[1].as_secs_f64()])
    });
    let report = on.drift_report();
    assert!(report.findings.is_empty(), "the bench body is spec-shaped: {report:?}");
    drop(server);
    println!("\n## 3. Drift capture: list_assistants ({ITEMS} items) with capture off vs on (every response checked)");
    println!(
        "{rounds} rounds (off/on/on/off, odd rounds on/off/off/on) x {calls} calls per variant per round, one process"
    );
    println!();
    println!("| {:<26} | {:>8} | {:>11} | {:>7} |", "client", "calls/s", "allocs/call", "min–max");
    println!("|{:-<28}|{:->10}|{:->13}|{:->9}|", "", "", "", "");
    for (label, (min, max, mean), rate) in
        [("capture off (default)", allocs[0], per_s[0]), ("capture on, 100 % sampled", allocs[1], per_s[1])]
    {
        println!("| {label:<26} | {rate:>8.0} | {mean:>11.1} | {:>7} |", format!("{min}–{max}"));
    }
    println!();
    println!(
        "RESULT drift.overhead on_vs_off_ratio_median={:.3} ratio_p10={:.3} ratio_p90={:.3} cpu_ratio_median={:.3} cpu_p10={:.3} cpu_p90={:.3} off_calls_per_s={:.0} on_calls_per_s={:.0} off_allocs_per_call={:.1} on_allocs_per_call={:.1} checked={} rounds={rounds} calls={calls} goal=0.90",
        quantile(&ratios, 0.5),
        quantile(&ratios, 0.1),
        quantile(&ratios, 0.9),
        quantile(&cpu_ratios, 0.5),
        quantile(&cpu_ratios, 0.1),
        quantile(&cpu_ratios, 0.9),
        per_s[0],
        per_s[1],
        allocs[0].2,
        allocs[1].2,
        report.checked,
    );
}

// ---------------------------------------------------------------------------------------------
// Part 2: goodput under a strict server limit.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Contender {
    OursLimiter,
    OursRetryOnly,
    Stainless,
}

impl Contender {
    fn label(self) -> &'static str {
        match self {
            Contender::OursLimiter => "ours, limiter R/W + retry",
            Contender::OursRetryOnly => "ours, limiter off (retry only)",
            Contender::Stainless => "Stainless-style retry only",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Contender::OursLimiter => "ours_limiter",
            Contender::OursRetryOnly => "ours_retry_only",
            Contender::Stainless => "stainless",
        }
    }
}

/// The retry loop of Stainless-generated SDKs (openai-python `_calculate_retry_timeout` /
/// `_should_retry`): 2 retries on 408/409/429/5xx and connection errors; wait `retry-after-ms`, else
/// `Retry-After` (seconds or HTTP-date) when 0 < wait ≤ 60 s, else min(0.5·2^n, 8) s × (1 − 0.25·rand).
struct Stainless {
    raw: Raw,
    max_retries: u32,
}

impl Stainless {
    async fn list(&self) -> Result<Vec<Assistant>, String> {
        let mut retries = 0u32;
        loop {
            let wait = match self.raw.request().send().await {
                Ok(response) if response.status().is_success() => {
                    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
                    return serde_json::from_slice(&bytes).map_err(|e| e.to_string());
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retryable = matches!(status, 408 | 409 | 429) || status >= 500;
                    let server_wait = stainless_retry_after(response.headers());
                    let _ = response.bytes().await;
                    if !retryable || retries >= self.max_retries {
                        return Err(format!("HTTP {status} after {} attempts", retries + 1));
                    }
                    server_wait.unwrap_or_else(|| stainless_backoff(retries))
                }
                Err(e) => {
                    if retries >= self.max_retries {
                        return Err(e.to_string());
                    }
                    stainless_backoff(retries)
                }
            };
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }
}

fn stainless_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let secs = if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        Some(ms / 1000.0)
    } else if let Some(v) = get("retry-after") {
        v.parse::<f64>().ok().or_else(|| {
            httpdate::parse_http_date(v)
                .ok()
                .map(|t| t.duration_since(SystemTime::now()).unwrap_or_default().as_secs_f64())
        })
    } else {
        None
    }?;
    (secs > 0.0 && secs <= 60.0).then(|| Duration::from_secs_f64(secs))
}

fn stainless_backoff(retries: u32) -> Duration {
    let sleep = (0.5 * 2f64.powi(retries.min(1000) as i32)).min(8.0);
    let jitter = 1.0 - 0.25 * rand::random::<f64>();
    Duration::from_secs_f64(sleep * jitter)
}

struct Run {
    ok: u64,
    failed: u64,
    latencies: Vec<Duration>,
}

async fn worker(
    contender: Contender,
    client: Client,
    stainless: Arc<Stainless>,
    deadline: tokio::time::Instant,
) -> Run {
    let mut run = Run { ok: 0, failed: 0, latencies: Vec::new() };
    loop {
        let started = tokio::time::Instant::now();
        if started >= deadline {
            return run;
        }
        let call = async {
            match contender {
                Contender::OursLimiter | Contender::OursRetryOnly => {
                    client.list_assistants().send().await.map(|v| v.into_inner().len()).map_err(|e| e.to_string())
                }
                Contender::Stainless => stainless.list().await.map(|v| v.len()),
            }
        };
        match tokio::time::timeout_at(deadline, call).await {
            Err(_) => return run, // still waiting at the end of the run: neither success nor failure
            Ok(Ok(n)) => {
                debug_assert_eq!(n, ITEMS);
                run.ok += 1;
                run.latencies.push(started.elapsed());
            }
            Ok(Err(_)) => run.failed += 1,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `only`: contender keys to run (empty: all three).
fn goodput(only: &[String]) {
    let limit = env_num("INVENT_BENCH_LIMIT", 500);
    let window = Duration::from_millis(env_num("INVENT_BENCH_WINDOW_MS", 2000));
    let duration = Duration::from_millis(env_num("INVENT_BENCH_DURATION_MS", sized(10_000, 300)));
    let workers = env_num("INVENT_BENCH_WORKERS", 32);
    // What our limiter is told (default: exactly the server's limit).
    let limiter_requests = env_num("INVENT_BENCH_LIMITER_REQUESTS", limit);
    let model = std::env::var("INVENT_BENCH_SERVER").unwrap_or_else(|_| "sliding".into());
    let capacity = limit as f64 * duration.as_secs_f64() / window.as_secs_f64();

    println!(
        "\n## 2. Goodput under a strict server limit: {limit} requests per {:.1} s {} window (500/min, time scaled), {workers} workers, {:.0} s per client",
        window.as_secs_f64(),
        model,
        duration.as_secs_f64()
    );
    println!(
        "Limit over the run = {capacity:.0} requests. 429s carry Retry-After (s) and retry-after-ms. Our limiter: LimiterConfig::new({limiter_requests}, {} ms).",
        window.as_millis()
    );
    println!();
    println!(
        "| {:<30} | {:>9} | {:>8} | {:>6} | {:>13} | {:>10} | {:>6} | {:>8} | {:>8} |",
        "client", "completed", "goodput", "failed", "server reqs", "429s", "429 %", "p50", "p99"
    );
    println!(
        "|{:-<32}|{:->11}|{:->10}|{:->8}|{:->15}|{:->12}|{:->8}|{:->10}|{:->10}|",
        "", "", "", "", "", "", "", "", ""
    );
    let mut goodputs = Vec::new();
    let mut results = Vec::new();
    for contender in [Contender::OursLimiter, Contender::OursRetryOnly, Contender::Stainless] {
        if !only.is_empty() && !only.iter().any(|k| k == contender.key()) {
            goodputs.push(f64::NAN);
            continue;
        }
        let policy = match model.as_str() {
            "fixed" => Policy::Fixed { limit, window, start: Instant::now(), state: Mutex::new((0, 0)) },
            _ => Policy::Sliding { limit: limit as usize, window, log: Mutex::new(VecDeque::new()) },
        };
        let server = Server::start(policy);
        let base = server.base_url();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let run = rt.block_on(async {
            let limiter =
                (contender == Contender::OursLimiter).then(|| limiter_config(limiter_requests as u32, window));
            let client = our_client(&base, limiter);
            let stainless = Arc::new(Stainless { raw: Raw::new(&base), max_retries: 2 });
            let deadline = tokio::time::Instant::now() + duration;
            let tasks: Vec<_> = (0..workers)
                .map(|_| tokio::spawn(worker(contender, client.clone(), stainless.clone(), deadline)))
                .collect();
            let mut total = Run { ok: 0, failed: 0, latencies: Vec::new() };
            for task in tasks {
                let run = task.await.expect("worker");
                total.ok += run.ok;
                total.failed += run.failed;
                total.latencies.extend(run.latencies);
            }
            total
        });
        rt.shutdown_timeout(Duration::from_millis(100));
        let (requests, rejected, first_429) = (server.requests(), server.rejected(), server.first_rejection());
        drop(server);
        let mut latencies = run.latencies;
        latencies.sort();
        let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
        let goodput = run.ok as f64 / capacity;
        let rejected_share = if requests == 0 { 0.0 } else { rejected as f64 / requests as f64 };
        goodputs.push(goodput);
        println!(
            "| {:<30} | {:>9} | {:>7.1}% | {:>6} | {:>13} | {:>10} | {:>5.1}% | {:>6.0}ms | {:>6.0}ms |",
            contender.label(),
            run.ok,
            goodput * 100.0,
            run.failed,
            requests,
            rejected,
            rejected_share * 100.0,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
        results.push(format!(
            "RESULT goodput.{} goodput_pct={:.1} completed={} limit={:.0} failed={} server_requests={} server_429s={} share_429_pct={:.2} first_429_s={} p50_ms={:.0} p99_ms={:.0}{}",
            contender.key(),
            goodput * 100.0,
            run.ok,
            capacity,
            run.failed,
            requests,
            rejected,
            rejected_share * 100.0,
            first_429.map_or("none".to_string(), |t| format!("{:.3}", t.as_secs_f64())),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            if contender == Contender::OursLimiter { " goal=goodput>=97%,429s<=1%" } else { "" }
        ));
    }
    println!();
    for line in results {
        println!("{line}");
    }
    println!(
        "RESULT goodput.ratios ours_limiter_vs_stainless={:.3} ours_retry_only_vs_stainless={:.3}",
        goodputs[0] / goodputs[2],
        goodputs[1] / goodputs[2]
    );
}

// ---------------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) run a quick smoke test.
    // Run the binary directly with `--bench` for real numbers. Anything not starting with `-` is a filter.
    if !std::env::args().any(|a| a == "--bench") {
        SMOKE.store(true, Ordering::Relaxed);
        println!("(no --bench: smoke-test sizes; use `cargo bench --bench client` for numbers)");
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    // A contender key alone (`-- ours_limiter`) runs just that client of the goodput part.
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("# invent-api client benchmarks ({cpus} CPUs available; loopback; release build)");
    if wanted("overhead") {
        overhead();
    }
    let contenders: Vec<String> = filters
        .iter()
        .filter(|f| ["ours_limiter", "ours_retry_only", "stainless"].contains(&f.as_str()))
        .cloned()
        .collect();
    if wanted("goodput") || !contenders.is_empty() {
        goodput(&contenders);
    }
    #[cfg(feature = "drift")]
    if wanted("drift") {
        drift_overhead();
    }
}
