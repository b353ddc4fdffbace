//! The `iam_role`, `iam_role_policy_attachment`, `iam_role_policy` and `iam_oidc_provider`
//! providers against a moto server of each test's own: create, check through the IAM API (SDK
//! client straight to moto, not through the provider), refresh equals desired (no perpetual
//! diff), update in place, delete, delete again; adoption of our own leftovers by natural key,
//! refusal of someone else's same-named role or same-issuer provider, and a role deleted with
//! policies and an instance profile still on it.

mod support;

use support::providers::{out, tags, with, Providers};

use std::collections::BTreeMap;

use eksforge::aws::policy::{canonical, canonical_json, percent_decode};
use eksforge::aws::{provider, Aws, ErrorClass, FoundVia, Scope};
use eksforge::resources::{Attrs, Kind, ResourceId, Value};
use serde_json::json;

const BLUEPRINT: &str = "test";
const ACCOUNT: &str = "123456789012";
const ISSUER: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const SSM_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// The provider-test harness for this file's blueprint.
fn providers(aws: &Aws) -> Providers<'_> {
    Providers {
        aws,
        blueprint: BLUEPRINT,
    }
}

struct Env {
    // Dropped last: kills the server.
    _moto: support::Moto,
    iam: aws_sdk_iam::Client,
    aws: Aws,
}

async fn env() -> Env {
    let moto = support::Moto::start();
    let config = support::sdk_config(&moto.url()).await;
    let aws = Aws::from_sdk_config(&config, Default::default());
    Env {
        _moto: moto,
        iam: aws_sdk_iam::Client::new(&config),
        aws,
    }
}

fn is_no_such_entity<E: aws_sdk_iam::error::ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("NoSuchEntity")
}

// ---------------------------------------------------------------------------------------
// iam_role

/// An IRSA trust policy, as the expansion builds it: conditioned on both `sub` and `aud`.
fn irsa_trust(service_account: &str) -> String {
    let issuer = ISSUER.trim_start_matches("https://");
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{issuer}:sub"): format!("system:serviceaccount:{service_account}"),
                format!("{issuer}:aud"): "sts.amazonaws.com",
            }},
        }],
    }))
}

fn service_trust(service: &str) -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }],
    }))
}

fn role_attrs(id: &ResourceId, name: &str, trust: String) -> Attrs {
    Attrs::from([
        ("name".to_string(), Value::str(name)),
        ("path".to_string(), Value::str("/")),
        ("assume_role_policy".to_string(), Value::str(trust)),
        (
            "description".to_string(),
            Value::str(format!("eksforge {BLUEPRINT}: {id}")),
        ),
        ("max_session_duration".to_string(), Value::Int(3600)),
        (
            "tags".to_string(),
            tags(BLUEPRINT, id, &[("team", "platform")]),
        ),
    ])
}

async fn get_role(iam: &aws_sdk_iam::Client, name: &str) -> Option<aws_sdk_iam::types::Role> {
    match iam.get_role().role_name(name).send().await {
        Ok(output) => output.role().cloned(),
        Err(error) if is_no_such_entity(&error) => None,
        Err(error) => panic!("GetRole {name}: {error:?}"),
    }
}

fn role_tags(role: &aws_sdk_iam::types::Role) -> BTreeMap<String, String> {
    role.tags()
        .iter()
        .map(|tag| (tag.key().to_string(), tag.value().to_string()))
        .collect()
}

