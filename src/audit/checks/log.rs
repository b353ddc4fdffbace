//! Logging and detection (EKS-LOG, EKS-DET): the rows of docs/checks.md's sections, one [`Check`]
//! each.

use crate::audit::view::{DetectionView, Fact, Posture};
use crate::audit::{Check, Evaluation};

const WHY: &str = "An intrusion leaves traces only if the audit and authenticator logs are on and kept long enough, and only if something watches them.";

pub(super) const CHECKS: &[Check] = &[
    check!("EKS-LOG-001", High, "Control-plane logging incomplete", WHY,
        "cluster.logging = [\"api\",\"audit\",\"authenticator\",\"controllerManager\",\"scheduler\"]",
        ["CIS 2.1.1", "CKV_AWS_37", "AVD-AWS-0038", "P:eks_control_plane_logging_all_types_enabled"],
        desired = true, live = true, logging_complete),
    check!("EKS-LOG-002", Medium, "Control-plane log group unbounded or kept under 90 days", WHY,
        "cluster.log_retention_days = 90 (CKV_AWS_338 asks for 365)",
        ["CIS 2.1.2", "CKV_AWS_66", "≈CKV_AWS_338", "P:cloudwatch_log_group_retention_policy_specific_days_enabled"],
        desired = true, live = true, retention),
    check!("EKS-LOG-003", Medium, "Control-plane log group not KMS-encrypted", WHY,
        "cluster.log_encryption = true",
        ["CKV_AWS_158", "AVD-AWS-0017", "P:cloudwatch_log_group_kms_encryption_enabled"],
        desired = true, live = true, log_encryption),
    check!("EKS-DET-001", Medium, "GuardDuty off in the cluster's region", WHY,
        "enable GuardDuty in the region (eksforge does not manage GuardDuty yet)", ["CKV_AWS_238", "CKV2_AWS_3", "P:guardduty_is_enabled"],
        desired = false, live = true, guardduty),
    check!("EKS-DET-002", Medium, "GuardDuty EKS audit-log monitoring off", WHY,
        "enable GuardDuty EKS audit-log monitoring", ["P:guardduty_eks_audit_log_enabled", "BPG runtime"],
        desired = false, live = true, audit_logs),
    check!("EKS-DET-003", Medium, "GuardDuty runtime monitoring for EKS off", WHY,
        "enable GuardDuty runtime monitoring for EKS", ["P:guardduty_eks_runtime_monitoring_enabled", "BPG runtime"],
        desired = false, live = true, runtime),
];

const LOG_TYPES: &[&str] = crate::blueprint::model::ControlPlaneLogType::NAMES;

fn logging_complete(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            let missing: Vec<&str> = LOG_TYPES
                .iter()
                .copied()
                .filter(|t| !c.log_types.iter().any(|have| have == t))
                .collect();
            Evaluation::check(
                &c.subject.at("cluster.logging"),
                missing.is_empty(),
                format!("log types off: {}", missing.join(", ")),
            )
        })
        .collect()
}

fn retention(p: &Posture) -> Vec<Evaluation> {
    p.cluster.iter().map(|c| {
        let subject = c.subject.at("cluster.log_retention_days");
        match &c.log_group {
            Fact::Known(None) => Evaluation::fail(&subject,
                format!("no log group /aws/eks/{}/cluster ahead of the cluster: EKS makes one that never expires", c.name)),
            Fact::Known(Some(group)) => match group.retention_days {
                None => Evaluation::fail(&group.subject.at("cluster.log_retention_days"), "the log group never expires"),
                Some(days) => Evaluation::check(&group.subject.at("cluster.log_retention_days"), days >= 90,
                    format!("logs are kept {days} days")),
            },
            Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
        }
    }).collect()
}

fn log_encryption(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .filter_map(|c| match &c.log_group {
            Fact::Known(Some(group)) => Some(Evaluation::check(
                &group.subject.at("cluster.log_encryption"),
                group.kms_key_id.is_some(),
                "the log group has no KMS key",
            )),
            Fact::Known(None) => None,
            Fact::Unknown(why) => Some(Evaluation::not_evaluated(
                &c.subject.at("cluster.log_encryption"),
                why,
            )),
        })
        .collect()
}

fn detection(
    p: &Posture,
    key: &str,
    on: fn(&DetectionView) -> bool,
    detail: &str,
) -> Vec<Evaluation> {
    match &p.detection {
        None => Vec::new(),
        Some(Fact::Known(d)) => vec![Evaluation::check(&d.subject.at(key), on(d), detail)],
        Some(Fact::Unknown(why)) => {
            let subject = crate::audit::view::Subject::new("guardduty").with_key(key);
            vec![Evaluation::not_evaluated(&subject, why)]
        }
    }
}

fn guardduty(p: &Posture) -> Vec<Evaluation> {
    detection(
        p,
        "detection.guardduty",
        |d| d.guardduty,
        "no enabled GuardDuty detector in the region",
    )
}

fn audit_logs(p: &Posture) -> Vec<Evaluation> {
    detection(
        p,
        "detection.eks_audit_logs",
        |d| d.guardduty && d.eks_audit_logs,
        "EKS_AUDIT_LOGS is not enabled",
    )
}

fn runtime(p: &Posture) -> Vec<Evaluation> {
    detection(
        p,
        "detection.runtime_monitoring",
        |d| d.guardduty && d.runtime_monitoring,
        "runtime monitoring for EKS is not enabled",
    )
}

#[cfg(test)]
mod tests {
    use crate::audit::view::Fact;

    fn detection(p: &mut crate::audit::view::Posture) -> &mut crate::audit::view::DetectionView {
        match p.detection.as_mut().unwrap() {
            Fact::Known(d) => d,
            Fact::Unknown(_) => unreachable!(),
        }
    }

    case!(log_001, "EKS-LOG-001", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .log_types
        .retain(|t| t != "audit"));
    case!(log_002_short, "EKS-LOG-002", [Desired, Live], |p| {
        if let Fact::Known(Some(g)) = &mut p.cluster.as_mut().unwrap().log_group {
            g.retention_days = Some(30)
        }
    });
    case!(log_002_never_expires, "EKS-LOG-002", [Live], |p| {
        if let Fact::Known(Some(g)) = &mut p.cluster.as_mut().unwrap().log_group {
            g.retention_days = None
        }
    });
    case!(log_002_missing, "EKS-LOG-002", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .log_group =
        Fact::Known(None));
    case!(log_003, "EKS-LOG-003", [Desired, Live], |p| {
        if let Fact::Known(Some(g)) = &mut p.cluster.as_mut().unwrap().log_group {
            g.kms_key_id = None
        }
    });
    case!(det_001, "EKS-DET-001", [Live], |p| detection(&mut p)
        .guardduty = false);
    case!(det_002, "EKS-DET-002", [Live], |p| detection(&mut p)
        .eks_audit_logs =
        false);
    case!(det_003, "EKS-DET-003", [Live], |p| detection(&mut p)
        .runtime_monitoring =
        false);

    #[test]
    fn no_detection_section_means_no_desired_evaluation() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Desired);
        p.detection = None;
        assert!(crate::audit::checks::testing::run("EKS-DET-001", &p).is_empty());
    }
}
