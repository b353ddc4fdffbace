//! The live side: the posture view of a cluster as the AWS API describes it, for
//! `audit --live` and `audit --cluster`.
//!
//! Read-only guarantee: every call here is a `Describe*`, `Get*` or `List*` call; nothing in this
//! module can change the account. A denied or missing API makes that part of the picture
//! `Fact::Unknown` (naming the call and the error code), never an error for the whole audit;
//! only a cluster that does not exist (or cannot be described) is an error. Independent reads
//! run concurrently: the round trips dominate an audit's time.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use futures::future::join_all;
use serde_json::Value as Json;

use crate::aws::policy::percent_decode;
use crate::aws::{Aws, AwsError, ErrorClass};

use super::view::{
    AccessEntryView, AccessPolicyView, AddonView, AddonsView, ClusterView, Date, Fact, GroupRole,
    KeyView, LaunchView, LogGroupView, NetworkView, NodeGroupView, OidcProviderView,
    PolicyDocument, Posture, RemoteAccessView, RoleUse, RoleView, RuleView, SecurityGroupView,
    SessionPreferencesView, Side, Subject, SubnetView,
};

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

/// The names of the clusters in the region (for a helpful "no such cluster" message).
pub async fn cluster_names(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let output = aws
            .eks
            .list_clusters()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk("clusters", "eks:ListClusters", error))?;
        names.extend(output.clusters().iter().cloned());
        match output.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(names)
}

