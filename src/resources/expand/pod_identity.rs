//! EKS Pod Identity: per `[[pod_identity]]` an IAM role that only the EKS Pod Identity service
//! may assume, and only for this cluster in this account, with the entry's policies, and the
//! association that hands the role to the service account's pods.

use serde_json::json;

use crate::blueprint::addons::POD_IDENTITY_AGENT;
use crate::blueprint::model::PodIdentity;
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::iam::{add_role, add_role_policies, service_trust};
use super::names::Arns;
use super::ExpandError;

/// The service principal that assumes Pod Identity roles for the agent.
pub(super) const POD_IDENTITY_SERVICE: &str = "pods.eks.amazonaws.com";

pub(super) fn add_pod_identities(
    builder: &mut Builder,
    entries: &[PodIdentity],
    cluster: &ResourceId,
    arns: &Arns,
) -> Result<(), ExpandError> {
    for (index, entry) in entries.iter().enumerate() {
        add_pod_identity(builder, index, entry, cluster, arns)?;
    }
    Ok(())
}

/// `iam_role.pod_identity.<namespace>.<service account>`, its policies, and
/// `eks_pod_identity_association.<namespace>.<service account>`.
fn add_pod_identity(
    builder: &mut Builder,
    index: usize,
    entry: &PodIdentity,
    cluster: &ResourceId,
    arns: &Arns,
) -> Result<(), ExpandError> {
    let PodIdentity {
        namespace,
        service_account,
        ..
    } = entry;
    let (key, role) = add_pod_identity_role(builder, namespace, service_account, arns);
    add_role_policies(
        builder,
        &key,
        &role,
        &entry.managed_policies,
        &entry.inline_policies,
        &format!("pod_identity[{index}]"),
    )?;
    // The agent add-on first: an association without it gives pods nothing.
    let after = [ResourceId::new(Kind::EksAddon, POD_IDENTITY_AGENT)];
    builder.add_after(
        Kind::EksPodIdentityAssociation,
        &format!("{namespace}.{service_account}"),
        [
            ("cluster_name", cluster.output("name")),
            ("namespace", Value::str(namespace.clone())),
            ("service_account", Value::str(service_account.clone())),
            ("role_arn", role.output("arn")),
        ],
        after,
    );
    Ok(())
}

