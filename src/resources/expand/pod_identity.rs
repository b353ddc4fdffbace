//! EKS Pod Identity roles: trusted by `pods.eks.amazonaws.com` for this account and cluster
//! only. (Placeholder for the merge with the `[[pod_identity]]` work: the role builder.)

use serde_json::json;

use crate::resources::ResourceId;

use super::builder::Builder;
use super::iam::add_role;
use super::names::Arns;

/// An IAM role EKS Pod Identity may hand to pods of this cluster: the service principal may
/// assume it and tag the session, only for this account (`aws:SourceAccount`) and cluster
/// (`aws:SourceArn`).
pub(super) fn add_pod_identity_role(
    builder: &mut Builder,
    key: &str,
    role_name: &str,
    description: &str,
    arns: &Arns<'_>,
) -> ResourceId {
    let cluster_arn = arns.cluster(builder.blueprint());
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": arns.placement.account_id},
                "ArnEquals": {"aws:SourceArn": cluster_arn},
            },
        }],
    });
    add_role(builder, key, role_name, &trust, description)
}