/// Reads the posture of EKS cluster `cluster` in `aws`'s region.
pub async fn posture(aws: &Aws, cluster: &str, today: Date) -> Result<Posture, AwsError> {
    let described = aws
        .eks
        .describe_cluster()
        .name(cluster)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(cluster, "eks:DescribeCluster", error))
        .map_err(|mut error| {
            if error.is_not_found() {
                error.message = format!("no cluster {cluster} in {}", aws.region);
            }
            error
        })?;
    let Some(eks) = described.cluster() else {
        return Err(AwsError::new(
            cluster,
            "eks:DescribeCluster",
            format!("no cluster {cluster} in {}", aws.region),
        ));
    };

    let arn = eks.arn().unwrap_or(cluster).to_string();
    let subject = Subject::new(arn.clone()).with_cloud_id(arn.clone());
    let (account_id, partition) = account_and_partition(&arn);
    let vpc_config = eks.resources_vpc_config();
    let mut vpc_id = vpc_config.and_then(|v| v.vpc_id()).map(str::to_string);
    let cluster_subnets: Vec<String> = vpc_config
        .map(|v| v.subnet_ids().to_vec())
        .unwrap_or_default();
    let mut cluster_groups: Vec<String> = vpc_config
        .map(|v| v.security_group_ids().to_vec())
        .unwrap_or_default();
    if let Some(id) = vpc_config.and_then(|v| v.cluster_security_group_id()) {
        cluster_groups.push(id.to_string());
    }
    let secrets_key = eks
        .encryption_config()
        .iter()
        // `resources` is deprecated (EKS now encrypts all API data) but still says `secrets`.
        .find(|config| {
            #[allow(deprecated)]
            let resources = config.resources();
            resources.is_empty() || resources.iter().any(|r| r == "secrets")
        })
        .and_then(|config| config.provider())
        .and_then(|provider| provider.key_arn())
        .map(str::to_string);
    let log_types: Vec<String> = eks
        .logging()
        .map(|logging| {
            logging
                .cluster_logging()
                .iter()
                .filter(|setup| setup.enabled() == Some(true))
                .flat_map(|setup| setup.types().iter().map(|t| t.as_str().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let access = eks.access_config();
    const NO_ACCESS_CONFIG: &str = "eks:DescribeCluster returned no accessConfig (moto drops it)";
    let authentication_mode = access
        .and_then(|a| a.authentication_mode())
        .map(|mode| Fact::Known(mode.as_str().to_string()))
        .unwrap_or_else(|| Fact::unknown(NO_ACCESS_CONFIG));
    let bootstrap_creator_admin = access
        .and_then(|a| a.bootstrap_cluster_creator_admin_permissions())
        .map(Fact::Known)
        .unwrap_or_else(|| Fact::unknown(NO_ACCESS_CONFIG));
    let deletion_protection = eks
        .deletion_protection()
        .map(Fact::Known)
        .unwrap_or_else(|| Fact::unknown("eks:DescribeCluster returned no deletionProtection"));
    let oidc_issuer = eks
        .identity()
        .and_then(|identity| identity.oidc())
        .and_then(|oidc| oidc.issuer())
        .map(str::to_string);
    let version = eks.version().unwrap_or_default().to_string();
    let cluster_role = eks.role_arn().unwrap_or_default().to_string();

    // Everything below depends only on DescribeCluster: read it all at once.
    let (node_groups, log_group, oidc, session, access_entries, addons, ebs_default) = futures::join!(
        node_groups(aws, cluster),
        log_group(aws, cluster),
        oidc_provider(aws, oidc_issuer.as_deref()),
        session_preferences(aws),
        access_entries(aws, cluster),
        addons(aws, cluster, &subject, &version),
        ebs_encryption_by_default(aws),
    );

    // Node groups name their subnets, roles and launch templates' groups: the second wave.
    let mut subnet_ids: BTreeSet<String> = cluster_subnets.iter().cloned().collect();
    let mut node_group_ids: BTreeSet<String> = BTreeSet::new();
    let mut role_arns: BTreeMap<String, RoleUse> = BTreeMap::new();
    if !cluster_role.is_empty() {
        role_arns.insert(cluster_role.clone(), RoleUse::Cluster);
    }
    for group in &node_groups {
        subnet_ids.extend(group.subnets.iter().cloned());
        if !group.node_role.is_empty() {
            role_arns
                .entry(group.node_role.clone())
                .or_insert(RoleUse::Node);
        }
        if let Some(launch) = group.launch.known() {
            node_group_ids.extend(launch.security_groups.iter().cloned());
        }
        if let Some(remote) = &group.remote_access {
            node_group_ids.extend(remote.source_security_groups.iter().cloned());
        }
    }
    // Some endpoints (moto) leave `resourcesVpcConfig.vpcId` out: the subnets name it.
    if vpc_id.is_none() {
        if let Some(first) = subnet_ids.iter().next() {
            vpc_id = aws
                .ec2
                .describe_subnets()
                .subnet_ids(first)
                .send()
                .await
                .ok()
                .and_then(|output| {
                    output
                        .subnets()
                        .first()
                        .and_then(|subnet| subnet.vpc_id().map(str::to_string))
                });
        }
    }
    let oidc_arn = oidc
        .known()
        .and_then(|provider| provider.as_ref())
        .map(|provider| provider.subject.resource.clone());
    let (network, groups, key, irsa_roles) = futures::join!(
        network(aws, vpc_id.as_deref(), &subnet_ids),
        security_groups(aws, vpc_id.as_deref(), &cluster_groups, &node_group_ids),
        key(aws, secrets_key.as_deref(), &cluster_role),
        irsa_role_arns(aws, oidc_arn.as_deref()),
    );
    for role in irsa_roles {
        role_arns.entry(role).or_insert(RoleUse::Irsa);
    }
    if let Some(entries) = access_entries.known() {
        for entry in entries {
            if entry.principal_arn.contains(":role/") {
                role_arns
                    .entry(entry.principal_arn.clone())
                    .or_insert(RoleUse::AccessEntry);
            }
        }
    }
    let roles: Vec<RoleView> = join_all(
        role_arns
            .into_iter()
            .map(|(arn, uses)| role(aws, arn, uses)),
    )
    .await;

    let network = network.map(|mut network| {
        network.default_sg_has_rules = groups.default_has_rules.clone();
        network
    });

    let mut posture = Posture::empty(Side::Live, today);
    posture.account_id = account_id;
    posture.partition = partition;
    posture.cluster = Some(ClusterView {
        subject: subject.clone(),
        name: eks.name().unwrap_or(cluster).to_string(),
        version,
        // moto lacks eks:DescribeClusterVersions; the checks fall back to eksforge's table.
        reported_version_status: None,
        endpoint_public: vpc_config
            .map(|v| v.endpoint_public_access())
            .unwrap_or(false),
        endpoint_private: vpc_config
            .map(|v| v.endpoint_private_access())
            .unwrap_or(false),
        public_access_cidrs: vpc_config
            .map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default(),
        log_types,
        secrets_key: secrets_key.clone(),
        authentication_mode,
        bootstrap_creator_admin,
        deletion_protection,
        role: cluster_role,
        log_group,
        oidc_issuer,
    });
    posture.network = network;
    posture.security_groups = groups.views;
    posture.secrets_key = key;
    posture.roles = roles;
    posture.oidc_provider = oidc;
    posture.node_groups = node_groups;
    posture.session_preferences = session;
    posture.access_entries = access_entries;
    posture.detection = Some(Fact::unknown(
        "guardduty:ListDetectors not read: eksforge has no GuardDuty client yet",
    ));
    posture.registry = Some(Fact::unknown(
        "ecr:DescribeRepositories not read: eksforge has no ECR client yet",
    ));
    posture.addons = addons;
    posture.ebs_encryption_by_default = Some(ebs_default);
    Ok(posture)
}

/// `arn:aws:eks:eu-west-1:123456789012:cluster/x` → (`123456789012`, `aws`).
fn account_and_partition(arn: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = arn.split(':').collect();
    let partition = parts
        .get(1)
        .filter(|p| !p.is_empty())
        .unwrap_or(&"aws")
        .to_string();
    let account = parts
        .get(4)
        .filter(|a| !a.is_empty())
        .map(|a| a.to_string());
    (account, partition)
}

async fn log_group(aws: &Aws, cluster: &str) -> Fact<Option<LogGroupView>> {
    let name = format!("/aws/eks/{cluster}/cluster");
    match aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
    {
        Ok(output) => Fact::Known(
            output
                .log_groups()
                .iter()
                .find(|group| group.log_group_name() == Some(name.as_str()))
                .map(|group| LogGroupView {
                    subject: Subject::new(group.arn().unwrap_or(&name)).with_cloud_id(name.clone()),
                    name: name.clone(),
                    retention_days: group
                        .retention_in_days()
                        .and_then(|days| u32::try_from(days).ok()),
                    kms_key_id: group.kms_key_id().map(str::to_string),
                }),
        ),
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            &name,
            "logs:DescribeLogGroups",
            error,
        ))),
    }
}

