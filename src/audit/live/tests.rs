//! The mapper without AWS: observations built by hand, as `aws::observe` would return them.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::audit::view::RoleUse;
use crate::audit::Outcome;
use crate::aws::observe::{
    AccessEntryDescription, AccessPolicyDescription, ClusterDescription, DetectorDescription,
    FeatureDescription, KeyMetadataDescription, KeyObservation, LaunchData, LaunchObservation,
    LogGroupDescription, NamedDocument, NetworkObservation, NodeGroupObservation,
    OidcProviderDescription, PermissionDescription, RegistryObservation, RepositoryDescription,
    RoleObservation, RoleReference, RouteDescription, RouteTableDescription,
    SecurityGroupDescription, SecurityGroupsObservation, SessionDocument, SubnetDescription,
    VpcConfigDescription,
};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};
const CLUSTER_ARN: &str = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";
const CLUSTER_ROLE: &str = "arn:aws:iam::123456789012:role/prod-cluster";
const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/prod-node";
const KEY_ARN: &str = "arn:aws:kms:eu-west-1:123456789012:key/k1";
const ISSUER: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC";
const OIDC_ARN: &str =
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";

fn denied(operation: &'static str) -> AwsError {
    AwsError {
        resource: "x".into(),
        operation,
        code: Some("AccessDenied".into()),
        message: "not authorized".into(),
        class: ErrorClass::Other,
    }
}

fn role(arn: &str, reference: RoleReference, managed: &[&str]) -> RoleObservation {
    RoleObservation {
        arn: arn.into(),
        name: arn.rsplit('/').next().unwrap_or(arn).into(),
        reference,
        trust: Ok(Some(json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
                          "Principal": {"Service": "ec2.amazonaws.com"}}
        }))),
        attached_policy_arns: Ok(managed.iter().map(|arn| arn.to_string()).collect()),
        documents: Ok(Vec::new()),
    }
}

