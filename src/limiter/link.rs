//! The connection to Redis and the shared limiter's failure policy: Redis never blocks a call for
//! long and never fails one. Every connect and command has a deadline; when one fails or times out
//! the link goes down for a backoff (100 ms doubling to 30 s, with jitter), callers use their local
//! buckets meanwhile, and the first call after the backoff tries to reconnect while the others stay
//! local. One warning when shared limiting stops, one info line when it resumes.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, FromRedisValue};
use tokio::time::Instant;

use super::settings::SharedRedis;
use crate::config_error::ConfigError;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub(crate) struct Link {
    client: redis::Client,
    url: String,
    connect_timeout: Duration,
    command_timeout: Duration,
    state: Mutex<State>,
    /// Held by the one caller that is connecting.
    connecting: tokio::sync::Mutex<()>,
}

enum State {
    /// Never connected: the first callers wait for the first connection (bounded by the connect
    /// timeout), so a program's opening burst is limited with the others.
    Fresh,
    /// Connected; the number tells connections apart, so a failure on an old one does not take a
    /// newer one down.
    Up(MultiplexedConnection, u64),
    Down {
        retry_at: Instant,
        failures: u32,
        generation: u64,
    },
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("url", &self.url).field("up", &self.is_up()).finish()
    }
}

impl Link {
    pub(crate) fn new(settings: &SharedRedis) -> Result<Link, ConfigError> {
        let invalid = |setting, reason: String| ConfigError::InvalidSetting { setting, reason };
        let url = settings.url_redacted();
        // The message names the URL with its password redacted; redis's own error may quote it whole.
        let client = redis::Client::open(settings.url()).map_err(|e| {
            invalid(
                "limiter.shared.url",
                format!("`{url}` is not a usable Redis URL (redis://[user:password@]host[:port][/db] or redis+unix:///path; TLS is not built in): {:?}", e.kind()),
            )
        })?;
        for (setting, timeout) in [
            ("limiter.shared.connect_timeout", settings.connect_timeout),
            ("limiter.shared.command_timeout", settings.command_timeout),
        ] {
            if timeout.is_zero() {
                return Err(invalid(setting, "must be above zero".into()));
            }
        }
        Ok(Link {
            client,
            url,
            connect_timeout: settings.connect_timeout,
            command_timeout: settings.command_timeout,
            state: Mutex::new(State::Fresh),
            connecting: tokio::sync::Mutex::new(()),
        })
    }

    pub(crate) fn is_up(&self) -> bool {
        matches!(*self.lock(), State::Up(..))
    }

