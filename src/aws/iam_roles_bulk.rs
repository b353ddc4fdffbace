//! Every role of the account read in bulk, for a refresh with more than a handful of roles:
//! `GetAccountAuthorizationDetails` (filtered to roles) gives each role's trust policy, tags,
//! inline and attached policies; `ListRoles` gives what that answer leaves out (description,
//! maximum session duration). The two go at once, each paginated at its largest page, so an
//! account of up to a thousand roles is read in one round of two calls instead of three or
//! four calls per role — and IAM, which throttles reads at low rates, is asked twice.
//!
//! The snapshot is taken once per refresh (`Aws::with_role_snapshot`) and shared by the
//! `iam_role`, `iam_role_policy` and `iam_role_policy_attachment` kinds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_iam::types::{EntityType, Role, RoleDetail, Tag};

use super::iam_role::document;
use super::{Aws, AwsError};

/// More roles than this in a refresh, and they are read in bulk.
pub const BULK_ROLE_THRESHOLD: usize = 8;

/// The largest page either call returns.
const PAGE: i32 = 1000;

/// One role as the bulk reads describe it, documents decoded.
#[derive(Debug, Clone)]
pub struct RoleFacts {
    pub detail: RoleDetail,
    /// From ListRoles: `None` when the role was made between the two reads.
    pub listed: Option<Role>,
    /// Inline policy name → its document (canonical JSON).
    pub inline: BTreeMap<String, String>,
    /// ARNs of the attached managed policies.
    pub attached: BTreeSet<String>,
}

impl RoleFacts {
    pub fn trust_policy(&self) -> String {
        document(
            self.detail
                .assume_role_policy_document()
                .unwrap_or_default(),
        )
    }

    pub fn tags(&self) -> &[Tag] {
        self.detail.tags()
    }
}

/// Every role of the account by name.
#[derive(Debug, Clone, Default)]
pub struct RoleSnapshot {
    pub roles: BTreeMap<String, RoleFacts>,
}

/// The snapshot this refresh shares, read on first use; `None` when the refresh reads roles
/// one by one — also when the caller may not make the bulk reads (a least-privilege policy
/// that grants `iam:GetRole` and the lists but not `iam:GetAccountAuthorizationDetails`):
/// the roles are then read one by one, as with a handful.
pub async fn snapshot(aws: &Aws) -> Option<Result<Arc<RoleSnapshot>, AwsError>> {
    let cell = aws.role_snapshot.as_ref()?;
    match cell.get_or_init(|| read(aws)).await {
        Err(error) if denied(error) => None,
        answer => Some(answer.clone()),
    }
}

fn denied(error: &AwsError) -> bool {
    error
        .code
        .as_deref()
        .is_some_and(|code| code.contains("AccessDenied") || code.contains("Unauthorized"))
}

async fn read(aws: &Aws) -> Result<Arc<RoleSnapshot>, AwsError> {
    let details = async {
        let mut details: Vec<RoleDetail> = Vec::new();
        let mut pages = aws
            .iam
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .max_items(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                AwsError::from_sdk("iam roles", "iam:GetAccountAuthorizationDetails", error)
            })?;
            details.extend(page.role_detail_list().iter().cloned());
        }
        Ok::<_, AwsError>(details)
    };
    let listed = async {
        aws.iam
            .list_roles()
            .max_items(PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<Role>, _>>()
            .await
            .map_err(|error| AwsError::from_sdk("iam roles", "iam:ListRoles", error))
    };
    let (details, listed) = futures::try_join!(details, listed)?;
    let mut listed: BTreeMap<String, Role> = listed
        .into_iter()
        .map(|role| (role.role_name().to_string(), role))
        .collect();
    let roles = details
        .into_iter()
        .filter_map(|detail| {
            let name = detail.role_name()?.to_string();
            let inline = detail
                .role_policy_list()
                .iter()
                .filter_map(|policy| {
                    Some((
                        policy.policy_name()?.to_string(),
                        document(policy.policy_document()?),
                    ))
                })
                .collect();
            let attached = detail
                .attached_managed_policies()
                .iter()
                .filter_map(|policy| policy.policy_arn().map(str::to_string))
                .collect();
            Some((
                name.clone(),
                RoleFacts {
                    listed: listed.remove(&name),
                    detail,
                    inline,
                    attached,
                },
            ))
        })
        .collect();
    Ok(Arc::new(RoleSnapshot { roles }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: Option<&str>) -> AwsError {
        let mut error = AwsError::new("iam roles", "iam:GetAccountAuthorizationDetails", "refused");
        error.code = code.map(str::to_string);
        error
    }

    #[test]
    fn only_a_refusal_of_permission_falls_back_to_reading_role_by_role() {
        assert!(denied(&failed(Some("AccessDenied"))));
        assert!(denied(&failed(Some("AccessDeniedException"))));
        assert!(!denied(&failed(Some("Throttling"))));
        assert!(!denied(&failed(Some("ServiceFailure"))));
        assert!(!denied(&failed(None)));
    }
}