/// What eksforge's hardened blueprint looks like once applied.
fn hardened() -> ClusterObservation {
    ClusterObservation {
        requested_name: "prod".into(),
        cluster: ClusterDescription {
            arn: Some(CLUSTER_ARN.into()),
            name: Some("prod".into()),
            version: Some("1.34".into()),
            role_arn: Some(CLUSTER_ROLE.into()),
            vpc_config: Some(VpcConfigDescription {
                vpc_id: Some("vpc-1".into()),
                subnet_ids: vec!["subnet-a".into()],
                security_group_ids: vec![],
                cluster_security_group_id: Some("sg-cluster".into()),
                endpoint_public_access: false,
                endpoint_private_access: true,
                public_access_cidrs: vec![],
            }),
            secrets_key_arn: Some(KEY_ARN.into()),
            enabled_log_types: [
                "api",
                "audit",
                "authenticator",
                "controllerManager",
                "scheduler",
            ]
            .map(String::from)
            .to_vec(),
            authentication_mode: Some("API".into()),
            bootstrap_cluster_creator_admin: Some(false),
            deletion_protection: Some(true),
            oidc_issuer: Some(ISSUER.into()),
        },
        node_groups: Ok(vec![Ok(NodeGroupObservation {
            name: "system".into(),
            arn: Some("arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/system/1".into()),
            ami_type: Some("BOTTLEROCKET_x86_64".into()),
            version: Some("1.34".into()),
            release_version: Some("1.50.0-abc".into()),
            subnets: vec!["subnet-a".into()],
            node_role: Some(NODE_ROLE.into()),
            instance_types: vec!["m6i.large".into()],
            capacity_type: Some("ON_DEMAND".into()),
            scaling: Some((3, 6, 3)),
            remote_access: None,
            launch: LaunchObservation::Template {
                resource: "lt-1".into(),
                version: "3".into(),
                data: Ok(Some(LaunchData {
                    http_tokens: Some("required".into()),
                    hop_limit: Some(1),
                    volumes: vec![(Some("/dev/xvda".into()), Some(true))],
                    key_name: None,
                    associates_public_ip: false,
                    user_data: Some("[settings]\n".into()),
                    security_group_ids: vec!["sg-node".into()],
                })),
            },
            latest_release: Some(Ok(Some("1.50.0-abc".into()))),
        })]),
        log_group: Ok(Some(LogGroupDescription {
            arn: Some("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/eks/prod/cluster".into()),
            name: "/aws/eks/prod/cluster".into(),
            retention_in_days: Some(90),
            kms_key_id: Some(KEY_ARN.into()),
        })),
        oidc_provider: Ok(Some(OidcProviderDescription {
            arn: OIDC_ARN.into(),
            url: None,
            client_ids: vec!["sts.amazonaws.com".into()],
        })),
        session_document: Ok(Some(SessionDocument {
            content: Some(
                json!({"inputs": {"cloudWatchLogGroupName": "/ssm/sessions",
                                  "cloudWatchEncryptionEnabled": true, "kmsKeyId": KEY_ARN}})
                .to_string(),
            ),
        })),
        access_entries: Ok(vec![Ok(AccessEntryDescription {
            principal_arn: "arn:aws:iam::123456789012:role/platform-admin".into(),
            entry_arn: None,
            kubernetes_groups: vec![],
            policies: vec![AccessPolicyDescription {
                policy_arn: Some(
                    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into(),
                ),
                scope_type: None,
                scope_namespaces: vec![],
            }],
        })]),
        addons: Ok(Vec::new()),
        ebs_encryption_by_default: Ok(Some(true)),
        detector: Ok(Some(DetectorDescription {
            id: "d1".into(),
            enabled: true,
            blueprint: None,
            features: [
                ("EKS_AUDIT_LOGS", vec![]),
                ("RUNTIME_MONITORING", vec!["EKS_ADDON_MANAGEMENT"]),
            ]
            .into_iter()
            .map(|(name, additional)| {
                let feature = FeatureDescription {
                    status: "ENABLED".into(),
                    additional: additional
                        .into_iter()
                        .map(|name| (name.to_string(), "ENABLED".to_string()))
                        .collect(),
                };
                (name.to_string(), feature)
            })
            .collect(),
        })),
        registry: Ok(RegistryObservation {
            scans_every_repository: false,
            repositories: vec![RepositoryDescription {
                arn: "arn:aws:ecr:eu-west-1:123456789012:repository/app".into(),
                name: "app".into(),
                scan_on_push: true,
                immutable_tags: true,
                kms_encrypted: true,
                policy: None,
                lifecycle_policy: true,
                newest_image_findings: Some((0, 0)),
            }],
        }),
        vpc_id: Some("vpc-1".into()),
        network: Some(NetworkObservation {
            vpc_id: "vpc-1".into(),
            subnets: Ok(vec![SubnetDescription {
                id: "subnet-a".into(),
                map_public_ip_on_launch: false,
                tag_keys: vec!["kubernetes.io/role/internal-elb".into()],
            }]),
            route_tables: Ok(vec![RouteTableDescription {
                routes: vec![RouteDescription {
                    destination_cidr: Some("0.0.0.0/0".into()),
                    destination_ipv6_cidr: None,
                    gateway_id: Some("nat-1".into()),
                }],
                main: false,
                subnet_ids: vec!["subnet-a".into()],
            }]),
            flow_log_statuses: Ok(vec![Some("ACTIVE".into())]),
            endpoint_services: Ok(vec!["com.amazonaws.eu-west-1.ecr.api".into()]),
            nat_gateway_states: Ok(vec![Some("available".into())]),
        }),
        security_groups: SecurityGroupsObservation {
            cluster_group_ids: vec!["sg-cluster".into()],
            node_group_ids: BTreeSet::from(["sg-node".to_string()]),
            by_id: Ok(vec![
                SecurityGroupDescription {
                    id: "sg-cluster".into(),
                    ingress: vec![PermissionDescription {
                        protocol: Some("tcp".into()),
                        from_port: Some(443),
                        to_port: Some(443),
                        cidrs: vec![],
                        source_group_ids: vec!["sg-node".into()],
                    }],
                    has_egress_rules: true,
                },
                SecurityGroupDescription {
                    id: "sg-node".into(),
                    ingress: vec![],
                    has_egress_rules: true,
                },
            ]),
            default_group: Some(Ok(Some(SecurityGroupDescription {
                id: "sg-default".into(),
                ingress: vec![],
                has_egress_rules: false,
            }))),
        },
        secrets_key: Some(KeyObservation {
            arn: KEY_ARN.into(),
            metadata: Ok(KeyMetadataDescription {
                key_manager: Some("CUSTOMER".into()),
                key_state: Some("Enabled".into()),
            }),
            rotation_enabled: Ok(true),
            policy: Ok(Some(json!({"Statement": []}))),
            aliases: Ok(vec!["alias/prod".into()]),
        }),
        roles: vec![
            role(CLUSTER_ROLE, RoleReference::Cluster, &[]),
            role(
                NODE_ROLE,
                RoleReference::NodeGroup,
                &["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
            ),
        ],
    }
}

/// The same cluster with its weaknesses: public to the world, private access off, no logs,
/// rotation off, IMDSv1 with two hops, SSH open on the nodes, nodes in a public subnet.
fn weak() -> ClusterObservation {
    let mut observed = hardened();
    let config = observed.cluster.vpc_config.as_mut().expect("a VPC config");
    config.endpoint_public_access = true;
    config.endpoint_private_access = false;
    config.public_access_cidrs = vec!["0.0.0.0/0".into()];
    observed.cluster.enabled_log_types.clear();
    observed.cluster.authentication_mode = Some("CONFIG_MAP".into());
    if let Some(key) = &mut observed.secrets_key {
        key.rotation_enabled = Ok(false);
    }
    if let Ok(groups) = &mut observed.node_groups {
        if let Some(Ok(group)) = groups.first_mut() {
            if let LaunchObservation::Template {
                data: Ok(Some(data)),
                ..
            } = &mut group.launch
            {
                data.http_tokens = Some("optional".into());
                data.hop_limit = Some(2);
                // A template version written by hand: the admin container on.
                data.user_data = Some("[settings.host-containers.admin]\nenabled = true\n".into());
            }
        }
    }
    if let Ok(groups) = &mut observed.security_groups.by_id {
        groups[1].ingress.push(PermissionDescription {
            protocol: Some("tcp".into()),
            from_port: Some(22),
            to_port: Some(22),
            cidrs: vec!["0.0.0.0/0".into()],
            source_group_ids: vec![],
        });
    }
    if let Some(network) = &mut observed.network {
        network.route_tables = Ok(vec![RouteTableDescription {
            routes: vec![RouteDescription {
                destination_cidr: Some("0.0.0.0/0".into()),
                destination_ipv6_cidr: None,
                gateway_id: Some("igw-1".into()),
            }],
            main: true,
            subnet_ids: vec![],
        }]);
    }
    // GuardDuty off in the region; a repository that is mutable, unscanned, readable by
    // anyone, with AWS-owned encryption, no lifecycle and a vulnerable newest image.
    observed.detector = Ok(None);
    observed.registry = Ok(RegistryObservation {
        scans_every_repository: false,
        repositories: vec![RepositoryDescription {
            arn: "arn:aws:ecr:eu-west-1:123456789012:repository/app".into(),
            name: "app".into(),
            policy: Some(
                json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
                    .to_string(),
            ),
            newest_image_findings: Some((1, 3)),
            ..RepositoryDescription::default()
        }],
    });
    observed
}

/// Each check's outcomes, `Pass` / `Fail` / `NotEvaluated` by name.
fn outcomes(posture: &Posture, id: &str) -> Vec<&'static str> {
    crate::audit::evaluate(posture)
        .into_iter()
        .filter(|(meta, _)| meta.id == id)
        .map(|(_, evaluation)| match evaluation.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::NotEvaluated(_) => "not evaluated",
        })
        .collect()
}

