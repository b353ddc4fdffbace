//! Each view field from a blueprint snippet, and the hardened blueprint's posture.

use super::*;
use crate::blueprint::load_str;
use crate::resources::expand;

const BASE: &str = r#"
[blueprint]
name = "demo"
region = "eu-west-1"

[network]
vpc_cidr = "10.40.0.0/16"
azs = 2

[cluster]
version = "1.34"

[[node_groups]]
name = "system"
instance_types = ["m6i.large"]
min_size = 1
max_size = 3
desired_size = 2
"#;

fn placement() -> Placement {
    Placement {
        azs: vec!["eu-west-1a".into(), "eu-west-1b".into()],
        region: "eu-west-1".into(),
        account_id: "111122223333".into(),
        partition: "aws".into(),
    }
}

fn today() -> Date {
    Date {
        year: 2026,
        month: 11,
        day: 23,
    }
}

/// The posture of `text`, which must load and validate.
fn posture_of(text: &str) -> Posture {
    let loaded = load_str("test.toml", text, &[])
        .unwrap_or_else(|error| panic!("blueprint does not load: {error:?}"));
    let desired = expand(&loaded.model, &placement()).expect("expands");
    posture(&loaded, &desired, &placement(), today()).expect("the desired posture")
}

/// BASE with `extra` TOML appended (new tables, or keys for a table BASE lacks).
fn with(extra: &str) -> Posture {
    posture_of(&format!("{BASE}\n{extra}"))
}

/// BASE with `key = value` lines inserted at the end of section `[section]`.
fn with_in(section: &str, lines: &str) -> Posture {
    let header = format!("[{section}]\n");
    let text = BASE.replacen(&header, &format!("{header}{lines}\n"), 1);
    assert_ne!(text, BASE, "BASE has no [{section}]");
    posture_of(&text)
}

fn cluster(posture: &Posture) -> &ClusterView {
    posture.cluster.as_ref().expect("a cluster")
}

fn launch(posture: &Posture) -> &LaunchView {
    posture.node_groups[0].launch.known().expect("launch data")
}

#[test]
fn the_defaults_are_the_secure_values() {
    let posture = posture_of(BASE);
    assert_eq!(posture.side, Side::Desired);
    assert_eq!(posture.account_id.as_deref(), Some("111122223333"));
    let cluster = cluster(&posture);
    assert_eq!(cluster.subject.resource, "eks_cluster.main");
    assert_eq!(cluster.name, "demo");
    assert_eq!(cluster.version.known_str(), Some("1.34"));
    assert!(cluster.endpoint_private && !cluster.endpoint_public);
    assert!(cluster.public_access_cidrs.is_empty());
    assert_eq!(cluster.log_types.len(), 5);
    assert_eq!(cluster.authentication_mode, Fact::Known("API".into()));
    // No admin is named: the creator stays admin, or nobody could administer the cluster.
    assert_eq!(cluster.bootstrap_creator_admin, Fact::Known(true));
    assert_eq!(cluster.role.known_str(), Some("iam_role.cluster"));
    assert_eq!(
        cluster.secrets_key.as_deref(),
        Some("${kms_key.secrets.arn}")
    );
    let log_group = cluster
        .log_group
        .known()
        .cloned()
        .flatten()
        .expect("log group");
    assert_eq!(log_group.name, "/aws/eks/demo/cluster");
    assert_eq!(log_group.retention_days, Some(90));
    assert_eq!(
        log_group.kms_key_id.as_deref(),
        Some("${kms_key.secrets.arn}")
    );

    let launch = launch(&posture);
    assert_eq!(launch.http_tokens.as_deref(), Some("required"));
    assert_eq!(launch.hop_limit, Some(1));
    assert_eq!(
        launch.volumes,
        [
            (Some("/dev/xvda".to_string()), Some(true)),
            (Some("/dev/xvdb".to_string()), Some(true))
        ]
    );
    assert_eq!(launch.key_name, None);
    assert!(!launch.public_ip);
    assert_eq!(launch.security_groups, ["security_group.node"]);
    let user_data = launch.user_data.as_deref().unwrap_or_default();
    assert!(user_data.contains("[settings.host-containers.admin]\nenabled = false"));
}

