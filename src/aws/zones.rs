//! Availability zones of the region, for blueprints that give a count.

use aws_sdk_ec2::types::Filter;

use super::{Aws, AwsError};

/// The region's available, standard (not Local/Wavelength) zones, in name order.
pub async fn available_zones(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let output = aws
        .ec2
        .describe_availability_zones()
        .filters(Filter::builder().name("state").values("available").build())
        .filters(Filter::builder().name("zone-type").values("availability-zone").build())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(format!("region {}", aws.region), "ec2:DescribeAvailabilityZones", error))?;
    let mut zones: Vec<String> = output
        .availability_zones()
        .iter()
        .filter_map(|zone| zone.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    Ok(zones)
}