async fn oidc_provider(aws: &Aws, issuer: Option<&str>) -> Fact<Option<OidcProviderView>> {
    let Some(issuer) = issuer else {
        return Fact::Known(None);
    };
    let host = issuer.trim_start_matches("https://");
    let listed = match aws.iam.list_open_id_connect_providers().send().await {
        Ok(output) => output,
        Err(error) => {
            return Fact::unknown(why(&AwsError::from_sdk(
                issuer,
                "iam:ListOpenIDConnectProviders",
                error,
            )))
        }
    };
    // Provider ARNs end in the issuer's host and path: match by suffix, then read the one.
    let Some(arn) = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|entry| entry.arn())
        .find(|arn| arn.ends_with(&format!("oidc-provider/{host}")))
    else {
        return Fact::Known(None);
    };
    match aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(output) => Fact::Known(Some(OidcProviderView {
            subject: Subject::new(arn).with_cloud_id(arn),
            url: output.url().unwrap_or(host).to_string(),
            client_ids: output.client_id_list().to_vec(),
        })),
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            arn,
            "iam:GetOpenIDConnectProvider",
            error,
        ))),
    }
}

/// Roles whose trust policy names the cluster's OIDC provider (IRSA).
async fn irsa_role_arns(aws: &Aws, oidc_arn: Option<&str>) -> Vec<String> {
    let Some(oidc_arn) = oidc_arn else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let Ok(output) = aws.iam.list_roles().set_marker(marker.clone()).send().await else {
            // The roles the cluster names are still read; IRSA roles are best effort.
            break;
        };
        for role in output.roles() {
            let trust = role
                .assume_role_policy_document()
                .map(percent_decode)
                .unwrap_or_default();
            if trust.contains(oidc_arn) {
                found.push(role.arn().to_string());
            }
        }
        match output.marker() {
            Some(next) if output.is_truncated() => marker = Some(next.to_string()),
            _ => break,
        }
    }
    found
}

async fn role(aws: &Aws, arn: String, uses: RoleUse) -> RoleView {
    let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
    let (got, attached, inline) = futures::join!(
        aws.iam.get_role().role_name(&name).send(),
        aws.iam
            .list_attached_role_policies()
            .role_name(&name)
            .send(),
        aws.iam.list_role_policies().role_name(&name).send(),
    );
    let trust = match got {
        Ok(output) => output
            .role()
            .and_then(|role| role.assume_role_policy_document())
            .and_then(|document| serde_json::from_str::<Json>(&percent_decode(document)).ok())
            .map(Fact::Known)
            .unwrap_or_else(|| Fact::unknown("iam:GetRole returned no trust policy")),
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(&arn, "iam:GetRole", error))),
    };
    let managed_arns: Fact<Vec<String>> = match attached {
        Ok(output) => Fact::Known(
            output
                .attached_policies()
                .iter()
                .filter_map(|policy| policy.policy_arn().map(str::to_string))
                .collect(),
        ),
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            &arn,
            "iam:ListAttachedRolePolicies",
            error,
        ))),
    };
    let policy_documents = match inline {
        Ok(output) => {
            let inline_reads = output.policy_names().iter().map(|policy| {
                let name = &name;
                async move {
                    aws.iam
                        .get_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(name, "iam:GetRolePolicy", error))
                        .map(|output| PolicyDocument {
                            name: policy.clone(),
                            document: parse_document(output.policy_document()),
                        })
                }
            });
            // Customer-managed attached policies: their documents count like inline ones
            // (AWS-managed ones are judged by ARN).
            let customer_arns: Vec<String> = managed_arns
                .known()
                .map(|arns| {
                    arns.iter()
                        .filter(|arn| !arn.contains(":iam::aws:policy/"))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let managed_reads = customer_arns
                .into_iter()
                .map(|policy_arn| managed_document(aws, policy_arn));
            let (inline_docs, managed_docs) =
                futures::join!(join_all(inline_reads), join_all(managed_reads));
            inline_docs
                .into_iter()
                .chain(managed_docs)
                .collect::<Result<Vec<_>, AwsError>>()
                .map(Fact::Known)
                .unwrap_or_else(|error| Fact::unknown(why(&error)))
        }
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            &arn,
            "iam:ListRolePolicies",
            error,
        ))),
    };
    RoleView {
        subject: Subject::new(arn.clone()).with_cloud_id(arn),
        name,
        uses,
        trust,
        managed_policies: managed_arns,
        policy_documents,
        service_account: None,
    }
}

