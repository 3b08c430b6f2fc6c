//! What the `invent` binary prints and how it exits: answers as received (unknown fields and key order
//! kept; `--typed` decodes), `-v` and `RUST_LOG` logging, one exit status per kind of failure, shell
//! completions, and server text escaped on a terminal (run under `script`, which gives it a pty).

use std::process::{Command, Stdio};

use httpmock::prelude::*;
use serde_json::{json, Value};

const KEY: &str = "sk_test_cli_0123456789";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

fn invent_cmd(base_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invent"));
    cmd.env("INVENT_API_KEY", KEY)
        .env("INVENT_BASE_URL", base_url)
        .env("INVENT_MAX_RETRIES", "0")
        .env("INVENT_NO_RATE_LIMIT", "1")
        .env_remove("INVENT_ORG")
        .env_remove("INVENT_MAX_RECONNECTS")
        .env_remove("INVENT_LIMITER_REDIS_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run the invent binary");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn invent(server: &MockServer, args: &[&str]) -> Run {
    let mut cmd = invent_cmd(&server.base_url());
    cmd.args(args);
    run(cmd)
}

/// An assistant with a field the spec does not know, and keys in an order serde would not pick.
const ASSISTANT: &str =
    r#"{"name":"Support","id":"ast_1","enabled":true,"brand_new_field":{"z":1,"a":[true]},"config":{}}"#;

#[test]
fn answers_are_printed_as_received_and_typed_on_request() {
    let server = MockServer::start();
    let get = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(200).header("content-type", "application/json").body(ASSISTANT);
    });
    let shown = invent(&server, &["get-assistant", "--assistant-id", "ast_1"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert_eq!(shown.stdout, format!("{ASSISTANT}\n"), "byte for byte when not a terminal");

    let typed = invent(&server, &["--typed", "get-assistant", "--assistant-id", "ast_1"]);
    assert_eq!(typed.code, 0, "{typed:?}");
    let value: Value = serde_json::from_str(&typed.stdout).expect("JSON");
    assert_eq!(value["id"], "ast_1");
    assert!(value.get("brand_new_field").is_none(), "--typed keeps only what the spec knows: {value}");
    get.assert_calls(2);

    // Tables and JSON lines come from the answer too, so the unknown field is a column.
    let list = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants");
        then.status(200).header("content-type", "application/json").body(format!("[{ASSISTANT}]"));
    });
    let table = invent(&server, &["list-assistants", "--output", "table"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert!(table.stdout.starts_with("ID     NAME     ENABLED"), "{table:?}");
    let lines = invent(&server, &["list-assistants", "--jsonl"]);
    let line: Value = serde_json::from_str(lines.stdout.trim()).expect("one JSON line");
    assert_eq!(line["brand_new_field"], json!({ "z": 1, "a": [true] }));
    list.assert_calls(2);
}

#[test]
fn paginate_prints_every_page_as_received() {
    let server = MockServer::start();
    let pages = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/contacts");
        then.respond_with(|request: &HttpMockRequest| {
            let page: usize =
                request.query_params().iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
            let items: Vec<Value> = (0..2usize)
                .filter(|i| (page - 1) * 2 + i < 3)
                .map(|i| json!({ "id": format!("ctc_{}", (page - 1) * 2 + i), "extra": page }))
                .collect();
            HttpMockResponse::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("pagination-count", "3")
                .body(serde_json::to_vec(&items).unwrap_or_default())
                .build()
        });
    });
    let shown = invent(&server, &["list-contacts", "--paginate", "--take", "2"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    let all: Vec<Value> = serde_json::from_str(&shown.stdout).expect("one array");
    assert_eq!(
        all.iter().map(|c| c["id"].clone()).collect::<Vec<_>>(),
        [json!("ctc_0"), json!("ctc_1"), json!("ctc_2")]
    );
    assert_eq!(all[2]["extra"], 2, "unknown fields kept on every page");
    pages.assert_calls(2);
}

#[test]
fn each_kind_of_failure_has_its_exit_status() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.path("/orgs/c/assistants/ast_400");
        then.status(400).json_body(json!({ "message": "bad" }));
    });
    server.mock(|when, then| {
        when.path("/orgs/c/assistants/ast_502");
        then.status(502).body("bad gateway");
    });
    server.mock(|when, then| {
        when.path("/orgs/c/assistants/ast_garbage");
        then.status(200).header("content-type", "application/json").body(r#"{"id": 5}"#);
    });
    let get = |id: &str, typed: bool| {
        let mut args = vec!["get-assistant", "--assistant-id", id];
        if typed {
            args.insert(0, "--typed");
        }
        invent(&server, &args)
    };
    assert_eq!(get("ast_400", false).code, 3, "4xx");
    assert_eq!(get("ast_502", false).code, 4, "5xx");
    let decode = get("ast_garbage", true);
    assert_eq!(decode.code, 6, "{decode:?}");
    assert!(decode.stderr.contains("does not match the API description"), "{decode:?}");
    assert_eq!(get("ast_garbage", false).code, 0, "as received, nothing to decode");
    assert_eq!(invent(&server, &["get-assistant"]).code, 2, "usage (clap)");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let mut cmd = invent_cmd(&closed);
    cmd.args(["get-assistant", "--assistant-id", "ast_1"]);
    let transport = run(cmd);
    assert_eq!(transport.code, 5, "{transport:?}");
    assert_eq!(transport.stderr.lines().count(), 1, "one message, no log noise by default: {transport:?}");
}

