//! The live posture reader against moto: the hardened cluster eksforge makes reads back with
//! its secure values, and a missing cluster is a clear error.
//!
//! moto limits (each read as `Fact::Unknown`, never as a pass): no `accessConfig` in
//! DescribeCluster, no access-entry or add-on APIs.

mod support;

use eksforge::audit::live;
use eksforge::audit::view::{Date, Fact};
use eksforge::aws::{Aws, WaitConfig};
use support::World;

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

#[test]
fn the_hardened_cluster_reads_back_secure() {
    let world = World::new();
    world.copy_in("blueprints/hardened.toml", "hardened.toml");
    let run = world.eksforge(&["apply", "hardened.toml", "--auto-approve"]);
    assert_eq!(run.code, 0, "apply:\n{}", run.all());
    let aws = Aws::from_sdk_config(world.sdk(), WaitConfig::default());

    let posture = world
        .block_on(live::posture(&aws, "hardened", TODAY))
        .expect("the cluster is readable");
    let cluster = posture.cluster.as_ref().expect("a cluster view");
    assert_eq!(cluster.name, "hardened");
    assert!(cluster.endpoint_private, "{cluster:?}");
    assert!(
        !cluster.endpoint_public || !cluster.public_access_cidrs.iter().any(|c| c == "0.0.0.0/0"),
        "{cluster:?}"
    );
    assert!(!cluster.log_types.is_empty(), "control-plane logs enabled");
    assert!(cluster.secrets_key.is_some(), "secrets envelope-encrypted");

    let key = posture
        .secrets_key
        .as_ref()
        .expect("the secrets key is read");
    assert_eq!(key.rotation, Fact::Known(true));
    assert_eq!(key.customer_managed, Fact::Known(true));

    assert!(!posture.node_groups.is_empty());
    for group in &posture.node_groups {
        assert!(group.ami_type.starts_with("BOTTLEROCKET"), "{group:?}");
        let launch = group.launch.known().expect("the launch template is read");
        assert_eq!(
            launch.http_tokens.as_deref(),
            Some("required"),
            "{launch:?}"
        );
        assert_eq!(launch.hop_limit, Some(1), "{launch:?}");
        assert!(!launch.public_ip);
    }
    let network = posture.network.as_ref().expect("the VPC is read");
    for subnet in posture
        .node_groups
        .iter()
        .flat_map(|group| group.subnets.iter())
    {
        let subnet = posture.subnet(subnet).expect("node subnets are described");
        assert_eq!(subnet.internet_route, None, "{subnet:?}");
        assert!(!subnet.map_public_ip_on_launch, "{subnet:?}");
    }
    assert!(!network.subnets.is_empty());
    assert!(posture
        .roles
        .iter()
        .any(|role| role.uses == eksforge::audit::view::RoleUse::Cluster));

    // What moto cannot show is unknown with a reason, never a pass.
    assert!(
        posture.addons.why_unknown().is_some(),
        "{:?}",
        posture.addons
    );
}

#[test]
fn a_missing_cluster_is_a_clear_error() {
    let world = World::new();
    let aws = Aws::from_sdk_config(world.sdk(), WaitConfig::default());
    let error = world
        .block_on(live::posture(&aws, "nope", TODAY))
        .expect_err("no such cluster");
    assert!(error.to_string().contains("no cluster nope in"), "{error}");
    assert!(error.to_string().contains("eks:DescribeCluster"), "{error}");
}
