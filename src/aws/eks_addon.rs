//! `eks_addon`: an EKS managed add-on. CreateAddon (with a clientRequestToken, conflicts
//! overwritten: eksforge owns the add-on's configuration) and a wait for ACTIVE; one UpdateAddon
//! for every changed setting, waited by its update id (a role taken away re-adopts the add-on:
//! DeleteAddon preserving its software, then CreateAddon); DeleteAddon and a wait until it is
//! gone.
//! A DEGRADED or failed add-on stops the wait with EKS's own health issues.
//! Cloud id: `<cluster>|<add-on name>`.

use std::collections::BTreeMap;

use aws_sdk_eks::types::{Addon, AddonPodIdentityAssociations, ResolveConflicts};
use futures::future::try_join_all;

use crate::resources::policy::sorted_json;
use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::eks_common::{
    active_or_failed, poll_update, running_update, tags_of, tags_value, UpdateScope,
};
use super::refresh::{attr_str, required_str};
use super::wait::{until, until_gone};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EksAddonProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EksAddon,
    "eks:DescribeAddon",
    &[
        AttrRule::ForcesReplacement("cluster_name"),
        AttrRule::ForcesReplacement("addon_name"),
        AttrRule::UpdatedBy("addon_version", "eks:UpdateAddon"),
        AttrRule::UpdatedBy("configuration_values", "eks:UpdateAddon"),
        AttrRule::UpdatedBy("service_account_role_arn", "eks:UpdateAddon"),
        AttrRule::UpdatedBy("pod_identity_associations", "eks:UpdateAddon"),
        AttrRule::UpdatedBy("tags", "eks:TagResource/UntagResource"),
    ],
)
// CreateAddon → DescribeAddon (ACTIVE); UpdateAddon → DescribeUpdate; DeleteAddon → gone.
.calls(1, 2, 2, 2)
.typical_wait(60, 30)
.adopts_by_natural_key()
.unordered(&["pod_identity_associations"]);

/// The settings UpdateAddon changes, in one call.
const UPDATED_BY_UPDATE_ADDON: [&str; 4] = [
    "addon_version",
    "configuration_values",
    "service_account_role_arn",
    "pod_identity_associations",
];

