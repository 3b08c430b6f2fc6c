//! Event streams against scripted loopback WebSocket servers: frames of each kind, garbage, pings,
//! close codes, dropped and silent connections, refused upgrades, backoff and limiter on tokio's
//! paused clock, slow consumers, and the mock Invent end to end (`mock.rs`).

mod mock;
#[path = "../common/recorder.rs"]
mod recorder;
mod server;
mod spans;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use invent_api::events::{ChatEvent, Disconnect, EventError, EventStream, EventsConfig, Feed, Gap};
use invent_api::prelude::*;
use invent_api::LimiterConfig;
use serde_json::json;
use server::{Conn, Server, Ws, KEY};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// `{"type": "create", "data": {"id": id}}`.
fn create(id: &str) -> Message {
    Message::text(json!({ "type": "create", "data": { "id": id, "title": format!("Chat {id}") } }).to_string())
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.to_string().into() }))
}

/// The next item, or a panic naming what was expected (the clock may be paused: 1 h is virtual).
async fn next(stream: &mut EventStream) -> Result<ChatEvent, EventError> {
    match tokio::time::timeout(Duration::from_secs(3600), stream.next()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("the stream ended"),
        Err(_) => panic!("no item within the timeout"),
    }
}

async fn next_event(stream: &mut EventStream) -> ChatEvent {
    match next(stream).await {
        Ok(event) => event,
        Err(e) => panic!("expected an event, got the error: {e}"),
    }
}

fn created_id(event: &ChatEvent) -> &str {
    match event {
        ChatEvent::ChatCreated(chat) => chat.id.as_deref().unwrap_or("?"),
        other => panic!("expected ChatCreated, got {other:?}"),
    }
}

fn gap(event: ChatEvent) -> Gap {
    match event {
        ChatEvent::Gap(gap) => gap,
        other => panic!("expected a gap, got {other:?}"),
    }
}

