//! A private `redis-server` child process on a free loopback port, for tests that kill and restart
//! Redis (the one `scripts/redis.sh` starts is shared by the whole test run and must stay up).
//! The binary is `$REDIS_SERVER` or `redis-server` on `PATH` (`scripts/redis.sh start` installs it).
//!
//! Use it with `#[path = "common/redis_server.rs"] mod redis_server;`.
#![allow(dead_code)] // each user needs a different part

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

/// Whether a `redis-server` binary can be run.
pub fn available() -> bool {
    Command::new(binary())
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string())
}

impl RedisServer {
    /// Starts a server (no persistence) and waits until it answers `PING`.
    pub fn start() -> RedisServer {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
            listener.local_addr().expect("local address").port()
        };
        let mut server = RedisServer { port, child: None };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// SIGKILL, as a crash or an OOM kill would end it; returns once the process is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(binary())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", &std::env::temp_dir().to_string_lossy()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {} ({e}); scripts/redis.sh start installs it", binary()));
        self.child = Some(child);
        let started = Instant::now();
        while !self.answers() {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server on port {} did not answer", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether it answers `PING` with `+PONG`.
    pub fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