#[test]
fn network_subnets_routes_and_nat() {
    let posture = posture_of(BASE);
    let network = posture.network.as_ref().expect("network");
    assert_eq!(network.subject.resource, "vpc.main");
    assert_eq!(network.nat, Fact::Known(true));
    assert_eq!(network.flow_logs, Fact::Known(false));
    assert_eq!(network.endpoints, Fact::Known(vec![]));
    // On only when the expansion builds the VPC's flow log.
    let with_flow_logs = posture_of(&BASE.replace("azs = 2", "azs = 2\nflow_logs = true"));
    let network = with_flow_logs.network.as_ref().expect("network");
    assert_eq!(network.flow_logs, Fact::Known(true));
    let private = posture
        .subnet("subnet.private.eu-west-1a")
        .expect("private subnet");
    assert!(private.private && !private.map_public_ip_on_launch);
    assert_eq!(private.internet_route, None);
    let public = posture
        .subnet("subnet.public.eu-west-1a")
        .expect("public subnet");
    assert!(!public.private);
    assert_eq!(
        public.internet_route.as_deref(),
        Some("internet_gateway.main")
    );

    let mapped = with_in("network", "map_public_ip = true");
    let public = mapped.subnet("subnet.public.eu-west-1b").expect("public");
    assert!(public.map_public_ip_on_launch);
    assert_eq!(public.subject.key.as_deref(), Some("network.map_public_ip"));

    let nat_less = with_in(
        "network",
        "nat = \"none\"\npublic_subnets = false\nendpoints = [\"ecr.api\", \"ecr.dkr\", \"s3\", \"sts\", \"ec2\", \"ssm\", \"ssmmessages\", \"ec2messages\", \"eks-auth\"]",
    );
    let network = nat_less.network.as_ref().expect("network");
    assert_eq!(network.nat, Fact::Known(false));
    // The endpoints are the `vpc_endpoint` resources apply builds.
    let Fact::Known(mut endpoints) = network.endpoints.clone() else {
        panic!("endpoints known: {:?}", network.endpoints)
    };
    endpoints.sort();
    assert_eq!(
        endpoints,
        [
            "ec2",
            "ec2messages",
            "ecr.api",
            "ecr.dkr",
            "eks-auth",
            "s3",
            "ssm",
            "ssmmessages",
            "sts"
        ]
    );
}

#[test]
fn endpoint_settings_come_from_the_cluster_resource() {
    let posture = with_in(
        "cluster",
        "endpoint_public = true\npublic_access_cidrs = [\"0.0.0.0/0\"]\nendpoint_private = false",
    );
    let cluster = cluster(&posture);
    assert!(cluster.endpoint_public && !cluster.endpoint_private);
    assert_eq!(cluster.public_access_cidrs, ["0.0.0.0/0"]);
}

#[test]
fn cluster_access_keys() {
    let posture = with_in(
        "cluster",
        "authentication_mode = \"API_AND_CONFIG_MAP\"\nbootstrap_creator_admin = false\nlogging = [\"api\"]\nlog_retention_days = 30\nlog_encryption = false",
    );
    let cluster = cluster(&posture);
    assert_eq!(
        cluster.authentication_mode,
        Fact::Known("API_AND_CONFIG_MAP".into())
    );
    assert_eq!(cluster.bootstrap_creator_admin, Fact::Known(false));
    assert_eq!(cluster.log_types, ["api"]);
    let log_group = cluster
        .log_group
        .known()
        .cloned()
        .flatten()
        .expect("log group");
    assert_eq!(log_group.retention_days, Some(30));
    assert_eq!(log_group.kms_key_id, None);
}

#[test]
fn naming_an_admin_turns_the_creator_bootstrap_off() {
    let posture = with("[access]\nadmins = [\"arn:aws:iam::111122223333:role/Platform\"]");
    assert_eq!(
        cluster(&posture).bootstrap_creator_admin,
        Fact::Known(false)
    );
    let entries = posture.access_entries.known().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].subject.key.as_deref(), Some("access.admins[0]"));
    assert_eq!(entries[0].policies[0].scope, "cluster");
    assert!(entries[0].policies[0]
        .policy_arn
        .known_str()
        .is_some_and(|arn| arn.ends_with("/AmazonEKSClusterAdminPolicy")));
    assert!(entries[0].principal_trust.known().is_none());
}

