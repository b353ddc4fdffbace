//! The hardened cluster on top of the network: KMS key, log groups, IAM roles and policy
//! attachments, security groups and rules, the EKS cluster, launch templates and Bottlerocket
//! managed node groups, the OIDC provider and IRSA roles, Session Manager preferences, access
//! entries. Every default here is the secure one (DESIGN.md, "The hardened cluster").

use std::collections::BTreeMap;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::blueprint::model::{Blueprint, ControlPlaneLogType, NodeGroup};

use super::expand::Builder;
use super::policy::{document, placeholder};
use super::{Kind, Placement, ResourceId, Value};

pub(super) fn expand_cluster(
    builder: &mut Builder,
    blueprint: &Blueprint,
    placement: &Placement,
    vpc: &ResourceId,
    private_subnets: &[ResourceId],
    public_subnets: &[ResourceId],
) {
    let Some(cluster) = &blueprint.cluster else {
        return;
    };
    let name = blueprint.blueprint.name.clone();
    let partition = placement.partition.clone();
    let account = placement.account_id.clone();
    let region = placement.region.clone();
    let managed = |policy: &str| format!("arn:{partition}:iam::aws:policy/{policy}");

    // IAM: the cluster role (EKS only) unless `cluster.role_arn` names an existing one, and
    // the node role (no CNI policy: that goes to the aws-node service account through IRSA).
    let mut cluster_attachments = Vec::new();
    let (cluster_role_arn, cluster_role_principal) = match &cluster.role_arn {
        Some(arn) => (Value::str(arn.clone()), arn.clone()),
        None => {
            let cluster_role = role(
                builder,
                "cluster",
                &format!("{name}-eks-cluster"),
                "eks.amazonaws.com",
                "EKS control plane of this cluster",
            );
            cluster_attachments.push(attach(
                builder,
                "cluster",
                &cluster_role,
                &managed("AmazonEKSClusterPolicy"),
            ));
            (
                cluster_role.output("arn"),
                placeholder(&cluster_role, "arn"),
            )
        }
    };
    let node_role = role(
        builder,
        "node",
        &format!("{name}-eks-node"),
        "ec2.amazonaws.com",
        "Bottlerocket nodes of this cluster",
    );
    let mut node_policies: Vec<String> = [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
    ]
    .iter()
    .map(|policy| managed(policy))
    .collect();
    let access = blueprint
        .access
        .clone()
        .unwrap_or(crate::blueprint::model::Access {
            ssm_only: true,
            session_logging: true,
            admins: Vec::new(),
            entries: Vec::new(),
        });
    if access.ssm_only {
        node_policies.push(managed("AmazonSSMManagedInstanceCore"));
    }
    // `node_groups.N.extra_policies` go on the one shared node role.
    for policy in blueprint
        .node_groups
        .iter()
        .flat_map(|group| &group.extra_policies)
    {
        if !node_policies.contains(policy) {
            node_policies.push(policy.clone());
        }
    }
    let node_attachments: Vec<ResourceId> = node_policies
        .iter()
        .map(|policy| attach(builder, "node", &node_role, policy))
        .collect();

    // The customer-managed key: secrets, the control-plane and session log groups.
    let encryption = blueprint
        .encryption
        .clone()
        .unwrap_or(crate::blueprint::model::Encryption {
            kms_key: "create".into(),
            rotation: true,
            deletion_window_days: 30,
            alias: None,
            key_admins: Vec::new(),
            key_policy: None,
        });
    let (key_arn, key_resource): (Value, Option<ResourceId>) = if encryption.kms_key == "create" {
        let key = ResourceId::new(Kind::KmsKey, "secrets");
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministration",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "ClusterSecretsEncryption",
                    "Effect": "Allow",
                    "Principal": {"AWS": cluster_role_principal},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": format!("logs.{region}.amazonaws.com")},
                    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": format!("arn:{partition}:logs:{region}:{account}:log-group:*")}},
                },
            ],
        });
        let policy = extend_key_policy(
            policy,
            &encryption.key_admins,
            encryption.key_policy.as_deref(),
        );
        builder.add_resource(
            Kind::KmsKey,
            "secrets",
            vec![
                (
                    "description",
                    Value::str(format!("eksforge {name}: EKS secrets and log encryption")),
                ),
                (
                    "alias",
                    Value::str(
                        encryption
                            .alias
                            .clone()
                            .unwrap_or_else(|| default_key_alias(&name)),
                    ),
                ),
                ("enable_key_rotation", Value::Bool(encryption.rotation)),
                ("enabled", Value::Bool(true)),
                (
                    "deletion_window_days",
                    Value::Int(i64::from(encryption.deletion_window_days)),
                ),
                ("policy", document(&policy)),
            ],
            [],
        );
        (key.output("arn"), Some(key))
    } else {
        (Value::str(encryption.kms_key.clone()), None)
    };

    // `cluster.log_encryption = false` leaves the log groups without a key (EKS-LOG-003).
    let log_key = |mut attrs: Vec<(&'static str, Value)>| {
        if cluster.log_encryption {
            attrs.push(("kms_key_id", key_arn.clone()));
        }
        attrs
    };
    let log_group = builder.add_resource(
        Kind::LogGroup,
        "cluster",
        log_key(vec![
            ("name", Value::str(format!("/aws/eks/{name}/cluster"))),
            (
                "retention_in_days",
                Value::Int(i64::from(cluster.log_retention_days)),
            ),
        ]),
        [],
    );

    // Security groups: control plane ↔ nodes on 443 and 10250, node ↔ node; never 22, never
    // anything from 0.0.0.0/0.
    let cluster_sg = builder.add_resource(
        Kind::SecurityGroup,
        "cluster",
        vec![
            ("name", Value::str(format!("{name}-eks-cluster"))),
            (
                "description",
                Value::str(format!("eksforge {name}: EKS control plane")),
            ),
            ("vpc_id", vpc.output("id")),
        ],
        [],
    );
    let node_sg = builder.add_resource(
        Kind::SecurityGroup,
        "node",
        vec![
            ("name", Value::str(format!("{name}-eks-node"))),
            (
                "description",
                Value::str(format!("eksforge {name}: EKS nodes")),
            ),
            ("vpc_id", vpc.output("id")),
        ],
        [],
    );
    rule(
        builder,
        "cluster.from_nodes_443",
        &cluster_sg,
        "tcp",
        443,
        &node_sg,
        "nodes to the API server",
    );
    rule(
        builder,
        "node.from_cluster_443",
        &node_sg,
        "tcp",
        443,
        &cluster_sg,
        "control plane to webhooks on nodes",
    );
    rule(
        builder,
        "node.from_cluster_10250",
        &node_sg,
        "tcp",
        10250,
        &cluster_sg,
        "control plane to kubelets",
    );
    rule(
        builder,
        "node.from_nodes_all",
        &node_sg,
        "-1",
        -1,
        &node_sg,
        "node to node (pods across nodes)",
    );
    // `[[security_rules]]`: written on purpose, one resource per source.
    for (index, extra) in blueprint.security_rules.iter().enumerate() {
        let group = if extra.group == "cluster" {
            &cluster_sg
        } else {
            &node_sg
        };
        let mut sources: Vec<(&str, Value)> = extra
            .cidrs
            .iter()
            .map(|cidr| ("cidr_ipv4", Value::str(cidr.clone())))
            .collect();
        match extra.source_group.as_deref() {
            Some("cluster") => sources.push(("source_security_group_id", cluster_sg.output("id"))),
            Some("node") => sources.push(("source_security_group_id", node_sg.output("id"))),
            Some(other) => sources.push(("source_security_group_id", Value::str(other))),
            None => {}
        }
        let single = sources.len() == 1;
        for (source_index, (source_key, source)) in sources.into_iter().enumerate() {
            let mut attrs = vec![
                ("security_group_id", group.output("id")),
                ("direction", Value::str("ingress")),
                ("protocol", Value::str(extra.protocol.clone())),
                (source_key, source),
                ("description", Value::str(extra.description.clone())),
            ];
            if extra.protocol != "-1" {
                if let (Some(from), Some(to)) = (extra.from_port, extra.to_port) {
                    attrs.push(("from_port", Value::Int(i64::from(from))));
                    attrs.push(("to_port", Value::Int(i64::from(to))));
                }
            }
            let key = if single {
                format!("extra.{index}")
            } else {
                format!("extra.{index}.{source_index}")
            };
            builder.add_resource(Kind::SecurityGroupRule, &key, attrs, []);
        }
    }

    // The cluster: private subnets, private endpoint, all five log types, secrets encrypted,
    // access entries for authentication.
    let mut log_types: Vec<Value> = ControlPlaneLogType::ALL
        .iter()
        .filter(|kind| cluster.logging.contains(kind))
        .map(|kind| Value::str(kind.as_str()))
        .collect();
    log_types.dedup();
    let mut cluster_attrs = vec![
        ("name", Value::str(name.clone())),
        ("version", Value::str(cluster.version.clone())),
        ("role_arn", cluster_role_arn),
        (
            "subnet_ids",
            Value::List(
                private_subnets
                    .iter()
                    .map(|subnet| subnet.output("id"))
                    .collect(),
            ),
        ),
        (
            "security_group_ids",
            Value::List(vec![cluster_sg.output("id")]),
        ),
        (
            "endpoint_private_access",
            Value::Bool(cluster.endpoint_private),
        ),
        (
            "endpoint_public_access",
            Value::Bool(cluster.endpoint_public),
        ),
        ("enabled_log_types", Value::List(log_types)),
        ("secrets_kms_key_arn", key_arn.clone()),
        (
            "authentication_mode",
            Value::str(cluster.authentication_mode.as_str()),
        ),
        (
            "bootstrap_cluster_creator_admin",
            Value::Bool(cluster.bootstrap_creator_admin.unwrap_or(
                // Nobody else is named: the creator must be admin or nobody is.
                access.admins.is_empty() && access.entries.is_empty(),
            )),
        ),
    ];
    if cluster.endpoint_public {
        let mut cidrs = cluster.public_access_cidrs.clone();
        cidrs.sort();
        cluster_attrs.push((
            "public_access_cidrs",
            Value::List(cidrs.into_iter().map(Value::Str).collect()),
        ));
    }
    cluster_attachments.push(log_group.clone());
    cluster_attachments.extend(key_resource.clone());
    let eks = builder.add_resource(Kind::EksCluster, "main", cluster_attrs, cluster_attachments);

    // Identity: the OIDC provider and IRSA roles conditioned on both `sub` and `aud`.
    let irsa = blueprint
        .irsa
        .clone()
        .unwrap_or(crate::blueprint::model::Irsa {
            oidc_provider: true,
            service_accounts: Vec::new(),
        });
    if irsa.oidc_provider {
        let provider = builder.add_resource(
            Kind::IamOidcProvider,
            "main",
            vec![
                ("url", eks.output("oidc_issuer")),
                (
                    "client_ids",
                    Value::List(vec![Value::str("sts.amazonaws.com")]),
                ),
            ],
            [],
        );
        for account in &irsa.service_accounts {
            let key = format!("irsa.{}.{}", account.namespace, account.name);
            let trust = json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": placeholder(&provider, "arn")},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{}:sub", placeholder(&provider, "url")): format!("system:serviceaccount:{}:{}", account.namespace, account.name),
                        format!("{}:aud", placeholder(&provider, "url")): "sts.amazonaws.com",
                    }},
                }],
            });
            let role_name = bounded_name(
                &format!("{name}-irsa-{}-{}", account.namespace, account.name),
                64,
            );
            let role = builder.add_resource(
                Kind::IamRole,
                &key,
                vec![
                    ("name", Value::str(role_name)),
                    ("path", Value::str("/")),
                    ("assume_role_policy", document(&trust)),
                    (
                        "description",
                        Value::str(format!(
                            "IRSA for {}/{} in {name}",
                            account.namespace, account.name
                        )),
                    ),
                    ("max_session_duration", Value::Int(3600)),
                ],
                [],
            );
            for policy in &account.managed_policies {
                attach(builder, &key, &role, policy);
            }
            for (policy_name, text) in &account.inline_policies {
                // Validation refuses documents that do not parse.
                let Ok(parsed) = serde_json::from_str::<serde_json::Value>(text) else {
                    continue;
                };
                builder.add_resource(
                    Kind::IamRolePolicy,
                    &format!("{key}.{}", sanitise(policy_name)),
                    vec![
                        ("role", role.output("name")),
                        ("name", Value::str(policy_name.clone())),
                        ("policy", document(&parsed)),
                    ],
                    [],
                );
            }
        }
    }

    // Bottlerocket managed node groups through hardened launch templates.
    for group in &blueprint.node_groups {
        let template = launch_template(builder, &name, group, &node_sg);
        let node_subnets = if group.subnets == "public" {
            public_subnets
        } else {
            private_subnets
        };
        let ami_type = if group.arch == "arm64" {
            "BOTTLEROCKET_ARM_64"
        } else {
            "BOTTLEROCKET_x86_64"
        };
        let mut instance_types = group.instance_types.clone();
        instance_types.sort();
        // What forces a replacement is in the name, so a successor can exist beside the
        // original (create before destroy).
        let identity = format!(
            "{ami_type}|{}|{}|{}|{}",
            instance_types.join(","),
            group.capacity_type,
            node_subnets.len(),
            template
        );
        let group_name = format!("{}-{}", group.name, &hex(&identity)[..8]);
        let labels: BTreeMap<String, Value> = group
            .labels
            .iter()
            .map(|(key, value)| (key.clone(), Value::str(value.clone())))
            .collect();
        let mut taints: Vec<Value> = group
            .taints
            .iter()
            .map(|taint| {
                let mut map = BTreeMap::from([
                    ("key".to_string(), Value::str(taint.key.clone())),
                    (
                        "effect".to_string(),
                        Value::str(eks_taint_effect(&taint.effect)),
                    ),
                ]);
                if let Some(value) = &taint.value {
                    map.insert("value".to_string(), Value::str(value.clone()));
                }
                Value::Map(map)
            })
            .collect();
        taints.sort_by_key(|taint| taint.to_string());
        let node_group = builder.add_resource(
            Kind::EksNodeGroup,
            &group.name,
            vec![
                ("cluster_name", eks.output("name")),
                ("name", Value::str(group_name)),
                ("node_role_arn", node_role.output("arn")),
                (
                    "subnet_ids",
                    Value::List(
                        node_subnets
                            .iter()
                            .map(|subnet| subnet.output("id"))
                            .collect(),
                    ),
                ),
                ("ami_type", Value::str(ami_type)),
                (
                    "instance_types",
                    Value::List(instance_types.into_iter().map(Value::Str).collect()),
                ),
                ("capacity_type", Value::str(group.capacity_type.clone())),
                ("launch_template_id", template.output("id")),
                (
                    "launch_template_version",
                    Value::join(vec![template.output("latest_version")]),
                ),
                (
                    "version",
                    Value::str(group.version.clone().unwrap_or(cluster.version.clone())),
                ),
                ("min_size", Value::Int(i64::from(group.min_size))),
                ("max_size", Value::Int(i64::from(group.max_size))),
                ("desired_size", Value::Int(i64::from(group.desired_size))),
                ("labels", Value::Map(labels)),
                ("taints", Value::List(taints)),
                (
                    "max_unavailable",
                    Value::Int(i64::from(group.max_unavailable)),
                ),
            ],
            node_attachments.clone(),
        );
        if let Some(release) = &group.release_version {
            builder.set_attr(&node_group, "release_version", Value::str(release.clone()));
        }
        if !group.track_desired_size {
            builder.managed_elsewhere(&node_group, "desired_size");
        }
    }

    // Session Manager: sessions logged to CloudWatch, encrypted with the key.
    if access.session_logging {
        let sessions = builder.add_resource(
            Kind::LogGroup,
            "sessions",
            log_key(vec![
                ("name", Value::str(format!("/aws/ssm/{name}/sessions"))),
                (
                    "retention_in_days",
                    Value::Int(i64::from(cluster.log_retention_days)),
                ),
            ]),
            [],
        );
        let content = json!({
            "schemaVersion": "1.0",
            "description": format!("Session Manager preferences (eksforge {name}): logged and encrypted"),
            "sessionType": "Standard_Stream",
            "inputs": {
                "cloudWatchLogGroupName": placeholder(&sessions, "name"),
                "cloudWatchEncryptionEnabled": true,
                "cloudWatchStreamingEnabled": true,
                "kmsKeyId": match &key_resource { Some(key) => placeholder(key, "id"), None => encryption.kms_key.clone() },
                "s3BucketName": "",
                "s3EncryptionEnabled": true,
                "runAsEnabled": false,
                "idleSessionTimeout": "20",
            },
        });
        builder.add_resource(
            Kind::SsmDocument,
            "session_preferences",
            vec![
                ("name", Value::str("SSM-SessionManagerRunShell")),
                ("document_type", Value::str("Session")),
                ("document_format", Value::str("JSON")),
                ("content", document(&content)),
            ],
            [],
        );
    }

    // Access entries (authentication mode API) for the listed admins.
    for principal in &access.admins {
        let short = principal.rsplit('/').next().unwrap_or(principal);
        builder.add_resource(
            Kind::EksAccessEntry,
            &format!("admin.{}", sanitise(short)),
            vec![
                ("cluster_name", eks.output("name")),
                ("principal_arn", Value::str(principal.clone())),
                ("type", Value::str("STANDARD")),
                (
                    "access_policies",
                    Value::List(vec![Value::Map(BTreeMap::from([
                        ("policy_arn".to_string(), Value::str(format!("arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"))),
                        ("scope_type".to_string(), Value::str("cluster")),
                    ]))]),
                ),
            ],
            [],
        );
    }
    // `[[access.entries]]`: a chosen policy and scope.
    for entry in &access.entries {
        let short = entry
            .principal
            .rsplit('/')
            .next()
            .unwrap_or(&entry.principal);
        let mut policy = BTreeMap::from([
            (
                "policy_arn".to_string(),
                Value::str(format!(
                    "arn:{partition}:eks::aws:cluster-access-policy/{}",
                    entry.policy
                )),
            ),
            ("scope_type".to_string(), Value::str(entry.scope.clone())),
        ]);
        if entry.scope == "namespace" {
            let mut namespaces = entry.namespaces.clone();
            namespaces.sort();
            policy.insert(
                "namespaces".to_string(),
                Value::List(namespaces.into_iter().map(Value::Str).collect()),
            );
        }
        builder.add_resource(
            Kind::EksAccessEntry,
            &format!("entry.{}", sanitise(short)),
            vec![
                ("cluster_name", eks.output("name")),
                ("principal_arn", Value::str(entry.principal.clone())),
                ("type", Value::str("STANDARD")),
                ("access_policies", Value::List(vec![Value::Map(policy)])),
            ],
            [],
        );
    }
}

