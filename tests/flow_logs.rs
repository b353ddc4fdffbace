//! VPC flow logs (`network.flow_logs`) on the emulator, checked through EC2, CloudWatch Logs
//! and IAM: the reference blueprint's flow log goes to its log group through a delivery role
//! whose trust and policy are scoped; a deleted flow log is planned and put back; destroy
//! leaves nothing behind; bad options are refused at their file:line before any call.

mod support;

use serde_json::{json, Value as Json};

use support::cloud::Cloud;
use support::World;

/// The flow logs DescribeFlowLogs answers for one filter.
async fn flow_logs_where(
    cloud: &Cloud,
    filter: &str,
    value: &str,
) -> Vec<aws_sdk_ec2::types::FlowLog> {
    cloud
        .ec2
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name(filter)
                .values(value)
                .build(),
        )
        .send()
        .await
        .expect("DescribeFlowLogs")
        .flow_logs()
        .to_vec()
}

/// The flow logs tagged for `blueprint`.
async fn flow_logs(cloud: &Cloud, blueprint: &str) -> Vec<aws_sdk_ec2::types::FlowLog> {
    flow_logs_where(cloud, "tag:eksforge:blueprint", blueprint).await
}

fn decode(text: &str) -> Json {
    serde_json::from_str(&eksforge::aws::policy::percent_decode(text)).expect("a JSON policy")
}