#[test]
fn access_entries_carry_policy_and_scope() {
    let posture = with(
        r#"[[access.entries]]
principal = "arn:aws:iam::111122223333:role/Dev"
policy = "AmazonEKSEditPolicy"
scope = "namespace"
namespaces = ["team-b", "team-a"]
"#,
    );
    let entries = posture.access_entries.known().expect("entries");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.principal_arn, "arn:aws:iam::111122223333:role/Dev");
    assert_eq!(entry.subject.key.as_deref(), Some("access.entries[0]"));
    assert_eq!(entry.policies[0].scope, "namespace");
    assert_eq!(entry.policies[0].namespaces, ["team-a", "team-b"]);
    assert!(entry.policies[0]
        .policy_arn
        .known_str()
        .is_some_and(|arn| arn.ends_with("/AmazonEKSEditPolicy")));
}

#[test]
fn the_created_key_and_its_policy() {
    let posture = with(
        r#"[encryption]
rotation = false
alias = "alias/custom"
key_admins = ["arn:aws:iam::111122223333:role/KeyAdmin"]
key_policy = '{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}'
"#,
    );
    let key = posture.secrets_key.as_ref().expect("key");
    assert_eq!(key.subject.resource, "kms_key.secrets");
    assert_eq!(key.customer_managed, Fact::Known(true));
    assert_eq!(key.state, Fact::Known("Enabled".into()));
    assert_eq!(key.rotation, Fact::Known(false));
    assert_eq!(key.aliases, Fact::Known(vec!["alias/custom".into()]));
    assert_eq!(key.admins, ["arn:aws:iam::111122223333:role/KeyAdmin"]);
    assert_eq!(
        key.cluster_role_principal.as_deref(),
        Some("${iam_role.cluster.arn}")
    );
    let policy = key.policy.known().expect("policy");
    let statements = policy["Statement"].as_array().expect("statements");
    let sids: Vec<&str> = statements
        .iter()
        .filter_map(|statement| statement["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        [
            "AccountAdministration",
            "ClusterSecretsEncryption",
            "CloudWatchLogsOfThisAccount",
            "KeyAdministrators",
            "Open"
        ]
    );
    assert_eq!(statements[1]["Principal"]["AWS"], "${iam_role.cluster.arn}");
}

#[test]
fn an_existing_key_is_not_known_at_plan_time() {
    let posture = with(
        "[encryption]\nkms_key = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"",
    );
    let key = posture.secrets_key.as_ref().expect("key");
    assert!(key.subject.resource.starts_with("arn:aws:kms:"));
    assert!(key.rotation.known().is_none());
    assert!(key.customer_managed.known().is_none());
    assert!(key.policy.known().is_none());
    let aws_managed =
        with("[encryption]\nkms_key = \"arn:aws:kms:eu-west-1:111122223333:alias/aws/eks\"");
    assert_eq!(
        aws_managed
            .secrets_key
            .as_ref()
            .map(|key| &key.customer_managed),
        Some(&Fact::Known(false))
    );
}

#[test]
fn node_group_launch_keys() {
    let posture = with_in(
        "[node_groups]",
        "imds_tokens = \"optional\"\nimds_hop_limit = 2\nvolume_encrypted = false\nssh_key = \"ops\"\npublic_ip = true\nsubnets = \"public\"\nuser_data = '''\n[settings.kernel]\nlockdown = \"integrity\"\n'''\nversion = \"1.33\"\nrelease_version = \"1.26.2-abc\"",
    );
    let group = &posture.node_groups[0];
    assert_eq!(group.subject.key.as_deref(), Some("node_groups[0]"));
    assert_eq!(group.ami_type.known_str(), Some("BOTTLEROCKET_x86_64"));
    assert_eq!(group.version.as_deref(), Some("1.33"));
    assert_eq!(group.release_version.as_deref(), Some("1.26.2-abc"));
    assert_eq!(
        group.subnets,
        ["subnet.public.eu-west-1a", "subnet.public.eu-west-1b"]
    );
    assert_eq!(group.node_role.known_str(), Some("iam_role.node"));
    let launch = launch(&posture);
    assert_eq!(launch.http_tokens.as_deref(), Some("optional"));
    assert_eq!(launch.hop_limit, Some(2));
    assert!(launch
        .volumes
        .iter()
        .all(|(_, encrypted)| *encrypted == Some(false)));
    assert_eq!(launch.key_name.as_deref(), Some("ops"));
    assert!(launch.public_ip);
    assert!(launch
        .user_data
        .as_deref()
        .unwrap_or_default()
        .contains("lockdown = \"integrity\""));
}

