//! Nodes (EKS-NODE): the rows of docs/checks.md's section, one [`Check`] each.

use crate::audit::view::{Fact, LaunchView, NodeGroupView, Posture, Subject};
use crate::audit::{Check, Evaluation};

const WHY: &str = "A node that is compromised, or a pod that reaches the node's identity, holds every credential on that host; Bottlerocket, IMDSv2 with one hop, encrypted disks, no SSH and private addressing close those paths.";

pub(super) const CHECKS: &[Check] = &[
    check!(
        "EKS-NODE-001",
        High,
        "Node group not on Bottlerocket",
        WHY,
        "node_groups.N.ami = \"bottlerocket\"",
        ["BPG hosts (container-optimised OS)"],
        desired = true,
        live = true,
        bottlerocket
    ),
    check!(
        "EKS-NODE-002",
        High,
        "IMDSv1 allowed on nodes",
        WHY,
        "node_groups.N.imds_tokens = \"required\" (default)",
        [
            "CKV_AWS_79",
            "AVD-AWS-0130",
            "AVD-AWS-0028",
            "P:ec2_launch_template_imdsv2_required",
            "P:ec2_instance_imdsv2_enabled"
        ],
        desired = true,
        live = true,
        imds_v2
    ),
    check!(
        "EKS-NODE-003",
        High,
        "Pods can reach node credentials (IMDS hop limit above 1)",
        WHY,
        "node_groups.N.imds_hop_limit = 1; pods that need AWS get IRSA",
        ["CKV_AWS_341", "BPG iam (restrict instance profile)"],
        desired = true,
        live = true,
        hop_limit
    ),
    check!(
        "EKS-NODE-004",
        High,
        "Node EBS volumes unencrypted",
        WHY,
        "node_groups.N.volume_encrypted = true (optional volume_kms_key)",
        ["≈CKV_AWS_8", "≈AVD-AWS-0131", "BPG data"],
        desired = true,
        live = true,
        volumes
    ),
    check!(
        "EKS-NODE-005",
        High,
        "SSH remote access configured on nodes",
        WHY,
        "remove node_groups.N.ssh_key; use SSM",
        ["CKV_AWS_100", "BPG hosts"],
        desired = true,
        live = true,
        ssh
    ),
    check!(
        "EKS-NODE-006",
        High,
        "Nodes in subnets with an internet route",
        WHY,
        "node_groups.N.subnets = \"private\" (default)",
        ["CIS 5.4.3", "BPG hosts (private subnets)"],
        desired = true,
        live = true,
        private_subnets
    ),
    check!(
        "EKS-NODE-007",
        High,
        "Nodes get public IP addresses",
        WHY,
        "node_groups.N.public_ip = false",
        [
            "CKV_AWS_88",
            "P:ec2_launch_template_no_public_ip",
            "P:ec2_instance_public_ip"
        ],
        desired = true,
        live = true,
        public_ip
    ),
    check!(
        "EKS-NODE-008",
        Medium,
        "Secrets in node user data",
        WHY,
        "keep secrets in Secrets Manager or Parameter Store and reference them by name",
        [
            "CKV_AWS_46",
            "AVD-AWS-0129",
            "P:ec2_launch_template_no_secrets"
        ],
        desired = true,
        live = true,
        user_data_secrets
    ),
    check!(
        "EKS-NODE-009",
        High,
        "Containers with host access outside Kubernetes on nodes",
        WHY,
        "keep Bottlerocket's admin container off and no host container but the SSM control container, no bootstrap containers, no static pods (eksforge writes this; validation refuses node_groups.N.user_data that changes it)",
        ["BPG hosts (Bottlerocket admin container off)"],
        desired = true,
        live = true,
        host_access
    ),
];

/// The node group's key `node_groups[i].<key>` on the desired side.
fn at(group: &NodeGroupView, key: &str) -> Subject {
    match &group.subject.key {
        Some(own) => group.subject.at(format!("{own}.{key}")),
        None => group.subject.clone(),
    }
}

fn per_launch(
    p: &Posture,
    key: &str,
    f: impl Fn(&Subject, &LaunchView) -> Evaluation,
) -> Vec<Evaluation> {
    p.node_groups
        .iter()
        .map(|group| {
            let subject = at(group, key);
            match &group.launch {
                Fact::Known(launch) => f(&subject, launch),
                Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
            }
        })
        .collect()
}