const WEAKENED: [&str; 19] = [
    "EKS-NET-002",
    "EKS-NET-003",
    "EKS-NET-004",
    "EKS-NET-006",
    "EKS-ENC-003",
    "EKS-LOG-001",
    "EKS-NODE-002",
    "EKS-NODE-003",
    "EKS-NODE-009",
    "EKS-ACC-001",
    "EKS-DET-001",
    "EKS-DET-002",
    "EKS-DET-003",
    "EKS-IMG-001",
    "EKS-IMG-002",
    "EKS-IMG-003",
    "EKS-IMG-004",
    "EKS-IMG-006",
    "EKS-IMG-007",
];

#[test]
fn a_hardened_cluster_maps_to_passing_facts() {
    let posture = from_observation(&hardened(), TODAY);
    assert_eq!(posture.account_id.as_deref(), Some("123456789012"));
    assert_eq!(posture.partition, "aws");
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(cluster.authentication_mode, Fact::Known("API".into()));
    assert_eq!(cluster.deletion_protection, Fact::Known(true));
    let subnet = posture.subnet("subnet-a").expect("the node subnet");
    assert_eq!(subnet.internet_route, None);
    assert!(subnet.private);
    assert_eq!(
        posture.network.as_ref().map(|n| n.endpoints.clone()),
        Some(Fact::Known(vec!["ecr.api".into()]))
    );
    let roles: Vec<(&str, RoleUse)> = posture
        .roles
        .iter()
        .map(|role| (role.name.as_str(), role.uses))
        .collect();
    assert_eq!(
        roles,
        [
            ("prod-cluster", RoleUse::Cluster),
            ("prod-node", RoleUse::Node)
        ]
    );
    let oidc = posture.oidc_provider.known().and_then(Option::as_ref);
    assert_eq!(
        oidc.and_then(|provider| provider.url.known_str()),
        Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
        "the issuer's host stands in for a missing URL"
    );
    for id in WEAKENED
        .iter()
        .chain(&["EKS-NODE-004", "EKS-ENC-002", "EKS-ACC-006"])
    {
        let found = outcomes(&posture, id);
        assert!(
            !found.is_empty() && found.iter().all(|outcome| *outcome == "pass"),
            "{id}: {found:?}"
        );
    }
}

