//! Faults on the wire: the project's proxy fails a share of AWS calls (throttling and server
//! errors in each protocol's own error shape), either before moto sees them (no effect) or
//! after (the answer is lost: the worst case for idempotency). An apply of the reference
//! blueprint must still converge to what an undisturbed run makes (by kind and count, read
//! through the AWS API), with an empty re-plan; a call that never succeeds ends the run naming
//! the resource, the call and the AWS error code, with finished work in state.
//!
//! moto never throttles and ignores idempotency tokens (docs/architecture.md, "Decisions"),
//! so both the faults and the "retried create meets its own first attempt" case are made
//! here, by the proxy.

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use support::cloud::{Cloud, Select};
use support::proxy::{FaultKind, Faults};
use support::World;

const NAME: &str = "hardened";
/// Scales eksforge's retry back-off and polls down (see `aws::retry`): seconds become
/// fractions, so the test measures the logic, not the pauses.
const FAST: [&str; 2] = ["--poll-max", "200ms"];

/// What the AWS API lists, by kind and count: everything the blueprint can make, found by
/// tag and also without (an untagged twin must not hide).
fn inventory(world: &World) -> BTreeMap<String, usize> {
    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        let mut counts = BTreeMap::new();
        let mut count = |name: &str, n: usize| {
            counts.insert(name.to_string(), n);
        };
        // Every VPC but the default one: a twin made by a retried CreateVpc would show here.
        let vpc_ids: Vec<String> = cloud
            .vpcs_but_the_default()
            .await
            .iter()
            .filter_map(|vpc| vpc.vpc_id().map(str::to_string))
            .collect();
        count("ec2 vpc", vpc_ids.len());
        let in_vpcs = || Select::in_vpcs(&vpc_ids);
        count("ec2 subnet", cloud.subnets(in_vpcs()).await.len());
        let tables = cloud.route_tables(in_vpcs()).await;
        count(
            "ec2 route table (non-main)",
            tables
                .iter()
                .filter(|t| !t.associations().iter().any(|a| a.main() == Some(true)))
                .count(),
        );
        count(
            "ec2 route 0.0.0.0/0",
            tables
                .iter()
                .flat_map(|t| t.routes())
                .filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                .count(),
        );
        count(
            "ec2 route table association",
            tables
                .iter()
                .flat_map(|t| t.associations())
                .filter(|a| a.main() != Some(true))
                .count(),
        );
        let everything = Select::everything;
        count(
            "ec2 internet gateway",
            cloud.internet_gateways(everything()).await.len(),
        );
        count("ec2 eip", cloud.addresses(everything()).await.len());
        count(
            "ec2 nat gateway (not deleted)",
            cloud.nat_gateways(everything()).await.len(),
        );
        count(
            "ec2 security group (non-default)",
            cloud
                .security_groups(in_vpcs())
                .await
                .iter()
                .filter(|g| g.group_name() != Some("default"))
                .count(),
        );
        let group_ids = cloud.security_group_ids(NAME).await;
        count(
            "ec2 security group rule",
            cloud.security_group_rules(&group_ids).await.len(),
        );
        let templates = cloud.ec2.describe_launch_templates().send().await.unwrap();
        count("ec2 launch template", templates.launch_templates().len());

        let clusters = cloud.cluster_names().await;
        count("eks cluster", clusters.len());
        let mut groups = 0;
        for cluster in &clusters {
            groups += cloud.node_group_names(cluster).await.len();
        }
        count("eks node group", groups);

        let roles = cloud.role_names().await;
        count("iam role", roles.len());
        let (mut attached, mut inline) = (0, 0);
        for role in &roles {
            attached += cloud.attached_policy_names(role).await.len();
            inline += cloud.inline_policy_names(role).await.len();
        }
        count("iam attached role policy", attached);
        count("iam inline role policy", inline);
        count("iam oidc provider", cloud.oidc_provider_arns().await.len());

        let keys = cloud.kms.list_keys().send().await.unwrap();
        count("kms key", keys.keys().len());
        let aliases = cloud.kms.list_aliases().send().await.unwrap();
        count(
            "kms alias (customer)",
            aliases
                .aliases()
                .iter()
                .filter(|a| !a.alias_name().unwrap_or_default().starts_with("alias/aws/"))
                .count(),
        );
        let groups = cloud.logs.describe_log_groups().send().await.unwrap();
        count("logs log group", groups.log_groups().len());
        let documents = cloud
            .ssm
            .list_documents()
            .filters(
                aws_sdk_ssm::types::DocumentKeyValuesFilter::builder()
                    .key("Owner")
                    .values("Self")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        count("ssm document (own)", documents.document_identifiers().len());
        counts
    })
}

