//! What `destroy` does beside its plan: the load balancers, target groups, security groups and
//! interfaces the cluster's controllers made in the VPC, and the endpoint and security group
//! GuardDuty's runtime agent made there, found by their tags and deleted first.

use crate::aws::k8s_leftovers::{self, Leftover};
use crate::aws::{Aws, AwsError};
use crate::plan::{Action, Plan};
use crate::resources::{DesiredSet, Kind};
use crate::state::State;

use super::OperationError;

/// The VPC a destroy deletes and what Kubernetes left in it.
pub struct Leftovers {
    pub vpc_id: String,
    pub found: Vec<Leftover>,
}

/// Where the scan looks: the VPC, and the cluster whose controllers tagged what they made.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScanScope {
    vpc_id: String,
    cluster: Option<String>,
}

/// A scan made alongside the refresh, on the VPC and cluster state records: what the plan
/// deletes is almost always exactly that, so the scan costs no round of its own.
pub struct LeftoversAhead(Option<(ScanScope, Result<Vec<Leftover>, AwsError>)>);

/// Scans the VPC and cluster `state` records, if it records a VPC.
pub async fn leftovers_ahead(aws: &Aws, state: &State, desired: &DesiredSet) -> LeftoversAhead {
    let recorded = |kind: Kind| {
        state
            .resources
            .values()
            .find(|record| record.kind == kind)
            .map(|record| record.cloud_id.clone())
    };
    let Some(vpc_id) = recorded(Kind::Vpc) else {
        return LeftoversAhead(None);
    };
    let scope = ScanScope {
        vpc_id,
        cluster: recorded(Kind::EksCluster).or_else(|| blueprint_cluster(desired)),
    };
    let found = k8s_leftovers::find(aws, scope.cluster.as_deref(), &scope.vpc_id).await;
    LeftoversAhead(Some((scope, found)))
}

/// What the cluster's controllers and GuardDuty's agent left in the VPC the plan deletes;
/// `None` when the plan deletes no VPC. The scan made `ahead` answers when it looked where
/// the plan deletes; otherwise the scan is made now.
pub async fn kubernetes_leftovers(
    aws: &Aws,
    plan: &Plan,
    desired: &DesiredSet,
    ahead: LeftoversAhead,
) -> Result<Option<Leftovers>, OperationError> {
    let Some(vpc_id) = plan
        .changes
        .iter()
        .find(|change| change.id.kind() == Kind::Vpc && change.action == Action::Delete)
        .and_then(|change| change.cloud_id.clone())
    else {
        return Ok(None);
    };
    // The live cluster's name, or the blueprint's when the cluster is already gone.
    let cluster = plan
        .changes
        .iter()
        .find(|change| change.id.kind() == Kind::EksCluster)
        .and_then(|change| change.cloud_id.clone())
        .or_else(|| blueprint_cluster(desired));
    let scope = ScanScope { vpc_id, cluster };
    let found = match ahead.0 {
        Some((scanned, found)) if scanned == scope => found?,
        _ => k8s_leftovers::find(aws, scope.cluster.as_deref(), &scope.vpc_id).await?,
    };
    Ok(Some(Leftovers {
        vpc_id: scope.vpc_id,
        found,
    }))
}

/// The cluster name the blueprint gives.
fn blueprint_cluster(desired: &DesiredSet) -> Option<String> {
    desired
        .resources
        .values()
        .find(|resource| resource.id.kind() == Kind::EksCluster)
        .and_then(|resource| resource.attrs.get("name"))
        .and_then(|name| name.as_str())
        .map(str::to_string)
}

/// Deletes `leftovers`: first, while the subnets and security groups they hold still exist to
/// be freed.
pub async fn delete_leftovers(aws: &Aws, leftovers: &Leftovers) -> Result<(), OperationError> {
    Ok(k8s_leftovers::delete(aws, &leftovers.vpc_id, &leftovers.found).await?)
}
