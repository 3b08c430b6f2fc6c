//! Starting and stopping Prism (`@stoplight/prism-cli`, pinned by package.json / package-lock.json and
//! installed by `npm ci`).
//!
//! How Prism 5.14.2 signals a contract problem (read in prism-http-server 5.12.2 `server.js` and
//! prism-http 5.12.0 `mocker/index.js`, and observed):
//! - Every violation, of the request or of the response Prism built, is listed in an `sl-violations`
//!   response header: a JSON array of `{location: ["request"|"response", ...], severity, code, message}`.
//! - An invalid request (Error severity) is answered with the spec's 422 or 400 response (415 first for
//!   a wrong content type), or a generated `application/problem+json` 422 when the spec has neither;
//!   failed security (no or malformed `Authorization`) is a 401.
//! - With `--errors`, Error-severity violations of the *response* turn into a 500 problem+json of type
//!   `VIOLATIONS`.
//!
//! So a call is clean when it got a 2xx without an `sl-violations` header.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The version package.json pins; checked against the installed CLI.
pub const PINNED_VERSION: &str = "5.14.2";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(45);

/// A running Prism; killed (and reaped) when dropped, also when a test panics.
pub struct Prism {
    child: Child,
    pub base_url: String,
    pub log: PathBuf,
    pub version: String,
    pub mode: &'static str,
    /// The command line, for the report.
    pub command: String,
}

/// Static (first example, else schema-shaped) or dynamic (json-schema-faker, seeded) responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Static,
    Dynamic { seed: u64 },
}

pub fn prism_bin(root: &Path) -> PathBuf {
    root.join("node_modules").join(".bin").join("prism")
}

/// The installed CLI's version, or a panic telling how to install it.
pub fn installed_version(root: &Path) -> String {
    let bin = prism_bin(root);
    if !bin.exists() {
        panic!(
            "Prism is not installed ({} is missing): run `npm ci` in {} (scripts/test-all.sh does), \
             which installs @stoplight/prism-cli {PINNED_VERSION} from package-lock.json",
            bin.display(),
            root.display()
        );
    }
    let out = Command::new(&bin)
        .arg("--version")
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (is `node` on PATH?): {e}", bin.display()));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Prism {
    /// Starts `prism mock <spec>` on a free loopback port and waits until it answers HTTP.
    pub fn start(root: &Path, spec: &Path, mode: Mode, log_dir: &Path) -> Prism {
        let version = installed_version(root);
        assert_eq!(
            version, PINNED_VERSION,
            "node_modules has prism-cli {version}, package.json pins {PINNED_VERSION}: run `npm ci`"
        );
        let port = free_port();
        std::fs::create_dir_all(log_dir).ok();
        let (tag, mode_name) = match mode {
            Mode::Static => ("static".to_string(), "static"),
            Mode::Dynamic { seed } => (format!("dynamic-{seed}"), "dynamic"),
        };
        let log = log_dir.join(format!("contract-prism-{tag}.log"));
        let log_file = std::fs::File::create(&log).expect("prism log file");
        let mut command = Command::new(prism_bin(root));
        command
            .arg("mock")
            .arg(spec)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--errors"])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file);
        if let Mode::Dynamic { seed } = mode {
            command.args(["--dynamic", "--seed", &seed.to_string()]);
        }
        let mut shown = format!("prism mock {} --errors", spec.display());
        if let Mode::Dynamic { seed } = mode {
            shown.push_str(&format!(" --dynamic --seed {seed}"));
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start Prism (is `node` on PATH?): {e}"));
        let mut prism = Prism {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log,
            version,
            mode: mode_name,
            command: shown,
        };
        prism.wait_ready(port);
        prism
    }

    fn wait_ready(&mut self, port: u16) {
        let started = Instant::now();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Some(status) = self.child.try_wait().expect("prism status") {
                panic!("Prism exited during startup ({status}); its log:\n{}", self.log_tail());
            }
            // Prism binds only after it has parsed the document and printed every route.
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
                && std::fs::read_to_string(&self.log).is_ok_and(|l| l.contains("Prism is listening on"))
            {
                return;
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                panic!("Prism did not start within {STARTUP_TIMEOUT:?}; its log:\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("local addr").port()
}

/// One entry of Prism's `sl-violations` header.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    #[serde(default)]
    pub location: Vec<serde_json::Value>,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub code: serde_json::Value,
    #[serde(default)]
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let location: Vec<String> =
            self.location.iter().map(|l| l.as_str().map(str::to_string).unwrap_or_else(|| l.to_string())).collect();
        write!(f, "[{}] {} ({}): {}", self.severity, location.join("."), self.code, self.message)
    }
}

/// The violations a response carries (a header that does not parse is reported as one violation).
pub fn violations(headers: &reqwest::header::HeaderMap) -> Vec<Violation> {
    headers
        .get_all("sl-violations")
        .iter()
        .flat_map(|value| {
            let text = String::from_utf8_lossy(value.as_bytes()).to_string();
            serde_json::from_str::<Vec<Violation>>(&text).unwrap_or_else(|_| {
                vec![Violation {
                    location: vec![],
                    severity: "Error".into(),
                    code: serde_json::Value::Null,
                    message: format!("unparsed sl-violations header: {text}"),
                }]
            })
        })
        .collect()
}

/// A violation caused by Prism itself rather than by the spec or the client, with the reason.
///
/// Dynamic mode only: json-schema-faker 0.5.8 (Prism's response generator) takes a *property* named
/// `definitions` for the JSON Schema keyword and emits the property's schema as its value, so
/// `AssistantActionConfig.definitions` (an array in the spec) comes back as an object and Prism's own
/// output validation flags it. Static responses are built from the spec's examples and do not hit it.
pub fn known_issue(mode: Mode, v: &Violation) -> Option<&'static str> {
    let location: Vec<&str> = v.location.iter().filter_map(|l| l.as_str()).collect();
    let dynamic = matches!(mode, Mode::Dynamic { .. });
    if dynamic && location.first() == Some(&"response") && location.last() == Some(&"definitions") && v.code == "type" {
        return Some(
            "json-schema-faker 0.5.8 (Prism's dynamic generator) emits the schema of a property named \
             `definitions` as its value (it takes the name for the JSON Schema keyword), so Prism flags its own \
             response; the request passed validation",
        );
    }
    None
}
