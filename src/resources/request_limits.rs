//! The limits AWS puts on what eksforge sends, checked over the whole desired set before any
//! call: every tag of every resource, and every name and description eksforge derives.
//!
//! Blueprint validation (`blueprint/validate/`) refuses the inputs that would break these with
//! file:line:key; this is the backstop that makes a missed case an error before the first
//! request instead of a half-made cluster, and the tests over the expansion use it to show
//! that what validation accepts always fits.

use crate::blueprint::limits::{
    rule_description_character_allowed, tag_character_allowed, MAX_RULE_DESCRIPTION_LEN,
    MAX_TAGS_PER_RESOURCE, MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN,
};

use super::{DesiredSet, Kind, Resource, Value};

/// One attribute of one resource that AWS would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitProblem {
    /// `iam_role.pod_identity.apps.web` `name`, `subnet.private.eu-west-1a` `tags`.
    pub resource: String,
    pub attribute: String,
    pub reason: String,
}

impl std::fmt::Display for LimitProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`: {}", self.resource, self.attribute, self.reason)
    }
}

/// A named string attribute of a kind, with the longest value and the characters the
/// service's API takes (from its API reference).
struct TextLimit {
    kind: Kind,
    attribute: &'static str,
    /// The API and field, for the message.
    api: &'static str,
    longest: usize,
    allowed: fn(char) -> bool,
}

/// IAM names (`[\w+=,.@-]+`).
fn iam_name_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// IAM role descriptions (`[\t\n\r\u0020-\u007E\u00A1-\u00FF]*`).
fn iam_description_character(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}')
}

/// EKS cluster names (`^[0-9A-Za-z][A-Za-z0-9\-_]*`).
fn cluster_name_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// CloudWatch Logs group names (`[\.\-_/#A-Za-z0-9]+`).
fn log_group_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/#".contains(c)
}

/// Launch template names (`[a-zA-Z0-9\(\)\.\-/_]+`).
fn launch_template_character(c: char) -> bool {
    c.is_ascii_alphanumeric() || "().-/_".contains(c)
}

const TEXT_LIMITS: &[TextLimit] = &[
    TextLimit {
        kind: Kind::IamRole,
        attribute: "name",
        api: "IAM CreateRole RoleName",
        longest: 64,
        allowed: iam_name_character,
    },
    TextLimit {
        kind: Kind::IamRole,
        attribute: "description",
        api: "IAM CreateRole Description",
        longest: 1000,
        allowed: iam_description_character,
    },
    TextLimit {
        kind: Kind::IamRolePolicy,
        attribute: "name",
        api: "IAM PutRolePolicy PolicyName",
        longest: 128,
        allowed: iam_name_character,
    },
    TextLimit {
        kind: Kind::EksCluster,
        attribute: "name",
        api: "EKS CreateCluster name",
        longest: 100,
        allowed: cluster_name_character,
    },
    TextLimit {
        kind: Kind::LogGroup,
        attribute: "name",
        api: "CloudWatch Logs CreateLogGroup logGroupName",
        longest: 512,
        allowed: log_group_character,
    },
    TextLimit {
        kind: Kind::LaunchTemplate,
        attribute: "name",
        api: "EC2 CreateLaunchTemplate LaunchTemplateName",
        longest: 128,
        allowed: launch_template_character,
    },
    TextLimit {
        kind: Kind::SecurityGroupRule,
        attribute: "description",
        api: "EC2 AuthorizeSecurityGroupIngress Description",
        longest: MAX_RULE_DESCRIPTION_LEN,
        allowed: rule_description_character_allowed,
    },
];

/// Everything in `set` that AWS would refuse, in resource order.
pub fn problems(set: &DesiredSet) -> Vec<LimitProblem> {
    set.resources
        .values()
        .flat_map(|resource| {
            let mut found = tag_problems(resource);
            found.extend(text_problems(resource));
            found
        })
        .collect()
}

fn problem(resource: &Resource, attribute: &str, reason: String) -> LimitProblem {
    LimitProblem {
        resource: resource.id.to_string(),
        attribute: attribute.to_string(),
        reason,
    }
}

/// Tags as EC2, IAM, EKS, KMS and CloudWatch Logs all take them.
fn tag_problems(resource: &Resource) -> Vec<LimitProblem> {
    let Some(tags) = resource.attrs.get("tags").and_then(Value::as_map) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if tags.len() > MAX_TAGS_PER_RESOURCE {
        found.push(problem(
            resource,
            "tags",
            format!(
                "{} tags; AWS allows {MAX_TAGS_PER_RESOURCE} per resource",
                tags.len()
            ),
        ));
    }
    for (key, value) in tags {
        if let Some(reason) = text_problem(key, MAX_TAG_KEY_LEN, tag_character_allowed) {
            found.push(problem(resource, "tags", format!("key {key:?}: {reason}")));
        }
        if let Some(value) = value.as_str() {
            if let Some(reason) = text_problem(value, MAX_TAG_VALUE_LEN, tag_character_allowed) {
                found.push(problem(
                    resource,
                    "tags",
                    format!("value of {key:?}: {reason}"),
                ));
            }
        }
    }
    found
}

fn text_problems(resource: &Resource) -> Vec<LimitProblem> {
    TEXT_LIMITS
        .iter()
        .filter(|limit| limit.kind == resource.id.kind())
        .filter_map(|limit| {
            // Values resolved at apply (another resource's output) are AWS's own.
            let text = resource.attrs.get(limit.attribute)?.as_str()?;
            let reason = text_problem(text, limit.longest, limit.allowed)?;
            Some(problem(
                resource,
                limit.attribute,
                format!("{reason} ({})", limit.api),
            ))
        })
        .collect()
}

/// Why `text` is longer than `longest` characters or holds a character outside `allowed`.
fn text_problem(text: &str, longest: usize, allowed: fn(char) -> bool) -> Option<String> {
    let length = text.chars().count();
    if length > longest {
        return Some(format!("{length} characters, AWS takes at most {longest}"));
    }
    let (position, bad) = text.chars().enumerate().find(|(_, c)| !allowed(*c))?;
    Some(format!(
        "character {} is {bad:?}, which AWS refuses here",
        position + 1
    ))
}

#[cfg(test)]
mod tests;
