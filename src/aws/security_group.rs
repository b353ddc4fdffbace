//! `security_group`: CreateSecurityGroup (tagged at create), DeleteSecurityGroup. Its rules are
//! a kind of their own (`security_group_rule`). The allow-all egress rule AWS adds to every new
//! group is kept (nodes reach the internet through NAT) and not modelled.
//!
//! A group whose desired attributes carry `unmanaged_ingress` (the VPC endpoints' group, which
//! must admit nothing but its one rule) is also read for ingress rules that are not this
//! blueprint's: each shows in the plan as drift, and the update revokes it.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroup, SecurityGroupRule};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, UNMANAGED_INGRESS};

use super::ec2_delete::delete_when_released;
use super::ec2_tags::{tag_specification, tags_value, update_tags_only};
use super::refresh::{by_tag_and_id, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct SecurityGroupProvider;

static DESCRIPTION: Description = Description::new(
    Kind::SecurityGroup,
    "ec2:DescribeSecurityGroups",
    &[
        AttrRule::ForcesReplacement("name"),
        AttrRule::ForcesReplacement("description"),
        AttrRule::ForcesReplacement("vpc_id"),
        AttrRule::UpdatedBy(UNMANAGED_INGRESS, "ec2:RevokeSecurityGroupIngress"),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
)
.create_is_not_idempotent();

impl KindProvider for SecurityGroupProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut found = by_tag_and_id(scope, Kind::SecurityGroup, move |filter| {
            describe(aws, filter)
        })
        .await?;
        let watched: BTreeSet<&ResourceId> = scope
            .recorded
            .iter()
            .map(|(id, (_, attrs))| (id, attrs))
            .chain(scope.missing.iter())
            .filter(|(_, attrs)| attrs.contains_key(UNMANAGED_INGRESS))
            .map(|(id, _)| id)
            .collect();
        for item in found.iter_mut().filter(|item| watched.contains(&item.id)) {
            let rules = unmanaged_ingress(aws, &scope.blueprint, &item.observed.cloud_id).await?;
            item.observed
                .attrs
                .insert(UNMANAGED_INGRESS.to_string(), rules);
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let output = aws
            .ec2
            .create_security_group()
            .group_name(required_str(
                attrs,
                "name",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .description(required_str(
                attrs,
                "description",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .vpc_id(required_str(
                attrs,
                "vpc_id",
                request.id,
                "ec2:CreateSecurityGroup",
            )?)
            .tag_specifications(tag_specification(ResourceType::SecurityGroup, attrs))
            // Sent once: no idempotency token, so a retry after a lost answer would make a
            // twin; the executor looks it up by tag before trying again (aws::retry).
            .customize()
            .config_override(super::retry::once_ec2())
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(request.id, "ec2:CreateSecurityGroup", error))?;
        let group_id = output.group_id().ok_or_else(|| {
            AwsError::missing_in_response(request.id, "ec2:CreateSecurityGroup", "group id")
        })?;
        Ok(Observed::with_id(group_id.to_string(), attrs.clone()))
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        if request.changes(UNMANAGED_INGRESS) {
            let keep = rule_ids(request.after);
            let revoke: Vec<String> = rule_ids(request.before)
                .into_iter()
                .filter(|rule_id| !keep.contains(rule_id))
                .collect();
            if !revoke.is_empty() {
                aws.ec2
                    .revoke_security_group_ingress()
                    .group_id(request.cloud_id)
                    .set_security_group_rule_ids(Some(revoke))
                    .send()
                    .await
                    .map_err(|error| {
                        AwsError::from_sdk(request.id, "ec2:RevokeSecurityGroupIngress", error)
                    })?;
            }
        }
        update_tags_only(aws, request).await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        // Network interfaces of a deleted cluster or node let go of the group a little later.
        delete_when_released(aws, request.cloud_id, Some("group-id"), || async {
            aws.ec2
                .delete_security_group()
                .group_id(request.cloud_id)
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "ec2:DeleteSecurityGroup", error))
        })
        .await
    }
}

async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let groups: Vec<SecurityGroup> = aws
        .ec2
        .describe_security_groups()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk("security_group", "ec2:DescribeSecurityGroups", error)
        })?;
    Ok(groups
        .iter()
        .filter_map(|group| {
            let group_id = group.group_id()?.to_string();
            let attrs = Attrs::from([
                (
                    "name".to_string(),
                    Value::str(group.group_name().unwrap_or_default()),
                ),
                (
                    "description".to_string(),
                    Value::str(group.description().unwrap_or_default()),
                ),
                (
                    "vpc_id".to_string(),
                    Value::str(group.vpc_id().unwrap_or_default()),
                ),
                ("tags".to_string(), tags_value(group.tags())),
            ]);
            Some(Observed::with_id(group_id, attrs))
        })
        .collect())
}

/// The rule ids of an `unmanaged_ingress` value.
fn rule_ids(attrs: &Attrs) -> BTreeSet<String> {
    attrs
        .get(UNMANAGED_INGRESS)
        .and_then(Value::as_map)
        .map(|rules| rules.keys().cloned().collect())
        .unwrap_or_default()
}

/// The group's ingress rules not tagged as this blueprint's, each with what it admits.
async fn unmanaged_ingress(aws: &Aws, blueprint: &str, group_id: &str) -> Result<Value, AwsError> {
    let rules: Vec<SecurityGroupRule> = aws
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| AwsError::from_sdk(group_id, "ec2:DescribeSecurityGroupRules", error))?;
    let unmanaged: BTreeMap<String, Value> = rules
        .iter()
        .filter(|rule| rule.is_egress() != Some(true))
        .filter(|rule| tag_map_of(rule).get(TAG_BLUEPRINT).map(String::as_str) != Some(blueprint))
        .filter_map(|rule| {
            Some((
                rule.security_group_rule_id()?.to_string(),
                Value::str(admits(rule)),
            ))
        })
        .collect();
    Ok(Value::Map(unmanaged))
}

fn tag_map_of(rule: &SecurityGroupRule) -> BTreeMap<String, String> {
    rule.tags()
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
        .collect()
}

/// `tcp 443-443 from 0.0.0.0/0`: what a rule lets in, for the plan.
fn admits(rule: &SecurityGroupRule) -> String {
    let protocol = match rule.ip_protocol() {
        Some("-1") | None => "all traffic".to_string(),
        Some(protocol) => match (rule.from_port(), rule.to_port()) {
            (Some(from), Some(to)) if from == to => format!("{protocol} {from}"),
            (Some(from), Some(to)) => format!("{protocol} {from}-{to}"),
            _ => protocol.to_string(),
        },
    };
    let source = rule
        .cidr_ipv4()
        .or(rule.cidr_ipv6())
        .or(rule.prefix_list_id())
        .or(rule
            .referenced_group_info()
            .and_then(|group| group.group_id()))
        .unwrap_or("an unnamed source");
    format!("{protocol} from {source}")
}
