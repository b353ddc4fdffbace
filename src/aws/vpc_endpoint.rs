//! `vpc_endpoint`: CreateVpcEndpoint (a Gateway endpoint on route tables, or an Interface
//! endpoint in subnets behind security groups; tagged at create, with a ClientToken) and a wait
//! for `available`; ModifyVpcEndpoint for route tables, subnets, security groups and private
//! DNS; DeleteVpcEndpoints and a wait until it is gone (an interface endpoint holds a network
//! interface in each subnet until then, which keeps the subnets and security group in use).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, ResourceType, VpcEndpoint, VpcEndpointType};

use crate::resources::policy::DEFAULT_ENDPOINT_POLICY;
use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_tags::{id_filter, tag_specification, tags_value, update_changed_tags};
use super::refresh::{by_tag_and_id, required_str};
use super::wait::{until, Poll};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct VpcEndpointProvider;

static DESCRIPTION: Description = Description::new(
    Kind::VpcEndpoint,
    "ec2:DescribeVpcEndpoints",
    &[
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::ForcesReplacement("service_name"),
        AttrRule::ForcesReplacement("vpc_endpoint_type"),
        AttrRule::UpdatedBy("route_table_ids", "ec2:ModifyVpcEndpoint"),
        AttrRule::UpdatedBy("subnet_ids", "ec2:ModifyVpcEndpoint"),
        AttrRule::UpdatedBy("security_group_ids", "ec2:ModifyVpcEndpoint"),
        AttrRule::UpdatedBy("private_dns_enabled", "ec2:ModifyVpcEndpoint"),
        AttrRule::UpdatedBy("policy_document", "ec2:ModifyVpcEndpoint"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
// Create → Describe (available); Modify → Describe (available); Delete → Describe (gone).
.calls(1, 2, 2, 2)
.typical_wait(60, 60)
.unordered(&["route_table_ids", "subnet_ids", "security_group_ids"]);

const CREATE: &str = "ec2:CreateVpcEndpoint";
const DESCRIBE: &str = "ec2:DescribeVpcEndpoints";

impl KindProvider for VpcEndpointProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let found = by_tag_and_id(scope, Kind::VpcEndpoint, |filter| describe(aws, filter)).await?;
        // A deleted endpoint stays listed for a while: it is gone for our purposes.
        Ok(found
            .into_iter()
            .filter(|item| !is_gone(item.observed.outputs.get("state").and_then(Value::as_str)))
            .collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let endpoint_type = required_str(attrs, "vpc_endpoint_type", request.id, CREATE)?;
        let mut call = aws
            .ec2
            .create_vpc_endpoint()
            .vpc_id(required_str(attrs, "vpc_id", request.id, CREATE)?)
            .service_name(required_str(attrs, "service_name", request.id, CREATE)?)
            .vpc_endpoint_type(VpcEndpointType::from(endpoint_type))
            .client_token(request.idempotency_token)
            .tag_specifications(tag_specification(ResourceType::VpcEndpoint, attrs));
        // AWS's default policy is what an endpoint gets without one; naming it is left out, as
        // some services take no endpoint policy at all.
        if let Some(policy) = custom_policy(attrs) {
            call = call.policy_document(policy);
        }
        // Each list only for the type it belongs to: EC2 refuses route tables on an
        // interface endpoint and subnets or security groups on a gateway one.
        if endpoint_type == "Gateway" {
            call = call.set_route_table_ids(Some(str_list(attrs, "route_table_ids")));
        } else {
            call = call
                .set_subnet_ids(Some(str_list(attrs, "subnet_ids")))
                .set_security_group_ids(Some(str_list(attrs, "security_group_ids")));
            if let Some(private_dns) = attrs.get("private_dns_enabled").and_then(Value::as_bool) {
                call = call.private_dns_enabled(private_dns);
            }
        }
        let output = call
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, CREATE, error))?;
        let endpoint_id = output
            .vpc_endpoint()
            .and_then(|endpoint| endpoint.vpc_endpoint_id())
            .ok_or_else(|| AwsError::missing_in_response(request.id, CREATE, "endpoint id"))?
            .to_string();
        wait_for_state(aws, request.id, &endpoint_id, Target::Available).await?;
        Ok(Observed {
            cloud_id: endpoint_id.clone(),
            attrs: attrs.clone(),
            outputs: Attrs::from([
                ("id".to_string(), Value::str(endpoint_id)),
                ("state".to_string(), Value::str("available")),
            ]),
        })
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        let mut call = aws
            .ec2
            .modify_vpc_endpoint()
            .vpc_endpoint_id(request.cloud_id);
        let mut modifies = false;
        if request.changes("route_table_ids") {
            let (add, remove) = list_changes(&request, "route_table_ids");
            call = call
                .set_add_route_table_ids(non_empty(add))
                .set_remove_route_table_ids(non_empty(remove));
            modifies = true;
        }
        if request.changes("subnet_ids") {
            let (add, remove) = list_changes(&request, "subnet_ids");
            call = call
                .set_add_subnet_ids(non_empty(add))
                .set_remove_subnet_ids(non_empty(remove));
            modifies = true;
        }
        if request.changes("security_group_ids") {
            let (add, remove) = list_changes(&request, "security_group_ids");
            call = call
                .set_add_security_group_ids(non_empty(add))
                .set_remove_security_group_ids(non_empty(remove));
            modifies = true;
        }
        if request.changes("private_dns_enabled") {
            if let Some(private_dns) = request
                .after
                .get("private_dns_enabled")
                .and_then(Value::as_bool)
            {
                call = call.private_dns_enabled(private_dns);
                modifies = true;
            }
        }
        if request.changes("policy_document") {
            call = match custom_policy(request.after) {
                Some(policy) => call.policy_document(policy),
                None => call.reset_policy(true),
            };
            modifies = true;
        }
        if modifies {
            call.send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:ModifyVpcEndpoint", error))?;
            // Subnets added or removed take the endpoint through `pending` again.
            wait_for_state(aws, request.id, request.cloud_id, Target::Available).await?;
        }
        update_changed_tags(aws, &request).await?;
        Ok(Observed {
            cloud_id: request.cloud_id.to_string(),
            attrs: request.after.clone(),
            outputs: Attrs::from([
                ("id".to_string(), Value::str(request.cloud_id)),
                ("state".to_string(), Value::str("available")),
            ]),
        })
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let output = aws
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(request.cloud_id)
            .send()
            .await;
        match output {
            Err(error) => {
                return AwsError::from_sdk(request.id, "ec2:DeleteVpcEndpoints", error).gone()
            }
            Ok(output) => {
                // The call succeeds as a whole and lists what it could not delete.
                if let Some(failure) = output.unsuccessful().iter().find_map(|item| item.error()) {
                    let code = failure.code().unwrap_or_default();
                    if !code.contains("NotFound") {
                        return Err(AwsError::new(
                            request.id,
                            "ec2:DeleteVpcEndpoints",
                            format!(
                                "endpoint {} was not deleted: {code}: {}",
                                request.cloud_id,
                                failure.message().unwrap_or("no reason given")
                            ),
                        ));
                    }
                }
            }
        }
        // The subnet and security group deletes that follow need its interfaces released.
        wait_for_state(aws, request.id, request.cloud_id, Target::Gone).await
    }
}

