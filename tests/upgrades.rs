//! Kubernetes upgrades as one ordered plan, on the emulator with update transitions that take
//! time, checked through the EKS API and the proxy's call log: 1.32 → 1.34 in one change runs
//! control plane 1.33, its add-ons, the node group, then control plane 1.34, its add-ons, the
//! node group, each after the previous is ACTIVE; everything reads back at the target and a
//! re-plan is empty. A downgrade, and a node group pinned two minors below the target, are
//! refused at plan time before any change.

mod support;

use support::proxy::Call;
use support::World;

const NAME: &str = "upgrades";
const FAST: [&str; 4] = ["--poll-max", "200ms", "--progress-every", "1s"];

fn blueprint(version: &str) -> String {
    support::small_cluster(
        NAME,
        "10.70.0.0/16",
        &format!("version = \"{version}\"\n{}", support::NODE_GROUP),
    )
}

fn eks(world: &World) -> aws_sdk_eks::Client {
    aws_sdk_eks::Client::new(world.sdk())
}

/// The control plane's Kubernetes version, read back through DescribeCluster.
async fn cluster_version(eks: &aws_sdk_eks::Client) -> Option<String> {
    eks.describe_cluster()
        .name(NAME)
        .send()
        .await
        .expect("DescribeCluster")
        .cluster()
        .and_then(|cluster| cluster.version())
        .map(str::to_string)
}

/// Every node group of the cluster, read back through ListNodegroups and DescribeNodegroup.
async fn node_groups(eks: &aws_sdk_eks::Client) -> Vec<aws_sdk_eks::types::Nodegroup> {
    let names = eks
        .list_nodegroups()
        .cluster_name(NAME)
        .send()
        .await
        .expect("ListNodegroups");
    let mut groups = Vec::new();
    for name in names.nodegroups() {
        let group = eks
            .describe_nodegroup()
            .cluster_name(NAME)
            .nodegroup_name(name)
            .send()
            .await
            .expect("DescribeNodegroup");
        groups.extend(group.nodegroup().cloned());
    }
    groups
}

/// What an upgrade call moves, read from the call log: `("control plane", "1.33")`,
/// `("add-on", "coredns")`, `("node group", "1.34")`.
fn upgrade_call(call: &Call) -> Option<(&'static str, String)> {
    let prefix = format!("POST /clusters/{NAME}/");
    let rest = call.action.strip_prefix(&prefix)?;
    let sent: serde_json::Value = serde_json::from_str(&call.sent).unwrap_or_default();
    let text = |key: &str| sent[key].as_str().unwrap_or_default().to_string();
    if rest == "updates" {
        return Some(("control plane", text("version")));
    }
    if rest.starts_with("addons/") && rest.ends_with("/update") {
        return Some(("add-on", text("addonVersion")));
    }
    if rest.starts_with("node-groups/") && rest.ends_with("/update-version") {
        return Some(("node group", text("version")));
    }
    None
}

/// The describe path that shows what `call` updated, as the proxy logs it.
fn described_by(call: &Call) -> String {
    let path = call
        .action
        .trim_start_matches("POST ")
        .trim_end_matches("/update-version")
        .trim_end_matches("/update")
        .trim_end_matches("/updates");
    format!("GET {path}")
}

