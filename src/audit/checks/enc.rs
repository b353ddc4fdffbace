//! Encryption (EKS-ENC): the rows of docs/checks.md's section, one [`Check`] each.

use serde_json::Value as Json;

use super::policy::{
    actions, allows, aws_principals, public_statement, statements, wildcard_action,
};
use crate::audit::view::{Fact, KeyView, Posture, Subject};
use crate::audit::{Check, Evaluation};

const WHY: &str = "Kubernetes Secrets, node disks and logs must stay unreadable without a key the account controls, and the key itself must not become a way in.";

pub(super) const CHECKS: &[Check] = &[
    check!("EKS-ENC-001", High, "Secrets not envelope-encrypted with KMS", WHY,
        "encryption.kms_key = \"create\" (or a key ARN); it can be added to a running cluster but never removed",
        ["CIS 5.3.1", "CKV_AWS_58", "AVD-AWS-0039", "P:eks_cluster_kms_cmk_encryption_in_secrets_enabled"],
        desired = true, live = true, secrets_encrypted),
    check!("EKS-ENC-002", High, "Secrets key not an enabled customer-managed key", WHY,
        "encryption.kms_key = \"create\"; cancel a pending deletion", ["CIS 5.3.1", "CKV_AWS_227"],
        desired = true, live = true, customer_managed_enabled),
    check!("EKS-ENC-003", High, "Key rotation off", WHY, "encryption.rotation = true",
        ["CKV_AWS_7", "AVD-AWS-0065", "P:kms_cmk_rotation_enabled", "BPG data"],
        desired = true, live = true, rotation),
    check!("EKS-ENC-004", Critical, "Key policy allows any principal", WHY,
        "drop the statement from encryption.key_policy", ["CKV_AWS_33", "P:kms_key_not_publicly_accessible"],
        desired = true, live = true, policy_public),
    check!("EKS-ENC-005", Medium, "Key policy broader than needed", WHY,
        "narrow encryption.key_policy, encryption.key_admins", ["≈CKV2_AWS_64"],
        desired = true, live = true, policy_broad),
    check!("EKS-ENC-006", Low, "Secrets key has no alias", WHY,
        "keep the default encryption.alias", [], desired = true, live = true, alias),
    check!("EKS-ENC-007", Medium, "EBS encryption by default off in the region", WHY,
        "enable it for the account (outside eksforge); nodes are covered by NODE-004 anyway",
        ["CKV_AWS_106", "P:ec2_ebs_default_encryption"], desired = false, live = true, ebs_default),
];

/// Actions only the key's administrators should hold.
const ADMIN_ACTIONS: &[&str] = &[
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
];

fn secrets_encrypted(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            Evaluation::check(
                &c.subject.at("encryption.kms_key"),
                c.secrets_key.is_some(),
                "encryptionConfig does not cover secrets",
            )
        })
        .collect()
}

/// Runs `f` over the secrets key's fact, or reports it not evaluated.
fn with_key<T>(
    p: &Posture,
    fact: impl Fn(&KeyView) -> &Fact<T>,
    key: &str,
    f: impl Fn(&Subject, &T) -> Evaluation,
) -> Vec<Evaluation> {
    p.secrets_key
        .iter()
        .map(|k| {
            let subject = k.subject.at(key);
            match fact(k) {
                Fact::Known(value) => f(&subject, value),
                Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
            }
        })
        .collect()
}

fn customer_managed_enabled(p: &Posture) -> Vec<Evaluation> {
    p.secrets_key
        .iter()
        .map(|k| {
            let subject = k.subject.at("encryption.kms_key");
            match (&k.customer_managed, &k.state) {
                (Fact::Known(false), _) => {
                    Evaluation::fail(&subject, "an AWS-managed key encrypts secrets")
                }
                (Fact::Known(true), Fact::Known(state)) => Evaluation::check(
                    &subject,
                    state == "Enabled",
                    format!("the key is {state}: secrets cannot be read"),
                ),
                (Fact::Unknown(why), _) | (_, Fact::Unknown(why)) => {
                    Evaluation::not_evaluated(&subject, why)
                }
            }
        })
        .collect()
}

fn rotation(p: &Posture) -> Vec<Evaluation> {
    with_key(
        p,
        |k| &k.rotation,
        "encryption.rotation",
        |s, on| Evaluation::check(s, *on, "automatic key rotation is off"),
    )
}

fn policy_public(p: &Posture) -> Vec<Evaluation> {
    with_key(
        p,
        |k| &k.policy,
        "encryption.key_policy",
        |s, policy| {
            let open: Vec<String> = statements(policy)
                .into_iter()
                .filter(|st| public_statement(st))
                .map(sid)
                .collect();
            Evaluation::check(
                s,
                open.is_empty(),
                format!(
                    "statement {} allows any principal without a narrowing condition",
                    open.join(", ")
                ),
            )
        },
    )
}

