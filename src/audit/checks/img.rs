//! Images and registry (EKS-IMG): the rows of docs/checks.md's section, one [`Check`] each.

use super::policy::{actions, allows, public_statement, statements};
use crate::audit::view::{Fact, Posture, RepositoryView, RoleUse, Subject};
use crate::audit::{Check, Evaluation};

const WHY: &str = "The cluster runs whatever it pulls: images should be scanned, immutable, private, and pulled read-only.";

pub(super) const CHECKS: &[Check] = &[
    check!(
        "EKS-IMG-001",
        Medium,
        "ECR images not scanned on push",
        WHY,
        "scan_on_push = true, or registry.scan = \"enhanced\"",
        [
            "CIS 5.1.1",
            "CKV_AWS_163",
            "AVD-AWS-0030",
            "P:ecr_registry_scan_images_on_push_enabled"
        ],
        desired = true,
        live = true,
        scan_on_push
    ),
    check!(
        "EKS-IMG-002",
        Medium,
        "Image tags mutable",
        WHY,
        "immutable_tags = true",
        [
            "CKV_AWS_51",
            "AVD-AWS-0031",
            "P:ecr_repositories_tag_immutability",
            "BPG image"
        ],
        desired = true,
        live = true,
        immutable_tags
    ),
    check!(
        "EKS-IMG-003",
        Critical,
        "Repository policy allows anyone",
        WHY,
        "drop the statement",
        [
            "CKV_AWS_32",
            "AVD-AWS-0032",
            "P:ecr_repositories_not_publicly_accessible"
        ],
        desired = true,
        live = true,
        public_policy
    ),
    check!(
        "EKS-IMG-004",
        Low,
        "Repository not encrypted with KMS",
        WHY,
        "kms = true (uses encryption.kms_key)",
        ["CKV_AWS_136", "AVD-AWS-0033"],
        desired = true,
        live = true,
        kms
    ),
    check!(
        "EKS-IMG-005",
        Medium,
        "Nodes can write to ECR",
        WHY,
        "keep node_groups.N.extra_policies free of ECR write",
        ["CIS 5.1.3"],
        desired = true,
        live = true,
        node_ecr_write
    ),
    check!(
        "EKS-IMG-006",
        Medium,
        "Newest image has critical or high vulnerabilities",
        WHY,
        "rebuild and push; nothing in the blueprint",
        [
            "P:ecr_repositories_scan_vulnerabilities_in_latest_image",
            "BPG image"
        ],
        desired = false,
        live = true,
        vulnerabilities
    ),
    check!(
        "EKS-IMG-007",
        Low,
        "Repository without a lifecycle policy",
        WHY,
        "lifecycle_keep = 50",
        ["P:ecr_repositories_lifecycle_policy_enabled", "BPG image"],
        desired = true,
        live = true,
        lifecycle
    ),
];

/// One evaluation per repository; the whole registry not evaluated when it could not be read.
fn per_repository(
    p: &Posture,
    key: &str,
    f: impl Fn(&Subject, &RepositoryView, bool) -> Option<Evaluation>,
) -> Vec<Evaluation> {
    match &p.registry {
        None => Vec::new(),
        Some(Fact::Unknown(why)) => vec![Evaluation::not_evaluated(
            &Subject::new("ecr").with_key("registry"),
            why,
        )],
        Some(Fact::Known(registry)) => registry
            .repositories
            .iter()
            .filter_map(|repo| {
                let subject = match &repo.subject.key {
                    Some(own) => repo.subject.at(format!("{own}.{key}")),
                    None => repo.subject.clone(),
                };
                f(&subject, repo, registry.registry_scanning)
            })
            .collect(),
    }
}

fn scan_on_push(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "scan_on_push", |s, r, registry| {
        Some(Evaluation::check(
            s,
            r.scan_on_push || registry,
            format!("{} is not scanned on push", r.name),
        ))
    })
}

fn immutable_tags(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "immutable_tags", |s, r, _| {
        Some(Evaluation::check(
            s,
            r.immutable_tags,
            format!("{} has mutable tags", r.name),
        ))
    })
}

fn public_policy(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "policy", |s, r, _| {
        let open = r
            .policy
            .as_ref()
            .is_some_and(|doc| statements(doc).into_iter().any(public_statement));
        Some(Evaluation::check(
            s,
            !open,
            format!("the policy of {} allows any principal", r.name),
        ))
    })
}

