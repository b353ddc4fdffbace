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

/// The network's monthly cost before and after the plan, and the rates on top of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkCost {
    /// What exists now (recorded or found).
    pub before: NetworkBill,
    /// What exists once the plan is applied.
    pub after: NetworkBill,
    /// Data processed, USD per GB, on top.
    pub nat_per_gb_usd: f64,
    pub endpoint_per_gb_usd: f64,
    pub basis: &'static str,
}

/// The priced parts of one network and their hourly charges over a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetworkBill {
    pub nat_gateways: usize,
    pub public_ipv4_addresses: usize,
    /// Interface endpoints, and their network interfaces (one per AZ each): what is billed.
    pub interface_endpoints: usize,
    pub interface_endpoint_azs: usize,
    /// Free.
    pub gateway_endpoints: usize,
    /// Hourly charges × hours a month, USD.
    pub monthly_usd: f64,
}

/// The network before and after `plan`, priced; `None` when the plan adds, changes or removes
/// none of the priced resources (nothing to weigh).
pub fn network_cost(plan: &Plan) -> Option<NetworkCost> {
    let priced = |kind: Kind| matches!(kind, Kind::NatGateway | Kind::Eip | Kind::VpcEndpoint);
    let touched = plan
        .changes
        .iter()
        .any(|change| priced(change.id.kind()) && change.action != Action::NoOp);
    if !touched {
        return None;
    }
    let mut before = NetworkBill::default();
    let mut after = NetworkBill::default();
    for change in plan
        .changes
        .iter()
        .filter(|change| priced(change.id.kind()))
    {
        if change.action != Action::Create {
            if let Some(attrs) = change.before.as_ref().or(change.after.as_ref()) {
                before.count(change.id.kind(), attrs);
            }
        }
        if change.action != Action::Delete {
            if let Some(attrs) = &change.after {
                after.count(change.id.kind(), attrs);
            }
        }
    }
    before.price();
    after.price();
    Some(NetworkCost {
        before,
        after,
        nat_per_gb_usd: PRICES.nat_gateway_gb,
        endpoint_per_gb_usd: PRICES.interface_endpoint_gb,
        basis: PRICES.basis,
    })
}

impl NetworkBill {
    fn count(&mut self, kind: Kind, attrs: &crate::resources::Attrs) {
        match kind {
            Kind::NatGateway => self.nat_gateways += 1,
            Kind::Eip => self.public_ipv4_addresses += 1,
            Kind::VpcEndpoint => match attrs.get("subnet_ids") {
                Some(Value::List(subnets)) => {
                    self.interface_endpoints += 1;
                    self.interface_endpoint_azs += subnets.len();
                }
                _ => self.gateway_endpoints += 1,
            },
            _ => {}
        }
    }

    fn price(&mut self) {
        let hourly = self.nat_gateways as f64 * PRICES.nat_gateway_hour
            + self.public_ipv4_addresses as f64 * PRICES.public_ipv4_hour
            + self.interface_endpoint_azs as f64 * PRICES.interface_endpoint_az_hour;
        self.monthly_usd = (hourly * PRICES.hours_per_month * 100.0).round() / 100.0;
    }

    /// What is billed, e.g. "3 NAT gateways with 3 public IPv4 addresses, 8 interface
    /// endpoints in 3 AZs"; "no NAT gateway or interface endpoint" when nothing is.
    fn parts(&self) -> String {
        let mut parts = Vec::new();
        if self.nat_gateways > 0 || self.public_ipv4_addresses > 0 {
            parts.push(format!(
                "{} NAT gateway{} with {} public IPv4 address{}",
                self.nat_gateways,
                plural(self.nat_gateways, "s"),
                self.public_ipv4_addresses,
                plural(self.public_ipv4_addresses, "es"),
            ));
        }
        if self.interface_endpoints > 0 {
            parts.push(format!(
                "{} interface endpoint{} with {} network interface{} (one per AZ each)",
                self.interface_endpoints,
                plural(self.interface_endpoints, "s"),
                self.interface_endpoint_azs,
                plural(self.interface_endpoint_azs, "s"),
            ));
        }
        if self.gateway_endpoints > 0 {
            parts.push(format!(
                "{} gateway endpoint{} (free)",
                self.gateway_endpoints,
                plural(self.gateway_endpoints, "s")
            ));
        }
        if parts.is_empty() {
            "no NAT gateway or endpoint".to_string()
        } else {
            parts.join(", ")
        }
    }
}

impl NetworkCost {
    /// One line for the plan summary: the monthly charge before → after, what it is made of
    /// after, the per-GB rates that apply to what remains, and the prices' basis.
    pub fn line(&self) -> String {
        let mut rates = Vec::new();
        if self.after.nat_gateways > 0 {
            rates.push(format!("${}/GB processed through NAT", self.nat_per_gb_usd));
        }
        if self.after.interface_endpoints > 0 {
            rates.push(format!(
                "${}/GB processed through interface endpoints",
                self.endpoint_per_gb_usd
            ));
        }
        let rates = if rates.is_empty() {
            String::new()
        } else {
            format!(", plus {}", rates.join(" and "))
        };
        format!(
            "Network cost estimate: ${:.2} → ${:.2} a month ({}){rates}; {}.",
            self.before.monthly_usd,
            self.after.monthly_usd,
            self.after.parts(),
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
            upgrade: None,
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
        assert_eq!(cost.after.monthly_usd, 109.5);
        assert_eq!(cost.before, NetworkBill::default(), "nothing exists yet");
        insta::assert_snapshot!("nat_per_az", cost.line());
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
        assert_eq!(cost.after.monthly_usd, 175.2);
        assert_eq!(cost.after.gateway_endpoints, 1);
        insta::assert_snapshot!(cost.line());
    }

    /// A destroy shows what the network cost, and that it costs nothing after.
    #[test]
    fn a_destroy_prices_what_goes_away() {
        let mut nat = created(Kind::NatGateway, "a", Attrs::new());
        nat.action = Action::Delete;
        nat.before = nat.after.take();
        let mut address = created(Kind::Eip, "nat.a", Attrs::new());
        address.action = Action::Delete;
        address.before = address.after.take();
        let cost = network_cost(&plan(vec![nat, address])).expect("priced");
        assert_eq!(cost.before.monthly_usd, 36.5);
        assert_eq!(cost.after, NetworkBill::default());
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
