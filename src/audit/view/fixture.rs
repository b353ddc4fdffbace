//! A posture every check passes: the hardened cluster as a picture. Check tests start from it
//! and break exactly one thing (`secure(Side::Live)` then `cluster.endpoint_private = false`).

use serde_json::json;

use super::*;

pub const ACCOUNT: &str = "123456789012";

/// The hardened cluster as `side` would see it. Subjects use desired ids on the desired side
/// and cloud ids / ARNs on the live side, like the real builders.
pub fn secure(side: Side) -> Posture {
    let id = |desired: &str, live: &str| match side {
        Side::Desired => desired.to_string(),
        Side::Live => live.to_string(),
    };
    let subject = |desired: &str, live: &str, key: &str| {
        let s = Subject::new(id(desired, live));
        match side {
            Side::Desired => s.with_key(key),
            Side::Live => s,
        }
    };
    let cluster_role = id(
        "iam_role.cluster",
        &format!("arn:aws:iam::{ACCOUNT}:role/prod-eks-cluster"),
    );
    let node_role = id(
        "iam_role.node",
        &format!("arn:aws:iam::{ACCOUNT}:role/prod-eks-node"),
    );
    let irsa_role = id(
        "iam_role.irsa.kube-system.aws-node",
        &format!("arn:aws:iam::{ACCOUNT}:role/prod-irsa-kube-system-aws-node"),
    );
    let key_arn =
        format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let issuer = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let provider_arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}");
    let private_subnets: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|az| {
            id(
                &format!("subnet.private.eu-west-1{az}"),
                &format!("subnet-private{az}"),
            )
        })
        .collect();
    let public_subnets: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|az| {
            id(
                &format!("subnet.public.eu-west-1{az}"),
                &format!("subnet-public{az}"),
            )
        })
        .collect();
    let mut subnets: Vec<SubnetView> = private_subnets
        .iter()
        .map(|s| SubnetView {
            subject: Subject::new(s.clone()).with_key_if(side, "network"),
            private: true,
            map_public_ip_on_launch: false,
            internet_route: None,
        })
        .collect();
    subnets.extend(public_subnets.iter().map(|s| SubnetView {
        subject: Subject::new(s.clone()).with_key_if(side, "network"),
        private: false,
        map_public_ip_on_launch: false,
        internet_route: Some(id("internet_gateway.main", "igw-0main")),
    }));
    let cluster_sg = id("security_group.cluster", "sg-0cluster");
    let node_sg = id("security_group.node", "sg-0node");
    let from = |rule: &str, protocol: &str, port: Option<i32>, source: &str| RuleView {
        subject: subject(&format!("security_group_rule.{rule}"), source, "cluster"),
        protocol: protocol.into(),
        from_port: port,
        to_port: port,
        cidrs: vec![],
        source_groups: vec![source.to_string()],
    };
    let trust_service = |service: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
    };
    let managed = |name: &str| format!("arn:aws:iam::aws:policy/{name}");

    Posture {
        side,
        today: Date {
            year: 2026,
            month: 11,
            day: 23,
        },
        account_id: Some(ACCOUNT.into()),
        partition: "aws".into(),
        cluster: Some(ClusterView {
            subject: subject(
                "eks_cluster.main",
                "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
                "cluster",
            ),
            name: "prod".into(),
            version: Fact::Known("1.34".into()),
            reported_version_status: match side {
                Side::Desired => None,
                Side::Live => Some("STANDARD_SUPPORT".into()),
            },
            endpoint_public: false,
            endpoint_private: true,
            public_access_cidrs: vec![],
            log_types: [
                "api",
                "audit",
                "authenticator",
                "controllerManager",
                "scheduler",
            ]
            .iter()
            .map(|t| t.to_string())
            .collect(),
            secrets_key: Some(id("kms_key.secrets", &key_arn)),
            authentication_mode: Fact::Known("API".into()),
            bootstrap_creator_admin: Fact::Known(false),
            deletion_protection: Fact::Known(true),
            role: Fact::Known(cluster_role.clone()),
            log_group: Fact::Known(Some(LogGroupView {
                subject: subject(
                    "log_group.cluster",
                    "/aws/eks/prod/cluster",
                    "cluster.log_retention_days",
                ),
                name: "/aws/eks/prod/cluster".into(),
                retention_days: Some(90),
                kms_key_id: Some(id("kms_key.secrets", &key_arn)),
            })),
            oidc_issuer: Some(format!("https://{issuer}")),
        }),
        network: Some(NetworkView {
            subject: subject("vpc.main", "vpc-0main", "network"),
            subnets,
            flow_logs: Fact::Known(true),
            nat: Fact::Known(true),
            endpoints: Fact::Known(vec![]),
            default_sg_has_rules: match side {
                Side::Desired => None,
                Side::Live => Some(Fact::Known(false)),
            },
        }),
        security_groups: vec![
            SecurityGroupView {
                subject: subject("security_group.cluster", &cluster_sg, "cluster"),
                role: GroupRole::Cluster,
                ingress: vec![from("cluster.from_nodes_443", "tcp", Some(443), &node_sg)],
            },
            SecurityGroupView {
                subject: subject("security_group.node", &node_sg, "node_groups"),
                role: GroupRole::Node,
                ingress: vec![
                    from("node.from_cluster_443", "tcp", Some(443), &cluster_sg),
                    from("node.from_cluster_10250", "tcp", Some(10250), &cluster_sg),
                    from("node.from_nodes_all", "-1", None, &node_sg),
                ],
            },
        ],
        secrets_key: Some(KeyView {
            subject: subject("kms_key.secrets", &key_arn, "encryption.kms_key"),
            customer_managed: Fact::Known(true),
            state: Fact::Known("Enabled".into()),
            rotation: Fact::Known(true),
            policy: Fact::Known(json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "AccountAdministration", "Effect": "Allow",
                     "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                     "Action": "kms:*", "Resource": "*"},
                    {"Sid": "ClusterSecretsEncryption", "Effect": "Allow",
                     "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/prod-eks-cluster")},
                     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*"],
                     "Resource": "*"},
                    {"Sid": "CloudWatchLogsOfThisAccount", "Effect": "Allow",
                     "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                     "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                     "Resource": "*",
                     "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": format!("arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:*")}}},
                ],
            })),
            aliases: Fact::Known(vec!["alias/prod-eks-secrets".into()]),
            admins: vec![],
            cluster_role_principal: Some(format!("arn:aws:iam::{ACCOUNT}:role/prod-eks-cluster")),
        }),
        roles: vec![
            RoleView {
                subject: subject("iam_role.cluster", &cluster_role, "cluster"),
                name: "prod-eks-cluster".into(),
                uses: RoleUse::Cluster,
                trust: Fact::Known(trust_service("eks.amazonaws.com")),
                managed_policies: Fact::Known(vec![managed("AmazonEKSClusterPolicy")]),
                policy_documents: Fact::Known(vec![]),
                service_account: None,
            },
            RoleView {
                subject: subject("iam_role.node", &node_role, "node_groups"),
                name: "prod-eks-node".into(),
                uses: RoleUse::Node,
                trust: Fact::Known(trust_service("ec2.amazonaws.com")),
                managed_policies: Fact::Known(vec![
                    managed("AmazonEKSWorkerNodePolicy"),
                    managed("AmazonEC2ContainerRegistryReadOnly"),
                    managed("AmazonSSMManagedInstanceCore"),
                ]),
                policy_documents: Fact::Known(vec![]),
                service_account: None,
            },
            RoleView {
                subject: subject(
                    "iam_role.irsa.kube-system.aws-node",
                    &irsa_role,
                    "irsa.service_accounts[0]",
                ),
                name: "prod-irsa-kube-system-aws-node".into(),
                uses: RoleUse::Irsa,
                trust: Fact::Known(json!({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{issuer}:sub"): "system:serviceaccount:kube-system:aws-node",
                        format!("{issuer}:aud"): "sts.amazonaws.com",
                    }},
                }]})),
                managed_policies: Fact::Known(vec![managed("AmazonEKS_CNI_Policy")]),
                policy_documents: Fact::Known(vec![]),
                service_account: Some(("kube-system".into(), "aws-node".into())),
            },
        ],
        oidc_provider: Fact::Known(Some(OidcProviderView {
            subject: subject(
                "iam_oidc_provider.main",
                &provider_arn,
                "irsa.oidc_provider",
            ),
            url: Fact::Known(format!("https://{issuer}")),
            client_ids: vec!["sts.amazonaws.com".into()],
        })),
        node_groups: vec![NodeGroupView {
            subject: subject(
                "eks_node_group.system",
                "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/system-1a2b3c4d/x",
                "node_groups[0]",
            ),
            name: "system".into(),
            ami_type: Fact::Known("BOTTLEROCKET_x86_64".into()),
            version: Some("1.34".into()),
            release_version: Some("1.50.0-abcdef12".into()),
            latest_release: Fact::Known("1.50.0-abcdef12".into()),
            subnets: private_subnets.clone(),
            node_role: Fact::Known(node_role.clone()),
            remote_access: None,
            launch: Fact::Known(LaunchView {
                subject: subject("launch_template.system", "lt-0system", "node_groups[0]"),
                http_tokens: Some("required".into()),
                hop_limit: Some(1),
                volumes: vec![
                    (Some("/dev/xvda".into()), Some(true)),
                    (Some("/dev/xvdb".into()), Some(true)),
                ],
                key_name: None,
                public_ip: false,
                user_data: Some("[settings.host-containers.admin]\nenabled = false\n".into()),
                node_settings: super::read_node_settings(Some(
                    "[settings.host-containers.admin]\nenabled = false\n",
                )),
                security_groups: vec![node_sg.clone()],
            }),
        }],
        session_preferences: Fact::Known(Some(SessionPreferencesView {
            subject: subject(
                "ssm_document.session_preferences",
                "SSM-SessionManagerRunShell",
                "access.session_logging",
            ),
            cloudwatch_log_group: Some("/aws/ssm/prod/sessions".into()),
            s3_bucket: None,
            kms_key_id: Some(key_arn.clone()),
            cloudwatch_encryption: true,
        })),
        access_entries: Fact::Known(vec![AccessEntryView {
            subject: subject(
                "eks_access_entry.admin.platform-admin",
                "arn:aws:iam::123456789012:role/platform-admin",
                "access.admins[0]",
            ),
            principal_arn: format!("arn:aws:iam::{ACCOUNT}:role/platform-admin"),
            kubernetes_groups: vec![],
            policies: vec![AccessPolicyView {
                policy_arn: Fact::Known(
                    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy".into(),
                ),
                scope: "cluster".into(),
                namespaces: vec![],
            }],
            principal_trust: Fact::Known(Some(json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/sso-platform")},
                "Action": "sts:AssumeRole"}]}))),
        }]),
        detection: Some(Fact::Known(DetectionView {
            subject: subject("detection", "detector-0abc", "detection"),
            guardduty: true,
            eks_audit_logs: true,
            runtime_monitoring: true,
        })),
        registry: Some(Fact::Known(RegistryView {
            registry_scanning: false,
            repositories: vec![RepositoryView {
                subject: subject(
                    "ecr_repository.apps",
                    &format!("arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/apps"),
                    "registry.repositories[0]",
                ),
                name: "apps".into(),
                scan_on_push: true,
                immutable_tags: true,
                policy: None,
                kms_encrypted: true,
                lifecycle_policy: true,
                newest_image_findings: match side {
                    Side::Desired => None,
                    Side::Live => Some(Fact::Known((0, 0))),
                },
            }],
        })),
        addons: Fact::Known(AddonsView {
            subject: subject(
                "eks_cluster.main",
                "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
                "addons",
            ),
            managed: ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"]
                .iter()
                .map(|name| AddonView {
                    subject: subject(&format!("addon.{name}"), name, "addons.managed"),
                    name: name.to_string(),
                    version: None,
                    default_version: Fact::Known(Some("v1.0.0-eksbuild.1".into())),
                    network_policy: (*name == "vpc-cni").then_some(true),
                    service_account_role: (*name == "vpc-cni").then(|| irsa_role.clone()),
                    pod_identity: false,
                })
                .collect(),
        }),
        ebs_encryption_by_default: match side {
            Side::Desired => None,
            Side::Live => Some(Fact::Known(true)),
        },
    }
}

impl Subject {
    fn with_key_if(self, side: Side, key: &str) -> Subject {
        match side {
            Side::Desired => self.with_key(key),
            Side::Live => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{evaluate, Outcome};

    /// The fixture is the baseline every check test breaks one thing of: nothing may fail on it.
    #[test]
    fn every_check_passes_the_secure_fixture_on_both_sides() {
        for side in [Side::Desired, Side::Live] {
            let failures: Vec<String> = evaluate(&secure(side))
                .into_iter()
                .filter_map(|(meta, evaluation)| match evaluation.outcome {
                    Outcome::Fail(detail) => Some(format!(
                        "{} on {}: {detail}",
                        meta.id, evaluation.subject.resource
                    )),
                    _ => None,
                })
                .collect();
            assert!(failures.is_empty(), "{side:?}: {failures:#?}");
        }
    }
}
