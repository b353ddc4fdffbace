//! Everything a command needs, resolved once from the flags and the blueprint: the loaded
//! blueprint, the AWS clients, the state backend, the operations' settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use miette::{miette, Report, Result};

use crate::aws::{Aws, WaitConfig};
use crate::blueprint::{self, LoadedBlueprint};
use crate::operation::plan_run::PlanRequest;
use crate::operation::Checks;
use crate::plan::PlanMode;
use crate::state::{Backend, LocalBackend, LockInfo, S3Backend, S3Location, State, StateLock};
use crate::ui::Style;

use super::args::GlobalArgs;
use super::console::errln;
use super::errors;

/// Settings derived from the global flags.
pub struct Settings {
    pub global: GlobalArgs,
    pub style: Style,
}

impl Settings {
    pub fn from_args(global: GlobalArgs) -> Settings {
        let color = !global.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && super::console::stdout_is_terminal();
        Settings {
            global,
            style: Style { color },
        }
    }

    pub fn load_blueprint(&self, path: &Path) -> Result<LoadedBlueprint> {
        // Waivers naming checks that do not exist are refused by every command, before any
        // call, with every other problem of the blueprint.
        crate::audit::waivers::load_blueprint(path, &self.global.vars).map_err(Report::new)
    }

    /// The SDK configuration from the standard chain (env, shared files, SSO, IMDS), with
    /// the flags and the blueprint's region on top.
    pub async fn connect(&self, loaded: &LoadedBlueprint) -> Result<Aws> {
        self.connect_for(Some(loaded)).await
    }