fn kms(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "kms", |s, r, _| {
        Some(Evaluation::check(
            s,
            r.kms_encrypted,
            format!("{} is encrypted with AES256, not KMS", r.name),
        ))
    })
}

fn lifecycle(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "lifecycle_keep", |s, r, _| {
        Some(Evaluation::check(
            s,
            r.lifecycle_policy,
            format!("{} has no lifecycle policy", r.name),
        ))
    })
}

fn vulnerabilities(p: &Posture) -> Vec<Evaluation> {
    per_repository(p, "name", |s, r, _| match &r.newest_image_findings {
        None => None,
        Some(Fact::Known((critical, high))) => Some(Evaluation::check(
            s,
            critical + high == 0,
            format!(
                "the newest image of {} has {critical} critical and {high} high findings",
                r.name
            ),
        )),
        Some(Fact::Unknown(why)) => Some(Evaluation::not_evaluated(s, why)),
    })
}

const ECR_WRITE_POLICIES: &[&str] = &[
    "/AmazonEC2ContainerRegistryPowerUser",
    "/AmazonEC2ContainerRegistryFullAccess",
    "/AWSAppRunnerServicePolicyForECRAccess",
    "/AdministratorAccess",
];

fn node_ecr_write(p: &Posture) -> Vec<Evaluation> {
    p.roles
        .iter()
        .filter(|r| r.uses == RoleUse::Node)
        .map(|role| {
            let subject = role.subject.at("node_groups");
            let managed = match &role.managed_policies {
                Fact::Known(list) => list,
                Fact::Unknown(why) => return Evaluation::not_evaluated(&subject, why),
            };
            let mut found: Vec<String> = managed
                .iter()
                .filter(|a| ECR_WRITE_POLICIES.iter().any(|w| a.ends_with(w)))
                .cloned()
                .collect();
            if let Fact::Known(docs) = &role.policy_documents {
                for doc in docs {
                    for st in statements(&doc.document)
                        .into_iter()
                        .filter(|st| allows(st))
                    {
                        for action in actions(st) {
                            let lower = action.to_ascii_lowercase();
                            let write = lower == "*"
                                || lower == "ecr:*"
                                || [
                                    "ecr:put",
                                    "ecr:upload",
                                    "ecr:completelayer",
                                    "ecr:initiatelayer",
                                    "ecr:batchdelete",
                                    "ecr:delete",
                                ]
                                .iter()
                                .any(|w| lower.starts_with(w));
                            if write {
                                found.push(format!("{} allows {action}", doc.name));
                            }
                        }
                    }
                }
            }
            Evaluation::check(
                &subject,
                found.is_empty(),
                format!("the node role can push images: {}", found.join(", ")),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{Fact, RoleUse};

    fn repo(p: &mut crate::audit::view::Posture) -> &mut crate::audit::view::RepositoryView {
        match p.registry.as_mut().unwrap() {
            Fact::Known(r) => &mut r.repositories[0],
            Fact::Unknown(_) => unreachable!(),
        }
    }

    case!(img_001, "EKS-IMG-001", [Live], |p| repo(&mut p)
        .scan_on_push =
        false);
    case!(img_002, "EKS-IMG-002", [Live], |p| repo(&mut p)
        .immutable_tags =
        false);
    case!(img_003, "EKS-IMG-003", [Live], |p| repo(&mut p).policy =
        Some(
            serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]})
        ));
    case!(img_004, "EKS-IMG-004", [Live], |p| repo(&mut p)
        .kms_encrypted =
        false);
    case!(img_005, "EKS-IMG-005", [Desired, Live], |p| {
        let node = p
            .roles
            .iter_mut()
            .find(|r| r.uses == RoleUse::Node)
            .unwrap();
        if let Fact::Known(list) = &mut node.managed_policies {
            list.push("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser".into())
        }
    });
    case!(img_006, "EKS-IMG-006", [Live], |p| repo(&mut p)
        .newest_image_findings =
        Some(Fact::Known((1, 3))));
    case!(img_007, "EKS-IMG-007", [Live], |p| repo(&mut p)
        .lifecycle_policy =
        false);

    #[test]
    fn registry_scanning_covers_repositories() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        repo(&mut p).scan_on_push = false;
        if let Some(Fact::Known(r)) = &mut p.registry {
            r.registry_scanning = true
        }
        assert!(crate::audit::checks::testing::run("EKS-IMG-001", &p)
            .iter()
            .all(|e| !e.is_fail()));
    }
}
