//! Shared by the integration tests: a moto server per test, the call-counting proxy, and a
//! way to run the eksforge binary against them and check results through the AWS API.
#![allow(dead_code)]

pub mod cloud;
pub mod moto;
pub mod providers;
pub mod proxy;
pub mod tripwire;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

    pub fn eksforge_with_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = eksforge_command(&self.proxy.url(), self.dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run eksforge");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        Run::from(child.wait_with_output().expect("wait eksforge"))
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
