//! What a provider declares about its kind, in one value next to its code: how each attribute
//! changes, the read call a refresh makes, the minimal sequential calls of each operation and
//! how long AWS typically makes it wait. `plan::floor`, `apply`, `plan::diff` and
//! `docs/resources.md` read these through the registry (`aws::provider`), so a new kind is its
//! provider file plus one registry line.

use crate::resources::{Attrs, Kind};

/// How the API treats a change to one attribute: the classification that decides update in
/// place versus replacement (`docs/resources.md` lists every kind's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrRule {
    /// The API cannot change it: a new value means a new resource.
    ForcesReplacement(&'static str),
    /// Changed in place by the named call.
    UpdatedBy(&'static str, &'static str),
}

impl AttrRule {
    pub fn name(&self) -> &'static str {
        match self {
            AttrRule::ForcesReplacement(name) | AttrRule::UpdatedBy(name, _) => name,
        }
    }
}

/// Minimal sequential calls of one kind, per operation: the round trips its API needs at
/// least, whatever the implementation (calls that can go at once count once; a wait on an
/// asynchronous state counts its one describe that sees it ready). The floor of an operation
/// (`plan::floor`) is the longest path through the graph weighted by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimalCalls {
    /// Refresh of a resource whose id is known (or found by the blueprint tag).
    pub read: u32,
    /// Create, until the resource is usable by its dependents.
    pub create: u32,
    /// An in-place update of one attribute.
    pub update: u32,
    /// Delete, until dependencies can be deleted.
    pub delete: u32,
}

/// One kind's declaration. Built in a `static` with the `const` methods below; what is not
/// said takes the common value (one call per operation, no wait, ordered lists, delete before
/// create, an idempotent create, found by tag).
#[derive(Debug, Clone, Copy)]
pub struct Description {
    pub kind: Kind,
    /// The read call a refresh makes for a recorded cloud id (named in errors, e.g. by
    /// `eksforge import` when the id does not exist).
    pub read_call: &'static str,
    /// Every attribute the kind knows, classified.
    pub rules: &'static [AttrRule],
    pub calls: MinimalCalls,
    /// Seconds a create typically waits on AWS before it is done (EKS's and EC2's documented
    /// and observed times): what the executor weighs, with the calls, to start the longest
    /// remaining chain first.
    pub create_wait_secs: u32,
    /// The same for a delete.
    pub delete_wait_secs: u32,
    /// List attributes whose order means nothing (subnet ids): compared as sets.
    pub unordered: &'static [&'static str],
    /// A replacement creates the successor before deleting the original (node groups:
    /// capacity never drops). The successor needs a different name, which the expansion gives.
    pub create_before_destroy: bool,
    /// The create's first call is sent once (no idempotency token, no unique name:
    /// `retry::once_ec2`), so after a transient failure the executor looks the resource up by
    /// its tags and tries again only when it is not there.
    pub create_is_not_idempotent: bool,
    /// A refresh needs the resolved attributes of desired resources to find them (kinds
    /// without tags, or found by a name, an alias or their parents' cloud ids).
    pub adopts_by_natural_key: bool,
}

impl Description {
    pub const fn new(kind: Kind, read_call: &'static str, rules: &'static [AttrRule]) -> Self {
        Description {
            kind,
            read_call,
            rules,
            calls: MinimalCalls {
                read: 1,
                create: 1,
                update: 1,
                delete: 1,
            },
            create_wait_secs: 0,
            delete_wait_secs: 0,
            unordered: &[],
            create_before_destroy: false,
            create_is_not_idempotent: false,
            adopts_by_natural_key: false,
        }
    }

    /// Minimal sequential calls to read, create, update one attribute, and delete.
    pub const fn calls(mut self, read: u32, create: u32, update: u32, delete: u32) -> Self {
        self.calls = MinimalCalls {
            read,
            create,
            update,
            delete,
        };
        self
    }

    /// Typical seconds a create and a delete wait on AWS.
    pub const fn typical_wait(mut self, create_secs: u32, delete_secs: u32) -> Self {
        self.create_wait_secs = create_secs;
        self.delete_wait_secs = delete_secs;
        self
    }