async fn managed_document(aws: &Aws, policy_arn: String) -> Result<PolicyDocument, AwsError> {
    let policy = aws
        .iam
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(&policy_arn, "iam:GetPolicy", error))?;
    let version = policy
        .policy()
        .and_then(|policy| policy.default_version_id())
        .unwrap_or("v1")
        .to_string();
    let document = aws
        .iam
        .get_policy_version()
        .policy_arn(&policy_arn)
        .version_id(version)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(&policy_arn, "iam:GetPolicyVersion", error))?;
    Ok(PolicyDocument {
        document: parse_document(
            document
                .policy_version()
                .and_then(|version| version.document())
                .unwrap_or("{}"),
        ),
        name: policy_arn,
    })
}

/// IAM documents come URL-encoded; a document that is not JSON is kept as a string so a check
/// can still show it.
fn parse_document(raw: &str) -> Json {
    let decoded = percent_decode(raw);
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(raw))
        .unwrap_or(Json::String(decoded))
}

async fn key(aws: &Aws, key_arn: Option<&str>, cluster_role: &str) -> Option<KeyView> {
    let key_arn = key_arn?;
    let (described, rotation, policy, aliases) = futures::join!(
        aws.kms.describe_key().key_id(key_arn).send(),
        aws.kms.get_key_rotation_status().key_id(key_arn).send(),
        aws.kms
            .get_key_policy()
            .key_id(key_arn)
            .policy_name("default")
            .send(),
        aws.kms.list_aliases().key_id(key_arn).send(),
    );
    let (customer_managed, state) = match described {
        Ok(output) => {
            let metadata = output.key_metadata();
            (
                metadata
                    .and_then(|m| m.key_manager())
                    .map(|manager| Fact::Known(manager.as_str() == "CUSTOMER"))
                    .unwrap_or_else(|| Fact::unknown("kms:DescribeKey returned no KeyManager")),
                metadata
                    .and_then(|m| m.key_state())
                    .map(|state| Fact::Known(state.as_str().to_string()))
                    .unwrap_or_else(|| Fact::unknown("kms:DescribeKey returned no KeyState")),
            )
        }
        Err(error) => {
            let reason = why(&AwsError::from_sdk(key_arn, "kms:DescribeKey", error));
            (Fact::unknown(reason.clone()), Fact::unknown(reason))
        }
    };
    Some(KeyView {
        subject: Subject::new(key_arn).with_cloud_id(key_arn),
        customer_managed,
        state,
        rotation: match rotation {
            Ok(output) => Fact::Known(output.key_rotation_enabled()),
            Err(error) => Fact::unknown(why(&AwsError::from_sdk(
                key_arn,
                "kms:GetKeyRotationStatus",
                error,
            ))),
        },
        policy: match policy {
            Ok(output) => Fact::Known(parse_document(output.policy().unwrap_or("{}"))),
            Err(error) => {
                Fact::unknown(why(&AwsError::from_sdk(key_arn, "kms:GetKeyPolicy", error)))
            }
        },
        aliases: match aliases {
            Ok(output) => Fact::Known(
                output
                    .aliases()
                    .iter()
                    .filter_map(|alias| alias.alias_name().map(str::to_string))
                    .collect(),
            ),
            Err(error) => {
                Fact::unknown(why(&AwsError::from_sdk(key_arn, "kms:ListAliases", error)))
            }
        },
        // The live side cannot tell "administrator" from other principals in the policy; the
        // checks read `policy` itself.
        admins: Vec::new(),
        cluster_role_principal: (!cluster_role.is_empty()).then(|| cluster_role.to_string()),
    })
}

async fn node_groups(aws: &Aws, cluster: &str) -> Vec<NodeGroupView> {
    let Ok(listed) = aws.eks.list_nodegroups().cluster_name(cluster).send().await else {
        return Vec::new();
    };
    join_all(
        listed
            .nodegroups()
            .iter()
            .map(|name| node_group(aws, cluster, name)),
    )
    .await
    .into_iter()
    .flatten()
    .collect()
}

async fn node_group(aws: &Aws, cluster: &str, name: &str) -> Option<NodeGroupView> {
    let output = aws
        .eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .ok()?;
    let group = output.nodegroup()?;
    let arn = group.nodegroup_arn().unwrap_or(name).to_string();
    let ami_type = group
        .ami_type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let arch = if ami_type.contains("ARM") {
        "arm64"
    } else {
        "x86_64"
    };
    let version = group.version().map(str::to_string);
    let launch_template = group.launch_template().cloned();
    let (launch, latest_release) = futures::join!(
        launch(aws, cluster, name, launch_template.as_ref()),
        latest_release(aws, &ami_type, version.as_deref(), arch),
    );
    Some(NodeGroupView {
        subject: Subject::new(arn.clone()).with_cloud_id(arn),
        name: name.to_string(),
        ami_type,
        version,
        release_version: group.release_version().map(str::to_string),
        latest_release,
        subnets: group.subnets().to_vec(),
        node_role: group.node_role().unwrap_or_default().to_string(),
        remote_access: group.remote_access().map(|remote| RemoteAccessView {
            ssh_key: remote.ec2_ssh_key().map(str::to_string),
            source_security_groups: remote.source_security_groups().to_vec(),
        }),
        launch,
    })
}