/// An undisturbed apply of the reference blueprint: what it makes, and how long it took.
fn reference() -> (BTreeMap<String, usize>, std::time::Duration) {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let started = Instant::now();
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", FAST[0], FAST[1]]);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "reference apply:\n{}", run.all());
    let inventory = inventory(&world);
    assert_eq!(inventory["ec2 vpc"], 1, "{inventory:?}");
    assert_eq!(inventory["eks cluster"], 1, "{inventory:?}");
    (inventory, elapsed)
}

fn assert_settled(world: &World, what: &str) {
    let run = world.eksforge(&[
        "plan",
        "hardened.toml",
        "--detailed-exitcode",
        FAST[0],
        FAST[1],
    ]);
    assert_eq!(
        run.code,
        0,
        "{what}: the re-plan is not empty:\n{}",
        run.all()
    );
}

#[test]
fn an_apply_with_a_fifth_of_all_calls_failing_converges_like_an_undisturbed_one() {
    let (expected, clean) = reference();

    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    // Throttling, 500 and 503 mixed, on reads and writes alike; moto never sees a failed call.
    world.proxy.faults(Some(Faults::transient(0.2, 20_261_123)));
    let started = Instant::now();
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", FAST[0], FAST[1]]);
    let faulty = started.elapsed();
    assert_eq!(run.code, 0, "apply under faults:\n{}", run.all());
    let injected = world.proxy.faults_injected();
    let calls = world.proxy.calls();
    let by_kind = |kind: FaultKind| {
        calls
            .iter()
            .filter(|c| c.fault.is_some_and(|f| f.kind == kind))
            .count()
    };
    assert!(
        injected >= 20
            && by_kind(FaultKind::Throttle) > 0
            && by_kind(FaultKind::ServerError) > 0
            && by_kind(FaultKind::Unavailable) > 0,
        "faults of every kind were injected ({injected} of {} calls)",
        calls.len()
    );
    assert!(
        calls.iter().any(|c| c.fault.is_some() && c.is_mutating()),
        "mutating calls failed too"
    );
    eprintln!(
        "clean apply {:.1}s; with {injected} of {} calls failing: {:.1}s",
        clean.as_secs_f64(),
        calls.len(),
        faulty.as_secs_f64()
    );
    assert_eq!(
        inventory(&world),
        expected,
        "what the API lists differs from an undisturbed run"
    );
    // The re-plan is read under faults too: refresh rides them out.
    assert_settled(&world, "after the faulty apply");
    assert!(
        world.proxy.faults_injected() > injected,
        "the plan saw faults too"
    );

    // Lost answers: creates take effect in moto but the client gets a 500 or a throttle.
    // The SDK does not resend non-idempotent creates; the executor finds what was made by
    // its tags (or name) and adopts it, so no twin appears, now or on a re-run.
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    world.proxy.faults(Some(Faults {
        rate: 0.5,
        after_forwarding: true,
        kinds: vec![FaultKind::ServerError, FaultKind::Throttle],
        only: [
            "CreateVpc",
            "CreateSubnet",
            "CreateInternetGateway",
            "AllocateAddress",
            "CreateNatGateway",
            "CreateRouteTable",
            "CreateSecurityGroup",
            "CreateLaunchTemplate",
            "CreateKey",
            "CreateLogGroup",
            "CreateRole",
            "CreateOpenIDConnectProvider",
            "CreateDocument",
            "POST /clusters",
            "POST /clusters/hardened/node-groups",
        ]
        .map(str::to_string)
        .to_vec(),
        ..Faults::transient(0.0, 7)
    }));
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", FAST[0], FAST[1]]);
    let lost: Vec<String> = world
        .proxy
        .calls()
        .iter()
        .filter(|c| c.fault.is_some_and(|f| f.forwarded))
        .map(|c| c.action.clone())
        .collect();
    assert!(lost.len() >= 5, "answers were lost: {lost:?}");
    eprintln!("lost answers: {lost:?}; first apply exit {}", run.code);
    // Whether the first run finished or not, nothing was made twice, and a re-run converges.
    world.proxy.faults(None);
    if run.code != 0 {
        let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve", FAST[0], FAST[1]]);
        assert_eq!(run.code, 0, "re-run after lost answers:\n{}", run.all());
    }
    assert_eq!(
        inventory(&world),
        expected,
        "lost answers {lost:?} left twins or gaps"
    );
    assert_settled(&world, "after lost answers");
}

