//! Providers: one module per resource kind behind one trait, over the official aws-sdk-rust
//! clients.
//!
//! Invariants: `aws` knows nothing of TOML, plans or the terminal; it turns attribute maps into
//! API calls and API answers back into attribute maps. Every mutating call lives here.

mod description;
mod ec2_delete;
mod ec2_tags;
mod error;

pub mod k8s_leftovers;
mod refresh;
pub mod retry;
mod tags;
mod wait;
pub mod zones;

mod eip;
mod flow_log;
mod internet_gateway;
mod nat_gateway;
mod route;
mod route_table;
mod route_table_association;
mod subnet;
mod vpc;
mod vpc_endpoint;

pub mod bottlerocket;
mod ecr_registry_scanning;
mod ecr_repository;
mod eks_access_entry;
mod eks_addon;
mod eks_cluster;
mod eks_common;
mod eks_node_group;
mod eks_pod_identity_association;
mod guardduty_detector;
mod iam_oidc_provider;
mod iam_role;
mod iam_role_policy;
mod iam_role_policy_attachment;
mod iam_roles_bulk;
mod kms_key;
mod launch_template;
mod log_group;
pub mod observe;
pub mod policy;
pub mod preflight;
mod security_group;
mod security_group_rule;
mod ssm_document;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::resources::{Attrs, Kind, ResourceId};

pub use description::{
    minimal_calls, read_call, typical_wait_secs, AttrRule, Description, MinimalCalls,
};
pub use error::{AwsError, ErrorClass};
pub use refresh::{FoundVia, Scope};
pub use wait::WaitConfig;

/// The SDK clients (one per service, reused for every call) and how long to wait.
#[derive(Clone)]
pub struct Aws {
    pub ec2: aws_sdk_ec2::Client,
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    pub ecr: aws_sdk_ecr::Client,
    /// Only for what Kubernetes controllers made (`k8s_leftovers`), never for resources.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub guardduty: aws_sdk_guardduty::Client,
    pub region: String,
    pub waits: WaitConfig,
    /// The caller's account id and partition, once known (`with_account`): lets reads that need
    /// an ARN build it instead of reading it first.
    pub account: Option<(String, String)>,
    /// One refresh's bulk read of the account's roles (`with_role_snapshot`), shared by the
    /// IAM kinds; `None` reads roles one by one.
    pub role_snapshot: Option<Arc<RoleSnapshotCell>>,
}

/// Where a refresh keeps its bulk read of roles, read on first use.
pub type RoleSnapshotCell =
    tokio::sync::OnceCell<Result<Arc<iam_roles_bulk::RoleSnapshot>, AwsError>>;

impl Aws {
    /// Clients from `config` (its retry configuration: `retry::sdk_retry_config`), each with
    /// the classifier that never retries an HTML error page (`retry::HtmlErrorPage`).
    pub fn from_sdk_config(config: &aws_config::SdkConfig, waits: WaitConfig) -> Aws {
        use retry::HtmlErrorPage;
        Aws {
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            eks: aws_sdk_eks::Client::from_conf(
                aws_sdk_eks::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            kms: aws_sdk_kms::Client::from_conf(
                aws_sdk_kms::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            ecr: aws_sdk_ecr::Client::from_conf(
                aws_sdk_ecr::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(
                aws_sdk_elasticloadbalancingv2::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            guardduty: aws_sdk_guardduty::Client::from_conf(
                aws_sdk_guardduty::config::Builder::from(config)
                    .retry_classifier(HtmlErrorPage)
                    .build(),
            ),
            region: config
                .region()
                .map(|region| region.to_string())
                .unwrap_or_default(),
            waits,
            account: None,
            role_snapshot: None,
        }
    }

    /// The same clients, reading IAM roles in bulk when more than a handful are refreshed
    /// (`roles`): one snapshot for this handle's refresh.
    pub fn with_role_snapshot(&self, roles: usize) -> Aws {
        Aws {
            role_snapshot: (roles > iam_roles_bulk::BULK_ROLE_THRESHOLD)
                .then(|| Arc::new(RoleSnapshotCell::new())),
            ..self.clone()
        }
    }

    /// The same clients, knowing the caller's account and partition.
    pub fn with_account(&self, account_id: &str, partition: &str) -> Aws {
        Aws {
            account: Some((account_id.to_string(), partition.to_string())),
            ..self.clone()
        }
    }
}

/// A resource as the AWS API describes it, in the provider's attribute vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub cloud_id: String,
    pub attrs: Attrs,
    pub outputs: Attrs,
}

impl Observed {
    /// A resource whose one output is its cloud id (most EC2 kinds).
    pub fn with_id(cloud_id: impl Into<String>, attrs: Attrs) -> Observed {
        let cloud_id = cloud_id.into();
        Observed {
            outputs: Attrs::from([("id".to_string(), crate::resources::Value::str(&cloud_id))]),
            cloud_id,
            attrs,
        }
    }
}

/// A resource a refresh found, and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub id: ResourceId,
    pub via: FoundVia,
    pub observed: Observed,
}

pub struct CreateRequest<'a> {
    pub id: &'a ResourceId,
    /// Fully resolved desired attributes.
    pub attrs: &'a Attrs,
    /// Stable across a crash and re-run of the same create (lineage, id, generation).
    pub idempotency_token: &'a str,
}

pub struct UpdateRequest<'a> {
    pub id: &'a ResourceId,
    pub cloud_id: &'a str,
    pub before: &'a Attrs,
    pub after: &'a Attrs,
    /// Attribute names whose value differs; all of them are `UpdatedBy` attributes.
    pub changed: &'a [String],
}

