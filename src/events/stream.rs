//! [`EventStream`], the consumer's end: a bounded buffer filled by the stream's task, counters, and
//! a way to wait for the first connection.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::{mpsc, watch};

use super::{ChatEvent, EventError, Feed};

/// One item of the stream.
pub(crate) type Item = Result<ChatEvent, EventError>;

/// An item in the buffer, with the bytes it counts against [`super::EventsConfig::buffer_bytes`]
/// (its frame's payload; 0 for gaps and the final error).
pub(crate) type Queued = (Item, usize);

/// A live stream of [`ChatEvent`]s from one of Invent's WebSocket routes (see the [module
/// docs](super)). An `Err` is always the last item. Dropping the stream closes the socket (close code
/// 1000) and ends its task. It is `Unpin`: `try_next()` works on it directly.
///
/// ```no_run
/// use std::time::Duration;
///
/// use futures::TryStreamExt;
/// use invent_api::events::ChatEvent;
///
/// # async fn run(client: invent_api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let mut events = client.inbox_events();
/// if !events.connected().await {
///     // The stream ended before its first connection; its only item says why (401, 403, …).
///     return Err(format!("{:?}", events.try_next().await).into());
/// }
/// // Wait at most 30 s for the next event.
/// match tokio::time::timeout(Duration::from_secs(30), events.try_next()).await {
///     Ok(Ok(Some(ChatEvent::Gap(gap)))) => println!("may have missed events since {}", gap.since),
///     Ok(Ok(Some(event))) => println!("{}", event.to_json()),
///     Ok(Ok(None)) | Err(_) => println!("nothing yet"),
///     Ok(Err(fatal)) => return Err(fatal.into()),
/// }
/// let stats = events.stats();
/// println!("{} connections, {} frames, {} skipped", stats.connections, stats.frames, stats.skipped_frames);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct EventStream {
    feed: Feed,
    items: mpsc::Receiver<Queued>,
    counters: Arc<Counters>,
    status: watch::Receiver<Status>,
}

/// Counters of one stream since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStats {
    /// Upgrade requests sent (each took a limiter slot).
    pub attempts: u64,
    /// Upgrades that succeeded.
    pub connections: u64,
    /// Text and binary frames received.
    pub frames: u64,
    /// Frames that were not JSON: logged (target `invent_api::events`) and skipped.
    pub skipped_frames: u64,
    /// Events dropped because the buffer was full (each reported in a [`super::Gap`]).
    pub dropped_events: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) attempts: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) frames: AtomicU64,
    pub(crate) skipped_frames: AtomicU64,
    pub(crate) dropped_events: AtomicU64,
    /// Bytes of the events in the buffer (added before an event is queued, taken off when it is read).
    pub(crate) queued_bytes: AtomicUsize,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the task tells the stream about the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) connections: u64,
    pub(crate) ended: bool,
}

impl EventStream {
    pub(crate) fn new(
        feed: Feed,
        items: mpsc::Receiver<Queued>,
        counters: Arc<Counters>,
        status: watch::Receiver<Status>,
    ) -> EventStream {
        EventStream { feed, items, counters, status }
    }

    /// A stream whose only item is `error` (set-up failed before any task started).
    pub(crate) fn failed(feed: Feed, error: EventError) -> EventStream {
        let (tx, items) = mpsc::channel(1);
        let _ = tx.try_send((Err(error), 0));
        let (_, status) = watch::channel(Status { connections: 0, ended: true });
        EventStream::new(feed, items, Arc::default(), status)
    }

    /// The route this stream follows.
    pub fn feed(&self) -> Feed {
        self.feed
    }

    /// The counters so far.
    pub fn stats(&self) -> EventStats {
        let c = &self.counters;
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        EventStats {
            attempts: get(&c.attempts),
            connections: get(&c.connections),
            frames: get(&c.frames),
            skipped_frames: get(&c.skipped_frames),
            dropped_events: get(&c.dropped_events),
        }
    }

    /// Events waiting in the buffer (at most [`super::EventsConfig::buffer`]).
    pub fn queued(&self) -> usize {
        self.items.len()
    }

    /// Bytes of the events waiting in the buffer (at most [`super::EventsConfig::buffer_bytes`], or
    /// one message when that is larger).
    pub fn queued_bytes(&self) -> usize {
        self.counters.queued_bytes.load(Ordering::Relaxed)
    }

    /// Waits until the socket is open (`true`: from now on, events reach this stream), or the stream
    /// has ended (`false`; its last item says why). Events are not consumed.
    pub async fn connected(&self) -> bool {
        let mut status = self.status.clone();
        let waited = status.wait_for(|s| s.connections > 0 || s.ended).await.map(|s| s.connections > 0);
        waited.unwrap_or_else(|_| self.status.borrow().connections > 0)
    }

    /// The stream once its socket is open: every event after this returns reaches it (Invent does
    /// not replay events, so a chat created before the socket opened would otherwise be missed). If
    /// the stream ends before it ever connects, its error (see [`EventError`]: a refused key, a
    /// route that is not WebSocket, too many failed attempts).
    pub async fn ready(mut self) -> Result<EventStream, EventError> {
        if self.connected().await {
            return Ok(self);
        }
        // Events (a gap) may precede the error that ended it; the error is what the caller needs.
        while let Some((item, bytes)) = self.items.recv().await {
            self.counters.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            item?;
        }
        // Ended without an error item (never, by construction): nothing to wait for.
        Ok(self)
    }
}

impl Stream for EventStream {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.items.poll_recv(cx).map(|queued| {
            queued.map(|(item, bytes)| {
                self.counters.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                item
            })
        })
    }
}
