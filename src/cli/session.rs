//! Everything a command needs, resolved once from the flags and the blueprint: the loaded
//! blueprint, the AWS clients, the state backend, the desired model.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use miette::{miette, Report, Result};

use crate::aws::{zones, Aws, WaitConfig};
use crate::blueprint::model::AzSpec;
use crate::blueprint::{self, LoadedBlueprint};
use crate::graph::ResourceGraph;
use crate::resources::{expand, DesiredSet, Placement};
use crate::state::{
    Backend, LocalBackend, LockInfo, RegionFacts, S3Backend, S3Location, State, StateLock,
};
use crate::ui::Style;

use super::args::GlobalArgs;
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
            && std::io::stdout().is_terminal();
        Settings {
            global,
            style: Style { color },
        }
    }

    pub fn load_blueprint(&self, path: &Path) -> Result<LoadedBlueprint> {
        let loaded = blueprint::load(path, &self.global.vars).map_err(Report::new)?;
        // Waivers naming checks that do not exist are refused by every command, before any call.
        crate::audit::waivers::validate(&loaded).map_err(Report::new)?;
        Ok(loaded)
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
            eprintln!("{}", style.yellow(&format!("Warning: {warning}")));
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

/// The region's available zones and the caller's account, read at once (one round trip).
pub async fn region_facts(aws: &Aws) -> Result<RegionFacts> {
    let (available, identity) =
        futures::join!(zones::available_zones(aws), zones::caller_identity(aws));
    let zones = available.map_err(errors::aws)?;
    let (account_id, partition) = identity.map_err(errors::aws)?;
    Ok(RegionFacts {
        region: aws.region.clone(),
        zones,
        account_id,
        partition,
    })
}

/// The AZs the network goes into: named in the blueprint (checked against the region) or the
/// first N available ones.
pub async fn placement(aws: &Aws, loaded: &LoadedBlueprint) -> Result<Placement> {
    placement_from(&region_facts(aws).await?, loaded)
}

/// Runs `work` (expand, refresh, diff...) on the placement from the region facts. With facts
/// recorded in state for this region, `work` starts at once while fresh facts are read
/// alongside; if those differ, `work` runs again on them. Returns the fresh facts (to record)
/// with the placement and what `work` returned.
pub async fn with_placement<T, W, Fut>(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    recorded: Option<&RegionFacts>,
    work: W,
) -> Result<(RegionFacts, Placement, T)>
where
    W: Fn(Placement) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let recorded = recorded.filter(|facts| facts.region == aws.region);
    if let Some(recorded) = recorded {
        // A recorded zone list that no longer fits the blueprint is simply not used.
        if let Ok(placement) = placement_from(recorded, loaded) {
            let (fresh, result) = futures::join!(region_facts(aws), work(placement.clone()));
            let fresh = fresh?;
            if &fresh == recorded {
                return Ok((fresh, placement, result?));
            }
            let placement = placement_from(&fresh, loaded)?;
            let result = work(placement.clone()).await?;
            return Ok((fresh, placement, result));
        }
    }
    let fresh = region_facts(aws).await?;
    let placement = placement_from(&fresh, loaded)?;
    let result = work(placement.clone()).await?;
    Ok((fresh, placement, result))
}

/// The placement `facts` give the blueprint, or a diagnostic at `network.azs`.
pub fn placement_from(facts: &RegionFacts, loaded: &LoadedBlueprint) -> Result<Placement> {
    let available = &facts.zones;
    let region = &facts.region;
    let place = |azs: Vec<String>| Placement {
        azs,
        region: region.clone(),
        account_id: facts.account_id.clone(),
        partition: facts.partition.clone(),
    };
    let where_azs = loaded
        .locate("network.azs")
        .map(|at| format!("{}:{}:{}", at.file.display(), at.line, at.column))
        .unwrap_or_else(|| loaded.path().display().to_string());
    match &loaded.model.network.azs {
        AzSpec::Count(count) => {
            let count = *count as usize;
            if available.len() < count {
                return Err(miette!(
                    code = "eksforge::network::azs",
                    help = format!("lower `azs` to at most {} or choose another region", available.len()),
                    "{where_azs}: network.azs = {count}, but region {} has only {} available zones ({})",
                    region,
                    available.len(),
                    available.join(", ")
                ));
            }
            Ok(place(available.iter().take(count).cloned().collect()))
        }
        AzSpec::Names(names) => {
            if let Some(missing) = names.iter().find(|name| !available.contains(name)) {
                return Err(miette!(
                    code = "eksforge::network::azs",
                    help = format!("use zones of region {}: {}", region, available.join(", ")),
                    "{where_azs}: availability zone {missing} is not available in region {}",
                    region
                ));
            }
            Ok(place(names.clone()))
        }
    }
}

