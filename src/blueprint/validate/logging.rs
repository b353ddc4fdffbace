//! `cluster.logging` and `cluster.log_retention_days`.

use std::collections::BTreeMap;

use super::suggest::{did_you_mean_or, nearest_allowed, quoted};
use super::Checker;
use crate::blueprint::limits::LOG_RETENTION_DAYS;
use crate::blueprint::model::{Cluster, ControlPlaneLogType};

impl Checker<'_> {
    /// Known log types, each once; a retention period CloudWatch Logs accepts.
    pub(super) fn logging(&mut self, cluster: &Cluster) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, log_type) in cluster.logging.iter().enumerate() {
            let path = format!("cluster.logging[{i}]");
            let log_type = log_type.as_str();
            if !ControlPlaneLogType::NAMES.contains(&log_type) {
                let help =
                    did_you_mean_or(log_type, ControlPlaneLogType::NAMES.iter().copied(), || {
                        format!(
                            "the EKS log types are {}",
                            quoted(ControlPlaneLogType::NAMES)
                        )
                    });
                self.report(
                    "eksforge::blueprint::logging",
                    &path,
                    format!("\"{log_type}\" is not an EKS control-plane log type"),
                    "unknown log type",
                    help,
                );
            } else if let Some(first) = seen.get(log_type) {
                self.report_pair(
                    "eksforge::blueprint::logging",
                    (&path, "listed again"),
                    (&format!("cluster.logging[{first}]"), "first listed here"),
                    format!("log type \"{log_type}\" is listed twice"),
                    "list each log type once".to_string(),
                );
            } else {
                seen.insert(log_type, i);
            }
        }
        let days = cluster.log_retention_days;
        if !LOG_RETENTION_DAYS.contains(&days) {
            let nearest = nearest_allowed(days, &LOG_RETENTION_DAYS);
            self.report(
                "eksforge::blueprint::log_retention",
                "cluster.log_retention_days",
                format!(
                    "log_retention_days = {days} is not a retention period CloudWatch Logs accepts"
                ),
                "not an allowed value",
                format!(
                    "{nearest}; CloudWatch accepts {}",
                    LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
                ),
            );
        }
    }
}
