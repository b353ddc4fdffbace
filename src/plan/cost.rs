//! The monthly cost estimate of what the network adds: NAT gateways (with their public IPv4
//! addresses) and interface VPC endpoints, so a user choosing `nat = "per-az"`, `"single"` or
//! `"none"` sees the trade. An estimate from public list prices, never a bill: data processing
//! is priced per GB and shown as a rate, since eksforge cannot know the traffic.

use serde::Serialize;

use crate::resources::{Kind, Value};

use super::model::{Action, Plan};

/// The list prices the estimate uses, written once, with their basis.
pub struct Prices {
    /// What the prices are: region, currency, date read.
    pub basis: &'static str,
    /// Hours in the month the estimate assumes.
    pub hours_per_month: f64,
    pub nat_gateway_hour: f64,
    pub nat_gateway_gb: f64,
    /// A public IPv4 address (the NAT gateway's Elastic IP).
    pub public_ipv4_hour: f64,
    /// One interface endpoint in one AZ.
    pub interface_endpoint_az_hour: f64,
    pub interface_endpoint_gb: f64,
}

/// Amazon VPC pricing pages (NAT gateway, public IPv4 address) and AWS PrivateLink pricing
/// (interface endpoint, first PB a month), us-east-1; gateway endpoints are free.
pub const PRICES: Prices = Prices {
    basis: "us-east-1 list prices in USD as of 2026-12, 730 hours a month",
    hours_per_month: 730.0,
    nat_gateway_hour: 0.045,
    nat_gateway_gb: 0.045,
    public_ipv4_hour: 0.005,
    interface_endpoint_az_hour: 0.01,
    interface_endpoint_gb: 0.01,
};

/// What the network costs a month once the plan is applied, and what it is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkCost {
    pub nat_gateways: usize,
    pub public_ipv4_addresses: usize,
    /// Interface endpoints, and their network interfaces (one per AZ each): what is billed.
    pub interface_endpoints: usize,
    pub interface_endpoint_azs: usize,
    /// Free.
    pub gateway_endpoints: usize,
    /// Hourly charges × hours a month, USD.
    pub monthly_usd: f64,
    /// Data processed, USD per GB, on top.
    pub nat_per_gb_usd: f64,
    pub endpoint_per_gb_usd: f64,
    pub basis: &'static str,
}

/// The network after `plan`, priced; `None` when the plan adds, changes or removes none of
/// the priced resources (nothing to weigh).
pub fn network_cost(plan: &Plan) -> Option<NetworkCost> {
    let priced = |kind: Kind| matches!(kind, Kind::NatGateway | Kind::Eip | Kind::VpcEndpoint);
    let touched = plan
        .changes
        .iter()
        .any(|change| priced(change.id.kind()) && change.action != Action::NoOp);
    if !touched {
        return None;
    }
    let remaining = plan.changes.iter().filter(|change| {
        change.action != Action::Delete && priced(change.id.kind()) && change.after.is_some()
    });
    let mut cost = NetworkCost {
        nat_gateways: 0,
        public_ipv4_addresses: 0,
        interface_endpoints: 0,
        interface_endpoint_azs: 0,
        gateway_endpoints: 0,
        monthly_usd: 0.0,
        nat_per_gb_usd: PRICES.nat_gateway_gb,
        endpoint_per_gb_usd: PRICES.interface_endpoint_gb,
        basis: PRICES.basis,
    };
    for change in remaining {
        let Some(after) = &change.after else { continue };
        match change.id.kind() {
            Kind::NatGateway => cost.nat_gateways += 1,
            Kind::Eip => cost.public_ipv4_addresses += 1,
            Kind::VpcEndpoint => match after.get("subnet_ids") {
                Some(Value::List(subnets)) => {
                    cost.interface_endpoints += 1;
                    cost.interface_endpoint_azs += subnets.len();
                }
                _ => cost.gateway_endpoints += 1,
            },
            _ => {}
        }
    }
    let hourly = cost.nat_gateways as f64 * PRICES.nat_gateway_hour
        + cost.public_ipv4_addresses as f64 * PRICES.public_ipv4_hour
        + cost.interface_endpoint_azs as f64 * PRICES.interface_endpoint_az_hour;
    cost.monthly_usd = (hourly * PRICES.hours_per_month * 100.0).round() / 100.0;
    Some(cost)
}

