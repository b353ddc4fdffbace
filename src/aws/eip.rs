//! `eip`: AllocateAddress (domain vpc), ReleaseAddress.

use aws_sdk_ec2::types::{DomainType, Filter, ResourceType};

use crate::resources::{Attrs, Kind, Value};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::by_tag_and_id;
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct EipProvider;

static DESCRIPTION: Description = Description::new(
    Kind::Eip,
    "ec2:DescribeAddresses",
    &[
        AttrRule::ForcesReplacement("domain"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
.create_is_not_idempotent();

impl KindProvider for EipProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::Eip, move |filter| describe(aws, filter)).await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let output = aws
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_specification(ResourceType::ElasticIp, request.attrs))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:AllocateAddress", error))?;
        let allocation_id = output
            .allocation_id()
            .ok_or_else(|| {
                AwsError::missing_in_response(request.id, "ec2:AllocateAddress", "allocation id")
            })?
            .to_string();
        let mut observed = Observed::with_id(&allocation_id, request.attrs.clone());
        if let Some(ip) = output.public_ip() {
            observed.outputs.insert("public_ip".into(), Value::str(ip));
        }
        Ok(observed)
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        // A NAT gateway's address stays associated for a moment after the gateway is gone.
        delete_when_released(aws, request.cloud_id, None, || async {
            aws.ec2
                .release_address()
                .allocation_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| {
                    let mut error = AwsError::from_sdk(request.id, "ec2:ReleaseAddress", error);
                    if error.code.as_deref() == Some("InvalidIPAddress.InUse") {
                        error.class = super::ErrorClass::DependencyViolation;
                    }
                    if error.code.as_deref() == Some("InvalidAllocationID.NotFound") {
                        error.class = super::ErrorClass::NotFound;
                    }
                    error
                })
        })
        .await
    }
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_addresses()
        .filters(filter)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("eip", "ec2:DescribeAddresses", error))?;
    Ok(output
        .addresses()
        .iter()
        .filter_map(|address| {
            let allocation_id = address.allocation_id()?.to_string();
            let domain = address
                .domain()
                .map(|domain| domain.as_str().to_string())
                .unwrap_or_default();
            let attrs = Attrs::from([
                ("domain".to_string(), Value::str(domain)),
                ("tags".to_string(), tags_value(address.tags())),
            ]);
            let mut outputs = Attrs::from([("id".to_string(), Value::str(allocation_id.clone()))]);
            if let Some(ip) = address.public_ip() {
                outputs.insert("public_ip".into(), Value::str(ip));
            }
            Some(Observed {
                cloud_id: allocation_id,
                attrs,
                outputs,
            })
        })
        .collect())
}
