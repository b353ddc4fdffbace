//! The desired side: the posture view of an expanded blueprint, at plan time and for
//! `audit BLUEPRINT`. Subjects are desired resource ids; each carries the blueprint key that
//! drives it, so findings point at file:line:column.
//!
//! The view is read from the expanded resources' attributes wherever a resource carries the
//! property, so the same function over a "before" set (recorded or observed attributes under
//! the same ids) gives the posture before a change. Only what no resource carries comes from
//! the blueprint model: `encryption.key_admins`. VPC flow logs are on when the set holds
//! `flow_log.vpc`; VPC endpoints are the `vpc_endpoint` resources.
//!
//! References to outputs not known yet (`${iam_role.cluster.arn}`) stay in the view as
//! `${resource.output}` text: a policy's principal is then a placeholder, which checks treat
//! as a named principal (never `*`).

mod attrs;

use serde_json::Value as Json;

use crate::blueprint::LoadedBlueprint;
use crate::resources::{DesiredSet, Kind, Placement, Resource, ResourceId, Value};

pub use attrs::DesiredPostureError;
use attrs::{
    attr_bool, attr_int, attr_json, attr_list, attr_text, link, local_name, required_link,
    required_member, required_text, text,
};

use super::view::{
    read_node_settings, AccessEntryView, AccessPolicyView, AddonView, AddonsView, ClusterView,
    Date, DetectionView, Fact, GroupRole, KeyView, LaunchView, LogGroupView, NetworkView,
    NodeGroupView, OidcProviderView, PolicyDocument, Posture, RegistryView, RepositoryView,
    RoleUse, RoleView, RuleView, SecurityGroupView, SessionPreferencesView, Side, Subject,
    SubnetView,
};

/// What the desired model cannot say by itself; the caller fills what it can read.
#[derive(Default)]
pub struct Extras<'a> {
    /// The newest Bottlerocket release for a Kubernetes version (`1.34`) and architecture
    /// (`x86_64`, `arm64`): the SSM public parameter
    /// `/aws/service/bottlerocket/aws-k8s-<version>/<arch>/latest/image_version`. `None`: not
    /// read (EKS-VER-004 is then not evaluated).
    #[allow(clippy::type_complexity)]
    pub latest_bottlerocket: Option<&'a dyn Fn(&str, &str) -> Fact<String>>,
}

/// The posture `desired` would have once applied.
pub fn posture(
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    today: Date,
) -> Result<Posture, DesiredPostureError> {
    posture_with(loaded, desired, placement, today, &Extras::default())
}

/// [`posture`] with facts read elsewhere (the latest Bottlerocket release).
pub fn posture_with(
    loaded: &LoadedBlueprint,
    desired: &DesiredSet,
    placement: &Placement,
    today: Date,
    extras: &Extras<'_>,
) -> Result<Posture, DesiredPostureError> {
    let mut posture = Posture::empty(Side::Desired, today);
    posture.account_id = Some(placement.account_id.clone());
    posture.partition = placement.partition.clone();
    let builder = ViewBuilder {
        loaded,
        desired,
        extras,
    };
    posture.network = builder.network();
    posture.security_groups = builder.security_groups();
    posture.roles = builder.roles()?;
    posture.cluster = builder.cluster(&mut posture.roles)?;
    posture.secrets_key = builder.secrets_key(posture.cluster.as_ref());
    posture.oidc_provider = Fact::Known(builder.oidc_provider()?);
    posture.node_groups = builder.node_groups(posture.cluster.as_ref())?;
    posture.session_preferences = Fact::Known(builder.session_preferences());
    posture.access_entries = Fact::Known(builder.access_entries()?);
    posture.detection = builder.detection();
    posture.registry = builder.registry();
    // The add-ons are what the `eks_addon` resources install.
    posture.addons = builder.addons(posture.cluster.as_ref());
    Ok(posture)
}

struct ViewBuilder<'a> {
    loaded: &'a LoadedBlueprint,
    desired: &'a DesiredSet,
    extras: &'a Extras<'a>,
}

