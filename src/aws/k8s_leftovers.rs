//! What the cluster's controllers made in the VPC and nobody will delete: load balancers and
//! target groups of the AWS Load Balancer Controller (or the in-tree service controller),
//! their security groups, and network interfaces the VPC CNI left `available`. They hold the
//! subnets, security groups and VPC, so a destroy that ignores them ends on
//! `DependencyViolation` (the most common complaint about eksctl and terraform-aws-eks).
//!
//! Found by the tags those controllers set: `elbv2.k8s.aws/cluster = <cluster>`,
//! `kubernetes.io/cluster/<cluster> = owned` and, for interfaces,
//! `cluster.k8s.amazonaws.com/name = <cluster>` or an `aws-K8S-` description. `shared` is not
//! enough: it marks things the cluster uses but does not own (subnets). Anything carrying
//! this blueprint's own `eksforge:blueprint` tag is left to the plan.
//!
//! GuardDuty's Runtime Monitoring leaves the same kind of thing when it manages its agent:
//! an interface endpoint for `guardduty-data` and its security group in every VPC with
//! monitored nodes, both tagged `GuardDutyManaged = true`, which GuardDuty keeps after the
//! cluster is gone (the `DependencyViolation` of terraform-provider-aws#46747). They are found
//! by that tag in the VPC and deleted last, the endpoint before its group.

use std::fmt;

use aws_sdk_ec2::types::{Filter, Tag};
use aws_sdk_elasticloadbalancingv2::types::{LoadBalancer, TargetGroup};

use super::ec2_delete::delete_when_released;
use super::{Aws, AwsError};
use crate::resources::TAG_BLUEPRINT;

const LBC_TAG: &str = "elbv2.k8s.aws/cluster";
const CNI_TAG: &str = "cluster.k8s.amazonaws.com/name";
/// What GuardDuty tags the endpoint and security group it makes for its agent with.
const GUARDDUTY_TAG: &str = "GuardDutyManaged";
/// `DescribeTags` takes at most 20 ARNs per call.
const TAGS_BATCH: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LeftoverKind {
    LoadBalancer,
    TargetGroup,
    SecurityGroup,
    NetworkInterface,
    /// GuardDuty's `guardduty-data` interface endpoint (its interfaces go with it).
    GuardDutyEndpoint,
    /// The security group of that endpoint.
    GuardDutySecurityGroup,
}

/// One thing a Kubernetes controller made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Leftover {
    pub kind: LeftoverKind,
    /// ARN (load balancers, target groups) or EC2 id.
    pub id: String,
    pub name: String,
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            LeftoverKind::LoadBalancer => "load balancer",
            LeftoverKind::TargetGroup => "target group",
            LeftoverKind::SecurityGroup => "security group",
            LeftoverKind::NetworkInterface => "network interface",
            LeftoverKind::GuardDutyEndpoint => "GuardDuty VPC endpoint",
            LeftoverKind::GuardDutySecurityGroup => "GuardDuty security group",
        };
        if self.name.is_empty() || self.name == self.id {
            write!(f, "{kind} {}", self.id)
        } else {
            write!(f, "{kind} {} ({})", self.name, self.id)
        }
    }
}

/// Whether tags say the cluster's controllers own the thing.
fn owned_by(cluster: &str, tags: &[(String, String)]) -> bool {
    let legacy = format!("kubernetes.io/cluster/{cluster}");
    if tags.iter().any(|(key, _)| key == TAG_BLUEPRINT) {
        return false;
    }
    tags.iter().any(|(key, value)| {
        ((key == LBC_TAG || key == CNI_TAG) && value == cluster)
            || (*key == legacy && value == "owned")
    })
}

