//! What `destroy` does beside its plan: the load balancers, target groups, security groups and
//! interfaces the cluster's controllers made in the VPC, and the endpoint and security group
//! GuardDuty's runtime agent made there, found by their tags and deleted first.

use crate::aws::k8s_leftovers::{self, Leftover};
use crate::aws::Aws;
use crate::plan::{Action, Plan};
use crate::resources::{DesiredSet, Kind};

use super::OperationError;

/// The VPC a destroy deletes and what Kubernetes left in it.
pub struct Leftovers {
    pub vpc_id: String,
    pub found: Vec<Leftover>,
}

/// What the cluster's controllers and GuardDuty's agent left in the VPC the plan deletes;
/// `None` when the plan deletes no VPC.
pub async fn kubernetes_leftovers(
    aws: &Aws,
    plan: &Plan,
    desired: &DesiredSet,
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
        .or_else(|| {
            desired
                .resources
                .values()
                .find(|resource| resource.id.kind() == Kind::EksCluster)
                .and_then(|resource| resource.attrs.get("name"))
                .and_then(|name| name.as_str())
                .map(str::to_string)
        });
    let found = k8s_leftovers::find(aws, cluster.as_deref(), &vpc_id).await?;
    Ok(Some(Leftovers { vpc_id, found }))
}

/// Deletes `leftovers`: first, while the subnets and security groups they hold still exist to
/// be freed.
pub async fn delete_leftovers(aws: &Aws, leftovers: &Leftovers) -> Result<(), OperationError> {
    Ok(k8s_leftovers::delete(aws, &leftovers.vpc_id, &leftovers.found).await?)
}