impl KindProvider for EksAddonProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted = Vec::new();
        for (id, (cloud_id, _)) in &scope.recorded {
            if let Some((cluster, name)) = cloud_id.split_once('|') {
                wanted.push((id, cluster.to_string(), name.to_string(), FoundVia::State));
            }
        }
        // One add-on of a name per cluster: the one there is ours to manage (the cluster is).
        for (id, attrs) in &scope.missing {
            if let (Some(cluster), Some(name)) = (
                attr_str(attrs, "cluster_name"),
                attr_str(attrs, "addon_name"),
            ) {
                wanted.push((
                    id,
                    cluster.to_string(),
                    name.to_string(),
                    FoundVia::NaturalKey,
                ));
            }
        }
        let found = try_join_all(
            wanted
                .into_iter()
                .map(|(id, cluster, name, via)| async move {
                    Ok::<_, AwsError>(describe(aws, id, &cluster, &name).await?.map(|observed| {
                        Found {
                            id: id.clone(),
                            via,
                            observed,
                        }
                    }))
                }),
        )
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let cluster = required_str(attrs, "cluster_name", request.id, "eks:CreateAddon")?;
        let name = required_str(attrs, "addon_name", request.id, "eks:CreateAddon")?;
        let mut call = aws
            .eks
            .create_addon()
            .cluster_name(cluster)
            .addon_name(name)
            // A cluster made without bootstrapped add-ons has nothing to conflict with; an
            // adopted one may run a self-managed copy, which the managed add-on replaces.
            .resolve_conflicts(ResolveConflicts::Overwrite)
            .client_request_token(request.idempotency_token)
            .set_tags(Some(tags_of(attrs)))
            .set_pod_identity_associations(non_empty(associations_request(attrs)));
        if let Some(version) = non_blank(attrs, "addon_version") {
            call = call.addon_version(version);
        }
        if let Some(values) = non_blank(attrs, "configuration_values") {
            call = call.configuration_values(values);
        }
        if let Some(role) = non_blank(attrs, "service_account_role_arn") {
            call = call.service_account_role_arn(role);
        }
        if let Err(error) = call.send().await {
            let error = AwsError::from_sdk(request.id, "eks:CreateAddon", error);
            // Made by an interrupted run (same token) or adopted: wait for it like a new one.
            if error.code.as_deref() != Some("ResourceInUseException") {
                return Err(error);
            }
        }
        wait_active(aws, request.id, cluster, name, "eks:CreateAddon").await
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let after = request.after;
        let cluster = required_str(after, "cluster_name", request.id, "eks:UpdateAddon")?;
        let name = required_str(after, "addon_name", request.id, "eks:UpdateAddon")?;
        if request.changes("service_account_role_arn")
            && non_blank(after, "service_account_role_arn").is_none()
        {
            return self
                .readopt_without_role(aws, &request, cluster, name)
                .await;
        }
        // A run stopped while EKS moved the add-on: await that update by its id, and send
        // nothing when it is the version change asked for.
        let mut resumed = false;
        if request.changes("addon_version") {
            if let Some(update) =
                running_update(aws, request.id, cluster, UpdateScope::Addon(name)).await?
            {
                wait_update(aws, request.id, cluster, name, &update.id).await?;
                let only_version = UPDATED_BY_UPDATE_ADDON
                    .iter()
                    .all(|attribute| *attribute == "addon_version" || !request.changes(attribute));
                resumed = only_version
                    && non_blank(after, "addon_version")
                        .is_some_and(|version| update.sets("AddonUpdate", "AddonVersion", version));
            }
        }
        if !resumed
            && UPDATED_BY_UPDATE_ADDON
                .iter()
                .any(|attribute| request.changes(attribute))
        {
            let mut call = aws
                .eks
                .update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .client_request_token(uuid::Uuid::new_v4().to_string());
            if request.changes("addon_version") {
                call =
                    call.set_addon_version(non_blank(after, "addon_version").map(str::to_string));
            }
            if request.changes("configuration_values") {
                // An empty object clears what was set: the API keeps the last values otherwise.
                call = call
                    .configuration_values(non_blank(after, "configuration_values").unwrap_or("{}"));
            }
            if let Some(role) = non_blank(after, "service_account_role_arn")
                .filter(|_| request.changes("service_account_role_arn"))
            {
                call = call.service_account_role_arn(role);
            }
            if request.changes("pod_identity_associations") {
                // The whole list: EKS replaces the add-on's associations with it.
                call = call.set_pod_identity_associations(Some(associations_request(after)));
            }
            let output = call
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "eks:UpdateAddon", error))?;
            if let Some(update_id) = output.update().and_then(|update| update.id()) {
                wait_update(aws, request.id, cluster, name, update_id).await?;
            }
        }
        if request.changes("tags") {
            let arn = describe(aws, request.id, cluster, name)
                .await?
                .and_then(|observed| {
                    observed
                        .outputs
                        .get("arn")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .ok_or_else(|| {
                    AwsError::new(request.id, "eks:DescribeAddon", "the add-on has no ARN")
                })?;
            super::eks_common::update_tags(aws, request.id, &arn, request.before, after).await?;
        }
        wait_active(aws, request.id, cluster, name, "eks:UpdateAddon").await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let Some((cluster, name)) = request.cloud_id.split_once('|') else {
            return Ok(());
        };
        delete_and_wait(aws, request.id, cluster, name, false).await
    }
}

