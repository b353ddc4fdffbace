//! `launch_template`: the hardened launch template of a Bottlerocket managed node group
//! (IMDSv2 only with one hop, encrypted gp3 volumes, the node security group, Bottlerocket
//! TOML settings as user data, tags for instances and volumes). No key pair, no instance
//! profile (the managed node group sets it), no image (the node group's AMI type picks it).
//!
//! CreateLaunchTemplate (tagged at create, with a client token); a change to the data is a new
//! version holding the full data (CreateLaunchTemplateVersion without SourceVersion), made the
//! default (ModifyLaunchTemplate); DeleteLaunchTemplate. A refresh reads the default version.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, LaunchTemplate, ResourceType, ResponseLaunchTemplateData};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_tags::{blueprint_filter, tag_specification, update_changed_tags};
use super::refresh::{assign, attr_str, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

mod data;
mod versions;

use data::{data_attrs, template_data};
use versions::{
    adopt, default_data, default_version, describe, describe_one, live_tags, new_default_version,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_fit_the_api() {
        let long = "x".repeat(300);
        assert_eq!(client_token(&long).len(), CLIENT_TOKEN_MAX);
        assert_eq!(client_token("eksforge-abc"), "eksforge-abc");
    }
}
