//! What the cloud holds, read through the AWS API: the describes the CLI tests check their
//! results with ("the VPCs tagged for blueprint X", "the NAT gateways not deleted", "the
//! cluster's node groups"), written once. Reads go straight to moto with the `World`'s SDK
//! configuration, so they are not counted as calls of the run under test.
//!
//! Every method is one plain call (no paging: moto returns everything on the first page) and
//! panics naming the call if AWS refuses it; "not found" is an answer (`None`), not a panic,
//! where a test asks whether something is gone.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    Address, Filter, InternetGateway, NatGateway, RouteTable, SecurityGroup, SecurityGroupRule,
    Subnet, Vpc,
};

/// Which EC2 resources a describe returns: EC2 filters, all of which must match. A plain
/// blueprint name (`"network"`) selects what is tagged `eksforge:blueprint` with it.
#[derive(Clone, Debug, Default)]
pub struct Select {
    filters: Vec<Filter>,
}

impl Select {
    /// Everything (no filter at all).
    pub fn everything() -> Select {
        Select::default()
    }

    /// What eksforge tagged for the blueprint `name`.
    pub fn blueprint(name: &str) -> Select {
        Select::everything().tag("eksforge:blueprint", name)
    }

    /// What eksforge tagged as the resource `id` (`vpc.main`).
    pub fn resource(id: &str) -> Select {
        Select::everything().tag("eksforge:resource", id)
    }

    /// What is in one of these VPCs (for `vpcs`: these VPCs themselves). No ids selects
    /// nothing, without a call.
    pub fn in_vpcs<I, S>(ids: I) -> Select
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Select::everything().filter("vpc-id", ids)
    }

    /// Also tagged `key = value`.
    pub fn tag(self, key: &str, value: &str) -> Select {
        self.filter(&format!("tag:{key}"), [value])
    }

    /// Also matching the EC2 filter `name` on any of `values`.
    pub fn filter<I, S>(mut self, name: &str, values: I) -> Select
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        self.filters.push(
            Filter::builder()
                .name(name)
                .set_values(Some(values))
                .build(),
        );
        self
    }

    /// A filter without values matches nothing; EC2 would reject it instead.
    fn matches_nothing(&self) -> bool {
        self.filters.iter().any(|filter| filter.values().is_empty())
    }

    /// The filters as a request takes them: none at all rather than an empty list.
    fn filters(&self) -> Option<Vec<Filter>> {
        (!self.filters.is_empty()).then(|| self.filters.clone())
    }
}

impl From<&str> for Select {
    fn from(blueprint: &str) -> Select {
        Select::blueprint(blueprint)
    }
}

impl From<&String> for Select {
    fn from(blueprint: &String) -> Select {
        Select::blueprint(blueprint)
    }
}

/// One client per service the CLI tests look at, all from one SDK configuration.
#[derive(Clone)]
pub struct Cloud {
    pub ec2: aws_sdk_ec2::Client,
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
}

/// The updates EKS recorded for a cluster (or one of its node groups), oldest first
/// (ListUpdates, then DescribeUpdate of each).
pub async fn eks_updates(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
    nodegroup: Option<&str>,
) -> Vec<aws_sdk_eks::types::Update> {
    let ids = eks
        .list_updates()
        .name(cluster)
        .set_nodegroup_name(nodegroup.map(str::to_string))
        .send()
        .await
        .expect("ListUpdates")
        .update_ids()
        .to_vec();
    let mut updates = Vec::new();
    for id in ids {
        let output = eks
            .describe_update()
            .name(cluster)
            .update_id(id)
            .set_nodegroup_name(nodegroup.map(str::to_string))
            .send()
            .await
            .expect("DescribeUpdate");
        updates.push(output.update().expect("an update").clone());
    }
    updates
}

impl Cloud {
    pub fn new(sdk: &aws_config::SdkConfig) -> Cloud {
        Cloud {
            ec2: aws_sdk_ec2::Client::new(sdk),
            eks: aws_sdk_eks::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            ssm: aws_sdk_ssm::Client::new(sdk),
        }
    }

    // EC2.