#[test]
fn node_groups_follow_the_cluster_version_unless_pinned() {
    let posture = posture_of(BASE);
    let group = &posture.node_groups[0];
    assert_eq!(group.version, None);
    assert_eq!(group.release_version, None);
    assert_eq!(
        group.subnets,
        ["subnet.private.eu-west-1a", "subnet.private.eu-west-1b"]
    );
    assert!(group.latest_release.known().is_none());
}

#[test]
fn the_latest_bottlerocket_release_comes_from_the_caller() {
    let loaded = load_str("test.toml", BASE, &[]).expect("loads");
    let desired = expand(&loaded.model, &placement()).expect("expands");
    let latest = |version: &str, arch: &str| Fact::Known(format!("{version}-{arch}-latest"));
    let extras = Extras {
        latest_bottlerocket: Some(&latest),
    };
    let posture = posture_with(&loaded, &desired, &placement(), today(), &extras)
        .expect("the desired posture");
    assert_eq!(
        posture.node_groups[0].latest_release,
        Fact::Known("1.34-x86_64-latest".into())
    );
}

#[test]
fn roles_and_their_policies() {
    let posture = posture_of(BASE);
    let node = posture.role("iam_role.node").expect("node role");
    assert_eq!(node.uses, RoleUse::Node);
    let managed = node.managed_policies.known().expect("policies");
    assert!(managed
        .iter()
        .any(|arn| arn.ends_with("/AmazonSSMManagedInstanceCore")));
    assert!(!managed
        .iter()
        .any(|arn| arn.ends_with("/AmazonEKS_CNI_Policy")));
    let trust = node.trust.known().expect("trust");
    assert_eq!(
        trust["Statement"]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );

    let extra = with_in(
        "[node_groups]",
        "extra_policies = [\"arn:aws:iam::aws:policy/AdministratorAccess\"]",
    );
    let node = extra.role("iam_role.node").expect("node role");
    assert!(node
        .managed_policies
        .known()
        .expect("policies")
        .iter()
        .any(|arn| arn.ends_with("/AdministratorAccess")));
    let cluster_role = extra.role("iam_role.cluster").expect("cluster role");
    assert_eq!(cluster_role.uses, RoleUse::Cluster);
    assert_eq!(
        cluster_role.managed_policies,
        Fact::Known(vec!["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy".into()])
    );
}

#[test]
fn an_existing_cluster_role_is_not_known_at_plan_time() {
    let posture = with_in(
        "cluster",
        "role_arn = \"arn:aws:iam::111122223333:role/existing-eks\"",
    );
    let cluster = cluster(&posture);
    let cluster_role = cluster.role.known_str();
    assert_eq!(
        cluster_role,
        Some("arn:aws:iam::111122223333:role/existing-eks")
    );
    assert!(posture.role("iam_role.cluster").is_none());
    let role = cluster_role
        .and_then(|role| posture.role(role))
        .expect("the existing role");
    assert_eq!(role.uses, RoleUse::Cluster);
    assert!(role.trust.known().is_none());
    assert_eq!(
        posture
            .secrets_key
            .as_ref()
            .and_then(|key| key.cluster_role_principal.as_deref()),
        Some("arn:aws:iam::111122223333:role/existing-eks")
    );
}

