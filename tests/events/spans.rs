//! What an event stream records: one `invent.events` span (feed, org, path template) with an event per
//! connection, loss (cause, delay) and skipped frame; never the key.

use std::sync::{Arc, Mutex};

use futures::SinkExt;
use invent_api::events::{EventsConfig, Feed};
use tokio_tungstenite::tungstenite::Message;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use super::server::{Conn, Server, KEY};
use super::{close, create, created_id, gap, hold, next_event};

/// A span or event: its name (or message) and its fields as text.
type Entry = (String, Vec<(String, String)>);

/// Spans and events, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Entry>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_string(), format!("{value:?}").trim_matches('"').to_string()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Vec::new();
        span.record(&mut Fields(&mut fields));
        let mut all = self.0.lock().unwrap();
        all.push((span.metadata().name().to_string(), fields));
        Id::from_u64(all.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.iter().find(|(k, _)| k == "message").map(|(_, v)| v.clone()).unwrap_or_default();
        self.0.lock().unwrap().push((message, fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The process-wide default: records nothing, but keeps every callsite's interest at "sometimes".
/// Without it, a callsite first hit by a test on another thread while the recorder is the only
/// registered dispatcher is cached as "never" (tracing-core asks that thread's default, the no-op one),
/// and the recorder misses it.
struct Quiet;

impl Subscriber for Quiet {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Recorder {
    fn find(&self, name: &str) -> Vec<Vec<(String, String)>> {
        self.0.lock().unwrap().iter().filter(|(n, _)| n == name).map(|(_, f)| f.clone()).collect()
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no `{name}` in {fields:?}"))
}

#[tokio::test]
async fn a_stream_records_its_span_connections_losses_and_skips_without_the_key() {
    let server = Server::start(|conn: Conn| async move {
        let first = conn.number == 0;
        let mut ws = conn.accept().await;
        if first {
            ws.send(close(1001, "deploy")).await.unwrap();
        } else {
            ws.send(Message::text("<html>oops</html>")).await.unwrap();
            ws.send(create("cht_1")).await.unwrap();
        }
        hold(&mut ws).await;
    })
    .await;
    let _ = tracing::subscriber::set_global_default(Quiet);
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let config = EventsConfig::default().with_backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(2));
    let mut events = server.client().for_org("org_x").events_with(Feed::Inbox, config).unwrap();
    gap(next_event(&mut events).await);
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");

    let span = recorder.find("invent.events");
    assert_eq!(span.len(), 1, "one span per stream: {:?}", recorder.0.lock().unwrap());
    assert_eq!(field(&span[0], "feed"), "inbox");
    assert_eq!(field(&span[0], "org"), "org_x");
    assert_eq!(field(&span[0], "path"), "/orgs/{org_id}/inbox/ws");
    assert_eq!(recorder.find("event socket open").len(), 2);
    let lost = recorder.find("event socket lost; reconnecting");
    assert_eq!(lost.len(), 1);
    assert!(field(&lost[0], "cause").contains("1001 (going away): deploy"), "{lost:?}");
    assert!(field(&lost[0], "delay_ms").parse::<u64>().unwrap() < 2);
    let skipped = recorder.find("skipped a frame that is not JSON");
    assert_eq!(field(&skipped[0], "frame"), "<html>oops</html>");
    let everything = format!("{:?}", recorder.0.lock().unwrap());
    assert!(!everything.contains(KEY), "the key leaked into tracing: {everything}");
}
