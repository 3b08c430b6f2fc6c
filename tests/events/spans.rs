//! What an event stream records: one `invent.events` span (feed, org, path template) with an event per
//! connection, loss (cause, delay) and skipped frame; never the key.

use futures::SinkExt;
use invent_api::events::{EventsConfig, Feed};
use tokio_tungstenite::tungstenite::Message;

use super::recorder::{field, Quiet, Recorder};
use super::server::{Conn, Server, KEY};
use super::{close, create, created_id, gap, hold, next_event};

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
    let config =
        EventsConfig::default().backoff(std::time::Duration::from_millis(1), std::time::Duration::from_millis(2));
    let mut events = server.client().for_org("org_x").events_with(Feed::Inbox, config).unwrap();
    gap(next_event(&mut events).await);
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");
    // Both upgrades of the `for_org` stream, the first and the reconnect, went to that org.
    let paths: Vec<String> = server.upgrades().into_iter().map(|u| u.path).collect();
    assert_eq!(paths, ["/orgs/org_x/inbox/ws", "/orgs/org_x/inbox/ws"]);

    let span = recorder.find("invent.events");
    assert_eq!(span.len(), 1, "one span per stream: {}", recorder.everything());
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
    let everything = recorder.everything();
    assert!(!everything.contains(KEY), "the key leaked into tracing: {everything}");
}