#[test]
fn a_call_that_never_succeeds_fails_the_run_naming_it_and_keeps_what_finished() {
    let world = World::new();
    world.copy_in("blueprints/examples/network.toml", "network.toml");
    world.proxy.faults(Some(Faults::always(
        &["CreateNatGateway"],
        FaultKind::Throttle,
    )));
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve", FAST[0], FAST[1]]);
    assert_eq!(run.code, 1, "{}", run.all());
    let message = support::flat(&run.stderr);
    assert!(
        message.contains("nat_gateway.") && message.contains("CreateNatGateway"),
        "names the resource and the call: {message}"
    );
    assert!(
        message.contains("RequestLimitExceeded"),
        "names the AWS error code: {message}"
    );
    let attempts = world
        .proxy
        .calls()
        .iter()
        .filter(|c| c.action == "CreateNatGateway")
        .count();
    assert!(
        attempts >= 8,
        "the SDK retried the throttled call: {attempts} attempts"
    );
    world.proxy.faults(None);

    // State holds what finished, and each recorded resource exists.
    let list = world.eksforge(&["state", "list", "network.toml"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let ids: Vec<&str> = list.stdout.lines().collect();
    for wanted in ["vpc.main", "internet_gateway.main", "eip.nat.eu-west-1a"] {
        assert!(ids.contains(&wanted), "{wanted} recorded: {ids:?}");
    }
    assert!(
        !ids.iter().any(|id| id.starts_with("nat_gateway.")),
        "no NAT gateway recorded: {ids:?}"
    );
    let show = world.eksforge(&["state", "show", "vpc.main", "network.toml"]);
    let record: serde_json::Value = serde_json::from_str(&show.stdout).expect("state show JSON");
    let vpc_id = record["cloud_id"].as_str().expect("a cloud id").to_string();
    let cloud = Cloud::new(world.sdk());
    let (vpcs, subnets, eips) = world.block_on(async {
        let vpcs = cloud
            .ec2
            .describe_vpcs()
            .vpc_ids(&vpc_id)
            .send()
            .await
            .expect("the recorded VPC exists");
        (
            vpcs.vpcs().len(),
            cloud.subnets(Select::in_vpcs([&vpc_id])).await.len(),
            cloud.addresses(Select::everything()).await.len(),
        )
    });
    assert_eq!(vpcs, 1);
    let recorded_subnets = ids.iter().filter(|id| id.starts_with("subnet.")).count();
    assert_eq!(subnets, recorded_subnets, "every subnet made is recorded");
    let recorded_eips = ids.iter().filter(|id| id.starts_with("eip.")).count();
    assert_eq!(eips, recorded_eips, "every address made is recorded");

    // With the fault gone, a re-run finishes the job.
    let run = world.eksforge(&["apply", "network.toml", "--auto-approve", FAST[0], FAST[1]]);
    assert_eq!(run.code, 0, "{}", run.all());
    let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.all());
}
