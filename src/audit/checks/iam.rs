//! Identity: IAM and IRSA (EKS-IAM): the rows of docs/checks.md's section, one [`Check`] each.

use serde_json::Value as Json;

use super::policy::{
    actions, all_principals, allows, narrowed, public_statement, resources, statements,
    wildcard_action,
};
use crate::audit::view::{Fact, Posture, RoleUse, RoleView, Subject};
use crate::audit::{Check, Evaluation};

const WHY: &str = "Pods should get narrow AWS credentials of their own, never the node's; every role's trust and policies are part of the cluster's attack surface.";

pub(super) const CHECKS: &[Check] = &[
    check!("EKS-IAM-001", High, "No IAM OIDC provider for the cluster", WHY,
        "irsa.oidc_provider = true", ["≈CIS 5.2.1", "BPG iam (IRSA)"], desired = true, live = true, oidc_provider),
    check!("EKS-IAM-002", High, "IRSA trust not pinned to one service account", WHY,
        "declare the account in [[irsa.service_accounts]]; eksforge writes both conditions",
        ["≈CIS 5.2.1", "BPG iam (scope IRSA trust)"], desired = true, live = true, irsa_trust),
    check!("EKS-IAM-003", Medium, "Node role carries the VPC CNI policy", WHY,
        "remove AmazonEKS_CNI_Policy from the node role (node_groups[].extra_policies): eksforge gives the vpc-cni add-on a role of its own",
        ["BPG iam (aws-node on IRSA)"], desired = true, live = true, cni_on_node_role),
    check!("EKS-IAM-004", High, "Cluster, node, IRSA or Pod Identity role has administrator rights", WHY,
        "remove the policy; grant named actions on named ARNs", ["CKV_AWS_274", "CKV_AWS_62", "≈AVD-AWS-0057"],
        desired = true, live = true, administrator),
    check!("EKS-IAM-005", Medium, "Role policy uses wildcard actions or resources", WHY,
        "list actions and resource ARNs", ["CKV_AWS_63", "CKV_AWS_355", "AVD-AWS-0057"],
        desired = true, live = true, wildcards),
    check!("EKS-IAM-006", Medium, "Cluster role not dedicated", WHY,
        "let eksforge create the role, or point cluster.role_arn at one that meets this",
        ["BPG iam (dedicated cluster role)"], desired = true, live = true, dedicated_cluster_role),
    check!("EKS-IAM-007", Critical, "Role trust admits any principal", WHY,
        "fix the trust (eksforge never writes one)", ["CKV_AWS_60"], desired = true, live = true, open_trust),
];

fn key_of(role: &RoleView, key: &str) -> Subject {
    match &role.subject.key {
        Some(own) if own.contains('[') => role.subject.at(format!("{own}.{key}")),
        _ => role.subject.clone(),
    }
}

/// One evaluation per role `pick` selects: `f` over its known fact, else not evaluated.
fn per_role<T>(
    p: &Posture,
    pick: fn(&RoleView) -> bool,
    fact: fn(&RoleView) -> &Fact<T>,
    f: impl Fn(&RoleView, &T) -> Evaluation,
) -> Vec<Evaluation> {
    p.roles
        .iter()
        .filter(|r| pick(r))
        .map(|role| match fact(role) {
            Fact::Known(value) => f(role, value),
            Fact::Unknown(why) => Evaluation::not_evaluated(&role.subject, why),
        })
        .collect()
}

