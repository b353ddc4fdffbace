//! The desired model: a blueprint expanded into named resources, each with attributes and
//! references to other resources' outputs.
//!
//! Invariant: this module knows nothing of AWS calls, TOML or the terminal. It depends only on
//! `blueprint` types.

mod expand;
mod found_via;
pub mod moved_with;
pub mod policy;
pub mod request_limits;
mod value;

pub(crate) use expand::last_path_part;
pub use expand::{default_key_alias, expand, ExpandError, Placement, KEY_ADMIN_ACTIONS};
pub use found_via::FoundVia;
pub use value::{Attrs, Ref, Value};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// Tag every resource carries: the blueprint name.
pub const TAG_BLUEPRINT: &str = "eksforge:blueprint";
/// Tag every resource carries: its id in the graph (`subnet.private.eu-west-1a`).
pub const TAG_RESOURCE: &str = "eksforge:resource";
/// `security_group` attribute: the group's ingress rules that are not this blueprint's (rule
/// id → what it admits). Desired empty on a group that must hold only eksforge's rules.
pub const UNMANAGED_INGRESS: &str = "unmanaged_ingress";

/// A resource's id in the graph: `<kind>.<name>`, e.g. `vpc.main`, `subnet.private.eu-west-1a`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceId(String);

impl TryFrom<String> for ResourceId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ResourceId::parse(&text).ok_or_else(|| {
            format!("`{text}` is not a resource id (`<kind>.<name>` of a known kind)")
        })
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> String {
        id.0
    }
}

impl ResourceId {
    pub fn new(kind: Kind, name: &str) -> Self {
        ResourceId(format!("{}.{}", kind.as_str(), name))
    }

    /// Parses a user-typed id (`state show ID`, `--target ID`).
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, name) = text.split_once('.')?;
        Kind::parse(kind)?;
        if name.is_empty() {
            return None;
        }
        Some(ResourceId(text.to_string()))
    }

    pub fn kind(&self) -> Kind {
        let prefix = self
            .0
            .split_once('.')
            .map_or(self.0.as_str(), |(kind, _)| kind);
        Kind::parse(prefix).expect("a ResourceId is always built from a known kind")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id without its kind: `private.eu-west-1a` of `subnet.private.eu-west-1a`.
    pub fn name(&self) -> &str {
        self.0.split_once('.').map_or("", |(_, name)| name)
    }

    /// A reference to one of this resource's outputs.
    pub fn output(&self, name: &str) -> Value {
        Value::reference(Ref {
            resource: self.clone(),
            output: name.to_string(),
        })
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! kinds {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// Every resource kind eksforge manages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind { $($variant),+ }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name),+ }
            }

            pub fn parse(text: &str) -> Option<Kind> {
                match text { $($name => Some(Kind::$variant),)+ _ => None }
            }
        }
    };
}

kinds! {
    Vpc => "vpc",
    Subnet => "subnet",
    InternetGateway => "internet_gateway",
    Eip => "eip",
    NatGateway => "nat_gateway",
    RouteTable => "route_table",
    Route => "route",
    RouteTableAssociation => "route_table_association",
    SecurityGroup => "security_group",
    SecurityGroupRule => "security_group_rule",
    KmsKey => "kms_key",
    LogGroup => "log_group",
    IamRole => "iam_role",
    IamRolePolicyAttachment => "iam_role_policy_attachment",
    IamRolePolicy => "iam_role_policy",
    IamOidcProvider => "iam_oidc_provider",
    LaunchTemplate => "launch_template",
    EksCluster => "eks_cluster",
    EksNodeGroup => "eks_node_group",
    EksAccessEntry => "eks_access_entry",
    EksAddon => "eks_addon",
    EksPodIdentityAssociation => "eks_pod_identity_association",
    SsmDocument => "ssm_document",
    GuarddutyDetector => "guardduty_detector",
    FlowLog => "flow_log",
    EcrRepository => "ecr_repository",
    EcrRegistryScanning => "ecr_registry_scanning",
    VpcEndpoint => "vpc_endpoint",
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One desired resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: ResourceId,
    /// Attributes as the provider for `id.kind()` understands them; may hold references.
    pub attrs: Attrs,
    /// Ordering needs that no attribute expresses (a NAT gateway needs the internet gateway
    /// attached before it can be created).
    pub depends_on: BTreeSet<ResourceId>,
    /// Attributes set at create but owned by something else afterwards (a node group's
    /// `desired_size`, moved by the cluster autoscaler): never drift, never updated.
    pub managed_elsewhere: BTreeSet<String>,
}

impl Resource {
    pub fn kind(&self) -> Kind {
        self.id.kind()
    }

    /// Every resource this one must come after: its references plus explicit `depends_on`.
    pub fn dependencies(&self) -> BTreeSet<ResourceId> {
        let mut deps = self.depends_on.clone();
        for value in self.attrs.values() {
            value.collect_refs(&mut deps);
        }
        deps
    }
}

/// The whole desired model of one blueprint, keyed (and so ordered) by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredSet {
    pub blueprint: String,
    pub resources: BTreeMap<ResourceId, Resource>,
}

impl DesiredSet {
    pub fn insert(&mut self, resource: Resource) {
        self.resources.insert(resource.id.clone(), resource);
    }

    pub fn get(&self, id: &ResourceId) -> Option<&Resource> {
        self.resources.get(id)
    }
}
