//! `audit`: the posture checks over the blueprint (no AWS call at all), over the cluster it
//! made, or over any cluster (read-only calls only).

use crate::audit::report::Report;
use crate::audit::view::Date;
use crate::audit::{self, waivers};
use crate::aws::Aws;
use crate::blueprint::LoadedBlueprint;

use super::placement::{desired, offline_placement};
use super::posture::desired_report;
use super::OperationError;

/// The posture of the blueprint as it would be applied: no AWS call (placeholder account,
/// the blueprint's AZs or `<region>a…`).
pub fn audit_blueprint(loaded: &LoadedBlueprint, today: Date) -> Result<Report, OperationError> {
    let placement = offline_placement(loaded, None);
    let (desired, _) = desired(loaded, &placement)?;
    desired_report(loaded, &desired, &placement, today)
}

/// The posture of the live cluster `cluster` (read-only calls), with the blueprint's waivers
/// when there is a blueprint.
pub async fn audit_live(
    aws: &Aws,
    loaded: Option<&LoadedBlueprint>,
    cluster: &str,
    today: Date,
) -> Result<Report, OperationError> {
    let posture = audit::live::posture(aws, cluster, today).await?;
    let waivers = loaded.map(waivers::of).unwrap_or_default();
    Ok(Report::build(&posture, &waivers, &|_| None))
}