impl UpdateRequest<'_> {
    /// Whether `attribute` is among the changed ones.
    pub fn changes(&self, attribute: &str) -> bool {
        self.changed.iter().any(|name| name == attribute)
    }
}

pub struct DeleteRequest<'a> {
    pub id: &'a ResourceId,
    pub cloud_id: &'a str,
    pub attrs: &'a Attrs,
}

/// What one kind's file implements: its description and the four operations, as plain
/// `async fn`s. Every `KindProvider` is a `Provider` (the blanket impl below boxes the
/// futures), which is what the registry hands out.
pub trait KindProvider: Send + Sync {
    /// The kind's `static DESCRIPTION` (`description.rs`).
    fn description(&self) -> &'static Description;

    /// See `Provider::refresh`.
    fn refresh(
        &self,
        aws: &Aws,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<Found>, AwsError>> + Send;

    fn create(
        &self,
        aws: &Aws,
        request: CreateRequest<'_>,
    ) -> impl Future<Output = Result<Observed, AwsError>> + Send;

    fn update(
        &self,
        aws: &Aws,
        request: UpdateRequest<'_>,
    ) -> impl Future<Output = Result<Observed, AwsError>> + Send;

    /// See `Provider::delete`.
    fn delete(
        &self,
        aws: &Aws,
        request: DeleteRequest<'_>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

impl<T: KindProvider> Provider for T {
    fn description(&self) -> &'static Description {
        KindProvider::description(self)
    }

    fn refresh<'a>(
        &'a self,
        aws: &'a Aws,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<Vec<Found>, AwsError>> {
        Box::pin(KindProvider::refresh(self, aws, scope))
    }

    fn create<'a>(
        &'a self,
        aws: &'a Aws,
        request: CreateRequest<'a>,
    ) -> BoxFuture<'a, Result<Observed, AwsError>> {
        Box::pin(KindProvider::create(self, aws, request))
    }

    fn update<'a>(
        &'a self,
        aws: &'a Aws,
        request: UpdateRequest<'a>,
    ) -> BoxFuture<'a, Result<Observed, AwsError>> {
        Box::pin(KindProvider::update(self, aws, request))
    }

    fn delete<'a>(
        &'a self,
        aws: &'a Aws,
        request: DeleteRequest<'a>,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(KindProvider::delete(self, aws, request))
    }
}

/// One resource kind: read (refresh, with adoption by tag), create, update, delete.
pub trait Provider: Send + Sync {
    /// What the kind declares: rules, reads, minimal calls, waits (`description.rs`).
    fn description(&self) -> &'static Description;

    fn kind(&self) -> Kind {
        self.description().kind
    }

    /// The attribute classification table.
    fn rules(&self) -> &'static [AttrRule] {
        self.description().rules
    }

    /// Reads what `scope` recorded and finds desired resources missing from state by tag (or by
    /// natural key for untaggable kinds), batching describe calls.
    fn refresh<'a>(
        &'a self,
        aws: &'a Aws,
        scope: &'a Scope,
    ) -> BoxFuture<'a, Result<Vec<Found>, AwsError>>;

    fn create<'a>(
        &'a self,
        aws: &'a Aws,
        request: CreateRequest<'a>,
    ) -> BoxFuture<'a, Result<Observed, AwsError>>;

    fn update<'a>(
        &'a self,
        aws: &'a Aws,
        request: UpdateRequest<'a>,
    ) -> BoxFuture<'a, Result<Observed, AwsError>>;

    /// Deletes and waits until the resource is gone; deleting what is already gone succeeds.
    fn delete<'a>(
        &'a self,
        aws: &'a Aws,
        request: DeleteRequest<'a>,
    ) -> BoxFuture<'a, Result<(), AwsError>>;

    /// List attributes whose order means nothing (subnet ids): compared as sets.
    fn unordered(&self) -> &'static [&'static str] {
        self.description().unordered
    }

    /// See `Description::create_before_destroy`.
    fn create_before_destroy(&self) -> bool {
        self.description().create_before_destroy
    }

    /// See `Description::create_is_not_idempotent`.
    fn create_is_not_idempotent(&self) -> bool {
        self.description().create_is_not_idempotent
    }

    /// See `Description::adopts_by_natural_key`.
    fn adopts_by_natural_key(&self) -> bool {
        self.description().adopts_by_natural_key
    }
}