fn policy_broad(p: &Posture) -> Vec<Evaluation> {
    p.secrets_key
        .iter()
        .map(|k| {
            let subject = k.subject.at("encryption.key_admins");
            let policy = match &k.policy {
                Fact::Known(policy) => policy,
                Fact::Unknown(why) => return Evaluation::not_evaluated(&subject, why),
            };
            let trusted = |principal: &str| {
                principal.ends_with(":root") || k.admins.iter().any(|a| a == principal)
            };
            let mut broad = Vec::new();
            for st in statements(policy).into_iter().filter(|st| allows(st)) {
                let acts = actions(st);
                let admin = acts
                    .iter()
                    .any(|a| wildcard_action(a) || ADMIN_ACTIONS.contains(&a.as_str()));
                if !admin {
                    continue;
                }
                for principal in aws_principals(st) {
                    if !trusted(&principal) {
                        broad.push(format!(
                            "{} grants {} to {principal}",
                            sid(st),
                            acts.join(",")
                        ));
                    }
                }
            }
            Evaluation::check(&subject, broad.is_empty(), broad.join("; "))
        })
        .collect()
}

fn alias(p: &Posture) -> Vec<Evaluation> {
    with_key(
        p,
        |k| &k.aliases,
        "encryption.alias",
        |s, aliases| Evaluation::check(s, !aliases.is_empty(), "the key has no alias"),
    )
}

fn ebs_default(p: &Posture) -> Vec<Evaluation> {
    let subject = Subject::new(format!(
        "account {} EBS defaults",
        p.account_id.as_deref().unwrap_or("?")
    ));
    match &p.ebs_encryption_by_default {
        None => Vec::new(),
        Some(Fact::Known(on)) => vec![Evaluation::check(
            &subject,
            *on,
            "EbsEncryptionByDefault is false",
        )],
        Some(Fact::Unknown(why)) => vec![Evaluation::not_evaluated(&subject, why)],
    }
}

fn sid(statement: &Json) -> String {
    statement
        .get("Sid")
        .and_then(Json::as_str)
        .unwrap_or("(no Sid)")
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::audit::view::Fact;
    use serde_json::json;

    fn add_statement(p: &mut crate::audit::view::Posture, statement: serde_json::Value) {
        let key = p.secrets_key.as_mut().unwrap();
        if let Fact::Known(policy) = &mut key.policy {
            policy["Statement"].as_array_mut().unwrap().push(statement);
        }
    }

    case!(enc_001, "EKS-ENC-001", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .secrets_key =
        None);
    case!(enc_002_aws_managed, "EKS-ENC-002", [Desired, Live], |p| p
        .secrets_key
        .as_mut()
        .unwrap()
        .customer_managed =
        Fact::Known(false));
    case!(enc_002_pending_deletion, "EKS-ENC-002", [Live], |p| p
        .secrets_key
        .as_mut()
        .unwrap()
        .state =
        Fact::Known("PendingDeletion".into()));
    case!(enc_003, "EKS-ENC-003", [Desired, Live], |p| p
        .secrets_key
        .as_mut()
        .unwrap()
        .rotation =
        Fact::Known(false));
    case!(enc_004, "EKS-ENC-004", [Desired, Live], |p| add_statement(
        &mut p,
        json!({"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"})
    ));
    case!(enc_005, "EKS-ENC-005", [Desired, Live], |p| add_statement(
        &mut p,
        json!({"Sid": "Ops", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})
    ));
    case!(enc_006, "EKS-ENC-006", [Desired, Live], |p| p
        .secrets_key
        .as_mut()
        .unwrap()
        .aliases =
        Fact::Known(vec![]));
    case!(enc_007, "EKS-ENC-007", [Live], |p| p
        .ebs_encryption_by_default =
        Some(Fact::Known(false)));

    #[test]
    fn a_narrowed_wildcard_principal_is_not_public() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        add_statement(
            &mut p,
            json!({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}}),
        );
        assert!(crate::audit::checks::testing::run("EKS-ENC-004", &p)
            .iter()
            .all(|e| !e.is_fail()));
    }

    #[test]
    fn named_key_admins_may_administer() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Desired);
        add_statement(
            &mut p,
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "kms:ScheduleKeyDeletion"}),
        );
        p.secrets_key.as_mut().unwrap().admins = vec!["arn:aws:iam::123456789012:role/ops".into()];
        assert!(crate::audit::checks::testing::run("EKS-ENC-005", &p)
            .iter()
            .all(|e| !e.is_fail()));
    }
}
