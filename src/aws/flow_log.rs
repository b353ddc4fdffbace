//! `flow_log`: CreateFlowLogs for one resource (tagged at create, with a ClientToken),
//! DescribeFlowLogs by the blueprint tag or `flow-log-id`, DeleteFlowLogs. EC2 cannot modify a
//! flow log: every attribute but its tags forces a replacement (delete, then create).

use aws_sdk_ec2::types::{
    FlowLog, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType,
};

use crate::resources::{Attrs, Kind, Value};

use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::{attr_str, by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct FlowLogProvider;

static DESCRIPTION: Description = Description::new(
    Kind::FlowLog,
    "ec2:DescribeFlowLogs",
    &[
        // A flow log cannot be modified (there is no ModifyFlowLogs): a new value means a new
        // flow log.
        AttrRule::ForcesReplacement("resource_id"),
        AttrRule::ForcesReplacement("resource_type"),
        AttrRule::ForcesReplacement("traffic_type"),
        AttrRule::ForcesReplacement("log_destination_type"),
        AttrRule::ForcesReplacement("log_group_name"),
        AttrRule::ForcesReplacement("deliver_logs_permission_arn"),
        AttrRule::ForcesReplacement("log_destination"),
        AttrRule::ForcesReplacement("log_format"),
        AttrRule::ForcesReplacement("max_aggregation_interval"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
);

impl KindProvider for FlowLogProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        by_tag_and_id(scope, Kind::FlowLog, |filter| async move {
            let flow_logs = aws
                .ec2
                .describe_flow_logs()
                .filter(filter)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|error| AwsError::from_sdk("flow_log", "ec2:DescribeFlowLogs", error))?;
            Ok(flow_logs.iter().filter_map(observed).collect())
        })
        .await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        const CALL: &str = "ec2:CreateFlowLogs";
        let attrs = request.attrs;
        let destination_type = required_str(attrs, "log_destination_type", request.id, CALL)?;
        let mut call = aws
            .ec2
            .create_flow_logs()
            .resource_ids(required_str(attrs, "resource_id", request.id, CALL)?)
            .resource_type(FlowLogsResourceType::from(required_str(
                attrs,
                "resource_type",
                request.id,
                CALL,
            )?))
            .traffic_type(TrafficType::from(required_str(
                attrs,
                "traffic_type",
                request.id,
                CALL,
            )?))
            .log_destination_type(LogDestinationType::from(destination_type))
            .client_token(request.idempotency_token)
            .tag_specifications(tag_specification(ResourceType::VpcFlowLog, attrs));
        if destination_type == LogDestinationType::CloudWatchLogs.as_str() {
            call = call
                .log_group_name(required_str(attrs, "log_group_name", request.id, CALL)?)
                .deliver_logs_permission_arn(required_str(
                    attrs,
                    "deliver_logs_permission_arn",
                    request.id,
                    CALL,
                )?);
        } else {
            call = call.log_destination(required_str(attrs, "log_destination", request.id, CALL)?);
        }
        if let Some(format) = attr_str(attrs, "log_format") {
            call = call.log_format(format);
        }
        if let Some(Value::Int(seconds)) = attrs.get("max_aggregation_interval") {
            let seconds = i32::try_from(*seconds).map_err(|_| {
                AwsError::new(
                    request.id,
                    CALL,
                    format!("max_aggregation_interval {seconds} is not 60 or 600"),
                )
            })?;
            call = call.max_aggregation_interval(seconds);
        }
        let output = call
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, CALL, error))?;
        // A refused resource is reported in `Unsuccessful` of a successful answer.
        if let Some(refused) = output.unsuccessful().first() {
            let (code, message) = refused
                .error()
                .map(|error| {
                    (
                        error.code().unwrap_or("unknown"),
                        error.message().unwrap_or("no reason given"),
                    )
                })
                .unwrap_or(("unknown", "no reason given"));
            return Err(AwsError::new(
                request.id,
                CALL,
                format!("flow log refused ({code}): {message}"),
            ));
        }
        let flow_log_id = output
            .flow_log_ids()
            .first()
            .ok_or_else(|| AwsError::missing_in_response(request.id, CALL, "flow log id"))?;
        Ok(Observed::with_id(flow_log_id, attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        const CALL: &str = "ec2:DeleteFlowLogs";
        let output = match aws
            .ec2
            .delete_flow_logs()
            .flow_log_ids(request.cloud_id)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => return AwsError::from_sdk(request.id, CALL, error).gone(),
        };
        // EC2 answers an id it does not know in `Unsuccessful` (InvalidFlowLogId.NotFound):
        // already gone is deleted.
        match output
            .unsuccessful()
            .first()
            .and_then(|refused| refused.error())
        {
            None => Ok(()),
            Some(error) if error.code().is_some_and(|code| code.ends_with("NotFound")) => Ok(()),
            Some(error) => Err(AwsError::new(
                request.id,
                CALL,
                format!(
                    "flow log {} not deleted ({}): {}",
                    request.cloud_id,
                    error.code().unwrap_or("unknown"),
                    error.message().unwrap_or("no reason given")
                ),
            )),
        }
    }
}

/// A described flow log in the kind's attributes: the destination attributes of its type only
/// (EC2 also reports a CloudWatch group's ARN as `LogDestination`).
fn observed(flow_log: &FlowLog) -> Option<Observed> {
    let flow_log_id = flow_log.flow_log_id()?.to_string();
    let text = |value: Option<&str>| Value::str(value.unwrap_or_default());
    let destination_type = flow_log
        .log_destination_type()
        .map(|kind| kind.as_str())
        .unwrap_or("cloud-watch-logs");
    let mut attrs = Attrs::from([
        ("resource_id".to_string(), text(flow_log.resource_id())),
        (
            "traffic_type".to_string(),
            text(flow_log.traffic_type().map(|kind| kind.as_str())),
        ),
        (
            "log_destination_type".to_string(),
            Value::str(destination_type),
        ),
        ("log_format".to_string(), text(flow_log.log_format())),
        ("tags".to_string(), tags_value(flow_log.tags())),
    ]);
    if let Some(resource_type) = resource_type_of(flow_log.resource_id()) {
        attrs.insert("resource_type".into(), Value::str(resource_type));
    }
    if let Some(seconds) = flow_log.max_aggregation_interval() {
        attrs.insert(
            "max_aggregation_interval".into(),
            Value::Int(i64::from(seconds)),
        );
    }
    if destination_type == LogDestinationType::CloudWatchLogs.as_str() {
        attrs.insert("log_group_name".into(), text(flow_log.log_group_name()));
        attrs.insert(
            "deliver_logs_permission_arn".into(),
            text(flow_log.deliver_logs_permission_arn()),
        );
    } else {
        attrs.insert("log_destination".into(), text(flow_log.log_destination()));
    }
    let status = flow_log.deliver_logs_status().unwrap_or("unknown");
    let mut observed = Observed::with_id(flow_log_id, attrs);
    observed
        .outputs
        .insert("deliver_logs_status".into(), Value::str(status));
    Some(observed)
}

/// DescribeFlowLogs does not say what kind of resource a flow log watches; its id's prefix
/// does.
fn resource_type_of(resource_id: Option<&str>) -> Option<&'static str> {
    let resource_id = resource_id?;
    [
        ("vpc-", "VPC"),
        ("subnet-", "Subnet"),
        ("eni-", "NetworkInterface"),
        ("tgw-attach-", "TransitGatewayAttachment"),
        ("tgw-", "TransitGateway"),
    ]
    .iter()
    .find(|(prefix, _)| resource_id.starts_with(prefix))
    .map(|(_, kind)| *kind)
}
