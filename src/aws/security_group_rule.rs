//! `security_group_rule`: one rule of a security group, addressed by its own id (`sgr-…`) and
//! tagged like any other EC2 resource: AuthorizeSecurityGroupIngress/Egress (one permission,
//! one source, tagged at create), UpdateSecurityGroupRuleDescriptionsIngress/Egress,
//! RevokeSecurityGroupIngress/Egress by rule id.
//!
//! Its natural key is (group, direction, protocol, ports, source): AWS refuses a second rule
//! with the same key (`InvalidPermission.Duplicate`), so a create that finds its rule already
//! there (a crash after the authorize call) adopts it. For protocol `-1` (all traffic) the API
//! ignores ports: none are sent, and none are part of the key.

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroupRule, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, UserIdGroupPair,
};

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::ec2_tags::{tag_specification, tags_value, update_tags};
use super::refresh::{attr_str, by_tag_and_id};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct SecurityGroupRuleProvider;

static DESCRIPTION: Description = Description::new(
    Kind::SecurityGroupRule,
    "ec2:DescribeSecurityGroupRules",
    &[
        AttrRule::ForcesReplacement("security_group_id"),
        AttrRule::ForcesReplacement("direction"),
        AttrRule::ForcesReplacement("protocol"),
        AttrRule::ForcesReplacement("from_port"),
        AttrRule::ForcesReplacement("to_port"),
        AttrRule::ForcesReplacement("source_security_group_id"),
        AttrRule::ForcesReplacement("cidr_ipv4"),
        AttrRule::UpdatedBy(
            "description",
            "ec2:UpdateSecurityGroupRuleDescriptionsIngress/Egress",
        ),
        AttrRule::UpdatedBy("tags", "ec2:CreateTags/DeleteTags"),
    ],
);

/// Where the traffic a rule allows comes from (ingress) or goes to (egress).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Group(String),
    Cidr(String),
}

/// What makes a rule the rule it is; AWS keeps at most one per key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RuleKey {
    group_id: String,
    egress: bool,
    /// `tcp`, `udp`, `icmp` or `-1`.
    protocol: String,
    /// `None` for protocol `-1`: the API ignores ports there.
    ports: Option<(i32, i32)>,
    source: Source,
}

impl RuleKey {
    fn from_attrs(attrs: &Attrs) -> Result<RuleKey, String> {
        let group_id = attr_str(attrs, "security_group_id")
            .ok_or("no security_group_id")?
            .to_string();
        let egress = match attr_str(attrs, "direction") {
            Some("ingress") => false,
            Some("egress") => true,
            other => {
                return Err(format!(
                    "direction must be ingress or egress, not {other:?}"
                ))
            }
        };
        let protocol = normalise_protocol(attr_str(attrs, "protocol").ok_or("no protocol")?);
        let ports = if protocol == "-1" {
            None
        } else {
            let port = |name: &str| {
                int_attr(attrs, name)
                    .and_then(|port| i32::try_from(port).ok())
                    .ok_or_else(|| format!("protocol {protocol} needs {name}"))
            };
            Some((port("from_port")?, port("to_port")?))
        };
        let source = match (
            attr_str(attrs, "source_security_group_id"),
            attr_str(attrs, "cidr_ipv4"),
        ) {
            (Some(group), None) => Source::Group(group.to_string()),
            (None, Some(cidr)) => Source::Cidr(cidr.to_string()),
            _ => {
                return Err(
                    "exactly one of source_security_group_id and cidr_ipv4 must be set".to_string(),
                )
            }
        };
        Ok(RuleKey {
            group_id,
            egress,
            protocol,
            ports,
            source,
        })
    }

