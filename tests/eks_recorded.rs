//! EKS APIs that moto lacks (access entries, `accessConfig` on the cluster, node-group
//! version updates) tested at the SDK boundary with recorded responses (aws-smithy-mocks):
//! the requests eksforge sends are matched field by field, and the responses are what the EKS
//! API reference documents. Everything moto does implement is tested against moto instead.

use std::collections::BTreeMap;

use aws_sdk_eks::operation::associate_access_policy::AssociateAccessPolicyOutput;
use aws_sdk_eks::operation::create_access_entry::CreateAccessEntryOutput;
use aws_sdk_eks::operation::create_cluster::CreateClusterOutput;
use aws_sdk_eks::operation::delete_access_entry::{
    DeleteAccessEntryError, DeleteAccessEntryOutput,
};
use aws_sdk_eks::operation::describe_access_entry::{
    DescribeAccessEntryError, DescribeAccessEntryOutput,
};
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
use aws_sdk_eks::operation::disassociate_access_policy::DisassociateAccessPolicyOutput;
use aws_sdk_eks::operation::list_associated_access_policies::ListAssociatedAccessPoliciesOutput;
use aws_sdk_eks::operation::update_cluster_config::UpdateClusterConfigOutput;
use aws_sdk_eks::operation::update_nodegroup_version::UpdateNodegroupVersionOutput;
use aws_sdk_eks::types::error::ResourceNotFoundException;
use aws_sdk_eks::types::{
    AccessConfigResponse, AccessEntry, AccessScope, AccessScopeType, AssociatedAccessPolicy,
    AuthenticationMode, Cluster, ClusterStatus, Nodegroup, NodegroupStatus, VpcConfigResponse,
};
use aws_sdk_eks::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use eksforge::aws::{
    provider, Aws, CreateRequest, DeleteRequest, Scope, UpdateRequest, WaitConfig,
};
use eksforge::resources::{Attrs, Kind, ResourceId, Value};

