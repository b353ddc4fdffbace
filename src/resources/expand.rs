//! Blueprint → desired resources. Pure: the AZ names come in as a `Placement`, resolved by the
//! caller (from the blueprint or DescribeAvailabilityZones).

use std::collections::{BTreeMap, BTreeSet};

use crate::blueprint::cidr::{subnet_layout, CidrError};
use crate::blueprint::model::{Blueprint, NatMode};

use super::{Attrs, DesiredSet, Kind, Resource, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

/// Where the blueprint goes: the availability zones (in order) and the account it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub azs: Vec<String>,
    pub region: String,
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: part of every ARN.
    pub partition: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExpandError {
    #[error(transparent)]
    Cidr(#[from] CidrError),
}

/// Expands a validated blueprint into its desired resources.
pub fn expand(blueprint: &Blueprint, placement: &Placement) -> Result<DesiredSet, ExpandError> {
    let layout = subnet_layout(&blueprint.network, placement.azs.len())?;
    let mut builder = Builder {
        set: DesiredSet {
            blueprint: blueprint.blueprint.name.clone(),
            resources: BTreeMap::new(),
        },
        user_tags: blueprint.blueprint.tags.clone(),
    };
    let network = &blueprint.network;

    let vpc = builder.add(
        Kind::Vpc,
        "main",
        [
            ("cidr_block", Value::str(network.vpc_cidr.clone())),
            ("enable_dns_support", Value::Bool(true)),
            ("enable_dns_hostnames", Value::Bool(true)),
        ],
        [],
    );

    let public = network.public_subnets;
    let internet_gateway = public.then(|| {
        builder.add(
            Kind::InternetGateway,
            "main",
            [("vpc_id", vpc.output("id"))],
            [],
        )
    });

    let mut public_subnets = Vec::new();
    if let Some(internet_gateway) = &internet_gateway {
        let table = builder.add(
            Kind::RouteTable,
            "public",
            [("vpc_id", vpc.output("id"))],
            [],
        );
        builder.add(
            Kind::Route,
            "public.default",
            [
                ("route_table_id", table.output("id")),
                ("destination_cidr_block", Value::str("0.0.0.0/0")),
                ("gateway_id", internet_gateway.output("id")),
            ],
            [],
        );
        for (az, cidr) in placement.azs.iter().zip(&layout.public) {
            let subnet = builder.add_tagged(
                Kind::Subnet,
                &format!("public.{az}"),
                [
                    ("vpc_id", vpc.output("id")),
                    ("cidr_block", Value::str(cidr.to_string())),
                    ("availability_zone", Value::str(az.clone())),
                    // Public subnets host NAT gateways and load balancers only: nothing
                    // launched there gets a public address by accident (unless
                    // `network.map_public_ip` says so; EKS-NET-005).
                    (
                        "map_public_ip_on_launch",
                        Value::Bool(network.map_public_ip),
                    ),
                ],
                [("kubernetes.io/role/elb", "1")],
            );
            builder.add(
                Kind::RouteTableAssociation,
                &format!("public.{az}"),
                [
                    ("subnet_id", subnet.output("id")),
                    ("route_table_id", table.output("id")),
                ],
                [],
            );
            public_subnets.push((az.clone(), subnet));
        }
    }

    // NAT gateways: one per AZ, one in the first AZ, or none.
    let nat_azs: Vec<&(String, ResourceId)> = match network.nat {
        NatMode::PerAz => public_subnets.iter().collect(),
        NatMode::Single => public_subnets.iter().take(1).collect(),
        NatMode::None => Vec::new(),
    };
    let mut nat_gateways: Vec<(String, ResourceId)> = Vec::new();
    for (az, subnet) in nat_azs {
        let eip = builder.add(
            Kind::Eip,
            &format!("nat.{az}"),
            [("domain", Value::str("vpc"))],
            [],
        );
        let depends_on: Vec<ResourceId> = internet_gateway.iter().cloned().collect();
        let nat = builder.add(
            Kind::NatGateway,
            az,
            [
                ("subnet_id", subnet.output("id")),
                ("allocation_id", eip.output("id")),
                ("connectivity_type", Value::str("public")),
            ],
            depends_on,
        );
        nat_gateways.push((az.clone(), nat));
    }

    let mut private_subnets = Vec::new();
    for (az, cidr) in placement.azs.iter().zip(&layout.private) {
        let subnet = builder.add_tagged(
            Kind::Subnet,
            &format!("private.{az}"),
            [
                ("vpc_id", vpc.output("id")),
                ("cidr_block", Value::str(cidr.to_string())),
                ("availability_zone", Value::str(az.clone())),
                ("map_public_ip_on_launch", Value::Bool(false)),
            ],
            [("kubernetes.io/role/internal-elb", "1")],
        );
        private_subnets.push(subnet.clone());
        let table = builder.add(
            Kind::RouteTable,
            &format!("private.{az}"),
            [("vpc_id", vpc.output("id"))],
            [],
        );
        builder.add(
            Kind::RouteTableAssociation,
            &format!("private.{az}"),
            [
                ("subnet_id", subnet.output("id")),
                ("route_table_id", table.output("id")),
            ],
            [],
        );
        // Private subnets reach the internet only through a NAT gateway, never the IGW.
        let nat = nat_gateways
            .iter()
            .find(|(nat_az, _)| nat_az == az)
            .or_else(|| nat_gateways.first())
            .map(|(_, nat)| nat);
        if let Some(nat) = nat {
            builder.add(
                Kind::Route,
                &format!("private.{az}.default"),
                [
                    ("route_table_id", table.output("id")),
                    ("destination_cidr_block", Value::str("0.0.0.0/0")),
                    ("nat_gateway_id", nat.output("id")),
                ],
                [],
            );
        }
    }

    super::expand_cluster::expand_cluster(
        &mut builder,
        blueprint,
        placement,
        &vpc,
        &private_subnets,
        &public_subnets
            .iter()
            .map(|(_, subnet)| subnet.clone())
            .collect::<Vec<_>>(),
    );
    Ok(builder.set)
}

pub(super) struct Builder {
    set: DesiredSet,
    user_tags: BTreeMap<String, String>,
}

impl Builder {
    /// Adds a resource with tags (when its kind takes them) and explicit dependencies.
    pub(super) fn add_resource(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: Vec<(&str, Value)>,
        depends_on: impl IntoIterator<Item = ResourceId>,
    ) -> ResourceId {
        self.place(kind, name, attrs, &[], depends_on)
    }

    /// The one way a resource enters the set: its attributes, tags when its kind takes them,
    /// and explicit dependencies.
    fn place<'a>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: impl IntoIterator<Item = (&'a str, Value)>,
        extra_tags: &[(&str, &str)],
        depends_on: impl IntoIterator<Item = ResourceId>,
    ) -> ResourceId {
        let id = ResourceId::new(kind, name);
        let mut attrs: Attrs = attrs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        if kind_takes_tags(kind) {
            attrs.insert(
                "tags".to_string(),
                Value::Map(self.tags_for(&id, name, extra_tags)),
            );
        }
        self.set.insert(Resource {
            id: id.clone(),
            attrs,
            depends_on: depends_on.into_iter().collect(),
            managed_elsewhere: BTreeSet::new(),
        });
        id
    }

    /// Sets one attribute of a resource already placed.
    pub(super) fn set_attr(&mut self, id: &ResourceId, attribute: &str, value: Value) {
        if let Some(resource) = self.set.resources.get_mut(id) {
            resource.attrs.insert(attribute.to_string(), value);
        }
    }

    pub(super) fn managed_elsewhere(&mut self, id: &ResourceId, attribute: &str) {
        if let Some(resource) = self.set.resources.get_mut(id) {
            resource.managed_elsewhere.insert(attribute.to_string());
        }
    }

    fn tags_for(
        &self,
        id: &ResourceId,
        name: &str,
        extra_tags: &[(&str, &str)],
    ) -> BTreeMap<String, Value> {
        let mut tags: BTreeMap<String, Value> = self
            .user_tags
            .iter()
            .map(|(key, value)| (key.clone(), Value::str(value.clone())))
            .collect();
        tags.insert(
            "Name".to_string(),
            Value::str(format!("{}-{}", self.set.blueprint, name.replace('.', "-"))),
        );
        for (key, value) in extra_tags {
            tags.insert(key.to_string(), Value::str(*value));
        }
        tags.insert(
            TAG_BLUEPRINT.to_string(),
            Value::str(self.set.blueprint.clone()),
        );
        tags.insert(TAG_RESOURCE.to_string(), Value::str(id.to_string()));
        tags
    }

    fn add<const N: usize>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: [(&str, Value); N],
        depends_on: impl IntoIterator<Item = ResourceId>,
    ) -> ResourceId {
        self.place(kind, name, attrs, &[], depends_on)
    }

    fn add_tagged<const N: usize, const T: usize>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: [(&str, Value); N],
        extra_tags: [(&str, &str); T],
    ) -> ResourceId {
        self.place(kind, name, attrs, &extra_tags, [])
    }
}

/// Routes and route-table associations are not taggable EC2 resources; they are found
/// through their (tagged) route table instead.
fn kind_takes_tags(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::Route
            | Kind::RouteTableAssociation
            | Kind::IamRolePolicyAttachment
            | Kind::IamRolePolicy
    )
}