    /// [`Self::connect`] for commands whose blueprint is optional (`audit --cluster`).
    pub async fn connect_for(&self, loaded: Option<&LoadedBlueprint>) -> Result<Aws> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        let region = self
            .global
            .region
            .clone()
            .or_else(|| loaded.and_then(|l| l.model.blueprint.region.clone()));
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(profile) = &self.global.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &self.global.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let defaults = WaitConfig::default();
        let waits = WaitConfig {
            timeout: self.global.wait_timeout,
            first_poll: defaults.first_poll.min(self.global.poll_max),
            max_poll: self.global.poll_max,
        };
        // Retries tuned for long applies (crate::aws::retry), unless the user chose their own
        // through the standard variables.
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
            && std::env::var_os("AWS_RETRY_MODE").is_none()
        {
            loader = loader.retry_config(crate::aws::retry::sdk_retry_config(&waits));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(miette!(
                code = "eksforge::region",
                help = "set `region` in [blueprint], pass --region, or set AWS_REGION / a profile region",
                "no AWS region for {}",
                loaded
                    .map(|l| format!("blueprint {}", l.path().display()))
                    .unwrap_or_else(|| "this command".to_string())
            ));
        }
        Ok(Aws::from_sdk_config(&config, waits))
    }

    pub fn state_path(&self, loaded: &LoadedBlueprint) -> PathBuf {
        self.global
            .state
            .clone()
            .or_else(|| loaded.model.state.path.as_ref().map(PathBuf::from))
            .unwrap_or_else(|| {
                PathBuf::from("state").join(format!("{}.json", loaded.model.blueprint.name))
            })
    }

    pub fn backend(&self, loaded: &LoadedBlueprint) -> Result<Arc<dyn Backend>> {
        if loaded.model.state.backend == blueprint::model::StateBackendKind::S3 {
            return self.s3_backend(loaded);
        }
        let backend =
            LocalBackend::new(self.state_path(loaded)).with_lock_timeout(self.global.lock_timeout);
        Ok(Arc::new(backend))
    }

    /// The S3 backend of `[state]`. Its client is made on first use, from the same chain as
    /// every other client: region `[state] region`, else `--region`, else the blueprint's;
    /// the same profile and endpoint (path-style addressing when an endpoint is set, as
    /// emulators and most S3-compatible stores need).
    fn s3_backend(&self, loaded: &LoadedBlueprint) -> Result<Arc<dyn Backend>> {
        let config = &loaded.model.state;
        let Some(bucket) = config.bucket.clone() else {
            // Validation already refuses this; kept as an error, not a panic.
            return Err(miette!(
                code = "eksforge::state::backend",
                help = "add `bucket = \"…\"` to [state]",
                "backend = \"s3\" needs a bucket"
            ));
        };
        let location = S3Location {
            bucket,
            key: config
                .key
                .clone()
                .unwrap_or_else(|| default_s3_key(&loaded.model.blueprint.name)),
            kms_key_id: config.kms_key_id.clone(),
        };
        let region = config
            .region
            .clone()
            .or_else(|| self.global.region.clone())
            .or_else(|| loaded.model.blueprint.region.clone());
        let (profile, endpoint) = (
            self.global.profile.clone(),
            self.global.endpoint_url.clone(),
        );
        let connect: crate::state::Connect = Box::new(move || {
            let (region, profile, endpoint) = (region.clone(), profile.clone(), endpoint.clone());
            Box::pin(async move { s3_client(region, profile, endpoint).await })
        });
        let style = self.style;
        let warn: crate::state::Warn = Arc::new(move |warning: String| {
            errln!("{}", style.yellow(&format!("Warning: {warning}")));
        });
        let backend = S3Backend::with_connect(connect, location)
            .with_lock_timeout(self.global.lock_timeout)
            .with_warnings(warn);
        Ok(Arc::new(backend))
    }

    pub async fn lock(&self, backend: &Arc<dyn Backend>, command: &str) -> Result<StateLock> {
        backend
            .lock(LockInfo::new(command, &backend.describe()))
            .await
            .map_err(errors::state)
    }

    pub async fn read_state(
        &self,
        backend: &Arc<dyn Backend>,
        loaded: &LoadedBlueprint,
    ) -> Result<State> {
        crate::state::load(backend.as_ref(), &loaded.model.blueprint.name)
            .await
            .map_err(errors::state)
    }

    pub fn parallelism(&self) -> usize {
        usize::from(self.global.parallelism)
    }

    pub fn progress_every(&self) -> Duration {
        self.global.progress_every.max(Duration::from_millis(100))
    }

    /// The apply gate's threshold: `--fail-on`, else `[audit] fail_on`, else high.
    pub fn threshold(&self, loaded: Option<&LoadedBlueprint>) -> crate::audit::Severity {
        crate::operation::threshold(self.global.fail_on.as_deref(), loaded)
    }

    /// The guard's verdict, shown after the plan: warnings print; a refusal ends the command.
    pub fn report_checks(&self, checks: Checks) -> Result<()> {
        for warning in &checks.warnings {
            errln!("{}", self.style.yellow(&format!("Warning: {warning}")));
        }
        match checks.refusal {
            Some(error) => Err(errors::operation(error)),
            None => Ok(()),
        }
    }

    /// What an operation plans with: these flags, in `mode`, for `targets`.
    pub fn plan_request<'a>(&'a self, mode: PlanMode, targets: &'a [String]) -> PlanRequest<'a> {
        PlanRequest {
            mode,
            targets,
            replace: &[],
            exclude: &[],
            bottlerocket_prefix: &self.global.bottlerocket_ssm_prefix,
            allow_replace: &self.global.allow_replace,
            skip_preflight: self.global.skip_preflight,
            posture_gate: None,
            scan_leftovers: false,
        }
    }
}

/// `[state] key` when not given: one prefix for every eksforge state, so a bucket policy
/// can grant exactly `eksforge/*`.
pub fn default_s3_key(blueprint: &str) -> String {
    format!("eksforge/{blueprint}.json")
}

async fn s3_client(
    region: Option<String>,
    profile: Option<String>,
    endpoint: Option<String>,
) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    let path_style = config.endpoint_url().is_some();
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}
