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
use super::ExpandError;

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
/// flow logs are off; a destination validation would have refused is an error.
pub(super) fn add_flow_logs(
    builder: &mut Builder,
    network: &Network,
    vpc: &ResourceId,
    cluster_logs: Option<&LogSettings>,
    arns: &Arns,
) -> Result<Option<ResourceId>, ExpandError> {
    let Some(options) = network.flow_logs.options() else {
        return Ok(None);
    };
    let destination = options
        .parsed_destination()
        .map_err(ExpandError::InvalidFlowLogDestination)?;
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
    Ok(Some(builder.add_after(Kind::FlowLog, "vpc", attrs, after)))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::blueprint::load_str;
    use crate::resources::{expand, DesiredSet, Kind, Placement, ResourceId, Value};

    fn expanded(network: &str, rest: &str) -> DesiredSet {
        let text = format!(
            "[blueprint]\nname = \"shop\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n{network}\n{rest}"
        );
        let loaded = load_str("shop.toml", &text, &[]).expect("valid");
        expand(&loaded.model, &Placement::example(2)).expect("expands")
    }

    fn id(kind: Kind, name: &str) -> ResourceId {
        ResourceId::new(kind, name)
    }

    fn attr<'a>(set: &'a DesiredSet, id: &ResourceId, attribute: &str) -> Option<&'a Value> {
        set.get(id)
            .unwrap_or_else(|| panic!("{id} is expanded"))
            .attrs
            .get(attribute)
    }

    /// The attribute's text, references written as `<resource>.<output>`.
    fn text(set: &DesiredSet, id: &ResourceId, attribute: &str) -> String {
        let value = attr(set, id, attribute).unwrap_or_else(|| panic!("{id}.{attribute}"));
        match value.resolve(&|reference| Some(Value::str(reference.to_string()))) {
            Some(Value::Str(text)) => text,
            other => panic!("{id}.{attribute} is {other:?}"),
        }
    }

    fn json_attr(set: &DesiredSet, id: &ResourceId, attribute: &str) -> serde_json::Value {
        serde_json::from_str(&text(set, id, attribute)).expect("JSON")
    }

    #[test]
    fn off_by_default_builds_nothing() {
        let set = expanded("", "");
        assert!(set.resources.keys().all(|id| id.kind() != Kind::FlowLog));
        assert!(set.get(&id(Kind::LogGroup, "flow_logs")).is_none());
        assert!(set.get(&id(Kind::IamRole, "flow_logs")).is_none());
    }

    #[test]
    fn cloudwatch_gets_a_group_a_guarded_role_and_a_policy_on_that_group_only() {
        let set = expanded("flow_logs = true", "[cluster]\nlog_retention_days = 30");
        let flow_log = id(Kind::FlowLog, "vpc");
        let group = id(Kind::LogGroup, "flow_logs");
        let role = id(Kind::IamRole, "flow_logs");
        let policy = id(Kind::IamRolePolicy, "flow_logs.deliver");
        assert_eq!(
            attr(&set, &flow_log, "traffic_type"),
            Some(&Value::str("ALL"))
        );
        assert_eq!(
            attr(&set, &flow_log, "resource_type"),
            Some(&Value::str("VPC"))
        );
        assert_eq!(
            attr(&set, &flow_log, "log_destination_type"),
            Some(&Value::str("cloud-watch-logs"))
        );
        assert_eq!(
            attr(&set, &flow_log, "log_group_name"),
            Some(&group.output("name"))
        );
        assert_eq!(
            attr(&set, &flow_log, "deliver_logs_permission_arn"),
            Some(&role.output("arn"))
        );
        assert_eq!(
            attr(&set, &flow_log, "max_aggregation_interval"),
            Some(&Value::Int(60))
        );
        assert_eq!(
            attr(&set, &flow_log, "log_format"),
            Some(&Value::str(super::default_format()))
        );
        assert!(attr(&set, &flow_log, "log_destination").is_none());
        assert!(
            set.get(&flow_log)
                .expect("flow log")
                .depends_on
                .contains(&policy),
            "created once the role may write"
        );
        // The cluster's retention and its key.
        assert_eq!(
            attr(&set, &group, "retention_in_days"),
            Some(&Value::Int(30))
        );
        assert_eq!(
            attr(&set, &group, "kms_key_id"),
            Some(&id(Kind::KmsKey, "secrets").output("arn"))
        );
        assert_eq!(
            attr(&set, &group, "name"),
            Some(&Value::str("/aws/vpc/shop/flow-logs"))
        );
        assert_eq!(
            json_attr(&set, &role, "assume_role_policy"),
            json!({
                "Statement": {
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": "arn:aws:ec2:eu-west-1:111122223333:vpc-flow-log/*"},
                        "StringEquals": {"aws:SourceAccount": "111122223333"},
                    },
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                },
                "Version": "2012-10-17",
            })
        );
        let document = json_attr(&set, &policy, "policy");
        assert_eq!(
            document["Statement"]["Resource"],
            json!([
                "log_group.flow_logs.arn",
                "log_group.flow_logs.arn:log-stream:*"
            ]),
            "the group and its streams only"
        );
    }

    #[test]
    fn without_a_cluster_the_group_has_no_key_and_the_default_retention() {
        let set = expanded("flow_logs = true", "");
        let group = id(Kind::LogGroup, "flow_logs");
        assert!(attr(&set, &group, "kms_key_id").is_none());
        assert_eq!(
            attr(&set, &group, "retention_in_days"),
            Some(&Value::Int(i64::from(
                crate::blueprint::model::DEFAULT_LOG_RETENTION_DAYS
            )))
        );
    }

    #[test]
    fn options_set_retention_and_format() {
        let set = expanded(
            "[network.flow_logs]\nretention_days = 7\nformat = \"${srcaddr} ${action}\"",
            "[cluster]",
        );
        assert_eq!(
            attr(&set, &id(Kind::LogGroup, "flow_logs"), "retention_in_days"),
            Some(&Value::Int(7))
        );
        assert_eq!(
            attr(&set, &id(Kind::FlowLog, "vpc"), "log_format"),
            Some(&Value::str("${srcaddr} ${action}"))
        );
    }

    #[test]
    fn an_unvalidated_destination_is_an_error_not_a_guess() {
        use crate::blueprint::model::{FlowLogOptions, FlowLogs};
        let text = "[blueprint]\nname = \"shop\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";
        let mut model = load_str("shop.toml", text, &[]).expect("valid").model;
        model.network.flow_logs = FlowLogs::Options(FlowLogOptions {
            destination: "ftp://elsewhere".into(),
            ..FlowLogOptions::default()
        });
        let error = expand(&model, &Placement::example(2)).expect_err("refused");
        assert!(
            matches!(
                error,
                crate::resources::ExpandError::InvalidFlowLogDestination(_)
            ),
            "{error:?}"
        );
    }

    #[test]
    fn s3_sends_the_bucket_arn_and_makes_no_group_or_role() {
        let set = expanded(
            "[network.flow_logs]\ndestination = \"s3://audit-flows/shop/\"",
            "",
        );
        let flow_log = id(Kind::FlowLog, "vpc");
        assert_eq!(
            attr(&set, &flow_log, "log_destination_type"),
            Some(&Value::str("s3"))
        );
        assert_eq!(
            attr(&set, &flow_log, "log_destination"),
            Some(&Value::str("arn:aws:s3:::audit-flows/shop"))
        );
        assert!(attr(&set, &flow_log, "deliver_logs_permission_arn").is_none());
        assert!(set.get(&id(Kind::LogGroup, "flow_logs")).is_none());
        assert!(set.get(&id(Kind::IamRole, "flow_logs")).is_none());
    }
}
