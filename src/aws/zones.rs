//! Availability zones of the region, for blueprints that give a count.

use aws_sdk_ec2::types::Filter;

use super::{Aws, AwsError};

/// The region's available, standard (not Local/Wavelength) zones, in name order.
pub async fn available_zones(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let output = aws
        .ec2
        .describe_availability_zones()
        .filters(Filter::builder().name("state").values("available").build())
        .filters(
            Filter::builder()
                .name("zone-type")
                .values("availability-zone")
                .build(),
        )
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk(
                format!("region {}", aws.region),
                "ec2:DescribeAvailabilityZones",
                error,
            )
        })?;
    let mut zones: Vec<String> = output
        .availability_zones()
        .iter()
        .filter_map(|zone| zone.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    Ok(zones)
}

/// The caller's account and partition (GetCallerIdentity): part of every ARN the blueprint
/// builds, and a preflight that the credentials work at all.
pub async fn caller_identity(aws: &Aws) -> Result<(String, String), AwsError> {
    let output = aws
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| AwsError::from_sdk("credentials", "sts:GetCallerIdentity", error))?;
    let account = output.account().unwrap_or_default().to_string();
    let partition = output
        .arn()
        .and_then(|arn| arn.split(':').nth(1))
        .unwrap_or("aws")
        .to_string();
    Ok((account, partition))
}