/// The endpoint's policy when it is not AWS's default one.
fn custom_policy(attrs: &Attrs) -> Option<&str> {
    attrs
        .get("policy_document")
        .and_then(Value::as_str)
        .filter(|policy| *policy != default_policy())
}

fn default_policy() -> String {
    super::policy::canonical(DEFAULT_ENDPOINT_POLICY).unwrap_or_default()
}

/// What a wait waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Available,
    Gone,
}

fn is_gone(state: Option<&str>) -> bool {
    matches!(
        state.map(str::to_ascii_lowercase).as_deref(),
        Some("deleted") | Some("deleting") | Some("failed") | Some("rejected") | Some("expired")
    )
}

async fn wait_for_state(
    aws: &Aws,
    id: &ResourceId,
    endpoint_id: &str,
    target: Target,
) -> Result<(), AwsError> {
    let what = match target {
        Target::Available => format!("VPC endpoint {endpoint_id} to be available"),
        Target::Gone => format!("VPC endpoint {endpoint_id} to be deleted"),
    };
    until(&aws.waits, id.as_str(), DESCRIBE, &what, || async {
        let output = aws
            .ec2
            .describe_vpc_endpoints()
            .filters(id_filter(Kind::VpcEndpoint, vec![endpoint_id.to_string()]))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(id, DESCRIBE, error))?;
        let state = output
            .vpc_endpoints()
            .first()
            .and_then(|endpoint| endpoint.state())
            .map(|state| state.as_str().to_ascii_lowercase());
        match (target, state.as_deref()) {
            (Target::Gone, None) | (Target::Gone, Some("deleted")) => Ok(Poll::Done(())),
            (Target::Available, Some("available")) => Ok(Poll::Done(())),
            (Target::Available, Some("failed" | "rejected" | "expired")) => {
                let reason = output
                    .vpc_endpoints()
                    .first()
                    .and_then(|endpoint| endpoint.last_error())
                    .and_then(|error| error.message())
                    .unwrap_or("no reason given");
                Err(AwsError::new(
                    id,
                    CREATE,
                    format!(
                        "VPC endpoint {endpoint_id} is {}: {reason}",
                        state.as_deref().unwrap_or_default()
                    ),
                ))
            }
            (_, Some(state)) => Ok(Poll::Pending(state.to_string())),
            (Target::Available, None) => Ok(Poll::Pending("not listed yet".to_string())),
        }
    })
    .await
}