/// One run against a server that answers a 429 once, then the assistant; the client-side limiter on
/// and `INVENT_LIMITER_REDIS_URL` set (this build has no `redis` feature, which it warns about).
fn limited_once(args: &[&str], rust_log: Option<&str>) -> Run {
    let server = MockServer::start();
    let limited = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(429).header("retry-after", "0").json_body(json!({ "message": "slow down" }));
    });
    limited.up_to_n_times(1);
    server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(200).header("content-type", "application/json").body(ASSISTANT);
    });
    let mut cmd = invent_cmd(&server.base_url());
    cmd.env_remove("INVENT_NO_RATE_LIMIT").env("INVENT_LIMITER_REDIS_URL", "redis://127.0.0.1:1/");
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    cmd.args(["--max-retries", "1"]).args(args).args(["get-assistant", "--assistant-id", "ast_1"]);
    let done = run(cmd);
    assert_eq!(done.code, 0, "{done:?}");
    limited.assert_calls(1);
    done
}

#[test]
fn verbose_shows_the_limiter_and_redis_messages() {
    let quiet = limited_once(&[], None);
    assert!(quiet.stderr.contains("Redis unusable"), "Redis's warning is shown by default: {quiet:?}");
    assert!(!quiet.stderr.contains("429: slowing down"), "info is not: {quiet:?}");

    let verbose = limited_once(&["-v"], None);
    assert!(verbose.stderr.contains("429: slowing down"), "the limiter's message: {verbose:?}");
    assert!(verbose.stderr.contains("Redis unusable"), "{verbose:?}");
    assert!(!verbose.stderr.contains("DEBUG"), "{verbose:?}");

    let debug = limited_once(&["-vv"], None);
    assert!(debug.stderr.contains("DEBUG"), "-vv: debug: {debug:?}");
    let filtered = limited_once(&["-vv"], Some("error"));
    assert!(!filtered.stderr.contains("DEBUG") && !filtered.stderr.contains("WARN"), "RUST_LOG wins: {filtered:?}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    let server = MockServer::start();
    let bash = invent(&server, &["completions", "bash"]);
    assert_eq!(bash.code, 0, "{bash:?}");
    assert!(bash.stdout.contains("_invent()") && bash.stdout.contains("complete -F _invent"), "{bash:?}");
    assert!(bash.stdout.contains("list-assistants") && bash.stdout.contains("--max-reconnects"));
    // Each shell gets its own kind of script.
    for (shell, marker) in [
        ("zsh", "#compdef invent"),
        ("fish", "complete -c invent"),
        ("elvish", "edit:completion:arg-completer[invent]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = invent(&server, &["completions", shell]);
        assert_eq!(script.code, 0, "{shell}: {script:?}");
        assert!(script.stdout.contains(marker) && script.stdout.contains("list-assistants"), "{shell}: {script:?}");
    }
    assert_eq!(invent(&server, &["completions", "tcsh"]).code, 2, "an unknown shell is a usage error");
}

/// Runs `invent args…` under `script`, so stdout and stderr are a terminal; returns what it printed.
fn on_a_terminal(server: &MockServer, args: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_invent"));
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .env("INVENT_API_KEY", KEY)
        .env("INVENT_BASE_URL", server.base_url())
        .env("INVENT_MAX_RETRIES", "0")
        .env("INVENT_NO_RATE_LIMIT", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().expect("`script` (util-linux) runs the binary on a pty");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn server_text_is_escaped_on_a_terminal_and_kept_when_piped() {
    let hostile = "{\"id\":\"ast_1\",\"name\":\"\\u001b]0;owned\\u0007\u{9b}31mred\u{7f}\"}";
    let server = MockServer::start();
    server.mock(|when, then| {
        when.path("/orgs/c/assistants/ast_1");
        then.status(200).header("content-type", "application/json").body(hostile);
    });
    server.mock(|when, then| {
        when.path("/orgs/c/assistants/ast_2");
        then.status(404).body("\u{1b}[2J\u{1b}]0;pwned\u{7}not found\r\n");
    });
    let shown = on_a_terminal(&server, "get-assistant --assistant-id ast_1");
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{9b}') && !shown.contains('\u{7f}'), "{shown:?}");
    assert!(shown.contains("\\u009b31mred\\u007f"), "{shown:?}");
    let value: Value = serde_json::from_str(shown.trim()).expect("still valid JSON");
    assert_eq!(value["name"], "\u{1b}]0;owned\u{7}\u{9b}31mred\u{7f}", "the same value");

    let error = on_a_terminal(&server, "get-assistant --assistant-id ast_2");
    assert!(error.contains("404"), "{error:?}");
    assert!(!error.contains('\u{1b}') && !error.contains('\u{7}'), "{error:?}");
    assert!(error.contains("\\u{1b}[2J\\u{1b}]0;pwned\\u{07}not found"), "{error:?}");

    // Piped, the bytes are the server's (a program reading them gets them unchanged).
    let piped = invent(&server, &["get-assistant", "--assistant-id", "ast_1"]);
    assert_eq!(piped.stdout, format!("{hostile}\n"));
    let piped = invent(&server, &["get-assistant", "--assistant-id", "ast_2"]);
    assert!(piped.stderr.contains("\u{1b}[2J"), "{piped:?}");
}
