//! Access to the cluster and nodes (EKS-ACC): the rows of docs/checks.md's section, one [`Check`]
//! each.

use super::policy::{account_wide, all_principals, allows, narrowed, statements};
use crate::audit::view::{Fact, Posture, RoleUse, Side, Subject};
use crate::audit::{Check, Evaluation};

const WHY: &str = "Who may administer the cluster has to be visible in AWS APIs (access entries), not hidden in a ConfigMap; node shells go through SSM, where IAM decides who gets in and every session is recorded.";

pub(super) const CHECKS: &[Check] = &[
    check!("EKS-ACC-001", High, "Cluster still trusts the aws-auth ConfigMap", WHY,
        "cluster.authentication_mode = \"API\"", ["CIS 4.1.7", "BPG iam (Cluster Access Manager)"],
        desired = true, live = true, authentication_mode),
    check!("EKS-ACC-002", Medium, "Cluster creator bootstrapped as cluster admin", WHY,
        "cluster.bootstrap_creator_admin = false, with admins named in access.admins (fixed at creation)",
        ["BPG iam (remove the creator's cluster-admin)"], desired = true, live = true, creator_admin),
    check!("EKS-ACC-003", Critical, "Cluster-admin granted to a broad principal", WHY,
        "name specific roles; scope the rest with scope = \"namespace\", namespaces = [...]",
        ["CIS 4.1.1", "≈CKV_AWS_61", "BPG iam"], desired = true, live = true, broad_admin),
    check!("EKS-ACC-004", High, "Nodes not reachable through SSM", WHY,
        "access.ssm_only = true", ["≈P:ec2_instance_managed_by_ssm", "BPG hosts (SSM instead of SSH)"],
        desired = true, live = true, ssm_reachable),
    check!("EKS-ACC-005", High, "Port 22 open on cluster or node security groups", WHY,
        "remove the rule; access.ssm_only = true (the internet-wide case is also NET-006)",
        ["BPG hosts"], desired = true, live = true, port_22),
    check!("EKS-ACC-006", High, "Session Manager sessions not logged", WHY,
        "access.session_logging = true", ["CKV_AWS_113"], desired = true, live = true, sessions_logged),
    check!("EKS-ACC-007", Medium, "Session logs or session data not KMS-encrypted", WHY,
        "access.session_logging = true with encryption.kms_key set (eksforge wires both)",
        ["CKV_AWS_112", "CKV_AWS_113"], desired = true, live = true, sessions_encrypted),
];

fn cluster_fact<T>(
    p: &Posture,
    key: &str,
    fact: fn(&crate::audit::view::ClusterView) -> &Fact<T>,
    f: impl Fn(&Subject, &T) -> Evaluation,
) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            let subject = c.subject.at(key);
            match fact(c) {
                Fact::Known(v) => f(&subject, v),
                Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
            }
        })
        .collect()
}

fn authentication_mode(p: &Posture) -> Vec<Evaluation> {
    cluster_fact(
        p,
        "cluster.authentication_mode",
        |c| &c.authentication_mode,
        |s, mode| Evaluation::check(s, mode == "API", format!("authenticationMode is {mode}")),
    )
}

fn creator_admin(p: &Posture) -> Vec<Evaluation> {
    cluster_fact(
        p,
        "cluster.bootstrap_creator_admin",
        |c| &c.bootstrap_creator_admin,
        |s, on| Evaluation::check(s, !on, "bootstrapClusterCreatorAdminPermissions is true"),
    )
}

fn broad_admin(p: &Posture) -> Vec<Evaluation> {
    let entries = match &p.access_entries {
        Fact::Known(entries) => entries,
        Fact::Unknown(why) => {
            return p
                .cluster
                .iter()
                .map(|c| Evaluation::not_evaluated(&c.subject.at("access"), why))
                .collect();
        }
    };
    entries
        .iter()
        .map(|entry| {
            let admin = entry.policies.iter().any(|pol| {
                pol.policy_arn
                    .known_str()
                    .is_some_and(|arn| arn.ends_with("/AmazonEKSClusterAdminPolicy"))
                    && pol.scope == "cluster"
            }) || entry
                .kubernetes_groups
                .iter()
                .any(|g| g == "system:masters");
            let broad_trust = match &entry.principal_trust {
                Fact::Known(Some(trust)) => statements(trust).into_iter().any(|st| {
                    allows(st)
                        && !narrowed(st)
                        && all_principals(st)
                            .iter()
                            .any(|pr| pr == "*" || account_wide(pr))
                }),
                _ => false,
            };
            let broad =
                account_wide(&entry.principal_arn) || entry.principal_arn == "*" || broad_trust;
            // A broad principal with a policy of unknown ARN may or may not be cluster-admin.
            let unknown_policy = entry
                .policies
                .iter()
                .find_map(|pol| pol.policy_arn.why_unknown());
            if let (false, true, Some(why)) = (admin, broad, unknown_policy) {
                return Evaluation::not_evaluated(&entry.subject, why);
            }
            Evaluation::check(
                &entry.subject,
                !(admin && broad),
                format!(
                    "cluster-admin for {}, which {}",
                    entry.principal_arn,
                    if broad_trust {
                        "any principal of an account can assume"
                    } else {
                        "is a whole account"
                    }
                ),
            )
        })
        .collect()
}

