//! `security_group`: CreateSecurityGroup (tagged at create), DeleteSecurityGroup. Its rules are
//! a kind of their own (`security_group_rule`). The allow-all egress rule AWS adds to every new
//! group is kept (nodes reach the internet through NAT) and not modelled.

use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroup};

use crate::resources::{Attrs, Kind, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::{by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct SecurityGroupProvider;

static DESCRIPTION: Description = Description::new(
    Kind::SecurityGroup,
    "ec2:DescribeSecurityGroups",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("description"),
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
.create_is_not_idempotent();

impl KindProvider for SecurityGroupProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::SecurityGroup, move |filter| {
            describe(aws, filter)
        })
        .await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let output = aws
            .ec2
            .create_security_group()
            .group_name(required_str(
                attrs,
                "name",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .description(required_str(
                attrs,
                "description",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .vpc_id(required_str(
                attrs,
                "vpc_id",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .tag_specifications(tag_specification(ResourceType::SecurityGroup, attrs))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateSecurityGroup", error))?;
        let group_id = output.group_id().ok_or_else(|| {
            AwsError::missing_in_response(request.id, "ec2:CreateSecurityGroup", "group id")
        })?;
        Ok(Observed::with_id(group_id.to_string(), attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        // Network interfaces of a deleted cluster or node let go of the group a little later.
        delete_when_released(aws, request.cloud_id, Some("group-id"), || async {
            aws.ec2
                .delete_security_group()
                .group_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteSecurityGroup", error))
        })
        .await
    }
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let groups: Vec<SecurityGroup> = aws
        .ec2
        .describe_security_groups()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk("security_group", "ec2:DescribeSecurityGroups", error)
        })?;
    Ok(groups
        .iter()
        .filter_map(|group| {
            let group_id = group.group_id()?.to_string();
            let attrs = Attrs::from([
                (
                    "name".to_string(),
                    Value::str(group.group_name().unwrap_or_default()),
                ),
                (
                    "description".to_string(),
                    Value::str(group.description().unwrap_or_default()),
                ),
                (
                    "vpc_id".to_string(),
                    Value::str(group.vpc_id().unwrap_or_default()),
                ),
                ("tags".to_string(), tags_value(group.tags())),
            ]);
            Some(Observed::with_id(group_id, attrs))
        })
        .collect())
}
