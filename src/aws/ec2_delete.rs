//! Deleting a network resource that others may still hold, written once for every EC2 kind:
//! the delete is retried while AWS answers `DependencyViolation` (interfaces and addresses are
//! released a little after what held them is gone), a resource already gone counts as
//! deleted, and when the violation outlasts the retries the network interfaces still in it
//! are named in the error (load balancers, VPC CNI interfaces, endpoints Kubernetes
//! controllers made), so the user knows what to remove instead of guessing.

use std::future::Future;

use aws_sdk_ec2::types::Filter;

use super::wait::retry_dependency;
use super::{Aws, AwsError, ErrorClass};

/// Runs `attempt` (one delete call) until it stops failing with a dependency violation;
/// not found is success. A final violation names the interfaces matching `holders` =
/// `cloud_id` (`vpc-id`, `subnet-id`, `group-id`), when the kind has such a filter.
pub async fn delete_when_released<T, F, Fut>(
    aws: &Aws,
    cloud_id: &str,
    holders: Option<&str>,
    attempt: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    match retry_dependency(&aws.waits, attempt).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_not_found() => Ok(()),
        Err(error) => Err(match holders {
            Some(filter) => name_holders(aws, error, filter, cloud_id).await,
            None => error,
        }),
    }
}

/// At most this many interfaces are named; the rest are counted.
const SHOWN: usize = 5;

/// Adds to a final `DependencyViolation` the network interfaces matching `filter` (`vpc-id`,
/// `subnet-id`, `group-id` = `value`). Any other error, or a failed look-up, is returned as is.
pub async fn name_holders(aws: &Aws, mut error: AwsError, filter: &str, value: &str) -> AwsError {
    if error.class != ErrorClass::DependencyViolation {
        return error;
    }
    let Ok(output) = aws
        .ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(value).build())
        .send()
        .await
    else {
        return error;
    };
    let interfaces = output.network_interfaces();
    if interfaces.is_empty() {
        return error;
    }
    let named: Vec<String> = interfaces
        .iter()
        .take(SHOWN)
        .map(|eni| {
            let mut text = eni.network_interface_id().unwrap_or("eni-?").to_string();
            let status = eni.status().map(|status| status.as_str()).unwrap_or("?");
            let what = eni
                .description()
                .filter(|description| !description.is_empty())
                .or(eni.requester_id())
                .or(eni.interface_type().map(|kind| kind.as_str()))
                .unwrap_or("no description");
            text.push_str(&format!(" ({status}: {what})"));
            text
        })
        .collect();
    let more = interfaces.len().saturating_sub(SHOWN);
    error.message.push_str(&format!(
        "; still in use by {} network interface(s): {}{}",
        interfaces.len(),
        named.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ));
    error
}