    /// The key of a described rule; `None` for rules eksforge never makes (IPv6, prefix lists).
    fn from_rule(rule: &SecurityGroupRule) -> Option<RuleKey> {
        let protocol = normalise_protocol(rule.ip_protocol()?);
        let ports = if protocol == "-1" {
            None
        } else {
            Some((rule.from_port()?, rule.to_port()?))
        };
        let source = match (
            rule.referenced_group_info()
                .and_then(|group| group.group_id()),
            rule.cidr_ipv4(),
        ) {
            (Some(group), _) => Source::Group(group.to_string()),
            (None, Some(cidr)) => Source::Cidr(cidr.to_string()),
            (None, None) => return None,
        };
        Some(RuleKey {
            group_id: rule.group_id()?.to_string(),
            egress: rule.is_egress()?,
            protocol,
            ports,
            source,
        })
    }

    /// The IP permission that names exactly this rule (one protocol, one port range, one
    /// source), as the authorize, revoke and description calls take it.
    fn permission(&self, description: Option<&str>) -> IpPermission {
        let description = description.map(str::to_string);
        let mut permission = IpPermission::builder().ip_protocol(&self.protocol);
        if let Some((from, to)) = self.ports {
            permission = permission.from_port(from).to_port(to);
        }
        match &self.source {
            Source::Group(group) => permission.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(group)
                    .set_description(description)
                    .build(),
            ),
            Source::Cidr(cidr) => permission.ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description)
                    .build(),
            ),
        }
        .build()
    }

    /// The same rule as ModifySecurityGroupRules takes it.
    fn request(&self, description: Option<&str>) -> SecurityGroupRuleRequest {
        let (from, to) = self.ports.unwrap_or((-1, -1));
        let request = SecurityGroupRuleRequest::builder()
            .ip_protocol(&self.protocol)
            .from_port(from)
            .to_port(to)
            .set_description(description.map(str::to_string));
        match &self.source {
            Source::Group(group) => request.referenced_group_id(group),
            Source::Cidr(cidr) => request.cidr_ipv4(cidr),
        }
        .build()
    }
}

/// The API accepts protocol numbers and `all`; the names are what eksforge writes.
fn normalise_protocol(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "6" => "tcp".to_string(),
        "17" => "udp".to_string(),
        "1" => "icmp".to_string(),
        "all" | "-1" => "-1".to_string(),
        other => other.to_string(),
    }
}

fn int_attr(attrs: &Attrs, name: &str) -> Option<i64> {
    match attrs.get(name) {
        Some(Value::Int(number)) => Some(*number),
        _ => None,
    }
}

/// The description a rule should carry; AWS does not keep empty ones.
fn description_of(attrs: &Attrs) -> Option<&str> {
    attr_str(attrs, "description").filter(|text| !text.is_empty())
}