impl ViewBuilder<'_> {
    fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Resource> {
        self.desired
            .resources
            .values()
            .filter(move |resource| resource.kind() == kind)
    }

    fn find(&self, kind: Kind, name: &str) -> Option<&Resource> {
        self.desired.get(&ResourceId::new(kind, name))
    }

    /// Index of the node group entry named `name` in the blueprint.
    fn node_group_key(&self, name: &str) -> String {
        self.loaded
            .model
            .node_groups
            .iter()
            .position(|group| group.name == name)
            .map_or_else(
                || "node_groups".to_string(),
                |i| format!("node_groups[{i}]"),
            )
    }

    fn network(&self) -> Option<NetworkView> {
        let vpc = self.find(Kind::Vpc, "main")?;
        let subnets = self
            .of_kind(Kind::Subnet)
            .map(|subnet| {
                let private = local_name(&subnet.id).starts_with("private.");
                let key = if private {
                    "network"
                } else {
                    "network.map_public_ip"
                };
                SubnetView {
                    subject: Subject::new(subnet.id.to_string()).with_key(key),
                    private,
                    map_public_ip_on_launch: attr_bool(subnet, "map_public_ip_on_launch")
                        .unwrap_or(false),
                    internet_route: self.internet_route(&subnet.id),
                }
            })
            .collect();
        let nat = self.of_kind(Kind::NatGateway).next().is_some();
        Some(NetworkView {
            subject: Subject::new(vpc.id.to_string()).with_key("network"),
            subnets,
            // On only when apply builds the VPC's flow log (the desired `flow_log.vpc`).
            flow_logs: Fact::Known(self.find(Kind::FlowLog, "vpc").is_some()),
            nat: Fact::Known(nat),
            endpoints: Fact::Known(
                self.of_kind(Kind::VpcEndpoint)
                    .filter_map(|endpoint| {
                        let service = endpoint.id.as_str().split_once('.')?.1;
                        Some(service.to_string())
                    })
                    .collect(),
            ),
            default_sg_has_rules: None,
        })
    }

    /// The internet gateway the subnet's route table sends a default route to.
    fn internet_route(&self, subnet: &ResourceId) -> Option<String> {
        let subnet = subnet.to_string();
        let tables: Vec<String> = self
            .of_kind(Kind::RouteTableAssociation)
            .filter(|association| {
                association.attrs.get("subnet_id").and_then(link).as_deref() == Some(&subnet)
            })
            .filter_map(|association| association.attrs.get("route_table_id").and_then(link))
            .collect();
        self.of_kind(Kind::Route)
            .filter(|route| {
                route
                    .attrs
                    .get("route_table_id")
                    .and_then(link)
                    .is_some_and(|table| tables.contains(&table))
            })
            .filter(|route| {
                let v4 = attr_text(route, "destination_cidr_block");
                let v6 = attr_text(route, "destination_ipv6_cidr_block");
                v4.as_deref() == Some("0.0.0.0/0") || v6.as_deref() == Some("::/0")
            })
            .filter_map(|route| route.attrs.get("gateway_id").and_then(link))
            .find(|gateway| gateway.starts_with("internet_gateway.") || gateway.starts_with("igw-"))
    }

    fn security_groups(&self) -> Vec<SecurityGroupView> {
        self.of_kind(Kind::SecurityGroup)
            .map(|group| {
                let role = match local_name(&group.id) {
                    "cluster" => GroupRole::Cluster,
                    "node" => GroupRole::Node,
                    _ => GroupRole::Other,
                };
                let id = group.id.to_string();
                let ingress = self
                    .of_kind(Kind::SecurityGroupRule)
                    .filter(|rule| {
                        rule.attrs
                            .get("security_group_id")
                            .and_then(link)
                            .as_deref()
                            == Some(&id)
                            && attr_text(rule, "direction").as_deref() != Some("egress")
                    })
                    .map(|rule| self.rule_view(rule))
                    .collect();
                SecurityGroupView {
                    subject: Subject::new(id.clone()).with_key("security_rules"),
                    role,
                    ingress,
                }
            })
            .collect()
    }

    fn rule_view(&self, rule: &Resource) -> RuleView {
        // `security_group_rule.extra.<i>[.<j>]` come from `[[security_rules]]` entry i; the
        // others are eksforge's own (no key of their own: the cluster section).
        let key = local_name(&rule.id)
            .strip_prefix("extra.")
            .and_then(|rest| rest.split('.').next())
            .map_or_else(|| "cluster".to_string(), |i| format!("security_rules[{i}]"));
        let protocol = attr_text(rule, "protocol").unwrap_or_else(|| "-1".into());
        let port = |name: &str| {
            attr_int(rule, name)
                .and_then(|port| i32::try_from(port).ok())
                .filter(|_| protocol != "-1")
        };
        RuleView {
            subject: Subject::new(rule.id.to_string()).with_key(key),
            from_port: port("from_port"),
            to_port: port("to_port"),
            cidrs: ["cidr_ipv4", "cidr_ipv6"]
                .iter()
                .filter_map(|name| attr_text(rule, name))
                .collect(),
            source_groups: rule
                .attrs
                .get("source_security_group_id")
                .and_then(link)
                .into_iter()
                .collect(),
            protocol,
        }
    }

    fn roles(&self) -> Result<Vec<RoleView>, DesiredPostureError> {
        self.of_kind(Kind::IamRole)
            .map(|role| {
                let id = role.id.to_string();
                let (uses, key, service_account) = self.role_use(&role.id);
                let attached_to_role = |resource: &&Resource| {
                    resource.attrs.get("role").and_then(link).as_deref() == Some(&id)
                };
                let managed_policies = self
                    .of_kind(Kind::IamRolePolicyAttachment)
                    .filter(attached_to_role)
                    .filter_map(|attachment| attr_text(attachment, "policy_arn"))
                    .collect();
                let policy_documents = self
                    .of_kind(Kind::IamRolePolicy)
                    .filter(attached_to_role)
                    .filter_map(|policy| {
                        Some(PolicyDocument {
                            name: attr_text(policy, "name")?,
                            document: attr_json(policy, "policy")?,
                        })
                    })
                    .collect();
                Ok(RoleView {
                    subject: Subject::new(id.clone()).with_key(key),
                    name: required_text(role, "name")?,
                    uses,
                    trust: attr_json(role, "assume_role_policy")
                        .map_or_else(|| Fact::unknown("no trust policy"), Fact::Known),
                    managed_policies: Fact::Known(managed_policies),
                    policy_documents: Fact::Known(policy_documents),
                    service_account,
                })
            })
            .collect()
    }

    /// What a desired role is for, the blueprint key that makes it, and the service account
    /// whose pods use it (IRSA, Pod Identity).
    fn role_use(&self, role: &ResourceId) -> (RoleUse, String, Option<(String, String)>) {
        let model = &self.loaded.model;
        let name = local_name(role);
        // `<prefix><namespace>.<name>`: a namespace holds no dot, a service account name may.
        let account_after = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.split_once('.'))
                .map(|(namespace, account)| (namespace.to_string(), account.to_string()))
        };
        let entry_key = |section: &str, index: Option<usize>, otherwise: String| {
            index.map_or(otherwise, |i| format!("{section}[{i}]"))
        };
        // A role for a service account the blueprint does not list: an add-on's identity,
        // chosen by its `[addons.<table>]`.
        let addon_key = |namespace: &str, account: &str| {
            crate::blueprint::addons::KNOWN_ADDONS
                .iter()
                .filter_map(|addon| addon.identity)
                .find(|need| namespace == "kube-system" && need.service_account == account)
                .map_or_else(
                    || "addons".to_string(),
                    |need| format!("{}.identity", need.table),
                )
        };
        match name {
            "cluster" => return (RoleUse::Cluster, "cluster".to_string(), None),
            "node" => return (RoleUse::Node, "node_groups".to_string(), None),
            _ => {}
        }
        if let Some((namespace, account)) = account_after("irsa.") {
            let index = model.irsa.as_ref().and_then(|irsa| {
                irsa.service_accounts
                    .iter()
                    .position(|entry| entry.namespace == namespace && entry.name == account)
            });
            let key = entry_key(
                "irsa.service_accounts",
                index,
                addon_key(&namespace, &account),
            );
            return (RoleUse::Irsa, key, Some((namespace, account)));
        }
        if let Some((namespace, account)) = account_after("pod_identity.") {
            let index = model
                .pod_identity
                .iter()
                .position(|entry| entry.namespace == namespace && entry.service_account == account);
            let key = entry_key("pod_identity", index, addon_key(&namespace, &account));
            return (RoleUse::PodIdentity, key, Some((namespace, account)));
        }
        (RoleUse::AccessEntry, "access".to_string(), None)
    }

    /// The cluster; an existing role named by `cluster.role_arn` joins `roles` as a role whose
    /// trust and policies are not known at plan time.
    fn cluster(
        &self,
        roles: &mut Vec<RoleView>,
    ) -> Result<Option<ClusterView>, DesiredPostureError> {
        let Some(eks) = self.find(Kind::EksCluster, "main") else {
            return Ok(None);
        };
        let role = required_link(eks, "role_arn")?;
        if !roles.iter().any(|known| known.subject.resource == role) {
            let unknown = "an existing role named by cluster.role_arn: not read at plan time";
            roles.push(RoleView {
                subject: Subject::new(role.clone()).with_key("cluster.role_arn"),
                name: role.rsplit('/').next().unwrap_or(&role).to_string(),
                uses: RoleUse::Cluster,
                trust: Fact::unknown(unknown),
                managed_policies: Fact::unknown(unknown),
                policy_documents: Fact::unknown(unknown),
                service_account: None,
            });
        }
        let cluster_log_group = self
            .find(Kind::LogGroup, "cluster")
            .map(|group| {
                Ok(LogGroupView {
                    subject: Subject::new(group.id.to_string())
                        .with_key("cluster.log_retention_days"),
                    name: required_text(group, "name")?,
                    retention_days: attr_int(group, "retention_in_days")
                        .and_then(|days| u32::try_from(days).ok()),
                    kms_key_id: attr_text(group, "kms_key_id"),
                })
            })
            .transpose()?;
        let strings =
            |name: &str| -> Vec<String> { attr_list(eks, name).iter().filter_map(text).collect() };
        Ok(Some(ClusterView {
            subject: Subject::new(eks.id.to_string()).with_key("cluster"),
            name: required_text(eks, "name")?,
            version: Fact::Known(required_text(eks, "version")?),
            reported_version_status: None,
            endpoint_public: attr_bool(eks, "endpoint_public_access").unwrap_or(false),
            endpoint_private: attr_bool(eks, "endpoint_private_access").unwrap_or(true),
            public_access_cidrs: strings("public_access_cidrs"),
            log_types: strings("enabled_log_types"),
            secrets_key: attr_text(eks, "secrets_kms_key_arn"),
            // CreateCluster's own default is CONFIG_MAP; eksforge always sends the mode.
            authentication_mode: Fact::Known(
                attr_text(eks, "authentication_mode").unwrap_or_else(|| "CONFIG_MAP".into()),
            ),
            bootstrap_creator_admin: Fact::Known(
                attr_bool(eks, "bootstrap_cluster_creator_admin").unwrap_or(true),
            ),
            deletion_protection: Fact::Known(
                attr_bool(eks, "deletion_protection").unwrap_or(false),
            ),
            role: Fact::Known(role),
            log_group: Fact::Known(cluster_log_group),
            oidc_issuer: None,
        }))
    }

    fn secrets_key(&self, cluster: Option<&ClusterView>) -> Option<KeyView> {
        let cluster = cluster?;
        let named = cluster.secrets_key.as_ref()?;
        let cluster_role_principal = self
            .find(Kind::EksCluster, "main")
            .and_then(|eks| attr_text(eks, "role_arn"));
        let admins = self
            .loaded
            .model
            .encryption
            .as_ref()
            .map(|encryption| encryption.key_admins.clone())
            .unwrap_or_default();
        // The key eksforge creates: `${kms_key.secrets.arn}`.
        let created = self
            .of_kind(Kind::KmsKey)
            .find(|key| named.starts_with(&format!("${{{}.", key.id)));
        Some(match created {
            Some(key) => KeyView {
                subject: Subject::new(key.id.to_string()).with_key("encryption"),
                customer_managed: Fact::Known(true),
                state: Fact::Known(
                    if attr_bool(key, "enabled").unwrap_or(true) {
                        "Enabled"
                    } else {
                        "Disabled"
                    }
                    .to_string(),
                ),
                rotation: Fact::Known(attr_bool(key, "enable_key_rotation").unwrap_or(false)),
                policy: attr_json(key, "policy")
                    .map_or_else(|| Fact::unknown("no key policy"), Fact::Known),
                aliases: Fact::Known(attr_text(key, "alias").into_iter().collect()),
                admins,
                cluster_role_principal,
            },
            None => {
                let unknown = "an existing key named by encryption.kms_key: not read at plan time";
                KeyView {
                    subject: Subject::new(named.clone()).with_key("encryption.kms_key"),
                    // An AWS-managed alias is known to be AWS-managed without asking.
                    customer_managed: if named.contains(":alias/aws/") {
                        Fact::Known(false)
                    } else {
                        Fact::unknown(unknown)
                    },
                    state: Fact::unknown(unknown),
                    rotation: Fact::unknown(unknown),
                    policy: Fact::unknown(unknown),
                    aliases: Fact::unknown(unknown),
                    admins,
                    cluster_role_principal,
                }
            }
        })
    }

    fn oidc_provider(&self) -> Result<Option<OidcProviderView>, DesiredPostureError> {
        let Some(provider) = self.find(Kind::IamOidcProvider, "main") else {
            return Ok(None);
        };
        Ok(Some(OidcProviderView {
            subject: Subject::new(provider.id.to_string()).with_key("irsa.oidc_provider"),
            url: Fact::Known(required_text(provider, "url")?),
            client_ids: attr_list(provider, "client_ids")
                .iter()
                .filter_map(text)
                .collect(),
        }))
    }

    fn node_groups(
        &self,
        cluster: Option<&ClusterView>,
    ) -> Result<Vec<NodeGroupView>, DesiredPostureError> {
        let cluster_version = cluster.and_then(|cluster| cluster.version.known().cloned());
        self.of_kind(Kind::EksNodeGroup)
            .map(|group| {
                let entry = local_name(&group.id);
                let key = self.node_group_key(entry);
                let ami_type = required_text(group, "ami_type")?;
                let version = attr_text(group, "version").filter(|version| {
                    // Following the cluster is no pin.
                    Some(version) != cluster_version.as_ref()
                });
                let arch = if ami_type.contains("ARM_64") {
                    "arm64"
                } else {
                    "x86_64"
                };
                let effective_version = version.clone().or(cluster_version.clone());
                let latest_release = match (self.extras.latest_bottlerocket, &effective_version) {
                    (Some(latest), Some(version)) if ami_type.starts_with("BOTTLEROCKET_") => {
                        latest(version, arch)
                    }
                    (_, _) if !ami_type.starts_with("BOTTLEROCKET_") => {
                        Fact::unknown("not a Bottlerocket node group")
                    }
                    _ => Fact::unknown("the Bottlerocket SSM parameter was not read"),
                };
                let launch = match group
                    .attrs
                    .get("launch_template_id")
                    .and_then(Value::as_ref_target)
                    .and_then(|reference| self.desired.get(&reference.resource))
                {
                    Some(template) => Fact::Known(launch_view(template, &key)?),
                    None => Fact::unknown("no launch template in the desired model"),
                };
                let remote_access = group
                    .attrs
                    .get("remote_access")
                    .and_then(Value::as_map)
                    .map(|remote| super::view::RemoteAccessView {
                        ssh_key: remote.get("ec2_ssh_key").and_then(text),
                        source_security_groups: match remote.get("source_security_groups") {
                            Some(Value::List(items)) => items.iter().filter_map(link).collect(),
                            _ => Vec::new(),
                        },
                    });
                Ok(NodeGroupView {
                    subject: Subject::new(group.id.to_string()).with_key(key),
                    name: required_text(group, "name")?,
                    ami_type: Fact::Known(ami_type),
                    version,
                    release_version: attr_text(group, "release_version"),
                    latest_release,
                    subnets: attr_list(group, "subnet_ids")
                        .iter()
                        .filter_map(link)
                        .collect(),
                    node_role: Fact::Known(required_link(group, "node_role_arn")?),
                    remote_access,
                    launch,
                })
            })
            .collect()
    }

    /// The `ecr_repository` resources, each at its `[[registry.repositories]]` entry, and
    /// whether enhanced scanning (`ecr_registry_scanning.registry`) covers them.
    fn registry(&self) -> Option<Fact<RegistryView>> {
        let written = self
            .loaded
            .model
            .registry
            .as_ref()
            .map(|registry| registry.repositories.as_slice())
            .unwrap_or_default();
        let repositories: Vec<RepositoryView> = self
            .of_kind(Kind::EcrRepository)
            .map(|repository| {
                let name = attr_text(repository, "name")
                    .unwrap_or_else(|| local_name(&repository.id).to_string());
                let key = written
                    .iter()
                    .position(|entry| entry.name == name)
                    .map_or_else(
                        || "registry".to_string(),
                        |i| format!("registry.repositories[{i}]"),
                    );
                RepositoryView {
                    subject: Subject::new(repository.id.to_string()).with_key(key),
                    scan_on_push: attr_bool(repository, "scan_on_push").unwrap_or(false),
                    immutable_tags: attr_text(repository, "image_tag_mutability").as_deref()
                        == Some("IMMUTABLE"),
                    policy: attr_json(repository, "policy"),
                    kms_encrypted: attr_text(repository, "encryption_type").as_deref()
                        == Some("KMS"),
                    lifecycle_policy: attr_text(repository, "lifecycle_policy").is_some(),
                    newest_image_findings: None,
                    name,
                }
            })
            .collect();
        if repositories.is_empty() {
            return None;
        }
        let registry_scanning = self
            .find(Kind::EcrRegistryScanning, "registry")
            .is_some_and(|scanning| {
                attr_text(scanning, "scan_type").as_deref() == Some("ENHANCED")
            });
        Some(Fact::Known(RegistryView {
            registry_scanning,
            repositories,
        }))
    }

    /// What the `guardduty_detector` resource sends; `None` without `[detection]` (the
    /// account's GuardDuty is then judged live only). `guardduty = false` makes no detector:
    /// judged as none.
    fn detection(&self) -> Option<Fact<DetectionView>> {
        self.loaded.model.detection.as_ref()?;
        let id = ResourceId::new(Kind::GuarddutyDetector, "region");
        let detector = self.desired.get(&id);
        let enabled = |name: &str| {
            detector
                .and_then(|detector| attr_text(detector, name))
                .as_deref()
                == Some("ENABLED")
        };
        Some(Fact::Known(DetectionView {
            subject: Subject::new(id.to_string()).with_key("detection"),
            guardduty: detector.and_then(|detector| attr_bool(detector, "enable")) == Some(true),
            eks_audit_logs: enabled("eks_audit_logs"),
            runtime_monitoring: enabled("runtime_monitoring") && enabled("eks_addon_management"),
        }))
    }

    fn session_preferences(&self) -> Option<SessionPreferencesView> {
        let document = self.find(Kind::SsmDocument, "session_preferences")?;
        let content = attr_json(document, "content").unwrap_or(Json::Null);
        let inputs = content.get("inputs").cloned().unwrap_or(Json::Null);
        let input = |name: &str| {
            inputs
                .get(name)
                .and_then(Json::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
        };
        Some(SessionPreferencesView {
            subject: Subject::new(document.id.to_string()).with_key("access.session_logging"),
            cloudwatch_log_group: input("cloudWatchLogGroupName"),
            s3_bucket: input("s3BucketName"),
            kms_key_id: input("kmsKeyId"),
            cloudwatch_encryption: inputs
                .get("cloudWatchEncryptionEnabled")
                .and_then(Json::as_bool)
                .unwrap_or(false),
        })
    }

    fn access_entries(&self) -> Result<Vec<AccessEntryView>, DesiredPostureError> {
        let access = self.loaded.model.access.as_ref();
        self.of_kind(Kind::EksAccessEntry)
            .map(|entry| {
                let principal = required_text(entry, "principal_arn")?;
                let key = access
                    .and_then(|access| {
                        if local_name(&entry.id).starts_with("entry.") {
                            access
                                .entries
                                .iter()
                                .position(|declared| declared.principal == principal)
                                .map(|i| format!("access.entries[{i}]"))
                        } else {
                            access
                                .admins
                                .iter()
                                .position(|admin| *admin == principal)
                                .map(|i| format!("access.admins[{i}]"))
                        }
                    })
                    .unwrap_or_else(|| "access".to_string());
                let policies = attr_list(entry, "access_policies")
                    .iter()
                    .filter_map(Value::as_map)
                    .map(|policy| {
                        Ok(AccessPolicyView {
                            policy_arn: Fact::Known(required_member(
                                entry,
                                policy,
                                "access_policies",
                                "policy_arn",
                            )?),
                            scope: policy
                                .get("scope_type")
                                .and_then(text)
                                .unwrap_or_else(|| "cluster".into()),
                            namespaces: match policy.get("namespaces") {
                                Some(Value::List(items)) => items.iter().filter_map(text).collect(),
                                _ => Vec::new(),
                            },
                        })
                    })
                    .collect::<Result<_, DesiredPostureError>>()?;
                Ok(AccessEntryView {
                    subject: Subject::new(entry.id.to_string()).with_key(key),
                    kubernetes_groups: attr_list(entry, "kubernetes_groups")
                        .iter()
                        .filter_map(text)
                        .collect(),
                    policies,
                    principal_trust: Fact::unknown(
                        "the principal's trust is not read at plan time",
                    ),
                    principal_arn: principal,
                })
            })
            .collect()
    }

    /// The EKS-managed add-ons apply installs (`eks_addon`), with what their attributes send:
    /// the pinned version, the CNI's network policy switch, the role or pod identity bound.
    fn addons(&self, cluster: Option<&ClusterView>) -> Fact<AddonsView> {
        let Some(cluster) = cluster else {
            return Fact::unknown("the blueprint has no cluster");
        };
        let managed = self
            .of_kind(Kind::EksAddon)
            .map(|addon| {
                let name = attr_text(addon, "addon_name").unwrap_or_default();
                let configuration = attr_text(addon, "configuration_values")
                    .and_then(|text| serde_json::from_str::<Json>(&text).ok());
                let network_policy = configuration
                    .as_ref()
                    .and_then(|values| values.get("enableNetworkPolicy"))
                    .and_then(Json::as_str)
                    .map(|flag| flag == "true");
                let version = attr_text(addon, "addon_version");
                AddonView {
                    subject: Subject::new(addon.id.to_string()).with_key("addons.managed"),
                    default_version: if version.is_some() {
                        Fact::unknown(
                            "EKS's default version is read from EKS, not from the blueprint",
                        )
                    } else {
                        Fact::Known(None)
                    },
                    version,
                    network_policy: (name == crate::blueprint::addons::VPC_CNI)
                        .then(|| network_policy.unwrap_or(false)),
                    service_account_role: addon
                        .attrs
                        .get("service_account_role_arn")
                        .and_then(link)
                        .filter(|role| !role.is_empty()),
                    pod_identity: !attr_list(addon, "pod_identity_associations").is_empty(),
                    name,
                }
            })
            .collect();
        Fact::Known(AddonsView {
            subject: cluster.subject.at("addons"),
            managed,
        })
    }
}