async fn latest_release(
    aws: &Aws,
    ami_type: &str,
    version: Option<&str>,
    arch: &str,
) -> Fact<String> {
    if !ami_type.starts_with("BOTTLEROCKET") {
        return Fact::unknown(format!("{ami_type} is not Bottlerocket"));
    }
    let Some(version) = version else {
        return Fact::unknown("the node group reports no Kubernetes version");
    };
    match crate::aws::bottlerocket::latest_release(
        aws,
        crate::aws::bottlerocket::DEFAULT_PREFIX,
        version,
        arch,
    )
    .await
    {
        Ok(Some(release)) => Fact::Known(release),
        Ok(None) => Fact::unknown(format!(
            "ssm:GetParameter: no Bottlerocket release parameter for {version}/{arch}"
        )),
        Err(error) => Fact::unknown(why(&error)),
    }
}

async fn launch(
    aws: &Aws,
    cluster: &str,
    group: &str,
    template: Option<&aws_sdk_eks::types::LaunchTemplateSpecification>,
) -> Fact<LaunchView> {
    let Some(template) = template else {
        return launch_from_instances(aws, cluster, group).await;
    };
    let mut request = aws.ec2.describe_launch_template_versions();
    request = match (template.id(), template.name()) {
        (Some(id), _) => request.launch_template_id(id),
        (None, Some(name)) => request.launch_template_name(name),
        (None, None) => return Fact::unknown("the node group names a launch template without id"),
    };
    let version = template.version().unwrap_or("$Default").to_string();
    let resource = template
        .id()
        .or(template.name())
        .unwrap_or(group)
        .to_string();
    match request.versions(&version).send().await {
        Ok(output) => {
            let Some(data) = output
                .launch_template_versions()
                .first()
                .and_then(|v| v.launch_template_data())
            else {
                return Fact::unknown(format!(
                    "ec2:DescribeLaunchTemplateVersions: no version {version} of {resource}"
                ));
            };
            let metadata = data.metadata_options();
            let interfaces = data.network_interfaces();
            let mut security_groups = data.security_group_ids().to_vec();
            security_groups.extend(interfaces.iter().flat_map(|i| i.groups().iter().cloned()));
            Fact::Known(LaunchView {
                subject: Subject::new(resource.clone()).with_cloud_id(resource),
                http_tokens: metadata
                    .and_then(|m| m.http_tokens())
                    .map(|t| t.as_str().to_string()),
                hop_limit: metadata
                    .and_then(|m| m.http_put_response_hop_limit())
                    .map(i64::from),
                volumes: data
                    .block_device_mappings()
                    .iter()
                    .map(|mapping| {
                        (
                            mapping.device_name().unwrap_or_default().to_string(),
                            mapping.ebs().and_then(|ebs| ebs.encrypted()),
                        )
                    })
                    .collect(),
                key_name: data.key_name().map(str::to_string),
                public_ip: interfaces
                    .iter()
                    .any(|i| i.associate_public_ip_address() == Some(true)),
                user_data: data.user_data().and_then(base64_decode),
                security_groups,
            })
        }
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            &resource,
            "ec2:DescribeLaunchTemplateVersions",
            error,
        ))),
    }
}

/// A node group without a launch template: what its running instances show.
async fn launch_from_instances(aws: &Aws, cluster: &str, group: &str) -> Fact<LaunchView> {
    let output = match aws
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("tag:eks:nodegroup-name")
                .values(group)
                .build(),
        )
        .filters(
            Filter::builder()
                .name("tag:eks:cluster-name")
                .values(cluster)
                .build(),
        )
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => {
            return Fact::unknown(why(&AwsError::from_sdk(
                group,
                "ec2:DescribeInstances",
                error,
            )))
        }
    };
    let instances: Vec<_> = output
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter())
        .collect();
    let Some(first) = instances.first() else {
        return Fact::unknown(format!(
            "node group {group} has no launch template and no running instances to read"
        ));
    };
    let metadata = first.metadata_options();
    Fact::Known(LaunchView {
        subject: Subject::new(first.instance_id().unwrap_or(group)),
        http_tokens: metadata
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str().to_string()),
        hop_limit: metadata
            .and_then(|m| m.http_put_response_hop_limit())
            .map(i64::from),
        // Instance block devices do not say whether they are encrypted without
        // DescribeVolumes; leave them unset rather than guess.
        volumes: first
            .block_device_mappings()
            .iter()
            .map(|mapping| (mapping.device_name().unwrap_or_default().to_string(), None))
            .collect(),
        key_name: first.key_name().map(str::to_string),
        public_ip: instances.iter().any(|i| i.public_ip_address().is_some()),
        user_data: None,
        security_groups: first
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
    })
}

/// Standard base64 (launch template user data); `None` when it is not valid or not UTF-8.
fn base64_decode(text: &str) -> Option<String> {
    fn value(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut bits: u32 = 0;
        for (index, byte) in chunk.iter().enumerate() {
            bits |= value(*byte)? << (18 - 6 * index as u32);
        }
        let bytes = bits.to_be_bytes();
        let count = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&bytes[1..1 + count]);
    }
    String::from_utf8(out).ok()
}

