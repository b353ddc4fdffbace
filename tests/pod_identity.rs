//! EKS Pod Identity on the project's emulator (docs/emulator.md), checked through the EKS and
//! IAM APIs: `[[pod_identity]]` makes a role only the Pod Identity service may assume for this
//! cluster and account (GetRole's trust policy) and an association naming it for the service
//! account (ListPodIdentityAssociations, DescribePodIdentityAssociation); a changed policy list
//! changes the role's attachments and leaves the association alone; a re-plan is empty;
//! destroy deletes the association and the role. The provider itself: a role change and tags
//! in place, adoption by namespace and service account only of what carries this blueprint's
//! tags, and deletes of what is gone.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use eksforge::aws::{Aws, FoundVia, WaitConfig};
use eksforge::resources::{Attrs, Kind, ResourceId, Value};
use serde_json::json;
use support::cloud::Cloud;
use support::providers::{tags_named, with, Providers};
use support::World;

const NAME: &str = "podid";
/// The emulator's account.
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "podid-pod-apps-uploader";
const S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const SQS_READ: &str = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";

/// A cluster with the agent add-on listed and one service account on Pod Identity with
/// `policies` attached and one inline policy.
fn blueprint(policies: &[&str]) -> String {
    let policies: Vec<String> = policies.iter().map(|arn| format!("\"{arn}\"")).collect();
    format!(
        r#"[blueprint]
name = "{NAME}"
region = "eu-west-1"

[network]
vpc_cidr = "10.50.0.0/16"
azs = 2
nat = "single"

[cluster]

[addons]
managed = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]

[[pod_identity]]
namespace = "apps"
service_account = "uploader"
managed_policies = [{}]
inline_policies = {{ put = '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::podid-uploads/*"}}]}}' }}
"#,
        policies.join(", ")
    )
}

