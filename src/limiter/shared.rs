//! Buckets shared by every process that uses the same Redis and key prefix (feature `redis`). Each
//! admission is one round trip: `bucket.lua` runs atomically on the server (EVALSHA, or EVAL when the
//! server has lost its script cache), on the server's clock, with the same rule as the local bucket.
//! A 429 is pushed to the shared state so every process pauses and slows down. When Redis is
//! unusable the caller falls back to its local bucket (the policy is in `link.rs`).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::bucket::{millis, Bucket};
use super::link::Link;
use super::settings::{Rule, SharedRedis};
use crate::config_error::ConfigError;

const SCRIPT: &str = include_str!("bucket.lua");
/// Durations sent to Redis are capped at 2^50 µs (about 35 years), so every sum the script makes
/// stays an exact integer in Lua's doubles; nothing that long is ever reached anyway.
const MAX_MICROS: u64 = 1 << 50;
/// The longest wait or pause a reply may carry whatever the bucket (a bucket's own bound is two of
/// its windows, or this when that is longer): a day covers any `Retry-After` Invent sends and any
/// queue of callers a sane limit builds up. A longer one comes from a corrupt or hostile Redis.
const LONGEST_REPLY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug)]
pub(crate) struct SharedBuckets {
    link: Link,
    prefix: String,
    sha: String,
}

/// The script's answer to an admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admission {
    /// `false`: the slot was further away than the limit, and nothing was booked.
    pub(crate) booked: bool,
    /// Time until the slot.
    pub(crate) wait: Duration,
    /// Shared pause still to run (a 429 seen by any process).
    pub(crate) pause: Duration,
    /// The slot, in the Redis server's microseconds since the epoch.
    pub(crate) at_micros: u64,
}

impl Admission {
    /// Whether `bucket.lua` can have given this answer to an admission with `limit` (µs): waits and
    /// pauses within `longest`; a booked slot within the limit and not before the pause ends (the
    /// script books at or after it); a refusal only past the limit. Checked before anything sleeps,
    /// so a corrupt or hostile Redis cannot park a call past its deadline, nor spin it.
    pub(crate) fn plausible(&self, limit: Option<i64>, longest: Duration) -> bool {
        let wait = micros(self.wait);
        if self.wait > longest || self.pause > longest {
            return false;
        }
        if self.booked {
            self.wait >= self.pause && limit.is_none_or(|limit| wait <= limit)
        } else {
            limit.is_some_and(|limit| wait > limit)
        }
    }
}

/// The longest wait or pause a reply for `rule` may carry: two windows of the rule, or
/// [`LONGEST_REPLY`] when that is longer.
fn longest_reply(rule: &Rule) -> Duration {
    rule.window.saturating_mul(2).max(LONGEST_REPLY)
}

impl SharedBuckets {
    pub(crate) fn new(settings: &SharedRedis) -> Result<SharedBuckets, ConfigError> {
        if settings.key_prefix.is_empty() {
            return Err(ConfigError::InvalidSetting {
                setting: "limiter.shared.key_prefix",
                reason: "must not be empty: it names the group of processes that share the limits".into(),
            });
        }
        Ok(SharedBuckets {
            link: Link::new(settings)?,
            prefix: settings.key_prefix.clone(),
            sha: redis::Script::new(SCRIPT).get_hash().to_string(),
        })
    }

    /// Waits for a slot of `bucket` in the shared state. `Some(Err(wait))`: the slot is after
    /// `until`, nothing was taken. `None`: Redis is unusable; the caller uses the local bucket.
    pub(crate) async fn acquire(&self, bucket: &Bucket, until: Option<Instant>) -> Option<Result<(), Duration>> {
        loop {
            let limit = until.map(|until| until.saturating_duration_since(Instant::now()));
            let admission = self.admit(&bucket.rule, limit).await?;
            bucket.pause_for(admission.pause);
            if !admission.booked {
                return Some(Err(admission.wait));
            }
            if !admission.wait.is_zero() {
                tracing::debug!(
                    bucket = bucket.rule.setting,
                    wait_ms = millis(admission.wait),
                    "shared rate limiter wait"
                );
                tokio::time::sleep(admission.wait).await;
            }
            // A pause that another caller of this process learnt while we slept holds us too.
            if !bucket.is_paused() {
                return Some(Ok(()));
            }
        }
    }