fn oidc_provider(p: &Posture) -> Vec<Evaluation> {
    let Some(cluster) = &p.cluster else {
        return Vec::new();
    };
    let subject = cluster.subject.at("irsa.oidc_provider");
    let issuer = cluster
        .oidc_issuer
        .as_deref()
        .map(|i| i.trim_start_matches("https://"));
    vec![match &p.oidc_provider {
        Fact::Known(None) => Evaluation::fail(&subject, "the cluster has no IAM OIDC provider"),
        Fact::Known(Some(provider)) => {
            // Compared only when both are known; a placeholder (desired side) matches.
            let mismatch = issuer
                .zip(provider.url.known_str())
                .map(|(issuer, url)| (issuer, url.trim_start_matches("https://")))
                .filter(|(issuer, url)| !url.starts_with("${") && issuer != url)
                .map(|(_, url)| url);
            if !provider.client_ids.iter().any(|c| c == "sts.amazonaws.com") {
                Evaluation::fail(
                    &provider.subject,
                    "the provider's client ids lack sts.amazonaws.com",
                )
            } else if let (Some(_), Fact::Unknown(why)) = (issuer, &provider.url) {
                Evaluation::not_evaluated(&subject, why)
            } else if let Some(url) = mismatch {
                Evaluation::fail(
                    &subject,
                    format!("the OIDC provider {url} is not the cluster's issuer"),
                )
            } else {
                Evaluation::pass(&provider.subject)
            }
        }
        Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
    }]
}

fn irsa_trust(p: &Posture) -> Vec<Evaluation> {
    per_role(
        p,
        |r| r.uses == RoleUse::Irsa,
        |r| &r.trust,
        |role, trust| {
            let problems: Vec<String> = statements(trust)
                .into_iter()
                .filter(|st| allows(st))
                .filter_map(|st| web_identity_problem(st, role.service_account.as_ref()))
                .collect();
            Evaluation::check(&role.subject, problems.is_empty(), problems.join("; "))
        },
    )
}

/// What is wrong with one web-identity trust statement, if anything.
fn web_identity_problem(st: &Json, account: Option<&(String, String)>) -> Option<String> {
    if !actions(st)
        .iter()
        .any(|a| a == "sts:AssumeRoleWithWebIdentity")
    {
        return None;
    }
    let conditions = st.get("Condition").and_then(Json::as_object);
    if conditions.is_some_and(|c| c.keys().any(|op| op.starts_with("StringLike"))) {
        return Some(
            "the trust uses StringLike: any matching service account can assume it".into(),
        );
    }
    let equals = conditions
        .and_then(|c| c.get("StringEquals"))
        .and_then(Json::as_object);
    let value = |suffix: &str| {
        equals.and_then(|e| {
            e.iter()
                .find(|(k, _)| k.ends_with(suffix))
                .map(|(_, v)| v.clone())
        })
    };
    let sub = value(":sub").and_then(|v| v.as_str().map(str::to_string));
    let aud = value(":aud").and_then(|v| v.as_str().map(str::to_string));
    match (sub, aud) {
        (None, _) => Some("no StringEquals condition on :sub".into()),
        (_, None) => Some("no StringEquals condition on :aud".into()),
        (Some(sub), _) if sub.contains('*') => Some(format!(":sub is a wildcard ({sub})")),
        (_, Some(aud)) if aud != "sts.amazonaws.com" => {
            Some(format!(":aud is {aud}, not sts.amazonaws.com"))
        }
        (Some(sub), _) => match account {
            Some((ns, name)) if sub != format!("system:serviceaccount:{ns}:{name}") => {
                Some(format!(":sub is {sub}, not the declared {ns}/{name}"))
            }
            _ => None,
        },
    }
}

fn cni_on_node_role(p: &Posture) -> Vec<Evaluation> {
    per_role(
        p,
        |r| r.uses == RoleUse::Node,
        |r| &r.managed_policies,
        |role, policies| {
            Evaluation::check(
                &role.subject.at("irsa.service_accounts"),
                !policies
                    .iter()
                    .any(|arn| arn.ends_with("/AmazonEKS_CNI_Policy")),
                "AmazonEKS_CNI_Policy is attached to the node role: every pod can act as the CNI",
            )
        },
    )
}