/// The created key's alias when `encryption.alias` is not set.
pub fn default_key_alias(blueprint: &str) -> String {
    format!("alias/{blueprint}-eks-secrets")
}

/// Key administration without key use: what `encryption.key_admins` get (EKS-ENC-005).
pub const KEY_ADMIN_ACTIONS: &[&str] = &[
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
];

/// The generated key policy plus a `KeyAdministrators` statement for `key_admins` and the
/// statements of `encryption.key_policy` (one object or an array; validation refuses
/// anything else).
fn extend_key_policy(
    mut policy: serde_json::Value,
    key_admins: &[String],
    extra: Option<&str>,
) -> serde_json::Value {
    let Some(statements) = policy
        .get_mut("Statement")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return policy;
    };
    if !key_admins.is_empty() {
        statements.push(json!({
            "Sid": "KeyAdministrators",
            "Effect": "Allow",
            "Principal": {"AWS": key_admins},
            "Action": KEY_ADMIN_ACTIONS,
            "Resource": "*",
        }));
    }
    statements.extend(extra.map(key_policy_statements).unwrap_or_default());
    policy
}

fn key_policy_statements(text: &str) -> Vec<serde_json::Value> {
    crate::blueprint::validate::parse_key_policy_statements(text).unwrap_or_default()
}

