//! A cluster made the way a team makes one by hand, with eksctl or in the console: straight
//! through the AWS SDK clients, with none of eksforge's providers, plan or apply. What
//! `eksforge adopt --cluster legacy` is tested on.
//!
//! Its shape is exactly what eksforge's expansion of [`BLUEPRINT`] makes: the blueprint is
//! loaded and expanded with the library, and every resource of the desired set is made with
//! raw calls, every attribute taken from the desired resource (CIDRs, zones, trust and key
//! policies, launch template data with its user data, rules, sizes, add-on settings). Only
//! what a blueprint may keep as found on an adopted resource is foreign: names, descriptions
//! and tags, eksctl/console style, with no `eksforge:` tag anywhere ([`Foreign`]). Names that
//! something else fixes stay as the expansion says: the cluster (the blueprint name), the node
//! group, the launch template, the KMS alias, the log group (EKS names it after the cluster)
//! and the inline policy (the blueprint key names it).
//!
//! The desired resources are made in dependency order, each once everything it refers to
//! exists; references (`vpc.main.id`) resolve to what the calls returned. Every attribute of
//! a desired resource must be read by the code that makes it, so an expansion that grows an
//! attribute fails here instead of making a cluster that no longer matches.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, ConnectivityType, DomainType, IpPermission, IpRange,
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateTagSpecificationRequest,
    NatGatewayState, RequestLaunchTemplateData, ResourceType, TagSpecification, UserIdGroupPair,
    VolumeType,
};
use aws_sdk_eks::types::{
    AddonStatus, AmiTypes, CapacityTypes, ClusterStatus, CreateAccessConfigRequest,
    EncryptionConfig, LaunchTemplateSpecification, LogSetup, LogType, Logging,
    NodegroupScalingConfig, NodegroupStatus, NodegroupUpdateConfig, Provider as KeyProvider,
    ResolveConflicts, SupportType, Taint, TaintEffect, UpgradePolicyRequest, VpcConfigRequest,
};
use eksforge::resources::{DesiredSet, Kind, Ref, Resource, ResourceId, Value};

/// The blueprint the cluster corresponds to, from the repository root.
pub const BLUEPRINT: &str = "tests/fixtures/adopt/legacy.toml";

/// The cluster's name: the blueprint's name, as eksforge names the cluster.
pub const CLUSTER: &str = "legacy";

/// Tags every foreign resource carries besides its `Name` (and, on subnets, the
/// `kubernetes.io/role/...` tags load balancers need, which every tool sets).
pub const FOREIGN_TAGS: [(&str, &str); 2] = [("owner", "platform"), ("made-by", "console")];

/// What was put in place of eksforge's own name, description and tags on one resource. A
/// `None` name or description: the kind has none, or the expansion's is kept (see the
/// module's comment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Foreign {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// A launch template's tags for the instances and volumes it launches.
    pub instance_tags: BTreeMap<String, String>,
}

/// What [`make`] made: the cloud ids and names, and what was foreign about each resource.
#[derive(Debug, Clone)]
pub struct ForeignCluster {
    pub cluster_name: String,
    pub vpc_id: String,
    /// AZ → subnet id.
    pub private_subnets: BTreeMap<String, String>,
    pub public_subnets: BTreeMap<String, String>,
    pub internet_gateway_id: String,
    /// AZ → NAT gateway id (one with `nat = "single"`).
    pub nat_gateway_ids: BTreeMap<String, String>,
    /// AZ → allocation id of the NAT gateway's address.
    pub nat_allocation_ids: BTreeMap<String, String>,
    pub cluster_security_group_id: String,
    pub node_security_group_id: String,
    pub cluster_role_name: String,
    pub node_role_name: String,
    /// `namespace/name` of the service account (also the CNI's `kube-system/aws-node`) → role.
    pub irsa_role_names: BTreeMap<String, String>,
    pub key_id: String,
    pub key_arn: String,
    pub key_alias: String,
    pub log_group_name: String,
    pub launch_template_id: String,
    pub launch_template_name: String,
    pub node_group_name: String,
    pub oidc_provider_arn: String,
    pub addons: Vec<String>,
    /// Every resource id of the expansion → the id AWS gave it (VPC id, rule id, role name,
    /// ARN; a route as `<route table id>|<destination>`, an attachment or inline policy as
    /// `<role>|<policy>`).
    pub ids: BTreeMap<String, String>,
    /// The resource ids in the order they were made (each after everything it refers to).
    pub order: Vec<String>,
    /// Resource id (`iam_role.cluster`) → the foreign name, description and tags it got
    /// instead of eksforge's. Resources with none of the three are not listed.
    pub foreign_names: BTreeMap<String, Foreign>,
    /// eksforge's expansion of [`BLUEPRINT`] the cluster was made from.
    pub desired: DesiredSet,
}