/// The registry: the provider for a kind.
pub fn provider(kind: Kind) -> &'static dyn Provider {
    match kind {
        Kind::Vpc => &vpc::VpcProvider,
        Kind::Subnet => &subnet::SubnetProvider,
        Kind::InternetGateway => &internet_gateway::InternetGatewayProvider,
        Kind::Eip => &eip::EipProvider,
        Kind::NatGateway => &nat_gateway::NatGatewayProvider,
        Kind::RouteTable => &route_table::RouteTableProvider,
        Kind::Route => &route::RouteProvider,
        Kind::RouteTableAssociation => &route_table_association::AssociationProvider,
        Kind::SecurityGroup => &security_group::SecurityGroupProvider,
        Kind::SecurityGroupRule => &security_group_rule::SecurityGroupRuleProvider,
        Kind::KmsKey => &kms_key::KmsKeyProvider,
        Kind::LogGroup => &log_group::LogGroupProvider,
        Kind::IamRole => &iam_role::IamRoleProvider,
        Kind::IamRolePolicyAttachment => {
            &iam_role_policy_attachment::IamRolePolicyAttachmentProvider
        }
        Kind::IamRolePolicy => &iam_role_policy::IamRolePolicyProvider,
        Kind::IamOidcProvider => &iam_oidc_provider::IamOidcProviderProvider,
        Kind::LaunchTemplate => &launch_template::LaunchTemplateProvider,
        Kind::EksCluster => &eks_cluster::EksClusterProvider,
        Kind::EksNodeGroup => &eks_node_group::EksNodeGroupProvider,
        Kind::EksAccessEntry => &eks_access_entry::EksAccessEntryProvider,
        Kind::EksAddon => &eks_addon::EksAddonProvider,
        Kind::EksPodIdentityAssociation => {
            &eks_pod_identity_association::EksPodIdentityAssociationProvider
        }
        Kind::SsmDocument => &ssm_document::SsmDocumentProvider,
        Kind::GuarddutyDetector => &guardduty_detector::GuarddutyDetectorProvider,
        Kind::FlowLog => &flow_log::FlowLogProvider,
        Kind::EcrRepository => &ecr_repository::EcrRepositoryProvider,
        Kind::EcrRegistryScanning => &ecr_registry_scanning::EcrRegistryScanningProvider,
        Kind::VpcEndpoint => &vpc_endpoint::VpcEndpointProvider,
    }
}

/// The classification of one attribute of a kind; unknown attributes force replacement, the
/// safe reading.
pub fn rule_for(kind: Kind, attribute: &str) -> AttrRule {
    provider(kind).description().rule_for(attribute)
}

/// `docs/resources.md`: every kind's classification table, generated from the providers so
/// the documentation cannot drift from the code (a test compares the two).
pub fn classification_markdown() -> String {
    let mut out = String::from(
        "# Resource kinds and how their attributes change\n\n\
         Generated from the providers' descriptions (`src/aws/<kind>.rs`, `DESCRIPTION`); the\n\
         test `aws::tests::resources_doc_is_current` fails when this page is out of date\n\
         (`UPDATE_DOCS=1 cargo test resources_doc_is_current` rewrites it).\n\n\
         An attribute that **forces replacement** cannot be changed by the AWS API: a new value\n\
         means a new resource, shown in the plan as `-/+` with `# forces replacement`. An\n\
         attribute **updated in place** is changed by the call named. A value that depends on a\n\
         replaced resource is unknown until apply; if it forces replacement, the dependent is\n\
         replaced too.\n",
    );
    for kind in Kind::ALL {
        let provider = provider(*kind);
        out.push_str(&format!(
            "\n## `{kind}`\n\n| attribute | change |\n| --- | --- |\n"
        ));
        for rule in provider.rules() {
            let how = match rule {
                AttrRule::ForcesReplacement(_) => "forces replacement".to_string(),
                AttrRule::UpdatedBy(_, call) => format!("in place: `{call}`"),
            };
            out.push_str(&format!("| `{}` | {how} |\n", rule.name()));
        }
        if provider.adopts_by_natural_key() {
            out.push_str("\nFound by its natural key (a name, an alias, its parent) when missing from state.\n");
        }
    }
    out
}

/// Default time allowed for one asynchronous state change (NAT available, deletion done).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_provider_and_a_classification() {
        for kind in Kind::ALL {
            let provider = provider(*kind);
            assert_eq!(provider.kind(), *kind);
            assert!(
                !provider.rules().is_empty(),
                "{kind} has no classification table"
            );
        }
    }

    #[test]
    fn resources_doc_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/resources.md");
        let expected = classification_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "docs/resources.md is stale: UPDATE_DOCS=1 cargo test resources_doc_is_current"
        );
    }
}