/// A placement made without AWS (`audit BLUEPRINT`): the blueprint's AZs, or the first N
/// letters of the region, and a placeholder account. Good for everything but real ARNs.
pub fn offline_placement(loaded: &LoadedBlueprint, region: Option<&str>) -> Placement {
    let region = region
        .map(str::to_string)
        .or_else(|| loaded.model.blueprint.region.clone())
        .unwrap_or_else(|| "us-east-1".to_string());
    let azs = match &loaded.model.network.azs {
        AzSpec::Names(names) => names.clone(),
        AzSpec::Count(count) => (0..*count as u8)
            .map(|i| format!("{region}{}", char::from(b'a' + i)))
            .collect(),
    };
    Placement {
        azs,
        region,
        account_id: "000000000000".to_string(),
        partition: "aws".to_string(),
    }
}

/// The desired model and its graph.
pub fn desired(
    loaded: &LoadedBlueprint,
    placement: &Placement,
) -> Result<(DesiredSet, ResourceGraph)> {
    let desired = expand(&loaded.model, placement).map_err(|error| {
        miette!(
            code = "eksforge::network",
            help = "change network.vpc_cidr or the subnet CIDRs",
            "{}: {error}",
            loaded.path().display()
        )
    })?;
    let graph = ResourceGraph::build(&desired).map_err(errors::graph)?;
    Ok((desired, graph))
}

/// The preflight's reads, made ahead (alongside the refresh) for what the plan will most
/// likely create; `None` when preflight is skipped. `guard` reads again what they miss.
pub async fn preflight_ahead(
    settings: &Settings,
    aws: &Aws,
    desired: &DesiredSet,
    state: &State,
    placement: &Placement,
) -> Option<Result<crate::plan::preflight::Reads, crate::aws::AwsError>> {
    use crate::plan::preflight;
    if settings.global.skip_preflight {
        return None;
    }
    let needs = preflight::Needs::expected(desired, state);
    Some(preflight::read(aws, &needs, &placement.azs).await)
}

/// The checks every plan passes before anything is changed: protected resources, then
/// preflight. Warnings print; failures end the command with file:line:column of the key.
pub async fn guard(
    settings: &Settings,
    aws: &Aws,
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    plan: &crate::plan::Plan,
    prefetched: Option<Result<crate::plan::preflight::Reads, crate::aws::AwsError>>,
) -> Result<()> {
    use crate::plan::{preflight, protection};
    use crate::resources::ResourceId;

    let allowed: Vec<ResourceId> = settings
        .global
        .allow_replace
        .iter()
        .filter_map(|text| ResourceId::parse(text))
        .collect();
    let refused = protection::violations(plan, &allowed);
    if !refused.is_empty() {
        let lines: Vec<String> = refused
            .iter()
            .map(|change| protection::describe(change))
            .collect();
        let flags: Vec<String> = refused
            .iter()
            .map(|change| format!("--allow-replace {}", change.id))
            .collect();
        return Err(miette!(
            code = "eksforge::plan::protected",
            help = format!(
                "the cluster and its KMS key cannot be recovered once deleted; undo the blueprint change, or pass {} if you really mean it",
                flags.join(" ")
            ),
            "refusing a plan that destroys protected resources:\n  {}",
            lines.join("\n  ")
        ));
    }
    if settings.global.skip_preflight || plan.mode != crate::plan::PlanMode::Normal {
        return Ok(());
    }
    let node_group_keys: Vec<(String, String)> = loaded
        .model
        .node_groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            (
                group.name.clone(),
                format!("node_groups[{index}].instance_types"),
            )
        })
        .collect();
    let result = preflight::preflight(
        aws,
        desired,
        plan,
        &placement.azs,
        &node_group_keys,
        prefetched,
    )
    .await
    .map_err(errors::aws)?;
    for warning in &result.warnings {
        eprintln!("{}", settings.style.yellow(&format!("Warning: {warning}")));
    }
    if result.failures.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = result
        .failures
        .iter()
        .map(|failure| {
            let at = loaded
                .locate(&failure.key)
                .map(|at| format!("{}:{}:{}", at.file.display(), at.line, at.column))
                .unwrap_or_else(|| loaded.path().display().to_string());
            format!(
                "{at}: {} ({})\n    help: {}",
                failure.message, failure.key, failure.help
            )
        })
        .collect();
    Err(miette!(
        code = "eksforge::preflight",
        help =
            "fix the keys named above; nothing was changed (--skip-preflight skips these checks)",
        "preflight found {} problem(s) that would fail the apply later:\n  {}",
        lines.len(),
        lines.join("\n  ")
    ))
}