    /// One admission round trip. A reply the script cannot give (see [`Admission::plausible`]) is not
    /// trusted: the link goes down as after an error, and the caller uses its local bucket.
    pub(crate) async fn admit(&self, rule: &Rule, limit: Option<Duration>) -> Option<Admission> {
        let limit = limit.map(micros);
        let reply: Vec<i64> = self.run(rule, "acquire", limit.unwrap_or(-1)).await?;
        let admission = match reply[..] {
            [booked, wait, pause, at] if (0..=1).contains(&booked) && wait >= 0 && pause >= 0 && at >= 0 => Admission {
                booked: booked == 1,
                wait: Duration::from_micros(wait as u64),
                pause: Duration::from_micros(pause as u64),
                at_micros: at as u64,
            },
            _ => {
                self.link.distrust(&format!("the admission script answered {reply:?}"));
                return None;
            }
        };
        if !admission.plausible(limit, longest_reply(rule)) {
            self.link.distrust(&format!("the admission script answered {admission:?} for a limit of {limit:?} µs"));
            return None;
        }
        Some(admission)
    }

    /// Pushes a 429 to the shared state in the background (the caller has already applied it to its
    /// local bucket, which also holds this process's sleeping callers).
    pub(crate) fn throttled(shared: &Arc<SharedBuckets>, bucket: &Bucket, wait: Option<Duration>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (shared, rule) = (shared.clone(), bucket.rule.clone());
        runtime.spawn(async move {
            let _: Option<Vec<i64>> = shared.run(&rule, "throttle", wait.map_or(-1, micros)).await;
        });
    }

    /// Runs the script's `op` for `rule`'s keys; `limit_or_wait` is its last argument (µs, -1: none).
    async fn run(&self, rule: &Rule, op: &str, limit_or_wait: i64) -> Option<Vec<i64>> {
        let keys = self.keys(rule);
        let numbers = [
            i64::from(rule.requests),
            micros(rule.window),
            micros(rule.interval),
            micros(rule.tolerance),
            micros(rule.recovery),
            limit_or_wait,
        ];
        let build = |command: &str, script: &str| {
            let mut cmd = redis::cmd(command);
            cmd.arg(script).arg(2).arg(&keys[0]).arg(&keys[1]).arg(op);
            for n in numbers {
                cmd.arg(n);
            }
            cmd
        };
        // The script's source travels only when Redis has lost it.
        self.link.query(&build("EVALSHA", &self.sha), || build("EVAL", SCRIPT)).await
    }

    /// `{prefix:bucket}:state` and `…:log`: one hash tag, so both live in one Redis Cluster slot.
    pub(crate) fn keys(&self, rule: &Rule) -> [String; 2] {
        let tag = format!("{{{}:{}}}", self.prefix, rule.key);
        [format!("{tag}:state"), format!("{tag}:log")]
    }

    #[cfg(test)]
    pub(crate) fn is_up(&self) -> bool {
        self.link.is_up()
    }
}

/// Whole microseconds, capped at [`MAX_MICROS`].
fn micros(d: Duration) -> i64 {
    d.as_micros().min(u128::from(MAX_MICROS)) as i64
}

#[cfg(test)]
#[path = "shared_proptests.rs"]
mod proptests;

#[cfg(test)]
mod reply_checks {
    use super::*;

    fn admission(booked: bool, wait_ms: u64, pause_ms: u64) -> Admission {
        Admission { booked, wait: Duration::from_millis(wait_ms), pause: Duration::from_millis(pause_ms), at_micros: 0 }
    }

