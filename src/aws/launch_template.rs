//! `launch_template`: the hardened launch template of a Bottlerocket managed node group
//! (IMDSv2 only with one hop, encrypted gp3 volumes, the node security group, Bottlerocket
//! TOML settings as user data, tags for instances and volumes). No key pair, no instance
//! profile (the managed node group sets it), no image (the node group's AMI type picks it).
//!
//! CreateLaunchTemplate (tagged at create, with a client token); a change to the data is a new
//! version holding the full data (CreateLaunchTemplateVersion without SourceVersion), made the
//! default (ModifyLaunchTemplate); DeleteLaunchTemplate. A refresh reads the default version.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateHttpTokensState,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData, ResourceType,
    ResponseLaunchTemplateData, Tag, TagDescription, VolumeType,
};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

use super::ec2_tags::{
    blueprint_filter, tag_specification, tags_value, update_changed_tags, update_tags,
};
use super::refresh::{assign, attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct LaunchTemplateProvider;

const NEW_VERSION: &str = "ec2:CreateLaunchTemplateVersion/ModifyLaunchTemplate";

static DESCRIPTION: Description = Description::new(
    Kind::LaunchTemplate,
    "ec2:DescribeLaunchTemplates",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::UpdatedBy("metadata_http_tokens", NEW_VERSION),
        AttrRule::UpdatedBy("metadata_http_put_response_hop_limit", NEW_VERSION),
        AttrRule::UpdatedBy("metadata_http_endpoint", NEW_VERSION),
        AttrRule::UpdatedBy("block_device_mappings", NEW_VERSION),
        AttrRule::UpdatedBy("security_group_ids", NEW_VERSION),
        AttrRule::UpdatedBy("user_data", NEW_VERSION),
        AttrRule::UpdatedBy("instance_tags", NEW_VERSION),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
.calls(1, 1, 2, 1);

/// The attributes that live in a version's launch template data.
const DATA_ATTRS: &[&str] = &[
    "metadata_http_tokens",
    "metadata_http_put_response_hop_limit",
    "metadata_http_endpoint",
    "block_device_mappings",
    "security_group_ids",
    "user_data",
    "instance_tags",
];

/// CreateLaunchTemplate's `ClientToken`: at most 128 ASCII characters.
const CLIENT_TOKEN_MAX: usize = 128;

/// DescribeLaunchTemplates' largest page (moto stops at 15 without a next token otherwise).
const PAGE_SIZE: i32 = 200;

impl KindProvider for LaunchTemplateProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // DescribeLaunchTemplates has no id filter, and its id list fails on a missing id;
        // the name is unique in a region and never changes, so recorded ones are found by
        // name filter (a twin of another id is left to `assign`).
        let names: Vec<String> = scope
            .recorded
            .values()
            .filter_map(|(_, attrs)| attr_str(attrs, "name").map(str::to_string))
            .collect();
        let by_tag = describe(aws, blueprint_filter(&scope.blueprint));
        let by_name = async {
            if names.is_empty() {
                Ok(Vec::new())
            } else {
                describe(aws, name_filter(names)).await
            }
        };
        // What state records is read alongside: default versions by `$Default` and the
        // tags by id, so a plan of recorded templates takes one round trip.
        let recorded: Vec<(&ResourceId, &str)> = scope
            .recorded
            .iter()
            .map(|(id, (cloud_id, _))| (id, cloud_id.as_str()))
            .collect();
        let recorded_ids: Vec<String> = recorded
            .iter()
            .map(|(_, cloud_id)| cloud_id.to_string())
            .collect();
        let versions_ahead = try_join_all(recorded.iter().map(|(id, cloud_id)| async move {
            let data = default_version(aws, id, cloud_id).await?;
            Ok::<_, AwsError>((cloud_id.to_string(), data))
        }));
        let (tagged, named, versions_ahead, tags_ahead) = futures::try_join!(
            by_tag,
            by_name,
            versions_ahead,
            live_tags(aws, recorded_ids.clone())
        )?;
        let mut versions_ahead: BTreeMap<String, (i64, ResponseLaunchTemplateData)> =
            versions_ahead
                .into_iter()
                .filter_map(|(cloud_id, data)| Some((cloud_id, data?)))
                .collect();
        let mut templates = named;
        templates.extend(tagged);
        let found = assign(scope, Kind::LaunchTemplate, templates);
        // The rest (adopted templates, or a default version changed in between): one
        // DescribeLaunchTemplateVersions each and one DescribeTags for all, all at once.
        let template_ids: Vec<String> = found
            .iter()
            .map(|item| item.observed.cloud_id.clone())
            .filter(|cloud_id| !recorded_ids.contains(cloud_id))
            .collect();
        let versions = try_join_all(found.into_iter().map(|mut item| {
            let ahead = versions_ahead.remove(&item.observed.cloud_id);
            async move {
                let reference = scope
                    .recorded
                    .get(&item.id)
                    .map(|(_, attrs)| attrs)
                    .or_else(|| scope.missing.get(&item.id));
                let version = int_value(item.observed.outputs.get("default_version")).unwrap_or(1);
                let data = match ahead {
                    Some((number, data)) if number == version => Some(data),
                    _ => default_data(aws, &item.id, &item.observed.cloud_id, version).await?,
                };
                Ok::<_, AwsError>(data.map(|data| {
                    item.observed.attrs.extend(data_attrs(&data, reference));
                    item
                }))
            }
        }));
        let (read, mut tags) = futures::try_join!(versions, live_tags(aws, template_ids))?;
        tags.extend(tags_ahead);
        let read = read.into_iter().flatten().map(|mut item| {
            if let Some(tags) = tags.remove(&item.observed.cloud_id) {
                item.observed.attrs.insert("tags".to_string(), tags);
            }
            item
        });
        // A template whose default version cannot be read is gone.
        Ok(read.collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let data = template_data(attrs)
            .map_err(|message| AwsError::new(request.id, "ec2:CreateLaunchTemplate", message))?;
        let name = required_str(attrs, "name", request.id, "ec2:CreateLaunchTemplate")?;
        let result = aws
            .ec2
            .create_launch_template()
            .launch_template_name(name)
            .launch_template_data(data)
            .tag_specifications(tag_specification(ResourceType::LaunchTemplate, attrs))
            .client_token(client_token(request.idempotency_token))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateLaunchTemplate", error));
        match result {
            Ok(output) => {
                let template = output.launch_template().ok_or_else(|| {
                    AwsError::missing_in_response(
                        request.id,
                        "ec2:CreateLaunchTemplate",
                        "launch template",
                    )
                })?;
                observed_from(request.id, "ec2:CreateLaunchTemplate", template, attrs)
            }
            Err(error)
                if error.code.as_deref()
                    == Some("InvalidLaunchTemplateName.AlreadyExistsException") =>
            {
                adopt(aws, request.id, attrs, error).await
            }
            Err(error) => Err(error),
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_changed_tags(aws, &request).await?;
        let template = if request
            .changed
            .iter()
            .any(|name| DATA_ATTRS.contains(&name.as_str()))
        {
            new_default_version(aws, request.id, request.cloud_id, request.after).await?
        } else {
            describe_one(aws, request.id, request.cloud_id).await?
        };
        observed_from(
            request.id,
            "ec2:DescribeLaunchTemplates",
            &template,
            request.after,
        )
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let result = aws
            .ec2
            .delete_launch_template()
            .launch_template_id(request.cloud_id)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteLaunchTemplate", error));
        match result {
            Err(error) if !is_gone(&error) => Err(error),
            _ => Ok(()),
        }
    }
}

/// Not found, also under moto's `InvalidLaunchTemplateName.NotFoundException` (AWS says
/// `InvalidLaunchTemplateId.NotFound`).
fn is_gone(error: &AwsError) -> bool {
    error.is_not_found()
        || error
            .code
            .as_deref()
            .is_some_and(|code| code.contains("NotFound"))
}

fn client_token(token: &str) -> String {
    token
        .chars()
        .filter(char::is_ascii)
        .take(CLIENT_TOKEN_MAX)
        .collect()
}

fn name_filter(names: Vec<String>) -> Filter {
    Filter::builder()
        .name("launch-template-name")
        .set_values(Some(names))
        .build()
}

fn int_value(value: Option<&Value>) -> Option<i64> {
    match value {
        Some(Value::Int(number)) => Some(*number),
        _ => None,
    }
}

fn outputs(template_id: &str, name: &str, latest: i64, default: i64) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(template_id)),
        ("name".to_string(), Value::str(name)),
        ("latest_version".to_string(), Value::Int(latest)),
        ("default_version".to_string(), Value::Int(default)),
    ])
}

