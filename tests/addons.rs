//! EKS managed add-ons, on the emulator, checked through the EKS and IAM APIs and the proxy's
//! call log: the CNI, kube-proxy and the Pod Identity agent are ACTIVE before any node group is
//! created, coredns comes after the first node group is ACTIVE; the CNI is bound to a role of
//! its own and enforces NetworkPolicy; drift is shown and repaired; pins and configuration
//! values EKS would refuse are refused before any change; a DEGRADED add-on stops apply with
//! EKS's health issue.

mod support;

use std::collections::BTreeSet;

use support::proxy::Call;
use support::World;

/// A cluster with one small node group.
fn small() -> String {
    support::small_cluster("addons", "10.50.0.0/16", support::NODE_GROUP)
}

fn eks(world: &World) -> aws_sdk_eks::Client {
    aws_sdk_eks::Client::new(world.sdk())
}

fn iam(world: &World) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(world.sdk())
}

async fn addon(world: &World, cluster: &str, name: &str) -> aws_sdk_eks::types::Addon {
    eks(world)
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
        .unwrap_or_else(|error| panic!("describe add-on {name}: {error:?}"))
        .addon()
        .cloned()
        .unwrap_or_else(|| panic!("add-on {name} has no description"))
}

async fn addon_names(world: &World, cluster: &str) -> BTreeSet<String> {
    eks(world)
        .list_addons()
        .cluster_name(cluster)
        .send()
        .await
        .expect("list add-ons")
        .addons()
        .iter()
        .cloned()
        .collect()
}

/// The position in the call log of the first call that `matches`.
fn first(calls: &[Call], what: &str, matches: impl Fn(&Call) -> bool) -> usize {
    calls
        .iter()
        .position(matches)
        .unwrap_or_else(|| panic!("no {what} in the call log"))
}

fn create_addon(calls: &[Call], cluster: &str, name: &str) -> usize {
    first(calls, &format!("CreateAddon {name}"), |call| {
        call.action == format!("POST /clusters/{cluster}/addons")
            && call.sent.contains(&format!("\"addonName\":\"{name}\""))
    })
}

fn create_node_group(calls: &[Call], cluster: &str) -> usize {
    first(calls, "CreateNodegroup", |call| {
        call.action == format!("POST /clusters/{cluster}/node-groups")
    })
}

/// The status the last describe of `path` before position `before` reported.
fn last_reported(calls: &[Call], path: &str, before: usize) -> Option<String> {
    calls[..before]
        .iter()
        .rev()
        .find(|call| call.action == format!("GET {path}") && call.reported.is_some())
        .and_then(|call| call.reported.clone())
}