async fn network(
    aws: &Aws,
    vpc_id: Option<&str>,
    subnet_ids: &BTreeSet<String>,
) -> Option<NetworkView> {
    let vpc_id = vpc_id?;
    let vpc_filter = || Filter::builder().name("vpc-id").values(vpc_id).build();
    let (subnets, tables, flow_logs, endpoints, nats) = futures::join!(
        aws.ec2
            .describe_subnets()
            .set_subnet_ids(Some(subnet_ids.iter().cloned().collect()))
            .send(),
        aws.ec2.describe_route_tables().filters(vpc_filter()).send(),
        aws.ec2
            .describe_flow_logs()
            .filter(Filter::builder().name("resource-id").values(vpc_id).build())
            .send(),
        aws.ec2
            .describe_vpc_endpoints()
            .filters(vpc_filter())
            .send(),
        aws.ec2.describe_nat_gateways().filter(vpc_filter()).send(),
    );
    // The internet gateway each route table sends a default route to; the main table covers
    // subnets without an explicit association.
    let mut by_subnet: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut main_igw: Option<String> = None;
    let tables_known = tables.is_ok();
    if let Ok(output) = &tables {
        for table in output.route_tables() {
            let igw = table
                .routes()
                .iter()
                .find(|route| {
                    matches!(route.destination_cidr_block(), Some("0.0.0.0/0"))
                        || matches!(route.destination_ipv6_cidr_block(), Some("::/0"))
                })
                .and_then(|route| route.gateway_id())
                .filter(|gateway| gateway.starts_with("igw-"))
                .map(str::to_string);
            for association in table.associations() {
                if association.main() == Some(true) {
                    main_igw.clone_from(&igw);
                }
                if let Some(subnet) = association.subnet_id() {
                    by_subnet.insert(subnet.to_string(), igw.clone());
                }
            }
        }
    }
    let subnets = match subnets {
        Ok(output) => output
            .subnets()
            .iter()
            .map(|subnet| {
                let id = subnet.subnet_id().unwrap_or_default().to_string();
                let internet_route = if tables_known {
                    by_subnet
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| main_igw.clone())
                } else {
                    None
                };
                let tagged_internal = subnet
                    .tags()
                    .iter()
                    .any(|tag| tag.key() == Some("kubernetes.io/role/internal-elb"));
                let tagged_public = subnet
                    .tags()
                    .iter()
                    .any(|tag| tag.key() == Some("kubernetes.io/role/elb"));
                SubnetView {
                    subject: Subject::new(id.clone()).with_cloud_id(id),
                    // Subnets the cluster or its node groups use are meant to be private
                    // unless tagged for public load balancers.
                    private: tagged_internal || !tagged_public,
                    map_public_ip_on_launch: subnet.map_public_ip_on_launch() == Some(true),
                    internet_route,
                }
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    Some(NetworkView {
        subject: Subject::new(vpc_id).with_cloud_id(vpc_id),
        subnets,
        flow_logs: match flow_logs {
            Ok(output) => Fact::Known(output.flow_logs().iter().any(|log| {
                log.flow_log_status() == Some("ACTIVE") || log.flow_log_status().is_none()
            })),
            Err(error) => Fact::unknown(why(&AwsError::from_sdk(
                vpc_id,
                "ec2:DescribeFlowLogs",
                error,
            ))),
        },
        nat: match nats {
            Ok(output) => Fact::Known(output.nat_gateways().iter().any(|nat| {
                nat.state()
                    .map(|state| state.as_str() == "available" || state.as_str() == "pending")
                    .unwrap_or(true)
            })),
            Err(error) => Fact::unknown(why(&AwsError::from_sdk(
                vpc_id,
                "ec2:DescribeNatGateways",
                error,
            ))),
        },
        endpoints: match endpoints {
            Ok(output) => Fact::Known(
                output
                    .vpc_endpoints()
                    .iter()
                    .filter_map(|endpoint| endpoint.service_name())
                    .map(endpoint_suffix)
                    .collect(),
            ),
            Err(error) => Fact::unknown(why(&AwsError::from_sdk(
                vpc_id,
                "ec2:DescribeVpcEndpoints",
                error,
            ))),
        },
        default_sg_has_rules: None,
    })
}

/// `com.amazonaws.eu-west-1.ecr.api` → `ecr.api`.
fn endpoint_suffix(service: &str) -> String {
    let parts: Vec<&str> = service.split('.').collect();
    if parts.len() > 3 && parts[0] == "com" {
        parts[3..].join(".")
    } else {
        service.to_string()
    }
}

struct Groups {
    views: Vec<SecurityGroupView>,
    default_has_rules: Option<Fact<bool>>,
}

async fn security_groups(
    aws: &Aws,
    vpc_id: Option<&str>,
    cluster_groups: &[String],
    node_groups: &BTreeSet<String>,
) -> Groups {
    let mut ids: BTreeSet<String> = cluster_groups.iter().cloned().collect();
    ids.extend(node_groups.iter().cloned());
    let by_id = async {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        aws.ec2
            .describe_security_groups()
            .set_group_ids(Some(ids.iter().cloned().collect()))
            .send()
            .await
            .map(|output| output.security_groups().to_vec())
    };
    let default = async {
        let vpc_id = vpc_id?;
        Some(
            aws.ec2
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values("default")
                        .build(),
                )
                .send()
                .await,
        )
    };
    let (by_id, default) = futures::join!(by_id, default);
    let mut views: Vec<SecurityGroupView> = match by_id {
        Ok(groups) => groups
            .iter()
            .map(|group| {
                let id = group.group_id().unwrap_or_default();
                let role = if cluster_groups.iter().any(|c| c == id) {
                    GroupRole::Cluster
                } else if node_groups.contains(id) {
                    GroupRole::Node
                } else {
                    GroupRole::Other
                };
                group_view(group, role)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let default_has_rules = match default {
        None => None,
        Some(Ok(output)) => match output.security_groups().first() {
            Some(group) => {
                let has_rules =
                    !group.ip_permissions().is_empty() || !group.ip_permissions_egress().is_empty();
                views.push(group_view(group, GroupRole::Default));
                Some(Fact::Known(has_rules))
            }
            None => Some(Fact::unknown("the VPC has no default security group")),
        },
        Some(Err(error)) => Some(Fact::unknown(why(&AwsError::from_sdk(
            vpc_id.unwrap_or_default(),
            "ec2:DescribeSecurityGroups",
            error,
        )))),
    };
    Groups {
        views,
        default_has_rules,
    }
}

fn group_view(group: &aws_sdk_ec2::types::SecurityGroup, role: GroupRole) -> SecurityGroupView {
    let id = group.group_id().unwrap_or_default().to_string();
    SecurityGroupView {
        subject: Subject::new(id.clone()).with_cloud_id(id.clone()),
        role,
        ingress: group
            .ip_permissions()
            .iter()
            .map(|permission| {
                let protocol = permission.ip_protocol().unwrap_or("-1").to_string();
                let all = protocol == "-1";
                let mut cidrs: Vec<String> = permission
                    .ip_ranges()
                    .iter()
                    .filter_map(|range| range.cidr_ip().map(str::to_string))
                    .collect();
                cidrs.extend(
                    permission
                        .ipv6_ranges()
                        .iter()
                        .filter_map(|range| range.cidr_ipv6().map(str::to_string)),
                );
                RuleView {
                    subject: Subject::new(id.clone()),
                    protocol,
                    from_port: if all { None } else { permission.from_port() },
                    to_port: if all { None } else { permission.to_port() },
                    cidrs,
                    source_groups: permission
                        .user_id_group_pairs()
                        .iter()
                        .filter_map(|pair| pair.group_id().map(str::to_string))
                        .collect(),
                }
            })
            .collect(),
    }
}

async fn session_preferences(aws: &Aws) -> Fact<Option<SessionPreferencesView>> {
    const NAME: &str = "SSM-SessionManagerRunShell";
    match aws.ssm.get_document().name(NAME).send().await {
        Ok(output) => {
            let content: Json = output
                .content()
                .and_then(|content| serde_json::from_str(content).ok())
                .unwrap_or(Json::Null);
            let inputs = &content["inputs"];
            let text = |key: &str| {
                inputs[key]
                    .as_str()
                    .filter(|value| !value.is_empty())
                    .map(str::to_string)
            };
            Fact::Known(Some(SessionPreferencesView {
                subject: Subject::new(NAME),
                cloudwatch_log_group: text("cloudWatchLogGroupName"),
                s3_bucket: text("s3BucketName"),
                kms_key_id: text("kmsKeyId"),
                cloudwatch_encryption: inputs["cloudWatchEncryptionEnabled"] == Json::Bool(true),
            }))
        }
        Err(error) => {
            let error = AwsError::from_sdk(NAME, "ssm:GetDocument", error);
            if error.is_not_found() || error.code.as_deref() == Some("InvalidDocument") {
                Fact::Known(None)
            } else {
                Fact::unknown(why(&error))
            }
        }
    }
}

async fn access_entries(aws: &Aws, cluster: &str) -> Fact<Vec<AccessEntryView>> {
    let listed = match aws
        .eks
        .list_access_entries()
        .cluster_name(cluster)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => {
            let error = AwsError::from_sdk(cluster, "eks:ListAccessEntries", error);
            return Fact::unknown(if api_missing(&error) {
                format!(
                    "eks:ListAccessEntries: API not available on this endpoint (moto lacks it): {}",
                    error.message
                )
            } else {
                why(&error)
            });
        }
    };
    let reads = listed.access_entries().iter().map(|principal| async move {
        let (entry, policies) = futures::join!(
            aws.eks
                .describe_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send(),
            aws.eks
                .list_associated_access_policies()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send(),
        );
        let entry = entry
            .map_err(|error| AwsError::from_sdk(principal, "eks:DescribeAccessEntry", error))?;
        let policies = policies.map_err(|error| {
            AwsError::from_sdk(principal, "eks:ListAssociatedAccessPolicies", error)
        })?;
        let groups = entry
            .access_entry()
            .map(|e| e.kubernetes_groups().to_vec())
            .unwrap_or_default();
        let arn = entry
            .access_entry()
            .and_then(|e| e.access_entry_arn())
            .unwrap_or(principal)
            .to_string();
        Ok::<_, AwsError>(AccessEntryView {
            subject: Subject::new(arn.clone()).with_cloud_id(arn),
            principal_arn: principal.clone(),
            kubernetes_groups: groups,
            policies: policies
                .associated_access_policies()
                .iter()
                .map(|policy| AccessPolicyView {
                    policy_arn: policy.policy_arn().unwrap_or_default().to_string(),
                    scope: policy
                        .access_scope()
                        .and_then(|scope| scope.r#type())
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_else(|| "cluster".into()),
                    namespaces: policy
                        .access_scope()
                        .map(|scope| scope.namespaces().to_vec())
                        .unwrap_or_default(),
                })
                .collect(),
            // The principal's trust is read with the roles (RoleUse::AccessEntry).
            principal_trust: Fact::unknown("read with the access entry's role"),
        })
    });
    join_all(reads)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, AwsError>>()
        .map(Fact::Known)
        .unwrap_or_else(|error| Fact::unknown(why(&error)))
}

async fn addons(aws: &Aws, cluster: &str, subject: &Subject, version: &str) -> Fact<AddonsView> {
    let listed = match aws.eks.list_addons().cluster_name(cluster).send().await {
        Ok(output) => output,
        Err(error) => {
            let error = AwsError::from_sdk(cluster, "eks:ListAddons", error);
            return Fact::unknown(if api_missing(&error) {
                format!(
                    "eks:ListAddons: API not available on this endpoint (moto lacks it): {}",
                    error.message
                )
            } else {
                why(&error)
            });
        }
    };
    let reads = listed.addons().iter().map(|name| async move {
        let (described, versions) = futures::join!(
            aws.eks
                .describe_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .send(),
            aws.eks
                .describe_addon_versions()
                .addon_name(name)
                .kubernetes_version(version)
                .send(),
        );
        let described =
            described.map_err(|error| AwsError::from_sdk(name, "eks:DescribeAddon", error))?;
        let addon = described.addon();
        let default_version = match versions {
            Ok(output) => Fact::Known(
                output
                    .addons()
                    .iter()
                    .flat_map(|info| info.addon_versions().iter())
                    .find(|v| {
                        v.compatibilities()
                            .iter()
                            .any(|c| c.default_version() && c.cluster_version() == Some(version))
                    })
                    .and_then(|v| v.addon_version())
                    .map(str::to_string),
            ),
            Err(error) => Fact::unknown(why(&AwsError::from_sdk(
                name,
                "eks:DescribeAddonVersions",
                error,
            ))),
        };
        let configuration: Json = addon
            .and_then(|a| a.configuration_values())
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Json::Null);
        let arn = addon
            .and_then(|a| a.addon_arn())
            .unwrap_or(name)
            .to_string();
        Ok::<_, AwsError>(AddonView {
            subject: Subject::new(arn.clone()).with_cloud_id(arn),
            name: name.clone(),
            version: addon.and_then(|a| a.addon_version()).map(str::to_string),
            default_version,
            network_policy: (name == "vpc-cni").then(|| {
                configuration["enableNetworkPolicy"] == Json::String("true".into())
                    || configuration["enableNetworkPolicy"] == Json::Bool(true)
            }),
            service_account_role: addon
                .and_then(|a| a.service_account_role_arn())
                .map(str::to_string),
            pod_identity: addon
                .map(|a| !a.pod_identity_associations().is_empty())
                .unwrap_or(false),
        })
    });
    join_all(reads)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, AwsError>>()
        .map(|managed| {
            Fact::Known(AddonsView {
                subject: subject.clone(),
                managed,
            })
        })
        .unwrap_or_else(|error| Fact::unknown(why(&error)))
}

async fn ebs_encryption_by_default(aws: &Aws) -> Fact<bool> {
    match aws.ec2.get_ebs_encryption_by_default().send().await {
        Ok(output) => output
            .ebs_encryption_by_default()
            .map(Fact::Known)
            .unwrap_or_else(|| Fact::unknown("ec2:GetEbsEncryptionByDefault returned no value")),
        Err(error) => Fact::unknown(why(&AwsError::from_sdk(
            "region",
            "ec2:GetEbsEncryptionByDefault",
            error,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_user_data_decodes() {
        assert_eq!(base64_decode("TWFu").as_deref(), Some("Man"));
        assert_eq!(base64_decode("TWE=").as_deref(), Some("Ma"));
        assert_eq!(base64_decode("TQ==").as_deref(), Some("M"));
        assert_eq!(base64_decode("!!!!"), None);
    }

    #[test]
    fn endpoint_services_are_shortened() {
        assert_eq!(
            endpoint_suffix("com.amazonaws.eu-west-1.ecr.api"),
            "ecr.api"
        );
        assert_eq!(endpoint_suffix("com.amazonaws.eu-west-1.s3"), "s3");
        assert_eq!(endpoint_suffix("custom"), "custom");
    }

    #[test]
    fn cluster_arns_give_account_and_partition() {
        assert_eq!(
            account_and_partition("arn:aws-cn:eks:cn-north-1:123456789012:cluster/x"),
            (Some("123456789012".into()), "aws-cn".into())
        );
        assert_eq!(account_and_partition("x"), (None, "aws".into()));
    }
}