/// The SDK clients the cluster is made with.
struct Clients {
    ec2: aws_sdk_ec2::Client,
    eks: aws_sdk_eks::Client,
    iam: aws_sdk_iam::Client,
    kms: aws_sdk_kms::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

/// Makes the whole cluster of [`BLUEPRINT`] against the endpoint of `sdk`; every EKS resource
/// is ACTIVE (and the NAT gateway available) when this returns.
pub async fn make(sdk: &aws_config::SdkConfig) -> ForeignCluster {
    let clients = Clients {
        ec2: aws_sdk_ec2::Client::new(sdk),
        eks: aws_sdk_eks::Client::new(sdk),
        iam: aws_sdk_iam::Client::new(sdk),
        kms: aws_sdk_kms::Client::new(sdk),
        logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
    };
    let desired = desired(sdk).await;
    let mut outputs: HashMap<ResourceId, BTreeMap<String, Value>> = HashMap::new();
    let mut ids = BTreeMap::new();
    let mut foreign_names = BTreeMap::new();
    let mut order = Vec::new();
    let mut pending: Vec<&Resource> = desired.resources.values().collect();
    // Kind order first (the network before the cluster), then whatever is ready.
    pending.sort_by_key(|resource| {
        let rank = Kind::ALL.iter().position(|kind| *kind == resource.kind());
        (rank, resource.id.clone())
    });
    while !pending.is_empty() {
        let ready = pending.iter().position(|resource| {
            resource
                .dependencies()
                .iter()
                .all(|dependency| outputs.contains_key(dependency))
        });
        let Some(index) = ready else {
            let left: Vec<String> = pending.iter().map(|r| r.id.to_string()).collect();
            panic!("foreign cluster: nothing left can be made (a cycle?): {left:?}");
        };
        let resource = pending.remove(index);
        let foreign = foreign_for(resource);
        let attrs = with_foreign(resource, &foreign, &outputs);
        let made = make_one(&clients, &resource.id, attrs).await;
        if foreign != Foreign::default() {
            foreign_names.insert(resource.id.to_string(), foreign);
        }
        ids.insert(resource.id.to_string(), made.id);
        order.push(resource.id.to_string());
        outputs.insert(resource.id.clone(), made.outputs);
    }
    let key_arn = outputs
        .iter()
        .find(|(id, _)| id.kind() == Kind::KmsKey)
        .and_then(|(_, outputs)| outputs.get("arn"))
        .and_then(Value::as_str)
        .expect("the key's ARN")
        .to_string();
    summarise(desired, ids, order, foreign_names, key_arn)
}

/// eksforge's expansion of [`BLUEPRINT`] where the region places it: the zones and account
/// eksforge's own placement reads (DescribeAvailabilityZones, GetCallerIdentity), so the
/// cluster lands in the zones a plan of the blueprint expects.
async fn desired(sdk: &aws_config::SdkConfig) -> DesiredSet {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BLUEPRINT);
    let loaded = eksforge::blueprint::load(&path, &[])
        .unwrap_or_else(|error| panic!("load {BLUEPRINT}: {error:?}"));
    let aws = eksforge::aws::Aws::from_sdk_config(sdk, eksforge::aws::WaitConfig::default());
    let placement = eksforge::operation::placement(&aws, &loaded)
        .await
        .unwrap_or_else(|error| panic!("place {BLUEPRINT}: {error}"));
    eksforge::resources::expand(&loaded.model, &placement)
        .unwrap_or_else(|error| panic!("expand {BLUEPRINT}: {error}"))
}

// What is foreign.

/// The name, description and tags a team's tools would have given `resource`.
fn foreign_for(resource: &Resource) -> Foreign {
    let id = &resource.id;
    let name = id.name();
    let has = |attribute: &str| resource.attrs.contains_key(attribute);
    let (tag_name, new_name, description): (String, Option<String>, Option<String>) =
        match id.kind() {
            Kind::Vpc => ("legacy/VPC".into(), None, None),
            Kind::Subnet => {
                let (tier, zone) = name.split_once('.').unwrap_or((name, ""));
                let tier = if tier == "private" {
                    "Private"
                } else {
                    "Public"
                };
                (
                    format!("legacy/Subnet{tier}{}", zone_suffix(zone)),
                    None,
                    None,
                )
            }
            Kind::InternetGateway => ("legacy/InternetGateway".into(), None, None),
            Kind::Eip => ("legacy/NATIP".into(), None, None),
            Kind::NatGateway => ("legacy/NATGateway".into(), None, None),
            Kind::RouteTable => match name.split_once('.') {
                Some((_, zone)) => (
                    format!("legacy/PrivateRouteTable{}", zone_suffix(zone)),
                    None,
                    None,
                ),
                None => ("legacy/PublicRouteTable".into(), None, None),
            },
            Kind::SecurityGroup if name == "cluster" => (
                "legacy/ControlPlaneSecurityGroup".into(),
                Some(format!("legacy-ControlPlaneSecurityGroup-{}", suffix(id))),
                Some("Communication between the control plane and worker nodegroups".into()),
            ),
            Kind::SecurityGroup => (
                format!("legacy/ClusterShared{}SecurityGroup", capitalise(name)),
                Some(format!(
                    "legacy-ClusterSharedNodeSecurityGroup-{}",
                    suffix(id)
                )),
                Some("Communication between all nodes in the cluster".into()),
            ),
            Kind::SecurityGroupRule => {
                let description = match name {
                    "cluster.from_nodes_443" => "Allow worker nodes to reach the Kubernetes API",
                    "node.from_cluster_10250" => "Allow the control plane to reach kubelets",
                    "node.from_cluster_443" => "Allow the control plane to reach webhooks",
                    "node.from_nodes_all" => "Allow nodes to communicate with each other",
                    _ => "Added by hand",
                };
                (format!("legacy/{name}"), None, Some(description.into()))
            }
            Kind::KmsKey => (
                "legacy-secrets-key".into(),
                None,
                Some("Envelope encryption of the legacy cluster's secrets".into()),
            ),
            Kind::LogGroup => ("legacy-control-plane-logs".into(), None, None),
            Kind::IamRole => {
                let (role_name, description) = match name {
                    "cluster" => (
                        format!("legacy-cluster-ServiceRole-{}", suffix(id)),
                        "Allows access to other AWS service resources that are required to \
                         operate clusters managed by EKS."
                            .to_string(),
                    ),
                    "node" => (
                        format!("legacy-nodegroup-workers-NodeInstanceRole-{}", suffix(id)),
                        "Allows EC2 instances to call AWS services on your behalf.".to_string(),
                    ),
                    other => {
                        let account = other.strip_prefix("irsa.").unwrap_or(other);
                        (
                            format!(
                                "legacy-sa-{}-Role1-{}",
                                account.replace('.', "-"),
                                suffix(id)
                            ),
                            format!(
                                "Role of the service account {}",
                                account.replacen('.', "/", 1)
                            ),
                        )
                    }
                };
                (role_name.clone(), Some(role_name), Some(description))
            }
            Kind::IamOidcProvider => ("legacy-oidc".into(), None, None),
            Kind::LaunchTemplate => (format!("legacy-{name}-template"), None, None),
            Kind::EksCluster => (CLUSTER.into(), None, None),
            Kind::EksNodeGroup => (format!("legacy-ng-{name}"), None, None),
            Kind::EksAddon => (format!("legacy-addon-{name}"), None, None),
            _ => (String::new(), None, None),
        };
    let tags = if has("tags") {
        let mut tags = foreign_tags(&tag_name);
        // The load balancer role tags are functional, and every tool sets them.
        if let Some(Value::Map(desired)) = resource.attrs.get("tags") {
            for (key, value) in desired {
                if let (true, Some(value)) = (key.starts_with("kubernetes.io/"), value.as_str()) {
                    tags.insert(key.clone(), value.to_string());
                }
            }
        }
        tags
    } else {
        BTreeMap::new()
    };
    let instance_tags = if has("instance_tags") {
        foreign_tags(&format!("legacy-{name}-Node"))
    } else {
        BTreeMap::new()
    };
    Foreign {
        name: new_name.filter(|_| has("name")),
        description: description.filter(|_| has("description")),
        tags,
        instance_tags,
    }
}

