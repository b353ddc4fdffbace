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
            Kind::InternetGateway | Kind::EksCluster | Kind::EksNodeGroup => (1, 2, 2, 2),
            Kind::NatGateway => (1, 2, 1, 2),
            Kind::LaunchTemplate | Kind::SsmDocument => (1, 1, 2, 1),
            Kind::EksAccessEntry => (1, 2, 1, 1),
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