fn launch_view(template: &Resource, key: &str) -> Result<LaunchView, DesiredPostureError> {
    let volumes = attr_list(template, "block_device_mappings")
        .iter()
        .filter_map(Value::as_map)
        .map(|mapping| {
            Ok((
                Some(required_member(
                    template,
                    mapping,
                    "block_device_mappings",
                    "device_name",
                )?),
                mapping.get("encrypted").and_then(Value::as_bool),
            ))
        })
        .collect::<Result<_, DesiredPostureError>>()?;
    let user_data = attr_text(template, "user_data").map(|encoded| {
        decode_base64(&encoded)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            // Not base64: the text as written.
            .unwrap_or(encoded)
    });
    Ok(LaunchView {
        subject: Subject::new(template.id.to_string()).with_key(key),
        http_tokens: attr_text(template, "metadata_http_tokens"),
        hop_limit: attr_int(template, "metadata_http_put_response_hop_limit"),
        volumes,
        key_name: attr_text(template, "key_name"),
        public_ip: attr_bool(template, "associate_public_ip_address").unwrap_or(false),
        node_settings: read_node_settings(user_data.as_deref()),
        user_data,
        security_groups: attr_list(template, "security_group_ids")
            .iter()
            .filter_map(link)
            .collect(),
    })
}

/// Standard base64 (with or without padding); `None` on anything else.
fn decode_base64(encoded: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(encoded.len() * 3 / 4);
    for byte in encoded.bytes().filter(|byte| !byte.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
