//! The network: the VPC, public subnets behind an internet gateway (when wanted), NAT gateways,
//! and private subnets that reach the internet only through a NAT gateway.

use crate::blueprint::cidr::SubnetLayout;
use crate::blueprint::model::{NatMode, Network};
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;

/// What the cluster steps build on.
pub(super) struct NetworkIds {
    pub vpc: ResourceId,
    pub private_subnets: Vec<ResourceId>,
    /// One per private subnet: where a gateway endpoint (S3) puts its routes.
    pub private_route_tables: Vec<ResourceId>,
    pub public_subnets: Vec<ResourceId>,
}

/// One subnet and its availability zone.
struct Placed {
    az: String,
    id: ResourceId,
}

pub(super) fn add_network(
    builder: &mut Builder,
    network: &Network,
    azs: &[String],
    layout: &SubnetLayout,
) -> NetworkIds {
    let vpc = builder.add(
        Kind::Vpc,
        "main",
        [
            ("cidr_block", Value::str(network.vpc_cidr.clone())),
            ("enable_dns_support", Value::Bool(true)),
            ("enable_dns_hostnames", Value::Bool(true)),
        ],
    );
    let internet_gateway = network.public_subnets.then(|| {
        builder.add(
            Kind::InternetGateway,
            "main",
            [("vpc_id", vpc.output("id"))],
        )
    });
    let public = match &internet_gateway {
        Some(gateway) => add_public_subnets(builder, network, &vpc, gateway, azs, layout),
        None => Vec::new(),
    };
    let nat_gateways = add_nat_gateways(builder, network.nat, &public, internet_gateway.as_ref());
    let (private_subnets, private_route_tables) =
        add_private_subnets(builder, &vpc, &nat_gateways, azs, layout);
    NetworkIds {
        vpc,
        private_subnets,
        private_route_tables,
        public_subnets: public.into_iter().map(|subnet| subnet.id).collect(),
    }
}

/// One public route table with the default route to the internet gateway, and one public
/// subnet per AZ associated with it.
fn add_public_subnets(
    builder: &mut Builder,
    network: &Network,
    vpc: &ResourceId,
    internet_gateway: &ResourceId,
    azs: &[String],
    layout: &SubnetLayout,
) -> Vec<Placed> {
    let table = builder.add(Kind::RouteTable, "public", [("vpc_id", vpc.output("id"))]);
    builder.add(
        Kind::Route,
        "public.default",
        [
            ("route_table_id", table.output("id")),
            ("destination_cidr_block", Value::str("0.0.0.0/0")),
            ("gateway_id", internet_gateway.output("id")),
        ],
    );
    let mut subnets = Vec::new();
    for (az, cidr) in azs.iter().zip(&layout.public) {
        // Public subnets host NAT gateways and load balancers only: nothing launched there
        // gets a public address by accident (unless `network.map_public_ip` says so;
        // EKS-NET-005).
        let subnet = add_subnet(
            builder,
            vpc,
            Subnet {
                tier: "public",
                az,
                cidr: cidr.to_string(),
                map_public_ip: network.map_public_ip,
                load_balancer_role: "kubernetes.io/role/elb",
            },
        );
        associate(builder, &format!("public.{az}"), &subnet, &table);
        subnets.push(Placed {
            az: az.clone(),
            id: subnet,
        });
    }
    subnets
}

/// NAT gateways (each with its EIP): one per AZ, one in the first AZ, or none.
fn add_nat_gateways(
    builder: &mut Builder,
    mode: NatMode,
    public: &[Placed],
    internet_gateway: Option<&ResourceId>,
) -> Vec<Placed> {
    let hosts = match mode {
        NatMode::PerAz => public,
        NatMode::Single => &public[..public.len().min(1)],
        NatMode::None => &[],
    };
    hosts
        .iter()
        .map(|subnet| {
            let eip = builder.add(
                Kind::Eip,
                &format!("nat.{}", subnet.az),
                [("domain", Value::str("vpc"))],
            );
            // A NAT gateway needs the internet gateway attached before it can be created.
            let nat = builder.add_after(
                Kind::NatGateway,
                &subnet.az,
                [
                    ("subnet_id", subnet.id.output("id")),
                    ("allocation_id", eip.output("id")),
                    ("connectivity_type", Value::str("public")),
                ],
                internet_gateway.cloned(),
            );
            Placed {
                az: subnet.az.clone(),
                id: nat,
            }
        })
        .collect()
}

/// One private subnet and route table per AZ; the default route goes to the AZ's NAT gateway,
/// else the first one, never to the internet gateway; with no NAT gateway (`nat = "none"`) there
/// is no default route at all, and VPC endpoints serve what nodes reach. The subnets, and their
/// route tables in the same order.
fn add_private_subnets(
    builder: &mut Builder,
    vpc: &ResourceId,
    nat_gateways: &[Placed],
    azs: &[String],
    layout: &SubnetLayout,
) -> (Vec<ResourceId>, Vec<ResourceId>) {
    let mut subnets = Vec::new();
    let mut tables = Vec::new();
    for (az, cidr) in azs.iter().zip(&layout.private) {
        let subnet = add_subnet(
            builder,
            vpc,
            Subnet {
                tier: "private",
                az,
                cidr: cidr.to_string(),
                map_public_ip: false,
                load_balancer_role: "kubernetes.io/role/internal-elb",
            },
        );
        let table = builder.add(
            Kind::RouteTable,
            &format!("private.{az}"),
            [("vpc_id", vpc.output("id"))],
        );
        associate(builder, &format!("private.{az}"), &subnet, &table);
        let nat = nat_gateways
            .iter()
            .find(|nat| &nat.az == az)
            .or_else(|| nat_gateways.first());
        if let Some(nat) = nat {
            builder.add(
                Kind::Route,
                &format!("private.{az}.default"),
                [
                    ("route_table_id", table.output("id")),
                    ("destination_cidr_block", Value::str("0.0.0.0/0")),
                    ("nat_gateway_id", nat.id.output("id")),
                ],
            );
        }
        subnets.push(subnet);
        tables.push(table);
    }
    (subnets, tables)
}

/// One subnet of a tier in one AZ.
struct Subnet<'a> {
    tier: &'a str,
    az: &'a str,
    cidr: String,
    map_public_ip: bool,
    /// The tag the AWS Load Balancer Controller looks for: internet-facing or internal.
    load_balancer_role: &'a str,
}

/// `subnet.<tier>.<az>`.
fn add_subnet(builder: &mut Builder, vpc: &ResourceId, subnet: Subnet<'_>) -> ResourceId {
    builder.add_tagged(
        Kind::Subnet,
        &format!("{}.{}", subnet.tier, subnet.az),
        [
            ("vpc_id", vpc.output("id")),
            ("cidr_block", Value::str(subnet.cidr)),
            ("availability_zone", Value::str(subnet.az)),
            ("map_public_ip_on_launch", Value::Bool(subnet.map_public_ip)),
        ],
        &[(subnet.load_balancer_role, "1")],
    )
}

fn associate(builder: &mut Builder, name: &str, subnet: &ResourceId, table: &ResourceId) {
    builder.add(
        Kind::RouteTableAssociation,
        name,
        [
            ("subnet_id", subnet.output("id")),
            ("route_table_id", table.output("id")),
        ],
    );
}
