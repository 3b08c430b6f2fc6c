//! `invent-spec update` and `check` against a loopback HTTP server started by the test (a std
//! `TcpListener` thread serving fixed responses). Each test works on a copy of the vendored spec in a
//! temp dir; on failure nothing may be written (bytes and mtime unchanged, no new files).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde_json::{json, Value};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn vendored_text() -> String {
    std::fs::read_to_string(format!("{ROOT}/openapi.json")).expect("read openapi.json")
}

fn vendored() -> Value {
    serde_json::from_str(&vendored_text()).unwrap()
}

/// Serves `routes` (path → status, body) on 127.0.0.1 until the test process ends; returns the base URL.
fn serve(routes: Vec<(&'static str, u16, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes: BTreeMap<&str, (u16, Vec<u8>)> = routes.into_iter().map(|(p, s, b)| (p, (s, b))).collect();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = routes.get(path.as_str()).cloned().unwrap_or((404, b"not found".to_vec()));
            let reason = if status == 200 {
                "OK"
            } else if status == 404 {
                "Not Found"
            } else {
                "Error"
            };
            let head = format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
    });
    base
}

/// A port nothing listens on.
fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/openapi.json")
}

/// A temp dir holding copies of `openapi.json` and `spec-overrides.json` (when the repo has one).
fn workdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "invent-spec-upd-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(format!("{ROOT}/openapi.json"), dir.join("openapi.json")).unwrap();
    let overrides = format!("{ROOT}/spec-overrides.json");
    if Path::new(&overrides).is_file() {
        std::fs::copy(&overrides, dir.join("spec-overrides.json")).unwrap();
    }
    dir
}