#[test]
fn a_weak_cluster_maps_to_failing_facts() {
    let posture = from_observation(&weak(), TODAY);
    let subnet = posture.subnet("subnet-a").expect("the node subnet");
    assert_eq!(
        subnet.internet_route.as_deref(),
        Some("igw-1"),
        "the main table covers subnets without an association"
    );
    for id in WEAKENED {
        assert!(outcomes(&posture, id).contains(&"fail"), "{id}");
    }
}

#[test]
fn a_denied_call_is_unknown_naming_the_call_and_code() {
    let mut observed = hardened();
    observed.roles[0].trust = Err(denied("iam:GetRole"));
    observed
        .secrets_key
        .as_mut()
        .expect("a key")
        .rotation_enabled = Err(denied("kms:GetKeyRotationStatus"));
    observed.log_group = Err(AwsError {
        class: ErrorClass::Unsupported,
        ..denied("logs:DescribeLogGroups")
    });
    observed.access_entries = Err(AwsError {
        code: Some("UnknownOperationException".into()),
        ..denied("eks:ListAccessEntries")
    });
    observed.addons = Ok(vec![Err(denied("eks:DescribeAddon"))]);
    observed.ebs_encryption_by_default = Ok(None);
    observed.detector = Err(denied("guardduty:ListDetectors"));
    observed.registry = Err(denied("ecr:DescribeRepositories"));
    let posture = from_observation(&observed, TODAY);

    assert_eq!(
        posture.roles[0].trust.why_unknown(),
        Some("iam:GetRole failed (AccessDenied): not authorized")
    );
    let key = posture.secrets_key.as_ref().expect("a key view");
    assert_eq!(
        key.rotation.why_unknown(),
        Some("kms:GetKeyRotationStatus failed (AccessDenied): not authorized")
    );
    assert_eq!(outcomes(&posture, "EKS-ENC-003"), ["not evaluated"]);
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(
        cluster.log_group.why_unknown(),
        Some("logs:DescribeLogGroups is not available on this endpoint (API not implemented): not authorized")
    );
    assert_eq!(
        posture.access_entries.why_unknown(),
        Some("eks:ListAccessEntries: API not available on this endpoint (moto lacks it): not authorized")
    );
    assert_eq!(
        posture.addons.why_unknown(),
        Some("eks:DescribeAddon failed (AccessDenied): not authorized")
    );
    assert_eq!(
        posture.ebs_encryption_by_default,
        Some(Fact::unknown(
            "ec2:GetEbsEncryptionByDefault returned no value"
        ))
    );
    for id in ["EKS-DET-001", "EKS-DET-003", "EKS-IMG-001", "EKS-IMG-007"] {
        assert_eq!(outcomes(&posture, id), ["not evaluated"], "{id}");
    }
}

