//! The reference blueprint makes a hardened cluster, every property checked through the AWS
//! API (EKS, EC2, IAM, KMS, CloudWatch Logs, SSM) on moto; a re-plan is empty; destroy is
//! refused while the cluster is deletion-protected, and with consent removes it all (the KMS
//! key left pending deletion); re-creating adopts that key instead of failing on "alias
//! already exists".
//!
//! The project's emulator (`scripts/emulator`, `docs/emulator.md`) reads back what bare moto
//! dropped or invented: `accessConfig` is kept, and node groups report no remote access unless
//! it was sent.

mod support;

use std::collections::BTreeSet;

use support::cloud::{Cloud, Select};
use support::World;

const NAME: &str = "hardened";

fn decode(text: &str) -> String {
    eksforge::aws::policy::percent_decode(text)
}

#[test]
fn the_reference_blueprint_makes_a_hardened_cluster_and_destroys_it() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    let cloud = Cloud::new(world.sdk());
    let alias = format!("alias/{NAME}-eks-secrets");
    world.block_on(async {
        // KMS: customer managed, rotation on, an alias, no wildcard principal.
        let key = cloud.key(&alias).await;
        let key_arn = key.arn().unwrap().to_string();
        assert_eq!(key.key_manager().map(|m| m.as_str()), Some("CUSTOMER"));
        let rotation = cloud
            .kms
            .get_key_rotation_status()
            .key_id(key.key_id())
            .send()
            .await
            .unwrap();
        assert!(rotation.key_rotation_enabled(), "key rotation on");
        let policy = cloud
            .kms
            .get_key_policy()
            .key_id(key.key_id())
            .policy_name("default")
            .send()
            .await
            .unwrap();
        let policy = policy.policy().unwrap();
        assert!(
            !policy.contains("\"Principal\":\"*\"") && !policy.contains("\"AWS\":\"*\""),
            "no wildcard principal: {policy}"
        );
        assert!(
            policy.contains(&format!("role/{NAME}-eks-cluster")),
            "the cluster role may use the key: {policy}"
        );

        // The cluster: private endpoint only, secrets encrypted with the key, all five logs.
        let cluster = cloud.cluster(NAME).await.unwrap();
        assert_eq!(cluster.version(), Some("1.35"));
        assert_eq!(
            cluster.deletion_protection(),
            Some(true),
            "deletion protection on"
        );
        assert_eq!(
            cluster
                .upgrade_policy()
                .and_then(|policy| policy.support_type())
                .map(|support| support.as_str()),
            Some("STANDARD"),
            "no silent extended support"
        );
        let vpc = cluster.resources_vpc_config().unwrap();
        assert!(vpc.endpoint_private_access(), "private endpoint on");
        assert!(!vpc.endpoint_public_access(), "public endpoint off");
        assert_eq!(
            cluster
                .access_config()
                .and_then(|access| access.authentication_mode())
                .map(|mode| mode.as_str()),
            Some("API"),
            "access entries only, no aws-auth ConfigMap"
        );
        let encryption = cluster
            .encryption_config()
            .first()
            .and_then(|config| config.provider())
            .and_then(|p| p.key_arn());
        assert_eq!(
            encryption,
            Some(key_arn.as_str()),
            "secrets encrypted with the customer-managed key"
        );
        let enabled: BTreeSet<String> = cluster
            .logging()
            .unwrap()
            .cluster_logging()
            .iter()
            .filter(|setup| setup.enabled() == Some(true))
            .flat_map(|setup| setup.types().iter().map(|t| t.as_str().to_string()))
            .collect();
        assert_eq!(
            enabled,
            [
                "api",
                "audit",
                "authenticator",
                "controllerManager",
                "scheduler"
            ]
            .map(String::from)
            .into(),
            "all five log types"
        );
        assert!(cluster
            .role_arn()
            .unwrap()
            .ends_with(&format!("role/{NAME}-eks-cluster")));

        // The cluster runs in the private subnets only.
        let private = cloud
            .subnet_ids(Select::blueprint(NAME).tag("kubernetes.io/role/internal-elb", "1"))
            .await;
        assert_eq!(private.len(), 3);
        assert_eq!(
            vpc.subnet_ids().iter().cloned().collect::<BTreeSet<_>>(),
            private,
            "cluster in the private subnets"
        );

        // The log group exists with its retention and the key (created before the cluster).
        let groups = cloud.log_groups(&format!("/aws/eks/{NAME}/cluster")).await;
        let group = groups.first().expect("control-plane log group");
        assert_eq!(group.retention_in_days(), Some(90));
        assert_eq!(group.kms_key_id(), Some(key_arn.as_str()));

        // IAM: least-privilege roles; the CNI policy is not on the node role.
        let attached = |role: String| {
            let cloud = cloud.clone();
            async move { cloud.attached_policy_names(&role).await }
        };
        assert_eq!(
            attached(format!("{NAME}-eks-cluster")).await,
            ["AmazonEKSClusterPolicy".to_string()].into()
        );
        assert_eq!(
            attached(format!("{NAME}-eks-node")).await,
            [
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKSWorkerNodePolicy",
                "AmazonSSMManagedInstanceCore"
            ]
            .map(String::from)
            .into(),
            "node role: worker, ECR read-only, SSM — and not the CNI policy"
        );

        // Node groups: Bottlerocket, private subnets, hardened launch template.
        let groups = cloud.node_group_names(NAME).await;
        assert_eq!(groups.len(), 1);
        let group = cloud
            .eks
            .describe_nodegroup()
            .cluster_name(NAME)
            .nodegroup_name(&groups[0])
            .send()
            .await
            .unwrap();
        let group = group.nodegroup().unwrap();
        assert_eq!(
            group.ami_type().map(|a| a.as_str()),
            Some("BOTTLEROCKET_x86_64")
        );
        assert!(
            group.subnets().iter().all(|s| private.contains(s)),
            "nodes in private subnets only"
        );
        assert_eq!(
            group
                .node_role()
                .map(|r| r.ends_with(&format!("role/{NAME}-eks-node"))),
            Some(true)
        );
        assert!(
            group.remote_access().is_none(),
            "no remote access: {group:?}"
        );
        let template = group
            .launch_template()
            .expect("node group uses a launch template");
        let versions = cloud
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(template.id().unwrap())
            .versions(template.version().unwrap())
            .send()
            .await
            .unwrap();
        let data = versions.launch_template_versions()[0]
            .launch_template_data()
            .unwrap();
        let metadata = data.metadata_options().unwrap();
        assert_eq!(
            metadata.http_tokens().map(|t| t.as_str()),
            Some("required"),
            "IMDSv2 required"
        );
        assert_eq!(
            metadata.http_put_response_hop_limit(),
            Some(1),
            "hop limit 1"
        );
        assert!(data.key_name().is_none(), "no SSH key pair");
        assert!(!data.block_device_mappings().is_empty());
        for mapping in data.block_device_mappings() {
            assert_eq!(
                mapping.ebs().and_then(|ebs| ebs.encrypted()),
                Some(true),
                "every EBS volume encrypted"
            );
        }
        let user_data = data.user_data().unwrap_or_default();
        assert!(!user_data.is_empty(), "Bottlerocket settings in user data");

        // No security group of ours opens port 22 or anything to 0.0.0.0/0.
        let group_ids = cloud.security_group_ids(NAME).await;
        assert_eq!(group_ids.len(), 2);
        let rules = cloud.security_group_rules(&group_ids).await;
        for rule in rules.iter().filter(|r| r.is_egress() == Some(false)) {
            let (from, to) = (rule.from_port().unwrap_or(-1), rule.to_port().unwrap_or(-1));
            assert!(
                !(from <= 22 && 22 <= to && from != -1),
                "port 22 open: {rule:?}"
            );
            assert_ne!(
                rule.cidr_ipv4(),
                Some("0.0.0.0/0"),
                "ingress from anywhere: {rule:?}"
            );
        }

        // OIDC provider for the issuer, audience sts.amazonaws.com; IRSA trust with sub and aud.
        let issuer = cluster
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .unwrap()
            .trim_start_matches("https://")
            .to_string();
        let mut found = false;
        for provider in cloud.oidc_provider_arns().await {
            let detail = cloud
                .iam
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(provider)
                .send()
                .await
                .unwrap();
            if detail.url().map(|u| u.trim_start_matches("https://")) == Some(issuer.as_str()) {
                assert_eq!(detail.client_id_list(), ["sts.amazonaws.com".to_string()]);
                found = true;
            }
        }
        assert!(found, "an OIDC provider for the cluster issuer");
        let role = cloud
            .role(&format!("{NAME}-irsa-kube-system-aws-node"))
            .await
            .unwrap();
        let trust: serde_json::Value =
            serde_json::from_str(&decode(role.assume_role_policy_document().unwrap())).unwrap();
        let condition = &trust["Statement"]["Condition"]["StringEquals"];
        let condition = if condition.is_null() {
            &trust["Statement"][0]["Condition"]["StringEquals"]
        } else {
            condition
        };
        assert_eq!(
            condition[format!("{issuer}:sub")],
            "system:serviceaccount:kube-system:aws-node",
            "{trust}"
        );
        assert_eq!(
            condition[format!("{issuer}:aud")],
            "sts.amazonaws.com",
            "{trust}"
        );
        assert!(
            attached(format!("{NAME}-irsa-kube-system-aws-node"))
                .await
                .contains("AmazonEKS_CNI_Policy"),
            "CNI policy on the aws-node IRSA role"
        );

        // Session Manager preferences: logged to CloudWatch, encrypted with the key.
        let document = cloud.document("SSM-SessionManagerRunShell").await.unwrap();
        assert_eq!(
            document.document_type().map(|t| t.as_str()),
            Some("Session")
        );
        let content: serde_json::Value = serde_json::from_str(document.content().unwrap()).unwrap();
        assert_eq!(
            content["inputs"]["cloudWatchLogGroupName"],
            format!("/aws/ssm/{NAME}/sessions")
        );
        assert_eq!(content["inputs"]["cloudWatchEncryptionEnabled"], true);
        assert_eq!(content["inputs"]["kmsKeyId"], key.key_id());
    });

    // The autoscaler moves desired_size: that is not drift.
    world.block_on(async {
        let group = cloud.node_group_names(NAME).await[0].clone();
        cloud
            .eks
            .update_nodegroup_config()
            .cluster_name(NAME)
            .nodegroup_name(group)
            .scaling_config(
                aws_sdk_eks::types::NodegroupScalingConfig::builder()
                    .desired_size(5)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });

    // Nothing drifts: the re-plan is empty.
    let run = world.eksforge(&["plan", "hardened.toml", "--detailed-exitcode"]);
    assert_eq!(
        run.code,
        0,
        "re-plan after apply must be empty:\n{}",
        run.all()
    );

    // A change that would replace the cluster is refused: it is protected.
    let other_key = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    let var = format!("encryption.kms_key={other_key}");
    world.proxy.reset();
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", "--var", &var]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("refusing a plan that destroys protected resources"),
        "{}",
        run.stderr
    );
    let message = support::flat(&run.stderr);
    assert!(
        message.contains(
            "eks_cluster.main would be replaced: secrets_kms_key_arn cannot change in place"
        ),
        "{message}"
    );
    assert!(
        message.contains("kms_key.secrets would be deleted"),
        "{message}"
    );
    assert!(
        message.contains("--allow-replace eks_cluster.main"),
        "{message}"
    );
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );

    // Destroy is refused while the cluster is deletion-protected, before any change.
    world.proxy.reset();
    let run = world.eksforge(&["destroy", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let message = support::flat(&run.stderr);
    assert!(
        message.contains("cluster.deletion_protection")
            && message.contains("--allow-replace eks_cluster.main"),
        "{message}"
    );
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );

    // With consent, destroy lifts the protection and removes everything; the key is left
    // pending deletion with the window.
    let run = world.eksforge(&[
        "destroy",
        "hardened.toml",
        "--auto-approve",
        "--allow-replace",
        "eks_cluster.main",
    ]);
    assert_eq!(run.code, 0, "destroy:\n{}", run.all());
    assert!(
        run.stdout
            .contains("kms_key.secrets is scheduled for deletion in 30 days"),
        "destroy says so: {}",
        run.stdout
    );
    world.block_on(async {
        assert!(cloud.cluster(NAME).await.is_none(), "cluster gone");
        for role in ["eks-cluster", "eks-node", "irsa-kube-system-aws-node"] {
            assert!(
                cloud.role(&format!("{NAME}-{role}")).await.is_none(),
                "role {role} gone"
            );
        }
        let key = cloud.key(&alias).await;
        assert_eq!(key.key_state().map(|s| s.as_str()), Some("PendingDeletion"));
        let groups = cloud.log_groups(&format!("/aws/eks/{NAME}/")).await;
        assert!(groups.is_empty(), "log group gone");
        assert!(
            cloud.document("SSM-SessionManagerRunShell").await.is_none(),
            "preferences gone"
        );
        assert!(cloud.vpcs(NAME).await.is_empty(), "VPC gone");
        assert!(
            cloud.oidc_provider_arns().await.is_empty(),
            "OIDC provider gone"
        );
    });
    let run = world.eksforge(&["state", "list", "hardened.toml"]);
    assert_eq!(run.stdout.trim(), "", "state empty after destroy");
    let run = world.eksforge(&["plan", "hardened.toml"]);
    assert!(
        run.stdout.contains("Adopting kms_key.secrets"),
        "the pending key is offered for adoption:\n{}",
        run.all()
    );
    assert!(
        run.stdout.contains("enabled = false → true"),
        "{}",
        run.stdout
    );

    // Re-creating adopts the pending key: no "alias already exists".
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "re-create after destroy:\n{}", run.all());
    world.block_on(async {
        let key = cloud.key(&alias).await;
        assert_eq!(
            key.key_state().map(|s| s.as_str()),
            Some("Enabled"),
            "deletion cancelled, key enabled"
        );
    });
    let run = world.eksforge(&["plan", "hardened.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "settled after the re-create:\n{}", run.all());
}

#[test]
fn plans_report_the_current_bottlerocket_release_or_say_once_that_they_cannot() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    // The public parameter exists (the emulator serves it as AWS does): the plan names the
    // release it holds, read here through the SSM API.
    let ssm = aws_sdk_ssm::Client::new(world.sdk());
    let current = world.block_on(async {
        ssm.get_parameter()
            .name("/aws/service/bottlerocket/aws-k8s-1.35/x86_64/latest/image_version")
            .send()
            .await
            .expect("the public Bottlerocket parameter")
            .parameter()
            .and_then(|parameter| parameter.value())
            .expect("a value")
            .to_string()
    });
    let run = world.eksforge(&["plan", "hardened.toml"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains(&format!(
            "eks_node_group.system: new nodes get Bottlerocket {current}"
        )),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Could not check"), "{}", run.stdout);

    // Where nothing is published, the check is skipped with one note.
    let run = world.eksforge(&[
        "plan",
        "hardened.toml",
        "--bottlerocket-ssm-prefix",
        "/eksforge-test/nothing-published",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stdout
            .matches("Could not check for newer Bottlerocket releases")
            .count(),
        1,
        "{}",
        run.stdout
    );

    // The same lookup under a prefix of the test's own (the public namespace is reserved).
    world.block_on(async {
        ssm.put_parameter()
            .name("/eksforge-test/bottlerocket/aws-k8s-1.35/x86_64/latest/image_version")
            .value("1.51.0-47438798")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .unwrap();
    });
    let run = world.eksforge(&[
        "plan",
        "hardened.toml",
        "--bottlerocket-ssm-prefix",
        "/eksforge-test/bottlerocket",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("eks_node_group.system: new nodes get Bottlerocket 1.51.0-47438798"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("Could not check"), "{}", run.stdout);
}

#[test]
fn preflight_catches_an_instance_type_not_offered_before_anything_is_made() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&[
        "apply",
        "hardened.toml",
        "--auto-approve",
        "--var",
        "node_groups.0.instance_types=[\"zz9.large\"]",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let message = support::flat(&run.stderr);
    assert!(
        message.contains(
            "instance type zz9.large is not offered in eu-west-1a, eu-west-1b, eu-west-1c"
        ),
        "{message}"
    );
    assert!(
        message.contains("--var node_groups.0.instance_types=[\"zz9.large\"]:1:"),
        "names where the key was set: {message}"
    );
    assert!(
        message.contains("(node_groups[0].instance_types)"),
        "{message}"
    );
    assert_eq!(world.proxy.mutating_calls(), vec![], "nothing was made");
    let run = world.eksforge(&[
        "plan",
        "hardened.toml",
        "--skip-preflight",
        "--var",
        "node_groups.0.instance_types=[\"zz9.large\"]",
    ]);
    assert_eq!(run.code, 0, "--skip-preflight: {}", run.all());
}