    pub const fn unordered(mut self, attributes: &'static [&'static str]) -> Self {
        self.unordered = attributes;
        self
    }

    pub const fn create_before_destroy(mut self) -> Self {
        self.create_before_destroy = true;
        self
    }

    pub const fn create_is_not_idempotent(mut self) -> Self {
        self.create_is_not_idempotent = true;
        self
    }

    pub const fn adopts_by_natural_key(mut self) -> Self {
        self.adopts_by_natural_key = true;
        self
    }

    /// The attributes of `attrs` this kind classifies (what a create or update reports back
    /// as sent, when the API's reads lag behind).
    pub fn classified(&self, attrs: &Attrs) -> Attrs {
        self.rules
            .iter()
            .filter_map(|rule| Some((rule.name().to_string(), attrs.get(rule.name())?.clone())))
            .collect()
    }

    /// The classification of one attribute; unknown attributes force replacement, the safe
    /// reading.
    pub fn rule_for(&self, attribute: &str) -> AttrRule {
        self.rules
            .iter()
            .copied()
            .find(|rule| rule.name() == attribute)
            .unwrap_or(AttrRule::ForcesReplacement("unknown"))
    }
}

/// The minimal sequential calls of `kind`, from its provider's description.
pub fn minimal_calls(kind: Kind) -> MinimalCalls {
    super::provider(kind).description().calls
}

/// How long a create (or delete) of `kind` typically waits on AWS, in seconds.
pub fn typical_wait_secs(kind: Kind, deleting: bool) -> u32 {
    let description = super::provider(kind).description();
    if deleting {
        description.delete_wait_secs
    } else {
        description.create_wait_secs
    }
}

/// The read call a refresh of `kind` makes for a recorded cloud id.
pub fn read_call(kind: Kind) -> &'static str {
    super::provider(kind).description().read_call
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures `plan::floor` and `apply` were tuned with, kept as they were when each kind
    /// declared them in one shared table.
    #[test]
    fn minimal_calls_and_waits_are_the_declared_ones() {
        let expected = |kind| match kind {
            Kind::Vpc | Kind::KmsKey | Kind::LogGroup => (1, 2, 1, 1),
            Kind::InternetGateway | Kind::EksCluster | Kind::EksNodeGroup | Kind::EksAddon => {
                (1, 2, 2, 2)
            }
            Kind::NatGateway => (1, 2, 1, 2),
            Kind::VpcEndpoint => (1, 2, 2, 2),
            Kind::LaunchTemplate | Kind::SsmDocument => (1, 1, 2, 1),
            Kind::EksAccessEntry => (1, 2, 1, 1),
            Kind::GuarddutyDetector => (2, 1, 2, 1),
            Kind::EcrRepository => (1, 2, 1, 1),
            _ => (1, 1, 1, 1),
        };
        for kind in Kind::ALL {
            let calls = minimal_calls(*kind);
            assert_eq!(
                (calls.read, calls.create, calls.update, calls.delete),
                expected(*kind),
                "{kind}"
            );
        }
        assert_eq!(typical_wait_secs(Kind::EksCluster, false), 600);
        assert_eq!(typical_wait_secs(Kind::EksCluster, true), 300);
        assert_eq!(typical_wait_secs(Kind::EksNodeGroup, false), 240);
        assert_eq!(typical_wait_secs(Kind::EksNodeGroup, true), 240);
        assert_eq!(typical_wait_secs(Kind::NatGateway, false), 90);
        assert_eq!(typical_wait_secs(Kind::NatGateway, true), 60);
        assert_eq!(typical_wait_secs(Kind::Vpc, false), 0);
        assert_eq!(
            read_call(Kind::RouteTableAssociation),
            "ec2:DescribeRouteTables"
        );
    }
}

/// Every attribute the expansion writes is classified, and every classified attribute is one
/// the expansion writes: a new attribute cannot slip past the replace-or-update decision
/// (an unclassified one would silently force replacement), and the tables hold no dead rows.
/// The reference blueprint is the input (test-only: `aws` itself never sees a blueprint).
#[cfg(test)]
mod expansion_is_classified {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::blueprint::{load_str, templates::HARDENED};
    use crate::resources::{expand, Kind, Placement};

    /// Classified attributes neither blueprint below writes, and why that is fine.
    const CLASSIFIED_BUT_NOT_WRITTEN: &[(Kind, &str, &str)] = &[(
        Kind::FlowLog,
        "log_destination",
        "written for an S3 destination only; hardened.toml logs to CloudWatch",
    )];

    /// Attributes written but deliberately left out of a kind's rules, and why. Empty today:
    /// `tags` is classified in every taggable kind, and `managed_elsewhere` names attributes
    /// (`desired_size`) that are classified too.
    const WRITTEN_BUT_UNCLASSIFIED: &[(Kind, &str, &str)] = &[];

