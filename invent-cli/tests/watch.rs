//! `invent watch-org-chats` against the local mock Invent: the subcommand opens the org's event socket
//! and prints one JSON line per event as it arrives; a refused upgrade exits 3 (a 4xx) with the status;
//! `--max-reconnects` caps reconnects apart from `--max-retries`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use invent_api::mock::server::MockInvent;
use invent_api::types;

fn watch(mock: &MockInvent, key: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_invent"))
        .arg("watch-org-chats")
        .env("INVENT_API_KEY", key)
        .env("INVENT_BASE_URL", mock.base_url())
        .env("INVENT_MAX_RETRIES", "0")
        .env("INVENT_NO_RATE_LIMIT", "1")
        .env_remove("INVENT_ORG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the invent binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_one_json_line_per_event() {
    let mock = MockInvent::start().await;
    let mut child = watch(&mock, mock.api_key());
    // The socket is open once the mock counts it.
    let opened = Instant::now();
    while mock.event_sockets() == 0 {
        assert!(opened.elapsed() < Duration::from_secs(20), "the watch never opened its socket");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = mock.client();
    let channel = types::CreateContactRequestChannel {
        name: Some("Ada".into()),
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    let body = types::CreateContactRequest { channel: Some(channel), ..Default::default() };
    let contact = client.create_contact().body(body).send().await.expect("contact created").into_inner();
    let channel = contact.channels.iter().find_map(|c| c.id.clone()).expect("a channel");
    let body = types::CreateContactChannelChatRequest { title: Some("Parcel lost".into()), ..Default::default() };
    let created = client
        .create_contact_channel_chat()
        .contact_id(&contact.id)
        .channel_id(&channel)
        .body(body)
        .send()
        .await
        .expect("chat created")
        .into_inner();

    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(20), line).await.expect("an event line").unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let event: serde_json::Value = serde_json::from_str(&line).expect("one JSON value per line");
    assert_eq!(event["event"], "chat_created", "{line}");
    assert_eq!(event["chat"]["id"].as_str(), created.id.as_deref(), "{line}");
    assert_eq!(event["chat"]["title"], "Parcel lost");
    assert!(line.ends_with('\n') && line.trim_end().lines().count() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_exits_3_with_the_status() {
    let mock = MockInvent::start().await;
    let child = watch(&mock, "sk_wrong_key_0123456789");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.starts_with("error: watch-org-chats (GET /orgs/{org_id}/chats/ws): "), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// `--max-reconnects N`: N reconnects after the first attempt, whatever `--max-retries` says (0 here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_reconnects_caps_reconnects_apart_from_max_retries() {
    let server = httpmock::MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(503).header("retry-after", "0").body("down for maintenance");
        })
        .await;
    let output = tokio::task::spawn_blocking({
        let base_url = server.base_url();
        move || {
            Command::new(env!("CARGO_BIN_EXE_invent"))
                .args(["--max-retries", "0", "--max-reconnects", "2", "watch-org-chats"])
                .env("INVENT_API_KEY", "sk_test_watch_0123456789")
                .env("INVENT_BASE_URL", base_url)
                .env("INVENT_NO_RATE_LIMIT", "1")
                .env_remove("INVENT_MAX_RECONNECTS")
                .env_remove("INVENT_ORG")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .output()
                .expect("run the invent binary")
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "a 5xx: {stderr}");
    assert!(stderr.contains("503"), "{stderr}");
    unavailable.assert_calls_async(3).await;
}