impl NetworkCost {
    /// One line for the plan summary.
    pub fn line(&self) -> String {
        format!(
            "Network cost estimate: about ${:.2} a month ({} NAT gateway{}, {} public IPv4 address{}, {} interface endpoint{} in {} AZ placements, {} gateway endpoint{} free), plus data processed: ${}/GB through NAT, ${}/GB through endpoints ({}).",
            self.monthly_usd,
            self.nat_gateways,
            plural(self.nat_gateways, "s"),
            self.public_ipv4_addresses,
            plural(self.public_ipv4_addresses, "es"),
            self.interface_endpoints,
            plural(self.interface_endpoints, "s"),
            self.interface_endpoint_azs,
            self.gateway_endpoints,
            plural(self.gateway_endpoints, "s"),
            self.nat_per_gb_usd,
            self.endpoint_per_gb_usd,
            self.basis,
        )
    }
}

fn plural(count: usize, suffix: &'static str) -> &'static str {
    if count == 1 {
        ""
    } else {
        suffix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Change;
    use crate::resources::{Attrs, ResourceId};

    fn created(kind: Kind, name: &str, attrs: Attrs) -> Change {
        Change {
            id: ResourceId::new(kind, name),
            action: Action::Create,
            reason: None,
            cloud_id: None,
            adopted_via: None,
            outputs: Attrs::new(),
            before: None,
            after: Some(attrs),
            changed: Vec::new(),
            requires_replace: Vec::new(),
            drifted: Vec::new(),
            depends_on: Default::default(),
            existing_depends_on: Default::default(),
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            blueprint: "b".into(),
            mode: crate::plan::PlanMode::Normal,
            changes,
            gone: Vec::new(),
            notes: Vec::new(),
            posture: None,
            moved: Default::default(),
        }
    }

    fn interface(name: &str, azs: usize) -> Change {
        let subnets = (0..azs)
            .map(|i| Value::str(format!("subnet-{i}")))
            .collect();
        created(
            Kind::VpcEndpoint,
            name,
            Attrs::from([("subnet_ids".to_string(), Value::List(subnets))]),
        )
    }

    #[test]
    fn nat_per_az_against_endpoints_only() {
        let per_az = plan(
            ["a", "b", "c"]
                .iter()
                .flat_map(|az| {
                    [
                        created(Kind::NatGateway, az, Attrs::new()),
                        created(Kind::Eip, &format!("nat.{az}"), Attrs::new()),
                    ]
                })
                .collect(),
        );
        let cost = network_cost(&per_az).expect("priced");
        // 3 × (0.045 + 0.005) × 730
        assert_eq!(cost.monthly_usd, 109.5);
        let mut endpoints: Vec<Change> = [
            "ecr.api",
            "ecr.dkr",
            "sts",
            "ec2",
            "ssm",
            "ssmmessages",
            "ec2messages",
            "eks-auth",
        ]
        .iter()
        .map(|service| interface(service, 3))
        .collect();
        endpoints.push(created(Kind::VpcEndpoint, "s3", Attrs::new()));
        let cost = network_cost(&plan(endpoints)).expect("priced");
        // 8 endpoints × 3 AZs × 0.01 × 730
        assert_eq!(cost.monthly_usd, 175.2);
        assert_eq!(cost.gateway_endpoints, 1);
        insta::assert_snapshot!(cost.line());
    }

    #[test]
    fn a_plan_that_touches_no_priced_resource_shows_no_estimate() {
        assert_eq!(
            network_cost(&plan(vec![created(Kind::Vpc, "main", Attrs::new())])),
            None
        );
    }
}