fn ssm_reachable(p: &Posture) -> Vec<Evaluation> {
    let mut seen = Vec::new();
    p.node_groups
        .iter()
        .filter_map(|group| {
            let node_role = match &group.node_role {
                Fact::Known(node_role) => node_role,
                Fact::Unknown(why) => {
                    return Some(Evaluation::not_evaluated(
                        &group.subject.at("access.ssm_only"),
                        why,
                    ))
                }
            };
            if seen.contains(&node_role) {
                return None;
            }
            seen.push(node_role);
            let role = p
                .roles
                .iter()
                .find(|r| &r.subject.resource == node_role && r.uses == RoleUse::Node)?;
            let subject = role.subject.at("access.ssm_only");
            Some(match &role.managed_policies {
                Fact::Known(list) => Evaluation::check(
                    &subject,
                    list.iter()
                        .any(|arn| arn.ends_with("/AmazonSSMManagedInstanceCore")),
                    "the node role lacks AmazonSSMManagedInstanceCore",
                ),
                Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
            })
        })
        .collect()
}

fn port_22(p: &Posture) -> Vec<Evaluation> {
    p.security_groups
        .iter()
        .map(|group| {
            let open: Vec<String> = group
                .ingress
                .iter()
                .filter(|r| r.covers_tcp_port(22) && !is_self_all(r, &group.subject.resource))
                .map(super::net::describe_rule)
                .collect();
            let subject = group
                .ingress
                .iter()
                .find(|r| r.covers_tcp_port(22) && !is_self_all(r, &group.subject.resource))
                .map(|r| r.subject.clone())
                .filter(|s| s.key.is_some())
                .unwrap_or_else(|| group.subject.clone());
            Evaluation::check(
                &subject,
                open.is_empty(),
                format!("port 22 open: {}", open.join("; ")),
            )
        })
        .collect()
}

/// Node-to-node all-traffic rules (the group as its own source) are how pods talk across
/// nodes; they are not a way in.
fn is_self_all(rule: &crate::audit::view::RuleView, group: &str) -> bool {
    rule.cidrs.is_empty()
        && !rule.source_groups.is_empty()
        && rule.source_groups.iter().all(|g| g == group)
}

fn session_subject(p: &Posture) -> Subject {
    match p.side {
        Side::Desired => {
            Subject::new("ssm_document.session_preferences").with_key("access.session_logging")
        }
        Side::Live => Subject::new("SSM-SessionManagerRunShell"),
    }
}

fn sessions_logged(p: &Posture) -> Vec<Evaluation> {
    if p.cluster.is_none() {
        return Vec::new();
    }
    vec![match &p.session_preferences {
        Fact::Known(None) => Evaluation::fail(
            &session_subject(p),
            "no Session Manager preferences: sessions are not logged",
        ),
        Fact::Known(Some(prefs)) => Evaluation::check(
            &prefs.subject,
            prefs.cloudwatch_log_group.is_some() || prefs.s3_bucket.is_some(),
            "the preferences name no CloudWatch log group and no S3 bucket",
        ),
        Fact::Unknown(why) => Evaluation::not_evaluated(&session_subject(p), why),
    }]
}

fn sessions_encrypted(p: &Posture) -> Vec<Evaluation> {
    match &p.session_preferences {
        Fact::Known(Some(prefs)) => {
            let mut missing = Vec::new();
            if prefs.kms_key_id.is_none() {
                missing.push("no kmsKeyId (session data)");
            }
            if prefs.cloudwatch_log_group.is_some() && !prefs.cloudwatch_encryption {
                missing.push("cloudWatchEncryptionEnabled is false");
            }
            vec![Evaluation::check(
                &prefs.subject,
                missing.is_empty(),
                missing.join(", "),
            )]
        }
        Fact::Known(None) => Vec::new(),
        Fact::Unknown(why) => vec![Evaluation::not_evaluated(&session_subject(p), why)],
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{Fact, RoleUse, RuleView, Subject};

    case!(acc_001, "EKS-ACC-001", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .authentication_mode =
        Fact::Known("API_AND_CONFIG_MAP".into()));
    case!(acc_002, "EKS-ACC-002", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .bootstrap_creator_admin =
        Fact::Known(true));
    case!(acc_003_root, "EKS-ACC-003", [Desired, Live], |p| {
        if let Fact::Known(entries) = &mut p.access_entries {
            entries[0].principal_arn = "arn:aws:iam::123456789012:root".into()
        }
    });
    case!(acc_003_trust, "EKS-ACC-003", [Live], |p| {
        if let Fact::Known(entries) = &mut p.access_entries {
            entries[0].principal_trust = Fact::Known(Some(
                serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}),
            ));
        }
    });
    case!(acc_004, "EKS-ACC-004", [Desired, Live], |p| {
        let node = p
            .roles
            .iter_mut()
            .find(|r| r.uses == RoleUse::Node)
            .unwrap();
        if let Fact::Known(list) = &mut node.managed_policies {
            list.retain(|a| !a.ends_with("/AmazonSSMManagedInstanceCore"))
        }
    });
    case!(acc_005, "EKS-ACC-005", [Desired, Live], |p| p
        .security_groups[1]
        .ingress
        .push(RuleView {
            subject: Subject::new("security_group_rule.extra"),
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidrs: vec!["10.0.0.0/8".into()],
            source_groups: vec![]
        }));
    case!(acc_006, "EKS-ACC-006", [Desired, Live], |p| p
        .session_preferences =
        Fact::Known(None));
    case!(acc_007, "EKS-ACC-007", [Desired, Live], |p| {
        if let Fact::Known(Some(prefs)) = &mut p.session_preferences {
            prefs.kms_key_id = None
        }
    });

    #[test]
    fn access_entries_unknown_on_moto_are_not_evaluated() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        p.access_entries = Fact::unknown("eks:ListAccessEntries is not available");
        let result = crate::audit::checks::testing::run("EKS-ACC-003", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }
}
