//! The outputs of an applied blueprint: the values people and scripts need after `apply`
//! (cluster endpoint, certificate authority, ARNs, subnet ids), read from the recorded state
//! alone, so `eksforge output` and `eksforge kubeconfig` make no AWS call.
//!
//! Output names are a public interface (scripts use `$(eksforge output bp.toml
//! cluster_endpoint)`): add names freely, rename none. [`OUTPUTS`] lists them with where each
//! comes from; `docs/outputs.md` documents them. An output whose resource is not recorded (a
//! network-only blueprint has no cluster) is absent, never empty.

use std::collections::BTreeMap;

use super::{ResourceRecord, State};
use crate::resources::{Kind, ResourceId, Value};

/// An output asked for by name that the state does not give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// A name eksforge knows whose resource is not recorded.
    #[error("output `{name}` is not recorded in the state: this blueprint does not make its resource, or it has not been applied")]
    NotRecorded {
        name: String,
        /// The recorded names, comma-separated.
        recorded: String,
    },
    #[error("no output named `{name}`")]
    Unknown { name: String, recorded: String },
}

/// One output's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputValue {
    Text(String),
    /// Ids in a stable order (subnets: by availability zone name).
    List(Vec<String>),
    /// Keyed values (IRSA role ARNs by `namespace/name`).
    Map(BTreeMap<String, String>),
}