/// Runtime monitoring counts only with the agent GuardDuty manages as an EKS add-on, under
/// either feature name (EKS_RUNTIME_MONITORING is the older one).
#[test]
fn runtime_monitoring_needs_the_managed_agent() {
    let mut observed = hardened();
    let detector = |feature: &str, addon: &str| DetectorDescription {
        id: "d1".into(),
        enabled: true,
        blueprint: None,
        features: [(
            feature.to_string(),
            FeatureDescription {
                status: "ENABLED".into(),
                additional: [("EKS_ADDON_MANAGEMENT".to_string(), addon.to_string())].into(),
            },
        )]
        .into(),
    };
    for (feature, addon, on) in [
        ("RUNTIME_MONITORING", "ENABLED", true),
        ("EKS_RUNTIME_MONITORING", "ENABLED", true),
        ("RUNTIME_MONITORING", "DISABLED", false),
    ] {
        observed.detector = Ok(Some(detector(feature, addon)));
        let posture = from_observation(&observed, TODAY);
        let view = posture
            .detection
            .as_ref()
            .and_then(Fact::known)
            .expect("a detection view");
        assert_eq!(
            view.runtime_monitoring, on,
            "{feature} with the add-on {addon}"
        );
    }
}

#[test]
fn what_the_answer_leaves_out_is_unknown_with_a_reason() {
    let mut observed = hardened();
    observed.cluster.authentication_mode = None;
    observed.cluster.deletion_protection = None;
    observed.secrets_key.as_mut().expect("a key").metadata = Ok(KeyMetadataDescription::default());
    if let Ok(groups) = &mut observed.node_groups {
        groups.push(Err(denied("eks:DescribeNodegroup")));
        if let Some(Ok(group)) = groups.first_mut() {
            group.latest_release = Some(Ok(None));
        }
    }
    observed.roles[1].documents = Ok(vec![NamedDocument {
        name: "inline".into(),
        document: json!({"Statement": []}),
    }]);
    let posture = from_observation(&observed, TODAY);
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(
        cluster.authentication_mode.why_unknown(),
        Some("eks:DescribeCluster returned no accessConfig (moto drops it)")
    );
    assert_eq!(
        cluster.deletion_protection.why_unknown(),
        Some("eks:DescribeCluster returned no deletionProtection")
    );
    let key = posture.secrets_key.as_ref().expect("a key view");
    assert_eq!(
        key.customer_managed.why_unknown(),
        Some("kms:DescribeKey returned no KeyManager")
    );
    assert_eq!(
        posture.node_groups.len(),
        1,
        "an unreadable group is left out"
    );
    assert_eq!(
        posture.node_groups[0].latest_release.why_unknown(),
        Some("ssm:GetParameter: no Bottlerocket release parameter for 1.34/x86_64")
    );
    assert_eq!(
        posture.roles[1].policy_documents.known().map(Vec::len),
        Some(1)
    );
}

