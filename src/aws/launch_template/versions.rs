//! The template and its versions as EC2 reports them: the templates a refresh finds (with
//! their current tags), one template's version numbers, a version's data, a new default
//! version, and the adoption of a template an interrupted create left behind.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, LaunchTemplate, ResponseLaunchTemplateData, Tag, TagDescription};

use crate::resources::{Attrs, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

use crate::aws::ec2_tags::{tags_value, update_tags};
use crate::aws::refresh::attr_str;
use crate::aws::{Aws, AwsError, Observed};

use super::data::{data_attrs, template_data};
use super::{int_value, is_gone, name_filter, observed_from, outputs, DATA_ATTRS, PAGE_SIZE};

/// Launch templates matching `filter`, with their name and own tags (the data comes later).
pub(super) async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
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
pub(super) async fn live_tags(
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
pub(super) async fn describe_one(
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
pub(super) async fn default_data(
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
pub(super) async fn default_version(
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
pub(super) async fn new_default_version(
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
pub(super) async fn adopt(
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