#[test]
fn two_minors_in_one_change_run_in_order_and_read_back_at_the_target() {
    let world = World::new();
    world.write("upgrades.toml", &blueprint("1.32"));
    let run = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "first apply:\n{}", run.all());

    // Updates take time from here on, as on EKS.
    world
        .moto
        .configure(r#"{"transitionSeconds": {"cluster": 0.6, "nodegroup": 0.4, "addon": 0.3}}"#);
    // A node group held at 1.32 would stop EKS before the control plane's 1.33 → 1.34 step:
    // refused at its version, before any change.
    world.write(
        "upgrades.toml",
        &blueprint("1.34").replace(
            "name = \"general\"\n",
            "name = \"general\"\nversion = \"1.32\"\n",
        ),
    );
    refused_before_any_change(
        &world,
        &[
            "upgrades.toml:",
            "is pinned to Kubernetes 1.32",
            "(node_groups[0].version)",
        ],
    );

    world.write("upgrades.toml", &blueprint("1.34"));
    world.proxy.reset();
    let plan = world.eksforge(&["plan", "upgrades.toml"]);
    assert_eq!(plan.code, 0, "plan:\n{}", plan.all());
    let text = &plan.stdout;
    let order = [
        "control plane 1.32 → 1.33",
        "add-on coredns",
        "add-on kube-proxy",
        "node group general-",
        "control plane 1.33 → 1.34",
        "add-on kube-proxy",
        "node group general-",
    ];
    let mut from = 0;
    for step in order {
        let at = text[from..]
            .find(step)
            .unwrap_or_else(|| panic!("the plan shows {step:?} after position {from}:\n{text}"));
        from += at + step.len();
    }
    assert!(
        text.contains("Upgrade eks_cluster.main from Kubernetes 1.32 to 1.34: 7 steps"),
        "{text}"
    );
    assert_eq!(world.proxy.mutating_calls(), vec![], "plan changes nothing");

    world.proxy.reset();
    let mut args = vec!["apply", "upgrades.toml", "--auto-approve"];
    args.extend(FAST);
    let run = world.eksforge(&args);
    assert_eq!(run.code, 0, "upgrade:\n{}", run.all());
    assert!(
        run.stdout.contains("upgrade step 7/7"),
        "progress per step:\n{}",
        run.stdout
    );

    let calls = world.proxy.calls();
    let upgrades: Vec<(usize, (&str, String))> = calls
        .iter()
        .enumerate()
        .filter_map(|(index, call)| upgrade_call(call).map(|what| (index, what)))
        .collect();
    let kinds: Vec<&str> = upgrades.iter().map(|(_, (kind, _))| *kind).collect();
    assert_eq!(
        kinds,
        [
            "control plane",
            "add-on",
            "add-on",
            "node group",
            "control plane",
            "add-on",
            "node group"
        ],
        "{upgrades:?}"
    );
    let versions: Vec<&str> = upgrades
        .iter()
        .filter(|(_, (kind, _))| *kind != "add-on")
        .map(|(_, (_, version))| version.as_str())
        .collect();
    assert_eq!(versions, ["1.33", "1.33", "1.34", "1.34"]);
    // Each step starts only once the one before reads ACTIVE again.
    for pair in upgrades.windows(2) {
        let ((before, _), (after, _)) = (&pair[0], &pair[1]);
        let path = described_by(&calls[*before]);
        assert!(
            calls[*before..*after]
                .iter()
                .any(|call| call.action == path && call.reported.as_deref() == Some("ACTIVE")),
            "no {path} reporting ACTIVE between calls {before} and {after}"
        );
    }

    world.block_on(async {
        let eks = eks(&world);
        assert_eq!(
            cluster_version(&eks).await.as_deref(),
            Some("1.34"),
            "the control plane runs the target"
        );
        let offered = eks
            .describe_addon_versions()
            .kubernetes_version("1.34")
            .send()
            .await
            .expect("DescribeAddonVersions");
        for name in ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"] {
            let addon = eks
                .describe_addon()
                .cluster_name(NAME)
                .addon_name(name)
                .send()
                .await
                .expect("DescribeAddon");
            let version = addon
                .addon()
                .and_then(|addon| addon.addon_version())
                .unwrap_or_default()
                .to_string();
            let default = offered
                .addons()
                .iter()
                .filter(|info| info.addon_name() == Some(name))
                .flat_map(|info| info.addon_versions())
                .find(|v| {
                    v.compatibilities()
                        .iter()
                        .any(|c| c.cluster_version() == Some("1.34") && c.default_version())
                })
                .and_then(|v| v.addon_version())
                .unwrap_or_default()
                .to_string();
            assert_eq!(version, default, "{name} runs EKS's default for 1.34");
        }
        let groups = node_groups(&eks).await;
        assert_eq!(groups.len(), 1, "rolled, never replaced");
        let group = &groups[0];
        assert_eq!(group.version(), Some("1.34"));
        let release = aws_sdk_ssm::Client::new(world.sdk())
            .get_parameter()
            .name("/aws/service/bottlerocket/aws-k8s-1.34/x86_64/latest/image_version")
            .send()
            .await
            .expect("the public Bottlerocket parameter");
        assert_eq!(
            group.release_version(),
            release.parameter().and_then(|p| p.value()),
            "the Bottlerocket release of 1.34"
        );
    });

    world.proxy.reset();
    let again = world.eksforge(&["plan", "upgrades.toml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "a re-plan is empty:\n{}", again.all());

    // Back down a version: refused before any change, at the key.
    world.write("upgrades.toml", &blueprint("1.33"));
    refused_before_any_change(
        &world,
        &[
            "upgrades.toml:",
            "EKS cannot downgrade a cluster to 1.33",
            "cluster.version",
        ],
    );
}

/// `apply` of the blueprint as written is refused, naming each of `wanted`, with no mutating
/// call.
fn refused_before_any_change(world: &World, wanted: &[&str]) {
    world.proxy.reset();
    let refused = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(refused.code, 1, "refused:\n{}", refused.all());
    let message = support::flat(&refused.stderr);
    for wanted in wanted {
        assert!(message.contains(wanted), "{wanted}:\n{message}");
    }
    assert_eq!(world.proxy.mutating_calls(), vec![], "nothing changed");
}

/// `version = "1.34"` plus the node group, then `more` (sections after `[cluster]`).
fn at_1_34(more: &str) -> String {
    support::small_cluster(
        NAME,
        "10.70.0.0/16",
        &format!("version = \"1.34\"\n{}{more}", support::NODE_GROUP),
    )
}

const PIN: &str = "\n[addons.versions]\n\"kube-proxy\" = \"v1.33.5-eksbuild.3\"\n";
const WAIVER: &str = "\n[[waivers]]\ncheck = \"insight:Deprecated APIs in use\"\nreason = \"the FlowSchemas move to v1 with this upgrade\"\n";

#[test]
fn an_error_insight_or_a_pin_the_target_lacks_refuses_before_any_change_and_a_waiver_lets_it_through(
) {
    let world = World::new();
    world.write(
        "upgrades.toml",
        &support::small_cluster(
            NAME,
            "10.70.0.0/16",
            &format!("version = \"1.33\"\n{}{PIN}", support::NODE_GROUP),
        ),
    );
    let run = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "first apply:\n{}", run.all());
    world.moto.configure(&format!(
        r#"{{"insights": [{{"name": "Deprecated APIs in use", "clusterName": "{NAME}", "reason": "flowcontrol v1beta3 FlowSchemas are still served", "recommendation": "Move the FlowSchemas to flowcontrol.apiserver.k8s.io/v1."}}]}}"#
    ));

    // The pin kube-proxy 1.34 does not run, and the insight: both named, nothing changed.
    world.write("upgrades.toml", &at_1_34(PIN));
    world.proxy.reset();
    let refused = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(refused.code, 1, "refused:\n{}", refused.all());
    let message = support::flat(&refused.stderr);
    for wanted in [
        "upgrades.toml:",
        "kube-proxy v1.33.5-eksbuild.3 is not offered for Kubernetes 1.34",
        "(addons.versions.kube-proxy)",
        "EKS upgrade insight \"Deprecated APIs in use\" is ERROR: flowcontrol v1beta3 FlowSchemas are still served",
        "Move the FlowSchemas to flowcontrol.apiserver.k8s.io/v1.",
        "check = \"insight:Deprecated APIs in use\"",
    ] {
        assert!(message.contains(wanted), "{wanted}:\n{message}");
    }
    assert_eq!(
        world.proxy.mutating_calls(),
        vec![],
        "refused before any change"
    );

    // Without the pin and with the insight waived, the upgrade goes on and says so.
    world.write("upgrades.toml", &at_1_34(WAIVER));
    world.proxy.reset();
    let run = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "waived:\n{}", run.all());
    let text = support::flat(&run.stdout);
    for wanted in [
        "ERROR Deprecated APIs in use (1.34)",
        "waived: the FlowSchemas move to v1 with this upgrade",
        "Kubernetes 1.34: standard support until 2026-12-02, extended support until 2027-12-02.",
    ] {
        assert!(text.contains(wanted), "{wanted}:\n{text}");
    }
    world.block_on(async {
        assert_eq!(cluster_version(&eks(&world)).await.as_deref(), Some("1.34"));
    });
}

