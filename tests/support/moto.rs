//! The project's local AWS for one test: `scripts/emulator` (moto with eksforge's extension and
//! the request contract, docs/emulator.md) on a free loopback port, stopped when dropped.
//!
//! Every request the test makes (eksforge's and the test's own checks) is held to the AWS
//! service models; a violation is refused as AWS would refuse it and recorded. When the
//! emulator is dropped, a test that produced an unexpected violation fails, naming each one;
//! `assert_no_violations` checks the same at any point, and `allow_violations` opts a test out.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The emulator's process. Named `Moto` because the tests talk to it as they talked to moto.
pub struct Moto {
    child: Child,
    // Kept open so the emulator never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
    pub port: u16,
    check_violations_on_drop: bool,
}

/// One request the emulator refused (or, with `EKSFORGE_EMULATOR_CONTRACT=report`, recorded).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Violation {
    pub service: String,
    pub operation: String,
    pub parameters: Vec<String>,
    pub message: String,
    pub expected: bool,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{} [{}]: {}",
            self.service,
            self.operation,
            self.parameters.join(", "),
            self.message
        )
    }
}

impl Moto {
    pub fn start() -> Moto {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let log = std::env::temp_dir().join(format!(
            "eksforge-emulator-{}-{}.log",
            std::process::id(),
            next_instance()
        ));
        let log_file = std::fs::File::create(&log).expect("create emulator log");
        let mut child = Command::new("bash")
            .arg(root.join("scripts/emulator"))
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start scripts/emulator (needs bash and python3; scripts/test installs moto)");
        let mut stdout = BufReader::new(child.stdout.take().expect("emulator stdout"));
        // The first line is the endpoint, printed once the server listens.
        let mut endpoint = String::new();
        let _ = stdout.read_line(&mut endpoint);
        let port = endpoint
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the emulator did not start (first line {endpoint:?}); see {}",
                log.display()
            );
        };
        Moto {
            child,
            _stdout: stdout,
            port,
            check_violations_on_drop: true,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The violations recorded so far that no request declared as expected.
    pub fn violations(&self) -> Vec<Violation> {
        let response = http_get(self.port, "/eksforge-emulator/violations?unexpected=1")
            .unwrap_or_else(|| panic!("the emulator on port {} did not answer", self.port));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or("");
        serde_json::from_str(body)
            .unwrap_or_else(|error| panic!("violations are not JSON ({error}): {body}"))
    }

    /// Fails the test if any request so far broke the AWS service models.
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "{} request(s) broke the AWS service models:\n{}",
            violations.len(),
            list(&violations)
        );
    }

    /// Changes the emulator's settings from now on (`POST /eksforge-emulator/config`, the keys
    /// docs/emulator.md lists), e.g. `{"transitionSeconds": 1.5}`.
    pub fn configure(&self, body: &str) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read time-out");
        write!(
            stream,
            "POST /eksforge-emulator/config HTTP/1.0\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send config");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read config answer");
        let status = response.lines().next().unwrap_or_default();
        assert!(status.contains(" 200"), "config refused: {response}");
    }

    /// For a test that sends invalid requests on purpose: no check when dropped.
    pub fn allow_violations(&mut self) {
        self.check_violations_on_drop = false;
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let violations = if self.check_violations_on_drop && !std::thread::panicking() {
            self.violations()
        } else {
            Vec::new()
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !violations.is_empty() {
            panic!(
                "{} request(s) broke the AWS service models:\n{}",
                violations.len(),
                list(&violations)
            );
        }
    }
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("  - {violation}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn next_instance() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    COUNT.fetch_add(1, Ordering::Relaxed)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/1").then_some(response)
}