fn bottlerocket(p: &Posture) -> Vec<Evaluation> {
    p.node_groups
        .iter()
        .map(|g| match &g.ami_type {
            Fact::Known(ami_type) => Evaluation::check(
                &at(g, "ami"),
                ami_type.starts_with("BOTTLEROCKET_"),
                format!("amiType is {ami_type}"),
            ),
            Fact::Unknown(why) => Evaluation::not_evaluated(&at(g, "ami"), why),
        })
        .collect()
}

fn imds_v2(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "imds_tokens", |s, l| {
        Evaluation::check(
            s,
            l.http_tokens.as_deref() == Some("required"),
            format!(
                "HttpTokens is {}",
                l.http_tokens.as_deref().unwrap_or("unset (IMDSv1 allowed)")
            ),
        )
    })
}

fn hop_limit(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "imds_hop_limit", |s, l| match l.hop_limit {
        Some(hops) => Evaluation::check(s, hops <= 1, format!("HttpPutResponseHopLimit is {hops}")),
        None => Evaluation::not_evaluated(s, "the hop limit is not set in the launch data"),
    })
}

fn volumes(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "volume_encrypted", |s, l| {
        if l.volumes.is_empty() {
            return Evaluation::not_evaluated(s, "the launch data names no volumes");
        }
        let plain: Vec<&str> = l
            .volumes
            .iter()
            .filter(|(_, enc)| *enc != Some(true))
            .map(|(device, _)| device.as_deref().unwrap_or("a device with no name"))
            .collect();
        Evaluation::check(
            s,
            plain.is_empty(),
            format!("unencrypted: {}", plain.join(", ")),
        )
    })
}

fn ssh(p: &Posture) -> Vec<Evaluation> {
    p.node_groups
        .iter()
        .map(|g| {
            let mut keys = Vec::new();
            if let Some(key) = g.remote_access.as_ref().and_then(|r| r.ssh_key.clone()) {
                keys.push(format!("remote access with key {key}"));
            }
            if let Fact::Known(l) = &g.launch {
                if let Some(key) = &l.key_name {
                    keys.push(format!("launch template key {key}"));
                }
            }
            Evaluation::check(&at(g, "ssh_key"), keys.is_empty(), keys.join(", "))
        })
        .collect()
}

fn private_subnets(p: &Posture) -> Vec<Evaluation> {
    p.node_groups
        .iter()
        .map(|g| {
            let subject = at(g, "subnets");
            let mut routed = Vec::new();
            for subnet in &g.subnets {
                match p.subnet(subnet) {
                    Some(view) if view.internet_route.is_some() => routed.push(subnet.clone()),
                    Some(_) => {}
                    None => {
                        return Evaluation::not_evaluated(
                            &subject,
                            format!("subnet {subnet} was not read"),
                        )
                    }
                }
            }
            Evaluation::check(
                &subject,
                routed.is_empty(),
                format!("internet route in {}", routed.join(", ")),
            )
        })
        .collect()
}

fn public_ip(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "public_ip", |s, l| {
        Evaluation::check(s, !l.public_ip, "nodes get public IP addresses")
    })
}

fn user_data_secrets(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "user_data", |s, l| {
        let found = l.user_data.as_deref().and_then(secret_in);
        Evaluation::check(s, found.is_none(), found.unwrap_or_default())
    })
}

/// What the node's settings run with access to the host, besides the control container (SSM):
/// the admin container or any other host container, a superpowered control container,
/// bootstrap containers, static pods.
fn host_access(p: &Posture) -> Vec<Evaluation> {
    per_launch(p, "user_data", |s, l| {
        let settings = match &l.node_settings {
            Fact::Known(settings) => settings,
            Fact::Unknown(why) => return Evaluation::not_evaluated(s, why),
        };
        let mut found: Vec<String> = settings
            .host_containers
            .iter()
            .filter_map(|container| {
                let root = if container.superpowered {
                    " (superpowered: root on the host)"
                } else {
                    ""
                };
                match (container.name.as_str(), container.enabled) {
                    ("control", _) if container.superpowered => {
                        Some("the control container is superpowered (root on the host)".to_string())
                    }
                    ("control", _) | (_, false) => None,
                    (name, true) => Some(format!("host container {name} is enabled{root}")),
                }
            })
            .collect();
        found.extend(
            settings
                .bootstrap_containers
                .iter()
                .map(|(name, mode)| format!("bootstrap container {name} runs (mode {mode})")),
        );
        found.extend(
            settings
                .static_pods
                .iter()
                .map(|name| format!("static pod {name} runs outside the API server")),
        );
        Evaluation::check(s, found.is_empty(), found.join("; "))
    })
}

