//! The launch template data in both directions: the request data built from the desired
//! attributes, and a version's data read back into the same attributes.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataEndpointState,
    LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateTagSpecificationRequest,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, Tag, VolumeType,
};

use crate::resources::{Attrs, Value};

use crate::aws::ec2_tags::tags_value;
use crate::aws::refresh::attr_str;

use super::int_value;

pub(super) fn desired_tag_list(value: Option<&Value>) -> Vec<Tag> {
    value
        .and_then(Value::as_map)
        .map(|tags| {
            tags.iter()
                .filter_map(|(key, value)| {
                    Some(Tag::builder().key(key).value(value.as_str()?).build())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The launch template data for the desired attributes: always all of it.
pub(super) fn template_data(attrs: &Attrs) -> Result<RequestLaunchTemplateData, String> {
    let mut data = RequestLaunchTemplateData::builder();

    let tokens = attr_str(attrs, "metadata_http_tokens");
    let hop_limit = int_value(attrs.get("metadata_http_put_response_hop_limit"))
        .map(|limit| {
            i32::try_from(limit).map_err(|_| {
                format!("metadata_http_put_response_hop_limit {limit} is out of range")
            })
        })
        .transpose()?;
    let endpoint = attr_str(attrs, "metadata_http_endpoint");
    if tokens.is_some() || hop_limit.is_some() || endpoint.is_some() {
        data = data.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_tokens(tokens.map(LaunchTemplateHttpTokensState::from))
                .set_http_put_response_hop_limit(hop_limit)
                .set_http_endpoint(endpoint.map(LaunchTemplateInstanceMetadataEndpointState::from))
                .build(),
        );
    }

    if let Some(Value::List(mappings)) = attrs.get("block_device_mappings") {
        for mapping in mappings {
            let mapping = mapping
                .as_map()
                .ok_or("block_device_mappings holds a value that is not a map")?;
            let device = mapping
                .get("device_name")
                .and_then(Value::as_str)
                .ok_or("a block device mapping has no device_name")?;
            let size = int_value(mapping.get("volume_size"))
                .map(|size| {
                    i32::try_from(size)
                        .map_err(|_| format!("volume_size {size} of {device} is out of range"))
                })
                .transpose()?;
            let ebs = LaunchTemplateEbsBlockDeviceRequest::builder()
                .set_volume_size(size)
                .set_volume_type(
                    mapping
                        .get("volume_type")
                        .and_then(Value::as_str)
                        .map(VolumeType::from),
                )
                .set_encrypted(mapping.get("encrypted").and_then(Value::as_bool))
                .set_kms_key_id(
                    mapping
                        .get("kms_key_id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .set_delete_on_termination(
                    mapping
                        .get("delete_on_termination")
                        .and_then(Value::as_bool),
                )
                .build();
            data = data.block_device_mappings(
                LaunchTemplateBlockDeviceMappingRequest::builder()
                    .device_name(device)
                    .ebs(ebs)
                    .build(),
            );
        }
    }

    if let Some(Value::List(groups)) = attrs.get("security_group_ids") {
        let groups = groups
            .iter()
            .map(|group| {
                group
                    .as_str()
                    .map(str::to_string)
                    .ok_or("security_group_ids holds a value that is not a string")
            })
            .collect::<Result<Vec<_>, _>>()?;
        data = data.set_security_group_ids(Some(groups));
    }

    if let Some(user_data) = attr_str(attrs, "user_data") {
        data = data.user_data(user_data);
    }

    // The same tags on every instance and every volume the node group launches.
    let instance_tags = desired_tag_list(attrs.get("instance_tags"));
    if !instance_tags.is_empty() {
        for resource_type in [ResourceType::Instance, ResourceType::Volume] {
            data = data.tag_specifications(
                LaunchTemplateTagSpecificationRequest::builder()
                    .resource_type(resource_type)
                    .set_tags(Some(instance_tags.clone()))
                    .build(),
            );
        }
    }

    Ok(data.build())
}

/// A version's data in the provider's vocabulary: volumes sorted by device, security groups in
/// the order `reference` (recorded or desired) gives when they are the same set, else sorted.
pub(super) fn data_attrs(data: &ResponseLaunchTemplateData, reference: Option<&Attrs>) -> Attrs {
    let mut attrs = Attrs::new();

    if let Some(options) = data.metadata_options() {
        if let Some(tokens) = options.http_tokens() {
            attrs.insert("metadata_http_tokens".into(), Value::str(tokens.as_str()));
        }
        if let Some(limit) = options.http_put_response_hop_limit() {
            attrs.insert(
                "metadata_http_put_response_hop_limit".into(),
                Value::Int(i64::from(limit)),
            );
        }
        if let Some(endpoint) = options.http_endpoint() {
            attrs.insert(
                "metadata_http_endpoint".into(),
                Value::str(endpoint.as_str()),
            );
        }
    }

    let mut mappings: Vec<(String, Value)> = data
        .block_device_mappings()
        .iter()
        .map(|mapping| {
            let device = mapping.device_name().unwrap_or_default().to_string();
            let mut map = BTreeMap::from([("device_name".to_string(), Value::str(device.clone()))]);
            if let Some(ebs) = mapping.ebs() {
                if let Some(size) = ebs.volume_size() {
                    map.insert("volume_size".into(), Value::Int(i64::from(size)));
                }
                if let Some(volume_type) = ebs.volume_type() {
                    map.insert("volume_type".into(), Value::str(volume_type.as_str()));
                }
                if let Some(encrypted) = ebs.encrypted() {
                    map.insert("encrypted".into(), Value::Bool(encrypted));
                }
                if let Some(key) = ebs.kms_key_id() {
                    map.insert("kms_key_id".into(), Value::str(key));
                }
                if let Some(delete) = ebs.delete_on_termination() {
                    map.insert("delete_on_termination".into(), Value::Bool(delete));
                }
            }
            (device, Value::Map(map))
        })
        .collect();
    mappings.sort_by(|a, b| a.0.cmp(&b.0));
    attrs.insert(
        "block_device_mappings".into(),
        Value::List(mappings.into_iter().map(|(_, map)| map).collect()),
    );

    let mut groups: Vec<String> = data.security_group_ids().to_vec();
    groups.sort();
    let wanted_order: Option<Vec<String>> =
        match reference.and_then(|reference| reference.get("security_group_ids")) {
            Some(Value::List(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => None,
        };
    if let Some(order) = wanted_order {
        let mut sorted = order.clone();
        sorted.sort();
        if sorted == groups {
            groups = order;
        }
    }
    attrs.insert(
        "security_group_ids".into(),
        Value::List(groups.into_iter().map(Value::Str).collect()),
    );

    if let Some(user_data) = data.user_data() {
        attrs.insert("user_data".into(), Value::str(user_data));
    }

    attrs.insert("instance_tags".into(), instance_tags_value(data));
    attrs
}

/// The tags instances and volumes get. Both carry the same tags when eksforge wrote them; where
/// they differ, each differing key shows both values (never equal to any desired map of
/// strings, so the plan rewrites them).
pub(super) fn instance_tags_value(data: &ResponseLaunchTemplateData) -> Value {
    let tags_for = |resource_type: ResourceType| {
        let tags: Vec<Tag> = data
            .tag_specifications()
            .iter()
            .filter(|spec| spec.resource_type() == Some(&resource_type))
            .flat_map(|spec| spec.tags().iter().cloned())
            .collect();
        match tags_value(&tags) {
            Value::Map(map) => map,
            _ => BTreeMap::new(),
        }
    };
    let instance = tags_for(ResourceType::Instance);
    let volume = tags_for(ResourceType::Volume);
    if instance == volume {
        return Value::Map(instance);
    }
    let keys: std::collections::BTreeSet<&String> = instance.keys().chain(volume.keys()).collect();
    Value::Map(
        keys.into_iter()
            .map(|key| {
                let value = match (instance.get(key), volume.get(key)) {
                    (Some(a), Some(b)) if a == b => a.clone(),
                    (a, b) => {
                        let show = |side: &str, value: Option<&Value>| {
                            Value::str(format!(
                                "{side}={}",
                                value.and_then(Value::as_str).unwrap_or("(none)")
                            ))
                        };
                        Value::List(vec![show("instance", a), show("volume", b)])
                    }
                };
                (key.clone(), value)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{
        LaunchTemplateBlockDeviceMapping, LaunchTemplateEbsBlockDevice,
        LaunchTemplateInstanceMetadataOptions, LaunchTemplateTagSpecification,
    };

    use super::*;

    fn volume(device: &str, size: i64) -> Value {
        Value::Map(BTreeMap::from([
            ("device_name".to_string(), Value::str(device)),
            ("volume_size".to_string(), Value::Int(size)),
            ("volume_type".to_string(), Value::str("gp3")),
            ("encrypted".to_string(), Value::Bool(true)),
            ("delete_on_termination".to_string(), Value::Bool(true)),
        ]))
    }

    fn desired() -> Attrs {
        Attrs::from([
            ("metadata_http_tokens".to_string(), Value::str("required")),
            (
                "metadata_http_put_response_hop_limit".to_string(),
                Value::Int(1),
            ),
            ("metadata_http_endpoint".to_string(), Value::str("enabled")),
            (
                "block_device_mappings".to_string(),
                Value::List(vec![volume("/dev/xvda", 4), volume("/dev/xvdb", 50)]),
            ),
            (
                "security_group_ids".to_string(),
                Value::List(vec![Value::str("sg-b"), Value::str("sg-a")]),
            ),
            ("user_data".to_string(), Value::str("W3NldHRpbmdzXQo=")),
            (
                "instance_tags".to_string(),
                Value::Map(BTreeMap::from([("Name".to_string(), Value::str("n"))])),
            ),
        ])
    }

    /// What DescribeLaunchTemplateVersions would give back for the request data.
    fn echoed(request: &RequestLaunchTemplateData) -> ResponseLaunchTemplateData {
        let options = request.metadata_options().expect("metadata options");
        let mut mappings: Vec<LaunchTemplateBlockDeviceMapping> = request
            .block_device_mappings()
            .iter()
            .map(|mapping| {
                let ebs = mapping.ebs().expect("ebs");
                LaunchTemplateBlockDeviceMapping::builder()
                    .set_device_name(mapping.device_name().map(str::to_string))
                    .ebs(
                        LaunchTemplateEbsBlockDevice::builder()
                            .set_volume_size(ebs.volume_size())
                            .set_volume_type(ebs.volume_type().cloned())
                            .set_encrypted(ebs.encrypted())
                            .set_delete_on_termination(ebs.delete_on_termination())
                            .build(),
                    )
                    .build()
            })
            .collect();
        mappings.reverse();
        ResponseLaunchTemplateData::builder()
            .metadata_options(
                LaunchTemplateInstanceMetadataOptions::builder()
                    .set_http_tokens(options.http_tokens().cloned())
                    .set_http_put_response_hop_limit(options.http_put_response_hop_limit())
                    .set_http_endpoint(options.http_endpoint().cloned())
                    .build(),
            )
            .set_block_device_mappings(Some(mappings))
            .set_security_group_ids(Some(vec!["sg-a".into(), "sg-b".into()]))
            .set_user_data(request.user_data().map(str::to_string))
            .set_tag_specifications(Some(
                request
                    .tag_specifications()
                    .iter()
                    .map(|spec| {
                        LaunchTemplateTagSpecification::builder()
                            .set_resource_type(spec.resource_type().cloned())
                            .set_tags(Some(spec.tags().to_vec()))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    #[test]
    fn data_round_trips_without_a_difference() {
        let desired = desired();
        let request = template_data(&desired).expect("valid data");
        assert!(
            request.key_name().is_none()
                && request.iam_instance_profile().is_none()
                && request.image_id().is_none()
        );
        let types: Vec<_> = request
            .tag_specifications()
            .iter()
            .filter_map(|spec| spec.resource_type().cloned())
            .collect();
        assert_eq!(types, vec![ResourceType::Instance, ResourceType::Volume]);
        let live = data_attrs(&echoed(&request), Some(&desired));
        assert_eq!(live, desired);
    }

    #[test]
    fn differing_instance_and_volume_tags_never_match_a_desired_map() {
        let desired = desired();
        let request = template_data(&desired).expect("valid data");
        let mut response = echoed(&request);
        let specs = response.tag_specifications.get_or_insert_with(Vec::new);
        specs.retain(|spec| spec.resource_type() != Some(&ResourceType::Volume));
        let live = data_attrs(&response, Some(&desired));
        assert_ne!(live.get("instance_tags"), desired.get("instance_tags"));
    }
}