#[test]
fn irsa_roles_oidc_provider_and_inline_policies() {
    let posture = with(
        r#"[irsa]
oidc_provider = true
[[irsa.service_accounts]]
namespace = "apps"
name = "uploader"
inline_policies = { s3 = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }
"#,
    );
    let provider = posture
        .oidc_provider
        .known()
        .cloned()
        .flatten()
        .expect("provider");
    assert_eq!(provider.client_ids, ["sts.amazonaws.com"]);
    assert_eq!(
        provider.url.known_str(),
        Some("${eks_cluster.main.oidc_issuer}")
    );
    let uploader = posture
        .role("iam_role.irsa.apps.uploader")
        .expect("irsa role");
    assert_eq!(uploader.uses, RoleUse::Irsa);
    assert_eq!(
        uploader.subject.key.as_deref(),
        Some("irsa.service_accounts[0]")
    );
    assert_eq!(
        uploader.service_account,
        Some(("apps".to_string(), "uploader".to_string()))
    );
    let documents = uploader.policy_documents.known().expect("documents");
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].name, "s3");
    assert_eq!(documents[0].document["Statement"]["Action"], "*");
    let trust = uploader.trust.known().expect("trust");
    let condition = &trust["Statement"]["Condition"]["StringEquals"];
    assert_eq!(
        condition["${iam_oidc_provider.main.url}:sub"],
        "system:serviceaccount:apps:uploader"
    );
    // The aws-node role is the vpc-cni add-on's, and the add-on is bound to it.
    let cni_role = posture
        .role("iam_role.irsa.kube-system.aws-node")
        .expect("the CNI's role");
    assert_eq!(
        cni_role.subject.key.as_deref(),
        Some("addons.vpc_cni.identity")
    );
    let addons = posture.addons.known().expect("addons");
    let cni = addons
        .managed
        .iter()
        .find(|addon| addon.name == "vpc-cni")
        .expect("vpc-cni");
    assert_eq!(
        cni.service_account_role.as_deref(),
        Some("iam_role.irsa.kube-system.aws-node")
    );

    let without =
        with("[irsa]\noidc_provider = false\n[addons.vpc_cni]\nidentity = \"pod_identity\"");
    assert_eq!(without.oidc_provider, Fact::Known(None));
}