fn foreign_tags(name: &str) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = FOREIGN_TAGS
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    tags.insert("Name".into(), name.into());
    tags
}

/// `eu-west-1a` as eksctl writes it in names: `EUWEST1A`.
fn zone_suffix(zone: &str) -> String {
    zone.replace('-', "").to_uppercase()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The random-looking suffix CloudFormation gives physical names, fixed per resource id so
/// every run makes the same names.
fn suffix(id: &ResourceId) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // FNV-1a: stable across runs and platforms, unlike the standard hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.as_str().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|index| char::from(ALPHABET[((hash >> (index * 5)) & 31) as usize]))
        .collect()
}

/// `resource`'s attributes with `foreign` in place of eksforge's name, description and tags,
/// and every reference resolved from `outputs`.
fn with_foreign(
    resource: &Resource,
    foreign: &Foreign,
    outputs: &HashMap<ResourceId, BTreeMap<String, Value>>,
) -> BTreeMap<String, Value> {
    let tag_map = |tags: &BTreeMap<String, String>| {
        Value::Map(
            tags.iter()
                .map(|(key, value)| (key.clone(), Value::str(value)))
                .collect(),
        )
    };
    let mut attrs = resource.attrs.clone();
    if let Some(name) = &foreign.name {
        attrs.insert("name".into(), Value::str(name));
    }
    if let Some(description) = &foreign.description {
        attrs.insert("description".into(), Value::str(description));
    }
    if attrs.contains_key("tags") {
        attrs.insert("tags".into(), tag_map(&foreign.tags));
    }
    if attrs.contains_key("instance_tags") {
        attrs.insert("instance_tags".into(), tag_map(&foreign.instance_tags));
    }
    let lookup = |reference: &Ref| -> Option<Value> {
        let value = outputs.get(&reference.resource)?.get(&reference.output);
        Some(value.cloned().unwrap_or_else(|| {
            panic!("foreign cluster: {reference} is not an output this test recorded")
        }))
    };
    attrs
        .into_iter()
        .map(|(key, value)| {
            let resolved = value.resolve(&lookup).unwrap_or_else(|| {
                panic!(
                    "foreign cluster: {}.{key} refers to what is not made yet",
                    resource.id
                )
            });
            (key, resolved)
        })
        .collect()
}

// Reading a resource's attributes.

/// A resource's resolved attributes, read by name; [`Attrs::done`] fails the test if one was
/// never read (the expansion grew an attribute this file does not make).
struct Attrs {
    id: ResourceId,
    values: BTreeMap<String, Value>,
    read: RefCell<BTreeSet<String>>,
}

impl Attrs {
    fn get(&self, key: &str) -> Option<&Value> {
        self.read.borrow_mut().insert(key.to_string());
        self.values.get(key)
    }

