//! The `invent` binary, run as a process against loopback httpmock servers: pagination, JSON bodies from
//! a file and from stdin, sub-orgs, API errors, 429 retries, configuration errors, the raw `api`
//! passthrough, and a sweep of every subcommand against error and garbage responses.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use httpmock::prelude::*;
use serde_json::{json, Map, Value};

const KEY: &str = "sk_test_cli_0123456789";

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit status\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        assert!(!self.stderr.contains("panicked"), "the binary panicked:\n{}", self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A command for the binary, pointed at `base_url`, with no retries and no client-side limiter (both
/// from the environment, so a test can still pass the flags), and a clean environment otherwise.
fn invent_cmd(base_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invent"));
    cmd.env("INVENT_API_KEY", KEY)
        .env("INVENT_BASE_URL", base_url)
        .env("INVENT_MAX_RETRIES", "0")
        .env("INVENT_NO_RATE_LIMIT", "1")
        .env("INVENT_MAX_RECONNECTS", "0")
        .env_remove("INVENT_ORG")
        .env_remove("INVENT_LIMITER_REDIS_URL")
        .env_remove("INVENT_DRIFT_FILE")
        .env_remove("INVENT_DRIFT_SAMPLE")
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run_cmd(mut cmd: Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn the invent binary");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for invent");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn invent(server: &MockServer, args: &[&str]) -> Run {
    let mut cmd = invent_cmd(&server.base_url());
    cmd.args(args);
    run_cmd(cmd, None)
}

fn assistant(id: &str) -> Value {
    json!({ "id": id, "name": format!("Assistant {id}"), "enabled": true })
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

// ---------------------------------------------------------------------------------------------------
// --record-drift

#[test]
fn record_drift_appends_what_answers_add_to_the_api_description_raw_and_typed() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(200).json_body(json!({"id": "ast_1", "name": "Front desk", "enabled": true, "mood": "calm"}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_busy");
        then.status(409).json_body(json!({"error": "the assistant is busy"}));
    });
    let file = temp_file("record-drift.jsonl", "");
    let path = file.display().to_string();
    let raw = invent(&server, &["get-assistant", "--assistant-id", "ast_1", "--record-drift", &path]);
    assert!(raw.assert_code(0).stdout.contains("\"mood\""), "printed as received: {}", raw.stdout);
    invent(&server, &["--typed", "get-assistant", "--assistant-id", "ast_1", "--record-drift", &path]).assert_code(0);
    invent(&server, &["get-assistant", "--assistant-id", "ast_busy", "--record-drift", &path]).assert_code(3);
    invent(&server, &["get-assistant", "--assistant-id", "ast_1"]).assert_code(0);
    let text = std::fs::read_to_string(&file).expect("the drift file");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let seen: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|l| {
            (l["kind"].as_str().unwrap_or(""), l["name"].as_str().unwrap_or(""), l["status"].as_u64().unwrap_or(0))
        })
        .collect();
    assert_eq!(
        seen,
        [("property-added", "mood", 200), ("property-added", "mood", 200), ("status-undeclared", "", 409)],
        "one line per run and finding; nothing without the flag:\n{text}"
    );
    assert_eq!(lines[0]["schema"], "/components/schemas/Assistant");
    for value in ["calm", "Front desk", "busy"] {
        assert!(!text.contains(value), "the value `{value}` is in the drift file:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Help and the command tree

#[test]
fn help_lists_every_operation() {
    let server = MockServer::start();
    let run = invent(&server, &["--help"]);
    run.assert_code(0);
    let ops = invent_api::operations();
    assert_eq!(ops.len(), spec_operation_count(), "operation table vs vendored spec");
    for op in ops {
        let name = op.id.replace('_', "-");
        assert!(
            run.stdout.lines().any(|l| l.split_whitespace().next() == Some(name.as_str())),
            "`invent --help` does not list `{name}`:\n{}",
            run.stdout
        );
    }
    // One subcommand per operation, plus `api` (and clap's `help`).
    let tree = invent_cli::command();
    let names: Vec<&str> =
        tree.get_subcommands().map(|c| c.get_name()).filter(|n| !["api", "completions"].contains(n)).collect();
    assert_eq!(names.len(), ops.len(), "{names:?}");
    assert!(run.stdout.contains("\n  api"), "`api` missing from help");
    assert!(run.stdout.contains("\n  completions"), "`completions` missing from help");
    for status in
        ["0 success", "2 usage", "3 the API answered 4xx", "4 the API answered 5xx", "5 transport", "6 decode"]
    {
        assert!(run.stdout.contains(status), "`invent --help` does not document exit status `{status}`");
    }
    assert!(invent_cli::operations_without_hook().is_empty(), "{:?}", invent_cli::operations_without_hook());
    // Every GET list operation takes --paginate.
    let paginated = invent_cli::paginated_subcommands();
    assert!(paginated.contains(&"list-assistants".to_string()), "{paginated:?}");
    assert!(!paginated.contains(&"get-assistant".to_string()));
}

#[test]
fn command_tree_passes_clap_debug_asserts() {
    invent_cli::command().debug_assert();
}

fn spec_operation_count() -> usize {
    let spec = lowered_spec();
    let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| methods.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

// ---------------------------------------------------------------------------------------------------
// The must-show scenarios

#[test]
fn list_with_paginate_fetches_three_pages() {
    let server = MockServer::start();
    let items: Vec<Value> = (1..=250).map(|i| assistant(&format!("ast_{i}"))).collect();
    let mocks: Vec<_> = items
        .chunks(100)
        .enumerate()
        .map(|(i, page)| {
            let number = (i + 1).to_string();
            let body = Value::Array(page.to_vec());
            server.mock(|when, then| {
                when.method(GET)
                    .path("/orgs/c/assistants")
                    .query_param("page", &number)
                    .query_param("take", "100")
                    .header("authorization", format!("Bearer {KEY}"));
                then.status(200)
                    .header("pagination-count", "250")
                    .header("pagination-page", &number)
                    .header("pagination-take", "100")
                    .json_body(body);
            })
        })
        .collect();

    let run = invent(&server, &["list-assistants", "--paginate"]);
    run.assert_code(0);
    let all = run.json();
    let all = all.as_array().expect("a JSON array");
    assert_eq!(all.len(), 250);
    assert_eq!(all[0]["id"], "ast_1");
    assert_eq!(all[249]["id"], "ast_250");
    for mock in &mocks {
        mock.assert_calls(1);
    }

    // JSON lines: one item per line, same items.
    let run = invent(&server, &["list-assistants", "--paginate", "--jsonl"]);
    run.assert_code(0);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 250);
    assert_eq!(lines[100]["id"], "ast_101");
    for mock in &mocks {
        mock.assert_calls(2);
    }
}

#[test]
fn list_without_paginate_is_one_page_and_table_output_aligns_columns() {
    let server = MockServer::start();
    let page = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants").query_param("take", "2");
        then.status(200).header("pagination-count", "9").json_body(json!([
            { "id": "ast_1", "name": "Support", "enabled": true, "actions": [] },
            { "id": "ast_22", "name": "Sales", "enabled": false },
        ]));
    });
    let run = invent(&server, &["list-assistants", "--take", "2", "--output", "table"]);
    run.assert_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        ["ID      NAME     ENABLED", "ast_1   Support  true", "ast_22  Sales    false"],
        "{}",
        run.stdout
    );
    page.assert_calls(1);
}

#[test]
fn create_with_json_body_from_a_file_and_from_stdin() {
    let server = MockServer::start();
    let create = server.mock(|when, then| {
        when.method(POST)
            .path("/orgs/c/assistants")
            .header("content-type", "application/json")
            .json_body(json!({ "name": "Support bot", "enabled": true }));
        then.status(200).json_body(assistant("ast_new"));
    });
    let body = r#"{ "name": "Support bot", "enabled": true }"#;

    let file = temp_file("assistant.json", body);
    let run = invent(&server, &["create-assistant", "--json-body", file.to_str().expect("utf-8 path")]);
    run.assert_code(0);
    assert_eq!(run.json()["id"], "ast_new");

    let mut cmd = invent_cmd(&server.base_url());
    cmd.args(["create-assistant", "--json-body", "-"]);
    let run = run_cmd(cmd, Some(body));
    run.assert_code(0);
    assert_eq!(run.json()["id"], "ast_new");
    create.assert_calls(2);

    // Field flags build the same body without a file.
    let run = invent(&server, &["create-assistant", "--name", "Support bot", "--enabled", "true"]);
    run.assert_code(0);
    create.assert_calls(3);

    // A body that is not JSON is a usage error, named after stdin, and nothing is sent.
    let mut cmd = invent_cmd(&server.base_url());
    cmd.args(["create-assistant", "--json-body", "-"]);
    let run = run_cmd(cmd, Some("{ not json"));
    run.assert_code(2);
    assert!(run.stderr.contains("stdin"), "{}", run.stderr);
    assert!(!run.stderr.contains("invent-stdin-"), "temporary path leaked: {}", run.stderr);
    create.assert_calls(3);
}

#[test]
fn org_flag_and_env_scope_the_path_to_a_sub_org() {
    let server = MockServer::start();
    let sub = server.mock(|when, then| {
        when.method(GET).path("/orgs/org_x/assistants/ast_1");
        then.status(200).json_body(assistant("ast_1"));
    });
    let parent = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(200).json_body(assistant("ast_1"));
    });
    invent(&server, &["--org", "org_x", "get-assistant", "--assistant-id", "ast_1"]).assert_code(0);
    // Global flags also work after the subcommand.
    invent(&server, &["get-assistant", "--assistant-id", "ast_1", "--org", "org_x"]).assert_code(0);
    let mut cmd = invent_cmd(&server.base_url());
    cmd.env("INVENT_ORG", "org_x").args(["get-assistant", "--assistant-id", "ast_1"]);
    run_cmd(cmd, None).assert_code(0);
    sub.assert_calls(3);
    invent(&server, &["get-assistant", "--assistant-id", "ast_1"]).assert_code(0);
    parent.assert_calls(1);
}

