//! CloudWatch log groups: the control plane's and Session Manager's, kept for
//! `cluster.log_retention_days` and encrypted with the secrets key unless
//! `cluster.log_encryption = false` (EKS-LOG-003).

use crate::blueprint::model::Cluster;
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;

/// How every log group of the cluster is kept.
pub(super) struct LogSettings {
    pub retention_days: u32,
    /// The key's ARN, or `None` to leave the groups without one.
    pub kms_key_arn: Option<Value>,
}

impl LogSettings {
    pub(super) fn new(cluster: &Cluster, key_arn: &Value) -> Self {
        LogSettings {
            retention_days: cluster.log_retention_days,
            kms_key_arn: cluster.log_encryption.then(|| key_arn.clone()),
        }
    }
}

/// The log group `log_group.<key>` named `name`.
pub(super) fn add_log_group(
    builder: &mut Builder,
    key: &str,
    name: String,
    settings: &LogSettings,
) -> ResourceId {
    let mut attrs = vec![
        ("name", Value::str(name)),
        (
            "retention_in_days",
            Value::Int(i64::from(settings.retention_days)),
        ),
    ];
    if let Some(arn) = &settings.kms_key_arn {
        attrs.push(("kms_key_id", arn.clone()));
    }
    builder.add(Kind::LogGroup, key, attrs)
}

/// The control plane's log group, `/aws/eks/<blueprint>/cluster`.
pub(super) fn add_cluster_log_group(builder: &mut Builder, settings: &LogSettings) -> ResourceId {
    let name = format!("/aws/eks/{}/cluster", builder.blueprint());
    add_log_group(builder, "cluster", name, settings)
}
