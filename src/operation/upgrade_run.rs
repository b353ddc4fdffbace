//! `upgrade --check`: the live cluster's readiness for its next Kubernetes version
//! (`plan::readiness`), for the blueprint's cluster. (`upgrade --to` is a plan with
//! `cluster.version` overridden: `operation::plan`.)

use crate::aws::Aws;
use crate::blueprint::date::Date;
use crate::blueprint::LoadedBlueprint;
use crate::plan::readiness::{readiness, Readiness, ReadinessError};

use super::OperationError;

/// The readiness of the cluster `loaded` describes (named after the blueprint), on `today`,
/// judged against a window of `within_days`.
pub async fn upgrade_check(
    aws: &Aws,
    loaded: &LoadedBlueprint,
    today: Date,
    within_days: Option<u32>,
) -> Result<Readiness, OperationError> {
    let name = &loaded.model.blueprint.name;
    readiness(aws, name, today, within_days)
        .await
        .map_err(|error| match error {
            ReadinessError::NoCluster(cluster) => OperationError::NoClusterToCheck {
                cluster,
                region: aws.region.clone(),
            },
            ReadinessError::Aws(error) => OperationError::Aws(error),
        })
}