#[test]
fn not_found_exits_3_with_status_and_body_on_stderr() {
    let server = MockServer::start();
    let missing = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_404");
        then.status(404).json_body(json!({ "message": "Assistant not found", "code": "not_found" }));
    });
    let run = invent(&server, &["get-assistant", "--assistant-id", "ast_404"]);
    run.assert_code(3);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("404 Not Found"), "{}", run.stderr);
    assert!(run.stderr.contains(r#""message":"Assistant not found""#), "{}", run.stderr);
    assert!(run.stderr.contains("get-assistant"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{}", run.stderr);
    missing.assert_calls(1);
}

#[test]
fn rate_limited_then_success_is_retried_and_exits_0() {
    let server = MockServer::start();
    let limited = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(429).header("retry-after", "0").json_body(json!({ "message": "Too many requests" }));
    });
    limited.up_to_n_times(1);
    let ok = server.mock(|when, then| {
        when.method(GET).path("/orgs/c/assistants/ast_1");
        then.status(200).json_body(assistant("ast_1"));
    });
    let run = invent(&server, &["--max-retries", "2", "get-assistant", "--assistant-id", "ast_1"]);
    run.assert_code(0);
    assert_eq!(run.json()["id"], "ast_1");
    limited.assert_calls(1);
    ok.assert_calls(1);
}

#[test]
fn rate_limited_without_retries_exits_3() {
    let server = MockServer::start();
    let limited = server.mock(|when, then| {
        when.any_request();
        then.status(429).header("retry-after", "0").body("slow down");
    });
    let run = invent(&server, &["get-assistant", "--assistant-id", "ast_1"]);
    run.assert_code(3);
    assert!(run.stderr.contains("429 Too Many Requests") && run.stderr.contains("slow down"), "{}", run.stderr);
    limited.assert_calls(1);
}

#[test]
fn missing_or_empty_key_exits_2_naming_the_variable() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    for key in [None, Some("  ")] {
        let mut cmd = invent_cmd(&server.base_url());
        match key {
            None => cmd.env_remove("INVENT_API_KEY"),
            Some(k) => cmd.env("INVENT_API_KEY", k),
        };
        cmd.args(["list-assistants"]);
        let run = run_cmd(cmd, None);
        run.assert_code(2);
        assert!(run.stderr.contains("INVENT_API_KEY"), "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one clear message: {}", run.stderr);
    }
    any.assert_calls(0);
}

