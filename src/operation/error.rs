//! What an operation can fail with. Each variant carries what the diagnostic needs; `cli`
//! turns them into miette reports (`cli/errors.rs`) with a code and a help line.

use std::path::PathBuf;

use crate::apply::ApplyError;
use crate::aws::AwsError;
use crate::graph::GraphError;
use crate::state::StateError;

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// `adopt`: the cluster could not be read (it does not exist, or a read was refused).
    #[error("adopt: {0}")]
    AdoptRead(#[source] AwsError),
    /// `adopt`: the cluster names no VPC (no subnets EKS or EC2 could describe).
    #[error("adopt: cluster {cluster} names no VPC eksforge could read")]
    AdoptNoVpc { cluster: String },
    /// `adopt`: the blueprint drafted from the cluster does not load (an eksforge bug).
    #[error("adopt: the blueprint drafted from cluster {cluster} is not valid:\n{problems}")]
    AdoptDraftInvalid { cluster: String, problems: String },
    /// `adopt` writes a fresh state only.
    #[error("adopt: the state ({backend}) already records {count} resources")]
    AdoptStateNotEmpty { count: usize, backend: String },
    /// `adopt` never overwrites a blueprint.
    #[error("adopt: {} already exists", path.display())]
    AdoptFileExists { path: PathBuf },
    #[error("adopt: cannot write {}: {source}", path.display())]
    AdoptWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The desired posture could not be built: a bug in eksforge's expansion.
    #[error(transparent)]
    DesiredPosture(#[from] crate::audit::desired::DesiredPostureError),
    /// The blueprint does not expand (addresses that do not fit the VPC).
    #[error("{}: {message}", path.display())]
    Expand {
        path: PathBuf,
        message: String,
        /// What to change (the CIDRs, an `[adopted]` entry).
        help: &'static str,
    },
    /// `network.azs` asks for more zones than the region has available.
    #[error("{at}: network.azs = {count}, but region {region} has only {} available zones ({})", available.len(), available.join(", "))]
    TooFewZones {
        at: String,
        count: usize,
        region: String,
        available: Vec<String>,
    },
    /// `network.azs` names a zone the region does not offer.
    #[error("{at}: availability zone {missing} is not available in region {region}")]
    UnknownZone {
        at: String,
        missing: String,
        region: String,
        available: Vec<String>,
    },
    /// `--target`, `--replace` or `--exclude ID` names no resource of the blueprint.
    #[error(
        "{flag} {text}: no such resource in this blueprint{}",
        nearest_ids(nearest)
    )]
    UnknownId {
        flag: &'static str,
        text: String,
        /// The blueprint's ids closest to `text`.
        nearest: Vec<String>,
    },
    /// One id given to two controls that contradict each other (`--target` and `--exclude`).
    #[error(
        "{first} {id} and {second} {id}: a resource cannot be both {}",
        conflict_words(first, second)
    )]
    ConflictingControls {
        id: String,
        first: &'static str,
        second: &'static str,
    },
    /// The plan replaces or deletes the cluster or its KMS key without `--allow-replace`.
    #[error("refusing a plan that destroys protected resources:\n  {}", refused.join("\n  "))]
    Protected {
        /// One line per refused change (`plan::protection::describe`).
        refused: Vec<String>,
        /// The `--allow-replace ID` flags that would allow them.
        flags: Vec<String>,
    },
    /// The plan deletes ECR repositories that hold images, without `force_delete = true`.
    #[error("refusing a plan that deletes repositories holding images (nothing was changed):\n  {}", refused.join("\n  "))]
    RepositoriesHoldImages {
        /// One line per repository (`plan::protection::describe_repository`).
        refused: Vec<String>,
    },
    /// `[[moved]]` entries or a `state mv` that cannot be made; each line names where and why.
    #[error("refusing to move state (nothing was changed):\n  {}", refused.join("\n  "))]
    Moves { refused: Vec<String> },
    /// Preflight found what would fail the apply later; each line is located in the blueprint.
    #[error("preflight found {} problem(s) that would fail the apply later:\n  {}", problems.len(), problems.join("\n  "))]
    Preflight { problems: Vec<String> },
    /// An upgrade the plan cannot start: a downgrade, a pin the target lacks, an ERROR upgrade
    /// insight nobody waived (src/plan/upgrade.rs); each line is located in the blueprint.
    #[error("refusing the Kubernetes upgrade ({} problem(s), nothing was changed):\n  {}", problems.len(), problems.join("\n  "))]
    Upgrade { problems: Vec<String> },
    /// `upgrade --check` of a cluster that does not exist (yet).
    #[error("no cluster {cluster} in {region} to check")]
    NoClusterToCheck { cluster: String, region: String },
    /// Unwaived posture findings at or above the gate's threshold; `expired` names the
    /// blueprint's waivers that accepted some of them until they expired.
    #[error(
        "refusing to apply: {count} unwaived posture finding(s) at or above {threshold} (nothing was changed){}",
        expired_lines(expired)
    )]
    PostureGate {
        count: usize,
        threshold: crate::audit::Severity,
        /// One line per expired waiver (`operation::posture::describe_expired`).
        expired: Vec<String>,
    },
    /// `output`/`kubeconfig` before anything with outputs was applied.
    #[error("{backend} records {what} for blueprint \"{blueprint}\": nothing to show")]
    NoOutputs {
        backend: String,
        what: &'static str,
        blueprint: String,
        /// The blueprint as given, for the `apply` the help suggests.
        path: PathBuf,
    },
    /// `plan --out` naming a file eksforge must not overwrite.
    #[error("refusing to write the plan to {}: it is {what}", out.display())]
    PlanOutOverwrites { out: PathBuf, what: String },
    /// A path a saved plan records could not be made absolute.
    #[error("could not resolve {}: {detail}", path.display())]
    PathUnresolved { path: PathBuf, detail: String },
    /// `import ID` where the blueprint declares no such resource.
    #[error("`{id}` is not a resource of blueprint {}", blueprint.display())]
    ImportUnknownId { id: String, blueprint: PathBuf },
    /// `import` of an id that state already records.
    #[error("{id} is already in state (as {cloud_id})")]
    ImportIdManaged {
        id: String,
        cloud_id: String,
        blueprint: PathBuf,
    },
    /// `import` of a cloud resource that state already records under another id.
    #[error("{cloud_id} is already in state as {other}")]
    ImportCloudIdManaged { cloud_id: String, other: String },
    /// `import` found nothing with that cloud id.
    #[error("{id}: {call} found no {cloud_id}")]
    ImportNotFound {
        id: String,
        call: String,
        cloud_id: String,
        region: String,
        kind: String,
    },
}

/// `; N of them had a waiver that has expired:` and one line per waiver.
fn expired_lines(expired: &[String]) -> String {
    if expired.is_empty() {
        return String::new();
    }
    format!(
        "; {} of them had a waiver that has expired:\n  {}",
        expired.len(),
        expired.join("\n  ")
    )
}

fn nearest_ids(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!(" (the nearest are {})", nearest.join(", "))
    }
}

fn conflict_words(first: &str, second: &str) -> &'static str {
    match (first, second) {
        ("--target", "--exclude") => "planned and left out",
        _ => "replaced and left out",
    }
}
