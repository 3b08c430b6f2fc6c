//! The task behind an [`EventStream`]: limiter slot → upgrade → read loop (pings, idle detection,
//! decoding, delivery into the bounded buffer) → on loss, full-jitter backoff and again, until a
//! final failure, the attempt limit, or the consumer drops the stream.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::Instrument;

use super::event::{self, Gap};
use super::handshake::{self, Socket};
use super::stream::{Counters, EventStream, Queued, Status};
use super::{ChatEvent, Disconnect, EventError, EventsConfig, Feed};
use crate::retry::backoff;
use crate::Client;

/// Payload of the keepalive pings.
const PING_PAYLOAD: &[u8] = b"invent-api";
/// How long a closing handshake may take when the consumer drops the stream or the server closes.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Starts the task of a new stream (the configuration is already validated).
pub(crate) fn start(client: &Client, feed: Feed, config: EventsConfig) -> EventStream {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return EventStream::failed(feed, EventError::NoRuntime);
    };
    let (tx, items) = mpsc::channel(config.buffer);
    let counters = Arc::new(Counters::default());
    let (status, status_rx) = watch::channel(Status::default());
    let span = tracing::info_span!(
        target: "invent_api::events",
        "invent.events",
        feed = feed.name(),
        org = %client.org(),
        path = feed.template(),
    );
    let budget = config.buffer_bytes;
    let session = Session {
        client: client.clone(),
        feed,
        config,
        outbox: Outbox { tx, pending: None, counters: Arc::clone(&counters), budget },
        status,
        last_frame: Utc::now(),
    };
    runtime.spawn(session.run().instrument(span));
    EventStream::new(feed, items, counters, status_rx)
}

struct Session {
    client: Client,
    feed: Feed,
    config: EventsConfig,
    outbox: Outbox,
    status: watch::Sender<Status>,
    /// Wall-clock time of the last frame received (the stream's start before any): where a gap begins.
    last_frame: DateTime<Utc>,
}

/// How one attempt ended.
enum Attempt {
    /// The consumer dropped the stream.
    Gone,
    /// No connection was made.
    Failed(Disconnect),
    /// A connection was made and, after `lasted`, lost.
    Ended { cause: Disconnect, lasted: Duration },
}

/// Whether the consumer is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Gone,
}

impl Session {
    async fn run(mut self) {
        // Failed attempts in a row: attempts that made no connection, and connections lost before
        // `stable_after` (a server that accepts and drops at once is backed off like one that refuses).
        let mut failures: u32 = 0;
        loop {
            let cause = match self.attempt().await {
                Attempt::Gone => break,
                Attempt::Failed(cause) => cause,
                Attempt::Ended { cause, lasted } => {
                    if lasted >= self.config.stable_after {
                        failures = 0;
                    }
                    cause
                }
            };
            if !cause.is_retryable() {
                tracing::warn!(target: "invent_api::events", cause = %cause, "event stream ended: not retryable");
                self.outbox.finish(EventError::Fatal { feed: self.feed, cause }).await;
                break;
            }
            failures = failures.saturating_add(1);
            if self.config.max_reconnects.is_some_and(|max| failures > max) {
                tracing::warn!(target: "invent_api::events", cause = %cause, failures, "event stream gave up");
                let error = EventError::GaveUp { feed: self.feed, attempts: failures, last: cause };
                self.outbox.finish(error).await;
                break;
            }
            let delay = self.delay(failures, &cause);
            tracing::warn!(
                target: "invent_api::events",
                cause = %cause,
                failures,
                delay_ms = delay.as_millis() as u64,
                "event socket lost; reconnecting"
            );
            self.outbox.lost_connection(self.last_frame, cause);
            if unless_gone(&self.outbox.tx.clone(), tokio::time::sleep(delay)).await.is_none() {
                break;
            }
        }
        self.status.send_modify(|s| s.ended = true);
    }

