//! `internet_gateway`: CreateInternetGateway + AttachInternetGateway; Detach + Delete.

use aws_sdk_ec2::types::{Filter, ResourceType};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::{attr_str, by_tag_and_id};
use super::wait::retry_dependency;
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct InternetGatewayProvider;

// Moving a gateway to another VPC in place would leave the old VPC undeletable while it is
// still attached; a new gateway is cheap and keeps destroy order simple.
static DESCRIPTION: Description = Description::new(
    Kind::InternetGateway,
    "ec2:DescribeInternetGateways",
    &[
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
// CreateInternetGateway → AttachInternetGateway; Detach → Delete.
.calls(1, 2, 2, 2)
.create_is_not_idempotent();

impl KindProvider for InternetGatewayProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::InternetGateway, move |filter| {
            describe(aws, filter)
        })
        .await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let output = aws
            .ec2
            .create_internet_gateway()
            .tag_specifications(tag_specification(
                ResourceType::InternetGateway,
                request.attrs,
            ))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateInternetGateway", error))?;
        let gateway_id = output
            .internet_gateway()
            .and_then(|gateway| gateway.internet_gateway_id())
            .ok_or_else(|| {
                AwsError::missing_in_response(request.id, "ec2:CreateInternetGateway", "gateway id")
            })?
            .to_string();
        if let Some(vpc_id) = attr_str(request.attrs, "vpc_id") {
            attach(aws, request.id, &gateway_id, vpc_id).await?;
        }
        Ok(Observed::with_id(&gateway_id, request.attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        if let Some(vpc_id) = attr_str(request.attrs, "vpc_id").filter(|vpc| !vpc.is_empty()) {
            match detach(aws, request.id, request.cloud_id, vpc_id).await {
                Err(error)
                    if error.is_not_found()
                        || error.code.as_deref() == Some("Gateway.NotAttached") => {}
                other => other?,
            }
        }
        delete_when_released(aws, request.cloud_id, None, || async {
            aws.ec2
                .delete_internet_gateway()
                .internet_gateway_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteInternetGateway", error))
        })
        .await
    }
}

async fn attach(
    aws: &Aws,
    id: &ResourceId,
    gateway_id: &str,
    vpc_id: &str,
) -> Result<(), AwsError> {
    aws.ec2
        .attach_internet_gateway()
        .internet_gateway_id(gateway_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:AttachInternetGateway", error))?;
    Ok(())
}

async fn detach(
    aws: &Aws,
    id: &ResourceId,
    gateway_id: &str,
    vpc_id: &str,
) -> Result<(), AwsError> {
    // Detaching fails while public addresses (NAT gateways' EIPs) remain mapped in the VPC;
    // AWS releases them shortly after the NAT gateway is deleted.
    retry_dependency(&aws.waits, || async {
        aws.ec2
            .detach_internet_gateway()
            .internet_gateway_id(gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, "ec2:DetachInternetGateway", error))
    })
    .await?;
    Ok(())
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_internet_gateways()
        .filters(filter)
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk("internet_gateway", "ec2:DescribeInternetGateways", error)
        })?;
    Ok(output
        .internet_gateways()
        .iter()
        .filter_map(|gateway| {
            let gateway_id = gateway.internet_gateway_id()?.to_string();
            let vpc_id = gateway
                .attachments()
                .iter()
                .find_map(|attachment| attachment.vpc_id())
                .unwrap_or_default();
            let attrs = Attrs::from([
                ("vpc_id".to_string(), Value::str(vpc_id)),
                ("tags".to_string(), tags_value(gateway.tags())),
            ]);
            Some(Observed {
                outputs: Attrs::from([("id".to_string(), Value::str(gateway_id.clone()))]),
                cloud_id: gateway_id,
                attrs,
            })
        })
        .collect())
}
