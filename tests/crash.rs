//! Never lose track of a resource: kill `apply` with SIGKILL right after the k-th mutating AWS
//! call reached the API (before eksforge saw the answer, so before any state write for it),
//! at points spread over the whole run; re-run `apply`; what EC2 lists (by kind and count)
//! must equal an uninterrupted run's, and a re-plan must be empty: no duplicate, no orphan.

mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::cloud::{Cloud, Select};
use support::{eksforge_command, World};

/// Counts of what EC2 lists for the blueprint, by kind.
fn inventory(world: &World) -> BTreeMap<&'static str, usize> {
    let cloud = Cloud::new(world.sdk());
    world.block_on(async {
        let vpc_ids = cloud.vpc_ids("network").await;
        let tables = cloud.route_tables("network").await;
        // Untagged things made in our VPCs (an untagged duplicate would hide from the tag queries).
        let all_subnets = cloud.subnets(Select::in_vpcs(&vpc_ids)).await.len();
        let all_tables = cloud
            .route_tables(Select::in_vpcs(&vpc_ids))
            .await
            .iter()
            .filter(|t| !t.associations().iter().any(|a| a.main() == Some(true)))
            .count();
        let routes = tables
            .iter()
            .flat_map(|t| t.routes())
            .filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .count();
        let associations = tables
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.main() != Some(true))
            .count();
        BTreeMap::from([
            ("vpc", vpc_ids.len()),
            ("subnet", cloud.subnets("network").await.len()),
            ("subnet (any, in our VPC)", all_subnets),
            ("route_table", tables.len()),
            ("route_table (any non-main, in our VPC)", all_tables),
            ("route 0.0.0.0/0", routes),
            ("route_table_association", associations),
            (
                "internet_gateway",
                cloud.internet_gateways("network").await.len(),
            ),
            ("eip", cloud.addresses("network").await.len()),
            ("nat_gateway", cloud.nat_gateways("network").await.len()),
        ])
    })
}

#[test]
fn applies_killed_at_any_point_converge_to_the_uninterrupted_result() {
    // The uninterrupted run: the reference inventory and its number of mutating calls.
    let reference = World::new();
    reference.copy_in("blueprints/examples/network.toml", "network.toml");
    let run = reference.eksforge(&["apply", "network.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let expected = inventory(&reference);
    let total = reference.proxy.mutating_calls().len();
    assert!(
        total >= 25,
        "the reference apply made {total} mutating calls"
    );
    drop(reference);

    // At least 10 kill points spread over the whole run, first and last call included.
    let points = 11;
    let kill_points: Vec<usize> = (0..points)
        .map(|i| 1 + i * (total - 1) / (points - 1))
        .collect();
    for k in kill_points {
        let world = World::new();
        world.copy_in("blueprints/examples/network.toml", "network.toml");
        world.proxy.freeze_at(k);
        let mut child = eksforge_command(&world.proxy.url(), world.dir.path())
            .args(["apply", "network.toml", "--auto-approve"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn eksforge");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !world.proxy.is_frozen() {
            assert!(
                Instant::now() < deadline,
                "kill point {k}: the run never reached its {k}th mutating call"
            );
            if let Ok(Some(status)) = child.try_wait() {
                panic!("kill point {k}: apply ended ({status}) before its {k}th mutating call");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        world.proxy.thaw();

        let run = world.eksforge(&["apply", "network.toml", "--auto-approve"]);
        assert_eq!(
            run.code,
            0,
            "kill point {k}: re-run apply failed:\n{}",
            run.all()
        );
        assert_eq!(
            inventory(&world),
            expected,
            "kill point {k}: what EC2 lists differs from an uninterrupted run\n{}",
            run.stdout
        );
        let run = world.eksforge(&["plan", "network.toml", "--detailed-exitcode"]);
        assert_eq!(
            run.code,
            0,
            "kill point {k}: not settled after the re-run:\n{}",
            run.all()
        );
    }
}
