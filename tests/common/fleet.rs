//! A fleet of client processes for the shared-limiter tests and the fleet benchmark: the test or bench
//! binary re-executes itself (`std::env::current_exe()`) with `INVENT_FLEET_CHILD` holding a
//! [`Spec`]; the child makes its calls and prints one `FLEET …` line that the parent reads back as a
//! [`Report`]. A libtest binary runs only its [`MEMBER_TEST`] in the child (arguments below), which
//! calls [`child_main`]; the bench's own `main` calls it first and ignores them. Also the loopback
//! server that enforces a sliding-window limit.
//!
//! Use it with `#[path = "common/faults.rs"] mod faults;` and `#[path = "common/fleet.rs"] mod fleet;`
//! at the crate root (it names `crate::faults`).
#![allow(dead_code)] // the tests and the bench use different parts

use std::collections::VecDeque;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use invent_api::{types, Client, LimiterConfig};
use reqwest::Method;
use tokio::time::Instant;

use crate::faults::{FaultServer, Reply};

/// The environment variable that turns the binary into a fleet member.
pub const CHILD_VAR: &str = "INVENT_FLEET_CHILD";
/// The API key the fleet uses (tests check it never reaches Redis).
pub const FLEET_KEY: &str = "sk_fleet_0123456789abcdef";
pub const PATH: &str = "/orgs/c/assistants";
/// The test a libtest child runs: it calls [`child_main`].
pub const MEMBER_TEST: &str = "fleet_member";

/// How a member limits itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limiting {
    None,
    Local,
    /// Shared through Redis at this URL, under this key prefix.
    Shared(String, String),
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub base_url: String,
    pub limiting: Limiting,
    pub requests: u32,
    pub period: Duration,
    /// `(count, period)` of the assistant-creation bucket, if any.
    pub creations: Option<(u32, Duration)>,
    /// Concurrent tasks, each making calls in a closed loop.
    pub tasks: u32,
    /// Calls per task (0: until `duration` is over).
    pub calls: u32,
    pub duration: Duration,
    /// `create`: `create_assistant` (POST); anything else: a raw GET.
    pub op: String,
    /// Retries after a 429 (default policy: 2).
    pub max_retries: u32,
    /// When every member starts its first call (wall clock, so members of one host agree); `None`: at once.
    pub start_at: Option<std::time::SystemTime>,
}

impl Spec {
    pub fn new(base_url: &str, limiting: Limiting, requests: u32, period: Duration) -> Spec {
        Spec {
            base_url: base_url.to_string(),
            limiting,
            requests,
            period,
            creations: None,
            tasks: 1,
            calls: 1,
            duration: Duration::ZERO,
            op: "get".into(),
            max_retries: 2,
            start_at: None,
        }
    }

    fn encode(&self) -> String {
        let (limiter, prefix) = match &self.limiting {
            Limiting::None => ("none".to_string(), "-".to_string()),
            Limiting::Local => ("local".to_string(), "-".to_string()),
            Limiting::Shared(url, prefix) => (url.clone(), prefix.clone()),
        };
        let (creations, creations_ms) = self.creations.map_or((0, 0), |(n, p)| (n, p.as_millis()));
        let start_ms =
            self.start_at.map_or(0, |t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis());
        format!(
            "base={} limiter={limiter} prefix={prefix} requests={} period_ms={} creations={creations} creations_ms={creations_ms} tasks={} calls={} duration_ms={} op={} retries={} start_ms={start_ms}",
            self.base_url,
            self.requests,
            self.period.as_millis(),
            self.tasks,
            self.calls,
            self.duration.as_millis(),
            self.op,
            self.max_retries
        )
    }

    fn decode(text: &str) -> Spec {
        let get = |key: &str| {
            text.split_whitespace()
                .find_map(|pair| pair.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
                .unwrap_or_else(|| panic!("{CHILD_VAR} lacks {key}: {text}"))
                .to_string()
        };
        let num = |key: &str| get(key).parse::<u64>().unwrap_or_else(|_| panic!("{key} is not a number: {text}"));
        let limiting = match get("limiter").as_str() {
            "none" => Limiting::None,
            "local" => Limiting::Local,
            url => Limiting::Shared(url.to_string(), get("prefix")),
        };
        Spec {
            base_url: get("base"),
            limiting,
            requests: num("requests") as u32,
            period: Duration::from_millis(num("period_ms")),
            creations: (num("creations") > 0)
                .then(|| (num("creations") as u32, Duration::from_millis(num("creations_ms")))),
            tasks: num("tasks") as u32,
            calls: num("calls") as u32,
            duration: Duration::from_millis(num("duration_ms")),
            op: get("op"),
            max_retries: num("retries") as u32,
            start_at: (num("start_ms") > 0).then(|| std::time::UNIX_EPOCH + Duration::from_millis(num("start_ms"))),
        }
    }

    /// Starts a member process running this spec.
    pub fn spawn(&self) -> Child {
        Command::new(std::env::current_exe().expect("the test binary's path"))
            .args([MEMBER_TEST, "--exact", "--nocapture", "--test-threads=1", "-q"])
            .env(CHILD_VAR, self.encode())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("a fleet member process")
    }
}

/// What one member saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub ok: u64,
    /// Successful calls that ended before the spec's duration was over (duration mode).
    pub ok_by_deadline: u64,
    /// Calls that failed for another reason than a 429.
    pub failed: u64,
    /// Client-made 429s: the limiter had no slot within the cap.
    pub limited: u64,
    /// 429s from the server that retries did not get past.
    pub refused: u64,
    /// Warnings and "shared again" notes the limiter logged.
    pub warnings: u64,
    pub recovered: u64,
    /// When the last "shared again" was logged (wall clock, ms since the epoch; 0: never).
    pub recovered_at_ms: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub mean_us: u64,
}