#[test]
fn pod_identity_roles_are_workload_roles_judged_on_their_policies() {
    let pod_identity = |policy: &str| {
        with(&format!(
            "[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"uploader\"\nmanaged_policies = [\"{policy}\"]\n"
        ))
    };
    let posture = pod_identity("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    let role = posture
        .role("iam_role.pod_identity.apps.uploader")
        .expect("the pod identity role");
    assert_eq!(role.uses, RoleUse::PodIdentity);
    assert_eq!(role.subject.key.as_deref(), Some("pod_identity[0]"));
    assert_eq!(
        role.service_account,
        Some(("apps".to_string(), "uploader".to_string()))
    );
    // Its trust (the Pod Identity service, for this cluster and account) is no finding, and
    // the IRSA trust check does not judge it; the blueprint fails only what BASE fails.
    let failing = |posture: &Posture| -> Vec<(&'static str, String)> {
        crate::audit::evaluate(posture)
            .into_iter()
            .filter(|(_, evaluation)| evaluation.is_fail())
            .map(|(meta, evaluation)| (meta.id, evaluation.subject.resource.clone()))
            .collect()
    };
    assert_eq!(failing(&posture), failing(&posture_of(BASE)));
    let judged_by = |id: &str| {
        crate::audit::checks::testing::run(id, &posture)
            .into_iter()
            .filter(|evaluation| {
                evaluation.subject.resource == "iam_role.pod_identity.apps.uploader"
            })
            .count()
    };
    assert_eq!(judged_by("EKS-IAM-002"), 0, "not an IRSA trust");
    assert_eq!(judged_by("EKS-IAM-004"), 1);
    assert_eq!(judged_by("EKS-IAM-005"), 1);
    assert_eq!(judged_by("EKS-IAM-007"), 1);

    // Administrator rights on a pod's role are found, at the entry's policies.
    let admin = pod_identity("arn:aws:iam::aws:policy/AdministratorAccess");
    let found: Vec<String> = crate::audit::checks::testing::run("EKS-IAM-004", &admin)
        .into_iter()
        .filter(|evaluation| evaluation.is_fail())
        .map(|evaluation| {
            format!(
                "{} {}",
                evaluation.subject.resource,
                evaluation.subject.key.unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        found,
        ["iam_role.pod_identity.apps.uploader pod_identity[0].managed_policies"]
    );
}

#[test]
fn security_groups_and_extra_rules() {
    let posture = posture_of(BASE);
    let node = posture
        .security_groups
        .iter()
        .find(|group| group.role == GroupRole::Node)
        .expect("node SG");
    assert!(node.ingress.iter().all(|rule| rule.cidrs.is_empty()));
    assert!(!node
        .ingress
        .iter()
        .any(|rule| rule.covers_tcp_port(22) && rule.protocol == "tcp"));

    let opened = with(
        r#"[[security_rules]]
group = "node"
protocol = "tcp"
from_port = 22
to_port = 22
cidrs = ["0.0.0.0/0", "10.0.0.0/8"]
description = "ssh"

[[security_rules]]
group = "cluster"
protocol = "-1"
source_group = "node"
description = "everything from nodes"
"#,
    );
    let node = opened
        .security_groups
        .iter()
        .find(|group| group.role == GroupRole::Node)
        .expect("node SG");
    let ssh: Vec<&RuleView> = node
        .ingress
        .iter()
        .filter(|rule| rule.subject.key.as_deref() == Some("security_rules[0]"))
        .collect();
    assert_eq!(ssh.len(), 2);
    assert!(ssh
        .iter()
        .any(|rule| rule.from_anywhere() && rule.covers_tcp_port(22)));
    let cluster_sg = opened
        .security_groups
        .iter()
        .find(|group| group.role == GroupRole::Cluster)
        .expect("cluster SG");
    let all = cluster_sg
        .ingress
        .iter()
        .find(|rule| rule.subject.key.as_deref() == Some("security_rules[1]"))
        .expect("all-traffic rule");
    assert_eq!(all.protocol, "-1");
    assert_eq!((all.from_port, all.to_port), (None, None));
    assert_eq!(all.source_groups, ["security_group.node"]);
}

#[test]
fn session_preferences_are_logged_and_encrypted() {
    let posture = posture_of(BASE);
    let preferences = posture
        .session_preferences
        .known()
        .cloned()
        .flatten()
        .expect("preferences");
    assert_eq!(
        preferences.cloudwatch_log_group.as_deref(),
        Some("${log_group.sessions.name}")
    );
    assert_eq!(
        preferences.kms_key_id.as_deref(),
        Some("${kms_key.secrets.id}")
    );
    assert!(preferences.cloudwatch_encryption);
    assert_eq!(preferences.s3_bucket, None);

    let off = with("[access]\nsession_logging = false");
    assert_eq!(off.session_preferences, Fact::Known(None));
}

#[test]
fn what_eksforge_does_not_build_is_never_credited() {
    let posture = posture_of(BASE);
    assert_eq!(
        posture.detection, None,
        "without [detection] GuardDuty is judged live only"
    );
    assert_eq!(posture.registry, None, "ECR is judged live only");
    let network = posture.network.as_ref().expect("network");
    assert_eq!(
        network.endpoints,
        Fact::Known(Vec::new()),
        "no VPC endpoint is made"
    );
}

/// The add-ons are credited for what their resources send: the CNI's network policy switch
/// and role, the core three managed; turning the switch off or dropping an add-on fails.
#[test]
fn add_ons_are_judged_by_what_apply_installs() {
    let verdicts = |posture: &Posture| -> Vec<(&'static str, bool)> {
        crate::audit::evaluate(posture)
            .into_iter()
            .filter(|(meta, _)| meta.id.starts_with("EKS-K8S-00"))
            .map(|(meta, evaluation)| (meta.id, evaluation.is_fail()))
            .collect()
    };
    let posture = posture_of(BASE);
    let addons = posture.addons.known().expect("addons");
    let names: Vec<&str> = addons.managed.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    );
    assert!(
        verdicts(&posture).iter().all(|(_, failed)| !failed),
        "{:?}",
        verdicts(&posture)
    );

    let off = with("[addons.vpc_cni]\nnetwork_policy = false");
    assert!(verdicts(&off).contains(&("EKS-K8S-001", true)));
    let pod = with("[addons.vpc_cni]\nidentity = \"pod_identity\"");
    let cni = pod
        .addons
        .known()
        .and_then(|addons| addons.managed.iter().find(|a| a.name == "vpc-cni"))
        .expect("vpc-cni");
    assert!(cni.pod_identity && cni.service_account_role.is_none());
    assert!(verdicts(&pod).contains(&("EKS-K8S-002", false)));
    let fewer = with("[addons]\nmanaged = [\"vpc-cni\", \"kube-proxy\"]");
    assert!(verdicts(&fewer).contains(&("EKS-K8S-003", true)));
}

#[test]
fn a_network_only_blueprint_has_no_cluster_parts() {
    let text = BASE
        .split("[cluster]")
        .next()
        .expect("network part")
        .to_string();
    let posture = posture_of(&text);
    assert!(posture.network.is_some());
    assert!(posture.cluster.is_none());
    assert!(posture.secrets_key.is_none());
    assert!(posture.node_groups.is_empty());
    assert!(posture.roles.is_empty());
    assert!(posture.addons.known().is_none());
}

#[test]
fn base64_decodes_what_the_expansion_encodes() {
    assert_eq!(decode_base64("TWFu").as_deref(), Some(&b"Man"[..]));
    assert_eq!(decode_base64("TWE=").as_deref(), Some(&b"Ma"[..]));
    assert_eq!(decode_base64("TQ==").as_deref(), Some(&b"M"[..]));
    assert_eq!(decode_base64("not base64!"), None);
}

#[test]
fn the_hardened_blueprint_is_secure() {
    let text = include_str!("../../../blueprints/hardened.toml");
    let loaded = load_str("blueprints/hardened.toml", text, &[]).expect("hardened loads");
    let placement = Placement {
        azs: vec![
            "eu-west-1a".into(),
            "eu-west-1b".into(),
            "eu-west-1c".into(),
        ],
        ..placement()
    };
    let desired = expand(&loaded.model, &placement).expect("expands");
    let posture = posture(&loaded, &desired, &placement, today()).expect("the desired posture");
    let cluster = cluster(&posture);
    assert!(!cluster.endpoint_public && cluster.endpoint_private);
    assert_eq!(cluster.log_types.len(), 5);
    assert_eq!(cluster.authentication_mode, Fact::Known("API".into()));
    assert!(cluster.secrets_key.is_some());
    let network = posture.network.as_ref().expect("network");
    assert!(network
        .subnets
        .iter()
        .all(|subnet| !subnet.map_public_ip_on_launch
            && (!subnet.private || subnet.internet_route.is_none())));
    for group in &posture.node_groups {
        assert!(group
            .ami_type
            .known_str()
            .is_some_and(|ami| ami.starts_with("BOTTLEROCKET_")));
        assert!(group
            .subnets
            .iter()
            .all(|subnet| subnet.starts_with("subnet.private.")));
        let launch = group.launch.known().expect("launch");
        assert_eq!(launch.http_tokens.as_deref(), Some("required"));
        assert_eq!(launch.hop_limit, Some(1));
        assert!(launch
            .volumes
            .iter()
            .all(|(_, encrypted)| *encrypted == Some(true)));
        assert!(launch.key_name.is_none() && !launch.public_ip);
    }
    for group in &posture.security_groups {
        assert!(!group.ingress.iter().any(|rule| rule.from_anywhere()));
        assert!(!group
            .ingress
            .iter()
            .any(|rule| rule.protocol == "tcp" && rule.covers_tcp_port(22)));
    }
    let key = posture.secrets_key.as_ref().expect("key");
    assert_eq!(key.rotation, Fact::Known(true));
    assert_eq!(
        key.aliases,
        Fact::Known(vec!["alias/hardened-eks-secrets".into()])
    );
    // Every check that exists in this branch passes or is not evaluated; none fails.
    let failures: Vec<String> = crate::audit::evaluate(&posture)
        .into_iter()
        .filter(|(meta, evaluation)| {
            evaluation.is_fail() && meta.severity >= crate::audit::Severity::High
        })
        .map(|(meta, evaluation)| format!("{} {:?}", meta.id, evaluation))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn an_attribute_the_expansion_always_writes_is_an_error_when_missing() {
    let loaded = load_str("test.toml", BASE, &[])
        .unwrap_or_else(|error| panic!("blueprint does not load: {error:?}"));
    let expanded = expand(&loaded.model, &placement()).expect("expands");
    let without = |kind: Kind, attribute: &str| {
        let mut desired = expanded.clone();
        let resource = desired
            .resources
            .values_mut()
            .find(|resource| resource.kind() == kind)
            .expect("a resource of the kind");
        match attribute.split_once("[].") {
            None => {
                resource.attrs.remove(attribute);
            }
            Some((list, member)) => {
                if let Some(Value::List(items)) = resource.attrs.get_mut(list) {
                    for item in items {
                        if let Value::Map(map) = item {
                            map.remove(member);
                        }
                    }
                }
            }
        }
        posture(&loaded, &desired, &placement(), today()).map(|_| ())
    };
    let missing = |resource: &str, attribute: &str| {
        Err(DesiredPostureError::MissingAttribute {
            resource: resource.into(),
            attribute: attribute.into(),
        })
    };
    assert_eq!(
        without(Kind::EksCluster, "version"),
        missing("eks_cluster.main", "version")
    );
    assert_eq!(
        without(Kind::EksNodeGroup, "node_role_arn"),
        missing("eks_node_group.system", "node_role_arn")
    );
    let error = without(Kind::LaunchTemplate, "block_device_mappings[].device_name")
        .expect_err("a block device without a name");
    assert!(
        error
            .to_string()
            .ends_with("has no attribute `block_device_mappings[].device_name`, which the expansion always writes"),
        "{error}"
    );
}

#[test]
fn node_settings_are_read_from_the_merged_user_data() {
    let posture = with_in(
        "[node_groups]",
        "labels = { team = \"platform\" }\nuser_data = '''\n[settings.kubernetes]\nmax-pods = 50\n[settings.kernel.sysctl]\n\"vm.max_map_count\" = \"262144\"\n'''",
    );
    let launch = launch(&posture);
    let user_data = launch.user_data.as_deref().unwrap_or_default();
    assert!(user_data.contains("max-pods = 50"), "{user_data}");
    let settings = launch.node_settings.known().expect("read");
    let enabled: Vec<&str> = settings
        .host_containers
        .iter()
        .filter(|container| container.enabled)
        .map(|container| container.name.as_str())
        .collect();
    assert_eq!(enabled, ["control"]);
    let result = crate::audit::checks::testing::run("EKS-NODE-009", &posture);
    assert!(
        result
            .iter()
            .all(|e| e.outcome == crate::audit::Outcome::Pass),
        "{result:?}"
    );
}

/// The audit judges the user data the launch template carries, not what the blueprint says
/// it should: a template whose text turns the admin container on fails, whatever wrote it.
#[test]
fn host_access_is_judged_on_the_user_data_sent() {
    use base64::Engine as _;
    let loaded = load_str("test.toml", BASE, &[])
        .unwrap_or_else(|error| panic!("blueprint does not load: {error:?}"));
    let mut desired = expand(&loaded.model, &placement()).expect("expands");
    let template = desired
        .resources
        .values_mut()
        .find(|resource| resource.kind() == Kind::LaunchTemplate)
        .expect("a launch template");
    let opened = "[settings.host-containers.admin]\nenabled = true\n";
    template.attrs.insert(
        "user_data".into(),
        Value::str(base64::engine::general_purpose::STANDARD.encode(opened)),
    );
    let posture = posture(&loaded, &desired, &placement(), today()).expect("posture");
    let result = crate::audit::checks::testing::run("EKS-NODE-009", &posture);
    assert!(result[0].is_fail(), "{result:?}");
    assert_eq!(
        result[0].subject.key.as_deref(),
        Some("node_groups[0].user_data")
    );
}

/// `[detection]` is credited for what the `guardduty_detector` resource sends.
#[test]
fn detection_is_what_the_detector_sends() {
    let detection = |extra: &str| match with(extra).detection {
        Some(Fact::Known(view)) => (
            view.subject.resource.clone(),
            view.guardduty,
            view.eks_audit_logs,
            view.runtime_monitoring,
        ),
        other => panic!("detection is known from the desired model: {other:?}"),
    };
    assert_eq!(
        detection("[detection]\nguardduty = true"),
        ("guardduty_detector.region".to_string(), true, true, true)
    );
    assert_eq!(
        detection("[detection]\nruntime_monitoring = false"),
        ("guardduty_detector.region".to_string(), true, true, false)
    );
    assert_eq!(
        detection(
            "[detection]\nguardduty = false\neks_audit_logs = false\nruntime_monitoring = false"
        ),
        ("guardduty_detector.region".to_string(), false, false, false)
    );
}