#[test]
fn a_member_the_api_left_out_is_unknown_and_its_checks_not_evaluated() {
    let mut observed = hardened();
    observed.cluster.version = None;
    observed.cluster.role_arn = None;
    observed.cluster.oidc_issuer = None;
    if let Ok(groups) = &mut observed.node_groups {
        if let Some(Ok(group)) = groups.first_mut() {
            group.ami_type = None;
            group.node_role = None;
            if let LaunchObservation::Template {
                data: Ok(Some(data)),
                ..
            } = &mut group.launch
            {
                data.volumes = vec![(None, Some(false))];
            }
        }
    }
    if let Ok(entries) = &mut observed.access_entries {
        if let Some(Ok(entry)) = entries.first_mut() {
            // A whole account: whether it is cluster-admin decides the check.
            entry.principal_arn = "arn:aws:iam::123456789012:root".into();
            entry.policies[0].policy_arn = None;
        }
    }
    let posture = from_observation(&observed, TODAY);
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(
        cluster.version.why_unknown(),
        Some("eks:DescribeCluster returned no version")
    );
    assert_eq!(
        cluster.role.why_unknown(),
        Some("eks:DescribeCluster returned no roleArn")
    );
    let provider = posture
        .oidc_provider
        .known()
        .and_then(Option::as_ref)
        .expect("a provider");
    assert_eq!(
        provider.url.why_unknown(),
        Some("iam:GetOpenIDConnectProvider returned no Url and eks:DescribeCluster no oidc.issuer")
    );
    let group = &posture.node_groups[0];
    assert_eq!(
        group.ami_type.why_unknown(),
        Some("eks:DescribeNodegroup returned no amiType")
    );
    assert_eq!(
        group.latest_release.why_unknown(),
        Some("eks:DescribeNodegroup returned no amiType")
    );
    assert_eq!(
        group.node_role.why_unknown(),
        Some("eks:DescribeNodegroup returned no nodeRole")
    );
    let entries = posture.access_entries.known().expect("entries");
    assert_eq!(
        entries[0].policies[0].policy_arn.why_unknown(),
        Some("eks:ListAssociatedAccessPolicies returned no policyArn")
    );
    for id in [
        "EKS-VER-001",
        "EKS-VER-002",
        "EKS-VER-003",
        "EKS-NODE-001",
        "EKS-ACC-003",
        "EKS-ACC-004",
    ] {
        assert_eq!(outcomes(&posture, id), ["not evaluated"], "{id}");
    }
    let why = |id: &str| {
        crate::audit::evaluate(&posture)
            .into_iter()
            .find(|(meta, _)| meta.id == id)
            .map(|(_, evaluation)| evaluation.outcome)
    };
    assert_eq!(
        why("EKS-VER-001"),
        Some(Outcome::NotEvaluated(
            "eks:DescribeCluster returned no version".into()
        ))
    );
    assert_eq!(
        why("EKS-ACC-003"),
        Some(Outcome::NotEvaluated(
            "eks:ListAssociatedAccessPolicies returned no policyArn".into()
        ))
    );
    // An unnamed device still counts; the finding says it has no name.
    assert_eq!(
        why("EKS-NODE-004"),
        Some(Outcome::Fail("unencrypted: a device with no name".into()))
    );
}

#[test]
fn cluster_arns_give_account_and_partition() {
    assert_eq!(
        cluster::account_and_partition("arn:aws-cn:eks:cn-north-1:123456789012:cluster/x"),
        (Some("123456789012".into()), "aws-cn".into())
    );
    assert_eq!(cluster::account_and_partition("x"), (None, "aws".into()));
}