fn role(builder: &mut Builder, key: &str, name: &str, service: &str, what: &str) -> ResourceId {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }],
    });
    builder.add_resource(
        Kind::IamRole,
        key,
        vec![
            ("name", Value::str(bounded_name(name, 64))),
            ("path", Value::str("/")),
            ("assume_role_policy", document(&trust)),
            ("description", Value::str(what)),
            ("max_session_duration", Value::Int(3600)),
        ],
        [],
    )
}

fn attach(
    builder: &mut Builder,
    role_key: &str,
    role: &ResourceId,
    policy_arn: &str,
) -> ResourceId {
    let short = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
    builder.add_resource(
        Kind::IamRolePolicyAttachment,
        &format!("{role_key}.{}", sanitise(short)),
        vec![
            ("role", role.output("name")),
            ("policy_arn", Value::str(policy_arn)),
        ],
        [],
    )
}

#[allow(clippy::too_many_arguments)]
fn rule(
    builder: &mut Builder,
    key: &str,
    group: &ResourceId,
    protocol: &str,
    port: i64,
    source: &ResourceId,
    description: &str,
) {
    let mut attrs = vec![
        ("security_group_id", group.output("id")),
        ("direction", Value::str("ingress")),
        ("protocol", Value::str(protocol)),
        ("source_security_group_id", source.output("id")),
        ("description", Value::str(description)),
    ];
    if protocol != "-1" {
        attrs.push(("from_port", Value::Int(port)));
        attrs.push(("to_port", Value::Int(port)));
    }
    builder.add_resource(Kind::SecurityGroupRule, key, attrs, []);
}

