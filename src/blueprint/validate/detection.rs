//! `[detection]`: GuardDuty's EKS features need the detector they are features of.

use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    /// A feature switched on in writing while `guardduty = false`: nothing would build it.
    pub(super) fn detection(&mut self, model: &Blueprint) {
        let Some(detection) = &model.detection else {
            return;
        };
        if detection.guardduty {
            return;
        }
        let features = [
            ("eks_audit_logs", detection.eks_audit_logs),
            ("runtime_monitoring", detection.runtime_monitoring),
        ];
        for (key, on) in features {
            let path = format!("detection.{key}");
            if on && self.loaded.locate_span(&path).is_some() {
                self.report(
                    POSTURE_KEY,
                    &path,
                    format!(
                        "detection.{key} = true needs GuardDuty, but detection.guardduty = false: no detector is made to carry it"
                    ),
                    "needs guardduty = true",
                    format!("set detection.guardduty = true (the detector, EKS-DET-001), or remove detection.{key}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    const BASE: &str = "[blueprint]\nname = \"detect\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";

    fn problems(extra: &str) -> Vec<(String, Option<usize>)> {
        super::super::problems_and_lines("detect.toml", &format!("{BASE}{extra}"))
    }

    #[test]
    fn detection_is_built_so_it_loads() {
        assert!(problems("[detection]\nguardduty = true\n").is_empty());
        assert!(problems("[detection]\nruntime_monitoring = false\n").is_empty());
        // Turning GuardDuty off (a child of a blueprint that has it) builds no detector.
        assert!(problems("[detection]\nguardduty = false\n").is_empty());
        assert!(problems("[detection]\nguardduty = false\neks_audit_logs = false\n").is_empty());
    }

    #[test]
    fn a_feature_without_its_detector_is_refused_at_its_line() {
        assert_eq!(
            problems("[detection]\nguardduty = false\neks_audit_logs = true\nruntime_monitoring = true\n"),
            [
                (
                    "detection.eks_audit_logs = true needs GuardDuty, but detection.guardduty = false: no detector is made to carry it".to_string(),
                    Some(7)
                ),
                (
                    "detection.runtime_monitoring = true needs GuardDuty, but detection.guardduty = false: no detector is made to carry it".to_string(),
                    Some(8)
                ),
            ]
        );
    }

    #[test]
    fn an_unknown_detection_key_is_refused() {
        let found = problems("[detection]\nguardduty = true\nmalware_scans = true\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Some(7));
    }
}