/// The observed resource after a call that returned the template, with `attrs` as its attributes.
fn observed_from(
    id: &ResourceId,
    operation: &'static str,
    template: &LaunchTemplate,
    attrs: &Attrs,
) -> Result<Observed, AwsError> {
    let template_id = template
        .launch_template_id()
        .ok_or_else(|| AwsError::missing_in_response(id, operation, "launch template id"))?;
    let latest = template.latest_version_number().unwrap_or(1);
    Ok(Observed {
        cloud_id: template_id.to_string(),
        attrs: attrs.clone(),
        outputs: outputs(
            template_id,
            template.launch_template_name().unwrap_or_default(),
            latest,
            template.default_version_number().unwrap_or(latest),
        ),
    })
}

/// Launch templates matching `filter`, with their name and own tags (the data comes later).
async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let templates: Vec<LaunchTemplate> = aws
        .ec2
        .describe_launch_templates()
        .filters(filter)
        .into_paginator()
        .page_size(PAGE_SIZE)
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk("launch_template", "ec2:DescribeLaunchTemplates", error)
        })?;
    Ok(templates
        .iter()
        .filter_map(|template| {
            let template_id = template.launch_template_id()?;
            let name = template.launch_template_name().unwrap_or_default();
            let latest = template.latest_version_number().unwrap_or(1);
            Some(Observed {
                cloud_id: template_id.to_string(),
                attrs: Attrs::from([
                    ("name".to_string(), Value::str(name)),
                    ("tags".to_string(), tags_value(template.tags())),
                ]),
                outputs: outputs(
                    template_id,
                    name,
                    latest,
                    template.default_version_number().unwrap_or(latest),
                ),
            })
        })
        .collect())
}