fn launch_template(
    builder: &mut Builder,
    blueprint: &str,
    group: &NodeGroup,
    node_sg: &ResourceId,
) -> ResourceId {
    let volume = |device: &str, size: u32| {
        let mut map = BTreeMap::from([
            ("device_name".to_string(), Value::str(device)),
            ("volume_size".to_string(), Value::Int(i64::from(size))),
            ("volume_type".to_string(), Value::str("gp3")),
            ("encrypted".to_string(), Value::Bool(group.volume_encrypted)),
            ("delete_on_termination".to_string(), Value::Bool(true)),
        ]);
        if let Some(key) = group
            .volume_kms_key
            .as_ref()
            .filter(|_| group.volume_encrypted)
        {
            map.insert("kms_key_id".to_string(), Value::str(key.clone()));
        }
        Value::Map(map)
    };
    let instance_tags = BTreeMap::from([
        (
            "Name".to_string(),
            Value::str(format!("{blueprint}-{}", group.name)),
        ),
        (super::TAG_BLUEPRINT.to_string(), Value::str(blueprint)),
    ]);
    let mut attrs = vec![
        ("name", Value::str(format!("{blueprint}-{}", group.name))),
        // IMDSv2 only, one hop by default: pods cannot reach the node's credentials.
        (
            "metadata_http_tokens",
            Value::str(group.imds_tokens.as_str()),
        ),
        (
            "metadata_http_put_response_hop_limit",
            Value::Int(i64::from(group.imds_hop_limit)),
        ),
        ("metadata_http_endpoint", Value::str("enabled")),
        // Bottlerocket: an OS volume and a data volume, both encrypted.
        (
            "block_device_mappings",
            Value::List(vec![
                volume("/dev/xvda", 4),
                volume("/dev/xvdb", group.disk_size),
            ]),
        ),
        (
            "security_group_ids",
            Value::List(vec![node_sg.output("id")]),
        ),
        (
            "user_data",
            Value::str(base64(&bottlerocket_settings(group))),
        ),
        ("instance_tags", Value::Map(instance_tags)),
    ];
    // Only when asked for: absent means no key pair and no public address.
    if let Some(key) = &group.ssh_key {
        attrs.push(("key_name", Value::str(key.clone())));
    }
    if group.public_ip {
        attrs.push(("associate_public_ip_address", Value::Bool(true)));
    }
    builder.add_resource(Kind::LaunchTemplate, &group.name, attrs, [])
}