    /// The reference blueprint with its optional parts switched on (an admin access entry, a
    /// public endpoint with CIDRs, an inline policy, a rule from a CIDR, a Pod Identity, VPC
    /// endpoints instead of NAT), so
    /// that attributes only those parts write are compared too.
    fn with_options() -> String {
        let replace = |text: String, from: &str, to: &str| {
            assert!(text.contains(from), "hardened.toml no longer has {from:?}");
            text.replacen(from, to, 1)
        };
        let text = replace(
            HARDENED.to_string(),
            "admins = []",
            r#"admins = ["arn:aws:iam::111122223333:role/PlatformAdmin"]"#,
        );
        let text = replace(
            text,
            "endpoint_public = false",
            "endpoint_public = true\npublic_access_cidrs = [\"203.0.113.0/24\"]",
        );
        let text = replace(
            text,
            "oidc_provider = true",
            r#"oidc_provider = true

[[irsa.service_accounts]]
namespace = "apps"
name = "reader"
inline_policies = { read = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}' }"#,
        );
        let text = replace(
            text,
            "nat = \"per-az\"",
            r#"nat = "none"
endpoints = ["ecr.api", "ecr.dkr", "s3", "sts", "ec2", "ssm", "ssmmessages", "ec2messages", "eks-auth"]"#,
        );
        let text = replace(
            text,
            "\n[addons]\n",
            "\n[addons]\nversions = { coredns = \"v1.12.4-eksbuild.1\" }\n",
        );
        text + r#"
[[security_rules]]
group = "node"
protocol = "tcp"
from_port = 443
to_port = 443
cidrs = ["10.0.0.0/8"]
description = "webhooks from the corporate network"

[[pod_identity]]
namespace = "apps"
service_account = "uploader"
managed_policies = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]

[registry]
scan = "enhanced"

[[registry.repositories]]
name = "team/app"
policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"ecr:BatchGetImage"}]}'
"#
    }

    fn written_by_kind() -> BTreeMap<Kind, BTreeSet<String>> {
        let mut written: BTreeMap<Kind, BTreeSet<String>> = BTreeMap::new();
        for text in [HARDENED.to_string(), with_options()] {
            for (kind, attributes) in written_by(&text) {
                written.entry(kind).or_default().extend(attributes);
            }
        }
        written
    }

    fn written_by(text: &str) -> BTreeMap<Kind, BTreeSet<String>> {
        let loaded = load_str("blueprints/hardened.toml", text, &[])
            .unwrap_or_else(|error| panic!("blueprint loads: {error:?}"));
        let placement = Placement {
            azs: vec![
                "eu-west-1a".into(),
                "eu-west-1b".into(),
                "eu-west-1c".into(),
            ],
            region: "eu-west-1".into(),
            account_id: "111122223333".into(),
            partition: "aws".into(),
        };
        let desired = expand(&loaded.model, &placement).expect("hardened expands");
        let mut written: BTreeMap<Kind, BTreeSet<String>> = BTreeMap::new();
        for resource in desired.resources.values() {
            written
                .entry(resource.id.kind())
                .or_default()
                .extend(resource.attrs.keys().cloned());
        }
        written
    }

    fn excused(list: &[(Kind, &str, &str)], kind: Kind, attribute: &str) -> bool {
        list.iter()
            .any(|(excused_kind, name, _)| *excused_kind == kind && *name == attribute)
    }

    #[test]
    fn every_written_attribute_is_classified_and_every_rule_is_written() {
        let written = written_by_kind();
        let mut problems = Vec::new();
        for kind in Kind::ALL {
            let rules: BTreeSet<&str> = super::super::provider(*kind)
                .rules()
                .iter()
                .map(|rule| rule.name())
                .collect();
            let attributes = written.get(kind).cloned().unwrap_or_default();
            for attribute in &attributes {
                if !rules.contains(attribute.as_str())
                    && !excused(WRITTEN_BUT_UNCLASSIFIED, *kind, attribute)
                {
                    problems.push(format!(
                        "{kind}: `{attribute}` is written but not classified"
                    ));
                }
            }
            for rule in &rules {
                if !attributes.contains(*rule) && !excused(CLASSIFIED_BUT_NOT_WRITTEN, *kind, rule)
                {
                    problems.push(format!("{kind}: `{rule}` is classified but never written"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
