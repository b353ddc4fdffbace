//! GuardDuty for EKS (`[detection]`): the region's detector, with EKS audit-log monitoring and
//! Runtime Monitoring whose EKS agent GuardDuty manages as an add-on. The detector may predate
//! the blueprint (one per account and region): the provider adopts it then.

use crate::blueprint::model::Detection;
use crate::resources::{Kind, Value};

use super::builder::Builder;

/// The one name the region's detector has in the desired set.
const DETECTOR: &str = "region";

/// The detector `detection` asks for; none when `guardduty = false`.
pub(super) fn add_detector(builder: &mut Builder, detection: &Detection) {
    if !detection.guardduty {
        return;
    }
    let status = |on: bool| Value::str(if on { "ENABLED" } else { "DISABLED" });
    builder.add(
        Kind::GuarddutyDetector,
        DETECTOR,
        [
            ("enable", Value::Bool(true)),
            ("eks_audit_logs", status(detection.eks_audit_logs)),
            ("runtime_monitoring", status(detection.runtime_monitoring)),
            // The agent deployed and kept current by GuardDuty (the EKS add-on
            // `aws-guardduty-agent`): without it runtime monitoring sees no EKS node.
            ("eks_addon_management", status(detection.runtime_monitoring)),
        ],
    );
}