#[test]
fn upgrade_to_plans_without_writing_and_check_reports_readiness_with_its_exit_code() {
    use eksforge::blueprint::date::Date;
    use eksforge::blueprint::kubernetes_calendar;

    let world = World::new();
    world.write(
        "upgrades.toml",
        &support::small_cluster(
            NAME,
            "10.70.0.0/16",
            &format!("version = \"1.33\"\n{}", support::NODE_GROUP),
        ),
    );
    let run = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "first apply:\n{}", run.all());
    let state_before = std::fs::read(world.path("state/upgrades.json")).expect("state");

    world.proxy.reset();
    let planned = world.eksforge(&["upgrade", "upgrades.toml", "--to", "1.35"]);
    assert_eq!(planned.code, 0, "upgrade --to:\n{}", planned.all());
    let text = support::flat(&planned.stdout);
    for wanted in [
        "Upgrade eks_cluster.main from Kubernetes 1.33 to 1.35: ",
        "control plane 1.33 → 1.34",
        "control plane 1.34 → 1.35",
        "Kubernetes 1.35: standard support until 2027-03-27",
    ] {
        assert!(text.contains(wanted), "{wanted}:\n{text}");
    }
    assert_eq!(world.proxy.mutating_calls(), vec![], "nothing applied");
    assert_eq!(
        std::fs::read(world.path("state/upgrades.json")).expect("state"),
        state_before,
        "nothing written"
    );

    let checked = world.eksforge(&["upgrade", "upgrades.toml", "--check", "--within", "60d"]);
    let end = kubernetes_calendar::find("1.33")
        .expect("1.33 in the calendar")
        .end_of_standard;
    let left = end.days_since_epoch() - Date::today().days_since_epoch();
    let expected = if left <= 60 { 2 } else { 0 };
    assert_eq!(
        checked.code,
        expected,
        "upgrade --check:\n{}",
        checked.all()
    );
    let text = support::flat(&checked.stdout);
    for wanted in [
        "Cluster upgrades runs Kubernetes 1.33; the next version is 1.34.",
        "Upgrade insights (EKS):",
        "PASSING",
        "kube-proxy v1.33.5-eksbuild.3 is not offered for 1.34; an upgrade moves it to v1.34.1-eksbuild.3",
        "vpc-cni v1.20.4-eksbuild.2 runs on 1.34",
    ] {
        assert!(text.contains(wanted), "{wanted}:\n{text}");
    }
    assert_eq!(world.proxy.mutating_calls(), vec![], "--check only reads");
}