fn ec2_tags(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|tag| {
            (
                tag.key().unwrap_or_default().to_string(),
                tag.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Everything of the cluster's controllers (when there is a cluster) and of GuardDuty's agent
/// in `vpc_id`, in deletion order.
pub async fn find(
    aws: &Aws,
    cluster: Option<&str>,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let kubernetes = async {
        let Some(cluster) = cluster else {
            return Ok(Vec::new());
        };
        let who = format!("eks_cluster {cluster}");
        let (balancers, groups, security_groups, interfaces) = futures::try_join!(
            load_balancers(aws, &who, cluster, vpc_id),
            target_groups(aws, &who, cluster, vpc_id),
            security_groups(aws, &who, cluster, vpc_id),
            interfaces(aws, &who, cluster, vpc_id),
        )?;
        let mut all = balancers;
        all.extend(groups);
        all.extend(security_groups);
        all.extend(interfaces);
        Ok::<_, AwsError>(all)
    };
    let who = format!("vpc {vpc_id}");
    let (mut all, endpoints, groups) = futures::try_join!(
        kubernetes,
        guardduty_endpoints(aws, &who, vpc_id),
        guardduty_security_groups(aws, &who, vpc_id),
    )?;
    all.extend(endpoints);
    all.extend(groups);
    all.sort();
    Ok(all)
}

/// Filters for what GuardDuty made in `vpc_id`.
fn guardduty_filters(vpc_id: &str) -> [Filter; 2] {
    [
        Filter::builder().name("vpc-id").values(vpc_id).build(),
        Filter::builder()
            .name(format!("tag:{GUARDDUTY_TAG}"))
            .values("true")
            .build(),
    ]
}

/// GuardDuty's agent endpoints in `vpc_id` (not those already deleted).
async fn guardduty_endpoints(
    aws: &Aws,
    who: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let output = aws
        .ec2
        .describe_vpc_endpoints()
        .set_filters(Some(guardduty_filters(vpc_id).to_vec()))
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeVpcEndpoints", error))?;
    Ok(output
        .vpc_endpoints()
        .iter()
        .filter(|endpoint| {
            !ec2_tags(endpoint.tags())
                .iter()
                .any(|(key, _)| key == TAG_BLUEPRINT)
        })
        .filter(|endpoint| {
            !matches!(
                endpoint.state().map(|state| state.as_str().to_ascii_lowercase()),
                Some(state) if state == "deleted" || state == "deleting"
            )
        })
        .filter_map(|endpoint| {
            Some(Leftover {
                kind: LeftoverKind::GuardDutyEndpoint,
                id: endpoint.vpc_endpoint_id()?.to_string(),
                name: endpoint.service_name().unwrap_or_default().to_string(),
            })
        })
        .collect())
}

/// The security groups GuardDuty made for its endpoints in `vpc_id`.
async fn guardduty_security_groups(
    aws: &Aws,
    who: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let output = aws
        .ec2
        .describe_security_groups()
        .set_filters(Some(guardduty_filters(vpc_id).to_vec()))
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeSecurityGroups", error))?;
    Ok(output
        .security_groups()
        .iter()
        .filter(|group| {
            !ec2_tags(group.tags())
                .iter()
                .any(|(key, _)| key == TAG_BLUEPRINT)
        })
        .filter_map(|group| group_leftover(LeftoverKind::GuardDutySecurityGroup, group))
        .collect())
}

/// `group` as a leftover of `kind`, named by its group name; `None` without an id.
fn group_leftover(
    kind: LeftoverKind,
    group: &aws_sdk_ec2::types::SecurityGroup,
) -> Option<Leftover> {
    Some(Leftover {
        kind,
        id: group.group_id()?.to_string(),
        name: group.group_name().unwrap_or_default().to_string(),
    })
}

/// The ARNs among `arns` whose tags say the cluster owns them.
async fn owned_arns(
    aws: &Aws,
    who: &str,
    cluster: &str,
    arns: Vec<String>,
) -> Result<Vec<String>, AwsError> {
    let mut owned = Vec::new();
    for batch in arns.chunks(TAGS_BATCH) {
        let output = aws
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|error| AwsError::from_sdk(who, "elasticloadbalancing:DescribeTags", error))?;
        for description in output.tag_descriptions() {
            let tags: Vec<(String, String)> = description
                .tags()
                .iter()
                .map(|tag| {
                    (
                        tag.key().unwrap_or_default().to_string(),
                        tag.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            if let Some(arn) = description.resource_arn() {
                if owned_by(cluster, &tags) {
                    owned.push(arn.to_string());
                }
            }
        }
    }
    Ok(owned)
}

async fn load_balancers(
    aws: &Aws,
    who: &str,
    cluster: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let all: Vec<LoadBalancer> = aws
        .elbv2
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk(who, "elasticloadbalancing:DescribeLoadBalancers", error)
        })?;
    let in_vpc = all
        .iter()
        .filter(|lb| lb.vpc_id() == Some(vpc_id))
        .filter_map(|lb| {
            Some((
                lb.load_balancer_arn()?.to_string(),
                lb.load_balancer_name().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    owned_by_cluster(aws, who, cluster, LeftoverKind::LoadBalancer, in_vpc).await
}

async fn target_groups(
    aws: &Aws,
    who: &str,
    cluster: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let all: Vec<TargetGroup> = aws
        .elbv2
        .describe_target_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|error| {
            AwsError::from_sdk(who, "elasticloadbalancing:DescribeTargetGroups", error)
        })?;
    let in_vpc = all
        .iter()
        .filter(|group| group.vpc_id() == Some(vpc_id))
        .filter_map(|group| {
            Some((
                group.target_group_arn()?.to_string(),
                group.target_group_name().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    owned_by_cluster(aws, who, cluster, LeftoverKind::TargetGroup, in_vpc).await
}

/// Of `in_vpc` (ARN, name; the name only labels the leftover, so a missing one stays empty),
/// those the cluster's controllers made.
async fn owned_by_cluster(
    aws: &Aws,
    who: &str,
    cluster: &str,
    kind: LeftoverKind,
    in_vpc: Vec<(String, String)>,
) -> Result<Vec<Leftover>, AwsError> {
    let owned = owned_arns(
        aws,
        who,
        cluster,
        in_vpc.iter().map(|(arn, _)| arn.clone()).collect(),
    )
    .await?;
    Ok(in_vpc
        .into_iter()
        .filter(|(arn, _)| owned.contains(arn))
        .map(|(id, name)| Leftover { kind, id, name })
        .collect())
}

async fn security_groups(
    aws: &Aws,
    who: &str,
    cluster: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let output = aws
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeSecurityGroups", error))?;
    Ok(output
        .security_groups()
        .iter()
        .filter(|group| owned_by(cluster, &ec2_tags(group.tags())))
        .filter_map(|group| group_leftover(LeftoverKind::SecurityGroup, group))
        .collect())
}

async fn interfaces(
    aws: &Aws,
    who: &str,
    cluster: &str,
    vpc_id: &str,
) -> Result<Vec<Leftover>, AwsError> {
    let output = aws
        .ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(Filter::builder().name("status").values("available").build())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeNetworkInterfaces", error))?;
    Ok(output
        .network_interfaces()
        .iter()
        .filter(|eni| {
            owned_by(cluster, &ec2_tags(eni.tag_set()))
                || eni
                    .description()
                    .is_some_and(|description| description.starts_with("aws-K8S-"))
        })
        .filter_map(|eni| {
            Some(Leftover {
                kind: LeftoverKind::NetworkInterface,
                id: eni.network_interface_id()?.to_string(),
                name: eni.description().unwrap_or_default().to_string(),
            })
        })
        .collect())
}

/// Deletes `leftovers` (in the order `find` gives): load balancers (their listeners go with
/// them), target groups, then security groups once no other group's rule refers to them,
/// then interfaces; dependency violations are retried with back-off like any delete.
pub async fn delete(aws: &Aws, vpc_id: &str, leftovers: &[Leftover]) -> Result<(), AwsError> {
    for leftover in leftovers {
        let who = leftover.to_string();
        let who = who.as_str();
        match leftover.kind {
            LeftoverKind::LoadBalancer => {
                let result = aws
                    .elbv2
                    .delete_load_balancer()
                    .load_balancer_arn(&leftover.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|error| {
                        AwsError::from_sdk(who, "elasticloadbalancing:DeleteLoadBalancer", error)
                    });
                result.or_else(AwsError::gone)?;
            }
            LeftoverKind::TargetGroup => {
                // A target group is in use until its load balancer's listeners are gone.
                delete_when_released(aws, &leftover.id, None, || async {
                    aws.elbv2
                        .delete_target_group()
                        .target_group_arn(&leftover.id)
                        .send()
                        .await
                        .map_err(|error| {
                            let mut error = AwsError::from_sdk(
                                who,
                                "elasticloadbalancing:DeleteTargetGroup",
                                error,
                            );
                            if error.code.as_deref() == Some("ResourceInUse") {
                                error.class = super::ErrorClass::DependencyViolation;
                            }
                            error
                        })
                })
                .await?;
            }
            LeftoverKind::GuardDutyEndpoint => {
                delete_endpoint(aws, who, &leftover.id).await?;
            }
            LeftoverKind::SecurityGroup | LeftoverKind::GuardDutySecurityGroup => {
                // A GuardDuty group is held by its endpoint's interfaces until they are gone:
                // the dependency violations meanwhile are retried.
                unreference(aws, who, vpc_id, &leftover.id).await?;
                delete_when_released(aws, &leftover.id, Some("group-id"), || async {
                    aws.ec2
                        .delete_security_group()
                        .group_id(&leftover.id)
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(who, "ec2:DeleteSecurityGroup", error))
                })
                .await?;
            }
            LeftoverKind::NetworkInterface => {
                delete_when_released(aws, &leftover.id, None, || async {
                    aws.ec2
                        .delete_network_interface()
                        .network_interface_id(&leftover.id)
                        .send()
                        .await
                        .map_err(|error| {
                            AwsError::from_sdk(who, "ec2:DeleteNetworkInterface", error)
                        })
                })
                .await?;
            }
        }
    }
    Ok(())
}

/// DeleteVpcEndpoints, which reports a refusal per endpoint instead of failing the call; an
/// endpoint already gone counts as deleted.
async fn delete_endpoint(aws: &Aws, who: &str, endpoint_id: &str) -> Result<(), AwsError> {
    let output = aws
        .ec2
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(endpoint_id)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DeleteVpcEndpoints", error))
        .map(Some)
        .or_else(AwsError::absent)?;
    let refused = output
        .iter()
        .flat_map(|output| output.unsuccessful())
        .filter_map(|item| item.error())
        .find(|error| !error.code().is_some_and(|code| code.ends_with("NotFound")));
    match refused {
        Some(error) => {
            let mut failure = AwsError::new(
                who,
                "ec2:DeleteVpcEndpoints",
                error.message().unwrap_or("refused").to_string(),
            );
            failure.code = error.code().map(str::to_string);
            Err(failure)
        }
        None => Ok(()),
    }
}

/// Revokes the rules of other groups in the VPC that refer to `group_id` (the controller adds
/// one to the node group for its load balancer's group): AWS refuses to delete a group that
/// another group's rule names.
async fn unreference(aws: &Aws, who: &str, vpc_id: &str, group_id: &str) -> Result<(), AwsError> {
    let groups = aws
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeSecurityGroups", error))?;
    let others: Vec<String> = groups
        .security_groups()
        .iter()
        .filter_map(|group| group.group_id())
        .filter(|id| *id != group_id)
        .map(str::to_string)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let rules = aws
        .ec2
        .describe_security_group_rules()
        .filters(
            Filter::builder()
                .name("group-id")
                .set_values(Some(others))
                .build(),
        )
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(who, "ec2:DescribeSecurityGroupRules", error))?;
    for rule in rules.security_group_rules() {
        let refers = rule
            .referenced_group_info()
            .and_then(|info| info.group_id())
            == Some(group_id);
        let (Some(owner), Some(rule_id), true) =
            (rule.group_id(), rule.security_group_rule_id(), refers)
        else {
            continue;
        };
        let result = if rule.is_egress() == Some(true) {
            aws.ec2
                .revoke_security_group_egress()
                .group_id(owner)
                .security_group_rule_ids(rule_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| AwsError::from_sdk(who, "ec2:RevokeSecurityGroupEgress", error))
        } else {
            aws.ec2
                .revoke_security_group_ingress()
                .group_id(owner)
                .security_group_rule_ids(rule_id)
                .send()
                .await
                .map(|_| ())
                .map_err(|error| AwsError::from_sdk(who, "ec2:RevokeSecurityGroupIngress", error))
        };
        result.or_else(AwsError::gone)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ownership_by_controller_tags() {
        assert!(owned_by("c", &tags(&[("elbv2.k8s.aws/cluster", "c")])));
        assert!(owned_by(
            "c",
            &tags(&[("kubernetes.io/cluster/c", "owned")])
        ));
        assert!(owned_by(
            "c",
            &tags(&[("cluster.k8s.amazonaws.com/name", "c")])
        ));
        assert!(!owned_by(
            "c",
            &tags(&[("kubernetes.io/cluster/c", "shared")])
        ));
        assert!(!owned_by("c", &tags(&[("elbv2.k8s.aws/cluster", "other")])));
        assert!(!owned_by(
            "c",
            &tags(&[
                ("kubernetes.io/cluster/c", "owned"),
                ("eksforge:blueprint", "c")
            ])
        ));
    }
}