impl EksAddonProvider {
    /// UpdateAddon cannot take a role away (`serviceAccountRoleArn` has a minimum length of 1),
    /// so moving an add-on off its IRSA role (to Pod Identity) hands it back to EKS: DeleteAddon
    /// with `preserve` (its software keeps running in the cluster, so the CNI never stops), then
    /// CreateAddon as wanted, which takes the running software over again.
    async fn readopt_without_role(
        &self,
        aws: &Aws,
        request: &UpdateRequest<'_>,
        cluster: &str,
        name: &str,
    ) -> Result<Observed, AwsError> {
        delete_and_wait(aws, request.id, cluster, name, true).await?;
        let token = uuid::Uuid::new_v4().to_string();
        self.create(
            aws,
            CreateRequest {
                id: request.id,
                attrs: request.after,
                idempotency_token: &token,
            },
        )
        .await
    }
}

/// DeleteAddon (with `preserve`, its software stays in the cluster) and a wait until EKS no
/// longer lists it; already gone counts as deleted.
async fn delete_and_wait(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
    preserve: bool,
) -> Result<(), AwsError> {
    if let Err(error) = aws
        .eks
        .delete_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .preserve(preserve)
        .send()
        .await
    {
        return AwsError::from_sdk(id, "eks:DeleteAddon", error).gone();
    }
    until_gone(
        &aws.waits,
        id.as_str(),
        "eks:DescribeAddon",
        &format!(
            "add-on {name} of cluster {cluster} to be {}",
            if preserve {
                "released (preserved)"
            } else {
                "deleted"
            }
        ),
        || describe(aws, id, cluster, name),
    )
    .await
}

fn non_blank<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attr_str(attrs, name).filter(|text| !text.is_empty())
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// The `pod_identity_associations` attribute as the request takes it.
fn associations_request(attrs: &Attrs) -> Vec<AddonPodIdentityAssociations> {
    let Some(Value::List(items)) = attrs.get("pod_identity_associations") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_map)
        .filter_map(|item| {
            AddonPodIdentityAssociations::builder()
                .service_account(item.get("service_account")?.as_str()?)
                .role_arn(item.get("role_arn")?.as_str()?)
                .build()
                .ok()
        })
        .collect()
}

/// Waits until the add-on is ACTIVE; DEGRADED or a failed state ends the wait with EKS's
/// health issues (`operation` is the call whose outcome it was).
async fn wait_active(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
    operation: &'static str,
) -> Result<Observed, AwsError> {
    until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeAddon",
        &format!("add-on {name} of cluster {cluster} to be ACTIVE"),
        || async {
            let observed = describe(aws, id, cluster, name).await?;
            active_or_failed(
                observed,
                &["DEGRADED", "CREATE_FAILED", "UPDATE_FAILED"],
                |status, health| {
                    AwsError::new(
                        id,
                        operation,
                        format!(
                            "add-on {name} is {status}: {}",
                            health.unwrap_or("EKS reported no health issue")
                        ),
                    )
                },
            )
        },
    )
    .await
}

/// Waits for one UpdateAddon by its id.
async fn wait_update(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
    update_id: &str,
) -> Result<(), AwsError> {
    until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeUpdate",
        &format!("update {update_id} of add-on {name}"),
        || {
            poll_update(
                aws,
                id,
                "eks:UpdateAddon",
                cluster,
                UpdateScope::Addon(name),
                update_id,
            )
        },
    )
    .await
}

/// The add-on as the attributes the expansion writes; `None` when it does not exist.
async fn describe(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
) -> Result<Option<Observed>, AwsError> {
    let output = match aws
        .eks
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "eks:DescribeAddon", error).absent(),
    };
    let Some(addon) = output.addon() else {
        return Ok(None);
    };
    let associations = read_associations(aws, id, cluster, addon).await?;
    Ok(Some(observed(cluster, name, addon, associations)))
}