const CLUSTER: &str = "hardened";
const ADMIN: &str = "arn:aws:iam::123456789012:role/PlatformAdmin";
const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const VIEW_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// A ResourceNotFoundException as it arrives on the wire: with its error code.
fn not_found(message: &str) -> ResourceNotFoundException {
    ResourceNotFoundException::builder()
        .message(message)
        .meta(
            aws_sdk_eks::error::ErrorMetadata::builder()
                .code("ResourceNotFoundException")
                .message(message)
                .build(),
        )
        .build()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Clients for every service, with EKS replaced by the recorded one.
fn aws_with(eks: Client) -> Aws {
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let mut aws = Aws::from_sdk_config(
        &config,
        WaitConfig {
            first_poll: std::time::Duration::from_millis(1),
            ..WaitConfig::default()
        },
    );
    aws.eks = eks;
    aws
}

fn entry_attrs(policies: &[&str]) -> Attrs {
    Attrs::from([
        ("cluster_name".to_string(), Value::str(CLUSTER)),
        ("principal_arn".to_string(), Value::str(ADMIN)),
        ("type".to_string(), Value::str("STANDARD")),
        (
            "access_policies".to_string(),
            Value::List(
                policies
                    .iter()
                    .map(|arn| {
                        Value::Map(BTreeMap::from([
                            ("policy_arn".to_string(), Value::str(*arn)),
                            ("scope_type".to_string(), Value::str("cluster")),
                        ]))
                    })
                    .collect(),
            ),
        ),
        (
            "tags".to_string(),
            Value::Map(BTreeMap::from([(
                "eksforge:blueprint".to_string(),
                Value::str(CLUSTER),
            )])),
        ),
    ])
}

fn entry() -> AccessEntry {
    AccessEntry::builder()
        .cluster_name(CLUSTER)
        .principal_arn(ADMIN)
        .r#type("STANDARD")
        .access_entry_arn(format!("arn:aws:eks:eu-west-1:123456789012:access-entry/{CLUSTER}/role/123456789012/PlatformAdmin/x"))
        .tags("eksforge:blueprint", CLUSTER)
        .build()
}

fn associated(arns: &[&'static str]) -> ListAssociatedAccessPoliciesOutput {
    let mut output = ListAssociatedAccessPoliciesOutput::builder()
        .cluster_name(CLUSTER)
        .principal_arn(ADMIN);
    for arn in arns {
        output = output.associated_access_policies(
            AssociatedAccessPolicy::builder()
                .policy_arn(*arn)
                .access_scope(
                    AccessScope::builder()
                        .r#type(AccessScopeType::Cluster)
                        .build(),
                )
                .build(),
        );
    }
    output.build()
}

#[test]
fn an_access_entry_is_created_with_its_policy_and_reads_back_without_a_diff() {
    let create = mock!(Client::create_access_entry)
        .match_requests(|request| {
            request.cluster_name() == Some(CLUSTER)
                && request.principal_arn() == Some(ADMIN)
                && request.r#type() == Some("STANDARD")
                && request.client_request_token().is_some()
        })
        .then_output(|| {
            CreateAccessEntryOutput::builder()
                .access_entry(entry())
                .build()
        });
    let associate = mock!(Client::associate_access_policy)
        .match_requests(|request| {
            request.policy_arn() == Some(ADMIN_POLICY)
                && request.access_scope().and_then(|scope| scope.r#type())
                    == Some(&AccessScopeType::Cluster)
        })
        .then_output(|| AssociateAccessPolicyOutput::builder().build());
    let describe = mock!(Client::describe_access_entry).then_output(|| {
        DescribeAccessEntryOutput::builder()
            .access_entry(entry())
            .build()
    });
    let list =
        mock!(Client::list_associated_access_policies).then_output(|| associated(&[ADMIN_POLICY]));
    let eks = mock_client!(
        aws_sdk_eks,
        RuleMode::MatchAny,
        [&create, &associate, &describe, &list]
    );
    let aws = aws_with(eks);
    let id = ResourceId::parse("eks_access_entry.admin.PlatformAdmin").unwrap();
    let desired = entry_attrs(&[ADMIN_POLICY]);

    let observed = runtime()
        .block_on(provider(Kind::EksAccessEntry).create(
            &aws,
            CreateRequest {
                id: &id,
                attrs: &desired,
                idempotency_token: "t",
            },
        ))
        .unwrap();
    assert_eq!(observed.cloud_id, format!("{CLUSTER}|{ADMIN}"));
    assert_eq!(
        observed.attrs, desired,
        "what the API reports equals what was asked: no perpetual diff"
    );
    assert_eq!((create.num_calls(), associate.num_calls()), (1, 1));

    let scope = Scope {
        blueprint: CLUSTER.into(),
        recorded: BTreeMap::from([(id.clone(), (observed.cloud_id.clone(), desired.clone()))]),
        missing: BTreeMap::new(),
    };
    let found = runtime()
        .block_on(provider(Kind::EksAccessEntry).refresh(&aws, &scope))
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].observed.attrs, desired);
}

#[test]
fn changing_access_policies_associates_the_new_and_disassociates_the_old() {
    let associate = mock!(Client::associate_access_policy)
        .match_requests(|request| request.policy_arn() == Some(VIEW_POLICY))
        .then_output(|| AssociateAccessPolicyOutput::builder().build());
    let disassociate = mock!(Client::disassociate_access_policy)
        .match_requests(|request| {
            request.policy_arn() == Some(ADMIN_POLICY) && request.principal_arn() == Some(ADMIN)
        })
        .then_output(|| DisassociateAccessPolicyOutput::builder().build());
    let describe = mock!(Client::describe_access_entry).then_output(|| {
        DescribeAccessEntryOutput::builder()
            .access_entry(entry())
            .build()
    });
    let list =
        mock!(Client::list_associated_access_policies).then_output(|| associated(&[VIEW_POLICY]));
    let eks = mock_client!(
        aws_sdk_eks,
        RuleMode::MatchAny,
        [&associate, &disassociate, &describe, &list]
    );
    let aws = aws_with(eks);
    let id = ResourceId::parse("eks_access_entry.admin.PlatformAdmin").unwrap();
    let (before, after) = (entry_attrs(&[ADMIN_POLICY]), entry_attrs(&[VIEW_POLICY]));
    let cloud_id = format!("{CLUSTER}|{ADMIN}");
    let changed = vec!["access_policies".to_string()];
    let observed = runtime()
        .block_on(provider(Kind::EksAccessEntry).update(
            &aws,
            UpdateRequest {
                id: &id,
                cloud_id: &cloud_id,
                before: &before,
                after: &after,
                changed: &changed,
            },
        ))
        .unwrap();
    assert_eq!(observed.attrs, after);
    assert_eq!((associate.num_calls(), disassociate.num_calls()), (1, 1));
}

#[test]
fn a_missing_access_entry_is_not_found_and_deleting_it_again_succeeds() {
    let describe = mock!(Client::describe_access_entry).then_error(|| {
        DescribeAccessEntryError::ResourceNotFoundException(not_found("No access entry found"))
    });
    let delete = mock!(Client::delete_access_entry)
        .sequence()
        .output(|| DeleteAccessEntryOutput::builder().build())
        .error(|| DeleteAccessEntryError::ResourceNotFoundException(not_found("gone")))
        .build();
    let eks = mock_client!(aws_sdk_eks, RuleMode::MatchAny, [&describe, &delete]);
    let aws = aws_with(eks);
    let id = ResourceId::parse("eks_access_entry.admin.PlatformAdmin").unwrap();
    let scope = Scope {
        blueprint: CLUSTER.into(),
        recorded: BTreeMap::new(),
        missing: BTreeMap::from([(id.clone(), entry_attrs(&[ADMIN_POLICY]))]),
    };
    let found = runtime()
        .block_on(provider(Kind::EksAccessEntry).refresh(&aws, &scope))
        .unwrap();
    assert!(found.is_empty());
    let cloud_id = format!("{CLUSTER}|{ADMIN}");
    let attrs = entry_attrs(&[]);
    for _ in 0..2 {
        runtime()
            .block_on(provider(Kind::EksAccessEntry).delete(
                &aws,
                DeleteRequest {
                    id: &id,
                    cloud_id: &cloud_id,
                    attrs: &attrs,
                },
            ))
            .unwrap();
    }
    assert_eq!(delete.num_calls(), 2);
}

fn cluster(mode: AuthenticationMode, status: ClusterStatus) -> Cluster {
    Cluster::builder()
        .name(CLUSTER)
        .arn(format!(
            "arn:aws:eks:eu-west-1:123456789012:cluster/{CLUSTER}"
        ))
        .version("1.34")
        .role_arn("arn:aws:iam::123456789012:role/hardened-eks-cluster")
        .status(status)
        .resources_vpc_config(
            VpcConfigResponse::builder()
                .subnet_ids("subnet-a")
                .security_group_ids("sg-1")
                .endpoint_private_access(true)
                .endpoint_public_access(false)
                .public_access_cidrs("0.0.0.0/0")
                .build(),
        )
        .access_config(
            AccessConfigResponse::builder()
                .authentication_mode(mode)
                .build(),
        )
        .tags("eksforge:blueprint", CLUSTER)
        .tags("eksforge:resource", "eks_cluster.main")
        .build()
}

fn cluster_attrs() -> Attrs {
    Attrs::from([
        ("name".to_string(), Value::str(CLUSTER)),
        ("version".to_string(), Value::str("1.34")),
        (
            "role_arn".to_string(),
            Value::str("arn:aws:iam::123456789012:role/hardened-eks-cluster"),
        ),
        (
            "subnet_ids".to_string(),
            Value::List(vec![Value::str("subnet-a")]),
        ),
        (
            "security_group_ids".to_string(),
            Value::List(vec![Value::str("sg-1")]),
        ),
        ("endpoint_private_access".to_string(), Value::Bool(true)),
        ("endpoint_public_access".to_string(), Value::Bool(false)),
        ("enabled_log_types".to_string(), Value::List(vec![])),
        ("authentication_mode".to_string(), Value::str("API")),
        (
            "tags".to_string(),
            Value::Map(BTreeMap::from([
                ("eksforge:blueprint".to_string(), Value::str(CLUSTER)),
                (
                    "eksforge:resource".to_string(),
                    Value::str("eks_cluster.main"),
                ),
            ])),
        ),
    ])
}

#[test]
fn the_cluster_is_created_with_authentication_mode_api_and_a_config_map_cluster_is_moved_to_it() {
    let create = mock!(Client::create_cluster)
        .match_requests(|request| {
            let access = request.access_config();
            access.and_then(|config| config.authentication_mode()) == Some(&AuthenticationMode::Api)
                && access.and_then(|config| config.bootstrap_cluster_creator_admin_permissions())
                    == Some(false)
                && request
                    .resources_vpc_config()
                    .and_then(|vpc| vpc.endpoint_public_access())
                    == Some(false)
                && request
                    .resources_vpc_config()
                    .map(|vpc| vpc.public_access_cidrs().is_empty())
                    == Some(true)
        })
        .then_output(|| {
            CreateClusterOutput::builder()
                .cluster(cluster(AuthenticationMode::Api, ClusterStatus::Creating))
                .build()
        });
    // CREATING twice, then ACTIVE: the provider waits.
    let describe = mock!(Client::describe_cluster)
        .sequence()
        .output(|| {
            DescribeClusterOutput::builder()
                .cluster(cluster(AuthenticationMode::Api, ClusterStatus::Creating))
                .build()
        })
        .times(2)
        .output(|| {
            DescribeClusterOutput::builder()
                .cluster(cluster(AuthenticationMode::Api, ClusterStatus::Active))
                .build()
        })
        .repeatedly()
        .build();
    let eks = mock_client!(aws_sdk_eks, RuleMode::MatchAny, [&create, &describe]);
    let aws = aws_with(eks);
    let id = ResourceId::parse("eks_cluster.main").unwrap();
    let mut desired = cluster_attrs();
    desired.insert("bootstrap_cluster_creator_admin".into(), Value::Bool(false));
    let observed = runtime()
        .block_on(provider(Kind::EksCluster).create(
            &aws,
            CreateRequest {
                id: &id,
                attrs: &desired,
                idempotency_token: "t",
            },
        ))
        .unwrap();
    assert_eq!(create.num_calls(), 1);
    assert_eq!(describe.num_calls(), 3, "waited through CREATING");
    assert_eq!(
        observed.attrs.get("authentication_mode"),
        Some(&Value::str("API"))
    );
    assert!(
        !observed.attrs.contains_key("public_access_cidrs"),
        "0.0.0.0/0 reported for a closed public endpoint is not drift"
    );

    // A cluster still on the aws-auth ConfigMap is drift the plan shows and apply fixes in place.
    let describe = mock!(Client::describe_cluster)
        .sequence()
        .output(|| {
            DescribeClusterOutput::builder()
                .cluster(cluster(
                    AuthenticationMode::ConfigMap,
                    ClusterStatus::Active,
                ))
                .build()
        })
        .times(1)
        .output(|| {
            DescribeClusterOutput::builder()
                .cluster(cluster(AuthenticationMode::Api, ClusterStatus::Active))
                .build()
        })
        .repeatedly()
        .build();
    let update = mock!(Client::update_cluster_config)
        .match_requests(|request| {
            request
                .access_config()
                .and_then(|config| config.authentication_mode())
                == Some(&AuthenticationMode::Api)
        })
        .then_output(|| UpdateClusterConfigOutput::builder().build());
    let eks = mock_client!(aws_sdk_eks, RuleMode::MatchAny, [&describe, &update]);
    let aws = aws_with(eks);
    let scope = Scope {
        blueprint: CLUSTER.into(),
        recorded: BTreeMap::from([(id.clone(), (CLUSTER.to_string(), cluster_attrs()))]),
        missing: BTreeMap::new(),
    };
    let found = runtime()
        .block_on(provider(Kind::EksCluster).refresh(&aws, &scope))
        .unwrap();
    assert_eq!(
        found[0].observed.attrs.get("authentication_mode"),
        Some(&Value::str("CONFIG_MAP"))
    );
    let changed = vec!["authentication_mode".to_string()];
    let before = found[0].observed.attrs.clone();
    let after = cluster_attrs();
    runtime()
        .block_on(provider(Kind::EksCluster).update(
            &aws,
            UpdateRequest {
                id: &id,
                cloud_id: CLUSTER,
                before: &before,
                after: &after,
                changed: &changed,
            },
        ))
        .unwrap();
    assert_eq!(update.num_calls(), 1);
}

#[test]
fn a_new_launch_template_version_rolls_the_node_group_and_waits_for_it() {
    let update = mock!(Client::update_nodegroup_version)
        .match_requests(|request| {
            request.nodegroup_name() == Some("system-1a2b3c4d")
                && request
                    .launch_template()
                    .and_then(|template| template.version())
                    == Some("2")
                && request.launch_template().and_then(|template| template.id()) == Some("lt-1")
        })
        .then_output(|| UpdateNodegroupVersionOutput::builder().build());
    let group = |status: NodegroupStatus| {
        DescribeNodegroupOutput::builder()
            .nodegroup(
                Nodegroup::builder()
                    .cluster_name(CLUSTER)
                    .nodegroup_name("system-1a2b3c4d")
                    .status(status)
                    .build(),
            )
            .build()
    };
    let describe = mock!(Client::describe_nodegroup)
        .sequence()
        .output(move || group(NodegroupStatus::Updating))
        .times(2)
        .output(move || group(NodegroupStatus::Active))
        .repeatedly()
        .build();
    let eks = mock_client!(aws_sdk_eks, RuleMode::MatchAny, [&update, &describe]);
    let aws = aws_with(eks);
    let id = ResourceId::parse("eks_node_group.system").unwrap();
    let attrs = |version: &str| {
        Attrs::from([
            ("cluster_name".to_string(), Value::str(CLUSTER)),
            ("name".to_string(), Value::str("system-1a2b3c4d")),
            ("launch_template_id".to_string(), Value::str("lt-1")),
            ("launch_template_version".to_string(), Value::str(version)),
        ])
    };
    let changed = vec!["launch_template_version".to_string()];
    runtime()
        .block_on(provider(Kind::EksNodeGroup).update(
            &aws,
            UpdateRequest {
                id: &id,
                cloud_id: "system-1a2b3c4d",
                before: &attrs("1"),
                after: &attrs("2"),
                changed: &changed,
            },
        ))
        .unwrap();
    assert_eq!(update.num_calls(), 1);
    assert!(describe.num_calls() >= 3, "waited through UPDATING");
}