/// Bottlerocket's own TOML settings (never a shell script): node labels and taints for the
/// kubelet, no admin container (no SSH path at all), the control container for SSM.
pub fn bottlerocket_settings(group: &NodeGroup) -> String {
    let mut out = String::from(
        "# eksforge: Bottlerocket settings (merged with EKS's own by the managed node group)\n",
    );
    out.push_str("[settings.host-containers.admin]\nenabled = false\n\n");
    out.push_str("[settings.host-containers.control]\nenabled = true\n");
    if !group.labels.is_empty() {
        out.push_str("\n[settings.kubernetes.node-labels]\n");
        for (key, value) in &group.labels {
            out.push_str(&format!("{key:?} = {value:?}\n"));
        }
    }
    if !group.taints.is_empty() {
        out.push_str("\n[settings.kubernetes.node-taints]\n");
        let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for taint in &group.taints {
            by_key.entry(&taint.key).or_default().push(format!(
                "{}:{}",
                taint.value.clone().unwrap_or_default(),
                taint.effect
            ));
        }
        for (key, values) in by_key {
            let list: Vec<String> = values.iter().map(|value| format!("{value:?}")).collect();
            out.push_str(&format!("{key:?} = [{}]\n", list.join(", ")));
        }
    }
    if let Some(extra) = group
        .user_data
        .as_deref()
        .filter(|extra| !extra.trim().is_empty())
    {
        out.push_str("\n# node_groups.user_data\n");
        out.push_str(extra.trim_end());
        out.push('\n');
    }
    out
}

fn eks_taint_effect(effect: &str) -> &'static str {
    match effect {
        "PreferNoSchedule" => "PREFER_NO_SCHEDULE",
        "NoExecute" => "NO_EXECUTE",
        _ => "NO_SCHEDULE",
    }
}

fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `name`, or a prefix of it plus a hash when longer than `limit` (IAM role names: 64).
fn bounded_name(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_string();
    }
    let suffix = &hex(name)[..8];
    format!("{}-{suffix}", &name[..limit - 9])
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64("Man"), "TWFu");
        assert_eq!(base64("Ma"), "TWE=");
        assert_eq!(base64("M"), "TQ==");
        assert_eq!(base64(""), "");
    }

    #[test]
    fn long_names_are_bounded_and_stay_distinct() {
        let a = bounded_name(&"x".repeat(80), 64);
        let b = bounded_name(&format!("{}y", "x".repeat(80)), 64);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(bounded_name("short", 64), "short");
    }
}