/// The add-on's pod identity associations as (service account, role ARN): DescribeAddon
/// gives only their ARNs, so each is read (at once).
async fn read_associations(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    addon: &Addon,
) -> Result<Vec<(String, String)>, AwsError> {
    let reads = addon
        .pod_identity_associations()
        .iter()
        .map(|arn| async move {
            // arn:<partition>:eks:<region>:<account>:podidentityassociation/<cluster>/<id>
            let association_id = arn.rsplit('/').next().unwrap_or(arn);
            let output = aws
                .eks
                .describe_pod_identity_association()
                .cluster_name(cluster)
                .association_id(association_id)
                .send()
                .await;
            match output {
                Ok(output) => Ok(output.association().map(|association| {
                    (
                        association
                            .service_account()
                            .unwrap_or_default()
                            .to_string(),
                        association.role_arn().unwrap_or_default().to_string(),
                    )
                })),
                Err(error) => {
                    AwsError::from_sdk(id, "eks:DescribePodIdentityAssociation", error).absent()
                }
            }
        });
    let mut pairs: Vec<(String, String)> =
        try_join_all(reads).await?.into_iter().flatten().collect();
    pairs.sort();
    Ok(pairs)
}

fn observed(
    cluster: &str,
    name: &str,
    addon: &Addon,
    associations: Vec<(String, String)>,
) -> Observed {
    let attrs = Attrs::from([
        (
            "cluster_name".to_string(),
            Value::str(addon.cluster_name().unwrap_or(cluster)),
        ),
        (
            "addon_name".to_string(),
            Value::str(addon.addon_name().unwrap_or(name)),
        ),
        (
            "addon_version".to_string(),
            Value::str(addon.addon_version().unwrap_or_default()),
        ),
        (
            "configuration_values".to_string(),
            Value::str(canonical_configuration(addon.configuration_values())),
        ),
        (
            "service_account_role_arn".to_string(),
            Value::str(addon.service_account_role_arn().unwrap_or_default()),
        ),
        (
            "pod_identity_associations".to_string(),
            Value::List(
                associations
                    .into_iter()
                    .map(|(service_account, role_arn)| {
                        Value::Map(BTreeMap::from([
                            ("role_arn".to_string(), Value::str(role_arn)),
                            ("service_account".to_string(), Value::str(service_account)),
                        ]))
                    })
                    .collect(),
            ),
        ),
        ("tags".to_string(), tags_value(addon.tags())),
    ]);
    let cloud_id = format!("{cluster}|{name}");
    let mut outputs = Attrs::from([("id".to_string(), Value::str(cloud_id.clone()))]);
    if let Some(arn) = addon.addon_arn() {
        outputs.insert("arn".into(), Value::str(arn));
    }
    if let Some(status) = addon.status() {
        outputs.insert("status".into(), Value::str(status.as_str()));
    }
    let issues: Vec<String> = addon
        .health()
        .map(|health| {
            health
                .issues()
                .iter()
                .map(|issue| {
                    let mut text = format!(
                        "{}: {}",
                        issue.code().map(|code| code.as_str()).unwrap_or("issue"),
                        issue.message().unwrap_or("no message")
                    );
                    if !issue.resource_ids().is_empty() {
                        text.push_str(&format!(" ({})", issue.resource_ids().join(", ")));
                    }
                    text
                })
                .collect()
        })
        .unwrap_or_default();
    if !issues.is_empty() {
        outputs.insert("health".into(), Value::str(issues.join("; ")));
    }
    Observed {
        cloud_id,
        attrs,
        outputs,
    }
}

/// Configuration values as the expansion writes them: JSON with keys sorted, empty when none
/// (or `{}`). Values EKS holds in another form (YAML) are kept as sent, so they show as a
/// change to the blueprint's JSON.
fn canonical_configuration(values: Option<&str>) -> String {
    let Some(text) = values.map(str::trim).filter(|text| !text.is_empty()) else {
        return String::new();
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) if map.is_empty() => String::new(),
        Ok(value) => sorted_json(&value),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_configuration;

    #[test]
    fn configuration_values_compare_as_sorted_json() {
        assert_eq!(canonical_configuration(None), "");
        assert_eq!(canonical_configuration(Some(" {} ")), "");
        assert_eq!(
            canonical_configuration(Some(r#"{"b": [2, 1], "a": {"y": 1, "x": "t"}}"#)),
            r#"{"a":{"x":"t","y":1},"b":[2,1]}"#
        );
        assert_eq!(canonical_configuration(Some("a: 1")), "a: 1");
    }
}