    #[test]
    fn only_answers_the_script_can_give_are_trusted() {
        let day = LONGEST_REPLY;
        let limit = Some(1_000_000); // 1 s
        assert!(admission(true, 500, 200).plausible(limit, day));
        assert!(admission(true, 1000, 0).plausible(limit, day), "exactly the limit");
        assert!(!admission(true, 1001, 0).plausible(limit, day), "booked past the caller's limit");
        assert!(!admission(true, 0, 5000).plausible(limit, day), "booked before the pause ends: would spin");
        assert!(admission(false, 1001, 0).plausible(limit, day));
        assert!(!admission(false, 1000, 0).plausible(limit, day), "refused within the limit");
        assert!(!admission(false, 10, 0).plausible(None, day), "refused without a limit");
        assert!(admission(true, 3_600_000, 0).plausible(None, day));
        assert!(admission(true, 86_400_000, 86_400_000).plausible(None, day), "a wait and a pause of exactly a day");
        assert!(!admission(true, 86_400_001, 0).plausible(None, day), "a wait longer than any bucket's");
        assert!(!admission(false, 2000, 86_400_001).plausible(limit, day), "a pause longer than any bucket's");
    }

    #[test]
    fn a_bucket_of_long_windows_allows_two_of_them() {
        let rule = Rule::new("limiter", "general", 1, Duration::from_secs(30 * 3600), 1).unwrap();
        assert_eq!(longest_reply(&rule), rule.window * 2);
        let rule = Rule::new("limiter", "general", 500, Duration::from_secs(60), 10).unwrap();
        assert_eq!(longest_reply(&rule), Duration::from_secs(24 * 3600), "a day");
        let rule = Rule::new("limiter", "general", 1, Duration::MAX, 1).unwrap();
        assert_eq!(longest_reply(&rule), Duration::MAX, "a period of `never` saturates");
    }
}