    pub async fn vpcs(&self, select: impl Into<Select>) -> Vec<Vpc> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let answer = self.ec2.describe_vpcs().set_filters(select.filters());
        answer.send().await.expect("DescribeVpcs").vpcs().to_vec()
    }

    /// Every VPC but the region's default one: what any run made, tagged or not (a twin
    /// made by a retried `CreateVpc` shows here).
    pub async fn vpcs_but_the_default(&self) -> Vec<Vpc> {
        self.vpcs(Select::everything())
            .await
            .into_iter()
            .filter(|vpc| vpc.is_default() != Some(true))
            .collect()
    }

    pub async fn vpc_ids(&self, select: impl Into<Select>) -> BTreeSet<String> {
        let vpcs = self.vpcs(select).await;
        vpcs.iter()
            .filter_map(|vpc| vpc.vpc_id().map(str::to_string))
            .collect()
    }

    pub async fn subnets(&self, select: impl Into<Select>) -> Vec<Subnet> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let answer = self.ec2.describe_subnets().set_filters(select.filters());
        answer
            .send()
            .await
            .expect("DescribeSubnets")
            .subnets()
            .to_vec()
    }

    pub async fn subnet_ids(&self, select: impl Into<Select>) -> BTreeSet<String> {
        let subnets = self.subnets(select).await;
        subnets
            .iter()
            .filter_map(|subnet| subnet.subnet_id().map(str::to_string))
            .collect()
    }

    pub async fn route_tables(&self, select: impl Into<Select>) -> Vec<RouteTable> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let answer = self
            .ec2
            .describe_route_tables()
            .set_filters(select.filters());
        let answer = answer.send().await.expect("DescribeRouteTables");
        answer.route_tables().to_vec()
    }

    pub async fn internet_gateways(&self, select: impl Into<Select>) -> Vec<InternetGateway> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let request = self.ec2.describe_internet_gateways();
        let answer = request.set_filters(select.filters()).send().await;
        answer
            .expect("DescribeInternetGateways")
            .internet_gateways()
            .to_vec()
    }

    pub async fn addresses(&self, select: impl Into<Select>) -> Vec<Address> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let answer = self.ec2.describe_addresses().set_filters(select.filters());
        answer
            .send()
            .await
            .expect("DescribeAddresses")
            .addresses()
            .to_vec()
    }

    /// NAT gateways not `deleted` (EC2 keeps listing a deleted one for a while).
    pub async fn nat_gateways(&self, select: impl Into<Select>) -> Vec<NatGateway> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let answer = self
            .ec2
            .describe_nat_gateways()
            .set_filter(select.filters());
        let answer = answer.send().await.expect("DescribeNatGateways");
        answer
            .nat_gateways()
            .iter()
            .filter(|nat| nat.state().map(|s| s.as_str()) != Some("deleted"))
            .cloned()
            .collect()
    }

    /// How many NAT gateways are `available`.
    pub async fn available_nat_gateways(&self, select: impl Into<Select>) -> usize {
        let nats = self.nat_gateways(select).await;
        nats.iter()
            .filter(|nat| nat.state().map(|s| s.as_str()) == Some("available"))
            .count()
    }

    pub async fn security_groups(&self, select: impl Into<Select>) -> Vec<SecurityGroup> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let request = self.ec2.describe_security_groups();
        let answer = request.set_filters(select.filters()).send().await;
        answer
            .expect("DescribeSecurityGroups")
            .security_groups()
            .to_vec()
    }

    pub async fn security_group_ids(&self, select: impl Into<Select>) -> Vec<String> {
        let groups = self.security_groups(select).await;
        groups
            .iter()
            .filter_map(|group| group.group_id().map(str::to_string))
            .collect()
    }

    /// The rules of these security groups (none for no groups, without a call).
    pub async fn security_group_rules(&self, group_ids: &[String]) -> Vec<SecurityGroupRule> {
        let select = Select::everything().filter("group-id", group_ids.iter().cloned());
        if select.matches_nothing() {
            return Vec::new();
        }
        let request = self.ec2.describe_security_group_rules();
        let answer = request.set_filters(select.filters()).send().await;
        answer
            .expect("DescribeSecurityGroupRules")
            .security_group_rules()
            .to_vec()
    }

    pub async fn network_interfaces(
        &self,
        select: impl Into<Select>,
    ) -> Vec<aws_sdk_ec2::types::NetworkInterface> {
        let select = select.into();
        if select.matches_nothing() {
            return Vec::new();
        }
        let request = self.ec2.describe_network_interfaces();
        let answer = request.set_filters(select.filters()).send().await;
        answer
            .expect("DescribeNetworkInterfaces")
            .network_interfaces()
            .to_vec()
    }

    // EKS.

    /// The cluster `name`, or `None` when EKS does not know it.
    pub async fn cluster(&self, name: &str) -> Option<aws_sdk_eks::types::Cluster> {
        match self.eks.describe_cluster().name(name).send().await {
            Ok(answer) => Some(answer.cluster.expect("DescribeCluster answers a cluster")),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                None
            }
            Err(error) => panic!("DescribeCluster {name}: {error:?}"),
        }
    }

    pub async fn cluster_names(&self) -> Vec<String> {
        let answer = self.eks.list_clusters().send().await;
        answer.expect("ListClusters").clusters().to_vec()
    }

    pub async fn node_group_names(&self, cluster: &str) -> Vec<String> {
        let request = self.eks.list_nodegroups().cluster_name(cluster);
        let answer = request.send().await;
        answer
            .unwrap_or_else(|error| panic!("ListNodegroups {cluster}: {error:?}"))
            .nodegroups()
            .to_vec()
    }

    /// The launch template node group `group` runs — its id and version as DescribeNodegroup
    /// records them — and that version's data (DescribeLaunchTemplateVersions).
    pub async fn node_group_launch_data(
        &self,
        cluster: &str,
        group: &str,
    ) -> (
        String,
        String,
        aws_sdk_ec2::types::ResponseLaunchTemplateData,
    ) {
        let described = self
            .eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(group)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeNodegroup {cluster}/{group}: {error:?}"));
        let template = described
            .nodegroup()
            .and_then(|group| group.launch_template())
            .unwrap_or_else(|| panic!("node group {group} has no launch template"));
        let id = template.id().expect("a launch template id").to_string();
        let version = template
            .version()
            .expect("a launch template version")
            .to_string();
        let versions = self
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(&version)
            .send()
            .await
            .unwrap_or_else(|error| panic!("DescribeLaunchTemplateVersions {id}: {error:?}"));
        let data = versions
            .launch_template_versions()
            .first()
            .and_then(|found| found.launch_template_data())
            .unwrap_or_else(|| panic!("no data for version {version} of {id}"))
            .clone();
        (id, version, data)
    }

    /// The cluster's Pod Identity associations (ListPodIdentityAssociations, then
    /// DescribePodIdentityAssociation each: the summaries carry no role or tags); none when
    /// EKS does not know the cluster.
    pub async fn pod_identity_associations(
        &self,
        cluster: &str,
    ) -> Vec<aws_sdk_eks::types::PodIdentityAssociation> {
        let listed = self
            .eks
            .list_pod_identity_associations()
            .cluster_name(cluster)
            .send()
            .await;
        let summaries = match listed {
            Ok(answer) => answer.associations().to_vec(),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Vec::new()
            }
            Err(error) => panic!("ListPodIdentityAssociations {cluster}: {error:?}"),
        };
        let mut associations = Vec::new();
        for summary in summaries {
            let id = summary.association_id().expect("an association id");
            let answer = self
                .eks
                .describe_pod_identity_association()
                .cluster_name(cluster)
                .association_id(id)
                .send()
                .await
                .unwrap_or_else(|error| panic!("DescribePodIdentityAssociation {id}: {error:?}"));
            associations.push(answer.association.expect("an association"));
        }
        associations
    }

    // IAM.

    /// The role `name`, or `None` when IAM does not know it.
    pub async fn role(&self, name: &str) -> Option<aws_sdk_iam::types::Role> {
        match self.iam.get_role().role_name(name).send().await {
            Ok(answer) => answer.role,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                None
            }
            Err(error) => panic!("GetRole {name}: {error:?}"),
        }
    }

    /// The names of the managed policies attached to the role.
    pub async fn attached_policy_names(&self, role: &str) -> BTreeSet<String> {
        let request = self.iam.list_attached_role_policies().role_name(role);
        let answer = request.send().await;
        answer
            .unwrap_or_else(|error| panic!("ListAttachedRolePolicies {role}: {error:?}"))
            .attached_policies()
            .iter()
            .filter_map(|policy| policy.policy_name().map(str::to_string))
            .collect()
    }

    pub async fn inline_policy_names(&self, role: &str) -> Vec<String> {
        let request = self.iam.list_role_policies().role_name(role);
        let answer = request.send().await;
        answer
            .unwrap_or_else(|error| panic!("ListRolePolicies {role}: {error:?}"))
            .policy_names()
            .to_vec()
    }

    /// The names of the roles anyone made (not AWS's service-linked roles).
    pub async fn role_names(&self) -> Vec<String> {
        let answer = self.iam.list_roles().max_items(1000).send().await;
        answer
            .expect("ListRoles")
            .roles()
            .iter()
            .filter(|role| !role.path().starts_with("/aws-service-role/"))
            .map(|role| role.role_name().to_string())
            .collect()
    }

    pub async fn oidc_provider_arns(&self) -> Vec<String> {
        let answer = self.iam.list_open_id_connect_providers().send().await;
        answer
            .expect("ListOpenIDConnectProviders")
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|provider| provider.arn().map(str::to_string))
            .collect()
    }

    // KMS, CloudWatch Logs, SSM.

    /// The key an id, ARN or `alias/…` names.
    pub async fn key(&self, key_id: &str) -> aws_sdk_kms::types::KeyMetadata {
        let answer = self.kms.describe_key().key_id(key_id).send().await;
        answer
            .unwrap_or_else(|error| panic!("DescribeKey {key_id}: {error:?}"))
            .key_metadata
            .unwrap_or_else(|| panic!("DescribeKey {key_id} answers no key"))
    }

    /// The log groups whose names start with `prefix`.
    pub async fn log_groups(&self, prefix: &str) -> Vec<aws_sdk_cloudwatchlogs::types::LogGroup> {
        let request = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(prefix);
        let answer = request.send().await;
        answer
            .unwrap_or_else(|error| panic!("DescribeLogGroups {prefix}: {error:?}"))
            .log_groups()
            .to_vec()
    }

    /// The SSM document `name`, or `None` when it is not there.
    pub async fn document(
        &self,
        name: &str,
    ) -> Option<aws_sdk_ssm::operation::get_document::GetDocumentOutput> {
        match self.ssm.get_document().name(name).send().await {
            Ok(answer) => Some(answer),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_invalid_document()) =>
            {
                None
            }
            Err(error) => panic!("GetDocument {name}: {error:?}"),
        }
    }
}