fn trust_of(role: &aws_sdk_iam::types::Role) -> String {
    let raw = role.assume_role_policy_document().expect("trust policy");
    canonical(&percent_decode(raw)).expect("trust policy is JSON once decoded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_lifecycle() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let id = ResourceId::new(Kind::IamRole, "irsa.kube-system.aws-node");
    let name = "test-irsa-kube-system-aws-node";
    let desired = role_attrs(&id, name, irsa_trust("kube-system:aws-node"));

    let created = providers(aws).create(Kind::IamRole, &id, &desired).await;
    assert_eq!(created.cloud_id, name);
    assert_eq!(created.attrs, desired);
    assert_eq!(out(&created, "name"), name);
    assert_eq!(
        out(&created, "arn"),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );
    assert!(!out(&created, "unique_id").is_empty(), "{created:?}");

    // Through the API: the role, its decoded trust policy, its tags.
    let role = get_role(iam, name).await.expect("role exists");
    assert_eq!(role.path(), "/");
    assert_eq!(role.arn(), out(&created, "arn"));
    assert_eq!(role.role_id(), out(&created, "unique_id"));
    assert_eq!(
        role.description(),
        Some("eksforge test: iam_role.irsa.kube-system.aws-node")
    );
    assert_eq!(role.max_session_duration(), Some(3600));
    assert_eq!(trust_of(&role), irsa_trust("kube-system:aws-node"));
    let decoded: serde_json::Value = serde_json::from_str(&trust_of(&role)).unwrap();
    let issuer = ISSUER.trim_start_matches("https://");
    assert_eq!(
        decoded["Statement"]["Condition"]["StringEquals"][format!("{issuer}:sub")],
        "system:serviceaccount:kube-system:aws-node"
    );
    assert_eq!(
        decoded["Statement"]["Condition"]["StringEquals"][format!("{issuer}:aud")],
        "sts.amazonaws.com"
    );
    let listed = role_tags(&role);
    assert_eq!(listed["eksforge:blueprint"], BLUEPRINT);
    assert_eq!(listed["eksforge:resource"], id.as_str());
    assert_eq!(listed["team"], "platform");

    // No perpetual diff, recorded or adopted by name.
    let found = providers(aws)
        .assert_no_diff(Kind::IamRole, &id, name, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);
    providers(aws)
        .assert_adopted(Kind::IamRole, &id, name, &desired, FoundVia::NaturalKey)
        .await;

    // In place: another service account in the trust policy, description, duration, and
    // tags (one changed, one added, one removed).
    let mut new_tags = tags(
        BLUEPRINT,
        &id,
        &[("team", "security"), ("cost-center", "42")],
    );
    if let Value::Map(map) = &mut new_tags {
        map.remove("Name");
    }
    let after = with(
        &with(
            &with(
                &with(
                    &desired,
                    "assume_role_policy",
                    Value::str(irsa_trust("kube-system:ebs-csi-controller-sa")),
                ),
                "description",
                Value::str("eksforge test: EBS CSI"),
            ),
            "max_session_duration",
            Value::Int(7200),
        ),
        "tags",
        new_tags,
    );
    let updated = providers(aws)
        .update(Kind::IamRole, &id, name, &desired, &after)
        .await;
    assert_eq!(updated.attrs, after);
    assert_eq!(updated.outputs, created.outputs);
    let role = get_role(iam, name).await.expect("role exists");
    assert_eq!(
        trust_of(&role),
        irsa_trust("kube-system:ebs-csi-controller-sa")
    );
    assert_eq!(role.description(), Some("eksforge test: EBS CSI"));
    assert_eq!(role.max_session_duration(), Some(7200));
    let listed = role_tags(&role);
    assert_eq!(listed["team"], "security");
    assert_eq!(listed["cost-center"], "42");
    assert!(!listed.contains_key("Name"), "{listed:?}");
    providers(aws)
        .assert_no_diff(Kind::IamRole, &id, name, &after)
        .await;

    // Delete, then gone: through the API and through refresh. Deleting again succeeds.
    providers(aws)
        .delete(Kind::IamRole, &id, name, &after)
        .await;
    assert!(get_role(iam, name).await.is_none());
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamRole, &id, name, &after)
        .await
        .is_empty());
    providers(aws)
        .delete(Kind::IamRole, &id, name, &after)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_is_deleted_with_policies_and_instance_profile_left_on_it() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let id = ResourceId::new(Kind::IamRole, "node");
    let name = "test-eks-node";
    let desired = role_attrs(&id, name, service_trust("ec2.amazonaws.com"));
    providers(aws).create(Kind::IamRole, &id, &desired).await;

    // What a crash between the parts' deletes and the role's can leave behind.
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(SSM_CORE)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(name)
        .policy_name("leftover")
        .policy_document(canonical_json(&json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
        })))
        .send()
        .await
        .unwrap();
    iam.create_instance_profile()
        .instance_profile_name("test-eks-node-profile")
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name("test-eks-node-profile")
        .role_name(name)
        .send()
        .await
        .unwrap();
    // As IAM: a role with parts on it cannot simply be deleted.
    let refused = iam.delete_role().role_name(name).send().await.unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&refused),
        Some("DeleteConflict")
    );

    providers(aws)
        .delete(Kind::IamRole, &id, name, &desired)
        .await;
    assert!(get_role(iam, name).await.is_none());
    let profile = iam
        .get_instance_profile()
        .instance_profile_name("test-eks-node-profile")
        .send()
        .await
        .unwrap();
    assert!(profile.instance_profile().unwrap().roles().is_empty());
    providers(aws)
        .delete(Kind::IamRole, &id, name, &desired)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_of_someone_else_is_not_adopted_and_ours_is() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);

    // Someone else's role under our name: untagged, and another blueprint's.
    for (name, foreign_tags) in [
        ("test-eks-cluster", vec![]),
        (
            "test-eks-node",
            vec![
                ("eksforge:blueprint", "other"),
                ("eksforge:resource", "iam_role.node"),
            ],
        ),
    ] {
        let id = ResourceId::new(Kind::IamRole, name.trim_start_matches("test-eks-"));
        let foreign_trust = service_trust("lambda.amazonaws.com");
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(&foreign_trust)
            .set_tags(Some(
                foreign_tags
                    .iter()
                    .map(|(key, value)| {
                        aws_sdk_iam::types::Tag::builder()
                            .key(*key)
                            .value(*value)
                            .build()
                            .unwrap()
                    })
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
        let desired = role_attrs(&id, name, service_trust("eks.amazonaws.com"));

        assert!(
            providers(aws)
                .refresh_missing_one(Kind::IamRole, &id, &desired)
                .await
                .is_empty(),
            "{name} of someone else adopted"
        );
        let error = providers(aws)
            .try_create(Kind::IamRole, &id, &desired)
            .await
            .expect_err("create over someone else's role");
        assert_eq!(error.class, ErrorClass::AlreadyExists, "{error}");
        assert_eq!(error.code.as_deref(), Some("EntityAlreadyExists"));
        assert!(
            error.to_string().contains(
                "role name taken by a role this blueprint did not create; rename the blueprint or delete the role"
            ),
            "{error}"
        );
        // Left as it was.
        let role = get_role(iam, name).await.expect("foreign role kept");
        assert_eq!(trust_of(&role), foreign_trust);
    }

    // Ours, left by a run killed before state was written: adopted by name, and a create
    // that did not see it takes it over and brings it to the desired settings.
    let id = ResourceId::new(Kind::IamRole, "irsa.kube-system.aws-node");
    let name = "test-irsa-kube-system-aws-node";
    let desired = role_attrs(&id, name, irsa_trust("kube-system:aws-node"));
    let stale = with(
        &with(
            &desired,
            "assume_role_policy",
            Value::str(irsa_trust("kube-system:old")),
        ),
        "description",
        Value::str("stale"),
    );
    let first = providers(aws).create(Kind::IamRole, &id, &stale).await;
    providers(aws)
        .assert_adopted(Kind::IamRole, &id, name, &stale, FoundVia::NaturalKey)
        .await;
    let again = providers(aws).create(Kind::IamRole, &id, &desired).await;
    assert_eq!(again.cloud_id, name);
    assert_eq!(again.outputs, first.outputs);
    assert_eq!(again.attrs, desired);
    providers(aws)
        .assert_no_diff(Kind::IamRole, &id, name, &desired)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_requests_outside_the_api_limits_are_refused_before_the_call() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let id = ResourceId::new(Kind::IamRole, "cluster");
    let long = "x".repeat(65);
    let cases = [
        role_attrs(&id, &long, service_trust("eks.amazonaws.com")),
        role_attrs(&id, "has space", service_trust("eks.amazonaws.com")),
        with(
            &role_attrs(&id, "test-eks-cluster", service_trust("eks.amazonaws.com")),
            "path",
            Value::str("no-slashes"),
        ),
        with(
            &role_attrs(&id, "test-eks-cluster", service_trust("eks.amazonaws.com")),
            "max_session_duration",
            Value::Int(60),
        ),
    ];
    for attrs in &cases {
        let error = providers(aws)
            .try_create(Kind::IamRole, &id, attrs)
            .await
            .expect_err("invalid request accepted");
        assert_eq!(error.operation, "iam:CreateRole");
        assert!(error.code.is_none(), "reached the endpoint: {error}");
    }
    // Nothing was created (moto would have accepted most of these).
    let roles = iam.list_roles().send().await.unwrap();
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
}

// ---------------------------------------------------------------------------------------
// iam_role_policy_attachment

async fn attached(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    iam.list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .filter_map(|policy| policy.policy_arn().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_policy_attachment_lifecycle() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let role_id = ResourceId::new(Kind::IamRole, "node");
    let role = "test-eks-node";
    providers(aws)
        .create(
            Kind::IamRole,
            &role_id,
            &role_attrs(&role_id, role, service_trust("ec2.amazonaws.com")),
        )
        .await;

    // The AWS-managed policy SSM needs on every node.
    let id = ResourceId::new(
        Kind::IamRolePolicyAttachment,
        "node.AmazonSSMManagedInstanceCore",
    );
    let desired = Attrs::from([
        ("role".to_string(), Value::str(role)),
        ("policy_arn".to_string(), Value::str(SSM_CORE)),
    ]);
    let cloud_id = format!("{role}|{SSM_CORE}");
    let created = providers(aws)
        .create(Kind::IamRolePolicyAttachment, &id, &desired)
        .await;
    assert_eq!(created.cloud_id, cloud_id);
    assert_eq!(out(&created, "id"), cloud_id);
    assert_eq!(created.attrs, desired);
    assert_eq!(attached(iam, role).await, [SSM_CORE]);

    // Attaching again (a re-run after a crash) is fine and changes nothing.
    providers(aws)
        .create(Kind::IamRolePolicyAttachment, &id, &desired)
        .await;
    assert_eq!(attached(iam, role).await, [SSM_CORE]);

    // No perpetual diff; adopted by role and ARN when state lacks it.
    let found = providers(aws)
        .assert_no_diff(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);
    providers(aws)
        .assert_adopted(
            Kind::IamRolePolicyAttachment,
            &id,
            &cloud_id,
            &desired,
            FoundVia::NaturalKey,
        )
        .await;

    // One refresh over several: a second attachment on the same role not yet made, and one
    // on a role that does not exist, are simply not found.
    let cni = ResourceId::new(Kind::IamRolePolicyAttachment, "node.AmazonEKS_CNI_Policy");
    let ghost = ResourceId::new(
        Kind::IamRolePolicyAttachment,
        "irsa.kube-system.aws-node.AmazonEKS_CNI_Policy",
    );
    let scope = Scope {
        blueprint: BLUEPRINT.into(),
        recorded: BTreeMap::from([(id.clone(), (cloud_id.clone(), desired.clone()))]),
        missing: BTreeMap::from([
            (
                cni.clone(),
                with(
                    &desired,
                    "policy_arn",
                    Value::str("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
                ),
            ),
            (
                ghost,
                with(
                    &desired,
                    "role",
                    Value::str("test-irsa-kube-system-aws-node"),
                ),
            ),
        ]),
    };
    let found = providers(aws)
        .refresh(Kind::IamRolePolicyAttachment, &scope)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, id);

    // Nothing changes in place (both attributes force replacement).
    assert!(provider(Kind::IamRolePolicyAttachment)
        .rules()
        .iter()
        .all(|rule| matches!(rule, eksforge::aws::AttrRule::ForcesReplacement(_))));

    // Delete, then gone; deleting again, and after the role is gone, succeeds.
    providers(aws)
        .delete(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await;
    assert!(attached(iam, role).await.is_empty());
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await
        .is_empty());
    providers(aws)
        .delete(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await;
    iam.delete_role().role_name(role).send().await.unwrap();
    providers(aws)
        .delete(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await;
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamRolePolicyAttachment, &id, &cloud_id, &desired)
        .await
        .is_empty());
}

// ---------------------------------------------------------------------------------------
// iam_role_policy

fn inline_policy(actions: &[&str]) -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Volumes",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestTag/eksforge:blueprint": BLUEPRINT}},
        }],
    }))
}