impl KindProvider for SecurityGroupRuleProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let mut found = by_tag_and_id(scope, Kind::SecurityGroupRule, |filter| {
            describe(aws, filter)
        })
        .await?;
        for item in &mut found {
            let reference = scope
                .recorded
                .get(&item.id)
                .map(|(_, attrs)| attrs)
                .or_else(|| scope.missing.get(&item.id));
            echo_ignored_ports(&mut item.observed.attrs, reference);
        }
        Ok(found)
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let attrs = request.attrs;
        let key = RuleKey::from_attrs(attrs)
            .map_err(|message| AwsError::new(request.id, authorize_operation(attrs), message))?;
        let permission = key.permission(description_of(attrs));
        let tags = tag_specification(ResourceType::SecurityGroupRule, attrs);
        let result = if key.egress {
            aws.ec2
                .authorize_security_group_egress()
                .group_id(&key.group_id)
                .ip_permissions(permission)
                .tag_specifications(tags)
                .send()
                .await
                .map(|output| first_rule_id(output.security_group_rules()))
                .map_err(|error| {
                    AwsError::from_sdk(request.id, "ec2:AuthorizeSecurityGroupEgress", error)
                })
        } else {
            aws.ec2
                .authorize_security_group_ingress()
                .group_id(&key.group_id)
                .ip_permissions(permission)
                .tag_specifications(tags)
                .send()
                .await
                .map(|output| first_rule_id(output.security_group_rules()))
                .map_err(|error| {
                    AwsError::from_sdk(request.id, "ec2:AuthorizeSecurityGroupIngress", error)
                })
        };
        match result {
            Ok(Some(rule_id)) => Ok(Observed::with_id(rule_id, attrs.clone())),
            Ok(None) => Err(AwsError::missing_in_response(
                request.id,
                authorize_operation(attrs),
                "security group rule id",
            )),
            // Made by an earlier, interrupted run (or by hand): the same rule, adopt it.
            Err(error) if error.code.as_deref() == Some("InvalidPermission.Duplicate") => {
                adopt(aws, request.id, &key, attrs, error).await
            }
            Err(error) => Err(error),
        }
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        for attribute in request.changed {
            match attribute.as_str() {
                "description" => {
                    let key = RuleKey::from_attrs(request.after).map_err(|message| {
                        AwsError::new(request.id, description_operation(request.after), message)
                    })?;
                    set_description(
                        aws,
                        request.id,
                        request.cloud_id,
                        &key,
                        description_of(request.after),
                    )
                    .await?;
                }
                "tags" => {
                    update_tags(
                        aws,
                        request.id,
                        request.cloud_id,
                        request.before,
                        request.after,
                    )
                    .await?
                }
                _ => {}
            }
        }
        Ok(Observed::with_id(
            request.cloud_id.to_string(),
            request.after.clone(),
        ))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let known =
            attr_str(request.attrs, "security_group_id").zip(attr_str(request.attrs, "direction"));
        let (group_id, egress) = match known {
            Some((group, direction)) => (group.to_string(), direction == "egress"),
            // Not recorded: ask the API which group and direction the rule has.
            None => match describe(aws, rule_id_filter(request.cloud_id))
                .await?
                .into_iter()
                .next()
            {
                Some(rule) => (
                    attr_str(&rule.attrs, "security_group_id")
                        .unwrap_or_default()
                        .to_string(),
                    attr_str(&rule.attrs, "direction") == Some("egress"),
                ),
                None => return Ok(()),
            },
        };
        let result = if egress {
            aws.ec2
                .revoke_security_group_egress()
                .group_id(&group_id)
                .security_group_rule_ids(request.cloud_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| {
                    AwsError::from_sdk(request.id, "ec2:RevokeSecurityGroupEgress", error)
                })
        } else {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(&group_id)
                .security_group_rule_ids(request.cloud_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| {
                    AwsError::from_sdk(request.id, "ec2:RevokeSecurityGroupIngress", error)
                })
        };
        // The rule or its whole group already gone: done.
        match result {
            Err(error) if !error.is_not_found() => Err(error),
            _ => Ok(()),
        }
    }
}

fn authorize_operation(attrs: &Attrs) -> &'static str {
    if attr_str(attrs, "direction") == Some("egress") {
        "ec2:AuthorizeSecurityGroupEgress"
    } else {
        "ec2:AuthorizeSecurityGroupIngress"
    }
}

fn description_operation(attrs: &Attrs) -> &'static str {
    if attr_str(attrs, "direction") == Some("egress") {
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress"
    } else {
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress"
    }
}

fn first_rule_id(rules: &[SecurityGroupRule]) -> Option<String> {
    rules
        .iter()
        .find_map(|rule| rule.security_group_rule_id())
        .map(str::to_string)
}

fn rule_id_filter(rule_id: &str) -> Filter {
    Filter::builder()
        .name("security-group-rule-id")
        .values(rule_id)
        .build()
}

fn group_id_filter(group_ids: Vec<String>) -> Filter {
    Filter::builder()
        .name("group-id")
        .set_values(Some(group_ids))
        .build()
}