impl Report {
    fn line(&self) -> String {
        format!(
            "FLEET ok={} ok_by_deadline={} failed={} limited={} refused={} warnings={} recovered={} recovered_at_ms={} p50_us={} p99_us={} mean_us={}",
            self.ok,
            self.ok_by_deadline,
            self.failed,
            self.limited,
            self.refused,
            self.warnings,
            self.recovered,
            self.recovered_at_ms,
            self.p50_us,
            self.p99_us,
            self.mean_us
        )
    }

    fn parse(line: &str) -> Option<Report> {
        // Anywhere on its line: libtest may print a test's name before its output.
        let rest = &line[line.find("FLEET ")? + "FLEET ".len()..];
        let get = |key: &str| {
            rest.split_whitespace().find_map(|p| p.strip_prefix(key)?.strip_prefix('=')?.parse::<u64>().ok())
        };
        Some(Report {
            ok: get("ok")?,
            ok_by_deadline: get("ok_by_deadline")?,
            failed: get("failed")?,
            limited: get("limited")?,
            refused: get("refused")?,
            warnings: get("warnings")?,
            recovered: get("recovered")?,
            recovered_at_ms: get("recovered_at_ms")?,
            p50_us: get("p50_us")?,
            p99_us: get("p99_us")?,
            mean_us: get("mean_us")?,
        })
    }
}

/// `wall` (ms since the epoch, from a member) on this process's tokio clock.
pub fn instant_of_unix_ms(wall: u64) -> Instant {
    let now = Instant::now();
    let ago = unix_ms().saturating_sub(wall);
    now.checked_sub(Duration::from_millis(ago)).unwrap_or(now)
}

/// Waits for the members and reads their reports; panics if one failed to report.
pub fn collect(children: Vec<Child>) -> Vec<Report> {
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().expect("member output");
            let text = String::from_utf8_lossy(&output.stdout);
            let report = text.lines().find_map(Report::parse);
            match (output.status.success(), report) {
                (true, Some(report)) => report,
                _ => panic!("a fleet member failed ({}): {text}", output.status),
            }
        })
        .collect()
}

/// Sums the members' counts.
pub fn total(reports: &[Report]) -> Report {
    reports.iter().fold(Report::default(), |mut sum, r| {
        sum.ok += r.ok;
        sum.ok_by_deadline += r.ok_by_deadline;
        sum.failed += r.failed;
        sum.limited += r.limited;
        sum.refused += r.refused;
        sum.warnings += r.warnings;
        sum.recovered += r.recovered;
        sum
    })
}

/// In a child: runs the spec from `INVENT_FLEET_CHILD`, prints the report and returns `true`;
/// in the parent: returns `false`.
pub fn child_main() -> bool {
    let Ok(text) = std::env::var(CHILD_VAR) else { return false };
    let spec = Spec::decode(&text);
    let _ = tracing::subscriber::set_global_default(Counter);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let report = runtime.block_on(run(spec));
    println!("{}", report.line());
    true
}

async fn run(spec: Spec) -> Report {
    let client = client(&spec);
    if let Some(start) = spec.start_at {
        tokio::time::sleep(start.duration_since(std::time::SystemTime::now()).unwrap_or_default()).await;
    }
    let deadline = Instant::now() + spec.duration;
    let results: Vec<_> = (0..spec.tasks)
        .map(|_| {
            let (client, spec) = (client.clone(), spec.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                let mut made = 0;
                while (spec.calls > 0 && made < spec.calls) || (spec.calls == 0 && Instant::now() < deadline) {
                    made += 1;
                    let started = Instant::now();
                    let outcome = call(&client, &spec.op).await;
                    outcomes.push((outcome, started.elapsed(), Instant::now() <= deadline));
                }
                outcomes
            })
        })
        .collect();
    let mut report = Report::default();
    let mut latencies = Vec::new();
    for task in results {
        for (outcome, took, in_time) in task.await.expect("member task") {
            match outcome {
                Outcome::Ok => {
                    report.ok += 1;
                    report.ok_by_deadline += u64::from(in_time);
                    latencies.push(took);
                }
                Outcome::Limited => report.limited += 1,
                Outcome::Refused => report.refused += 1,
                Outcome::Failed => report.failed += 1,
            }
        }
    }
    latencies.sort();
    let percentile = |q: f64| {
        let index = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(index).map_or(0, |d| d.as_micros() as u64)
    };
    (report.p50_us, report.p99_us) = (percentile(0.5), percentile(0.99));
    report.mean_us =
        (latencies.iter().map(|d| d.as_micros() as u64).sum::<u64>()).checked_div(latencies.len() as u64).unwrap_or(0);
    report.warnings = WARNINGS.load(Ordering::SeqCst);
    report.recovered = RECOVERED.load(Ordering::SeqCst);
    report.recovered_at_ms = RECOVERED_AT_MS.load(Ordering::SeqCst);
    report
}