    /// The wait before the next attempt: full jitter under `min(base · 2^(failures-1), cap)`, or the
    /// server's `Retry-After` (capped) on a 429/503 when that is longer. A 429 also slows the limiter.
    fn delay(&self, failures: u32, cause: &Disconnect) -> Duration {
        let cap = self.config.backoff_cap;
        let jitter = backoff::jittered(
            self.config.backoff_base,
            cap,
            failures.saturating_sub(1),
            &self.client.inner.shared.jitter,
        );
        let Disconnect::Refused { status, headers, .. } = cause else { return jitter };
        let server = match status.as_u16() {
            429 | 503 => backoff::server_wait(headers, SystemTime::now()),
            _ => None,
        };
        if status.as_u16() == 429 {
            if let Some(limiter) = &self.client.inner.shared.limiter {
                limiter.throttled(self.feed.spec().quota, server, server.is_some_and(|w| w > cap));
            }
        }
        jitter.max(server.unwrap_or_default().min(cap))
    }

    async fn attempt(&mut self) -> Attempt {
        let tx = self.outbox.tx.clone();
        // Each upgrade is a request to the API: it takes a slot like any other call of this client.
        if let Some(limiter) = &self.client.inner.shared.limiter {
            if unless_gone(&tx, limiter.acquire_within(self.feed.spec().quota, None)).await.is_none() {
                return Attempt::Gone;
            }
        }
        Counters::add(&self.outbox.counters.attempts);
        let timeout = self.config.handshake_timeout;
        let open = tokio::time::timeout(timeout, handshake::open(&self.client, self.feed, &self.config));
        let socket = match unless_gone(&tx, open).await {
            None => return Attempt::Gone,
            Some(Err(_)) => return Attempt::Failed(Disconnect::HandshakeTimeout(timeout)),
            Some(Ok(Err(cause))) => return Attempt::Failed(cause),
            Some(Ok(Ok(socket))) => socket,
        };
        Counters::add(&self.outbox.counters.connections);
        self.status.send_modify(|s| s.connections += 1);
        tracing::info!(target: "invent_api::events", url = %handshake::url(&self.client, self.feed), "event socket open");
        let up = Instant::now();
        match self.connection(socket).await {
            None => Attempt::Gone,
            Some(cause) => Attempt::Ended { cause, lasted: up.elapsed() },
        }
    }

    /// Reads one connection until it is lost (`Some(cause)`) or the consumer goes (`None`).
    async fn connection(&mut self, mut socket: Socket) -> Option<Disconnect> {
        let tx = self.outbox.tx.clone();
        let (ping_interval, idle_timeout) = (self.config.ping_interval, self.config.idle_timeout);
        let mut last_frame = Instant::now();
        let mut last_ping = last_frame;
        loop {
            let idle_at = later(last_frame, idle_timeout);
            let ping_at = later(last_frame.max(last_ping), ping_interval);
            tokio::select! {
                biased;
                _ = tx.closed() => {
                    let goodbye = CloseFrame { code: CloseCode::Normal, reason: "client closed the stream".into() };
                    let _ = tokio::time::timeout(CLOSE_GRACE, socket.close(Some(goodbye))).await;
                    return None;
                }
                permit = tx.reserve(), if self.outbox.pending.is_some() => match permit {
                    Ok(permit) => self.outbox.send_gap(permit),
                    Err(_) => return None,
                },
                message = socket.next() => {
                    let message = match message {
                        None => return Some(Disconnect::Dropped("the connection ended".into())),
                        Some(Err(error)) => return Some(from_ws_error(error)),
                        Some(Ok(message)) => message,
                    };
                    last_frame = Instant::now();
                    self.last_frame = Utc::now();
                    // Pings need nothing here: tungstenite queues the pong and sends it with the next read.
                    let flow = match message {
                        Message::Text(text) => self.frame(text.as_bytes()),
                        Message::Binary(bytes) => self.frame(&bytes),
                        Message::Close(frame) => {
                            // Let tungstenite send its reply to the close, within reason.
                            let _ = tokio::time::timeout(CLOSE_GRACE, socket.close(None)).await;
                            let (code, reason) = match frame {
                                Some(f) => (u16::from(f.code), f.reason.to_string()),
                                None => (1005, String::new()),
                            };
                            return Some(Disconnect::Closed { code, reason });
                        }
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Flow::Continue,
                    };
                    if flow == Flow::Gone {
                        return None;
                    }
                }
                _ = tokio::time::sleep_until(idle_at) => return Some(Disconnect::Idle(idle_timeout)),
                _ = tokio::time::sleep_until(ping_at) => {
                    last_ping = Instant::now();
                    // A peer that stopped reading blocks the write; that is the idle case too.
                    match tokio::time::timeout_at(idle_at, socket.send(Message::Ping(Bytes::from_static(PING_PAYLOAD)))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => return Some(from_ws_error(error)),
                        Err(_) => return Some(Disconnect::Idle(idle_timeout)),
                    }
                }
            }
        }
    }