/// Statements as a list whether the document wrote one or many.
fn statements(document: &Json) -> Vec<Json> {
    match &document["Statement"] {
        Json::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

fn as_list(value: &Json) -> Vec<Json> {
    match value {
        Json::Array(items) => items.clone(),
        single => vec![single.clone()],
    }
}

#[test]
fn the_reference_blueprint_logs_all_vpc_traffic_to_its_group_through_a_scoped_role() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        let vpcs = cloud.vpcs("hardened").await;
        let vpc_id = vpcs[0].vpc_id().expect("vpc id").to_string();
        let logs = flow_logs_where(&cloud, "resource-id", &vpc_id).await;
        assert_eq!(logs.len(), 1, "one flow log on the VPC: {logs:?}");
        let log = &logs[0];
        assert_eq!(log.traffic_type().map(|t| t.as_str()), Some("ALL"));
        assert_eq!(
            log.log_destination_type().map(|t| t.as_str()),
            Some("cloud-watch-logs")
        );
        assert_eq!(log.log_group_name(), Some("/aws/vpc/hardened/flow-logs"));
        assert_eq!(log.max_aggregation_interval(), Some(60));
        assert_eq!(log.deliver_logs_status(), Some("SUCCESS"), "{log:?}");
        let role = cloud
            .role("hardened-vpc-flow-logs")
            .await
            .expect("the delivery role");
        assert_eq!(log.deliver_logs_permission_arn(), Some(role.arn()));
        assert!(log.tags().iter().any(
            |tag| tag.key() == Some("eksforge:resource") && tag.value() == Some("flow_log.vpc")
        ));

        // The group: kept like the cluster's logs, encrypted with the blueprint's key.
        let groups = cloud.log_groups("/aws/vpc/hardened/flow-logs").await;
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].retention_in_days(), Some(90));
        let key = cloud.key("alias/hardened-eks-secrets").await;
        assert_eq!(groups[0].kms_key_id(), Some(key.arn().expect("key arn")));

        // Trust: the flow logs service, for this account's flow logs in this region only.
        let trust = decode(role.assume_role_policy_document().expect("trust"));
        let statement = &statements(&trust)[0];
        assert_eq!(
            statement["Principal"]["Service"],
            "vpc-flow-logs.amazonaws.com"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
        assert_eq!(
            statement["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"
        );

        // Its one policy: write to that group and its streams, nothing else.
        let policy = cloud
            .iam
            .get_role_policy()
            .role_name("hardened-vpc-flow-logs")
            .policy_name("deliver-flow-logs")
            .send()
            .await
            .expect("GetRolePolicy");
        let policy = decode(policy.policy_document());
        let group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vpc/hardened/flow-logs";
        let statement = &statements(&policy)[0];
        assert_eq!(
            as_list(&statement["Resource"]),
            vec![json!(group_arn), json!(format!("{group_arn}:log-stream:*"))]
        );
        let mut actions = as_list(&statement["Action"]);
        actions.sort_by_key(|action| action.to_string());
        assert_eq!(
            actions,
            vec![
                json!("logs:CreateLogStream"),
                json!("logs:DescribeLogGroups"),
                json!("logs:DescribeLogStreams"),
                json!("logs:PutLogEvents"),
            ]
        );
        assert_eq!(
            cloud
                .inline_policy_names("hardened-vpc-flow-logs")
                .await
                .len(),
            1
        );
        assert!(cloud
            .attached_policy_names("hardened-vpc-flow-logs")
            .await
            .is_empty());
    });

    let run = world.eksforge(&["plan", "hardened.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
}

/// A network without a cluster, its flow logs kept 30 days in a custom format.
const NETWORK_ONLY: &str = r#"[blueprint]
name = "flows"
region = "eu-west-1"

[network]
vpc_cidr = "10.60.0.0/16"
azs = 2
nat = "single"

[network.flow_logs]
retention_days = 30
format = "${srcaddr} ${dstaddr} ${dstport} ${action} ${flow-direction}"
"#;

#[test]
fn a_deleted_flow_log_is_planned_and_put_back_and_destroy_leaves_nothing() {
    let world = World::new();
    world.write("flows.toml", NETWORK_ONLY);
    let run = world.eksforge(&["apply", "flows.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    let first_id = world.block_on(async {
        let logs = flow_logs(&cloud, "flows").await;
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(
            logs[0].log_format(),
            Some("${srcaddr} ${dstaddr} ${dstport} ${action} ${flow-direction}")
        );
        let groups = cloud.log_groups("/aws/vpc/flows/flow-logs").await;
        assert_eq!(groups[0].retention_in_days(), Some(30));
        // No cluster, no key: the group is not KMS-encrypted.
        assert_eq!(groups[0].kms_key_id(), None);
        logs[0].flow_log_id().expect("id").to_string()
    });
    let run = world.eksforge(&["plan", "flows.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());

    // Drift: the flow log deleted by hand.
    world.block_on(async {
        cloud
            .ec2
            .delete_flow_logs()
            .flow_log_ids(&first_id)
            .send()
            .await
            .expect("DeleteFlowLogs by hand");
    });
    let run = world.eksforge(&["plan", "flows.toml", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        2,
        "the missing flow log is a change:\n{}",
        run.all()
    );
    let text = support::flat(&run.all());
    assert!(text.contains("+ flow_log.vpc"), "created again:\n{text}");
    let run = world.eksforge(&["apply", "flows.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "repair:\n{}", run.all());
    world.block_on(async {
        let logs = flow_logs(&cloud, "flows").await;
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_ne!(logs[0].flow_log_id(), Some(first_id.as_str()), "a new one");
    });
    let run = world.eksforge(&["plan", "flows.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());

    let run = world.eksforge(&["destroy", "flows.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "destroy:\n{}", run.all());
    world.block_on(async {
        assert!(flow_logs(&cloud, "flows").await.is_empty());
        assert!(cloud.log_groups("/aws/vpc/flows/").await.is_empty());
        assert!(cloud.role("flows-vpc-flow-logs").await.is_none());
        assert!(cloud.vpcs("flows").await.is_empty());
    });
}

#[test]
fn an_s3_destination_sends_records_to_the_bucket_without_a_group_or_role() {
    let world = World::new();
    world.block_on(async {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(world.sdk())
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket("audit-flows")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("CreateBucket");
    });
    let text = NETWORK_ONLY.replace(
        "retention_days = 30\n",
        "destination = \"s3://audit-flows/vpc\"\n",
    );
    world.write("flows.toml", &text);
    let run = world.eksforge(&["apply", "flows.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        let logs = flow_logs(&cloud, "flows").await;
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(
            logs[0].log_destination_type().map(|t| t.as_str()),
            Some("s3")
        );
        assert_eq!(
            logs[0].log_destination(),
            Some("arn:aws:s3:::audit-flows/vpc")
        );
        assert_eq!(logs[0].deliver_logs_permission_arn(), None);
        assert!(cloud.log_groups("/aws/vpc/flows/").await.is_empty());
        assert!(cloud.role("flows-vpc-flow-logs").await.is_none());
    });
    let run = world.eksforge(&["plan", "flows.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
    let run = world.eksforge(&["destroy", "flows.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "destroy:\n{}", run.all());
    world.block_on(async {
        assert!(flow_logs(&cloud, "flows").await.is_empty());
    });
}

/// Bad options, each refused at its own file:line before any AWS call.
#[test]
fn bad_flow_log_options_are_refused_at_their_line() {
    let world = World::new();
    let cases = [
        (
            "destination = \"s3://My_Bucket/logs\"",
            "network.flow_logs.destination",
            "bucket name",
        ),
        (
            "destination = \"firehose\"",
            "network.flow_logs.destination",
            "neither \"cloudwatch\"",
        ),
        (
            "format = \"${srcaddr} ${nonsense}\"",
            "network.flow_logs.format",
            "`nonsense` is not a flow log field",
        ),
        (
            "retention_days = 45",
            "network.flow_logs.retention_days",
            "not a retention period",
        ),
        (
            "destination = \"s3://flow-bucket\"\nretention_days = 30",
            "network.flow_logs.retention_days",
            "CloudWatch destination only",
        ),
        ("retain = 30", "retain", "unknown"),
    ];
    for (lines, key, reason) in cases {
        let text = format!(
            "[blueprint]\nname = \"bad\"\nregion = \"eu-west-1\"\n\n[network]\nvpc_cidr = \"10.60.0.0/16\"\n\n[network.flow_logs]\n{lines}\n"
        );
        world.write("bad.toml", &text);
        let run = world.eksforge(&["plan", "bad.toml"]);
        assert_ne!(run.code, 0, "{lines} refused:\n{}", run.all());
        let text = support::flat(&run.all());
        assert!(text.contains(key), "{lines}: names {key}:\n{text}");
        assert!(text.contains(reason), "{lines}: says {reason}:\n{text}");
        let last_line = lines.lines().count() + 8;
        assert!(
            text.contains(&format!("bad.toml:{last_line}:")),
            "{lines}: names bad.toml:{last_line}:\n{text}"
        );
    }
    assert!(
        world.proxy.calls().is_empty(),
        "no AWS call for a refused blueprint"
    );
}