    fn opt_str(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|text| !text.is_empty())
    }

    fn str(&self, key: &str) -> String {
        self.opt_str(key)
            .unwrap_or_else(|| panic!("{}: no text attribute {key}", self.id))
    }

    fn opt_int(&self, key: &str) -> Option<i32> {
        match self.get(key) {
            Some(Value::Int(number)) => Some(i32::try_from(*number).expect("a 32-bit number")),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> i32 {
        self.opt_int(key)
            .unwrap_or_else(|| panic!("{}: no number attribute {key}", self.id))
    }

    fn bool(&self, key: &str) -> bool {
        self.get(key)
            .and_then(Value::as_bool)
            .unwrap_or_else(|| panic!("{}: no flag attribute {key}", self.id))
    }

    fn strings(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| item.as_str().expect("a list of text").to_string())
                .collect(),
            other => panic!("{}: {key} is not a list: {other:?}", self.id),
        }
    }

    fn map(&self, key: &str) -> BTreeMap<String, String> {
        match self.get(key) {
            Some(Value::Map(map)) => map
                .iter()
                .map(|(key, value)| {
                    (
                        key.clone(),
                        value.as_str().expect("a map of text").to_string(),
                    )
                })
                .collect(),
            other => panic!("{}: {key} is not a map: {other:?}", self.id),
        }
    }

    fn list(&self, key: &str) -> Vec<BTreeMap<String, Value>> {
        match self.get(key) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| item.as_map().expect("a list of maps").clone())
                .collect(),
            other => panic!("{}: {key} is not a list: {other:?}", self.id),
        }
    }

    /// Fails the test when an attribute of the desired resource was never read.
    fn done(&self) {
        let read = self.read.borrow();
        let unread: Vec<&String> = self
            .values
            .keys()
            .filter(|key| !read.contains(*key))
            .collect();
        assert!(
            unread.is_empty(),
            "foreign cluster: {} has attributes this test does not make: {unread:?} \
             (tests/support/foreign_cluster.rs must send them as eksforge's provider does)",
            self.id
        );
    }
}

/// What one resource became: the id AWS gave it and the outputs other resources refer to.
struct Made {
    id: String,
    outputs: BTreeMap<String, Value>,
}

impl Made {
    fn with_id(id: impl Into<String>) -> Made {
        let id = id.into();
        Made {
            outputs: BTreeMap::from([("id".to_string(), Value::str(&id))]),
            id,
        }
    }

    fn output(mut self, name: &str, value: Value) -> Made {
        self.outputs.insert(name.to_string(), value);
        self
    }
}

async fn make_one(clients: &Clients, id: &ResourceId, values: BTreeMap<String, Value>) -> Made {
    let attrs = Attrs {
        id: id.clone(),
        values,
        read: RefCell::new(BTreeSet::new()),
    };
    let made = match id.kind() {
        Kind::Vpc => vpc(clients, &attrs).await,
        Kind::Subnet => subnet(clients, &attrs).await,
        Kind::InternetGateway => internet_gateway(clients, &attrs).await,
        Kind::Eip => address(clients, &attrs).await,
        Kind::NatGateway => nat_gateway(clients, &attrs).await,
        Kind::RouteTable => route_table(clients, &attrs).await,
        Kind::Route => route(clients, &attrs).await,
        Kind::RouteTableAssociation => association(clients, &attrs).await,
        Kind::SecurityGroup => security_group(clients, &attrs).await,
        Kind::SecurityGroupRule => security_group_rule(clients, &attrs).await,
        Kind::KmsKey => key(clients, &attrs).await,
        Kind::LogGroup => log_group(clients, &attrs).await,
        Kind::IamRole => role(clients, &attrs).await,
        Kind::IamRolePolicyAttachment => attachment(clients, &attrs).await,
        Kind::IamRolePolicy => inline_policy(clients, &attrs).await,
        Kind::IamOidcProvider => oidc_provider(clients, &attrs).await,
        Kind::LaunchTemplate => launch_template(clients, &attrs).await,
        Kind::EksCluster => cluster(clients, &attrs).await,
        Kind::EksNodeGroup => node_group(clients, &attrs).await,
        Kind::EksAddon => addon(clients, &attrs).await,
        other => panic!("foreign cluster: {id} is a {other}, which this test cannot make yet"),
    };
    attrs.done();
    made
}

// EC2.

