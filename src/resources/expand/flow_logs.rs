//! VPC flow logs (`network.flow_logs`): every packet decision of the VPC (traffic type ALL)
//! recorded, to a CloudWatch log group created first or to an S3 bucket the user owns.
//!
//! The CloudWatch destination gets its own group (kept `retention_days`, encrypted with the
//! secrets key when there is a cluster and its logs are encrypted) and a delivery role only
//! the flow logs service of this account may assume, for flow logs of this account and region
//! (`aws:SourceAccount`, `aws:SourceArn`: AWS's confused-deputy guard), allowed to write to
//! that group alone. Without `[cluster]` there is no key, so the group is not KMS-encrypted.
//!
//! Records are aggregated over 60 seconds (`MaxAggregationInterval`, AWS's default is 600):
//! a hardened VPC's investigations need the finer window, at the cost of more records.

use serde_json::json;

use crate::blueprint::limits::FLOW_LOG_DEFAULT_FIELDS;
use crate::blueprint::model::{FlowLogDestination, Network};
use crate::resources::policy::{document, placeholder};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::iam::add_role;
use super::logs::{add_log_group, LogSettings};
use super::names::Arns;

/// The shortest window flow logs aggregate over, in seconds.
const AGGREGATION_INTERVAL_SECS: i64 = 60;

/// The record format AWS uses when none is given, sent explicitly so what is read back
/// compares equal to what was meant.
pub(super) fn default_format() -> String {
    FLOW_LOG_DEFAULT_FIELDS
        .iter()
        .map(|field| format!("${{{field}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `flow_log.vpc` and, for CloudWatch, its log group, delivery role and the role's policy.
/// `cluster_logs` are the cluster's log settings (`None` without `[cluster]`). Nothing when
/// flow logs are off.
pub(super) fn add_flow_logs(
    builder: &mut Builder,
    network: &Network,
    vpc: &ResourceId,
    cluster_logs: Option<&LogSettings>,
    arns: &Arns,
) -> Option<ResourceId> {
    let options = network.flow_logs.options()?;
    // Validation refused any other destination; an unvalidated one is treated as CloudWatch,
    // the one that needs no input.
    let destination = options
        .parsed_destination()
        .unwrap_or(FlowLogDestination::CloudWatch);
    let format = options.format.clone().unwrap_or_else(default_format);
    let mut attrs = vec![
        ("resource_id", vpc.output("id")),
        ("resource_type", Value::str("VPC")),
        ("traffic_type", Value::str("ALL")),
        (
            "max_aggregation_interval",
            Value::Int(AGGREGATION_INTERVAL_SECS),
        ),
        ("log_format", Value::str(format)),
    ];
    let mut after = Vec::new();
    match destination {
        FlowLogDestination::CloudWatch => {
            let settings = LogSettings {
                retention_days: options
                    .retention_days
                    .or(cluster_logs.map(|logs| logs.retention_days))
                    .unwrap_or(crate::blueprint::model::DEFAULT_LOG_RETENTION_DAYS),
                kms_key_arn: cluster_logs.and_then(|logs| logs.kms_key_arn.clone()),
            };
            let name = format!("/aws/vpc/{}/flow-logs", builder.blueprint());
            let group = add_log_group(builder, "flow_logs", name, &settings);
            let delivery = add_delivery_role(builder, &group, arns);
            attrs.push(("log_destination_type", Value::str("cloud-watch-logs")));
            attrs.push(("log_group_name", group.output("name")));
            attrs.push(("deliver_logs_permission_arn", delivery.role.output("arn")));
            // The role may be assumed at once, but the service can write only once the
            // policy is in place.
            after.push(delivery.policy);
        }
        FlowLogDestination::S3 { bucket, prefix } => {
            let partition = &arns.placement.partition;
            let location = match prefix {
                Some(prefix) => format!("{bucket}/{prefix}"),
                None => bucket,
            };
            attrs.push(("log_destination_type", Value::str("s3")));
            attrs.push((
                "log_destination",
                Value::str(format!("arn:{partition}:s3:::{location}")),
            ));
        }
    }
    Some(builder.add_after(Kind::FlowLog, "vpc", attrs, after))
}

struct DeliveryRole {
    role: ResourceId,
    policy: ResourceId,
}

/// `iam_role.flow_logs`, assumable by the flow logs service for this account's flow logs
/// in this region only, and `iam_role_policy.flow_logs.deliver`: write to `group` and its
/// streams, nothing else.
fn add_delivery_role(builder: &mut Builder, group: &ResourceId, arns: &Arns) -> DeliveryRole {
    let placement = arns.placement;
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": placement.account_id},
                "ArnLike": {"aws:SourceArn": format!(
                    "arn:{}:ec2:{}:{}:vpc-flow-log/*",
                    placement.partition, placement.region, placement.account_id
                )},
            },
        }],
    });
    let name = format!("{}-vpc-flow-logs", builder.blueprint());
    let role = add_role(
        builder,
        "flow_logs",
        &name,
        &trust,
        "VPC flow logs delivery to this VPC's log group",
    );
    let group_arn = placeholder(group, "arn");
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DeliverFlowLogsToTheirGroup",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
            ],
            "Resource": [group_arn.clone(), format!("{group_arn}:log-stream:*")],
        }],
    });
    let policy = builder.add(
        Kind::IamRolePolicy,
        "flow_logs.deliver",
        [
            ("role", role.output("name")),
            ("name", Value::str("deliver-flow-logs")),
            ("policy", document(&policy)),
        ],
    );
    DeliveryRole { role, policy }
}