/// What looks like a credential in `text`: an access key id, or a secret-looking assignment.
fn secret_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    for (i, window) in bytes.windows(20).enumerate() {
        let prefix = &window[..4];
        if (prefix == b"AKIA" || prefix == b"ASIA")
            && window[4..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && bytes.get(i + 20).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            return Some(format!(
                "an AWS access key id ({}…)",
                String::from_utf8_lossy(&window[..8])
            ));
        }
    }
    let lower = text.to_ascii_lowercase();
    [
        "aws_secret_access_key",
        "secret_access_key",
        "secretaccesskey",
        "password =",
        "password=",
        "-----begin rsa private key",
        "-----begin private key",
    ]
    .iter()
    .find(|needle| lower.contains(*needle))
    .map(|needle| format!("user data contains `{needle}`"))
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{read_node_settings, Fact, RemoteAccessView};

    fn launch(p: &mut crate::audit::view::Posture) -> &mut crate::audit::view::LaunchView {
        match &mut p.node_groups[0].launch {
            Fact::Known(l) => l,
            Fact::Unknown(_) => unreachable!(),
        }
    }

    case!(node_001, "EKS-NODE-001", [Desired, Live], |p| p
        .node_groups[0]
        .ami_type =
        Fact::Known("AL2023_x86_64_STANDARD".into()));
    case!(node_002, "EKS-NODE-002", [Desired, Live], |p| launch(
        &mut p
    )
    .http_tokens =
        Some("optional".into()));
    case!(node_002_unset, "EKS-NODE-002", [Live], |p| launch(&mut p)
        .http_tokens =
        None);
    case!(node_003, "EKS-NODE-003", [Desired, Live], |p| launch(
        &mut p
    )
    .hop_limit =
        Some(2));
    case!(node_004, "EKS-NODE-004", [Desired, Live], |p| launch(
        &mut p
    )
    .volumes[1]
        .1 =
        Some(false));
    case!(node_005_key, "EKS-NODE-005", [Desired, Live], |p| launch(
        &mut p
    )
    .key_name =
        Some("ops".into()));
    case!(node_005_remote, "EKS-NODE-005", [Live], |p| p.node_groups
        [0]
    .remote_access =
        Some(RemoteAccessView {
            ssh_key: Some("ops".into()),
            source_security_groups: vec![]
        }));
    case!(node_006, "EKS-NODE-006", [Desired, Live], |p| {
        let public = p.network.as_ref().unwrap().subnets[4]
            .subject
            .resource
            .clone();
        p.node_groups[0].subnets.push(public);
    });
    case!(node_007, "EKS-NODE-007", [Desired, Live], |p| launch(
        &mut p
    )
    .public_ip =
        true);
    case!(node_008, "EKS-NODE-008", [Desired, Live], |p| launch(
        &mut p
    )
    .user_data =
        Some(
            "[settings.env]\nKEY = \"AKIAIOSFODNN7EXAMPLE\"\n".into()
        ));

    case!(node_009_admin, "EKS-NODE-009", [Desired, Live], |p| {
        launch(&mut p).node_settings =
            read_node_settings(Some("[settings.host-containers.admin]\nenabled = true\n"))
    });
    case!(
        node_009_control_superpowered,
        "EKS-NODE-009",
        [Desired, Live],
        |p| launch(&mut p).node_settings = read_node_settings(Some(
            "[settings.host-containers.control]\nsuperpowered = true\n"
        ))
    );
    case!(node_009_bootstrap, "EKS-NODE-009", [Desired, Live], |p| {
        launch(&mut p).node_settings = read_node_settings(Some(
            "[settings.bootstrap-containers.setup]\nsource = \"x\"\nmode = \"once\"\n",
        ))
    });
    case!(node_009_static_pod, "EKS-NODE-009", [Desired, Live], |p| {
        launch(&mut p).node_settings = read_node_settings(Some(
            "[settings.kubernetes.static-pods.p]\nmanifest = \"x\"\n",
        ))
    });

    #[test]
    fn host_access_is_not_judged_on_user_data_that_cannot_be_read() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        launch(&mut p).node_settings = read_node_settings(Some("#!/bin/bash\necho hi\n"));
        let result = crate::audit::checks::testing::run("EKS-NODE-009", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }

    #[test]
    fn unknown_launch_data_is_not_evaluated() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        p.node_groups[0].launch =
            Fact::unknown("AccessDenied on ec2:DescribeLaunchTemplateVersions");
        let result = crate::audit::checks::testing::run("EKS-NODE-002", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }
}