fn ec2_tag_list(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    tags.iter()
        .map(|(key, value)| {
            aws_sdk_ec2::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

fn ec2_tags(resource_type: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(ec2_tag_list(tags)))
        .build()
}

async fn vpc(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_vpc()
        .cidr_block(attrs.str("cidr_block"))
        .tag_specifications(ec2_tags(ResourceType::Vpc, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateVpc");
    let vpc_id = output.vpc().and_then(|vpc| vpc.vpc_id()).expect("a VPC id");
    for (attribute, support) in [
        ("enable_dns_support", true),
        ("enable_dns_hostnames", false),
    ] {
        let value = AttributeBooleanValue::builder()
            .value(attrs.bool(attribute))
            .build();
        let call = clients.ec2.modify_vpc_attribute().vpc_id(vpc_id);
        let call = if support {
            call.enable_dns_support(value)
        } else {
            call.enable_dns_hostnames(value)
        };
        call.send().await.expect("ModifyVpcAttribute");
    }
    Made::with_id(vpc_id)
}

async fn subnet(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_subnet()
        .vpc_id(attrs.str("vpc_id"))
        .cidr_block(attrs.str("cidr_block"))
        .availability_zone(attrs.str("availability_zone"))
        .tag_specifications(ec2_tags(ResourceType::Subnet, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateSubnet");
    let subnet_id = output
        .subnet()
        .and_then(|subnet| subnet.subnet_id())
        .expect("a subnet id");
    // A new subnet maps no public address: only a `true` needs a call.
    if attrs.bool("map_public_ip_on_launch") {
        clients
            .ec2
            .modify_subnet_attribute()
            .subnet_id(subnet_id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .expect("ModifySubnetAttribute");
    }
    Made::with_id(subnet_id)
}

async fn internet_gateway(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_internet_gateway()
        .tag_specifications(ec2_tags(ResourceType::InternetGateway, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateInternetGateway");
    let gateway_id = output
        .internet_gateway()
        .and_then(|gateway| gateway.internet_gateway_id())
        .expect("a gateway id");
    clients
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(attrs.str("vpc_id"))
        .send()
        .await
        .expect("AttachInternetGateway");
    Made::with_id(gateway_id)
}

async fn address(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .allocate_address()
        .domain(DomainType::from(attrs.str("domain").as_str()))
        .tag_specifications(ec2_tags(ResourceType::ElasticIp, &attrs.map("tags")))
        .send()
        .await
        .expect("AllocateAddress");
    Made::with_id(output.allocation_id().expect("an allocation id"))
}

async fn nat_gateway(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_nat_gateway()
        .subnet_id(attrs.str("subnet_id"))
        .allocation_id(attrs.str("allocation_id"))
        .connectivity_type(ConnectivityType::from(
            attrs.str("connectivity_type").as_str(),
        ))
        .tag_specifications(ec2_tags(ResourceType::Natgateway, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateNatGateway");
    let gateway_id = output
        .nat_gateway()
        .and_then(|gateway| gateway.nat_gateway_id())
        .expect("a NAT gateway id")
        .to_string();
    until(&format!("NAT gateway {gateway_id} available"), || async {
        let output = clients
            .ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&gateway_id)
            .send()
            .await
            .expect("DescribeNatGateways");
        let state = output
            .nat_gateways()
            .first()
            .and_then(|gateway| gateway.state());
        (state == Some(&NatGatewayState::Available)).then_some(())
    })
    .await;
    Made::with_id(gateway_id)
}

async fn route_table(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_route_table()
        .vpc_id(attrs.str("vpc_id"))
        .tag_specifications(ec2_tags(ResourceType::RouteTable, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateRouteTable");
    Made::with_id(
        output
            .route_table()
            .and_then(|table| table.route_table_id())
            .expect("a route table id"),
    )
}

async fn route(clients: &Clients, attrs: &Attrs) -> Made {
    let table = attrs.str("route_table_id");
    let destination = attrs.str("destination_cidr_block");
    clients
        .ec2
        .create_route()
        .route_table_id(&table)
        .destination_cidr_block(&destination)
        .set_gateway_id(attrs.opt_str("gateway_id"))
        .set_nat_gateway_id(attrs.opt_str("nat_gateway_id"))
        .send()
        .await
        .expect("CreateRoute");
    Made::with_id(format!("{table}|{destination}"))
}

async fn association(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .associate_route_table()
        .route_table_id(attrs.str("route_table_id"))
        .subnet_id(attrs.str("subnet_id"))
        .send()
        .await
        .expect("AssociateRouteTable");
    Made::with_id(output.association_id().expect("an association id"))
}

async fn security_group(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .ec2
        .create_security_group()
        .group_name(attrs.str("name"))
        .description(attrs.str("description"))
        .vpc_id(attrs.str("vpc_id"))
        .tag_specifications(ec2_tags(ResourceType::SecurityGroup, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateSecurityGroup");
    Made::with_id(output.group_id().expect("a group id"))
}

async fn security_group_rule(clients: &Clients, attrs: &Attrs) -> Made {
    assert_eq!(
        attrs.str("direction"),
        "ingress",
        "{}: only ingress rules",
        attrs.id
    );
    let description = attrs.opt_str("description");
    let protocol = attrs.str("protocol");
    let mut permission = IpPermission::builder().ip_protocol(&protocol);
    let ports = (attrs.opt_int("from_port"), attrs.opt_int("to_port"));
    if protocol != "-1" {
        let (Some(from), Some(to)) = ports else {
            panic!("{}: protocol {protocol} without ports", attrs.id);
        };
        permission = permission.from_port(from).to_port(to);
    }
    permission = match (
        attrs.opt_str("source_security_group_id"),
        attrs.opt_str("cidr_ipv4"),
    ) {
        (Some(group), None) => permission.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(group)
                .set_description(description)
                .build(),
        ),
        (None, Some(cidr)) => permission.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description)
                .build(),
        ),
        other => panic!("{}: one source, not {other:?}", attrs.id),
    };
    let output = clients
        .ec2
        .authorize_security_group_ingress()
        .group_id(attrs.str("security_group_id"))
        .ip_permissions(permission.build())
        .tag_specifications(ec2_tags(
            ResourceType::SecurityGroupRule,
            &attrs.map("tags"),
        ))
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    Made::with_id(
        output
            .security_group_rules()
            .first()
            .and_then(|rule| rule.security_group_rule_id())
            .expect("a rule id"),
    )
}

async fn launch_template(clients: &Clients, attrs: &Attrs) -> Made {
    let mut data = RequestLaunchTemplateData::builder()
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::from(
                    attrs.str("metadata_http_tokens").as_str(),
                ))
                .http_put_response_hop_limit(attrs.int("metadata_http_put_response_hop_limit"))
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::from(
                    attrs.str("metadata_http_endpoint").as_str(),
                ))
                .build(),
        )
        .set_security_group_ids(Some(attrs.strings("security_group_ids")))
        .user_data(attrs.str("user_data"));
    for mapping in attrs.list("block_device_mappings") {
        let text = |key: &str| mapping.get(key).and_then(Value::as_str).map(str::to_string);
        let flag = |key: &str| mapping.get(key).and_then(Value::as_bool);
        let size = match mapping.get("volume_size") {
            Some(Value::Int(size)) => Some(i32::try_from(*size).expect("a volume size")),
            _ => None,
        };
        let known = [
            "device_name",
            "volume_size",
            "volume_type",
            "encrypted",
            "kms_key_id",
            "delete_on_termination",
        ];
        assert!(
            mapping.keys().all(|key| known.contains(&key.as_str())),
            "{}: a block device mapping this test does not make: {mapping:?}",
            attrs.id
        );
        data = data.block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name(text("device_name").expect("a device name"))
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .set_volume_size(size)
                        .set_volume_type(
                            text("volume_type").map(|kind| VolumeType::from(kind.as_str())),
                        )
                        .set_encrypted(flag("encrypted"))
                        .set_kms_key_id(text("kms_key_id"))
                        .set_delete_on_termination(flag("delete_on_termination"))
                        .build(),
                )
                .build(),
        );
    }
    let instance_tags = ec2_tag_list(&attrs.map("instance_tags"));
    for resource_type in [ResourceType::Instance, ResourceType::Volume] {
        data = data.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(resource_type)
                .set_tags(Some(instance_tags.clone()))
                .build(),
        );
    }
    let output = clients
        .ec2
        .create_launch_template()
        .launch_template_name(attrs.str("name"))
        .launch_template_data(data.build())
        .tag_specifications(ec2_tags(ResourceType::LaunchTemplate, &attrs.map("tags")))
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let template = output.launch_template().expect("a launch template");
    Made::with_id(template.launch_template_id().expect("a template id")).output(
        "latest_version",
        Value::Int(template.latest_version_number().expect("a version")),
    )
}

// KMS, CloudWatch Logs, IAM.

async fn key(clients: &Clients, attrs: &Attrs) -> Made {
    let mut call = clients
        .kms
        .create_key()
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
        .policy(attrs.str("policy"))
        .description(attrs.str("description"));
    for (key, value) in attrs.map("tags") {
        call = call.tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key(key)
                .tag_value(value)
                .build()
                .expect("a KMS tag"),
        );
    }
    let output = call.send().await.expect("CreateKey");
    let metadata = output.key_metadata().expect("key metadata");
    let key_id = metadata.key_id().to_string();
    if attrs.bool("enable_key_rotation") {
        clients
            .kms
            .enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .expect("EnableKeyRotation");
    }
    clients
        .kms
        .create_alias()
        .alias_name(attrs.str("alias"))
        .target_key_id(&key_id)
        .send()
        .await
        .expect("CreateAlias");
    // A new key is enabled; its deletion window is given only when it is scheduled for
    // deletion (ScheduleKeyDeletion), never at creation.
    assert!(attrs.bool("enabled"), "{}: a disabled key", attrs.id);
    attrs.int("deletion_window_days");
    let arn = metadata.arn().expect("a key ARN");
    Made::with_id(&key_id).output("arn", Value::str(arn))
}

async fn log_group(clients: &Clients, attrs: &Attrs) -> Made {
    let name = attrs.str("name");
    clients
        .logs
        .create_log_group()
        .log_group_name(&name)
        .kms_key_id(attrs.str("kms_key_id"))
        .set_tags(Some(attrs.map("tags").into_iter().collect()))
        .send()
        .await
        .expect("CreateLogGroup");
    clients
        .logs
        .put_retention_policy()
        .log_group_name(&name)
        .retention_in_days(attrs.int("retention_in_days"))
        .send()
        .await
        .expect("PutRetentionPolicy");
    Made::with_id(&name).output("name", Value::str(&name))
}

fn iam_tags(tags: BTreeMap<String, String>) -> Vec<aws_sdk_iam::types::Tag> {
    tags.into_iter()
        .map(|(key, value)| {
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .expect("an IAM tag")
        })
        .collect()
}

async fn role(clients: &Clients, attrs: &Attrs) -> Made {
    let output = clients
        .iam
        .create_role()
        .role_name(attrs.str("name"))
        .path(attrs.str("path"))
        .assume_role_policy_document(attrs.str("assume_role_policy"))
        .description(attrs.str("description"))
        .max_session_duration(attrs.int("max_session_duration"))
        .set_tags(Some(iam_tags(attrs.map("tags"))))
        .send()
        .await
        .expect("CreateRole");
    let role = output.role().expect("a role");
    Made::with_id(role.role_name())
        .output("name", Value::str(role.role_name()))
        .output("arn", Value::str(role.arn()))
        .output("unique_id", Value::str(role.role_id()))
}

async fn attachment(clients: &Clients, attrs: &Attrs) -> Made {
    let (role, policy) = (attrs.str("role"), attrs.str("policy_arn"));
    clients
        .iam
        .attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy)
        .send()
        .await
        .expect("AttachRolePolicy");
    Made::with_id(format!("{role}|{policy}"))
}

async fn inline_policy(clients: &Clients, attrs: &Attrs) -> Made {
    let (role, name) = (attrs.str("role"), attrs.str("name"));
    clients
        .iam
        .put_role_policy()
        .role_name(&role)
        .policy_name(&name)
        .policy_document(attrs.str("policy"))
        .send()
        .await
        .expect("PutRolePolicy");
    Made::with_id(format!("{role}|{name}"))
}

async fn oidc_provider(clients: &Clients, attrs: &Attrs) -> Made {
    let url = attrs.str("url");
    let output = clients
        .iam
        .create_open_id_connect_provider()
        .url(&url)
        .set_client_id_list(Some(attrs.strings("client_ids")))
        .set_tags(Some(iam_tags(attrs.map("tags"))))
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");
    let arn = output
        .open_id_connect_provider_arn()
        .expect("a provider ARN");
    // Trust policies name the issuer without its scheme, as IAM's condition keys do.
    let host = url.trim_start_matches("https://").trim_end_matches('/');
    Made::with_id(arn)
        .output("arn", Value::str(arn))
        .output("url", Value::str(host))
}

// EKS.

async fn cluster(clients: &Clients, attrs: &Attrs) -> Made {
    let name = attrs.str("name");
    let enabled: BTreeSet<String> = attrs.strings("enabled_log_types").into_iter().collect();
    let all_types = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    let (on, off): (Vec<&str>, Vec<&str>) =
        all_types.iter().partition(|kind| enabled.contains(**kind));
    let mut logging = Logging::builder();
    for (types, flag) in [(on, true), (off, false)] {
        if !types.is_empty() {
            logging = logging.cluster_logging(
                LogSetup::builder()
                    .set_types(Some(types.into_iter().map(LogType::from).collect()))
                    .enabled(flag)
                    .build(),
            );
        }
    }
    let public = attrs.bool("endpoint_public_access");
    let mut vpc = VpcConfigRequest::builder()
        .set_subnet_ids(Some(attrs.strings("subnet_ids")))
        .set_security_group_ids(Some(attrs.strings("security_group_ids")))
        .endpoint_private_access(attrs.bool("endpoint_private_access"))
        .endpoint_public_access(public);
    let cidrs = attrs.strings("public_access_cidrs");
    if public {
        vpc = vpc.set_public_access_cidrs(Some(cidrs));
    }
    // `resources` is deprecated (EKS now encrypts all API data with the key) but still the
    // documented shape of the request.
    #[allow(deprecated)]
    let encryption = EncryptionConfig::builder()
        .resources("secrets")
        .provider(
            KeyProvider::builder()
                .key_arn(attrs.str("secrets_kms_key_arn"))
                .build(),
        )
        .build();
    clients
        .eks
        .create_cluster()
        .name(&name)
        .version(attrs.str("version"))
        .role_arn(attrs.str("role_arn"))
        .resources_vpc_config(vpc.build())
        .logging(logging.build())
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(aws_sdk_eks::types::AuthenticationMode::from(
                    attrs.str("authentication_mode").as_str(),
                ))
                .bootstrap_cluster_creator_admin_permissions(
                    attrs.bool("bootstrap_cluster_creator_admin"),
                )
                .build(),
        )
        .encryption_config(encryption)
        .deletion_protection(attrs.bool("deletion_protection"))
        .upgrade_policy(
            UpgradePolicyRequest::builder()
                .support_type(SupportType::from(attrs.str("upgrade_policy").as_str()))
                .build(),
        )
        .bootstrap_self_managed_addons(attrs.bool("bootstrap_self_managed_addons"))
        .set_tags(Some(attrs.map("tags").into_iter().collect()))
        .send()
        .await
        .expect("CreateCluster");
    let active = until(&format!("cluster {name} ACTIVE"), || async {
        let output = clients
            .eks
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .expect("DescribeCluster");
        let cluster = output.cluster().expect("a cluster");
        (cluster.status() == Some(&ClusterStatus::Active)).then(|| cluster.clone())
    })
    .await;
    let issuer = active
        .identity()
        .and_then(|identity| identity.oidc())
        .and_then(|oidc| oidc.issuer())
        .expect("an OIDC issuer");
    let arn = active.arn().expect("a cluster ARN");
    Made::with_id(&name)
        .output("name", Value::str(&name))
        .output("arn", Value::str(arn))
        .output(
            "oidc_issuer_host",
            Value::str(issuer.trim_start_matches("https://")),
        )
        .output("oidc_issuer", Value::str(issuer))
}

async fn node_group(clients: &Clients, attrs: &Attrs) -> Made {
    let cluster = attrs.str("cluster_name");
    let name = attrs.str("name");
    let taints: Vec<Taint> = attrs
        .list("taints")
        .iter()
        .map(|taint| {
            let text = |key: &str| taint.get(key).and_then(Value::as_str).map(str::to_string);
            Taint::builder()
                .set_key(text("key"))
                .set_value(text("value"))
                .set_effect(text("effect").map(|effect| TaintEffect::from(effect.as_str())))
                .build()
        })
        .collect();
    clients
        .eks
        .create_nodegroup()
        .cluster_name(&cluster)
        .nodegroup_name(&name)
        .version(attrs.str("version"))
        .node_role(attrs.str("node_role_arn"))
        .set_subnets(Some(attrs.strings("subnet_ids")))
        .set_instance_types(Some(attrs.strings("instance_types")))
        .ami_type(AmiTypes::from(attrs.str("ami_type").as_str()))
        .capacity_type(CapacityTypes::from(attrs.str("capacity_type").as_str()))
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(attrs.int("min_size"))
                .max_size(attrs.int("max_size"))
                .desired_size(attrs.int("desired_size"))
                .build(),
        )
        .update_config(
            NodegroupUpdateConfig::builder()
                .max_unavailable(attrs.int("max_unavailable"))
                .build(),
        )
        .set_labels(Some(attrs.map("labels").into_iter().collect()))
        .set_taints(Some(taints))
        .launch_template(
            LaunchTemplateSpecification::builder()
                .id(attrs.str("launch_template_id"))
                .version(attrs.str("launch_template_version"))
                .build(),
        )
        .set_tags(Some(attrs.map("tags").into_iter().collect()))
        .send()
        .await
        .expect("CreateNodegroup");
    until(&format!("node group {name} ACTIVE"), || async {
        let output = clients
            .eks
            .describe_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .send()
            .await
            .expect("DescribeNodegroup");
        let status = output.nodegroup().and_then(|group| group.status());
        assert_ne!(
            status,
            Some(&NodegroupStatus::CreateFailed),
            "node group {name}"
        );
        (status == Some(&NodegroupStatus::Active)).then_some(())
    })
    .await;
    Made::with_id(&name).output("name", Value::str(&name))
}

async fn addon(clients: &Clients, attrs: &Attrs) -> Made {
    let cluster = attrs.str("cluster_name");
    let name = attrs.str("addon_name");
    assert!(
        attrs.list("pod_identity_associations").is_empty(),
        "{}: pod identity associations are not made by this test",
        attrs.id
    );
    clients
        .eks
        .create_addon()
        .cluster_name(&cluster)
        .addon_name(&name)
        // No version: EKS's default for the cluster's version, as eksforge installs it.
        .set_addon_version(attrs.opt_str("addon_version"))
        .set_configuration_values(attrs.opt_str("configuration_values"))
        .set_service_account_role_arn(attrs.opt_str("service_account_role_arn"))
        .resolve_conflicts(ResolveConflicts::Overwrite)
        .set_tags(Some(attrs.map("tags").into_iter().collect()))
        .send()
        .await
        .expect("CreateAddon");
    until(&format!("add-on {name} ACTIVE"), || async {
        let output = clients
            .eks
            .describe_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .send()
            .await
            .expect("DescribeAddon");
        let status = output.addon().and_then(|addon| addon.status());
        (status == Some(&AddonStatus::Active)).then_some(())
    })
    .await;
    Made::with_id(format!("{cluster}|{name}"))
}

/// Polls `check` until it gives something, failing the test after two minutes (the
/// emulator's transitions last a second or two at most).
async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "foreign cluster: still waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// The summary.

fn summarise(
    desired: DesiredSet,
    ids: BTreeMap<String, String>,
    order: Vec<String>,
    foreign_names: BTreeMap<String, Foreign>,
    key_arn: String,
) -> ForeignCluster {
    let id = |resource: &str| {
        ids.get(resource)
            .unwrap_or_else(|| panic!("foreign cluster: no {resource} was made"))
            .clone()
    };
    // Resource ids `<kind>.<prefix><rest>` → rest → cloud id.
    let by = |prefix: &str| -> BTreeMap<String, String> {
        ids.iter()
            .filter_map(|(resource, cloud)| {
                Some((resource.strip_prefix(prefix)?.to_string(), cloud.clone()))
            })
            .collect()
    };
    let attr = |resource: &str, attribute: &str| {
        let resource_id = ResourceId::parse(resource).expect("a resource id");
        desired
            .get(&resource_id)
            .and_then(|resource| resource.attrs.get(attribute))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{resource} has no {attribute}"))
            .to_string()
    };
    let node_groups = by("eks_node_group.");
    let templates = by("launch_template.");
    assert_eq!(node_groups.len(), 1, "one node group: {node_groups:?}");
    let (group, node_group_name) = node_groups.into_iter().next().expect("a node group");
    ForeignCluster {
        cluster_name: id("eks_cluster.main"),
        vpc_id: id("vpc.main"),
        private_subnets: by("subnet.private."),
        public_subnets: by("subnet.public."),
        internet_gateway_id: id("internet_gateway.main"),
        nat_gateway_ids: by("nat_gateway."),
        nat_allocation_ids: by("eip.nat."),
        cluster_security_group_id: id("security_group.cluster"),
        node_security_group_id: id("security_group.node"),
        cluster_role_name: id("iam_role.cluster"),
        node_role_name: id("iam_role.node"),
        irsa_role_names: by("iam_role.irsa.")
            .into_iter()
            .map(|(account, role)| (account.replacen('.', "/", 1), role))
            .collect(),
        key_id: id("kms_key.secrets"),
        key_arn,
        key_alias: attr("kms_key.secrets", "alias"),
        log_group_name: id("log_group.cluster"),
        launch_template_id: templates
            .get(&group)
            .cloned()
            .expect("the node group's template"),
        launch_template_name: attr(&format!("launch_template.{group}"), "name"),
        node_group_name,
        oidc_provider_arn: id("iam_oidc_provider.main"),
        addons: by("eks_addon.").into_keys().collect(),
        ids,
        order,
        foreign_names,
        desired,
    }
}
