//! `nat_gateway`: CreateNatGateway (with a ClientToken) and a wait for `available`;
//! DeleteNatGateway and a wait for `deleted`.

use aws_sdk_ec2::types::{ConnectivityType, Filter, NatGatewayState, ResourceType};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_tags::{id_filter, tag_specification, tags_value, update_tags_only};
use super::refresh::{attr_str, by_tag_and_id, required_str};
use super::wait::{until, Poll};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct NatGatewayProvider;

static DESCRIPTION: Description = Description::new(
    Kind::NatGateway,
    "ec2:DescribeNatGateways",
    &[
        AttrRule::ForcesReplacement("subnet_id"),
        AttrRule::ForcesReplacement("allocation_id"),
        AttrRule::ForcesReplacement("connectivity_type"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
// CreateNatGateway → DescribeNatGateways (available); Delete → Describe (deleted).
.calls(1, 2, 1, 2)
.typical_wait(90, 60);

impl KindProvider for NatGatewayProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let found = by_tag_and_id(scope, Kind::NatGateway, |filter| describe(aws, filter)).await?;
        // A deleted gateway stays listed for about an hour: it is gone for our purposes.
        Ok(found
            .into_iter()
            .filter(|item| !is_gone(item.observed.outputs.get("state").and_then(Value::as_str)))
            .collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let mut call = aws
            .ec2
            .create_nat_gateway()
            .subnet_id(required_str(
                attrs,
                "subnet_id",
                request.id,
                "ec2:CreateNatGateway",
            )?)
            .client_token(request.idempotency_token)
            .tag_specifications(tag_specification(ResourceType::Natgateway, attrs));
        if let Some(allocation_id) = attr_str(attrs, "allocation_id") {
            call = call.allocation_id(allocation_id);
        }
        if let Some(connectivity) = attr_str(attrs, "connectivity_type") {
            call = call.connectivity_type(ConnectivityType::from(connectivity));
        }
        let output = call
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateNatGateway", error))?;
        let gateway_id = output
            .nat_gateway()
            .and_then(|gateway| gateway.nat_gateway_id())
            .ok_or_else(|| {
                AwsError::missing_in_response(request.id, "ec2:CreateNatGateway", "gateway id")
            })?
            .to_string();
        wait_for_state(aws, request.id, &gateway_id, NatGatewayState::Available).await?;
        Ok(Observed {
            cloud_id: gateway_id.clone(),
            attrs: attrs.clone(),
            outputs: Attrs::from([
                ("id".to_string(), Value::str(gateway_id)),
                ("state".to_string(), Value::str("available")),
            ]),
        })
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        if let Err(error) = aws
            .ec2
            .delete_nat_gateway()
            .nat_gateway_id(request.cloud_id)
            .send()
            .await
        {
            // Already gone: deleted, with nothing to wait for.
            return AwsError::from_sdk(request.id, "ec2:DeleteNatGateway", error).gone();
        }
        // Its address and network interface are released only once it is `deleted`; the
        // EIP, subnet and internet gateway deletes that follow depend on that.
        wait_for_state(aws, request.id, request.cloud_id, NatGatewayState::Deleted).await?;
        if let Some(allocation_id) = attr_str(request.attrs, "allocation_id") {
            wait_for_address_release(aws, request.id, allocation_id).await?;
        }
        Ok(())
    }
}

fn is_gone(state: Option<&str>) -> bool {
    matches!(state, Some("deleted") | Some("deleting") | Some("failed"))
}

async fn wait_for_state(
    aws: &Aws,
    id: &ResourceId,
    gateway_id: &str,
    target: NatGatewayState,
) -> Result<(), AwsError> {
    let target_name = target.as_str().to_string();
    until(
        &aws.waits,
        id.as_str(),
        "ec2:DescribeNatGateways",
        &format!("NAT gateway {gateway_id} to be {target_name}"),
        || async {
            let output = aws
                .ec2
                .describe_nat_gateways()
                .filter(id_filter(Kind::NatGateway, vec![gateway_id.to_string()]))
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(id, "ec2:DescribeNatGateways", error))?;
            let state = output
                .nat_gateways()
                .first()
                .and_then(|gateway| gateway.state())
                .map(|state| state.as_str().to_string());
            match state.as_deref() {
                // A gateway that is no longer listed has been deleted.
                None if target == NatGatewayState::Deleted => Ok(Poll::Done(())),
                Some(state) if state == target_name => Ok(Poll::Done(())),
                Some("failed") => {
                    let reason = output
                        .nat_gateways()
                        .first()
                        .and_then(|gateway| gateway.failure_message())
                        .unwrap_or("no reason given");
                    Err(AwsError::new(
                        id,
                        "ec2:CreateNatGateway",
                        format!("NAT gateway {gateway_id} failed: {reason}"),
                    ))
                }
                Some(state) => Ok(Poll::Pending(state.to_string())),
                None => Ok(Poll::Pending("not listed yet".to_string())),
            }
        },
    )
    .await
}

/// Waits until the gateway's EIP is no longer associated, so a successor gateway (or a
/// release) can use it at once. AWS drops the association a little after the gateway is
/// `deleted`; when it lingers, the stale association is removed explicitly (moto never drops it).
async fn wait_for_address_release(
    aws: &Aws,
    id: &ResourceId,
    allocation_id: &str,
) -> Result<(), AwsError> {
    until(
        &aws.waits,
        id.as_str(),
        "ec2:DescribeAddresses",
        &format!("address {allocation_id} to be released"),
        || async {
            let output = aws
                .ec2
                .describe_addresses()
                .filters(id_filter(Kind::Eip, vec![allocation_id.to_string()]))
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(id, "ec2:DescribeAddresses", error))?;
            let association = output
                .addresses()
                .first()
                .and_then(|address| address.association_id())
                .map(str::to_string);
            match association {
                None => Ok(Poll::Done(())),
                Some(association_id) => {
                    // Refused while the gateway still holds it; then the next poll looks again.
                    let _ = aws
                        .ec2
                        .disassociate_address()
                        .association_id(&association_id)
                        .send()
                        .await;
                    Ok(Poll::Pending(format!(
                        "still associated ({association_id})"
                    )))
                }
            }
        },
    )
    .await
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let output = aws
        .ec2
        .describe_nat_gateways()
        .filter(filter)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("nat_gateway", "ec2:DescribeNatGateways", error))?;
    Ok(output
        .nat_gateways()
        .iter()
        .filter_map(|gateway| {
            let gateway_id = gateway.nat_gateway_id()?.to_string();
            let mut attrs = Attrs::from([
                (
                    "subnet_id".to_string(),
                    Value::str(gateway.subnet_id().unwrap_or_default()),
                ),
                (
                    "connectivity_type".to_string(),
                    Value::str(
                        gateway
                            .connectivity_type()
                            .map(|kind| kind.as_str())
                            .unwrap_or("public"),
                    ),
                ),
                ("tags".to_string(), tags_value(gateway.tags())),
            ]);
            if let Some(allocation_id) = gateway
                .nat_gateway_addresses()
                .iter()
                .find_map(|address| address.allocation_id())
            {
                attrs.insert("allocation_id".into(), Value::str(allocation_id));
            }
            let state = gateway
                .state()
                .map(|state| state.as_str())
                .unwrap_or("unknown");
            Some(Observed {
                outputs: Attrs::from([
                    ("id".to_string(), Value::str(gateway_id.clone())),
                    ("state".to_string(), Value::str(state)),
                ]),
                cloud_id: gateway_id,
                attrs,
            })
        })
        .collect())
}