fn client(spec: &Spec) -> Client {
    let limiter = match &spec.limiting {
        Limiting::None => None,
        Limiting::Local | Limiting::Shared(..) => {
            let mut config = LimiterConfig::new(spec.requests, spec.period);
            if let Some((count, period)) = spec.creations {
                config = config.assistant_creations(count, period);
            }
            if let Limiting::Shared(url, prefix) = &spec.limiting {
                config = config.shared_redis(invent_api::SharedRedis::new(url, prefix));
            }
            Some(config)
        }
    };
    Client::builder()
        .api_key(FLEET_KEY)
        .base_url(&spec.base_url)
        .limiter(limiter)
        .max_retries(spec.max_retries)
        .build()
        .expect("fleet client")
}

enum Outcome {
    Ok,
    Limited,
    Refused,
    Failed,
}

async fn call(client: &Client, op: &str) -> Outcome {
    let result = if op == "create" {
        let body = types::CreateAssistantRequest::builder().name("fleet");
        client.create_assistant().body(body).send().await.map(drop)
    } else {
        client.raw(Method::GET, PATH).send().await.map(drop)
    };
    match result {
        Ok(()) => Outcome::Ok,
        Err(e) if e.headers().is_some_and(|h| h.contains_key("x-invent-client-rate-limited")) => Outcome::Limited,
        Err(e) if e.is_rate_limited() => Outcome::Refused,
        Err(_) => Outcome::Failed,
    }
}

static WARNINGS: AtomicU64 = AtomicU64::new(0);
static RECOVERED: AtomicU64 = AtomicU64::new(0);
/// Wall-clock milliseconds since the epoch of the last "shared again" (0: none).
static RECOVERED_AT_MS: AtomicU64 = AtomicU64::new(0);

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Counts the shared limiter's warnings ("Redis unusable") and recoveries ("shared again").
struct Counter;

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Counter {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.is_event() && metadata.target().starts_with("invent_api::limiter")
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            WARNINGS.fetch_add(1, Ordering::SeqCst);
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if message.0.contains("shared again") {
            RECOVERED.fetch_add(1, Ordering::SeqCst);
            RECOVERED_AT_MS.store(unix_ms(), Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A loopback server accepting at most `limit` requests in any sliding `window` (it logs accepted
/// requests only) and answering 429 with `Retry-After` / `retry-after-ms` beyond that. Every
/// accepted request gets an `Assistant`-shaped body.
pub struct LimitedServer {
    pub server: FaultServer,
    refused: Arc<AtomicUsize>,
    accepted: Arc<Mutex<Vec<Instant>>>,
}

impl LimitedServer {
    pub async fn start(limit: usize, window: Duration) -> LimitedServer {
        let refused = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let log = Mutex::new(VecDeque::<Instant>::new());
        let server = FaultServer::start({
            let (refused, accepted) = (refused.clone(), accepted.clone());
            move |_, history| {
                let now = history.last().map_or_else(Instant::now, |s| s.at);
                let mut log = log.lock().unwrap();
                while log.front().is_some_and(|t| now.duration_since(*t) >= window) {
                    log.pop_front();
                }
                if log.len() < limit {
                    log.push_back(now);
                    accepted.lock().unwrap().push(now);
                    return Reply::status(200)
                        .header("content-type", "application/json")
                        .body(r#"{"id":"ast_fleet","name":"fleet","enabled":true}"#);
                }
                refused.fetch_add(1, Ordering::SeqCst);
                let wait = (log[0] + window).saturating_duration_since(now);
                Reply::status(429)
                    .header("retry-after", (wait.as_secs() + 1).to_string())
                    .header("retry-after-ms", (wait.as_millis() + 1).to_string())
            }
        })
        .await;
        LimitedServer { server, refused, accepted }
    }

    /// A server without a limit (it still records arrivals).
    pub async fn unlimited() -> LimitedServer {
        LimitedServer::start(usize::MAX, Duration::from_secs(1)).await
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// Arrival times of accepted requests.
    pub fn accepted(&self) -> Vec<Instant> {
        self.accepted.lock().unwrap().clone()
    }
}

/// The most arrivals in any half-open window `[t, t + window)` among `times` at or after `from`.
pub fn max_in_window(times: &[Instant], window: Duration, from: Instant) -> usize {
    let mut times: Vec<Instant> = times.iter().copied().filter(|t| *t >= from).collect();
    times.sort();
    let mut most = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while j < times.len() && times[j] < times[i] + window {
            j += 1;
        }
        most = most.max(j - i);
    }
    most
}
