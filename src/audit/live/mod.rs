//! The live side: the posture view of a cluster as the AWS API describes it, for
//! `audit --live` and `audit --cluster`.
//!
//! The reads are `aws::observe`'s (read-only, concurrent); this module only maps what was
//! observed to the view (`from_observation`: pure, tested without AWS). A part that could not
//! be read becomes `Fact::Unknown` naming the call and the error code, never an error for the
//! whole audit; only a cluster that does not exist (or cannot be described) is an error.

mod cluster;
mod iam;
mod network;
mod nodes;
mod perimeter;

use crate::aws::observe::{self, ClusterObservation};
use crate::aws::{Aws, AwsError, ErrorClass};

use super::view::{Date, Fact, Posture, Side, Subject};

/// Reads the posture of EKS cluster `cluster` in `aws`'s region.
pub async fn posture(aws: &Aws, cluster: &str, today: Date) -> Result<Posture, AwsError> {
    let observed = observe::cluster(aws, cluster).await?;
    Ok(from_observation(&observed, today))
}

/// The posture view of an observed cluster.
pub fn from_observation(observed: &ClusterObservation, today: Date) -> Posture {
    let arn = observed
        .cluster
        .arn
        .clone()
        .unwrap_or_else(|| observed.requested_name.clone());
    let subject = Subject::new(arn.clone()).with_cloud_id(arn.clone());
    let (account_id, partition) = cluster::account_and_partition(&arn);
    let groups = network::security_groups(&observed.security_groups);
    let mut posture = Posture::empty(Side::Live, today);
    posture.account_id = account_id;
    posture.partition = partition;
    posture.cluster = Some(cluster::cluster_view(observed, subject.clone()));
    posture.network = observed.network.as_ref().map(|network| {
        let mut view = network::network_view(network);
        view.default_sg_has_rules = groups.default_has_rules.clone();
        view
    });
    posture.security_groups = groups.views;
    posture.secrets_key = observed
        .secrets_key
        .as_ref()
        .map(|key| iam::key_view(key, observed.cluster.role_arn.as_deref()));
    posture.roles = observed.roles.iter().map(iam::role_view).collect();
    posture.oidc_provider = cluster::oidc_provider(observed);
    posture.node_groups = nodes::node_groups(&observed.node_groups);
    posture.session_preferences = cluster::session_preferences(&observed.session_document);
    posture.access_entries = cluster::access_entries(&observed.access_entries);
    posture.detection = Some(perimeter::detection(&observed.detector));
    posture.registry = Some(perimeter::registry(&observed.registry));
    posture.addons = cluster::addons(&observed.addons, &subject);
    posture.ebs_encryption_by_default = Some(match &observed.ebs_encryption_by_default {
        Ok(Some(enabled)) => Fact::Known(*enabled),
        Ok(None) => Fact::unknown("ec2:GetEbsEncryptionByDefault returned no value"),
        Err(error) => unknown(error),
    });
    posture
}

/// Why a part of the picture could not be read: the call, the error code and what the endpoint
/// said. An endpoint that lacks the API (moto) is said so explicitly.
fn why(error: &AwsError) -> String {
    let code = error.code.as_deref().unwrap_or("no error code");
    match error.class {
        ErrorClass::Unsupported => format!(
            "{} is not available on this endpoint (API not implemented): {}",
            error.operation, error.message
        ),
        _ => format!("{} failed ({code}): {}", error.operation, error.message),
    }
}

/// The fact a failed read leaves: unknown, saying why.
fn unknown<T>(error: &AwsError) -> Fact<T> {
    Fact::unknown(why(error))
}

/// Like `unknown`, for the EKS list calls moto lacks: an endpoint without the API says so.
fn unknown_unless_listed<T>(error: &AwsError) -> Fact<T> {
    if api_missing(error) {
        Fact::unknown(format!(
            "{}: API not available on this endpoint (moto lacks it): {}",
            error.operation, error.message
        ))
    } else {
        unknown(error)
    }
}

/// Whether an error means "this endpoint does not implement the API" (moto's 404 / HTML
/// answers, `UnknownOperation`, `NotImplemented`), as opposed to a real answer.
fn api_missing(error: &AwsError) -> bool {
    error.class == ErrorClass::Unsupported
        || matches!(
            error.code.as_deref(),
            Some("UnknownOperationException")
                | Some("UnknownOperation")
                | Some("NotImplemented")
                | Some("InvalidAction")
        )
        || error.message.contains("404")
        || error.message.contains("not yet implemented")
}

#[cfg(test)]
mod tests;