#[test]
fn usage_and_configuration_errors_exit_2() {
    let server = MockServer::start();
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!({}));
    });
    for args in [
        &["get-assistant"][..],                                         // missing required argument
        &["no-such-command"],                                           // unknown subcommand
        &["list-assistants", "--take", "many"],                         // bad value
        &["--output", "xml", "list-assistants"],                        // bad global value
        &["--max-retries", "99", "list-assistants"],                    // out of range
        &["--base-url", "http://example.com", "list-assistants"],       // plain http off loopback
        &["create-assistant", "--json-body", "/nonexistent/body.json"], // unreadable body file
        &["api", "GET", "/orgs/c/x", "--query", "novalue"],             // bad --query
        &[],                                                            // no subcommand
    ] {
        let run = invent(&server, args);
        run.assert_code(2);
        assert!(!run.stderr.trim().is_empty(), "{args:?}: no message");
    }
    any.assert_calls(0);
}

#[test]
fn transport_failure_exits_5() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let mut cmd = invent_cmd(&url);
    cmd.args(["get-assistant", "--assistant-id", "ast_1"]);
    let run = run_cmd(cmd, None);
    run.assert_code(5);
    assert!(run.stderr.starts_with("error: get-assistant"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------------
// Raw passthrough

#[test]
fn api_passthrough_get_with_query_and_org() {
    let server = MockServer::start();
    let undocumented = server.mock(|when, then| {
        when.method(GET)
            .path("/orgs/org_x/whatever")
            .query_param("a", "1")
            .query_param("b", "two words")
            .header("authorization", format!("Bearer {KEY}"))
            .header("x-extra", "yes");
        then.status(200).json_body(json!([{ "id": "w_1", "size": 3 }]));
    });
    let run = invent(
        &server,
        &[
            "--org",
            "org_x",
            "api",
            "get",
            "/orgs/c/whatever",
            "--query",
            "a=1",
            "-q",
            "b=two words",
            "-H",
            "X-Extra: yes",
        ],
    );
    run.assert_code(0);
    assert_eq!(run.json(), json!([{ "id": "w_1", "size": 3 }]));
    let run = invent(
        &server,
        &[
            "--org",
            "org_x",
            "--output",
            "table",
            "api",
            "GET",
            "/orgs/c/whatever",
            "-q",
            "a=1",
            "-q",
            "b=two words",
            "-H",
            "x-extra: yes",
        ],
    );
    run.assert_code(0);
    assert_eq!(run.stdout, "ID   SIZE\nw_1  3\n");
    undocumented.assert_calls(2);
}

#[test]
fn api_passthrough_body_from_stdin_non_json_response_and_errors() {
    let server = MockServer::start();
    let post = server.mock(|when, then| {
        when.method(POST).path("/orgs/c/things").json_body(json!({ "name": "x" }));
        then.status(201).body("created, no JSON");
    });
    let failing = server.mock(|when, then| {
        when.method(DELETE).path("/orgs/c/things/t_1");
        then.status(409).body("<html>conflict</html>");
    });
    let mut cmd = invent_cmd(&server.base_url());
    cmd.args(["api", "POST", "/orgs/c/things", "--body", "-"]);
    let run = run_cmd(cmd, Some(r#"{"name":"x"}"#));
    run.assert_code(0);
    assert_eq!(run.stdout, "created, no JSON");
    post.assert_calls(1);

    let run = invent(&server, &["api", "DELETE", "/orgs/c/things/t_1"]);
    run.assert_code(3);
    assert!(run.stderr.contains("409 Conflict") && run.stderr.contains("<html>conflict</html>"), "{}", run.stderr);
    failing.assert_calls(1);
}

// ---------------------------------------------------------------------------------------------------
// No subcommand panics, whatever the server answers

/// Answers that must never make a subcommand panic, with the exit status they must give: as received
/// (the default) and with `--typed` (which cannot decode a body that is not the promised JSON).
const HOSTILE_ANSWERS: [(u16, &str, i32, i32); 4] = [
    (500, "<html><body>Internal Server Error</body></html>", 4, 4),
    (200, "this is not JSON", 0, 6),
    (404, "", 3, 3),
    (200, "{\"unexpected\": [1, 2, 3]", 0, 6),
];

#[test]
fn every_subcommand_survives_error_and_garbage_responses() {
    let tree = invent_cli::command();
    let lowered = lowered_spec();
    let invocations: Vec<(String, Vec<String>)> = tree
        .get_subcommands()
        .filter(|c| !["help", "completions"].contains(&c.get_name()))
        .map(|sub| (sub.get_name().to_string(), dummy_args(&tree, sub, &lowered)))
        .collect();
    assert_eq!(invocations.len(), invent_api::operations().len() + 1);

    for (status, body, as_received, typed) in HOSTILE_ANSWERS {
        let server = MockServer::start();
        let any = server.mock(|when, then| {
            when.any_request();
            then.status(status).header("content-type", "text/html").body(body);
        });
        for ((name, args), mode) in invocations.iter().flat_map(|i| [(i, "as received"), (i, "typed")]) {
            let mut cmd = invent_cmd(&server.base_url());
            if mode == "typed" {
                cmd.arg("--typed");
            }
            cmd.arg(name).args(args);
            let run = run_cmd(cmd, None);
            let expected = match (name.as_str(), status) {
                // `invent api` prints any success body as is.
                ("api", 200) => 0,
                // A 200 where the upgrade's 101 should be: the server does not speak WebSocket there.
                (watch, 200) if watch.starts_with("watch-") => 6,
                _ if mode == "typed" => typed,
                _ => as_received,
            };
            assert!(
                !run.stderr.contains("panicked"),
                "`invent {name} {}` panicked on {status}:\n{}",
                args.join(" "),
                run.stderr
            );
            assert_eq!(
                run.code,
                expected,
                "`invent {name} {}` on {status} {body:?}\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                run.stdout,
                run.stderr
            );
            if expected != 0 {
                // One error message first (the server's body may follow it), no log lines by default.
                assert!(run.stderr.starts_with("error: "), "`invent {name}`: {}", run.stderr);
                assert_eq!(run.stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1, "{}", run.stderr);
            }
        }
        // Every invocation reached the server exactly once (no retries, nothing stopped early).
        any.assert_calls(2 * invocations.len());
    }
}

/// Arguments that make `sub` parse: every required argument (found by asking clap what is missing)
/// gets a dummy value it accepts, and a command with a JSON body gets a minimal valid body file built
/// from the operation's request schema.
fn dummy_args(tree: &clap::Command, sub: &clap::Command, lowered: &Value) -> Vec<String> {
    let name = sub.get_name().to_string();
    if name == "api" {
        return vec!["GET".into(), "/orgs/c/anything".into()];
    }
    let mut args: Vec<String> = Vec::new();
    if sub.get_arguments().any(|a| a.get_id() == "json-body") {
        let body = minimal_body(lowered, &name);
        let file = temp_file(&format!("{name}.json"), &body.to_string());
        args.push("--json-body".into());
        args.push(file.display().to_string());
    }
    for _ in 0..64 {
        let error = match parse(tree, &name, &args) {
            Ok(()) => return args,
            Err(error) => error,
        };
        assert_eq!(error.kind(), ErrorKind::MissingRequiredArgument, "{name} {args:?}: {error}");
        let Some(ContextValue::Strings(missing)) = error.get(ContextKind::InvalidArg) else {
            panic!("{name}: clap did not say what is missing: {error}");
        };
        for spelled in missing.clone() {
            let long = spelled.trim_start_matches("--").split([' ', '=']).next().unwrap_or_default().to_string();
            let arg = sub
                .get_arguments()
                .find(|a| a.get_long() == Some(long.as_str()))
                .unwrap_or_else(|| panic!("{name}: no argument --{long}"));
            let value =
                dummy_value(tree, &name, &args, arg).unwrap_or_else(|| panic!("{name}: no dummy value for --{long}"));
            args.push(format!("--{long}"));
            args.push(value);
        }
    }
    panic!("{name}: could not satisfy the required arguments ({args:?})");
}

/// Parses `invent <name> <args>` with the whole tree (global flags included).
fn parse(tree: &clap::Command, name: &str, args: &[String]) -> Result<(), clap::Error> {
    let argv = ["invent".to_string(), name.to_string()].into_iter().chain(args.iter().cloned());
    tree.clone().try_get_matches_from(argv).map(|_| ())
}

/// The first candidate value clap accepts for `arg` (possible values first).
fn dummy_value(tree: &clap::Command, name: &str, args: &[String], arg: &clap::Arg) -> Option<String> {
    let long = format!("--{}", arg.get_long()?);
    let possible = arg.get_possible_values().into_iter().map(|v| v.get_name().to_string());
    let fixed =
        ["dummy_1", "1", "true", "2024-01-01T00:00:00Z", "00000000-0000-4000-8000-000000000000"].map(String::from);
    possible.chain(fixed).find(|candidate| {
        let mut trial = args.to_vec();
        trial.extend([long.clone(), candidate.clone()]);
        match parse(tree, name, &trial) {
            Ok(()) => true,
            Err(e) => !matches!(e.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue),
        }
    })
}

/// The 3.0 document progenitor generated from (written by invent-api's build.rs).
fn lowered_spec() -> Value {
    let path = env!("INVENT_LOWERED_SPEC");
    serde_json::from_str(&std::fs::read_to_string(path).expect("lowered spec")).expect("lowered spec JSON")
}

/// A minimal instance of the request body schema of the operation behind subcommand `name`.
fn minimal_body(spec: &Value, name: &str) -> Value {
    let wanted = name.replace('-', "");
    for item in spec["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("path item").values() {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default();
            if id.to_lowercase().replace(['_', '-'], "") == wanted {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                return minimal(spec, schema, 0);
            }
        }
    }
    json!({})
}

fn minimal(spec: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        return minimal(spec, spec.pointer(pointer).unwrap_or(&Value::Null), depth + 1);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.first().cloned().unwrap_or(Value::Null);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|v| v.first()) {
            return minimal(spec, first, depth + 1);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(obj) = minimal(spec, part, depth + 1) {
                merged.extend(obj);
            }
        }
        return Value::Object(merged);
    }
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2024-01-01T00:00:00Z"),
            Some("date") => json!("2024-01-01"),
            Some("uuid") => json!("00000000-0000-4000-8000-000000000000"),
            Some("email") => json!("a@example.com"),
            Some("uri") | Some("url") => json!("https://example.com"),
            _ => json!("x".repeat(number("minLength").unwrap_or(1.0).max(1.0) as usize)),
        },
        Some("integer") => json!(number("minimum").unwrap_or(1.0).max(1.0) as i64),
        Some("number") => json!(number("minimum").unwrap_or(1.0).max(1.0)),
        Some("boolean") => json!(true),
        Some("array") => {
            let count = number("minItems").unwrap_or(0.0) as usize;
            Value::Array((0..count).map(|_| minimal(spec, &schema["items"], depth + 1)).collect())
        }
        _ => {
            let mut obj = Map::new();
            let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
            for key in required.iter().filter_map(Value::as_str) {
                obj.insert(key.to_string(), minimal(spec, &schema["properties"][key], depth + 1));
            }
            Value::Object(obj)
        }
    }
}