/// For protocol `-1` the API ignores ports (and reports -1/-1): show whatever ports the desired
/// or recorded attributes carry, or none, so the plan never sees a difference that is not one.
fn echo_ignored_ports(attrs: &mut Attrs, reference: Option<&Attrs>) {
    if attr_str(attrs, "protocol") != Some("-1") {
        return;
    }
    for name in ["from_port", "to_port"] {
        match reference.and_then(|reference| reference.get(name)) {
            Some(value) => attrs.insert(name.to_string(), value.clone()),
            None => attrs.remove(name),
        };
    }
}

/// Rules in the provider's attribute vocabulary.
async fn describe(aws: &Aws, filter: Filter) -> Result<Vec<Observed>, AwsError> {
    let rules: Vec<SecurityGroupRule> = aws
        .ec2
        .describe_security_group_rules()
        .filters(filter)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk(
                "security_group_rule",
                "ec2:DescribeSecurityGroupRules",
                error,
            )
        })?;
    Ok(rules
        .iter()
        .filter_map(|rule| {
            let rule_id = rule.security_group_rule_id()?.to_string();
            let key = RuleKey::from_rule(rule)?;
            let mut attrs = Attrs::from([
                ("security_group_id".to_string(), Value::str(key.group_id)),
                (
                    "direction".to_string(),
                    Value::str(if key.egress { "egress" } else { "ingress" }),
                ),
                ("protocol".to_string(), Value::str(key.protocol.clone())),
                ("tags".to_string(), tags_value(rule.tags())),
            ]);
            // What the API says; `echo_ignored_ports` settles protocol -1.
            let (from, to) = key.ports.unwrap_or((-1, -1));
            attrs.insert("from_port".to_string(), Value::Int(i64::from(from)));
            attrs.insert("to_port".to_string(), Value::Int(i64::from(to)));
            match key.source {
                Source::Group(group) => {
                    attrs.insert("source_security_group_id".to_string(), Value::str(group))
                }
                Source::Cidr(cidr) => attrs.insert("cidr_ipv4".to_string(), Value::str(cidr)),
            };
            if let Some(description) = rule.description().filter(|text| !text.is_empty()) {
                attrs.insert("description".to_string(), Value::str(description));
            }
            Some(Observed::with_id(rule_id, attrs))
        })
        .collect())
}

/// The rule's description as the API reports it now.
async fn current_description(
    aws: &Aws,
    id: &ResourceId,
    rule_id: &str,
) -> Result<Option<String>, AwsError> {
    let rules = describe(aws, rule_id_filter(rule_id)).await?;
    let rule = rules.into_iter().next().ok_or_else(|| {
        AwsError::new(
            id,
            "ec2:DescribeSecurityGroupRules",
            format!("security group rule {rule_id} is gone"),
        )
    })?;
    Ok(description_of(&rule.attrs).map(str::to_string))
}

/// Sets (or, with `None`, removes) a rule's description: UpdateSecurityGroupRuleDescriptions
/// with the rule's permission. When the API still reports the old description afterwards (moto
/// matches a group-referencing permission including its old description, so finds nothing),
/// ModifySecurityGroupRules sets it by rule id.
async fn set_description(
    aws: &Aws,
    id: &ResourceId,
    rule_id: &str,
    key: &RuleKey,
    description: Option<&str>,
) -> Result<(), AwsError> {
    let permission = key.permission(description);
    if key.egress {
        aws.ec2
            .update_security_group_rule_descriptions_egress()
            .group_id(&key.group_id)
            .ip_permissions(permission)
            .send()
            .await
            .map_err(|error| {
                AwsError::from_sdk(id, "ec2:UpdateSecurityGroupRuleDescriptionsEgress", error)
            })?;
    } else {
        aws.ec2
            .update_security_group_rule_descriptions_ingress()
            .group_id(&key.group_id)
            .ip_permissions(permission)
            .send()
            .await
            .map_err(|error| {
                AwsError::from_sdk(id, "ec2:UpdateSecurityGroupRuleDescriptionsIngress", error)
            })?;
    }
    if current_description(aws, id, rule_id).await?.as_deref() == description {
        return Ok(());
    }
    aws.ec2
        .modify_security_group_rules()
        .group_id(&key.group_id)
        .security_group_rules(
            SecurityGroupRuleUpdate::builder()
                .security_group_rule_id(rule_id)
                .security_group_rule(key.request(description))
                .build(),
        )
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "ec2:ModifySecurityGroupRules", error))?;
    Ok(())
}