/// `iam_role.pod_identity.<namespace>.<service account>` (returned with its key), named
/// `<blueprint>-pod-<namespace>-<service account>` (bounded to IAM's 64 characters), that the
/// EKS Pod Identity service may assume and tag sessions in only for that service account of
/// this blueprint's cluster in this account. The cluster, namespace and service account are
/// matched on the session tags EKS Pod Identity sets when it assumes the role
/// (`eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`: the EKS user
/// guide's way to scope these roles), the account on `aws:SourceAccount`. The cluster's ARN is
/// built from the placement, so the role needs no cluster output and can be made beside it.
pub(super) fn add_pod_identity_role(
    builder: &mut Builder,
    namespace: &str,
    service_account: &str,
    arns: &Arns,
) -> (String, ResourceId) {
    let key = format!("pod_identity.{namespace}.{service_account}");
    let blueprint = builder.blueprint().to_string();
    let trust = service_trust(
        POD_IDENTITY_SERVICE,
        Some(json!({
            "StringEquals": {
                "aws:SourceAccount": arns.placement.account_id,
                "aws:RequestTag/eks-cluster-arn": arns.cluster(&blueprint),
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            },
        })),
    );
    // IAM cannot rename a role: one a `[[moved]]` entry renamed keeps the name it was made with.
    let made_as = builder.made_as_name(Kind::IamRole, &key);
    let role_name = made_as
        .strip_prefix("pod_identity.")
        .and_then(|made_as| made_as.split_once('.'))
        .map_or_else(
            || format!("{blueprint}-pod-{namespace}-{service_account}"),
            |(namespace, account)| format!("{blueprint}-pod-{namespace}-{account}"),
        );
    let role = add_role(
        builder,
        &key,
        &role_name,
        &trust,
        &format!("EKS Pod Identity for {namespace}/{service_account} in {blueprint}"),
    );
    (key, role)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::blueprint::load_str;
    use crate::resources::{expand, DesiredSet, Kind, Placement, ResourceId, Value};

    fn expanded(extra: &str) -> DesiredSet {
        let text = format!(
            "[blueprint]\nname = \"shop\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n{extra}"
        );
        let loaded = load_str("shop.toml", &text, &[]).expect("valid");
        expand(&loaded.model, &Placement::example(2)).expect("expands")
    }

    fn text(set: &DesiredSet, id: &ResourceId, attribute: &str) -> String {
        let resource = set.get(id).unwrap_or_else(|| panic!("{id} is expanded"));
        match resource.attrs.get(attribute) {
            Some(Value::Str(text)) => text.clone(),
            other => panic!("{id}.{attribute} is {other:?}"),
        }
    }

    const UPLOADER: &str = r#"[[pod_identity]]
namespace = "apps"
service_account = "uploader"
managed_policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
inline_policies = { put = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::shop-uploads/*"}]}' }
"#;

    #[test]
    fn the_role_trusts_pod_identity_for_this_cluster_and_account_only() {
        let set = expanded(UPLOADER);
        let role = ResourceId::new(Kind::IamRole, "pod_identity.apps.uploader");
        assert_eq!(text(&set, &role, "name"), "shop-pod-apps-uploader");
        let trust: serde_json::Value =
            serde_json::from_str(&text(&set, &role, "assume_role_policy")).expect("JSON");
        assert_eq!(
            trust,
            json!({
                "Statement": {
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:111122223333:cluster/shop",
                            "aws:RequestTag/kubernetes-namespace": "apps",
                            "aws:RequestTag/kubernetes-service-account": "uploader",
                            "aws:SourceAccount": "111122223333",
                        },
                    },
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                },
                "Version": "2012-10-17",
            })
        );
    }

    #[test]
    fn the_association_binds_the_role_to_the_service_account_on_the_cluster() {
        let set = expanded(UPLOADER);
        let association = set
            .get(&ResourceId::new(
                Kind::EksPodIdentityAssociation,
                "apps.uploader",
            ))
            .expect("the association");
        let attribute = |name: &str| association.attrs.get(name).cloned();
        let cluster = ResourceId::new(Kind::EksCluster, "main");
        let role = ResourceId::new(Kind::IamRole, "pod_identity.apps.uploader");
        assert_eq!(attribute("cluster_name"), Some(cluster.output("name")));
        assert_eq!(attribute("namespace"), Some(Value::str("apps")));
        assert_eq!(attribute("service_account"), Some(Value::str("uploader")));
        assert_eq!(attribute("role_arn"), Some(role.output("arn")));
        assert!(association.attrs.contains_key("tags"));
        assert_eq!(
            association.dependencies(),
            [
                cluster,
                role,
                ResourceId::new(Kind::EksAddon, "eks-pod-identity-agent")
            ]
            .into_iter()
            .collect()
        );
    }

    #[test]
    fn the_policies_are_attached_and_inline() {
        let set = expanded(UPLOADER);
        let attachment = ResourceId::new(
            Kind::IamRolePolicyAttachment,
            "pod_identity.apps.uploader.AmazonS3ReadOnlyAccess",
        );
        assert_eq!(
            text(&set, &attachment, "policy_arn"),
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        );
        let inline = ResourceId::new(Kind::IamRolePolicy, "pod_identity.apps.uploader.put");
        assert_eq!(text(&set, &inline, "name"), "put");
        assert!(text(&set, &inline, "policy").contains("s3:PutObject"));
    }

    #[test]
    fn long_role_names_are_shortened_to_what_iam_takes() {
        let long = "a".repeat(60);
        let set = expanded(&format!(
            "[[pod_identity]]\nnamespace = \"apps\"\nservice_account = \"{long}\"\n"
        ));
        let role = ResourceId::new(Kind::IamRole, &format!("pod_identity.apps.{long}"));
        let name = text(&set, &role, "name");
        assert_eq!(name.len(), 64);
        assert!(name.starts_with("shop-pod-apps-aaa"), "{name}");
    }
}