    /// One text or binary frame: decoded and offered to the buffer, or counted and skipped.
    fn frame(&mut self, payload: &[u8]) -> Flow {
        Counters::add(&self.outbox.counters.frames);
        match event::decode(payload) {
            Ok(event) => self.outbox.offer(event, payload.len()),
            Err(reason) => {
                Counters::add(&self.outbox.counters.skipped_frames);
                tracing::warn!(
                    target: "invent_api::events",
                    reason,
                    frame = %event::preview(payload, 200),
                    "skipped a frame that is not JSON"
                );
                Flow::Continue
            }
        }
    }
}

/// The bounded buffer's sending side, and the gap waiting to be reported.
struct Outbox {
    tx: mpsc::Sender<Queued>,
    /// Set when events were dropped or a connection was lost; delivered before the next event.
    pending: Option<Gap>,
    counters: Arc<Counters>,
    /// `EventsConfig::buffer_bytes`.
    budget: usize,
}

impl Outbox {
    /// Delivers `event` (of `bytes` bytes) if there is room by count and by bytes (after any waiting
    /// gap); otherwise drops and counts it. Never waits: the read loop keeps answering pings however
    /// slow the consumer is.
    fn offer(&mut self, event: ChatEvent, bytes: usize) -> Flow {
        let queued = &self.counters.queued_bytes;
        // An event always fits an empty buffer: a message within `max_message_bytes` is never lost
        // to the byte budget alone. (Only the consumer changes the count meanwhile, downwards.)
        let before = queued.load(Ordering::Relaxed);
        if before > 0 && before.saturating_add(bytes) > self.budget {
            return self.drop_event();
        }
        if self.pending.is_some() {
            let full = match self.tx.try_reserve() {
                Ok(permit) => {
                    if let Some(gap) = self.pending.take() {
                        permit.send((Ok(ChatEvent::Gap(gap)), 0));
                    }
                    false
                }
                Err(mpsc::error::TrySendError::Full(())) => true,
                Err(mpsc::error::TrySendError::Closed(())) => return Flow::Gone,
            };
            if full {
                return self.drop_event();
            }
        }
        // Counted before it is sent, so the consumer never takes off bytes that were not added.
        queued.fetch_add(bytes, Ordering::Relaxed);
        match self.tx.try_send((Ok(event), bytes)) {
            Ok(()) => Flow::Continue,
            Err(mpsc::error::TrySendError::Full(_)) => {
                queued.fetch_sub(bytes, Ordering::Relaxed);
                self.drop_event()
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Flow::Gone,
        }
    }

    fn drop_event(&mut self) -> Flow {
        Counters::add(&self.counters.dropped_events);
        let gap = self.pending.get_or_insert_with(|| Gap { since: Utc::now(), dropped: 0, reconnects: 0, cause: None });
        if gap.dropped == 0 {
            tracing::warn!(target: "invent_api::events", "the consumer is behind and the buffer is full: dropping events");
        }
        gap.dropped += 1;
        Flow::Continue
    }

    fn send_gap(&mut self, permit: mpsc::Permit<'_, Queued>) {
        if let Some(gap) = self.pending.take() {
            permit.send((Ok(ChatEvent::Gap(gap)), 0));
        }
    }

    /// A connection (or attempt) failed: events after `since` may be missing.
    fn lost_connection(&mut self, since: DateTime<Utc>, cause: Disconnect) {
        let gap = self.pending.get_or_insert_with(|| Gap { since, dropped: 0, reconnects: 0, cause: None });
        gap.since = gap.since.min(since);
        gap.reconnects = gap.reconnects.saturating_add(1);
        gap.cause = Some(cause);
    }

    /// The stream's last item (waits for room: there is nothing else left to do).
    async fn finish(&mut self, error: EventError) {
        let _ = self.tx.send((Err(error), 0)).await;
    }
}

/// Runs `future` unless the consumer drops the stream first (`None`).
async fn unless_gone<F: Future>(tx: &mpsc::Sender<Queued>, future: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        _ = tx.closed() => None,
        output = future => Some(output),
    }
}

