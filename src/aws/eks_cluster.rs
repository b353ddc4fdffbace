//! `eks_cluster`: CreateCluster (with a clientRequestToken) and a wait for ACTIVE;
//! UpdateClusterConfig / UpdateClusterVersion one at a time (EKS refuses concurrent updates on
//! a cluster, and takes one kind of change per UpdateClusterConfig), each waited for;
//! DeleteCluster (after turning deletion protection off, which the plan allows only with
//! `--allow-replace eks_cluster.main`) and a wait until it is gone.

use std::collections::BTreeSet;

use aws_sdk_eks::operation::create_cluster::builders::CreateClusterFluentBuilder;
use aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;
use aws_sdk_eks::types::{
    AuthenticationMode, CreateAccessConfigRequest, EncryptionConfig, LogSetup, LogType, Logging,
    Provider as KeyProvider, SupportType, UpdateAccessConfigRequest, UpgradePolicyRequest,
    VpcConfigRequest,
};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::eks_common::{
    active_or_failed, running_update, sorted_list, strings, tags_of, UpdateScope,
};
use super::refresh::{attr_str, claimed_id, required_bool, required_str};
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
        AttrRule::UpdatedBy("deletion_protection", "eks:UpdateClusterConfig"),
        AttrRule::UpdatedBy("upgrade_policy", "eks:UpdateClusterConfig"),
        // Whether EKS installs unmanaged add-on copies: decided at creation only.
        AttrRule::ForcesReplacement("bootstrap_self_managed_addons"),
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
        call = protection_and_support(call, attrs, request.id)?;
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
        // Built before anything is sent: a request eksforge cannot build changes nothing.
        let config_calls = config_updates(&aws.eks, name, &request)?;
        // One update at a time, each waited for: EKS refuses a second while one runs.
        if request.changes("version") {
            let target = required_str(
                request.after,
                "version",
                request.id,
                "eks:UpdateClusterVersion",
            )?;
            check_one_minor_step(request.id, attr_str(request.before, "version"), target)?;
            // A run stopped while EKS upgraded: await that update by its id instead of
            // starting it again (and any other update first: EKS takes one at a time).
            let running = running_update(aws, request.id, name, UpdateScope::Cluster).await?;
            if let Some(update) = &running {
                wait_update(aws, request.id, name, Some(&update.id)).await?;
            }
            if !running
                .as_ref()
                .is_some_and(|update| update.sets("VersionUpdate", "Version", target))
            {
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
        }
        // One kind of change per UpdateClusterConfig, as EKS requires, each waited for.
        for call in config_calls {
            update_config(aws, request.id, name, call).await?;
        }
        if request.changes("tags") {
            update_tags(aws, &request).await?;
        }
        wait_active(aws, request.id, name, Some(request.after)).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let name = attr_str(request.attrs, "name").unwrap_or(request.cloud_id);
        // EKS refuses to delete a protected cluster. The plan lets a delete of one through only
        // with `--allow-replace eks_cluster.main` (src/plan/protection.rs), so reaching here with
        // the refreshed cluster protected is the user's consent to lift the protection.
        if request
            .attrs
            .get("deletion_protection")
            .and_then(Value::as_bool)
            == Some(true)
        {
            let lift = aws
                .eks
                .update_cluster_config()
                .name(name)
                .deletion_protection(false);
            if let Err(error) = update_config(aws, request.id, name, lift).await {
                // Already gone: deleted, with nothing to wait for.
                return error.gone();
            }
        }
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

/// What CreateCluster sends beside the cluster's shape: deletion protection, the support
/// policy (always: EKS otherwise puts an API-made cluster on paid extended support), and no
/// self-managed add-ons (eksforge installs the managed ones).
fn protection_and_support(
    call: CreateClusterFluentBuilder,
    attrs: &Attrs,
    id: &ResourceId,
) -> Result<CreateClusterFluentBuilder, AwsError> {
    Ok(call
        .deletion_protection(required_bool(
            attrs,
            "deletion_protection",
            id,
            "eks:CreateCluster",
        )?)
        .upgrade_policy(upgrade_policy(attrs, id, "eks:CreateCluster")?)
        .bootstrap_self_managed_addons(required_bool(
            attrs,
            "bootstrap_self_managed_addons",
            id,
            "eks:CreateCluster",
        )?))
}

/// `upgradePolicy` from the `upgrade_policy` attribute (`STANDARD` or `EXTENDED`).
fn upgrade_policy(
    attrs: &Attrs,
    id: &ResourceId,
    operation: &'static str,
) -> Result<UpgradePolicyRequest, AwsError> {
    let support = required_str(attrs, "upgrade_policy", id, operation)?;
    Ok(UpgradePolicyRequest::builder()
        .support_type(SupportType::from(support))
        .build())
}

/// The UpdateClusterConfig calls `request` needs, in the order they are sent: one kind of change
/// each (EKS refuses a second kind in the same call, and a second update while one runs).
fn config_updates(
    eks: &aws_sdk_eks::Client,
    name: &str,
    request: &UpdateRequest<'_>,
) -> Result<Vec<UpdateClusterConfigFluentBuilder>, AwsError> {
    let call = || eks.update_cluster_config().name(name);
    let mut calls = Vec::new();
    let vpc_keys = [
        "subnet_ids",
        "security_group_ids",
        "endpoint_private_access",
        "endpoint_public_access",
        "public_access_cidrs",
    ];
    if vpc_keys.iter().any(|key| request.changes(key)) {
        // The whole object, always: a partial one would reset the rest on some endpoints.
        calls.push(call().resources_vpc_config(vpc_config(request.after)));
    }
    if request.changes("enabled_log_types") {
        calls.push(call().logging(logging(request.after)));
    }
    if request.changes("authentication_mode") {
        let from = attr_str(request.before, "authentication_mode");
        let to = attr_str(request.after, "authentication_mode").unwrap_or("API");
        for mode in authentication_mode_steps(from, to) {
            calls.push(
                call().access_config(
                    UpdateAccessConfigRequest::builder()
                        .authentication_mode(mode)
                        .build(),
                ),
            );
        }
    }
    if request.changes("upgrade_policy") {
        let policy = upgrade_policy(request.after, request.id, "eks:UpdateClusterConfig")?;
        calls.push(call().upgrade_policy(policy));
    }
    if request.changes("deletion_protection") {
        let protect = required_bool(
            request.after,
            "deletion_protection",
            request.id,
            "eks:UpdateClusterConfig",
        )?;
        calls.push(call().deletion_protection(protect));
    }
    Ok(calls)
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
            active_or_failed(observed, &["FAILED"], |_, _| {
                AwsError::new(
                    id,
                    "eks:CreateCluster",
                    format!("cluster {name} is FAILED; see its health in the EKS console"),
                )
            })
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
            match super::eks_common::poll_update(
                aws,
                id,
                "eks:UpdateClusterConfig",
                name,
                UpdateScope::Cluster,
                update_id,
            )
            .await
            {
                // An endpoint without DescribeUpdate: fall back to the cluster's status.
                Err(error) if error.class == ErrorClass::Unsupported || error.is_not_found() => {
                    wait_active(aws, id, name, None)
                        .await
                        .map(|_| Poll::Done(()))
                }
                other => other,
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
    // Not reported by every endpoint (moto alone drops accessConfig, deletionProtection and
    // upgradePolicy): keep what we know.
    let mut reported_or_known = |name: &str, reported: Option<Value>| {
        if let Some(value) = reported.or_else(|| known.and_then(|known| known.get(name)).cloned()) {
            attrs.insert(name.into(), value);
        }
    };
    reported_or_known(
        "authentication_mode",
        cluster
            .access_config()
            .and_then(|config| config.authentication_mode())
            .map(|mode| Value::str(mode.as_str())),
    );
    reported_or_known(
        "deletion_protection",
        cluster.deletion_protection().map(Value::Bool),
    );
    reported_or_known(
        "upgrade_policy",
        cluster
            .upgrade_policy()
            .and_then(|policy| policy.support_type())
            .map(|support| Value::str(support.as_str())),
    );
    // Only used at create: DescribeCluster does not return them.
    for create_only in [
        "bootstrap_cluster_creator_admin",
        "bootstrap_self_managed_addons",
    ] {
        if let Some(flag) = known.and_then(|known| known.get(create_only)) {
            attrs.insert(create_only.into(), flag.clone());
        }
    }
    // A cluster recorded before eksforge sent the flag (or adopted) got EKS's self-managed copies; the
    // managed add-ons take them over (CreateAddon with conflicts overwritten), which leaves it
    // as one created without them. Reading it so keeps an upgrade from replacing the cluster.
    if known.is_some() && !attrs.contains_key("bootstrap_self_managed_addons") {
        attrs.insert("bootstrap_self_managed_addons".into(), Value::Bool(false));
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eks::config::{BehaviorVersion, Region};

    /// A client that is never sent anything: the requests are only built and inspected.
    fn client() -> aws_sdk_eks::Client {
        aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .build(),
        )
    }

    fn cluster() -> ResourceId {
        ResourceId::new(Kind::EksCluster, "main")
    }

    fn attrs(protect: bool, policy: &str) -> Attrs {
        Attrs::from([
            ("deletion_protection".to_string(), Value::Bool(protect)),
            ("upgrade_policy".to_string(), Value::str(policy)),
            (
                "bootstrap_self_managed_addons".to_string(),
                Value::Bool(false),
            ),
        ])
    }

    #[test]
    fn create_sends_protection_the_support_policy_and_no_self_managed_addons() {
        for (protect, policy, support) in [
            (true, "STANDARD", SupportType::Standard),
            (false, "EXTENDED", SupportType::Extended),
        ] {
            let call = protection_and_support(
                client().create_cluster(),
                &attrs(protect, policy),
                &cluster(),
            )
            .unwrap_or_else(|error| panic!("{error}"));
            let input = call.as_input();
            assert_eq!(input.get_deletion_protection(), &Some(protect));
            assert_eq!(
                input
                    .get_upgrade_policy()
                    .as_ref()
                    .and_then(|policy| policy.support_type()),
                Some(&support)
            );
            assert_eq!(input.get_bootstrap_self_managed_addons(), &Some(false));
        }
    }

    #[test]
    fn a_missing_flag_is_eksforge_s_own_mistake_never_a_silent_default() {
        for missing in [
            "deletion_protection",
            "upgrade_policy",
            "bootstrap_self_managed_addons",
        ] {
            let mut incomplete = attrs(true, "STANDARD");
            incomplete.remove(missing);
            let Err(error) =
                protection_and_support(client().create_cluster(), &incomplete, &cluster())
            else {
                panic!("{missing}: sent without it");
            };
            assert_eq!(error.class, ErrorClass::MissingAttribute, "{missing}");
            assert!(error.to_string().contains(missing), "{error}");
        }
    }

    #[test]
    fn each_kind_of_change_is_its_own_update_config_call() {
        let before = Attrs::from([
            ("authentication_mode".to_string(), Value::str("API")),
            ("deletion_protection".to_string(), Value::Bool(true)),
            ("upgrade_policy".to_string(), Value::str("STANDARD")),
        ]);
        let mut after = attrs(false, "EXTENDED");
        after.insert(
            "enabled_log_types".into(),
            Value::List(vec![Value::str("audit")]),
        );
        after.insert("endpoint_public_access".into(), Value::Bool(false));
        let changed: Vec<String> = [
            "deletion_protection",
            "enabled_log_types",
            "endpoint_public_access",
            "upgrade_policy",
        ]
        .map(String::from)
        .to_vec();
        let id = cluster();
        let request = UpdateRequest {
            id: &id,
            cloud_id: "prod",
            before: &before,
            after: &after,
            changed: &changed,
        };
        let calls =
            config_updates(&client(), "prod", &request).unwrap_or_else(|error| panic!("{error}"));
        let members: Vec<Vec<&str>> = calls
            .iter()
            .map(|call| {
                let input = call.as_input();
                assert_eq!(input.get_name().as_deref(), Some("prod"));
                [
                    (
                        "resourcesVpcConfig",
                        input.get_resources_vpc_config().is_some(),
                    ),
                    ("logging", input.get_logging().is_some()),
                    ("accessConfig", input.get_access_config().is_some()),
                    ("upgradePolicy", input.get_upgrade_policy().is_some()),
                    (
                        "deletionProtection",
                        input.get_deletion_protection().is_some(),
                    ),
                ]
                .into_iter()
                .filter(|(_, set)| *set)
                .map(|(member, _)| member)
                .collect()
            })
            .collect();
        assert_eq!(
            members,
            [
                vec!["resourcesVpcConfig"],
                vec!["logging"],
                vec!["upgradePolicy"],
                vec!["deletionProtection"],
            ]
        );
        let last = calls[3].as_input();
        assert_eq!(last.get_deletion_protection(), &Some(false));
        assert_eq!(
            calls[2]
                .as_input()
                .get_upgrade_policy()
                .as_ref()
                .and_then(|policy| policy.support_type()),
            Some(&SupportType::Extended)
        );
    }
}