/// Fast reconnects for tests that are not about timing.
fn quick() -> EventsConfig {
    EventsConfig::default().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// Waits until the server has held the socket for a while, for tests that must not end it early.
async fn hold(ws: &mut Ws) {
    while let Some(Ok(_)) = ws.next().await {}
}

#[tokio::test]
async fn frames_of_each_kind_are_typed_and_garbage_is_counted_and_skipped() {
    let server = Server::start(|conn: Conn| async move {
        let mut ws = conn.accept().await;
        let frames = vec![
            create("cht_1"),
            Message::text(r#"{"data":{"id":"cht_2","surprise":{"nested":true}},"unread":2}"#),
            Message::text(r#"{"type":"update","data":{"id":"cht_1"},"extra":1}"#),
            Message::text("this is not json"),
            Message::binary(br#"{"type":"create","data":{"id":"cht_3"}}"#.to_vec()),
            Message::binary(vec![0xff, 0x00, 0x13]),
            Message::text("[1,2]"),
            create("cht_4"),
        ];
        for frame in frames {
            ws.send(frame).await.unwrap();
        }
        hold(&mut ws).await;
    })
    .await;
    let mut events = server.client().chat_events();
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");
    assert!(matches!(next_event(&mut events).await, ChatEvent::Chat(c) if c.id.as_deref() == Some("cht_2")));
    match next_event(&mut events).await {
        ChatEvent::Other { kind, raw } => {
            assert_eq!(kind.as_deref(), Some("update"));
            assert_eq!(raw["extra"], 1, "the raw frame is kept whole");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(created_id(&next_event(&mut events).await), "cht_3", "JSON in a binary frame is decoded");
    assert!(matches!(next_event(&mut events).await, ChatEvent::Other { kind: None, raw } if raw == json!([1, 2])));
    assert_eq!(created_id(&next_event(&mut events).await), "cht_4", "garbage did not end the stream");
    let stats = events.stats();
    assert_eq!((stats.frames, stats.skipped_frames, stats.connections, stats.attempts), (8, 2, 1, 1));
}

#[tokio::test]
async fn the_upgrade_carries_auth_websocket_headers_and_the_clients_org() {
    let server = Server::start(|conn: Conn| async move {
        let mut ws = conn.accept().await;
        ws.send(create("cht_1")).await.unwrap();
        hold(&mut ws).await;
    })
    .await;
    let client = server.client();
    let mut chats = client.chat_events();
    next_event(&mut chats).await;
    let mut inbox = client.for_org("org_Sub 1").inbox_events();
    next_event(&mut inbox).await;
    let prefixed = Client::builder().api_key(KEY).base_url(format!("{}/api/", server.base_url)).build().unwrap();
    let mut prefixed_events = prefixed.chat_events();
    next_event(&mut prefixed_events).await;

    let upgrades = server.upgrades();
    let paths: Vec<&str> = upgrades.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(paths, ["/orgs/c/chats/ws", "/orgs/org_Sub%201/inbox/ws", "/api/orgs/c/chats/ws"]);
    for upgrade in &upgrades {
        assert_eq!(upgrade.method, "GET");
        assert_eq!(upgrade.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
        assert_eq!(upgrade.header("upgrade").map(str::to_lowercase).as_deref(), Some("websocket"));
        assert_eq!(upgrade.header("connection").map(str::to_lowercase).as_deref(), Some("upgrade"));
        assert_eq!(upgrade.header("sec-websocket-version"), Some("13"));
        assert_eq!(upgrade.header("sec-websocket-key").map(str::len), Some(24), "16 random bytes, base64");
    }
    assert_ne!(upgrades[0].header("sec-websocket-key"), upgrades[1].header("sec-websocket-key"));
    assert_eq!(upgrades[0].header("user-agent"), Some(concat!("invent-api-rust/", env!("CARGO_PKG_VERSION"))));

    // A supplied socket client is the one used (its own user agent shows it).
    let own = reqwest::Client::builder().http1_only().user_agent("my-socket-client/1").build().unwrap();
    let client = Client::builder().api_key(KEY).base_url(&server.base_url).events_http_client(own).build().unwrap();
    let mut supplied = client.chat_events();
    next_event(&mut supplied).await;
    assert_eq!(server.upgrades()[3].header("user-agent"), Some("my-socket-client/1"));
    assert_eq!(chats.feed(), Feed::Chats);
    assert_eq!(inbox.feed(), Feed::Inbox);
}

#[tokio::test]
async fn a_server_ping_is_answered_with_its_payload() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = Server::start(move |conn: Conn| {
        let tx = tx.lock().unwrap().take();
        async move {
            let mut ws = conn.accept().await;
            ws.send(Message::Ping(b"are you there".to_vec().into())).await.unwrap();
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Pong(payload) = message {
                    let _ = tx.map(|tx| tx.send(payload.to_vec()));
                    break;
                }
            }
            hold(&mut ws).await;
        }
    })
    .await;
    let events = server.client().chat_events();
    let pong = tokio::time::timeout(Duration::from_secs(10), rx).await.expect("no pong").unwrap();
    assert_eq!(pong, b"are you there");
    drop(events);
}

#[tokio::test(start_paused = true)]
async fn a_silent_but_healthy_connection_is_pinged_and_kept() {
    let server = Server::start(|conn: Conn| async move {
        let mut ws = conn.accept().await;
        let opened = Instant::now();
        let mut pings = Vec::new();
        // tungstenite answers each ping with a pong while we read.
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Ping(payload) = message {
                pings.push((opened.elapsed(), payload));
                if pings.len() == 3 {
                    let first = pings[0].0;
                    let text = format!("pings at {:?}", pings.iter().map(|p| p.0).collect::<Vec<_>>());
                    ws.send(Message::text(
                        json!({"type": "report", "first_ms": first.as_millis() as u64, "text": text}).to_string(),
                    ))
                    .await
                    .unwrap();
                }
            }
        }
    })
    .await;
    let config = EventsConfig::default().keepalive(Duration::from_secs(20), Duration::from_secs(45));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    match next_event(&mut events).await {
        ChatEvent::Other { raw, .. } => {
            assert_eq!(raw["first_ms"], 20_000, "{}", raw["text"]);
        }
        other => panic!("{other:?}"),
    }
    // Three pings, each answered: 60 s of silence from the server's side, and still one connection.
    assert_eq!((events.stats().attempts, events.stats().connections), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_dead_connection_is_detected_by_missed_pongs_and_replaced() {
    let server = Server::start(|conn: Conn| async move {
        if conn.number == 0 {
            // Upgrade, then never read or write again: pings go unanswered, like a dropped TCP path.
            let head = accept_head(&conn_key(&conn.upgrade));
            let tcp = conn.answer_raw(&head).await;
            tokio::time::sleep(Duration::from_secs(100_000)).await;
            drop(tcp);
        } else {
            let mut ws = conn.accept().await;
            ws.send(create("cht_after")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    let config = quick().keepalive(Duration::from_secs(10), Duration::from_secs(30));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    let started = Instant::now();
    let gap = gap(next_event(&mut events).await);
    assert_eq!(gap.reconnects, 1);
    assert_eq!(gap.cause, Some(Disconnect::Idle(Duration::from_secs(30))));
    assert!(gap.cause.as_ref().unwrap().to_string().contains("pings unanswered"));
    assert_eq!(created_id(&next_event(&mut events).await), "cht_after");
    let upgrades = server.upgrades();
    let detected = upgrades[1].at - upgrades[0].at;
    assert!(detected >= Duration::from_secs(30) && detected < Duration::from_secs(31), "{detected:?}");
    assert!(started.elapsed() < Duration::from_secs(31));
}

fn conn_key(upgrade: &server::Upgrade) -> String {
    upgrade.header("sec-websocket-key").unwrap_or_default().to_string()
}

fn accept_head(key: &str) -> String {
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    format!("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")
}

#[tokio::test]
async fn a_dropped_tcp_connection_without_a_close_frame_is_reconnected() {
    let server = Server::start(|conn: Conn| async move {
        let first = conn.number == 0;
        let mut ws = conn.accept().await;
        if first {
            ws.send(create("cht_before")).await.unwrap();
            // Drop the TCP stream without a closing handshake.
            drop(ws);
        } else {
            ws.send(create("cht_after")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    let mut events = server.client().events_with(Feed::Chats, quick()).unwrap();
    assert_eq!(created_id(&next_event(&mut events).await), "cht_before");
    let gap = gap(next_event(&mut events).await);
    assert_eq!(gap.reconnects, 1);
    assert!(matches!(gap.cause, Some(Disconnect::Dropped(_))), "{:?}", gap.cause);
    assert_eq!(created_id(&next_event(&mut events).await), "cht_after");
    assert_eq!(events.stats().connections, 2);
}

// Paused clock: the check that nothing reconnects waits past any backoff (quick(): at most 5 ms) in
// virtual time, however slow the machine.
#[tokio::test(start_paused = true)]
async fn a_close_with_a_final_code_ends_the_stream_with_code_and_reason() {
    let server = Server::start(|conn: Conn| async move {
        let mut ws = conn.accept().await;
        ws.send(create("cht_1")).await.unwrap();
        ws.send(close(1008, "token revoked")).await.unwrap();
        hold(&mut ws).await;
    })
    .await;
    let mut events = server.client().events_with(Feed::Chats, quick()).unwrap();
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");
    let error = next(&mut events).await.unwrap_err();
    assert_eq!(error.close_code(), Some(1008));
    assert!(
        matches!(&error, EventError::Fatal { cause: Disconnect::Closed { reason, .. }, .. } if reason == "token revoked")
    );
    assert_eq!(
        error.to_string(),
        "chat events (/orgs/{org_id}/chats/ws): the server closed the connection with code 1008 (policy violation): token revoked (not retried)"
    );
    assert!(events.next().await.is_none(), "the error is the last item");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(server.count(), 1, "not retried");
}

#[tokio::test]
async fn a_close_with_going_away_reconnects_and_reports_a_gap() {
    let server = Server::start(|conn: Conn| async move {
        let first = conn.number == 0;
        let mut ws = conn.accept().await;
        if first {
            ws.send(create("cht_1")).await.unwrap();
            ws.send(close(1001, "restarting")).await.unwrap();
            hold(&mut ws).await;
        } else {
            ws.send(create("cht_2")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    let before = chrono::Utc::now();
    let mut events = server.client().events_with(Feed::Chats, quick()).unwrap();
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");
    let gap = gap(next_event(&mut events).await);
    assert_eq!((gap.reconnects, gap.dropped), (1, 0));
    assert_eq!(gap.cause, Some(Disconnect::Closed { code: 1001, reason: "restarting".into() }));
    assert!(gap.since >= before && gap.since <= chrono::Utc::now());
    assert_eq!(created_id(&next_event(&mut events).await), "cht_2");
    assert_eq!((events.stats().attempts, events.stats().connections), (2, 2));
}

#[tokio::test(start_paused = true)]
async fn unauthorized_and_forbidden_upgrades_are_not_retried_and_keep_status_and_body() {
    for (status, body) in
        [(401, r#"{"statusCode":401,"message":"Invalid API key"}"#), (403, r#"{"message":"no access to org"}"#)]
    {
        let server = Server::start(move |conn: Conn| conn.refuse(status, "x-request-id: req_9\r\n", body)).await;
        let mut events = server.client().events_with(Feed::Inbox, quick()).unwrap();
        let error = next(&mut events).await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        let Some(Disconnect::Refused { headers, body: got, .. }) = error.disconnect() else { panic!("{error:?}") };
        assert_eq!(got.as_ref(), body.as_bytes());
        assert_eq!(headers["x-request-id"], "req_9");
        let text = error.to_string();
        assert!(text.contains(&status.to_string()) && text.contains(body) && text.contains("not retried"), "{text}");
        assert!(!text.contains(KEY) && !format!("{error:?}").contains(KEY), "the key never shows");
        assert_eq!(error.is_unauthorized(), status == 401);
        assert!(events.next().await.is_none());
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(server.count(), 1, "{status} is final: one attempt in 10 minutes");
    }
}

#[tokio::test(start_paused = true)]
async fn reconnect_delays_are_full_jitter_within_the_exponential_bounds() {
    const REFUSALS: usize = 8;
    let server = Server::start(|conn: Conn| async move {
        if conn.number < REFUSALS {
            conn.refuse(503, "", r#"{"message":"down for maintenance"}"#).await;
        } else {
            let mut ws = conn.accept().await;
            ws.send(create("cht_1")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    let (base, cap) = (Duration::from_millis(100), Duration::from_millis(1600));
    let config = EventsConfig::default().backoff(base, cap);
    // Seeded jitter, so the draws (and this test) are the same on every run: unseeded, a draw in the
    // last millisecond under a ceiling is rounded up to the ceiling by tokio's 1 ms timer (~2 % of runs).
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .limiter(None)
        .retry(RetryConfig::default().jitter_seed(20261130))
        .build()
        .unwrap();
    let mut events = client.events_with(Feed::Chats, config).unwrap();
    let gap = gap(next_event(&mut events).await);
    assert_eq!(gap.reconnects as usize, REFUSALS);
    assert_eq!(gap.cause.as_ref().and_then(Disconnect::status).map(|s| s.as_u16()), Some(503));
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");

    let at: Vec<Instant> = server.upgrades().iter().map(|u| u.at).collect();
    assert_eq!(at.len(), REFUSALS + 1);
    let delays: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    let ceilings: Vec<Duration> = (0..REFUSALS as u32).map(|n| (base * 2u32.pow(n)).min(cap)).collect();
    eprintln!("reconnect delays {delays:?}\n         ceilings {ceilings:?}");
    for (n, (delay, ceiling)) in delays.iter().zip(&ceilings).enumerate() {
        assert!(delay < ceiling, "delay {n} = {delay:?} is not under its ceiling {ceiling:?}");
    }
    // Jitter: a fixed schedule would put every delay at (or near) its ceiling; full jitter spreads them.
    let near_ceiling = delays.iter().zip(&ceilings).filter(|(d, c)| d.as_secs_f64() > c.as_secs_f64() * 0.95).count();
    assert!(near_ceiling < REFUSALS / 2, "{delays:?}");
    let mut distinct = delays.clone();
    distinct.dedup();
    assert!(distinct.len() > 1, "{delays:?}");
}

#[tokio::test(start_paused = true)]
async fn the_stream_gives_up_after_max_reconnects_failures_in_a_row() {
    let server = Server::start(|conn: Conn| conn.refuse(502, "", "bad gateway")).await;
    let config = quick().max_reconnects(Some(3));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    let error = next(&mut events).await.unwrap_err();
    assert!(matches!(error, EventError::GaveUp { attempts: 4, .. }), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.to_string().contains("gave up after 4 failed attempts"), "{error}");
    assert_eq!(server.count(), 4, "the first attempt and 3 reconnections");
    assert!(events.next().await.is_none());

    // Some(0): the first failure ends it.
    let config = quick().max_reconnects(Some(0));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    assert!(matches!(next(&mut events).await, Err(EventError::GaveUp { attempts: 1, .. })));
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_for_retry_after_up_to_the_backoff_cap() {
    let server = Server::start(|conn: Conn| async move {
        match conn.number {
            0 => conn.refuse(429, "Retry-After: 5\r\n", "slow down").await,
            1 => conn.refuse(429, "Retry-After: 3600\r\n", "quota").await,
            _ => {
                let mut ws = conn.accept().await;
                ws.send(create("cht_1")).await.unwrap();
                hold(&mut ws).await;
            }
        }
    })
    .await;
    let config = EventsConfig::default().backoff(Duration::from_millis(10), Duration::from_secs(30));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    assert_eq!(gap(next_event(&mut events).await).reconnects, 2);
    let at: Vec<Instant> = server.upgrades().iter().map(|u| u.at).collect();
    let (first, second) = (at[1] - at[0], at[2] - at[1]);
    assert!(first >= Duration::from_secs(5) && first < Duration::from_millis(5100), "Retry-After: 5 → {first:?}");
    assert!(second >= Duration::from_secs(30) && second < Duration::from_millis(30100), "capped at 30 s: {second:?}");
}

#[tokio::test(start_paused = true)]
async fn each_connection_attempt_takes_a_limiter_slot() {
    let server = Server::start(|conn: Conn| async move {
        if conn.number < 3 {
            conn.refuse(503, "", "").await;
        } else {
            let mut ws = conn.accept().await;
            ws.send(create("cht_1")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    // 3 requests a minute, burst 1: one slot every 20 s, never more than 3 in a minute. Backoff is
    // ~1 ms, so the limiter alone spaces the attempts.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.base_url)
        .limiter(Some(LimiterConfig::new(3, Duration::from_secs(60)).burst(1)))
        .build()
        .unwrap();
    let config = EventsConfig::default().backoff(Duration::from_millis(1), Duration::from_millis(1));
    let mut events = client.events_with(Feed::Chats, config).unwrap();
    assert_eq!(gap(next_event(&mut events).await).reconnects, 3);
    let at: Vec<Instant> = server.upgrades().iter().map(|u| u.at).collect();
    for pair in at.windows(2) {
        let spacing = pair[1] - pair[0];
        assert!(spacing >= Duration::from_secs(20) && spacing < Duration::from_secs(22), "{spacing:?}");
    }
    assert!(at[3] - at[0] >= Duration::from_secs(60), "4 attempts within a minute: {:?}", at[3] - at[0]);
    assert_eq!(events.stats().attempts, 4);
}

#[tokio::test]
async fn a_slow_consumer_gets_the_buffer_then_a_gap_with_the_drop_count() {
    let (flooded_tx, flooded_rx) = tokio::sync::oneshot::channel::<()>();
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let once = std::sync::Mutex::new(Some((flooded_tx, drained_rx)));
    let server = Server::start(move |conn: Conn| {
        let channels = once.lock().unwrap().take();
        async move {
            let (flooded, drained) = channels.unwrap();
            let mut ws = conn.accept().await;
            for i in 0..100 {
                ws.send(create(&format!("cht_{i}"))).await.unwrap();
            }
            // While the consumer sleeps, the client still reads: a ping is answered.
            ws.send(Message::Ping(b"still there?".to_vec().into())).await.unwrap();
            loop {
                match ws.next().await {
                    Some(Ok(Message::Pong(_))) => break,
                    Some(Ok(_)) => {}
                    other => panic!("no pong: {other:?}"),
                }
            }
            let _ = flooded.send(());
            let _ = drained.await;
            ws.send(create("cht_late")).await.unwrap();
            hold(&mut ws).await;
        }
    })
    .await;
    let config = quick().buffer(4);
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    tokio::time::timeout(Duration::from_secs(10), flooded_rx).await.expect("flood").unwrap();
    assert_eq!(events.stats().frames, 100);
    assert_eq!(events.queued(), 4, "memory is bounded by the buffer");
    assert_eq!(events.stats().dropped_events, 96);
    for i in 0..4 {
        assert_eq!(created_id(&next_event(&mut events).await), format!("cht_{i}"));
    }
    let gap = gap(next_event(&mut events).await);
    assert_eq!((gap.dropped, gap.reconnects, gap.cause), (96, 0, None));
    let _ = drained_tx.send(());
    assert_eq!(created_id(&next_event(&mut events).await), "cht_late");
    assert_eq!(events.stats().connections, 1, "the connection survived the slow consumer");
}

#[tokio::test]
async fn a_101_with_a_wrong_accept_key_is_a_final_handshake_error() {
    let server = Server::start(|conn: Conn| async move {
        let head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n";
        let _tcp = conn.answer_raw(head).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut events = server.client().events_with(Feed::Chats, quick()).unwrap();
    let error = next(&mut events).await.unwrap_err();
    assert!(
        matches!(error.disconnect(), Some(Disconnect::BadHandshake(m)) if m.contains("Sec-WebSocket-Accept")),
        "{error}"
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_upgrade_times_out_and_is_retried() {
    let server = Server::start(|conn: Conn| async move {
        // Read the head, then say nothing.
        let _keep = conn;
        tokio::time::sleep(Duration::from_secs(100_000)).await;
    })
    .await;
    let config = quick().handshake_timeout(Duration::from_secs(5)).max_reconnects(Some(1));
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    let error = next(&mut events).await.unwrap_err();
    assert!(
        matches!(error, EventError::GaveUp { attempts: 2, last: Disconnect::HandshakeTimeout(t), .. } if t == Duration::from_secs(5))
    );
    let at: Vec<Instant> = server.upgrades().iter().map(|u| u.at).collect();
    assert!(at[1] - at[0] >= Duration::from_secs(5), "{:?}", at[1] - at[0]);
}

#[tokio::test]
async fn a_message_above_the_size_limit_ends_that_connection_only() {
    let server = Server::start(|conn: Conn| async move {
        let first = conn.number == 0;
        let mut ws = conn.accept().await;
        if first {
            ws.send(Message::text(format!(r#"{{"type":"create","data":{{"id":"{}"}}}}"#, "x".repeat(4096))))
                .await
                .unwrap();
        } else {
            ws.send(create("cht_small")).await.unwrap();
        }
        hold(&mut ws).await;
    })
    .await;
    let config = quick().max_message_bytes(2048);
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    let gap = gap(next_event(&mut events).await);
    assert!(matches!(&gap.cause, Some(Disconnect::Protocol(m)) if m.contains("size limit")), "{:?}", gap.cause);
    assert_eq!(created_id(&next_event(&mut events).await), "cht_small");
}

// Paused clock: the check that nothing reconnects waits past the default backoff's cap (30 s) in
// virtual time; a real 100 ms would miss most reconnects (the first waits up to 500 ms).
#[tokio::test(start_paused = true)]
async fn dropping_the_stream_closes_the_socket_with_1000() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = Server::start(move |conn: Conn| {
        let tx = tx.lock().unwrap().take();
        async move {
            let mut ws = conn.accept().await;
            ws.send(create("cht_1")).await.unwrap();
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Close(frame) = message {
                    let _ = tx.map(|tx| tx.send(frame.map(|f| u16::from(f.code))));
                    break;
                }
            }
        }
    })
    .await;
    let mut events = server.client().chat_events();
    next_event(&mut events).await;
    drop(events);
    let code = tokio::time::timeout(Duration::from_secs(10), rx).await.expect("no close frame").unwrap();
    assert_eq!(code, Some(1000));
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(server.count(), 1, "the task ended instead of reconnecting");
}

#[test]
fn a_stream_made_outside_a_runtime_reports_it_instead_of_panicking() {
    let client = Client::builder().api_key(KEY).base_url("http://127.0.0.1:9").build().unwrap();
    let mut events = client.chat_events();
    let item = futures::executor::block_on(events.next());
    assert!(matches!(item, Some(Err(EventError::NoRuntime))), "{item:?}");
    assert!(futures::executor::block_on(events.next()).is_none());
    assert!(!futures::executor::block_on(events.connected()));
}

#[tokio::test(start_paused = true)]
async fn extreme_settings_work_where_they_mean_never() {
    let server = Server::start(|conn: Conn| async move {
        let mut ws = conn.accept().await;
        ws.send(create("cht_1")).await.unwrap();
        // Silence for a year: with keepalive off, nobody gives up.
        tokio::time::sleep(Duration::from_secs(365 * 86_400)).await;
        ws.send(create("cht_2")).await.unwrap();
        hold(&mut ws).await;
    })
    .await;
    let config = EventsConfig::default()
        .backoff(Duration::from_nanos(1), Duration::MAX)
        .keepalive(Duration::MAX, Duration::MAX)
        .handshake_timeout(Duration::MAX)
        .stable_after(Duration::MAX)
        .max_reconnects(Some(u32::MAX))
        .buffer(invent_api::events::MAX_BUFFER);
    let mut events = server.client().events_with(Feed::Chats, config).unwrap();
    assert_eq!(created_id(&next_event(&mut events).await), "cht_1");
    let second =
        tokio::time::timeout(Duration::from_secs(400 * 86_400), events.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(created_id(&second), "cht_2");
    assert_eq!(events.stats().connections, 1);
    // Invalid settings are refused up front, naming the setting.
    let bad = server.client().events_with(Feed::Chats, EventsConfig::default().buffer(0)).unwrap_err();
    assert!(bad.to_string().contains("events.buffer"), "{bad}");
}

#[tokio::test]
async fn a_connection_refused_is_retried_until_the_server_appears() {
    // Reserve a port, free it: the first attempts are refused at the TCP level.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder().api_key(KEY).base_url(format!("http://{addr}")).limiter(None).build().unwrap();
    let config = EventsConfig::default().backoff(Duration::from_millis(20), Duration::from_millis(40));
    let mut events = client.events_with(Feed::Chats, config).unwrap();
    let waited = Instant::now();
    while events.stats().attempts < 3 {
        assert!(waited.elapsed() < Duration::from_secs(20), "not retried: {:?}", events.stats());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(events.stats().connections, 0);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ").or_else(|| l.strip_prefix("sec-websocket-key: ")))
            .unwrap()
            .trim()
            .to_string();
        let conn_tcp = {
            use tokio::io::AsyncWriteExt;
            tcp.write_all(accept_head(&key).as_bytes()).await.unwrap();
            tcp
        };
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            conn_tcp,
            tokio_tungstenite::tungstenite::protocol::Role::Server,
            None,
        )
        .await;
        ws.send(create("cht_up")).await.unwrap();
        hold(&mut ws).await;
    });
    let gap = gap(next_event(&mut events).await);
    assert!(matches!(gap.cause, Some(Disconnect::Connect(_))), "{:?}", gap.cause);
    assert_eq!(created_id(&next_event(&mut events).await), "cht_up");
    assert!(events.connected().await);
}

#[tokio::test]
async fn a_huge_refusal_body_is_kept_up_to_64_kib() {
    let server = Server::start(|conn: Conn| async move {
        let body = format!("{{\"message\":\"{}\"}}", "x".repeat(100_000));
        conn.refuse(400, "", &body).await;
    })
    .await;
    let mut events = server.client().chat_events();
    let error = next(&mut events).await.unwrap_err();
    let body = error.disconnect().and_then(Disconnect::body).unwrap();
    assert_eq!(body.len(), 64 * 1024);
    assert!(body.starts_with(b"{\"message\":\"xxx"));
    assert!(error.to_string().len() < 1000, "the message shows a preview only");
}

#[tokio::test(start_paused = true)]
async fn a_429_on_the_upgrade_pauses_the_clients_other_calls_too() {
    let server = Server::start(|conn: Conn| async move {
        if conn.upgrade.path == "/orgs/c/assistants" {
            conn.refuse(200, "", "[]").await;
        } else if conn.number == 0 {
            conn.refuse(429, "Retry-After: 5\r\n", "slow down").await;
        } else {
            let mut ws = conn.accept().await;
            hold(&mut ws).await;
        }
    })
    .await;
    let client = Client::builder().api_key(KEY).base_url(&server.base_url).build().unwrap(); // default limiter
    let events = client.chat_events();
    while server.count() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let refused_at = server.upgrades()[0].at;
    // Let the client read the 429 (no virtual time passes while it does).
    tokio::task::yield_now().await;
    while events.stats().attempts == 1 && Instant::now() < refused_at + Duration::from_millis(50) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    client.list_assistants().send().await.unwrap();
    let rest = server.upgrades().into_iter().find(|u| u.path == "/orgs/c/assistants").unwrap();
    let waited = rest.at - refused_at;
    assert!(waited >= Duration::from_secs(5) && waited < Duration::from_millis(5100), "{waited:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stable_connection_resets_the_backoff_and_a_flapping_one_does_not() {
    use std::sync::{Arc, Mutex};
    for (lifetime, stable) in [(Duration::from_secs(20), true), (Duration::ZERO, false)] {
        let closed_at = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&closed_at);
        let server = Server::start(move |conn: Conn| {
            let log = Arc::clone(&log);
            async move {
                let mut ws = conn.accept().await;
                tokio::time::sleep(lifetime).await;
                log.lock().unwrap().push(Instant::now());
                ws.send(close(1001, "bye")).await.unwrap();
                hold(&mut ws).await;
            }
        })
        .await;
        let config = EventsConfig::default()
            .backoff(Duration::from_secs(1), Duration::from_secs(64))
            .stable_after(Duration::from_secs(10));
        let events = server.client().events_with(Feed::Chats, config).unwrap();
        while server.count() < 8 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(events);
        let closes = closed_at.lock().unwrap().clone();
        let upgrades = server.upgrades();
        let delays: Vec<Duration> = (0..7).map(|i| upgrades[i + 1].at - closes[i]).collect();
        eprintln!("lifetime {lifetime:?}: reconnect delays {delays:?}");
        if stable {
            // Every loss follows a stable connection: each wait is the first step, under 1 s.
            assert!(delays.iter().all(|d| *d < Duration::from_secs(1)), "{delays:?}");
        } else {
            // Accept-and-drop counts as failures in a row: ceilings 1, 2, 4 … 64 s.
            for (n, d) in delays.iter().enumerate() {
                assert!(*d < Duration::from_secs(1 << n), "delay {n}: {d:?}");
            }
            assert!(delays[3..].iter().any(|d| *d >= Duration::from_secs(1)), "the backoff grows: {delays:?}");
        }
    }
}