#[test]
fn the_reference_blueprint_installs_its_add_ons_around_the_first_node_group() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    // Every EKS resource takes a moment to settle, so the order shows in the call log; and
    // node groups fail as on AWS unless the CNI runs with permissions of its own.
    world
        .moto
        .configure(r#"{"transitionSeconds": 0.5, "requireCni": true}"#);
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    let cluster = "hardened";
    world.block_on(async {
        let names = addon_names(&world, cluster).await;
        let expected: BTreeSet<String> =
            ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
                .map(str::to_string)
                .into();
        assert_eq!(names, expected);
        for name in &names {
            let addon = addon(&world, cluster, name).await;
            assert_eq!(addon.status().map(|s| s.as_str()), Some("ACTIVE"), "{name}");
        }

        // The CNI: its own role, trusted for kube-system/aws-node only, with the CNI policy;
        // NetworkPolicy enforced.
        let cni = addon(&world, cluster, "vpc-cni").await;
        let role_arn = cni.service_account_role_arn().expect("the CNI has a role");
        let role_name = role_arn.rsplit('/').next().unwrap_or_default();
        let role = iam(&world)
            .get_role()
            .role_name(role_name)
            .send()
            .await
            .expect("get role");
        let trust = eksforge::aws::policy::percent_decode(
            role.role()
                .and_then(|role| role.assume_role_policy_document())
                .unwrap_or_default(),
        );
        assert!(
            trust.contains("system:serviceaccount:kube-system:aws-node"),
            "trusted for aws-node only: {trust}"
        );
        let attached = iam(&world)
            .list_attached_role_policies()
            .role_name(role_name)
            .send()
            .await
            .expect("attached policies");
        assert!(
            attached
                .attached_policies()
                .iter()
                .any(|policy| policy.policy_name() == Some("AmazonEKS_CNI_Policy")),
            "{attached:?}"
        );
        let values: serde_json::Value =
            serde_json::from_str(cni.configuration_values().expect("configuration values"))
                .expect("JSON");
        assert_eq!(values["enableNetworkPolicy"], "true");
    });

    // The order, from the call log: the cluster ACTIVE, then the CNI, kube-proxy and the
    // agent, each ACTIVE before the node group is created; coredns after it is ACTIVE.
    let calls = world.proxy.calls();
    let node_group = create_node_group(&calls, cluster);
    let cluster_path = format!("/clusters/{cluster}");
    for name in ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"] {
        let created = create_addon(&calls, cluster, name);
        assert_eq!(
            last_reported(&calls, &cluster_path, created).as_deref(),
            Some("ACTIVE"),
            "{name} created once the cluster is ACTIVE"
        );
        assert!(created < node_group, "{name} before the node group");
        assert_eq!(
            last_reported(&calls, &format!("{cluster_path}/addons/{name}"), node_group).as_deref(),
            Some("ACTIVE"),
            "{name} ACTIVE before the node group is created"
        );
    }
    let coredns = create_addon(&calls, cluster, "coredns");
    let group_path = calls[node_group..]
        .iter()
        .find(|call| {
            call.action
                .starts_with(&format!("GET {cluster_path}/node-groups/"))
        })
        .map(|call| call.action.trim_start_matches("GET ").to_string())
        .expect("the node group was described");
    assert_eq!(
        last_reported(&calls, &group_path, coredns).as_deref(),
        Some("ACTIVE"),
        "coredns created once the node group is ACTIVE"
    );

    let run = world.eksforge(&["plan", "hardened.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
}

#[test]
fn add_on_drift_is_shown_attribute_by_attribute_and_repaired() {
    let world = World::new();
    world.write("addons.toml", &small());
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    // By hand: coredns configured, kube-proxy deleted.
    world.block_on(async {
        eks(&world)
            .update_addon()
            .cluster_name("addons")
            .addon_name("coredns")
            .configuration_values(r#"{"replicaCount": 5}"#)
            .send()
            .await
            .expect("update coredns by hand");
        eks(&world)
            .delete_addon()
            .cluster_name("addons")
            .addon_name("kube-proxy")
            .send()
            .await
            .expect("delete kube-proxy by hand");
    });

    let run = world.eksforge(&["plan", "addons.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 2, "changes:\n{}", run.all());
    let text = run.stdout.clone();
    assert!(text.contains("eks_addon.coredns"), "{text}");
    assert!(text.contains("configuration_values"), "{text}");
    assert!(
        text.contains("replicaCount"),
        "the changed value is shown:\n{text}"
    );
    assert!(text.contains("eks_addon.kube-proxy"), "{text}");

    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "repair:\n{}", run.all());
    world.block_on(async {
        let coredns = addon(&world, "addons", "coredns").await;
        let values = coredns.configuration_values().unwrap_or_default();
        assert!(
            !values.contains("replicaCount"),
            "the hand-made configuration is gone: {values}"
        );
        assert!(addon_names(&world, "addons").await.contains("kube-proxy"));
    });
    let run = world.eksforge(&["plan", "addons.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
}

/// A blueprint EKS would refuse once the cluster is up: refused before any change, at its key.
fn refused_before_any_change(extra: &str, key: &str, reason: &str) {
    let world = World::new();
    let path = world.write("addons.toml", &format!("{}{extra}", small()));
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_ne!(run.code, 0, "refused:\n{}", run.all());
    let text = support::flat(&run.all());
    assert!(text.contains(key), "names {key}:\n{text}");
    assert!(text.contains(reason), "says why ({reason}):\n{text}");
    assert!(
        text.contains(&format!("{}:", path.file_name().unwrap().to_string_lossy())),
        "names the file:\n{text}"
    );
    let mutating: Vec<String> = world
        .proxy
        .mutating_calls()
        .iter()
        .map(|call| call.action.clone())
        .collect();
    assert!(mutating.is_empty(), "no change was made: {mutating:?}");
}

#[test]
fn a_pin_eks_does_not_offer_for_the_cluster_version_is_refused_before_any_change() {
    refused_before_any_change(
        "\n[addons.versions]\ncoredns = \"v9.9.9-eksbuild.1\"\n",
        "addons.versions.coredns",
        "EKS does not offer coredns v9.9.9-eksbuild.1",
    );
}

#[test]
fn configuration_values_outside_the_add_on_schema_are_refused_before_any_change() {
    refused_before_any_change(
        "\n[addons.configuration.coredns]\nreplicas = 3\n",
        "addons.configuration.coredns",
        "refuses its configuration values",
    );
}

#[test]
fn the_cni_can_get_its_role_through_pod_identity() {
    let world = World::new();
    world.write(
        "addons.toml",
        &format!(
            "{}\n[addons.vpc_cni]\nidentity = \"pod_identity\"\n",
            small()
        ),
    );
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    world.block_on(async {
        let cni = addon(&world, "addons", "vpc-cni").await;
        assert_eq!(cni.service_account_role_arn(), None);
        assert_eq!(cni.pod_identity_associations().len(), 1, "{cni:?}");
        let associations = eks(&world)
            .list_pod_identity_associations()
            .cluster_name("addons")
            .namespace("kube-system")
            .service_account("aws-node")
            .send()
            .await
            .expect("list associations");
        let summary = associations
            .associations()
            .first()
            .cloned()
            .expect("an association for aws-node");
        let association = eks(&world)
            .describe_pod_identity_association()
            .cluster_name("addons")
            .association_id(summary.association_id().unwrap_or_default())
            .send()
            .await
            .expect("describe association");
        let role_arn = association
            .association()
            .and_then(|association| association.role_arn())
            .expect("a role");
        let role = iam(&world)
            .get_role()
            .role_name(role_arn.rsplit('/').next().unwrap_or_default())
            .send()
            .await
            .expect("get role");
        let trust = eksforge::aws::policy::percent_decode(
            role.role()
                .and_then(|role| role.assume_role_policy_document())
                .unwrap_or_default(),
        );
        assert!(trust.contains("pods.eks.amazonaws.com"), "{trust}");
        assert!(trust.contains("sts:TagSession"), "{trust}");
        assert!(trust.contains("aws:RequestTag/eks-cluster-arn"), "{trust}");
        assert!(
            trust.contains("aws:RequestTag/kubernetes-service-account"),
            "{trust}"
        );
    });
    let run = world.eksforge(&["plan", "addons.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
}

#[test]
fn node_groups_wait_for_the_cni_while_eks_holds_it_creating() {
    let world = World::new();
    world.write("addons.toml", &small());
    world
        .moto
        .configure(r#"{"transitionSeconds": {"addon": 1.5}, "requireCni": true}"#);
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let calls = world.proxy.calls();
    let node_group = create_node_group(&calls, "addons");
    let cni = "/clusters/addons/addons/vpc-cni";
    let seen: Vec<String> = calls[..node_group]
        .iter()
        .filter(|call| call.action == format!("GET {cni}"))
        .filter_map(|call| call.reported.clone())
        .collect();
    assert!(
        seen.iter().any(|status| status == "CREATING"),
        "the CNI was seen CREATING: {seen:?}"
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("ACTIVE"),
        "the node group was created only once the CNI was ACTIVE: {seen:?}"
    );
}

#[test]
fn a_degraded_add_on_stops_apply_naming_it_and_its_health_issue() {
    let world = World::new();
    world.write("addons.toml", &small());
    world.moto.configure(
        r#"{"addonHealth": [{"addonName": "coredns", "status": "DEGRADED", "issues": [{"code": "AdmissionRequestDenied", "message": "admission webhook denied the request", "resourceIds": ["deployment/coredns"]}]}]}"#,
    );
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_ne!(run.code, 0, "apply stops:\n{}", run.all());
    let text = support::flat(&run.all());
    assert!(text.contains("eks_addon.coredns"), "{text}");
    assert!(text.contains("DEGRADED"), "{text}");
    assert!(
        text.contains("AdmissionRequestDenied: admission webhook denied the request"),
        "EKS's own issue code and message:\n{text}"
    );
    // What finished is recorded: the next apply, once the add-on is healthy, finishes the job.
    world.moto.configure(r#"{"addonHealth": []}"#);
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "converges:\n{}", run.all());
    world.block_on(async {
        let coredns = addon(&world, "addons", "coredns").await;
        assert_eq!(coredns.status().map(|s| s.as_str()), Some("ACTIVE"));
    });
}

/// UpdateAddon cannot take a role away: moving the CNI from IRSA to Pod Identity releases the
/// add-on with its software preserved and takes it over again, bound through Pod Identity.
#[test]
fn moving_the_cni_from_irsa_to_pod_identity_rebinds_it_without_deleting_its_software() {
    let world = World::new();
    world.write("addons.toml", &small());
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());

    world.write(
        "addons.toml",
        &format!(
            "{}\n[addons.vpc_cni]\nidentity = \"pod_identity\"\n",
            small()
        ),
    );
    let run = world.eksforge(&["plan", "addons.toml"]);
    assert!(
        run.stdout
            .contains("eks_addon.vpc-cni will be updated in-place"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("released with its software kept running"),
        "the plan says how:\n{}",
        run.stdout
    );
    world.proxy.reset();
    let run = world.eksforge(&["apply", "addons.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "move:\n{}", run.all());
    let calls = world.proxy.calls();
    let released = calls
        .iter()
        .find(|call| {
            call.action
                .starts_with("DELETE /clusters/addons/addons/vpc-cni")
        })
        .expect("the add-on was released");
    assert!(
        released.query.contains("preserve=true"),
        "its software is preserved: {:?}",
        released.query
    );
    world.block_on(async {
        let cni = addon(&world, "addons", "vpc-cni").await;
        assert_eq!(cni.status().map(|s| s.as_str()), Some("ACTIVE"));
        assert_eq!(cni.service_account_role_arn(), None);
        assert_eq!(cni.pod_identity_associations().len(), 1);
    });
    let run = world.eksforge(&["plan", "addons.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "a re-plan is empty:\n{}", run.all());
}
