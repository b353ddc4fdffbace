//! EC2 tags: tag specifications at create, tag updates, the filters refresh uses.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT};

use super::tags::{tag_map, MapChanges};
use super::{Aws, AwsError, Observed, UpdateRequest};

pub fn blueprint_filter(blueprint: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TAG_BLUEPRINT}"))
        .values(blueprint)
        .build()
}

/// The describe filter that selects resources of `kind` by cloud id (filters, unlike id
/// lists, do not fail on an id that no longer exists).
pub fn id_filter(kind: Kind, cloud_ids: Vec<String>) -> Filter {
    let name = match kind {
        Kind::Vpc => "vpc-id",
        Kind::Subnet => "subnet-id",
        Kind::InternetGateway => "internet-gateway-id",
        Kind::Eip => "allocation-id",
        Kind::NatGateway => "nat-gateway-id",
        Kind::RouteTable | Kind::Route => "route-table-id",
        Kind::RouteTableAssociation => "association.route-table-association-id",
        Kind::SecurityGroup => "group-id",
        Kind::SecurityGroupRule => "security-group-rule-id",
        Kind::FlowLog => "flow-log-id",
        Kind::VpcEndpoint => "vpc-endpoint-id",
        // DescribeLaunchTemplates has no id filter: its provider filters by name instead.
        Kind::LaunchTemplate => "launch-template-name",
        // Not EC2 kinds: no describe filter applies.
        _ => "resource-id",
    };
    Filter::builder()
        .name(name)
        .set_values(Some(cloud_ids))
        .build()
}

/// Tags applied atomically with the create call, so no resource ever exists untagged.
pub fn tag_specification(resource_type: ResourceType, attrs: &Attrs) -> TagSpecification {
    let tags = tag_map(attrs)
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(tags))
        .build()
}

/// Tags as an attribute value; AWS-reserved `aws:` tags are not ours to diff.
pub fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter_map(|tag| Some((tag.key()?.to_string(), tag.value().unwrap_or_default())))
            .filter(|(key, _)| !key.starts_with("aws:"))
            .map(|(key, value)| (key, Value::str(value)))
            .collect(),
    )
}

/// Brings a resource's tags from `before` to `after`: CreateTags for new or changed values,
/// DeleteTags for removed keys.
pub async fn update_tags(
    aws: &Aws,
    id: &ResourceId,
    cloud_id: &str,
    before: &Attrs,
    after: &Attrs,
) -> Result<(), AwsError> {
    MapChanges::of_tags(before, after)
        .send(
            |upserts| async move {
                let tags = upserts
                    .iter()
                    .map(|(key, value)| Tag::builder().key(key).value(value).build())
                    .collect();
                aws.ec2
                    .create_tags()
                    .resources(cloud_id)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "ec2:CreateTags", error))?;
                Ok(())
            },
            |removals| async move {
                let keys = removals
                    .iter()
                    .map(|key| Tag::builder().key(key).build())
                    .collect();
                aws.ec2
                    .delete_tags()
                    .resources(cloud_id)
                    .set_tags(Some(keys))
                    .send()
                    .await
                    .map_err(|error| AwsError::from_sdk(id, "ec2:DeleteTags", error))?;
                Ok(())
            },
        )
        .await
}

/// The tags-only part of an EC2 update: brings the tags over when they changed.
pub async fn update_changed_tags(aws: &Aws, request: &UpdateRequest<'_>) -> Result<(), AwsError> {
    if !request.changes("tags") {
        return Ok(());
    }
    update_tags(
        aws,
        request.id,
        request.cloud_id,
        request.before,
        request.after,
    )
    .await
}

/// The whole update of an EC2 kind whose only in-place attribute is `tags` (everything else
/// forces replacement): the tags brought over, the resource reported as desired.
pub async fn update_tags_only(aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
    update_changed_tags(aws, &request).await?;
    Ok(Observed::with_id(request.cloud_id, request.after.clone()))
}
