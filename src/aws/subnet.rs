//! `subnet`: CreateSubnet, ModifySubnetAttribute, DeleteSubnet.

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType};

use crate::resources::{Attrs, Kind, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_changed_tags};
use super::refresh::{by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct SubnetProvider;

// CreateSubnet (tags at create); map-public-ip only when asked (not by default).
static DESCRIPTION: Description = Description::new(
    Kind::Subnet,
    "ec2:DescribeSubnets",
    &[
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::ForcesReplacement("cidr_block"),
        AttrRule::ForcesReplacement("availability_zone"),
        AttrRule::UpdatedBy("map_public_ip_on_launch", "ec2:ModifySubnetAttribute"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
.create_is_not_idempotent();

impl KindProvider for SubnetProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::Subnet, move |filter| describe(aws, filter)).await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let output = aws
            .ec2
            .create_subnet()
            .vpc_id(required_str(
                attrs,
                "vpc_id",
                request.id,
                "ec2:CreateSubnet",
            )?)
            .cidr_block(required_str(
                attrs,
                "cidr_block",
                request.id,
                "ec2:CreateSubnet",
            )?)
            .availability_zone(required_str(
                attrs,
                "availability_zone",
                request.id,
                "ec2:CreateSubnet",
            )?)
            .tag_specifications(tag_specification(ResourceType::Subnet, attrs))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateSubnet", error))?;
        let subnet_id = output
            .subnet()
            .and_then(|subnet| subnet.subnet_id())
            .ok_or_else(|| {
                AwsError::missing_in_response(request.id, "ec2:CreateSubnet", "subnet id")
            })?
            .to_string();
        if attrs
            .get("map_public_ip_on_launch")
            .and_then(Value::as_bool)
            == Some(true)
        {
            set_map_public_ip(aws, request.id, &subnet_id, true).await?;
        }
        Ok(Observed::with_id(&subnet_id, attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        for attribute in request.changed {
            match attribute.as_str() {
                "tags" => update_changed_tags(aws, &request).await?,
                "map_public_ip_on_launch" => {
                    let value = request
                        .after
                        .get(attribute)
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    set_map_public_ip(aws, request.id, request.cloud_id, value).await?;
                }
                _ => {}
            }
        }
        Ok(Observed::with_id(request.cloud_id, request.after.clone()))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        delete_when_released(aws, request.cloud_id, Some("subnet-id"), || async {
            aws.ec2
                .delete_subnet()
                .subnet_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteSubnet", error))
        })
        .await
    }
}

async fn set_map_public_ip(
    aws: &Aws,
    id: &crate::resources::ResourceId,
    subnet_id: &str,
    value: bool,
) -> Result<(), AwsError> {
    aws.ec2
        .modify_subnet_attribute()
        .subnet_id(subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ModifySubnetAttribute", error))?;
    Ok(())
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_subnets()
        .filters(filter)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("subnet", "ec2:DescribeSubnets", error))?;
    Ok(output
        .subnets()
        .iter()
        .filter_map(|subnet| {
            let subnet_id = subnet.subnet_id()?.to_string();
            let attrs = Attrs::from([
                (
                    "vpc_id".to_string(),
                    Value::str(subnet.vpc_id().unwrap_or_default()),
                ),
                (
                    "cidr_block".to_string(),
                    Value::str(subnet.cidr_block().unwrap_or_default()),
                ),
                (
                    "availability_zone".to_string(),
                    Value::str(subnet.availability_zone().unwrap_or_default()),
                ),
                (
                    "map_public_ip_on_launch".to_string(),
                    Value::Bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
                ),
                ("tags".to_string(), tags_value(subnet.tags())),
            ]);
            Some(Observed::with_id(subnet_id, attrs))
        })
        .collect())
}