fn administrator(p: &Posture) -> Vec<Evaluation> {
    p.roles
        .iter()
        .filter(|r| r.uses != RoleUse::AccessEntry)
        .map(|role| {
            let subject = key_of(
                role,
                if role.uses == RoleUse::Node {
                    "extra_policies"
                } else {
                    "managed_policies"
                },
            );
            let managed = match &role.managed_policies {
                Fact::Known(list) => list,
                Fact::Unknown(why) => return Evaluation::not_evaluated(&subject, why),
            };
            let mut found: Vec<String> = managed
                .iter()
                .filter(|a| a.ends_with("/AdministratorAccess"))
                .cloned()
                .collect();
            if let Fact::Known(docs) = &role.policy_documents {
                for doc in docs {
                    let full = statements(&doc.document).into_iter().any(|st| {
                        allows(st)
                            && actions(st).iter().any(|a| a == "*")
                            && resources(st).iter().any(|r| r == "*")
                    });
                    if full {
                        found.push(format!("{} allows * on *", doc.name));
                    }
                }
            }
            Evaluation::check(&subject, found.is_empty(), found.join(", "))
        })
        .collect()
}

fn wildcards(p: &Posture) -> Vec<Evaluation> {
    per_role(
        p,
        |r| r.uses != RoleUse::AccessEntry,
        |r| &r.policy_documents,
        |role, docs| {
            let mut found = Vec::new();
            for doc in docs {
                for st in statements(&doc.document)
                    .into_iter()
                    .filter(|st| allows(st))
                {
                    let acts = actions(st);
                    let wild: Vec<&String> = acts.iter().filter(|a| wildcard_action(a)).collect();
                    if !wild.is_empty() {
                        found.push(format!(
                            "{} allows {}",
                            doc.name,
                            wild.iter()
                                .map(|a| a.as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        ));
                    } else if resources(st).iter().any(|r| r == "*")
                        && acts.iter().any(|a| !read_only(a))
                    {
                        found.push(format!(
                            "{} allows {} on Resource *",
                            doc.name,
                            acts.join(",")
                        ));
                    }
                }
            }
            Evaluation::check(
                &key_of(role, "inline_policies"),
                found.is_empty(),
                found.join("; "),
            )
        },
    )
}

/// Describe/List/Get calls mostly cannot be scoped to an ARN: `Resource "*"` is expected there.
fn read_only(action: &str) -> bool {
    let verb = action.rsplit(':').next().unwrap_or(action);
    ["Describe", "List", "Get"]
        .iter()
        .any(|p| verb.starts_with(p))
}

fn dedicated_cluster_role(p: &Posture) -> Vec<Evaluation> {
    p.roles
        .iter()
        .filter(|r| r.uses == RoleUse::Cluster)
        .map(|role| {
            let subject = role.subject.at("cluster.role_arn");
            let (trust, managed, docs) =
                match (&role.trust, &role.managed_policies, &role.policy_documents) {
                    (Fact::Known(t), Fact::Known(m), Fact::Known(d)) => (t, m, d),
                    (Fact::Unknown(why), _, _)
                    | (_, Fact::Unknown(why), _)
                    | (_, _, Fact::Unknown(why)) => {
                        return Evaluation::not_evaluated(&subject, why)
                    }
                };
            let mut problems = Vec::new();
            let principals: Vec<String> = statements(trust)
                .into_iter()
                .filter(|st| allows(st))
                .flat_map(all_principals)
                .collect();
            if principals.iter().any(|p| p != "eks.amazonaws.com") {
                problems.push(format!("its trust admits {}", principals.join(", ")));
            }
            let extra: Vec<&String> = managed
                .iter()
                .filter(|a| !a.ends_with("/AmazonEKSClusterPolicy"))
                .collect();
            if !extra.is_empty() {
                problems.push(format!(
                    "it also has {}",
                    extra
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if !docs.is_empty() {
                problems.push("it has inline or customer-managed policies".into());
            }
            Evaluation::check(&subject, problems.is_empty(), problems.join("; "))
        })
        .collect()
}

fn open_trust(p: &Posture) -> Vec<Evaluation> {
    per_role(
        p,
        |_| true,
        |r| &r.trust,
        |role, trust| {
            let open = statements(trust).into_iter().any(|st| {
                public_statement(st)
                    || (allows(st) && all_principals(st).iter().any(|p| p == "*") && !narrowed(st))
            });
            Evaluation::check(
                &role.subject,
                !open,
                "the trust policy lets any AWS principal assume the role",
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{Fact, PolicyDocument, RoleUse};
    use serde_json::json;

    fn role(
        p: &mut crate::audit::view::Posture,
        uses: RoleUse,
    ) -> &mut crate::audit::view::RoleView {
        p.roles.iter_mut().find(|r| r.uses == uses).unwrap()
    }

    fn irsa_condition(p: &mut crate::audit::view::Posture, operator: &str, sub: &str) {
        let r = role(p, RoleUse::Irsa);
        if let Fact::Known(trust) = &mut r.trust {
            let cond = trust["Statement"][0]["Condition"].as_object_mut().unwrap();
            let equals = cond.remove("StringEquals").unwrap();
            let mut map = equals.as_object().unwrap().clone();
            let key = map.keys().find(|k| k.ends_with(":sub")).unwrap().clone();
            map.insert(key, json!(sub));
            cond.insert(operator.into(), json!(map));
        }
    }

    case!(iam_001, "EKS-IAM-001", [Desired, Live], |p| p
        .oidc_provider =
        Fact::Known(None));
    case!(iam_002_string_like, "EKS-IAM-002", [Desired, Live], |p| {
        irsa_condition(&mut p, "StringLike", "system:serviceaccount:kube-system:*")
    });
    case!(iam_002_other_account, "EKS-IAM-002", [Desired], |p| {
        irsa_condition(&mut p, "StringEquals", "system:serviceaccount:default:app")
    });
    case!(iam_003, "EKS-IAM-003", [Desired, Live], |p| {
        if let Fact::Known(list) = &mut role(&mut p, RoleUse::Node).managed_policies {
            list.push("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy".into())
        }
    });
    case!(iam_004, "EKS-IAM-004", [Desired, Live], |p| {
        if let Fact::Known(list) = &mut role(&mut p, RoleUse::Irsa).managed_policies {
            list.push("arn:aws:iam::aws:policy/AdministratorAccess".into())
        }
    });
    case!(iam_004_inline, "EKS-IAM-004", [Live], |p| {
        role(&mut p, RoleUse::Node).policy_documents = Fact::Known(vec![PolicyDocument {
            name: "all".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        }]);
    });
    case!(iam_005, "EKS-IAM-005", [Desired, Live], |p| {
        role(&mut p, RoleUse::Irsa).policy_documents = Fact::Known(vec![PolicyDocument {
            name: "s3".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}),
        }]);
    });
    case!(iam_006, "EKS-IAM-006", [Desired, Live], |p| {
        if let Fact::Known(list) = &mut role(&mut p, RoleUse::Cluster).managed_policies {
            list.push("arn:aws:iam::aws:policy/AmazonS3FullAccess".into())
        }
    });
    case!(iam_007, "EKS-IAM-007", [Desired, Live], |p| {
        role(&mut p, RoleUse::Node).trust = Fact::Known(
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
        );
    });

    #[test]
    fn read_only_calls_on_any_resource_are_not_wildcards() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        role(&mut p, RoleUse::Irsa).policy_documents = Fact::Known(vec![PolicyDocument {
            name: "read".into(),
            document: json!({"Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"}]}),
        }]);
        assert!(crate::audit::checks::testing::run("EKS-IAM-005", &p)
            .iter()
            .all(|e| !e.is_fail()));
    }

    #[test]
    fn a_provider_url_unknown_beside_a_known_issuer_is_not_evaluated() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        if let Fact::Known(Some(provider)) = &mut p.oidc_provider {
            provider.url = Fact::unknown("iam:GetOpenIDConnectProvider returned no Url");
        }
        assert_eq!(
            crate::audit::checks::testing::run("EKS-IAM-001", &p)
                .into_iter()
                .map(|e| e.outcome)
                .collect::<Vec<_>>(),
            [crate::audit::Outcome::NotEvaluated(
                "iam:GetOpenIDConnectProvider returned no Url".into()
            )]
        );
    }
}