/// `at + after`, or a moment decades away when that overflows (`Duration::MAX` means never).
fn later(at: Instant, after: Duration) -> Instant {
    at.checked_add(after).unwrap_or_else(|| at + Duration::from_secs(86_400 * 365 * 30))
}

fn from_ws_error(error: WsError) -> Disconnect {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => Disconnect::Dropped("the connection was closed".into()),
        WsError::Io(e) => Disconnect::Dropped(e.to_string()),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Disconnect::Dropped("reset without a closing handshake".into())
        }
        WsError::Capacity(e) => Disconnect::Protocol(format!("message above the size limit ({e})")),
        other => Disconnect::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn created(id: &str) -> ChatEvent {
        event::decode(format!(r#"{{"type":"create","data":{{"id":"{id}"}}}}"#).as_bytes()).unwrap()
    }

    /// The byte budget drops events like a full buffer does (counted, reported in the next gap), an
    /// event always fits an empty buffer, and reading frees the bytes.
    #[tokio::test]
    async fn the_byte_budget_drops_like_a_full_buffer_and_frees_as_events_are_read() {
        let (tx, items) = mpsc::channel(100);
        let counters = Arc::new(Counters::default());
        let (_status, status_rx) = watch::channel(Status::default());
        let mut outbox = Outbox { tx, pending: None, counters: Arc::clone(&counters), budget: 3000 };
        let mut stream = EventStream::new(Feed::Chats, items, counters, status_rx);
        for i in 0..5 {
            assert_eq!(outbox.offer(created(&format!("cht_{i}")), 1000), Flow::Continue);
        }
        assert_eq!((stream.queued(), stream.queued_bytes()), (3, 3000), "three of 1000 bytes fit 3000");
        assert_eq!(stream.stats().dropped_events, 2);
        for _ in 0..3 {
            assert!(!matches!(stream.next().await, Some(Ok(ChatEvent::Gap(_)))));
        }
        assert_eq!(stream.queued_bytes(), 0);
        // Larger than the whole budget, into an empty buffer: delivered, after the gap.
        assert_eq!(outbox.offer(created("big"), 5000), Flow::Continue);
        assert_eq!(stream.queued_bytes(), 5000);
        match stream.next().await {
            Some(Ok(ChatEvent::Gap(gap))) => assert_eq!(gap.dropped, 2),
            other => panic!("expected the gap first, got {other:?}"),
        }
        assert!(matches!(stream.next().await, Some(Ok(ChatEvent::ChatCreated(_)))));
        assert_eq!(stream.queued_bytes(), 0);
    }
}
