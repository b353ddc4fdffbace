//! Each kind's minimal sequential calls: the round trips its API needs at least, whatever the
//! implementation (calls that can go at once count once; a wait on an asynchronous state counts
//! its one describe that sees it ready). The floor of an operation (`plan::floor`) is the
//! longest path through the graph weighted by these.

use crate::resources::Kind;

/// Minimal sequential calls of one kind, per operation.
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

const fn calls(read: u32, create: u32, update: u32, delete: u32) -> MinimalCalls {
    MinimalCalls {
        read,
        create,
        update,
        delete,
    }
}

/// The table, with the calls that set each figure.
pub fn minimal_calls(kind: Kind) -> MinimalCalls {
    match kind {
        // CreateVpc → ModifyVpcAttribute ×2 at once (DNS settings cannot be set at create).
        Kind::Vpc => calls(1, 2, 1, 1),
        // CreateSubnet (tags at create); map-public-ip only when asked (not by default).
        Kind::Subnet => calls(1, 1, 1, 1),
        // CreateInternetGateway → AttachInternetGateway; Detach → Delete.
        Kind::InternetGateway => calls(1, 2, 2, 2),
        Kind::Eip => calls(1, 1, 1, 1),
        // CreateNatGateway → DescribeNatGateways (available); Delete → Describe (deleted).
        Kind::NatGateway => calls(1, 2, 1, 2),
        Kind::RouteTable => calls(1, 1, 1, 1),
        Kind::Route => calls(1, 1, 1, 1),
        Kind::RouteTableAssociation => calls(1, 1, 1, 1),
        Kind::SecurityGroup => calls(1, 1, 1, 1),
        Kind::SecurityGroupRule => calls(1, 1, 1, 1),
        // CreateKey (policy, tags) → EnableKeyRotation and CreateAlias at once.
        // Delete: ScheduleKeyDeletion and DeleteAlias at once.
        Kind::KmsKey => calls(1, 2, 1, 1),
        // CreateLogGroup (KMS key, tags) → PutRetentionPolicy.
        Kind::LogGroup => calls(1, 2, 1, 1),
        // CreateRole (trust policy, tags at create).
        Kind::IamRole => calls(1, 1, 1, 1),
        Kind::IamRolePolicyAttachment => calls(1, 1, 1, 1),
        Kind::IamRolePolicy => calls(1, 1, 1, 1),
        Kind::IamOidcProvider => calls(1, 1, 1, 1),
        Kind::LaunchTemplate => calls(1, 1, 2, 1),
        // CreateCluster → DescribeCluster (ACTIVE); updates: Update → DescribeUpdate.
        Kind::EksCluster => calls(1, 2, 2, 2),
        // CreateNodegroup → DescribeNodegroup (ACTIVE); same for delete.
        Kind::EksNodeGroup => calls(1, 2, 2, 2),
        // CreateAccessEntry → AssociateAccessPolicy.
        Kind::EksAccessEntry => calls(1, 2, 1, 1),
        Kind::SsmDocument => calls(1, 1, 2, 1),
    }
}

/// How long a create (or delete) of the kind typically waits on AWS before it is done, in
/// seconds (EKS's and EC2's documented and observed times): what the executor weighs, with
/// the calls, to start the longest remaining chain first.
pub fn typical_wait_secs(kind: Kind, deleting: bool) -> u32 {
    match (kind, deleting) {
        (Kind::EksCluster, false) => 600,
        (Kind::EksCluster, true) => 300,
        (Kind::EksNodeGroup, _) => 240,
        (Kind::NatGateway, false) => 90,
        (Kind::NatGateway, true) => 60,
        _ => 0,
    }
}