async fn get_role_policy(iam: &aws_sdk_iam::Client, role: &str, name: &str) -> Option<String> {
    match iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(output) => Some(
            canonical(&percent_decode(output.policy_document()))
                .expect("policy is JSON once decoded"),
        ),
        Err(error) if is_no_such_entity(&error) => None,
        Err(error) => panic!("GetRolePolicy {role}/{name}: {error:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_role_policy_lifecycle() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let role_id = ResourceId::new(Kind::IamRole, "irsa.kube-system.ebs-csi");
    let role = "test-irsa-kube-system-ebs-csi";
    let role_desired = role_attrs(
        &role_id,
        role,
        irsa_trust("kube-system:ebs-csi-controller-sa"),
    );
    providers(aws)
        .create(Kind::IamRole, &role_id, &role_desired)
        .await;

    let id = ResourceId::new(Kind::IamRolePolicy, "irsa.kube-system.ebs-csi.volumes");
    let desired = Attrs::from([
        ("role".to_string(), Value::str(role)),
        ("name".to_string(), Value::str("volumes")),
        (
            "policy".to_string(),
            Value::str(inline_policy(&["ec2:CreateVolume", "ec2:AttachVolume"])),
        ),
    ]);
    let cloud_id = format!("{role}|volumes");
    let created = providers(aws)
        .create(Kind::IamRolePolicy, &id, &desired)
        .await;
    assert_eq!(created.cloud_id, cloud_id);
    assert_eq!(created.attrs, desired);

    // Through the API: the decoded document is the one sent.
    assert_eq!(
        get_role_policy(iam, role, "volumes").await.as_deref(),
        Some(inline_policy(&["ec2:CreateVolume", "ec2:AttachVolume"]).as_str())
    );

    providers(aws)
        .assert_no_diff(Kind::IamRolePolicy, &id, &cloud_id, &desired)
        .await;
    providers(aws)
        .assert_adopted(
            Kind::IamRolePolicy,
            &id,
            &cloud_id,
            &desired,
            FoundVia::NaturalKey,
        )
        .await;

    // In place: the document.
    let after = with(
        &desired,
        "policy",
        Value::str(inline_policy(&[
            "ec2:CreateVolume",
            "ec2:AttachVolume",
            "ec2:DetachVolume",
        ])),
    );
    let updated = providers(aws)
        .update(Kind::IamRolePolicy, &id, &cloud_id, &desired, &after)
        .await;
    assert_eq!(updated.attrs, after);
    assert_eq!(
        get_role_policy(iam, role, "volumes").await.as_deref(),
        Some(inline_policy(&["ec2:CreateVolume", "ec2:AttachVolume", "ec2:DetachVolume"]).as_str())
    );
    providers(aws)
        .assert_no_diff(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await;

    // Delete, then gone; again; and with the role gone too.
    providers(aws)
        .delete(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await;
    assert!(get_role_policy(iam, role, "volumes").await.is_none());
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await
        .is_empty());
    providers(aws)
        .delete(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await;
    providers(aws)
        .delete(Kind::IamRole, &role_id, role, &role_desired)
        .await;
    providers(aws)
        .delete(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await;
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamRolePolicy, &id, &cloud_id, &after)
        .await
        .is_empty());
}

// ---------------------------------------------------------------------------------------
// iam_oidc_provider

fn oidc_attrs(id: &ResourceId, extra_tags: &[(&str, &str)]) -> Attrs {
    Attrs::from([
        ("url".to_string(), Value::str(ISSUER)),
        (
            "client_ids".to_string(),
            Value::List(vec![Value::str("sts.amazonaws.com")]),
        ),
        ("tags".to_string(), tags(BLUEPRINT, id, extra_tags)),
    ])
}

async fn get_oidc(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Option<aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput> {
    match iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(output) => Some(output),
        Err(error) if is_no_such_entity(&error) => None,
        Err(error) => panic!("GetOpenIDConnectProvider {arn}: {error:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_oidc_provider_lifecycle() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let id = ResourceId::new(Kind::IamOidcProvider, "main");
    let desired = oidc_attrs(&id, &[("team", "platform")]);
    let issuer = ISSUER.trim_start_matches("https://");
    let arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}");

    let created = providers(aws)
        .create(Kind::IamOidcProvider, &id, &desired)
        .await;
    assert_eq!(created.cloud_id, arn);
    assert_eq!(created.attrs, desired);
    assert_eq!(out(&created, "arn"), arn);
    // As IAM conditions use it: no scheme.
    assert_eq!(out(&created, "url"), issuer);

    // Through the API.
    let provider_out = get_oidc(iam, &arn).await.expect("provider exists");
    assert_eq!(provider_out.url(), Some(issuer));
    assert_eq!(provider_out.client_id_list(), ["sts.amazonaws.com"]);
    assert!(
        provider_out.thumbprint_list().is_empty(),
        "no thumbprint sent: {:?}",
        provider_out.thumbprint_list()
    );
    let listed: BTreeMap<&str, &str> = provider_out
        .tags()
        .iter()
        .map(|tag| (tag.key(), tag.value()))
        .collect();
    assert_eq!(listed["eksforge:blueprint"], BLUEPRINT);
    assert_eq!(listed["eksforge:resource"], "iam_oidc_provider.main");

    // No perpetual diff; adopted by issuer when state lacks it.
    let found = providers(aws)
        .assert_no_diff(Kind::IamOidcProvider, &id, &arn, &desired)
        .await;
    assert_eq!(found.observed.outputs, created.outputs);
    providers(aws)
        .assert_adopted(
            Kind::IamOidcProvider,
            &id,
            &arn,
            &desired,
            FoundVia::NaturalKey,
        )
        .await;
    // Before the cluster's issuer is known (unresolved), by its eksforge:resource tag.
    let unresolved = with(
        &desired,
        "url",
        ResourceId::new(Kind::EksCluster, "main").output("oidc_issuer"),
    );
    let found = providers(aws)
        .refresh_missing_one(Kind::IamOidcProvider, &id, &unresolved)
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].via, FoundVia::Tag);

    // In place: tags (one changed, one added, one removed).
    let mut new_tags = tags(
        BLUEPRINT,
        &id,
        &[("team", "security"), ("cost-center", "42")],
    );
    if let Value::Map(map) = &mut new_tags {
        map.remove("Name");
    }
    let after = with(&desired, "tags", new_tags);
    let updated = providers(aws)
        .update(Kind::IamOidcProvider, &id, &arn, &desired, &after)
        .await;
    assert_eq!(updated.attrs, after);
    assert_eq!(updated.outputs, created.outputs);
    let listed = iam
        .list_open_id_connect_provider_tags()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    let listed: BTreeMap<&str, &str> = listed
        .tags()
        .iter()
        .map(|tag| (tag.key(), tag.value()))
        .collect();
    assert_eq!(listed.get("team"), Some(&"security"));
    assert_eq!(listed.get("cost-center"), Some(&"42"));
    assert_eq!(listed.get("Name"), None);
    providers(aws)
        .assert_no_diff(Kind::IamOidcProvider, &id, &arn, &after)
        .await;

    // Delete, then gone; deleting again succeeds.
    providers(aws)
        .delete(Kind::IamOidcProvider, &id, &arn, &after)
        .await;
    assert!(get_oidc(iam, &arn).await.is_none());
    assert!(providers(aws)
        .refresh_recorded_one(Kind::IamOidcProvider, &id, &arn, &after)
        .await
        .is_empty());
    assert!(providers(aws)
        .refresh_missing_one(Kind::IamOidcProvider, &id, &after)
        .await
        .is_empty());
    providers(aws)
        .delete(Kind::IamOidcProvider, &id, &arn, &after)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_oidc_provider_of_someone_else_is_not_adopted_and_ours_is() {
    let env = env().await;
    let (aws, iam) = (&env.aws, &env.iam);
    let id = ResourceId::new(Kind::IamOidcProvider, "main");
    let desired = oidc_attrs(&id, &[]);

    // Someone else's provider for the same issuer (one per issuer and account).
    let foreign = iam
        .create_open_id_connect_provider()
        .url(ISSUER)
        .client_id_list("sts.amazonaws.com")
        .send()
        .await
        .unwrap();
    let foreign_arn = foreign.open_id_connect_provider_arn().unwrap().to_string();
    assert!(providers(aws)
        .refresh_missing_one(Kind::IamOidcProvider, &id, &desired)
        .await
        .is_empty());
    let error = providers(aws)
        .try_create(Kind::IamOidcProvider, &id, &desired)
        .await
        .expect_err("create over someone else's provider");
    assert_eq!(error.class, ErrorClass::AlreadyExists, "{error}");
    assert!(
        error.to_string().contains("this blueprint did not create"),
        "{error}"
    );
    assert!(get_oidc(iam, &foreign_arn).await.unwrap().tags().is_empty());
    iam.delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&foreign_arn)
        .send()
        .await
        .unwrap();

    // Ours, left by a run killed before state was written, with stale tags: a create that did
    // not see it takes it over and sets the desired tags.
    let stale = oidc_attrs(&id, &[("stale", "yes")]);
    let first = providers(aws)
        .create(Kind::IamOidcProvider, &id, &stale)
        .await;
    let again = providers(aws)
        .create(Kind::IamOidcProvider, &id, &desired)
        .await;
    assert_eq!(again.cloud_id, first.cloud_id);
    assert_eq!(again.attrs, desired);
    providers(aws)
        .assert_no_diff(Kind::IamOidcProvider, &id, &first.cloud_id, &desired)
        .await;
}