/// Names, bytes and mtimes of every file in `dir`.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            (e.file_name().to_string_lossy().into_owned(), (std::fs::read(e.path()).unwrap(), meta.modified().unwrap()))
        })
        .collect()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invent-spec"));
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        cmd.env_remove(var);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost");
    let out = cmd.args(args).output().expect("run invent-spec");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line(stderr: &str) {
    assert_eq!(stderr.trim_end().lines().count(), 1, "expected one line on stderr, got:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn with_new_operation() -> Value {
    let mut doc = vendored();
    doc["paths"]["/orgs/{org_id}/widgets"] = json!({"get": {
        "operationId": "listWidgets",
        "x-invent-evidence": "documented",
        "parameters": [{"name": "org_id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}}
    }});
    doc
}

#[test]
fn update_writes_a_valid_spec_and_refreshes_the_surface() {
    let new = with_new_operation();
    // Served minified: the vendored file is written pretty-printed all the same.
    let base = serve(vec![("/openapi.json", 200, serde_json::to_vec(&new).unwrap())]);
    let dir = workdir("valid");
    let spec = dir.join("openapi.json");
    let (code, out, err) = run(&["update", "--url", &format!("{base}/openapi.json"), "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    assert_eq!(written, new);
    assert!(std::fs::read_to_string(&spec).unwrap().starts_with("{\n"), "pretty-printed");
    let surface = std::fs::read_to_string(dir.join("api-surface.txt")).expect("surface snapshot written");
    assert!(surface.contains("GET\t/orgs/{org_id}/widgets\tlistWidgets\tlist_widgets\tdocumented\n"), "{surface}");
    assert_eq!(
        surface.lines().count(),
        new["paths"].as_object().unwrap().values().map(|i| i.as_object().unwrap().len()).sum::<usize>()
    );
    // The report (old vs new) is printed.
    assert!(out.contains("listWidgets") && out.contains("operation added"), "{out}");
    // No temp files left behind.
    let names: Vec<String> = snapshot(&dir).into_keys().collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");

    // Markdown report on request; running again is a no-op for the spec.
    let before = snapshot(&dir);
    let (code, out, err) = run(&[
        "update",
        "--url",
        &format!("{base}/openapi.json"),
        "--spec",
        spec.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("up to date"), "{err}");
    assert!(out.starts_with("## OpenAPI changes"), "{out}");
    assert_eq!(snapshot(&dir), before, "an up-to-date spec is not rewritten");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn update_writes_nothing_on_failure() {
    let mut swagger = vendored();
    swagger.as_object_mut().unwrap().remove("openapi");
    swagger["swagger"] = json!("2.0");
    let mut v32 = vendored();
    v32["openapi"] = json!("3.2.0");
    let base = serve(vec![
        ("/invalid.json", 200, b"{\"openapi\": \"3.1.0\", ".to_vec()),
        ("/swagger.json", 200, serde_json::to_vec(&swagger).unwrap()),
        ("/v32.json", 200, serde_json::to_vec(&v32).unwrap()),
        ("/html", 200, b"<html>maintenance</html>".to_vec()),
        ("/boom", 500, b"{}".to_vec()),
    ]);
    let cases = [
        (format!("{base}/invalid.json"), "not valid JSON"),
        (format!("{base}/missing.json"), "HTTP 404"),
        (format!("{base}/boom"), "HTTP 500"),
        (format!("{base}/html"), "not valid JSON"),
        (format!("{base}/swagger.json"), "Swagger 2.0 is not supported"),
        (format!("{base}/v32.json"), "OpenAPI 3.2.0 is not supported"),
        (refused_url(), "cannot download"),
        ("not a url".to_string(), "cannot download"),
    ];
    let dir = workdir("fail");
    let spec = dir.join("openapi.json");
    let before = snapshot(&dir);
    for (url, expect) in &cases {
        let (code, out, err) = run(&["update", "--url", url, "--spec", spec.to_str().unwrap()]);
        assert_eq!(code, 2, "{url}: {out}\n{err}");
        assert_one_line(&err);
        assert!(err.contains(expect), "{url}: expected `{expect}` in: {err}");
        assert!(out.is_empty(), "{url}: {out}");
        assert_eq!(snapshot(&dir), before, "{url}: nothing may be written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_compares_json_values_not_bytes() {
    let same_minified = serde_json::to_vec(&vendored()).unwrap();
    assert_ne!(same_minified, vendored_text().into_bytes());
    let new = with_new_operation();
    let mut description_only = vendored();
    description_only["info"]["description"] = json!("reworded");
    let mut broken = vendored();
    broken["paths"].as_object_mut().unwrap().shift_remove("/chats/{chat_id}");
    let base = serve(vec![
        ("/same.json", 200, same_minified),
        ("/added.json", 200, serde_json::to_vec(&new).unwrap()),
        ("/reworded.json", 200, serde_json::to_vec(&description_only).unwrap()),
        ("/removed.json", 200, serde_json::to_vec(&broken).unwrap()),
        ("/invalid.json", 200, b"nope".to_vec()),
    ]);
    let dir = workdir("check");
    let spec = dir.join("openapi.json");
    let spec = spec.to_str().unwrap();
    let before = snapshot(&dir);

    let (code, out, err) = run(&["check", "--url", &format!("{base}/same.json"), "--spec", spec]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("up to date"), "{err}");

    let (code, out, err) = run(&["check", "--url", &format!("{base}/added.json"), "--spec", spec]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("operation added") && out.contains("listWidgets"), "{out}");
    assert!(err.contains("drifted"), "{err}");

    let (code, out, _) =
        run(&["check", "--url", &format!("{base}/removed.json"), "--spec", spec, "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(out.contains("### Breaking changes") && out.contains("operation removed"), "{out}");

    // Drift that does not touch the generated client is still drift.
    let (code, out, _) = run(&["check", "--url", &format!("{base}/reworded.json"), "--spec", spec]);
    assert_eq!(code, 1);
    assert!(out.contains("no changes for the generated client") && out.contains("/info/description"), "{out}");

    for url in [format!("{base}/invalid.json"), format!("{base}/missing.json"), refused_url()] {
        let (code, out, err) = run(&["check", "--url", &url, "--spec", spec]);
        assert_eq!(code, 2, "{url}: {out}\n{err}");
        assert_one_line(&err);
        assert!(out.is_empty());
    }
    let missing = dir.join("nope.json");
    let (code, _, err) = run(&["check", "--url", &format!("{base}/same.json"), "--spec", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("file not found"), "{err}");

    assert_eq!(snapshot(&dir), before, "check never writes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reports_a_live_spec_that_does_not_lower_as_drift() {
    let mut swagger = vendored();
    swagger.as_object_mut().unwrap().remove("openapi");
    swagger["swagger"] = json!("2.0");
    let base = serve(vec![("/swagger.json", 200, serde_json::to_vec(&swagger).unwrap())]);
    let dir = workdir("check-swagger");
    let spec = dir.join("openapi.json");
    let (code, out, err) = run(&["check", "--url", &format!("{base}/swagger.json"), "--spec", spec.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("Swagger 2.0 is not supported"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
