//! `eks_cluster`: CreateCluster (with a clientRequestToken) and a wait for ACTIVE;
//! UpdateClusterConfig / UpdateClusterVersion one at a time (EKS refuses concurrent updates on
//! a cluster), each waited for; DeleteCluster and a wait until it is gone.

use std::collections::BTreeSet;

use aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;
use aws_sdk_eks::types::{
    AuthenticationMode, CreateAccessConfigRequest, EncryptionConfig, LogSetup, LogType, Logging,
    Provider as KeyProvider, UpdateAccessConfigRequest, VpcConfigRequest,
};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::eks_common::{sorted_list, strings, tags_of};
use super::refresh::{attr_str, claimed_id, required_str};
use super::wait::{until, until_gone, Poll};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, ErrorClass, Found,
    FoundVia, KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EksClusterProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EksCluster,
    "eks:DescribeCluster",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::UpdatedBy("version", "eks:UpdateClusterVersion"),
        AttrRule::ForcesReplacement("role_arn"),
        AttrRule::UpdatedBy("subnet_ids", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("security_group_ids", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("endpoint_private_access", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("endpoint_public_access", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("public_access_cidrs", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("enabled_log_types", "eks:UpdateClusterConfig"),
        // Secrets encryption can be added to a cluster but never changed or removed.
        AttrRule::ForcesReplacement("secrets_kms_key_arn"),
        AttrRule::UpdatedBy("authentication_mode", "eks:UpdateClusterConfig"),
        AttrRule::ForcesReplacement("bootstrap_cluster_creator_admin"),
        AttrRule::UpdatedBy("tags", "eks:TagResource/UntagResource"),
    ],
)
// CreateCluster → DescribeCluster (ACTIVE); updates: Update → DescribeUpdate.
.calls(1, 2, 2, 2)
.typical_wait(600, 300)
.adopts_by_natural_key()
.unordered(&["subnet_ids", "security_group_ids", "public_access_cidrs"]);

/// The five control-plane log types, as the blueprint names them.
const LOG_TYPES: &[&str] = crate::blueprint::model::ControlPlaneLogType::NAMES;

impl KindProvider for EksClusterProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted: Vec<(ResourceId, String, FoundVia, Option<Attrs>)> = Vec::new();
        for (id, (cloud_id, attrs)) in &scope.recorded {
            wanted.push((
                id.clone(),
                cloud_id.clone(),
                FoundVia::State,
                Some(attrs.clone()),
            ));
        }
        for (id, attrs) in &scope.missing {
            if let Some(name) = attr_str(attrs, "name") {
                wanted.push((
                    id.clone(),
                    name.to_string(),
                    FoundVia::NaturalKey,
                    Some(attrs.clone()),
                ));
            }
        }
        let found = try_join_all(wanted.into_iter().map(|(id, name, via, known)| async move {
            let observed = describe(aws, &id, &name, known.as_ref()).await?;
            Ok::<_, AwsError>(observed.and_then(|observed| {
                // Adopt a same-named cluster only when it carries this blueprint's tags.
                if via != FoundVia::State
                    && claimed_id(&observed, &scope.blueprint, Kind::EksCluster).as_ref()
                        != Some(&id)
                {
                    return None;
                }
                Some(Found { id, via, observed })
            }))
        }))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let name = required_str(attrs, "name", request.id, "eks:CreateCluster")?;
        let mut call = aws
            .eks
            .create_cluster()
            .name(name)
            .role_arn(required_str(
                attrs,
                "role_arn",
                request.id,
                "eks:CreateCluster",
            )?)
            .resources_vpc_config(vpc_config(attrs))
            .logging(logging(attrs))
            .client_request_token(request.idempotency_token)
            .access_config(
                CreateAccessConfigRequest::builder()
                    .authentication_mode(AuthenticationMode::from(
                        attr_str(attrs, "authentication_mode").unwrap_or("API"),
                    ))
                    .bootstrap_cluster_creator_admin_permissions(
                        attrs
                            .get("bootstrap_cluster_creator_admin")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    )
                    .build(),
            )
            .set_tags(Some(tags_of(attrs)));
        if let Some(version) = attr_str(attrs, "version") {
            call = call.version(version);
        }
        if let Some(key) = attr_str(attrs, "secrets_kms_key_arn") {
            // `resources` is deprecated (EKS now encrypts all API data with the key) but
            // still the documented shape of the request.
            #[allow(deprecated)]
            let encryption = EncryptionConfig::builder()
                .resources("secrets")
                .provider(KeyProvider::builder().key_arn(key).build())
                .build();
            call = call.encryption_config(encryption);
        }
        match call.send().await {
            Ok(_) => {}
            Err(error) => {
                let error = AwsError::from_sdk(request.id, "eks:CreateCluster", error);
                // A retried create after a crash: the cluster exists; adopt it if it is ours.
                if error.code.as_deref() != Some("ResourceInUseException") {
                    return Err(error);
                }
                let blueprint = attrs
                    .get("tags")
                    .and_then(Value::as_map)
                    .and_then(|tags| tags.get(crate::resources::TAG_BLUEPRINT))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let existing = describe(aws, request.id, name, Some(attrs)).await?;
                let ours = existing
                    .as_ref()
                    .and_then(|observed| claimed_id(observed, blueprint, Kind::EksCluster));
                if ours.as_ref() != Some(request.id) {
                    return Err(error);
                }
            }
        }
        wait_active(aws, request.id, name, Some(attrs)).await
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let name = attr_str(request.after, "name").unwrap_or(request.cloud_id);
        let changed: BTreeSet<&str> = request.changed.iter().map(String::as_str).collect();
        // One update at a time, each waited for: EKS refuses a second while one runs.
        if changed.contains("version") {
            let target = required_str(
                request.after,
                "version",
                request.id,
                "eks:UpdateClusterVersion",
            )?;
            check_one_minor_step(request.id, attr_str(request.before, "version"), target)?;
            let output = aws
                .eks
                .update_cluster_version()
                .name(name)
                .version(target)
                .send()
                .await
                .map_err(|error| {
                    AwsError::from_sdk(request.id, "eks:UpdateClusterVersion", error)
                })?;
            wait_update(
                aws,
                request.id,
                name,
                output.update().and_then(|update| update.id()),
            )
            .await?;
        }
        let vpc_keys = [
            "subnet_ids",
            "security_group_ids",
            "endpoint_private_access",
            "endpoint_public_access",
            "public_access_cidrs",
        ];
        if vpc_keys.iter().any(|key| changed.contains(key)) {
            // The whole object, always: a partial one would reset the rest on some endpoints.
            update_config(
                aws,
                request.id,
                name,
                aws.eks
                    .update_cluster_config()
                    .name(name)
                    .resources_vpc_config(vpc_config(request.after)),
            )
            .await?;
        }
        if changed.contains("enabled_log_types") {
            update_config(
                aws,
                request.id,
                name,
                aws.eks
                    .update_cluster_config()
                    .name(name)
                    .logging(logging(request.after)),
            )
            .await?;
        }
        if changed.contains("authentication_mode") {
            let from = attr_str(request.before, "authentication_mode");
            let to = attr_str(request.after, "authentication_mode").unwrap_or("API");
            for mode in authentication_mode_steps(from, to) {
                update_config(
                    aws,
                    request.id,
                    name,
                    aws.eks.update_cluster_config().name(name).access_config(
                        UpdateAccessConfigRequest::builder()
                            .authentication_mode(mode)
                            .build(),
                    ),
                )
                .await?;
            }
        }
        if changed.contains("tags") {
            update_tags(aws, &request).await?;
        }
        wait_active(aws, request.id, name, Some(request.after)).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let name = attr_str(request.attrs, "name").unwrap_or(request.cloud_id);
        if let Err(error) = aws.eks.delete_cluster().name(name).send().await {
            // Already gone: deleted, with nothing to wait for.
            return AwsError::from_sdk(request.id, "eks:DeleteCluster", error).gone();
        }
        until_gone(
            &aws.waits,
            request.id.as_str(),
            "eks:DescribeCluster",
            &format!("cluster {name} to be deleted"),
            || describe(aws, request.id, name, None),
        )
        .await
    }
}

/// The modes to send, in order, to move a cluster from `from` to `to`. EKS moves one way, one
/// step at a time (CONFIG_MAP, then API_AND_CONFIG_MAP, then API) and refuses a skipped step.
fn authentication_mode_steps(from: Option<&str>, to: &str) -> Vec<AuthenticationMode> {
    let to = AuthenticationMode::from(to);
    if from == Some(AuthenticationMode::ConfigMap.as_str()) && to == AuthenticationMode::Api {
        vec![AuthenticationMode::ApiAndConfigMap, to]
    } else {
        vec![to]
    }
}

fn check_one_minor_step(id: &ResourceId, from: Option<&str>, to: &str) -> Result<(), AwsError> {
    let minor = |version: &str| {
        version
            .split('.')
            .nth(1)
            .and_then(|minor| minor.parse::<u32>().ok())
    };
    if let (Some(from), Some(to_minor)) = (from.and_then(minor), minor(to)) {
        if to_minor < from {
            return Err(AwsError::new(
                id,
                "eks:UpdateClusterVersion",
                format!("EKS cannot downgrade a cluster (1.{from} → {to})"),
            ));
        }
        if to_minor > from + 1 {
            return Err(AwsError::new(
                id,
                "eks:UpdateClusterVersion",
                format!("EKS upgrades one minor version at a time: set cluster.version to 1.{} first, apply, then {to}", from + 1),
            ));
        }
    }
    Ok(())
}

fn vpc_config(attrs: &Attrs) -> VpcConfigRequest {
    let public = attrs
        .get("endpoint_public_access")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut config = VpcConfigRequest::builder()
        .set_subnet_ids(Some(strings(attrs, "subnet_ids")))
        .set_security_group_ids(Some(strings(attrs, "security_group_ids")))
        .endpoint_private_access(
            attrs
                .get("endpoint_private_access")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        )
        .endpoint_public_access(public);
    if public {
        config = config.set_public_access_cidrs(Some(strings(attrs, "public_access_cidrs")));
    }
    config.build()
}

/// Every type, enabled and disabled groups both: some endpoints replace the list wholesale.
fn logging(attrs: &Attrs) -> Logging {
    let enabled: BTreeSet<String> = strings(attrs, "enabled_log_types").into_iter().collect();
    let (on, off): (Vec<&str>, Vec<&str>) =
        LOG_TYPES.iter().partition(|kind| enabled.contains(**kind));
    let mut setups = Vec::new();
    for (types, flag) in [(on, true), (off, false)] {
        if !types.is_empty() {
            setups.push(
                LogSetup::builder()
                    .set_types(Some(types.into_iter().map(LogType::from).collect()))
                    .enabled(flag)
                    .build(),
            );
        }
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

async fn update_tags(aws: &Aws, request: &UpdateRequest<'_>) -> Result<(), AwsError> {
    let arn = request
        .before
        .get("arn")
        .and_then(Value::as_str)
        .map(str::to_string);
    let arn = match arn {
        Some(arn) => arn,
        None => {
            let name = attr_str(request.after, "name").unwrap_or(request.cloud_id);
            describe(aws, request.id, name, None)
                .await?
                .and_then(|observed| {
                    observed
                        .outputs
                        .get("arn")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default()
        }
    };
    super::eks_common::update_tags(aws, request.id, &arn, request.before, request.after).await
}

async fn wait_active(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    known: Option<&Attrs>,
) -> Result<Observed, AwsError> {
    until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeCluster",
        &format!("cluster {name} to be ACTIVE"),
        || async {
            let observed = describe(aws, id, name, known).await?;
            let Some(observed) = observed else {
                return Ok(Poll::Pending("not visible yet".to_string()));
            };
            match observed.outputs.get("status").and_then(Value::as_str) {
                Some("ACTIVE") => Ok(Poll::Done(observed)),
                Some("FAILED") => Err(AwsError::new(
                    id,
                    "eks:CreateCluster",
                    format!("cluster {name} is FAILED; see its health in the EKS console"),
                )),
                Some(status) => Ok(Poll::Pending(status.to_string())),
                None => Ok(Poll::Pending("unknown".to_string())),
            }
        },
    )
    .await
}

/// Sends one UpdateClusterConfig and waits for that update to finish (EKS takes one at a time).
async fn update_config(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    call: UpdateClusterConfigFluentBuilder,
) -> Result<(), AwsError> {
    let output = call
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "eks:UpdateClusterConfig", error))?;
    wait_update(
        aws,
        id,
        name,
        output.update().and_then(|update| update.id()),
    )
    .await
}

/// Waits for an update by id; an endpoint that returns none (moto) has applied it already.
async fn wait_update(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    update_id: Option<&str>,
) -> Result<(), AwsError> {
    let Some(update_id) = update_id else {
        wait_active(aws, id, name, None).await?;
        return Ok(());
    };
    until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeUpdate",
        &format!("update {update_id} of cluster {name}"),
        || async {
            let output = aws
                .eks
                .describe_update()
                .name(name)
                .update_id(update_id)
                .send()
                .await;
            let output = match output {
                Ok(output) => output,
                Err(error) => {
                    let error = AwsError::from_sdk(id, "eks:DescribeUpdate", error);
                    // An endpoint without DescribeUpdate: fall back to the cluster's status.
                    if error.class == ErrorClass::Unsupported || error.is_not_found() {
                        return wait_active(aws, id, name, None)
                            .await
                            .map(|_| Poll::Done(()));
                    }
                    return Err(error);
                }
            };
            match output
                .update()
                .and_then(|update| update.status())
                .map(|status| status.as_str().to_string())
                .as_deref()
            {
                Some("Successful") => Ok(Poll::Done(())),
                Some("Failed") | Some("Cancelled") => {
                    let reasons: Vec<String> = output
                        .update()
                        .map(|update| {
                            update
                                .errors()
                                .iter()
                                .filter_map(|error| error.error_message().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    Err(AwsError::new(
                        id,
                        "eks:UpdateClusterConfig",
                        format!("update {update_id} failed: {}", reasons.join("; ")),
                    ))
                }
                Some(status) => Ok(Poll::Pending(status.to_string())),
                None => Ok(Poll::Pending("unknown".to_string())),
            }
        },
    )
    .await
}

/// The cluster as the attributes the expansion writes; `None` when it does not exist.
/// `known` supplies what the API may not report (moto drops `accessConfig`).
async fn describe(
    aws: &Aws,
    id: &ResourceId,
    name: &str,
    known: Option<&Attrs>,
) -> Result<Option<Observed>, AwsError> {
    let output = match aws.eks.describe_cluster().name(name).send().await {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "eks:DescribeCluster", error).absent(),
    };
    let Some(cluster) = output.cluster() else {
        return Ok(None);
    };
    let mut attrs = Attrs::new();
    attrs.insert("name".into(), Value::str(cluster.name().unwrap_or(name)));
    if let Some(version) = cluster.version() {
        attrs.insert("version".into(), Value::str(version));
    }
    attrs.insert(
        "role_arn".into(),
        Value::str(cluster.role_arn().unwrap_or_default()),
    );
    let mut outputs = Attrs::new();
    if let Some(vpc) = cluster.resources_vpc_config() {
        attrs.insert("subnet_ids".into(), sorted_list(vpc.subnet_ids()));
        attrs.insert(
            "security_group_ids".into(),
            sorted_list(vpc.security_group_ids()),
        );
        attrs.insert(
            "endpoint_private_access".into(),
            Value::Bool(vpc.endpoint_private_access()),
        );
        attrs.insert(
            "endpoint_public_access".into(),
            Value::Bool(vpc.endpoint_public_access()),
        );
        // With the public endpoint off, EKS still reports 0.0.0.0/0: meaningless, not drift.
        if vpc.endpoint_public_access() {
            attrs.insert(
                "public_access_cidrs".into(),
                sorted_list(vpc.public_access_cidrs()),
            );
        }
        if let Some(group) = vpc.cluster_security_group_id() {
            outputs.insert("cluster_security_group_id".into(), Value::str(group));
        }
    }
    let enabled: BTreeSet<String> = cluster
        .logging()
        .map(|logging| {
            logging
                .cluster_logging()
                .iter()
                .filter(|setup| setup.enabled() == Some(true))
                .flat_map(|setup| setup.types().iter().map(|kind| kind.as_str().to_string()))
                .collect()
        })
        .unwrap_or_default();
    attrs.insert(
        "enabled_log_types".into(),
        Value::List(
            LOG_TYPES
                .iter()
                .filter(|kind| enabled.contains(**kind))
                .map(|kind| Value::str(*kind))
                .collect(),
        ),
    );
    if let Some(key) = cluster
        .encryption_config()
        .iter()
        .find_map(|config| config.provider())
        .and_then(|provider| provider.key_arn())
    {
        attrs.insert("secrets_kms_key_arn".into(), Value::str(key));
    }
    // Not reported by every endpoint (moto drops accessConfig): keep what we know.
    match cluster
        .access_config()
        .and_then(|config| config.authentication_mode())
    {
        Some(mode) => {
            attrs.insert("authentication_mode".into(), Value::str(mode.as_str()));
        }
        None => {
            if let Some(mode) = known.and_then(|known| known.get("authentication_mode")) {
                attrs.insert("authentication_mode".into(), mode.clone());
            }
        }
    }
    // Only used at create: not readable afterwards.
    if let Some(flag) = known.and_then(|known| known.get("bootstrap_cluster_creator_admin")) {
        attrs.insert("bootstrap_cluster_creator_admin".into(), flag.clone());
    }
    let tags: std::collections::BTreeMap<String, Value> = cluster
        .tags()
        .map(|tags| {
            tags.iter()
                .filter(|(key, _)| !key.starts_with("aws:"))
                .map(|(key, value)| (key.clone(), Value::str(value.clone())))
                .collect()
        })
        .unwrap_or_default();
    attrs.insert("tags".into(), Value::Map(tags));

    outputs.insert("name".into(), Value::str(cluster.name().unwrap_or(name)));
    for (key, value) in [
        ("arn", cluster.arn()),
        ("endpoint", cluster.endpoint()),
        ("status", cluster.status().map(|status| status.as_str())),
        (
            "certificate_authority",
            cluster.certificate_authority().and_then(|ca| ca.data()),
        ),
        (
            "vpc_id",
            cluster.resources_vpc_config().and_then(|vpc| vpc.vpc_id()),
        ),
    ] {
        if let Some(value) = value {
            outputs.insert(key.into(), Value::str(value));
        }
    }
    if let Some(issuer) = cluster
        .identity()
        .and_then(|identity| identity.oidc())
        .and_then(|oidc| oidc.issuer())
    {
        outputs.insert("oidc_issuer".into(), Value::str(issuer));
        outputs.insert(
            "oidc_issuer_host".into(),
            Value::str(issuer.trim_start_matches("https://")),
        );
    }
    Ok(Some(Observed {
        cloud_id: cluster.name().unwrap_or(name).to_string(),
        attrs,
        outputs,
    }))
}
