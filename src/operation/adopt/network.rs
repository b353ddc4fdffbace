//! `[network]` from the VPC: its CIDR, one private and one public subnet per zone, the NAT
//! layout; and the cloud id of each network resource the blueprint makes.

use std::collections::{BTreeMap, BTreeSet};

use toml::Value as Toml;

use super::draft::{strings, Draft, Known};
use crate::aws::observe::{InventorySubnet, VpcInventory};
use crate::resources::last_path_part;

/// The subnets the cluster and its node groups use: the private ones are the blueprint's
/// private subnets.
pub(super) fn add_network(draft: &mut Draft, inventory: &VpcInventory, used: &BTreeSet<String>) {
    let gateway = inventory.internet_gateway.as_deref();
    let table_of = |subnet: &str| {
        inventory
            .route_tables
            .iter()
            .find(|table| table.associations.iter().any(|(_, id)| id == subnet))
            .or_else(|| inventory.route_tables.iter().find(|table| table.main))
    };
    let is_public = |subnet: &InventorySubnet| {
        gateway.is_some()
            && table_of(&subnet.id).and_then(|table| table.default_route_target.as_deref())
                == gateway
    };
    // One subnet of each tier per zone: the ones the cluster uses first, then the lowest CIDR.
    let mut private: BTreeMap<&str, &InventorySubnet> = BTreeMap::new();
    let mut public: BTreeMap<&str, &InventorySubnet> = BTreeMap::new();
    let mut sorted: Vec<&InventorySubnet> = inventory.subnets.iter().collect();
    sorted.sort_by_key(|subnet| (!used.contains(&subnet.id), subnet.cidr.clone()));
    for subnet in &sorted {
        let tier = if is_public(subnet) {
            &mut public
        } else if used.contains(&subnet.id) {
            &mut private
        } else {
            continue;
        };
        tier.entry(subnet.availability_zone.as_str())
            .or_insert(subnet);
    }
    let azs: Vec<String> = private.keys().map(|az| az.to_string()).collect();
    for subnet in &inventory.subnets {
        let kept = private
            .values()
            .chain(public.values())
            .any(|kept| kept.id == subnet.id);
        if !kept {
            draft.report.left_alone.push(format!(
                "subnet {} ({}, {}): not one of the cluster's private subnets or their zones' public subnet",
                subnet.id, subnet.cidr, subnet.availability_zone
            ));
        }
    }

    let network = draft.section("network");
    network.insert("vpc_cidr".into(), Toml::String(inventory.cidr.clone()));
    network.insert("azs".into(), strings(&azs));
    let private_cidrs: Vec<String> = private.values().map(|subnet| subnet.cidr.clone()).collect();
    network.insert("private_subnet_cidrs".into(), strings(&private_cidrs));
    let has_public = azs.iter().all(|az| public.contains_key(az.as_str())) && !public.is_empty();
    network.insert("public_subnets".into(), Toml::Boolean(has_public));
    if has_public {
        let public_cidrs: Vec<String> = azs
            .iter()
            .filter_map(|az| public.get(az.as_str()))
            .map(|subnet| subnet.cidr.clone())
            .collect();
        network.insert("public_subnet_cidrs".into(), strings(&public_cidrs));
        let map_public_ip = public.values().any(|subnet| subnet.map_public_ip_on_launch);
        network.insert("map_public_ip".into(), Toml::Boolean(map_public_ip));
    }
    // NAT gateways in the zones' public subnets: one per zone, one in the first, or none.
    let nat_in = |az: &str| {
        let subnet = public.get(az)?;
        inventory
            .nat_gateways
            .iter()
            .find(|nat| nat.subnet_id == subnet.id)
    };
    let per_zone: Vec<_> = azs.iter().filter_map(|az| nat_in(az)).collect();
    let nat = match per_zone.len() {
        0 => "none",
        n if n == azs.len() && n > 1 => "per-az",
        _ => "single",
    };
    network.insert("nat".into(), Toml::String(nat.into()));
    // A flow log of all traffic to CloudWatch Logs is the blueprint's; others are left alone.
    let flow_log = inventory.flow_logs.iter().find(|log| {
        log.destination_type == "cloud-watch-logs"
            && log.traffic_type == "ALL"
            && log.log_group_name.is_some()
            && log.role_arn.is_some()
    });
    network.insert("flow_logs".into(), Toml::Boolean(flow_log.is_some()));
    if nat == "single" && nat_in(&azs[0]).is_none() {
        draft.report.differs.push(format!(
            "the NAT gateway is not in the first zone's public subnet ({}): eksforge keeps a single NAT gateway there",
            azs[0]
        ));
    }

    // The cloud ids, under the blueprint's ids.
    draft.know("vpc.main", Known::ec2(&inventory.vpc_id));
    if let Some(gateway) = gateway.filter(|_| has_public) {
        draft.know("internet_gateway.main", Known::ec2(gateway));
    }
    for (az, subnet) in &private {
        draft.know(&format!("subnet.private.{az}"), Known::ec2(&subnet.id));
        let table = table_of(&subnet.id).filter(|table| !table.main);
        // eksforge keeps one private route table per zone: a table shared by several zones'
        // subnets is one of them at most.
        let shared = table.is_some_and(|table| {
            private
                .values()
                .filter(|other| table.associations.iter().any(|(_, id)| *id == other.id))
                .count()
                > 1
        });
        match table {
            Some(table) if !shared => {
                draft.know(&format!("route_table.private.{az}"), Known::ec2(&table.id))
            }
            Some(table) => draft.report.differs.push(format!(
                "route table {} serves the private subnets of several zones: the first plan gives {az} a route table of its own and moves its subnet to it",
                table.id
            )),
            None => {}
        }
    }
    for (az, subnet) in public.iter().filter(|_| has_public) {
        draft.know(&format!("subnet.public.{az}"), Known::ec2(&subnet.id));
        if let Some(table) = table_of(&subnet.id).filter(|table| !table.main) {
            draft.know("route_table.public", Known::ec2(&table.id));
        }
    }
    for az in &azs {
        if let Some(nat) = nat_in(az) {
            draft.know(&format!("nat_gateway.{az}"), Known::ec2(&nat.id));
            if let Some(allocation) = &nat.allocation_id {
                draft.know(&format!("eip.nat.{az}"), Known::ec2(allocation));
            }
        }
    }
    let extra_nats = inventory.nat_gateways.len().saturating_sub(per_zone.len());
    if extra_nats > 0 {
        draft.report.left_alone.push(format!(
            "{extra_nats} NAT gateway(s) outside the zones' public subnets"
        ));
    }
    if let Some(log) = flow_log {
        draft.know("flow_log.vpc", Known::ec2(&log.id));
        if let Some(group) = &log.log_group_name {
            draft.know("log_group.flow_logs", Known::named(group, None));
        }
        if let Some(role) = &log.role_arn {
            draft.know(
                "iam_role.flow_logs",
                Known::named(last_path_part(role), Some(role)),
            );
        }
    }
    for other in inventory
        .flow_logs
        .iter()
        .filter(|log| Some(&log.id) != flow_log.map(|log| &log.id))
    {
        draft.report.left_alone.push(format!(
            "flow log {} on the VPC ({}, {} traffic): not adopted; eksforge's is of all traffic to CloudWatch Logs",
            other.id, other.destination_type, other.traffic_type
        ));
    }
    for (endpoint, service) in &inventory.endpoints {
        draft.report.left_alone.push(format!(
            "VPC endpoint {endpoint} ({service}): not adopted (`network.endpoints` makes eksforge's own)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::observe::{InventoryNat, InventoryRouteTable};

    fn subnet(id: &str, az: &str, cidr: &str) -> InventorySubnet {
        InventorySubnet {
            id: id.into(),
            availability_zone: az.into(),
            cidr: cidr.into(),
            map_public_ip_on_launch: false,
        }
    }

    fn table(id: &str, subnets: &[&str], target: Option<&str>) -> InventoryRouteTable {
        InventoryRouteTable {
            id: id.into(),
            main: false,
            associations: subnets
                .iter()
                .map(|subnet| (format!("rtbassoc-{subnet}"), subnet.to_string()))
                .collect(),
            default_route_target: target.map(str::to_string),
        }
    }

    fn nat(id: &str, subnet: &str) -> InventoryNat {
        InventoryNat {
            id: id.into(),
            subnet_id: subnet.into(),
            allocation_id: Some(format!("eipalloc-{id}")),
        }
    }

    /// Two zones, a public and a private subnet in each, an extra database subnet, one NAT
    /// gateway in the first zone: eksctl's default shape.
    fn inventory(
        nats: Vec<InventoryNat>,
        private_tables: Vec<InventoryRouteTable>,
    ) -> VpcInventory {
        let mut route_tables = vec![table("rtb-pub", &["pub-a", "pub-b"], Some("igw-1"))];
        route_tables.extend(private_tables);
        VpcInventory {
            vpc_id: "vpc-1".into(),
            cidr: "192.168.0.0/16".into(),
            subnets: vec![
                subnet("pub-b", "eu-west-1b", "192.168.32.0/19"),
                subnet("pub-a", "eu-west-1a", "192.168.0.0/19"),
                subnet("priv-a", "eu-west-1a", "192.168.64.0/19"),
                subnet("priv-b", "eu-west-1b", "192.168.96.0/19"),
                subnet("db-a", "eu-west-1a", "192.168.128.0/24"),
            ],
            internet_gateway: Some("igw-1".into()),
            nat_gateways: nats,
            route_tables,
            ..VpcInventory::default()
        }
    }

    fn adopted(inventory: &VpcInventory) -> Draft {
        let mut draft = Draft::default();
        let used = ["priv-a", "priv-b"].iter().map(|s| s.to_string()).collect();
        add_network(&mut draft, inventory, &used);
        draft
    }

    fn key(draft: &Draft, key: &str) -> String {
        draft.root["network"][key].to_string()
    }

    fn cloud_id(draft: &Draft, id: &str) -> Option<String> {
        let id = crate::resources::ResourceId::parse(id)?;
        draft.known.get(&id).map(|known| known.cloud_id.clone())
    }

    #[test]
    fn subnets_are_private_when_the_cluster_uses_them_and_public_when_routed_to_the_gateway() {
        let draft = adopted(&inventory(
            vec![nat("nat-a", "pub-a")],
            vec![
                table("rtb-a", &["priv-a"], Some("nat-a")),
                table("rtb-b", &["priv-b"], Some("nat-a")),
            ],
        ));
        assert_eq!(key(&draft, "azs"), r#"["eu-west-1a", "eu-west-1b"]"#);
        assert_eq!(
            key(&draft, "private_subnet_cidrs"),
            r#"["192.168.64.0/19", "192.168.96.0/19"]"#
        );
        assert_eq!(
            key(&draft, "public_subnet_cidrs"),
            r#"["192.168.0.0/19", "192.168.32.0/19"]"#
        );
        assert_eq!(key(&draft, "nat"), r#""single""#);
        assert_eq!(
            cloud_id(&draft, "subnet.private.eu-west-1b").as_deref(),
            Some("priv-b")
        );
        assert_eq!(
            cloud_id(&draft, "subnet.public.eu-west-1a").as_deref(),
            Some("pub-a")
        );
        assert_eq!(
            cloud_id(&draft, "nat_gateway.eu-west-1a").as_deref(),
            Some("nat-a")
        );
        assert_eq!(
            cloud_id(&draft, "eip.nat.eu-west-1a").as_deref(),
            Some("eipalloc-nat-a")
        );
        assert_eq!(
            cloud_id(&draft, "route_table.private.eu-west-1b").as_deref(),
            Some("rtb-b")
        );
        assert_eq!(
            cloud_id(&draft, "route_table.public").as_deref(),
            Some("rtb-pub")
        );
        assert!(
            draft
                .report
                .left_alone
                .iter()
                .any(|line| line.contains("db-a")),
            "{:?}",
            draft.report
        );
        assert!(draft.report.differs.is_empty(), "{:?}", draft.report);
    }

    #[test]
    fn nat_layouts_and_a_shared_private_table_are_named() {
        let per_az = adopted(&inventory(
            vec![nat("nat-a", "pub-a"), nat("nat-b", "pub-b")],
            vec![],
        ));
        assert_eq!(key(&per_az, "nat"), r#""per-az""#);
        let none = adopted(&inventory(vec![], vec![]));
        assert_eq!(key(&none, "nat"), r#""none""#);
        // One NAT gateway, but in the second zone: eksforge keeps it in the first.
        let second = adopted(&inventory(vec![nat("nat-b", "pub-b")], vec![]));
        assert_eq!(key(&second, "nat"), r#""single""#);
        assert!(second
            .report
            .differs
            .iter()
            .any(|line| line.contains("first zone")));
        // Terraform's single-NAT layout: one private table for both zones.
        let shared = adopted(&inventory(
            vec![nat("nat-a", "pub-a")],
            vec![table("rtb-priv", &["priv-a", "priv-b"], Some("nat-a"))],
        ));
        assert_eq!(cloud_id(&shared, "route_table.private.eu-west-1a"), None);
        assert!(shared
            .report
            .differs
            .iter()
            .any(|line| line.contains("rtb-priv serves the private subnets of several zones")));
    }
}