/// The templates' own tags, by template id. DescribeLaunchTemplates reports them too, but moto
/// reports the tags the template was created with there, never later changes; DescribeTags
/// reports the current ones on AWS and moto alike.
async fn live_tags(
    aws: &Aws,
    template_ids: Vec<String>,
) -> Result<BTreeMap<String, Value>, AwsError> {
    if template_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let descriptions: Vec<TagDescription> = aws
        .ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-type")
                .values("launch-template")
                .build(),
        )
        .filters(
            Filter::builder()
                .name("resource-id")
                .set_values(Some(template_ids.clone()))
                .build(),
        )
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk("launch_template", "ec2:DescribeTags", error))?;
    let mut by_template: BTreeMap<String, Vec<Tag>> = template_ids
        .into_iter()
        .map(|id| (id, Vec::new()))
        .collect();
    for description in &descriptions {
        if let Some(tags) = description
            .resource_id()
            .and_then(|id| by_template.get_mut(id))
        {
            tags.push(
                Tag::builder()
                    .set_key(description.key().map(str::to_string))
                    .set_value(description.value().map(str::to_string))
                    .build(),
            );
        }
    }
    Ok(by_template
        .into_iter()
        .map(|(id, tags)| (id, tags_value(&tags)))
        .collect())
}

/// One template by id, for its version numbers.
async fn describe_one(
    aws: &Aws,
    id: &ResourceId,
    template_id: &str,
) -> Result<LaunchTemplate, AwsError> {
    let output = aws
        .ec2
        .describe_launch_templates()
        .launch_template_ids(template_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:DescribeLaunchTemplates", error))?;
    output
        .launch_templates()
        .iter()
        .find(|template| template.launch_template_id() == Some(template_id))
        .cloned()
        .ok_or_else(|| {
            AwsError::new(
                id,
                "ec2:DescribeLaunchTemplates",
                format!("launch template {template_id} is gone"),
            )
        })
}

/// The data of a template's version; `None` when the template (or the version) is gone.
async fn default_data(
    aws: &Aws,
    id: &ResourceId,
    template_id: &str,
    version: i64,
) -> Result<Option<ResponseLaunchTemplateData>, AwsError> {
    let result = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions(version.to_string())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:DescribeLaunchTemplateVersions", error));
    match result {
        Ok(output) => Ok(output
            .launch_template_versions()
            .iter()
            .find(|found| found.version_number() == Some(version))
            .and_then(|found| found.launch_template_data())
            .cloned()),
        Err(error) if is_gone(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The default version's number and data (`$Default`: no need to know the number first);
/// `None` when the template is gone.
async fn default_version(
    aws: &Aws,
    id: &ResourceId,
    template_id: &str,
) -> Result<Option<(i64, ResponseLaunchTemplateData)>, AwsError> {
    let result = aws
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(template_id)
        .versions("$Default")
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:DescribeLaunchTemplateVersions", error));
    match result {
        Ok(output) => Ok(output.launch_template_versions().iter().find_map(|found| {
            Some((
                found.version_number()?,
                found.launch_template_data()?.clone(),
            ))
        })),
        Err(error) if is_gone(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

/// A new version with the full desired data (SourceVersion is not used: the data is complete),
/// made the default. Returns the template as ModifyLaunchTemplate reports it.
async fn new_default_version(
    aws: &Aws,
    id: &ResourceId,
    template_id: &str,
    attrs: &Attrs,
) -> Result<LaunchTemplate, AwsError> {
    let data = template_data(attrs)
        .map_err(|message| AwsError::new(id, "ec2:CreateLaunchTemplateVersion", message))?;
    let output = aws
        .ec2
        .create_launch_template_version()
        .launch_template_id(template_id)
        .launch_template_data(data)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:CreateLaunchTemplateVersion", error))?;
    let version = output
        .launch_template_version()
        .and_then(|version| version.version_number())
        .ok_or_else(|| {
            AwsError::missing_in_response(id, "ec2:CreateLaunchTemplateVersion", "version number")
        })?;
    let output = aws
        .ec2
        .modify_launch_template()
        .launch_template_id(template_id)
        .default_version(version.to_string())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ModifyLaunchTemplate", error))?;
    output.launch_template().cloned().ok_or_else(|| {
        AwsError::missing_in_response(id, "ec2:ModifyLaunchTemplate", "launch template")
    })
}

/// The name is taken. If the template there carries this resource's tags, an earlier create
/// made it and was interrupted before state was written: adopt it and bring its data to the
/// desired one. Anything else is somebody else's template.
async fn adopt(
    aws: &Aws,
    id: &ResourceId,
    attrs: &Attrs,
    taken: AwsError,
) -> Result<Observed, AwsError> {
    let name = attr_str(attrs, "name").unwrap_or_default().to_string();
    let Some(mut existing) = describe(aws, name_filter(vec![name]))
        .await?
        .into_iter()
        .next()
    else {
        return Err(taken);
    };
    let claim = |tags: Option<&Value>| {
        let tags = tags.and_then(Value::as_map)?;
        Some((
            tags.get(TAG_BLUEPRINT)?.clone(),
            tags.get(TAG_RESOURCE)?.clone(),
        ))
    };
    if claim(existing.attrs.get("tags")).is_none()
        || claim(existing.attrs.get("tags")) != claim(attrs.get("tags"))
    {
        return Err(taken);
    }
    if let Some(tags) = live_tags(aws, vec![existing.cloud_id.clone()])
        .await?
        .remove(&existing.cloud_id)
    {
        existing.attrs.insert("tags".to_string(), tags);
    }
    let version = int_value(existing.outputs.get("default_version")).unwrap_or(1);
    if let Some(data) = default_data(aws, id, &existing.cloud_id, version).await? {
        existing.attrs.extend(data_attrs(&data, Some(attrs)));
    }
    if existing.attrs.get("tags") != attrs.get("tags") {
        update_tags(aws, id, &existing.cloud_id, &existing.attrs, attrs).await?;
    }
    let differs =
        |name: &&str| attrs.contains_key(*name) && existing.attrs.get(*name) != attrs.get(*name);
    let template = if DATA_ATTRS.iter().any(differs) {
        new_default_version(aws, id, &existing.cloud_id, attrs).await?
    } else {
        describe_one(aws, id, &existing.cloud_id).await?
    };
    observed_from(id, "ec2:DescribeLaunchTemplates", &template, attrs)
}

fn desired_tag_list(value: Option<&Value>) -> Vec<Tag> {
    value
        .and_then(Value::as_map)
        .map(|tags| {
            tags.iter()
                .filter_map(|(key, value)| {
                    Some(Tag::builder().key(key).value(value.as_str()?).build())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The launch template data for the desired attributes: always all of it.
fn template_data(attrs: &Attrs) -> Result<RequestLaunchTemplateData, String> {
    let mut data = RequestLaunchTemplateData::builder();

    let tokens = attr_str(attrs, "metadata_http_tokens");
    let hop_limit = int_value(attrs.get("metadata_http_put_response_hop_limit"))
        .map(|limit| {
            i32::try_from(limit).map_err(|_| {
                format!("metadata_http_put_response_hop_limit {limit} is out of range")
            })
        })
        .transpose()?;
    let endpoint = attr_str(attrs, "metadata_http_endpoint");
    if tokens.is_some() || hop_limit.is_some() || endpoint.is_some() {
        data = data.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_tokens(tokens.map(LaunchTemplateHttpTokensState::from))
                .set_http_put_response_hop_limit(hop_limit)
                .set_http_endpoint(endpoint.map(LaunchTemplateInstanceMetadataEndpointState::from))
                .build(),
        );
    }

    if let Some(Value::List(mappings)) = attrs.get("block_device_mappings") {
        for mapping in mappings {
            let mapping = mapping
                .as_map()
                .ok_or("block_device_mappings holds a value that is not a map")?;
            let device = mapping
                .get("device_name")
                .and_then(Value::as_str)
                .ok_or("a block device mapping has no device_name")?;
            let size = int_value(mapping.get("volume_size"))
                .map(|size| {
                    i32::try_from(size)
                        .map_err(|_| format!("volume_size {size} of {device} is out of range"))
                })
                .transpose()?;
            let ebs = LaunchTemplateEbsBlockDeviceRequest::builder()
                .set_volume_size(size)
                .set_volume_type(
                    mapping
                        .get("volume_type")
                        .and_then(Value::as_str)
                        .map(VolumeType::from),
                )
                .set_encrypted(mapping.get("encrypted").and_then(Value::as_bool))
                .set_kms_key_id(
                    mapping
                        .get("kms_key_id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .set_delete_on_termination(
                    mapping
                        .get("delete_on_termination")
                        .and_then(Value::as_bool),
                )
                .build();
            data = data.block_device_mappings(
                LaunchTemplateBlockDeviceMappingRequest::builder()
                    .device_name(device)
                    .ebs(ebs)
                    .build(),
            );
        }
    }

    if let Some(Value::List(groups)) = attrs.get("security_group_ids") {
        let groups = groups
            .iter()
            .map(|group| {
                group
                    .as_str()
                    .map(str::to_string)
                    .ok_or("security_group_ids holds a value that is not a string")
            })
            .collect::<Result<Vec<_>, _>>()?;
        data = data.set_security_group_ids(Some(groups));
    }

    if let Some(user_data) = attr_str(attrs, "user_data") {
        data = data.user_data(user_data);
    }

    // The same tags on every instance and every volume the node group launches.
    let instance_tags = desired_tag_list(attrs.get("instance_tags"));
    if !instance_tags.is_empty() {
        for resource_type in [ResourceType::Instance, ResourceType::Volume] {
            data = data.tag_specifications(
                LaunchTemplateTagSpecificationRequest::builder()
                    .resource_type(resource_type)
                    .set_tags(Some(instance_tags.clone()))
                    .build(),
            );
        }
    }

    Ok(data.build())
}

/// A version's data in the provider's vocabulary: volumes sorted by device, security groups in
/// the order `reference` (recorded or desired) gives when they are the same set, else sorted.
fn data_attrs(data: &ResponseLaunchTemplateData, reference: Option<&Attrs>) -> Attrs {
    let mut attrs = Attrs::new();

    if let Some(options) = data.metadata_options() {
        if let Some(tokens) = options.http_tokens() {
            attrs.insert("metadata_http_tokens".into(), Value::str(tokens.as_str()));
        }
        if let Some(limit) = options.http_put_response_hop_limit() {
            attrs.insert(
                "metadata_http_put_response_hop_limit".into(),
                Value::Int(i64::from(limit)),
            );
        }
        if let Some(endpoint) = options.http_endpoint() {
            attrs.insert(
                "metadata_http_endpoint".into(),
                Value::str(endpoint.as_str()),
            );
        }
    }

    let mut mappings: Vec<(String, Value)> = data
        .block_device_mappings()
        .iter()
        .map(|mapping| {
            let device = mapping.device_name().unwrap_or_default().to_string();
            let mut map = BTreeMap::from([("device_name".to_string(), Value::str(device.clone()))]);
            if let Some(ebs) = mapping.ebs() {
                if let Some(size) = ebs.volume_size() {
                    map.insert("volume_size".into(), Value::Int(i64::from(size)));
                }
                if let Some(volume_type) = ebs.volume_type() {
                    map.insert("volume_type".into(), Value::str(volume_type.as_str()));
                }
                if let Some(encrypted) = ebs.encrypted() {
                    map.insert("encrypted".into(), Value::Bool(encrypted));
                }
                if let Some(key) = ebs.kms_key_id() {
                    map.insert("kms_key_id".into(), Value::str(key));
                }
                if let Some(delete) = ebs.delete_on_termination() {
                    map.insert("delete_on_termination".into(), Value::Bool(delete));
                }
            }
            (device, Value::Map(map))
        })
        .collect();
    mappings.sort_by(|a, b| a.0.cmp(&b.0));
    attrs.insert(
        "block_device_mappings".into(),
        Value::List(mappings.into_iter().map(|(_, map)| map).collect()),
    );

    let mut groups: Vec<String> = data.security_group_ids().to_vec();
    groups.sort();
    let wanted_order: Option<Vec<String>> =
        match reference.and_then(|reference| reference.get("security_group_ids")) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => None,
        };
    if let Some(order) = wanted_order {
        let mut sorted = order.clone();
        sorted.sort();
        if sorted == groups {
            groups = order;
        }
    }
    attrs.insert(
        "security_group_ids".into(),
        Value::List(groups.into_iter().map(Value::Str).collect()),
    );

    if let Some(user_data) = data.user_data() {
        attrs.insert("user_data".into(), Value::str(user_data));
    }

    attrs.insert("instance_tags".into(), instance_tags_value(data));
    attrs
}

/// The tags instances and volumes get. Both carry the same tags when eksforge wrote them; where
/// they differ, each differing key shows both values (never equal to any desired map of
/// strings, so the plan rewrites them).
fn instance_tags_value(data: &ResponseLaunchTemplateData) -> Value {
    let tags_for = |resource_type: ResourceType| {
        let tags: Vec<Tag> = data
            .tag_specifications()
            .iter()
            .filter(|spec| spec.resource_type() == Some(&resource_type))
            .flat_map(|spec| spec.tags().iter().cloned())
            .collect();
        match tags_value(&tags) {
            Value::Map(map) => map,
            _ => BTreeMap::new(),
        }
    };
    let instance = tags_for(ResourceType::Instance);
    let volume = tags_for(ResourceType::Volume);
    if instance == volume {
        return Value::Map(instance);
    }
    let keys: std::collections::BTreeSet<&String> = instance.keys().chain(volume.keys()).collect();
    Value::Map(
        keys.into_iter()
            .map(|key| {
                let value = match (instance.get(key), volume.get(key)) {
                    (Some(a), Some(b)) if a == b => a.clone(),
                    (a, b) => {
                        let show = |side: &str, value: Option<&Value>| {
                            Value::str(format!(
                                "{side}={}",
                                value.and_then(Value::as_str).unwrap_or("(none)")
                            ))
                        };
                        Value::List(vec![show("instance", a), show("volume", b)])
                    }
                };
                (key.clone(), value)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{
        LaunchTemplateBlockDeviceMapping, LaunchTemplateEbsBlockDevice,
        LaunchTemplateInstanceMetadataOptions, LaunchTemplateTagSpecification,
    };

    use super::*;

    fn volume(device: &str, size: i64) -> Value {
        Value::Map(BTreeMap::from([
            ("device_name".to_string(), Value::str(device)),
            ("volume_size".to_string(), Value::Int(size)),
            ("volume_type".to_string(), Value::str("gp3")),
            ("encrypted".to_string(), Value::Bool(true)),
            ("delete_on_termination".to_string(), Value::Bool(true)),
        ]))
    }

    fn desired() -> Attrs {
        Attrs::from([
            ("metadata_http_tokens".to_string(), Value::str("required")),
            (
                "metadata_http_put_response_hop_limit".to_string(),
                Value::Int(1),
            ),
            ("metadata_http_endpoint".to_string(), Value::str("enabled")),
            (
                "block_device_mappings".to_string(),
                Value::List(vec![volume("/dev/xvda", 4), volume("/dev/xvdb", 50)]),
            ),
            (
                "security_group_ids".to_string(),
                Value::List(vec![Value::str("sg-b"), Value::str("sg-a")]),
            ),
            ("user_data".to_string(), Value::str("W3NldHRpbmdzXQo=")),
            (
                "instance_tags".to_string(),
                Value::Map(BTreeMap::from([("Name".to_string(), Value::str("n"))])),
            ),
        ])
    }

    /// What DescribeLaunchTemplateVersions would give back for the request data.
    fn echoed(request: &RequestLaunchTemplateData) -> ResponseLaunchTemplateData {
        let options = request.metadata_options().expect("metadata options");
        let mut mappings: Vec<LaunchTemplateBlockDeviceMapping> = request
            .block_device_mappings()
            .iter()
            .map(|mapping| {
                let ebs = mapping.ebs().expect("ebs");
                LaunchTemplateBlockDeviceMapping::builder()
                    .set_device_name(mapping.device_name().map(str::to_string))
                    .ebs(
                        LaunchTemplateEbsBlockDevice::builder()
                            .set_volume_size(ebs.volume_size())
                            .set_volume_type(ebs.volume_type().cloned())
                            .set_encrypted(ebs.encrypted())
                            .set_delete_on_termination(ebs.delete_on_termination())
                            .build(),
                    )
                    .build()
            })
            .collect();
        mappings.reverse();
        ResponseLaunchTemplateData::builder()
            .metadata_options(
                LaunchTemplateInstanceMetadataOptions::builder()
                    .set_http_tokens(options.http_tokens().cloned())
                    .set_http_put_response_hop_limit(options.http_put_response_hop_limit())
                    .set_http_endpoint(options.http_endpoint().cloned())
                    .build(),
            )
            .set_block_device_mappings(Some(mappings))
            .set_security_group_ids(Some(vec!["sg-a".into(), "sg-b".into()]))
            .set_user_data(request.user_data().map(str::to_string))
            .set_tag_specifications(Some(
                request
                    .tag_specifications()
                    .iter()
                    .map(|spec| {
                        LaunchTemplateTagSpecification::builder()
                            .set_resource_type(spec.resource_type().cloned())
                            .set_tags(Some(spec.tags().to_vec()))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    #[test]
    fn data_round_trips_without_a_difference() {
        let desired = desired();
        let request = template_data(&desired).expect("valid data");
        assert!(
            request.key_name().is_none()
                && request.iam_instance_profile().is_none()
                && request.image_id().is_none()
        );
        let types: Vec<_> = request
            .tag_specifications()
            .iter()
            .filter_map(|spec| spec.resource_type().cloned())
            .collect();
        assert_eq!(types, vec![ResourceType::Instance, ResourceType::Volume]);
        let live = data_attrs(&echoed(&request), Some(&desired));
        assert_eq!(live, desired);
    }

    #[test]
    fn differing_instance_and_volume_tags_never_match_a_desired_map() {
        let desired = desired();
        let request = template_data(&desired).expect("valid data");
        let mut response = echoed(&request);
        let specs = response.tag_specifications.get_or_insert_with(Vec::new);
        specs.retain(|spec| spec.resource_type() != Some(&ResourceType::Volume));
        let live = data_attrs(&response, Some(&desired));
        assert_ne!(live.get("instance_tags"), desired.get("instance_tags"));
    }

    #[test]
    fn client_tokens_fit_the_api() {
        let long = "x".repeat(300);
        assert_eq!(client_token(&long).len(), CLIENT_TOKEN_MAX);
        assert_eq!(client_token("eksforge-abc"), "eksforge-abc");
    }
}