/// A world with the blueprint applied.
fn applied() -> World {
    let world = World::new();
    world.write("podid.toml", &blueprint(&[S3_READ]));
    let run = world.eksforge(&["apply", "podid.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world
}

fn association_calls(world: &World) -> Vec<String> {
    world
        .proxy
        .mutating_calls()
        .into_iter()
        .filter(|call| call.action.contains("/pod-identity-associations"))
        .map(|call| call.action)
        .collect()
}

#[test]
fn pod_identity_is_applied_read_back_changed_and_destroyed() {
    let world = applied();
    let cloud = Cloud::new(world.sdk());
    let association_id = world.block_on(async {
        let role = cloud.role(ROLE).await.expect("the pod identity role");
        let trust: serde_json::Value =
            serde_json::from_str(&eksforge::aws::policy::percent_decode(
                role.assume_role_policy_document().expect("a trust policy"),
            ))
            .expect("the trust is JSON");
        assert_eq!(
            trust,
            json!({
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:SourceAccount": ACCOUNT,
                            "aws:RequestTag/eks-cluster-arn":
                                format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/{NAME}"),
                            "aws:RequestTag/kubernetes-namespace": "apps",
                            "aws:RequestTag/kubernetes-service-account": "uploader",
                        },
                    },
                },
            })
        );
        assert_eq!(
            cloud.attached_policy_names(ROLE).await,
            BTreeSet::from(["AmazonS3ReadOnlyAccess".to_string()])
        );
        assert_eq!(cloud.inline_policy_names(ROLE).await, ["put"]);

        let associations = cloud.pod_identity_associations(NAME).await;
        assert_eq!(associations.len(), 1, "{associations:?}");
        let association = &associations[0];
        assert_eq!(association.namespace(), Some("apps"));
        assert_eq!(association.service_account(), Some("uploader"));
        assert_eq!(association.role_arn(), Some(role.arn()));
        assert_eq!(association.owner_arn(), None);
        let tags = association.tags().expect("tags");
        assert_eq!(
            tags.get("eksforge:blueprint").map(String::as_str),
            Some(NAME)
        );
        assert_eq!(
            tags.get("eksforge:resource").map(String::as_str),
            Some("eks_pod_identity_association.apps.uploader")
        );
        association.association_id().expect("an id").to_string()
    });

    // Another policy: the role's attachments change, the association is not touched.
    world.write("podid.toml", &blueprint(&[SQS_READ]));
    world.proxy.reset();
    let run = world.eksforge(&["apply", "podid.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply the new policy:\n{}", run.all());
    assert_eq!(association_calls(&world), Vec::<String>::new());
    world.block_on(async {
        assert_eq!(
            cloud.attached_policy_names(ROLE).await,
            BTreeSet::from(["AmazonSQSReadOnlyAccess".to_string()])
        );
        let associations = cloud.pod_identity_associations(NAME).await;
        let ids: Vec<Option<&str>> = associations.iter().map(|a| a.association_id()).collect();
        assert_eq!(ids, [Some(association_id.as_str())]);
    });

    let run = world.eksforge(&["plan", "podid.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "the re-plan is empty:\n{}", run.all());

    world.proxy.reset();
    let run = world.eksforge(&[
        "destroy",
        "podid.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
    ]);
    assert_eq!(run.code, 0, "destroy:\n{}", run.all());
    assert_eq!(
        association_calls(&world),
        [format!(
            "DELETE /clusters/{NAME}/pod-identity-associations/{association_id}"
        )],
        "the association is deleted itself, not only with its cluster"
    );
    world.block_on(async {
        assert!(cloud.pod_identity_associations(NAME).await.is_empty());
        assert!(cloud.role(ROLE).await.is_none(), "the role is gone");
        assert!(cloud.cluster(NAME).await.is_none(), "the cluster is gone");
    });
}

#[test]
fn the_provider_updates_in_place_and_adopts_only_what_is_its_own() {
    let world = applied();
    let aws = Aws::from_sdk_config(
        world.sdk(),
        WaitConfig {
            first_poll: Duration::from_millis(100),
            max_poll: Duration::from_millis(400),
            ..WaitConfig::default()
        },
    );
    let providers = Providers {
        aws: &aws,
        blueprint: NAME,
    };
    let cloud = Cloud::new(world.sdk());
    let kind = Kind::EksPodIdentityAssociation;
    world.block_on(async {
        let role_arn = cloud.role(ROLE).await.expect("role").arn().to_string();
        let other_role = cloud
            .iam
            .create_role()
            .role_name("podid-other")
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#,
            )
            .send()
            .await
            .expect("create role")
            .role
            .expect("a role")
            .arn()
            .to_string();

        // State lost: the association is found by namespace and service account, by its tags.
        let id = ResourceId::new(kind, "apps.uploader");
        let desired = Attrs::from([
            ("cluster_name".to_string(), Value::str(NAME)),
            ("namespace".to_string(), Value::str("apps")),
            ("service_account".to_string(), Value::str("uploader")),
            ("role_arn".to_string(), Value::str(&role_arn)),
            ("tags".to_string(), tags_named(NAME, &id, "podid-apps-uploader", &[])),
        ]);
        let found = providers.refresh_missing_one(kind, &id, &desired).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].via, FoundVia::NaturalKey);
        let association_id = found[0].observed.cloud_id.clone();
        providers
            .assert_no_diff(kind, &id, &association_id, &desired)
            .await;

        // One made by someone else for another service account is never adopted, and
        // creating over it is refused rather than taken.
        cloud
            .eks
            .create_pod_identity_association()
            .cluster_name(NAME)
            .namespace("apps")
            .service_account("theirs")
            .role_arn(&other_role)
            .send()
            .await
            .expect("someone else's association");
        let theirs = ResourceId::new(kind, "apps.theirs");
        let theirs_desired = with(
            &with(&desired, "service_account", Value::str("theirs")),
            "tags",
            tags_named(NAME, &theirs, "podid-apps-theirs", &[]),
        );
        assert!(providers
            .refresh_missing_one(kind, &theirs, &theirs_desired)
            .await
            .is_empty());
        let refused = providers
            .try_create(kind, &theirs, &theirs_desired)
            .await
            .expect_err("the service account has an association already");
        assert_eq!(refused.code.as_deref(), Some("ResourceInUseException"));

        // The role and the tags change in place: the same association, read back changed.
        let after = with(
            &with(&desired, "role_arn", Value::str(&other_role)),
            "tags",
            tags_named(NAME, &id, "podid-apps-uploader", &[("team", "uploads")]),
        );
        let updated = providers
            .update(kind, &id, &association_id, &desired, &after)
            .await;
        assert_eq!(updated.cloud_id, association_id);
        let described = cloud
            .eks
            .describe_pod_identity_association()
            .cluster_name(NAME)
            .association_id(&association_id)
            .send()
            .await
            .expect("describe")
            .association
            .expect("an association");
        assert_eq!(described.role_arn(), Some(other_role.as_str()));
        assert_eq!(
            described.tags().and_then(|tags| tags.get("team")).map(String::as_str),
            Some("uploads")
        );
        providers
            .assert_no_diff(kind, &id, &association_id, &after)
            .await;

        // Deleted, and deleting what is gone succeeds; a refresh then finds nothing.
        providers.delete(kind, &id, &association_id, &after).await;
        providers.delete(kind, &id, &association_id, &after).await;
        assert!(providers
            .refresh_recorded_one(kind, &id, &association_id, &after)
            .await
            .is_empty());
    });
}