/// Runs `apply` and kills it (SIGKILL) as soon as the call log shows a call of this run that
/// `stop_at` accepts.
fn apply_killed_at(world: &World, stop_at: impl Fn(&Call) -> bool) {
    let earlier = world.proxy.calls().len();
    let mut args = vec!["apply", "upgrades.toml", "--auto-approve"];
    args.extend(FAST);
    let mut child = support::eksforge_command(&world.proxy.url(), world.dir.path())
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run eksforge");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait eksforge").is_some() {
            panic!("apply finished before it could be killed");
        }
        if world.proxy.calls().iter().skip(earlier).any(&stop_at) {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "apply never reached the call to kill it at"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn killed_inside_and_between_steps_the_next_apply_awaits_what_runs_and_sends_no_step_twice() {
    let world = World::new();
    world.write("upgrades.toml", &blueprint("1.32"));
    let run = world.eksforge(&["apply", "upgrades.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "first apply:\n{}", run.all());
    world
        .moto
        .configure(r#"{"transitionSeconds": {"cluster": 3, "nodegroup": 3, "addon": 0.3}}"#);
    world.write("upgrades.toml", &blueprint("1.34"));
    world.proxy.reset();

    // Inside the control plane's 1.33 update, then inside the node group's 1.33 update.
    apply_killed_at(&world, |call| {
        upgrade_call(call).is_some_and(|(kind, _)| kind == "control plane")
    });
    apply_killed_at(&world, |call| {
        upgrade_call(call).is_some_and(|(kind, _)| kind == "node group")
    });
    // Between steps: the node group seen ACTIVE again (its 1.33 step over), before the control
    // plane's 1.34 step starts.
    apply_killed_at(&world, |call| {
        call.action.starts_with("GET /clusters/")
            && call.action.contains("/node-groups/")
            && call.reported.as_deref() == Some("ACTIVE")
    });
    assert!(
        !world
            .proxy
            .calls()
            .iter()
            .filter_map(upgrade_call)
            .any(|(kind, version)| kind == "control plane" && version == "1.34"),
        "killed before the 1.34 step began"
    );
    let mut args = vec!["apply", "upgrades.toml", "--auto-approve"];
    args.extend(FAST);
    let run = world.eksforge(&args);
    assert_eq!(run.code, 0, "the resumed upgrade:\n{}", run.all());

    let sent: Vec<(&str, String)> = world
        .proxy
        .calls()
        .iter()
        .filter_map(upgrade_call)
        .filter(|(kind, _)| *kind != "add-on")
        .collect();
    assert_eq!(
        sent,
        [
            ("control plane", "1.33".to_string()),
            ("node group", "1.33".to_string()),
            ("control plane", "1.34".to_string()),
            ("node group", "1.34".to_string()),
        ],
        "each version update sent once"
    );
    // An add-on's update is the path (its name) and the version sent.
    let addon_updates: Vec<(String, String)> = world
        .proxy
        .calls()
        .iter()
        .filter_map(|call| match upgrade_call(call) {
            Some(("add-on", version)) => Some((call.action.clone(), version)),
            _ => None,
        })
        .collect();
    let distinct: std::collections::BTreeSet<&(String, String)> = addon_updates.iter().collect();
    assert!(!addon_updates.is_empty(), "the add-ons were upgraded");
    assert_eq!(
        distinct.len(),
        addon_updates.len(),
        "no add-on update sent twice: {addon_updates:?}"
    );
    world.block_on(async {
        let eks = eks(&world);
        assert_eq!(cluster_version(&eks).await.as_deref(), Some("1.34"));
        let groups = node_groups(&eks).await;
        assert_eq!(groups[0].version(), Some("1.34"));
    });
    let again = world.eksforge(&["plan", "upgrades.toml", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "converged:\n{}", again.all());
}