/// The rule exists already: find it by its natural key in its group, bring its tags and
/// description to the desired ones, and take it as ours.
async fn adopt(
    aws: &Aws,
    id: &ResourceId,
    key: &RuleKey,
    attrs: &Attrs,
    duplicate: AwsError,
) -> Result<Observed, AwsError> {
    let candidates = describe(aws, group_id_filter(vec![key.group_id.clone()])).await?;
    let Some(existing) = candidates
        .into_iter()
        .find(|candidate| RuleKey::from_attrs(&candidate.attrs).as_ref() == Ok(key))
    else {
        return Err(duplicate);
    };
    if existing.attrs.get("tags") != attrs.get("tags") {
        update_tags(aws, id, &existing.cloud_id, &existing.attrs, attrs).await?;
    }
    if description_of(&existing.attrs) != description_of(attrs) {
        set_description(aws, id, &existing.cloud_id, key, description_of(attrs)).await?;
    }
    Ok(Observed::with_id(existing.cloud_id, attrs.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }

    #[test]
    fn all_traffic_rules_carry_no_ports() {
        let key = RuleKey::from_attrs(&attrs(&[
            ("security_group_id", Value::str("sg-1")),
            ("direction", Value::str("ingress")),
            ("protocol", Value::str("-1")),
            ("source_security_group_id", Value::str("sg-1")),
        ]))
        .expect("a valid rule");
        assert_eq!(key.ports, None);
        let permission = key.permission(Some("node to node"));
        assert_eq!(permission.from_port(), None);
        assert_eq!(permission.to_port(), None);
        assert_eq!(permission.user_id_group_pairs()[0].group_id(), Some("sg-1"));
    }

    #[test]
    fn tcp_rules_need_ports_and_exactly_one_source() {
        let base = [
            ("security_group_id", Value::str("sg-1")),
            ("direction", Value::str("ingress")),
            ("protocol", Value::str("tcp")),
        ];
        assert!(RuleKey::from_attrs(&attrs(
            &[&base[..], &[("cidr_ipv4", Value::str("10.0.0.0/8"))]].concat()
        ))
        .is_err());
        let both = [
            ("from_port", Value::Int(443)),
            ("to_port", Value::Int(443)),
            ("cidr_ipv4", Value::str("10.0.0.0/8")),
            ("source_security_group_id", Value::str("sg-2")),
        ];
        assert!(RuleKey::from_attrs(&attrs(&[&base[..], &both[..]].concat())).is_err());
        let key =
            RuleKey::from_attrs(&attrs(&[&base[..], &both[..3]].concat())).expect("a valid rule");
        assert_eq!(key.ports, Some((443, 443)));
        assert_eq!(key.source, Source::Cidr("10.0.0.0/8".into()));
    }

    #[test]
    fn ignored_ports_follow_the_reference() {
        let mut live = attrs(&[
            ("protocol", Value::str("-1")),
            ("from_port", Value::Int(-1)),
            ("to_port", Value::Int(-1)),
        ]);
        echo_ignored_ports(&mut live, None);
        assert!(!live.contains_key("from_port") && !live.contains_key("to_port"));
        let reference = attrs(&[("from_port", Value::Int(0)), ("to_port", Value::Int(65535))]);
        echo_ignored_ports(&mut live, Some(&reference));
        assert_eq!(live.get("to_port"), Some(&Value::Int(65535)));
    }
}