    /// Runs `cmd` (then `fallback()` if the first answer is a NOSCRIPT error), each within the command
    /// timeout. `None`: Redis was unusable and the link is now down; the caller uses its local bucket.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
        fallback: impl FnOnce() -> redis::Cmd,
    ) -> Option<T> {
        let (mut connection, generation) = self.connection().await?;
        let mut result = self.timed(cmd.query_async::<T>(&mut connection)).await;
        if matches!(&result, Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)) {
            result = self.timed(fallback().query_async::<T>(&mut connection)).await;
        }
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                // A script that returned an error (a bug, not an outage) lands here too: the local
                // limiter still keeps calls under the limit of this process.
                self.down(generation, &error.to_string());
                None
            }
        }
    }

    async fn timed<T>(&self, query: impl std::future::Future<Output = redis::RedisResult<T>>) -> redis::RedisResult<T> {
        match tokio::time::timeout(self.command_timeout, query).await {
            Ok(result) => result,
            Err(_) => Err(redis::RedisError::from((redis::ErrorKind::Io, "command timed out"))),
        }
    }

    async fn connection(&self) -> Option<(MultiplexedConnection, u64)> {
        let first_use = match &*self.lock() {
            State::Up(connection, generation) => return Some((connection.clone(), *generation)),
            State::Down { retry_at, .. } if Instant::now() < *retry_at => return None,
            State::Down { .. } => false,
            State::Fresh => true,
        };
        let _connecting = if first_use {
            self.connecting.lock().await
        } else {
            // The backoff is over: one caller reconnects, the others carry on locally meanwhile.
            self.connecting.try_lock().ok()?
        };
        match &*self.lock() {
            State::Up(connection, generation) => return Some((connection.clone(), *generation)),
            State::Down { retry_at, .. } if first_use || Instant::now() < *retry_at => return None,
            _ => {}
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.command_timeout));
        let connect = self.client.get_multiplexed_async_connection_with_config(&config);
        let error = match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(connection)) => {
                let mut state = self.lock();
                let generation = match &*state {
                    State::Down { generation, .. } => {
                        tracing::info!(url = %self.url, "Redis answers again: rate limits are shared again");
                        generation + 1
                    }
                    _ => 0,
                };
                *state = State::Up(connection.clone(), generation);
                return Some((connection, generation));
            }
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("no connection within {:?}", self.connect_timeout),
        };
        let generation = match &*self.lock() {
            State::Down { generation, .. } => *generation,
            _ => 0,
        };
        self.down(generation, &error);
        None
    }

    /// Redis answered something the script cannot have answered: treated like a failed command, so
    /// calls use their local buckets for a backoff instead of obeying it.
    pub(crate) fn distrust(&self, reason: &str) {
        let generation = match &*self.lock() {
            State::Up(_, generation) => *generation,
            _ => return,
        };
        self.down(generation, reason);
    }

    /// A connect or a command on connection `generation` failed: go down for a backoff.
    fn down(&self, generation: u64, error: &str) {
        let mut state = self.lock();
        let failures = match &*state {
            State::Up(_, current) if *current != generation => return, // already replaced
            State::Down { failures, .. } => {
                tracing::debug!(url = %self.url, error, "Redis still unusable; local limits stay in force");
                failures + 1
            }
            State::Up(..) | State::Fresh => {
                tracing::warn!(
                    url = %self.url,
                    error,
                    "Redis unusable: rate limits fall back to this process's local limiter until it answers again \
                     (each process then allows the full limit)"
                );
                0
            }
        };
        let retry_at = Instant::now().checked_add(backoff(failures)).unwrap_or_else(Instant::now);
        *state = State::Down { retry_at, failures, generation };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reconnect backoff after `failures` failed reconnects: 100 ms doubling to 30 s, the upper half
/// jittered so a fleet that lost Redis together does not reconnect in step.
fn backoff(failures: u32) -> Duration {
    let ceiling = FIRST_BACKOFF.saturating_mul(1u32.checked_shl(failures.min(16)).unwrap_or(u32::MAX)).min(MAX_BACKOFF);
    ceiling / 2 + (ceiling / 2).mul_f64(crate::rng::unit_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds_with_jitter() {
        for (failures, ceiling) in [(0, 100), (1, 200), (3, 800), (9, 30_000), (u32::MAX, 30_000)] {
            let d = backoff(failures);
            let ceiling = Duration::from_millis(ceiling);
            assert!(d >= ceiling / 2 && d <= ceiling, "{failures}: {d:?}");
        }
    }

    #[test]
    fn bad_urls_and_timeouts_are_config_errors_without_the_password() {
        for url in ["http://:secret@localhost", "redis://:secret@[::1", "not a url"] {
            let error = Link::new(&SharedRedis::new(url, "p")).unwrap_err().to_string();
            assert!(error.contains("limiter.shared.url") && !error.contains("secret"), "{error}");
        }
        let zero = SharedRedis::new("redis://127.0.0.1:1", "p").timeouts(Duration::ZERO, Duration::from_secs(1));
        assert!(Link::new(&zero).unwrap_err().to_string().contains("connect_timeout"));
    }

    /// Nothing listens on the port: the first call waits for one refused connect, then calls go
    /// local at once until the backoff is over. Real clock (a real connect); the connect timeout is
    /// 30 s, so a call that waited for it instead of taking the refusal fails the 10 s bound, which a
    /// loaded machine does not come near for two loopback connects.
    #[tokio::test]
    async fn a_refused_connection_falls_back_at_once_and_backs_off() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let settings = SharedRedis::new(format!("redis://127.0.0.1:{port}"), "p")
            .timeouts(Duration::from_secs(30), Duration::from_secs(30));
        let link = Link::new(&settings).unwrap();
        let ping = redis::cmd("PING");
        let started = std::time::Instant::now();
        assert_eq!(link.query::<String>(&ping, || redis::cmd("PING")).await, None);
        assert!(matches!(*link.lock(), State::Down { failures: 0, .. }));
        assert_eq!(
            link.query::<String>(&ping, || redis::cmd("PING")).await,
            None,
            "within the backoff: no new attempt"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        // Longer than the first backoff (at most 100 ms); a slow wake-up only makes it longer.
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(link.query::<String>(&ping, || redis::cmd("PING")).await, None);
        assert!(matches!(*link.lock(), State::Down { failures: 1, .. }), "a second attempt after the backoff");
    }

    /// A server that accepts and never answers: the connect timeout bounds the wait. Real clock: the
    /// wait is at least the 1 s command timeout, and well under the 20 s bound, where a call with no
    /// deadline would wait forever.
    #[tokio::test]
    async fn a_black_hole_costs_one_connect_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let settings = SharedRedis::new(format!("redis://127.0.0.1:{port}"), "p")
            .timeouts(Duration::from_secs(2), Duration::from_secs(1));
        let link = Link::new(&settings).unwrap();
        let ping = redis::cmd("PING");
        let started = std::time::Instant::now();
        assert_eq!(link.query::<String>(&ping, || redis::cmd("PING")).await, None);
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(20), "{took:?}");
        hold.abort();
    }
}