impl OutputValue {
    /// The text itself for [`OutputValue::Text`]; compact JSON for lists and maps.
    pub fn raw(&self) -> String {
        match self {
            OutputValue::Text(text) => text.clone(),
            other => serde_json::Value::from(other).to_string(),
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            OutputValue::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl From<&OutputValue> for serde_json::Value {
    fn from(value: &OutputValue) -> serde_json::Value {
        match value {
            OutputValue::Text(text) => serde_json::Value::String(text.clone()),
            OutputValue::List(items) => items
                .iter()
                .cloned()
                .map(serde_json::Value::String)
                .collect(),
            OutputValue::Map(map) => map
                .iter()
                .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// Every output name eksforge knows, with what it is, in the order the docs list them.
pub const OUTPUTS: &[(&str, &str)] = &[
    ("cluster_name", "EKS cluster name (eks_cluster.main)"),
    ("cluster_arn", "EKS cluster ARN"),
    ("cluster_endpoint", "Kubernetes API server URL"),
    (
        "cluster_certificate_authority_data",
        "base64 PEM of the cluster's certificate authority",
    ),
    (
        "cluster_oidc_issuer_url",
        "the cluster's OIDC issuer URL (https://…)",
    ),
    (
        "cluster_security_group_id",
        "the security group EKS made for the cluster (when EKS reports it)",
    ),
    (
        "oidc_provider_arn",
        "ARN of the cluster's IAM OIDC provider (iam_oidc_provider.main)",
    ),
    (
        "cluster_iam_role_arn",
        "ARN of the cluster role (iam_role.cluster)",
    ),
    ("node_iam_role_arn", "ARN of the node role (iam_role.node)"),
    (
        "irsa_role_arns",
        "IRSA role ARNs by service account, `namespace/name` → ARN",
    ),
    ("vpc_id", "VPC id (vpc.main)"),
    (
        "private_subnet_ids",
        "private subnet ids, by AZ name (subnet.private.<az>)",
    ),
    (
        "public_subnet_ids",
        "public subnet ids, by AZ name (subnet.public.<az>)",
    ),
    (
        "kms_key_arn",
        "ARN of the secrets KMS key (kms_key.secrets, or the key the blueprint names)",
    ),
    (
        "cluster_log_group_name",
        "control-plane log group name (log_group.cluster)",
    ),
];

/// The outputs of one state, by name (so sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outputs {
    values: BTreeMap<String, OutputValue>,
}

impl Outputs {
    /// What `state` records, under the names of [`OUTPUTS`].
    pub fn from_state(state: &State) -> Outputs {
        let mut values = BTreeMap::new();
        let mut put = |name: &str, value: Option<OutputValue>| {
            if let Some(value) = value {
                values.insert(name.to_string(), value);
            }
        };
        let text = |value: Option<String>| value.map(OutputValue::Text);
        let record = |kind: Kind, name: &str| state.get(&ResourceId::new(kind, name));

        let cluster = record(Kind::EksCluster, "main");
        put(
            "cluster_name",
            text(cluster.and_then(|r| output(r, "name").or_else(|| Some(r.cloud_id.clone())))),
        );
        put("cluster_arn", text(cluster.and_then(|r| output(r, "arn"))));
        put(
            "cluster_endpoint",
            text(cluster.and_then(|r| output(r, "endpoint"))),
        );
        put(
            "cluster_certificate_authority_data",
            text(cluster.and_then(|r| output(r, "certificate_authority"))),
        );
        put(
            "cluster_oidc_issuer_url",
            text(cluster.and_then(|r| output(r, "oidc_issuer"))),
        );
        put(
            "cluster_security_group_id",
            text(cluster.and_then(|r| output(r, "cluster_security_group_id"))),
        );
        put(
            "oidc_provider_arn",
            text(record(Kind::IamOidcProvider, "main").and_then(arn)),
        );
        put(
            "cluster_iam_role_arn",
            text(record(Kind::IamRole, "cluster").and_then(arn)),
        );
        put(
            "node_iam_role_arn",
            text(record(Kind::IamRole, "node").and_then(arn)),
        );

        let irsa: BTreeMap<String, String> = state
            .resources
            .iter()
            .filter_map(|(id, record)| {
                let account = id.as_str().strip_prefix("iam_role.irsa.")?;
                // A namespace is a DNS label (no dots); the service account name may hold dots.
                let (namespace, name) = account.split_once('.')?;
                Some((format!("{namespace}/{name}"), arn(record)?))
            })
            .collect();
        put(
            "irsa_role_arns",
            (!irsa.is_empty()).then_some(OutputValue::Map(irsa)),
        );

        put("vpc_id", text(record(Kind::Vpc, "main").map(id)));
        for (side, name) in [
            ("private", "private_subnet_ids"),
            ("public", "public_subnet_ids"),
        ] {
            let prefix = format!("subnet.{side}.");
            // Keyed by id, so in AZ name order.
            let ids: Vec<String> = state
                .resources
                .iter()
                .filter(|(resource, _)| {
                    resource.kind() == Kind::Subnet && resource.as_str().starts_with(&prefix)
                })
                .map(|(_, record)| id(record))
                .collect();
            put(name, (!ids.is_empty()).then_some(OutputValue::List(ids)));
        }

        // A key eksforge created, else the existing key the blueprint named (recorded on the
        // cluster as applied).
        let kms = record(Kind::KmsKey, "secrets").and_then(arn).or_else(|| {
            cluster.and_then(|r| {
                r.attrs
                    .get("secrets_kms_key_arn")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
        });
        put("kms_key_arn", text(kms));
        put(
            "cluster_log_group_name",
            text(
                record(Kind::LogGroup, "cluster")
                    .map(|r| output(r, "name").unwrap_or_else(|| r.cloud_id.clone())),
            ),
        );
        Outputs { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&OutputValue> {
        self.values.get(name)
    }

    /// The output called `name`, or why there is none (naming the outputs there are).
    pub fn lookup(&self, name: &str) -> Result<&OutputValue, OutputError> {
        if let Some(value) = self.values.get(name) {
            return Ok(value);
        }
        let recorded = self.names().join(", ");
        Err(if Outputs::is_known(name) {
            OutputError::NotRecorded {
                name: name.to_string(),
                recorded,
            }
        } else {
            OutputError::Unknown {
                name: name.to_string(),
                recorded,
            }
        })
    }

    /// Every recorded output, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OutputValue)> {
        self.values
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The recorded names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.values.keys().map(String::as_str).collect()
    }

    /// Whether `name` is an output eksforge knows (recorded here or not).
    pub fn is_known(name: &str) -> bool {
        OUTPUTS.iter().any(|(known, _)| *known == name)
    }

    /// `{"name": value, …}`, keys sorted.
    pub fn to_json(&self) -> serde_json::Value {
        self.values
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::Value::from(value)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// A string output of `record`.
fn output(record: &ResourceRecord, key: &str) -> Option<String> {
    record
        .outputs
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

/// The `id` output, else the cloud id (they are the same for EC2 kinds).
fn id(record: &ResourceRecord) -> String {
    output(record, "id").unwrap_or_else(|| record.cloud_id.clone())
}

/// The `arn` output, else the cloud id when it is an ARN (the OIDC provider's is).
fn arn(record: &ResourceRecord) -> Option<String> {
    output(record, "arn").or_else(|| {
        record
            .cloud_id
            .starts_with("arn:")
            .then(|| record.cloud_id.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Attrs;

    fn record(kind: Kind, cloud_id: &str, outputs: &[(&str, &str)]) -> ResourceRecord {
        ResourceRecord {
            kind,
            cloud_id: cloud_id.to_string(),
            attrs: Attrs::new(),
            outputs: outputs
                .iter()
                .map(|(key, value)| (key.to_string(), Value::str(*value)))
                .collect(),
            depends_on: Default::default(),
        }
    }

    fn state(records: Vec<(&str, ResourceRecord)>) -> State {
        let mut state = State::new("test");
        for (id, record) in records {
            state.insert(ResourceId::parse(id).expect("a valid id"), record);
        }
        state
    }

    #[test]
    fn a_network_only_state_has_network_outputs_only() {
        let state = state(vec![
            ("vpc.main", record(Kind::Vpc, "vpc-1", &[("id", "vpc-1")])),
            (
                "subnet.private.eu-west-1b",
                record(Kind::Subnet, "subnet-b", &[("id", "subnet-b")]),
            ),
            (
                "subnet.private.eu-west-1a",
                record(Kind::Subnet, "subnet-a", &[("id", "subnet-a")]),
            ),
            (
                "subnet.public.eu-west-1a",
                record(Kind::Subnet, "subnet-p", &[]),
            ),
            (
                "route_table.public",
                record(Kind::RouteTable, "rtb-1", &[("id", "rtb-1")]),
            ),
        ]);
        let outputs = Outputs::from_state(&state);
        assert_eq!(
            outputs.names(),
            ["private_subnet_ids", "public_subnet_ids", "vpc_id"]
        );
        assert_eq!(
            outputs.get("private_subnet_ids"),
            Some(&OutputValue::List(vec![
                "subnet-a".into(),
                "subnet-b".into()
            ]))
        );
        assert_eq!(
            outputs.get("public_subnet_ids").map(OutputValue::raw),
            Some(r#"["subnet-p"]"#.to_string()),
            "falls back to the cloud id"
        );
        assert_eq!(
            outputs.get("vpc_id").map(OutputValue::raw),
            Some("vpc-1".to_string())
        );
    }

    #[test]
    fn cluster_outputs_come_from_the_cluster_roles_and_irsa_records() {
        let state = state(vec![
            (
                "eks_cluster.main",
                record(
                    Kind::EksCluster,
                    "prod",
                    &[
                        ("name", "prod"),
                        ("arn", "arn:aws:eks:eu-west-1:1:cluster/prod"),
                        ("endpoint", "https://x"),
                        ("certificate_authority", "Q0E="),
                        ("oidc_issuer", "https://oidc/id/1"),
                    ],
                ),
            ),
            (
                "iam_oidc_provider.main",
                record(
                    Kind::IamOidcProvider,
                    "arn:aws:iam::1:oidc-provider/oidc/id/1",
                    &[],
                ),
            ),
            (
                "iam_role.cluster",
                record(
                    Kind::IamRole,
                    "prod-eks-cluster",
                    &[("arn", "arn:aws:iam::1:role/prod-eks-cluster")],
                ),
            ),
            (
                "iam_role.irsa.kube-system.aws-node",
                record(Kind::IamRole, "r1", &[("arn", "arn:r1")]),
            ),
            (
                "iam_role.irsa.apps.my.svc",
                record(Kind::IamRole, "r2", &[("arn", "arn:r2")]),
            ),
            (
                "kms_key.secrets",
                record(Kind::KmsKey, "k", &[("arn", "arn:k"), ("id", "k")]),
            ),
            (
                "log_group.cluster",
                record(Kind::LogGroup, "/aws/eks/prod/cluster", &[]),
            ),
        ]);
        let outputs = Outputs::from_state(&state);
        let raw = |name: &str| outputs.get(name).map(OutputValue::raw);
        assert_eq!(raw("cluster_name").as_deref(), Some("prod"));
        assert_eq!(raw("cluster_endpoint").as_deref(), Some("https://x"));
        assert_eq!(
            raw("cluster_certificate_authority_data").as_deref(),
            Some("Q0E=")
        );
        assert_eq!(
            raw("oidc_provider_arn").as_deref(),
            Some("arn:aws:iam::1:oidc-provider/oidc/id/1"),
            "the cloud id is the ARN"
        );
        assert_eq!(
            raw("irsa_role_arns").as_deref(),
            Some(r#"{"apps/my.svc":"arn:r2","kube-system/aws-node":"arn:r1"}"#)
        );
        assert_eq!(raw("kms_key_arn").as_deref(), Some("arn:k"));
        assert_eq!(
            raw("cluster_log_group_name").as_deref(),
            Some("/aws/eks/prod/cluster")
        );
        assert_eq!(raw("node_iam_role_arn"), None, "not recorded, so absent");
        assert!(
            outputs.names().iter().all(|name| Outputs::is_known(name)),
            "every produced name is documented in OUTPUTS"
        );
        assert_eq!(
            outputs.to_json()["irsa_role_arns"]["kube-system/aws-node"],
            "arn:r1"
        );
    }

    #[test]
    fn an_existing_kms_key_named_by_the_blueprint_is_the_kms_output() {
        let mut cluster = record(Kind::EksCluster, "prod", &[("name", "prod")]);
        cluster.attrs.insert(
            "secrets_kms_key_arn".into(),
            Value::str("arn:aws:kms:eu-west-1:1:key/byo"),
        );
        let outputs = Outputs::from_state(&state(vec![("eks_cluster.main", cluster)]));
        assert_eq!(
            outputs.get("kms_key_arn").and_then(OutputValue::as_text),
            Some("arn:aws:kms:eu-west-1:1:key/byo")
        );
    }

    #[test]
    fn an_empty_state_has_no_outputs() {
        assert!(Outputs::from_state(&State::new("test")).is_empty());
    }
}