/// A list attribute of strings; other values (an unresolved reference) are left out.
fn str_list(attrs: &Attrs, name: &str) -> Vec<String> {
    match attrs.get(name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// What ModifyVpcEndpoint adds and removes to bring `name` from `before` to `after`.
fn list_changes(request: &UpdateRequest<'_>, name: &str) -> (Vec<String>, Vec<String>) {
    let before: BTreeSet<String> = str_list(request.before, name).into_iter().collect();
    let after: BTreeSet<String> = str_list(request.after, name).into_iter().collect();
    (
        after.difference(&before).cloned().collect(),
        before.difference(&after).cloned().collect(),
    )
}

/// EC2 refuses an empty add or remove list: leave it out instead.
fn non_empty(items: Vec<String>) -> Option<Vec<String>> {
    (!items.is_empty()).then_some(items)
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(items.into_iter().map(Value::str).collect())
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let endpoints: Vec<VpcEndpoint> = aws
        .ec2
        .describe_vpc_endpoints()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk("vpc_endpoint", DESCRIBE, error))?;
    Ok(endpoints.iter().filter_map(observed).collect())
}

/// One described endpoint in the provider's attribute vocabulary.
fn observed(endpoint: &VpcEndpoint) -> Option<Observed> {
    let endpoint_id = endpoint.vpc_endpoint_id()?.to_string();
    let endpoint_type = endpoint
        .vpc_endpoint_type()
        .map(|kind| kind.as_str())
        .unwrap_or_default();
    let mut attrs = Attrs::from([
        (
            "vpc_id".to_string(),
            Value::str(endpoint.vpc_id().unwrap_or_default()),
        ),
        (
            "service_name".to_string(),
            Value::str(endpoint.service_name().unwrap_or_default()),
        ),
        ("vpc_endpoint_type".to_string(), Value::str(endpoint_type)),
        ("tags".to_string(), tags_value(endpoint.tags())),
        // No document: a service without endpoint policies, which allows what IAM allows.
        (
            "policy_document".to_string(),
            Value::str(
                endpoint
                    .policy_document()
                    .and_then(super::policy::canonical)
                    .unwrap_or_else(default_policy),
            ),
        ),
    ]);
    if endpoint_type == "Gateway" {
        attrs.insert(
            "route_table_ids".into(),
            strings(endpoint.route_table_ids().iter().map(String::as_str)),
        );
    } else {
        attrs.insert(
            "subnet_ids".into(),
            strings(endpoint.subnet_ids().iter().map(String::as_str)),
        );
        attrs.insert(
            "security_group_ids".into(),
            strings(
                endpoint
                    .groups()
                    .iter()
                    .filter_map(|group| group.group_id()),
            ),
        );
        attrs.insert(
            "private_dns_enabled".into(),
            Value::Bool(endpoint.private_dns_enabled().unwrap_or(false)),
        );
    }
    let state = endpoint
        .state()
        .map(|state| state.as_str().to_ascii_lowercase())
        .unwrap_or_else(|| "unknown".to_string());
    Some(Observed {
        outputs: Attrs::from([
            ("id".to_string(), Value::str(endpoint_id.clone())),
            ("state".to_string(), Value::str(state)),
        ]),
        cloud_id: endpoint_id,
        attrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_and_refused_endpoints_count_as_gone() {
        for state in ["deleted", "Deleting", "failed", "rejected", "expired"] {
            assert!(is_gone(Some(state)), "{state}");
        }
        for state in ["available", "pending", "pendingAcceptance"] {
            assert!(!is_gone(Some(state)), "{state}");
        }
    }

    #[test]
    fn an_unchanged_list_sends_nothing() {
        assert_eq!(non_empty(Vec::new()), None);
        assert_eq!(non_empty(vec!["rtb-1".into()]), Some(vec!["rtb-1".into()]));
    }
}