/// Against a real Redis: `INVENT_TEST_REDIS_URL` (set by `scripts/test-all.sh`, which starts one and
/// runs ignored tests). Each test is `#[ignore]`d with that reason, so a plain `cargo test` lists it as
/// ignored; run without the variable, or with Redis unreachable, it fails.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    pub(super) fn redis_url() -> String {
        match std::env::var("INVENT_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => panic!("INVENT_TEST_REDIS_URL is unset: this test needs Redis (scripts/redis.sh start prints a URL)"),
        }
    }

    /// A prefix no other test or run uses.
    pub(super) fn prefix(test: &str) -> String {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        format!("invent-test:{test}:{}:{nanos}", std::process::id())
    }

    pub(super) fn shared(url: &str, prefix: &str) -> SharedBuckets {
        SharedBuckets::new(&SharedRedis::new(url, prefix)).unwrap()
    }

    pub(super) fn rule(requests: u32, period: Duration, burst: u32) -> Rule {
        Rule::new("limiter", "general", requests, period, burst).unwrap()
    }

    pub(super) async fn admit(s: &SharedBuckets, rule: &Rule, limit: Option<Duration>) -> Admission {
        let url = std::env::var("INVENT_TEST_REDIS_URL").unwrap_or_default();
        s.admit(rule, limit)
            .await
            .unwrap_or_else(|| panic!("INVENT_TEST_REDIS_URL={url} is set but Redis does not answer"))
    }

    async fn command<T: redis::FromRedisValue>(url: &str, cmd: &redis::Cmd) -> T {
        let client = redis::Client::open(url).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.expect("Redis at INVENT_TEST_REDIS_URL");
        cmd.query_async(&mut connection).await.unwrap()
    }

    /// Four connections (as four processes would have) book from one bucket: the booked times, on
    /// the server's clock, never hold more than `requests` in a window, and the rate is the limit's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn four_connections_share_one_window_exactly() {
        let url = redis_url();
        let prefix = prefix("four");
        let (requests, period) = (20u32, Duration::from_millis(500));
        let rule = Arc::new(rule(requests, period, 5));
        let booked = Arc::new(Mutex::new(Vec::new()));
        let wanted = 3 * requests as usize + 1;
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let s = Arc::new(shared(&url, &prefix));
            for _ in 0..3 {
                let (s, rule, booked) = (s.clone(), rule.clone(), booked.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let a = admit(&s, &rule, None).await;
                        {
                            let mut booked = booked.lock().unwrap();
                            if booked.len() >= wanted {
                                return;
                            }
                            booked.push(a.at_micros);
                        }
                        tokio::time::sleep(a.wait).await;
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut at = booked.lock().unwrap().clone();
        at.sort();
        let window = period.as_micros() as u64;
        let most = (0..at.len()).map(|i| at[i..].iter().take_while(|t| **t < at[i] + window).count()).max();
        assert_eq!(most, Some(requests as usize), "{at:?}");
        let span = Duration::from_micros(at[wanted - 1] - at[0]);
        let rate = 3.0 * f64::from(requests) / span.as_secs_f64();
        assert!(rate >= 0.95 * f64::from(requests) / period.as_secs_f64(), "{rate}/s over {span:?}");
    }

    /// Hour-scale buckets: the full count at once, shared; the next slot one period (+ margin) later.
    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn an_hour_scale_bucket_allows_its_full_count_across_connections() {
        let url = redis_url();
        let prefix = prefix("hour");
        let rule =
            Rule::new("limiter.assistant_creations", "assistant_creations", 3, Duration::from_secs(3600), 3).unwrap();
        let (a, b) = (shared(&url, &prefix), shared(&url, &prefix));
        let now = Some(Duration::ZERO);
        assert!(admit(&a, &rule, now).await.booked);
        assert!(admit(&b, &rule, now).await.booked);
        assert!(admit(&a, &rule, now).await.booked);
        let refused = admit(&b, &rule, Some(Duration::from_secs(60))).await;
        assert!(!refused.booked);
        let expected = Duration::from_secs(3601);
        assert!(refused.wait <= expected && refused.wait > expected - Duration::from_secs(5), "{:?}", refused.wait);
        // Refused means nothing was booked: the log still holds three.
        let [_, log] = b.keys(&rule);
        assert_eq!(command::<i64>(&url, redis::cmd("LLEN").arg(&log)).await, 1, "one group of three");
    }

    /// A 429 pushed by one process pauses the others and halves the shared rate once.
    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn a_429_reaches_every_connection() {
        let url = redis_url();
        let prefix = prefix("pause");
        let rule = rule(100, Duration::from_secs(1), 10);
        let (a, b) = (shared(&url, &prefix), shared(&url, &prefix));
        admit(&a, &rule, None).await;
        let reply = a.run(&rule, "throttle", micros(Duration::from_millis(1500))).await.expect("throttle");
        assert_eq!(reply[1], 500_000, "rate cut to one half");
        let again = a.run(&rule, "throttle", micros(Duration::from_millis(1500))).await.expect("throttle");
        assert_eq!(again[1], -1, "the same event: no second cut");
        let seen = admit(&b, &rule, Some(Duration::from_millis(100))).await;
        assert!(!seen.booked && seen.pause > Duration::from_millis(1300), "{seen:?}");
        // Through the bucket API: b's caller sleeps out the pause.
        let local = Bucket::new(rule.clone());
        let started = std::time::Instant::now();
        assert_eq!(b.acquire(&local, None).await, Some(Ok(())));
        assert!(started.elapsed() >= Duration::from_millis(1300), "{:?}", started.elapsed());
    }

    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn keys_expire_once_the_state_no_longer_matters() {
        let url = redis_url();
        let prefix = prefix("expire");
        let rule = rule(2, Duration::from_millis(200), 2);
        let s = shared(&url, &prefix);
        admit(&s, &rule, None).await;
        let keys = s.keys(&rule);
        for key in &keys {
            let ttl: i64 = command(&url, redis::cmd("PTTL").arg(key)).await;
            // One window (200 ms + margin, rounded to whole ms) plus a second of slack.
            assert!(ttl > 0 && ttl <= 1210, "{key}: {ttl}");
        }
        tokio::time::sleep(Duration::from_millis(1400)).await;
        let left: i64 = command(&url, redis::cmd("EXISTS").arg(&keys[0]).arg(&keys[1])).await;
        assert_eq!(left, 0);
    }

    /// `SCRIPT FLUSH` (a restart or failover empties the script cache): EVALSHA answers NOSCRIPT and
    /// the same round of the admission falls back to EVAL, which caches the script again.
    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn a_flushed_script_cache_falls_back_to_eval() {
        let url = redis_url();
        let prefix = prefix("noscript");
        let rule = rule(10, Duration::from_secs(1), 10);
        let s = shared(&url, &prefix);
        let _: () = command(&url, &redis::cmd("SCRIPT").arg("FLUSH").to_owned()).await;
        assert!(admit(&s, &rule, None).await.booked);
        let cached: Vec<i64> = command(&url, redis::cmd("SCRIPT").arg("EXISTS").arg(&s.sha)).await;
        assert_eq!(cached, [1]);
        assert!(s.is_up());
    }

    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn prefixes_keep_groups_apart_and_numbers_stay_exact() {
        let url = redis_url();
        let rule = rule(1, Duration::from_secs(10), 1);
        let (a, b) = (shared(&url, &prefix("one")), shared(&url, &prefix("two")));
        assert!(admit(&a, &rule, Some(Duration::ZERO)).await.booked);
        assert!(admit(&b, &rule, Some(Duration::ZERO)).await.booked, "another prefix, another quota");
        assert!(!admit(&a, &rule, Some(Duration::ZERO)).await.booked);
        // Microsecond timestamps have 16 digits: stored as integers, not as Lua's 1.7e+15.
        let tat: String = command(&url, redis::cmd("HGET").arg(&a.keys(&rule)[0]).arg("tat")).await;
        assert!(tat.len() >= 16 && tat.bytes().all(|c| c.is_ascii_digit()), "{tat}");
    }

    /// `Duration::MAX` periods and waits are capped (2^50 µs) before they reach Lua: no overflow, no
    /// float notation, and the key lives about as long as the pause.
    #[tokio::test]
    #[ignore = "needs Redis at INVENT_TEST_REDIS_URL (scripts/test-all.sh starts it and runs ignored tests)"]
    async fn extreme_durations_stay_exact_in_the_script() {
        let url = redis_url();
        let rule = Rule::new("limiter", "general", 1, Duration::MAX, 1).unwrap();
        let s = shared(&url, &prefix("extreme"));
        assert!(admit(&s, &rule, Some(Duration::MAX)).await.booked);
        let refused = admit(&s, &rule, Some(Duration::from_secs(1))).await;
        assert!(!refused.booked && refused.wait >= Duration::from_micros(MAX_MICROS - 1_000_000), "{refused:?}");
        let paused = s.run(&rule, "throttle", micros(Duration::MAX)).await.expect("throttle");
        assert!(paused[0] as u64 >= MAX_MICROS - 1_000_000, "{paused:?}");
        let ttl: i64 = command(&url, redis::cmd("PTTL").arg(&s.keys(&rule)[0])).await;
        assert!(ttl as u64 >= MAX_MICROS / 1000 && (ttl as u64) < MAX_MICROS / 1000 * 4, "{ttl}");
        let _: i64 = command(&url, redis::cmd("DEL").arg(&s.keys(&rule)[0]).arg(&s.keys(&rule)[1])).await;
    }
}
