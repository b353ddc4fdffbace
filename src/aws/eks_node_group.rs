//! `eks_node_group`: managed node groups. CreateNodegroup and a wait for ACTIVE; scaling,
//! labels, taints and the update policy change in place (UpdateNodegroupConfig), the launch
//! template version and Kubernetes version by UpdateNodegroupVersion; anything else is a
//! replacement, created before the old group is deleted so capacity never drops.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, LaunchTemplateSpecification, NodegroupScalingConfig,
    NodegroupUpdateConfig, Taint, TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::eks_common::{
    active_or_failed, await_update, running_update, sorted_list, strings, tags_of, UpdateScope,
};
use super::refresh::{attr_str, required_str};
use super::tags::MapChanges;
use super::wait::{until, until_gone};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, FoundVia,
    KindProvider, Observed, Scope, UpdateRequest,
};

pub struct EksNodeGroupProvider;

static DESCRIPTION: Description = Description::new(
    Kind::EksNodeGroup,
    "eks:DescribeNodegroup",
    &[
        AttrRule::ForcesReplacement("cluster_name"),
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("node_role_arn"),
        AttrRule::ForcesReplacement("subnet_ids"),
        AttrRule::ForcesReplacement("ami_type"),
        AttrRule::ForcesReplacement("instance_types"),
        AttrRule::ForcesReplacement("capacity_type"),
        AttrRule::ForcesReplacement("launch_template_id"),
        AttrRule::UpdatedBy("launch_template_version", "eks:UpdateNodegroupVersion"),
        AttrRule::UpdatedBy("version", "eks:UpdateNodegroupVersion"),
        AttrRule::UpdatedBy("min_size", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("max_size", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("desired_size", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("labels", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("taints", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("max_unavailable", "eks:UpdateNodegroupConfig"),
        AttrRule::UpdatedBy("tags", "eks:TagResource/UntagResource"),
    ],
)
// CreateNodegroup → DescribeNodegroup (ACTIVE); same for delete.
.calls(1, 2, 2, 2)
.typical_wait(240, 240)
.adopts_by_natural_key()
.create_before_destroy()
.unordered(&["subnet_ids", "instance_types"]);

impl KindProvider for EksNodeGroupProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut wanted: Vec<(ResourceId, String, String, FoundVia, &Attrs)> = Vec::new();
        for (id, (cloud_id, attrs)) in &scope.recorded {
            if let Some(cluster) = attr_str(attrs, "cluster_name") {
                wanted.push((
                    id.clone(),
                    cluster.to_string(),
                    cloud_id.clone(),
                    FoundVia::State,
                    attrs,
                ));
            }
        }
        for (id, attrs) in &scope.missing {
            if let (Some(cluster), Some(name)) =
                (attr_str(attrs, "cluster_name"), attr_str(attrs, "name"))
            {
                wanted.push((
                    id.clone(),
                    cluster.to_string(),
                    name.to_string(),
                    FoundVia::NaturalKey,
                    attrs,
                ));
            }
        }
        let found = try_join_all(wanted.into_iter().map(
            |(id, cluster, name, via, known)| async move {
                Ok::<_, AwsError>(
                    describe_known(aws, &id, &cluster, &name, Some(known))
                        .await?
                        .map(|observed| Found { id, via, observed }),
                )
            },
        ))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let cluster = required_str(attrs, "cluster_name", request.id, "eks:CreateNodegroup")?;
        let name = required_str(attrs, "name", request.id, "eks:CreateNodegroup")?;
        let mut call = aws
            .eks
            .create_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .node_role(required_str(
                attrs,
                "node_role_arn",
                request.id,
                "eks:CreateNodegroup",
            )?)
            .set_subnets(Some(strings(attrs, "subnet_ids")))
            .set_instance_types(Some(strings(attrs, "instance_types")))
            .ami_type(AmiTypes::from(
                attr_str(attrs, "ami_type").unwrap_or("BOTTLEROCKET_x86_64"),
            ))
            .capacity_type(CapacityTypes::from(
                attr_str(attrs, "capacity_type").unwrap_or("ON_DEMAND"),
            ))
            // Always sent: an omitted scaling config is shared mutable state on some endpoints.
            .scaling_config(scaling(attrs))
            .set_labels(Some(labels(attrs).into_iter().collect()))
            .set_taints(Some(taints(attrs)))
            .client_request_token(request.idempotency_token)
            .set_tags(Some(tags_of(attrs)));
        if let Some(version) = attr_str(attrs, "version") {
            call = call.version(version);
        }
        if let Some(template) = attr_str(attrs, "launch_template_id") {
            let mut spec = LaunchTemplateSpecification::builder().id(template);
            if let Some(version) = attr_str(attrs, "launch_template_version") {
                spec = spec.version(version);
            }
            call = call.launch_template(spec.build());
        }
        if let Some(max) = int(attrs, "max_unavailable") {
            call = call.update_config(
                NodegroupUpdateConfig::builder()
                    .max_unavailable(max)
                    .build(),
            );
        }
        if let Err(error) = call.send().await {
            let error = AwsError::from_sdk(request.id, "eks:CreateNodegroup", error);
            // A retried create after a crash: the group exists already; wait for it.
            if error.code.as_deref() != Some("ResourceInUseException") {
                return Err(error);
            }
        }
        wait_active(aws, request.id, cluster, name, attrs).await
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.after;
        let cluster = required_str(
            attrs,
            "cluster_name",
            request.id,
            "eks:UpdateNodegroupConfig",
        )?;
        let name = attr_str(attrs, "name").unwrap_or(request.cloud_id);
        let changed = |key: &str| request.changed.iter().any(|name| name == key);
        // A run stopped while EKS rolled the group to a new version: await that update by its
        // id, and send nothing when it is the version asked for.
        let mut resumed = false;
        if changed("version") && !changed("launch_template_version") {
            if let Some(update) =
                running_update(aws, request.id, cluster, UpdateScope::Nodegroup(name)).await?
            {
                await_update(
                    aws,
                    request.id,
                    "eks:UpdateNodegroupVersion",
                    cluster,
                    UpdateScope::Nodegroup(name),
                    &update.id,
                )
                .await?;
                resumed = attr_str(attrs, "version")
                    .is_some_and(|version| update.sets("VersionUpdate", "Version", version));
            }
        }
        if !resumed && (changed("launch_template_version") || changed("version")) {
            let mut call = aws
                .eks
                .update_nodegroup_version()
                .cluster_name(cluster)
                .nodegroup_name(name);
            if changed("launch_template_version") {
                if let (Some(template), Some(version)) = (
                    attr_str(attrs, "launch_template_id"),
                    attr_str(attrs, "launch_template_version"),
                ) {
                    call = call.launch_template(
                        LaunchTemplateSpecification::builder()
                            .id(template)
                            .version(version)
                            .build(),
                    );
                }
            } else if let Some(version) = attr_str(attrs, "version") {
                call = call.version(version);
                // The Bottlerocket release of that version (an upgrade step read it from the
                // public SSM parameter); without one EKS takes its latest.
                if let Some(release) = attr_str(attrs, "release_version") {
                    call = call.release_version(release);
                }
            }
            call.send().await.map_err(|error| {
                AwsError::from_sdk(request.id, "eks:UpdateNodegroupVersion", error)
            })?;
            wait_active(aws, request.id, cluster, name, attrs).await?;
        }
        let config_keys = [
            "min_size",
            "max_size",
            "desired_size",
            "labels",
            "taints",
            "max_unavailable",
        ];
        if config_keys.iter().any(|key| changed(key)) {
            let mut call = aws
                .eks
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name);
            if ["min_size", "max_size", "desired_size"]
                .iter()
                .any(|key| changed(key))
            {
                call = call.scaling_config(scaling(attrs));
            }
            if changed("labels") {
                let MapChanges {
                    upserts,
                    removals: removed,
                } = MapChanges::between(&labels(request.before), &labels(attrs));
                let upserts: HashMap<String, String> = upserts.into_iter().collect();
                call = call.labels(
                    UpdateLabelsPayload::builder()
                        .set_add_or_update_labels((!upserts.is_empty()).then_some(upserts))
                        .set_remove_labels((!removed.is_empty()).then_some(removed))
                        .build(),
                );
            }
            if changed("taints") {
                let (old, new) = (taints(request.before), taints(attrs));
                let removed: Vec<Taint> = old
                    .iter()
                    .filter(|taint| !new.iter().any(|other| other.key() == taint.key()))
                    .cloned()
                    .collect();
                call = call.taints(
                    UpdateTaintsPayload::builder()
                        .set_add_or_update_taints((!new.is_empty()).then_some(new))
                        .set_remove_taints((!removed.is_empty()).then_some(removed))
                        .build(),
                );
            }
            if changed("max_unavailable") {
                if let Some(max) = int(attrs, "max_unavailable") {
                    call = call.update_config(
                        NodegroupUpdateConfig::builder()
                            .max_unavailable(max)
                            .build(),
                    );
                }
            }
            call.send().await.map_err(|error| {
                AwsError::from_sdk(request.id, "eks:UpdateNodegroupConfig", error)
            })?;
            wait_active(aws, request.id, cluster, name, attrs).await?;
        }
        if changed("tags") {
            let arn = describe(aws, request.id, cluster, name)
                .await?
                .and_then(|observed| {
                    observed
                        .outputs
                        .get("arn")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            super::eks_common::update_tags(aws, request.id, &arn, request.before, attrs).await?;
        }
        wait_active(aws, request.id, cluster, name, attrs).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let cluster = required_str(
            request.attrs,
            "cluster_name",
            request.id,
            "eks:DeleteNodegroup",
        )?;
        let name = attr_str(request.attrs, "name").unwrap_or(request.cloud_id);
        if let Err(error) = aws
            .eks
            .delete_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
        {
            // Already gone: deleted, with nothing to wait for.
            return AwsError::from_sdk(request.id, "eks:DeleteNodegroup", error).gone();
        }
        until_gone(
            &aws.waits,
            request.id.as_str(),
            "eks:DescribeNodegroup",
            &format!("node group {name} to be deleted"),
            || describe(aws, request.id, cluster, name),
        )
        .await
    }
}

fn int(attrs: &Attrs, name: &str) -> Option<i32> {
    match attrs.get(name) {
        Some(Value::Int(number)) => i32::try_from(*number).ok(),
        _ => None,
    }
}

fn scaling(attrs: &Attrs) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .set_min_size(int(attrs, "min_size"))
        .set_max_size(int(attrs, "max_size"))
        .set_desired_size(int(attrs, "desired_size"))
        .build()
}

fn labels(attrs: &Attrs) -> BTreeMap<String, String> {
    attrs
        .get("labels")
        .and_then(Value::as_map)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn taints(attrs: &Attrs) -> Vec<Taint> {
    match attrs.get("taints") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(Value::as_map)
            .map(|taint| {
                let text = |key: &str| taint.get(key).and_then(Value::as_str).map(str::to_string);
                Taint::builder()
                    .set_key(text("key"))
                    .set_value(text("value"))
                    .set_effect(text("effect").map(|effect| TaintEffect::from(effect.as_str())))
                    .build()
            })
            .collect(),
        _ => Vec::new(),
    }
}

async fn wait_active(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
    desired: &Attrs,
) -> Result<Observed, AwsError> {
    let observed = until(
        &aws.waits,
        id.as_str(),
        "eks:DescribeNodegroup",
        &format!("node group {name} to be ACTIVE"),
        || async {
            let observed = describe_known(aws, id, cluster, name, Some(desired)).await?;
            active_or_failed(
                observed,
                &["CREATE_FAILED", "DEGRADED", "DELETE_FAILED"],
                |status, health| {
                    AwsError::new(
                        id,
                        "eks:CreateNodegroup",
                        format!(
                            "node group {name} is {status}: {}",
                            health.unwrap_or("no detail")
                        ),
                    )
                },
            )
        },
    )
    .await?;
    Ok(observed)
}

async fn describe(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
) -> Result<Option<Observed>, AwsError> {
    describe_known(aws, id, cluster, name, None).await
}

/// `known` supplies what the endpoint may not report (moto omits `updateConfig`).
async fn describe_known(
    aws: &Aws,
    id: &ResourceId,
    cluster: &str,
    name: &str,
    known: Option<&Attrs>,
) -> Result<Option<Observed>, AwsError> {
    let output = match aws
        .eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => return AwsError::from_sdk(id, "eks:DescribeNodegroup", error).absent(),
    };
    let Some(group) = output.nodegroup() else {
        return Ok(None);
    };
    let mut attrs = Attrs::new();
    attrs.insert(
        "cluster_name".into(),
        Value::str(group.cluster_name().unwrap_or(cluster)),
    );
    attrs.insert(
        "name".into(),
        Value::str(group.nodegroup_name().unwrap_or(name)),
    );
    attrs.insert(
        "node_role_arn".into(),
        Value::str(group.node_role().unwrap_or_default()),
    );
    attrs.insert("subnet_ids".into(), sorted_list(group.subnets()));
    attrs.insert(
        "instance_types".into(),
        Value::List(
            group
                .instance_types()
                .iter()
                .map(|kind| Value::str(kind.clone()))
                .collect(),
        ),
    );
    if let Some(ami) = group.ami_type() {
        attrs.insert("ami_type".into(), Value::str(ami.as_str()));
    }
    if let Some(capacity) = group.capacity_type() {
        attrs.insert("capacity_type".into(), Value::str(capacity.as_str()));
    }
    if let Some(version) = group.version() {
        attrs.insert("version".into(), Value::str(version));
    }
    if let Some(template) = group.launch_template() {
        if let Some(template_id) = template.id() {
            attrs.insert("launch_template_id".into(), Value::str(template_id));
        }
        if let Some(version) = template.version() {
            attrs.insert("launch_template_version".into(), Value::str(version));
        }
    }
    if let Some(scaling) = group.scaling_config() {
        for (key, value) in [
            ("min_size", scaling.min_size()),
            ("max_size", scaling.max_size()),
            ("desired_size", scaling.desired_size()),
        ] {
            if let Some(value) = value {
                attrs.insert(key.into(), Value::Int(i64::from(value)));
            }
        }
    }
    let labels: BTreeMap<String, Value> = group
        .labels()
        .map(|labels| {
            labels
                .iter()
                .map(|(key, value)| (key.clone(), Value::str(value.clone())))
                .collect()
        })
        .unwrap_or_default();
    attrs.insert("labels".into(), Value::Map(labels));
    let mut taints: Vec<Value> = group
        .taints()
        .iter()
        .map(|taint| {
            let mut map = BTreeMap::new();
            if let Some(key) = taint.key() {
                map.insert("key".to_string(), Value::str(key));
            }
            if let Some(value) = taint.value() {
                map.insert("value".to_string(), Value::str(value));
            }
            if let Some(effect) = taint.effect() {
                map.insert("effect".to_string(), Value::str(effect.as_str()));
            }
            Value::Map(map)
        })
        .collect();
    taints.sort_by_key(|taint| taint.to_string());
    attrs.insert("taints".into(), Value::List(taints));
    match group
        .update_config()
        .and_then(|config| config.max_unavailable())
    {
        Some(max) => {
            attrs.insert("max_unavailable".into(), Value::Int(i64::from(max)));
        }
        None => {
            if let Some(max) = known.and_then(|known| known.get("max_unavailable")) {
                attrs.insert("max_unavailable".into(), max.clone());
            }
        }
    }
    attrs.insert("tags".into(), super::eks_common::tags_value(group.tags()));

    let mut outputs = Attrs::from([(
        "name".to_string(),
        Value::str(group.nodegroup_name().unwrap_or(name)),
    )]);
    if let Some(arn) = group.nodegroup_arn() {
        outputs.insert("arn".into(), Value::str(arn));
    }
    if let Some(status) = group.status() {
        outputs.insert("status".into(), Value::str(status.as_str()));
    }
    if let Some(release) = group.release_version() {
        outputs.insert("release_version".into(), Value::str(release));
    }
    if let Some(issue) = group
        .health()
        .and_then(|health| health.issues().first())
        .and_then(|issue| issue.message())
    {
        outputs.insert("health".into(), Value::str(issue));
    }
    // Reported for the audit: moto invents an SSH key when none was sent (see MOTO notes).
    if let Some(key) = group
        .remote_access()
        .and_then(|access| access.ec2_ssh_key())
    {
        outputs.insert("remote_access_ssh_key".into(), Value::str(key));
    }
    Ok(Some(Observed {
        cloud_id: group.nodegroup_name().unwrap_or(name).to_string(),
        attrs,
        outputs,
    }))
}
