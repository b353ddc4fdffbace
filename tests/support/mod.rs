//! Shared by the integration tests: a moto server per test, the call-counting proxy, and a
//! way to run the eksforge binary against them and check results through the AWS API.
#![allow(dead_code)]

pub mod cloud;
pub mod foreign_cluster;
pub mod moto;
pub mod providers;
pub mod proxy;
pub mod rounds;
pub mod tripwire;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use moto::Moto;
pub use proxy::Proxy;

pub const REGION: &str = "eu-west-1";

/// Blueprint `name`: a two-AZ network of `vpc_cidr` with one NAT gateway and a cluster, then
/// `rest` (more `[cluster]` lines first, then any other sections). The small world the CLI tests
/// apply when the reference blueprint is more than they need.
pub fn small_cluster(name: &str, vpc_cidr: &str, rest: &str) -> String {
    format!(
        "[blueprint]\nname = \"{name}\"\nregion = \"{REGION}\"\n\n[network]\nvpc_cidr = \"{vpc_cidr}\"\nazs = 2\nnat = \"single\"\n\n[cluster]\n{rest}"
    )
}

/// One node group of one small instance type, for [`small_cluster`]'s `rest`.
pub const NODE_GROUP: &str = "\n[[node_groups]]\nname = \"general\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

/// One isolated world: its own moto, proxy and working directory.
pub struct World {
    pub moto: Moto,
    pub proxy: Proxy,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl World {
    pub fn new() -> World {
        let moto = Moto::start();
        let proxy = Proxy::start(moto.port);
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let config = runtime.block_on(sdk_config(&moto.url()));
        World {
            moto,
            proxy,
            dir,
            runtime,
            config,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copies a file from the repository into the working directory.
    pub fn copy_in(&self, repo_path: &str, name: &str) -> PathBuf {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(repo_path);
        let target = self.path(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(&source, &target)
            .unwrap_or_else(|error| panic!("copy {}: {error}", source.display()));
        target
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let target = self.path(name);
        std::fs::write(&target, text).expect("write");
        target
    }

    /// Runs eksforge in the working directory against the proxy in front of moto.
    pub fn eksforge(&self, args: &[&str]) -> Run {
        Run::from(
            eksforge_command(&self.proxy.url(), self.dir.path())
                .args(args)
                .stdin(Stdio::null())
                .output()
                .expect("run eksforge"),
        )
    }

    /// Runs eksforge with a terminal (a pseudo-terminal) as standard input, typing `input`
    /// into it: how a person answers a question. Standard output and error are pipes.
    pub fn eksforge_in_terminal(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let (terminal, answering_side) = pseudo_terminal();
        let child = eksforge_command(&self.proxy.url(), self.dir.path())
            .args(args)
            .stdin(Stdio::from(answering_side))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run eksforge");
        let mut terminal = std::fs::File::from(terminal);
        // The line waits in the terminal until eksforge reads it.
        terminal
            .write_all(input.as_bytes())
            .expect("type the answer");
        let run = Run::from(child.wait_with_output().expect("wait eksforge"));
        drop(terminal);
        run
    }

    /// Runs eksforge with `stdin`, `stdout` and `stderr` as given (pipes whose other end is
    /// closed, a pipe nobody writes to), failing the test instead of hanging when it has not
    /// ended after `limit`. What it printed to a stream given as `None` is captured.
    pub fn eksforge_with_streams(&self, args: &[&str], streams: Streams, limit: Duration) -> Run {
        run_bounded(
            eksforge_command(&self.proxy.url(), self.dir.path()).args(args),
            streams,
            limit,
        )
    }

    /// An EC2 client straight to moto (not through the proxy: checks do not count as calls).
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config)
    }

    /// The SDK configuration straight to moto, for any service's client.
    pub fn sdk(&self) -> &aws_config::SdkConfig {
        &self.config
    }

    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// Whether a diagnostic says `needle`, however miette wrapped it (line breaks anywhere, also
/// inside a long token, and `│` gutters): both are compared without white space and gutters.
/// `text` on one line with single spaces and no frame drawing (miette's `│`), so a needle
/// matches a message whatever its line breaks.
pub fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn says(text: &str, needle: &str) -> bool {
    let squash = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect()
    };
    squash(text).contains(&squash(needle))
}

/// The standard streams of a bounded run ([`World::eksforge_with_streams`]); `None` for a
/// file that captures what is written (stdout, stderr) or `/dev/null` (stdin).
#[derive(Default)]
pub struct Streams {
    pub stdin: Option<Stdio>,
    pub stdout: Option<Stdio>,
    pub stderr: Option<Stdio>,
}

/// The writing end of a pipe whose reader is already gone: every write to it fails with
/// `EPIPE`, as when `eksforge … | head` has read what it wanted.
pub fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Runs `command` with `streams`, killing it and failing the test after `limit` (a generous
/// bound that only turns a hang into a failure; no test asserts how fast anything is).
pub fn run_bounded(command: &mut Command, streams: Streams, limit: Duration) -> Run {
    let captured = tempfile::tempdir().expect("temp dir");
    let capture = |name: &str| {
        Stdio::from(std::fs::File::create(captured.path().join(name)).expect("capture file"))
    };
    let child = command
        .stdin(streams.stdin.unwrap_or_else(Stdio::null))
        .stdout(streams.stdout.unwrap_or_else(|| capture("stdout")))
        .stderr(streams.stderr.unwrap_or_else(|| capture("stderr")))
        .spawn()
        .expect("run eksforge");
    let mut run = run_bounded_child(child, limit);
    let read = |name: &str| std::fs::read_to_string(captured.path().join(name)).unwrap_or_default();
    run.stdout = read("stdout");
    run.stderr = read("stderr");
    run
}

/// Waits for `child` as [`run_bounded`] does; the output is whatever it left to read in its
/// own pipes (none for streams given elsewhere).
pub fn run_bounded_child(mut child: std::process::Child, limit: Duration) -> Run {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait eksforge").is_some() {
            return Run::from(child.wait_with_output().expect("wait eksforge"));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("eksforge still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A new pseudo-terminal: (the side a person types into, the side a program reads from).
pub fn pseudo_terminal() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut typing, mut reading) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the integers it is given; the other
    // arguments may be null (no name wanted, default settings and size).
    let result = unsafe {
        libc::openpty(
            &mut typing,
            &mut reading,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(result, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and belong to nobody else.
    unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(typing),
            std::os::fd::OwnedFd::from_raw_fd(reading),
        )
    }
}

pub fn eksforge_command(endpoint: &str, dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eksforge"));
    command
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env("NO_COLOR", "1");
    command
}

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}
