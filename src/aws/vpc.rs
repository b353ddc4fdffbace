//! `vpc`: CreateVpc, ModifyVpcAttribute (one attribute per call, as EC2 requires), DeleteVpc.

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, VpcAttributeName};
use futures::future::try_join_all;

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_changed_tags};
use super::refresh::{by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct VpcProvider;

static DESCRIPTION: Description = Description::new(
    Kind::Vpc,
    "ec2:DescribeVpcs",
    &[
        AttrRule::ForcesReplacement("cidr_block"),
        AttrRule::UpdatedBy("enable_dns_support", "ec2:ModifyVpcAttribute"),
        AttrRule::UpdatedBy("enable_dns_hostnames", "ec2:ModifyVpcAttribute"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
// CreateVpc → ModifyVpcAttribute ×2 at once (DNS settings cannot be set at create).
.calls(1, 2, 1, 1)
.create_is_not_idempotent();

impl KindProvider for VpcProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // DNS attributes need one call each per VPC: those state records are read at the
        // same time as the describe, the rest (adopted ones) right after it.
        let recorded: Vec<String> = scope.recorded_cloud_ids();
        let (found, early) = futures::join!(
            by_tag_and_id(scope, Kind::Vpc, |filter| describe(aws, filter)),
            futures::future::join_all(recorded.iter().map(|vpc_id| dns_attributes(aws, vpc_id))),
        );
        let mut found = found?;
        let early: std::collections::BTreeMap<&String, Attrs> = recorded
            .iter()
            .zip(early)
            .filter_map(|(vpc_id, attrs)| Some((vpc_id, attrs.ok()?)))
            .collect();
        try_join_all(found.iter_mut().map(|item| {
            let known = early.get(&item.observed.cloud_id).cloned();
            async move {
                let attrs = match known {
                    Some(attrs) => attrs,
                    None => dns_attributes(aws, &item.observed.cloud_id).await.map_err(
                        |mut error| {
                            error.resource = item.id.to_string();
                            error
                        },
                    )?,
                };
                item.observed.attrs.extend(attrs);
                Ok::<_, AwsError>(())
            }
        }))
        .await?;
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let cidr = required_str(request.attrs, "cidr_block", request.id, "ec2:CreateVpc")?;
        let output = aws
            .ec2
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(tag_specification(ResourceType::Vpc, request.attrs))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateVpc", error))?;
        let vpc_id = output
            .vpc()
            .and_then(|vpc| vpc.vpc_id())
            .ok_or_else(|| AwsError::missing_in_response(request.id, "ec2:CreateVpc", "VPC id"))?
            .to_string();
        // One attribute per call, both at once (DNS support is on in a new VPC already, so
        // hostnames need not wait for it).
        futures::future::try_join_all(
            ["enable_dns_support", "enable_dns_hostnames"]
                .into_iter()
                .filter_map(|attribute| {
                    let value = request.attrs.get(attribute).and_then(Value::as_bool)?;
                    Some(set_dns_attribute(
                        aws, request.id, &vpc_id, attribute, value,
                    ))
                }),
        )
        .await?;
        Ok(Observed::with_id(&vpc_id, request.attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        for attribute in request.changed {
            match attribute.as_str() {
                "tags" => update_changed_tags(aws, &request).await?,
                "enable_dns_support" | "enable_dns_hostnames" => {
                    let value = request
                        .after
                        .get(attribute)
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    set_dns_attribute(aws, request.id, request.cloud_id, attribute, value).await?;
                }
                _ => {}
            }
        }
        Ok(Observed::with_id(request.cloud_id, request.after.clone()))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        delete_when_released(aws, request.cloud_id, Some("vpc-id"), || async {
            aws.ec2
                .delete_vpc()
                .vpc_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteVpc", error))
        })
        .await
    }
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_vpcs()
        .filters(filter)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("vpc", "ec2:DescribeVpcs", error))?;
    Ok(output
        .vpcs()
        .iter()
        .filter_map(|vpc| {
            let vpc_id = vpc.vpc_id()?.to_string();
            let mut attrs = Attrs::new();
            attrs.insert(
                "cidr_block".into(),
                Value::str(vpc.cidr_block().unwrap_or_default()),
            );
            attrs.insert("tags".into(), tags_value(vpc.tags()));
            Some(Observed {
                outputs: Attrs::from([("id".to_string(), Value::str(vpc_id.clone()))]),
                cloud_id: vpc_id,
                attrs,
            })
        })
        .collect())
}

/// The two DNS attributes of a VPC (one DescribeVpcAttribute each, both at once).
async fn dns_attributes(aws: &Aws, vpc_id: &str) -> Result<Attrs, AwsError> {
    let read = |attribute| {
        aws.ec2
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(attribute)
            .send()
    };
    let (support, hostnames) = futures::join!(
        read(VpcAttributeName::EnableDnsSupport),
        read(VpcAttributeName::EnableDnsHostnames)
    );
    let support =
        support.map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeVpcAttribute", error))?;
    let hostnames =
        hostnames.map_err(|error| AwsError::from_sdk(vpc_id, "ec2:DescribeVpcAttribute", error))?;
    let mut attrs = Attrs::new();
    if let Some(value) = support
        .enable_dns_support()
        .and_then(AttributeBooleanValue::value)
    {
        attrs.insert("enable_dns_support".into(), Value::Bool(value));
    }
    if let Some(value) = hostnames
        .enable_dns_hostnames()
        .and_then(AttributeBooleanValue::value)
    {
        attrs.insert("enable_dns_hostnames".into(), Value::Bool(value));
    }
    Ok(attrs)
}

async fn set_dns_attribute(
    aws: &Aws,
    id: &ResourceId,
    vpc_id: &str,
    attribute: &str,
    value: bool,
) -> Result<(), AwsError> {
    let flag = AttributeBooleanValue::builder().value(value).build();
    let call = aws.ec2.modify_vpc_attribute().vpc_id(vpc_id);
    let call = if attribute == "enable_dns_support" {
        call.enable_dns_support(flag)
    } else {
        call.enable_dns_hostnames(flag)
    };
    call.send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ModifyVpcAttribute", error))?;
    Ok(())
}
