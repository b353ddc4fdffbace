//! `iam_role_policy`: an inline policy on a role. PutRolePolicy creates and updates it,
//! DeleteRolePolicy deletes it. Not taggable; cloud id `<role>|<policy name>`; found by
//! GetRolePolicy (the document comes back URL-encoded: decoded and made canonical).

use crate::resources::{Attrs, Kind, ResourceId, Value};

use super::iam_role::{check_document, check_name, document};
use super::iam_roles_bulk;
use super::refresh::{attr_str, by_natural_key, required_str};
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, Found, KindProvider,
    Observed, Scope, UpdateRequest,
};

pub struct IamRolePolicyProvider;

static DESCRIPTION: Description = Description::new(
    Kind::IamRolePolicy,
    "iam:GetRolePolicy",
    &[
        AttrRule::ForcesReplacement("role"),
        AttrRule::ForcesReplacement("name"),
        AttrRule::UpdatedBy("policy", "iam:PutRolePolicy"),
    ],
)
.adopts_by_natural_key();

fn observed(role: &str, name: &str, policy: &str) -> Observed {
    let cloud_id = format!("{role}|{name}");
    Observed {
        attrs: Attrs::from([
            ("role".to_string(), Value::str(role)),
            ("name".to_string(), Value::str(name)),
            ("policy".to_string(), Value::str(policy)),
        ]),
        outputs: Attrs::from([("id".to_string(), Value::str(cloud_id.clone()))]),
        cloud_id,
    }
}

/// GetRolePolicy; `None` when the policy or its role does not exist.
async fn read(
    aws: &Aws,
    id: &ResourceId,
    role: &str,
    name: &str,
) -> Result<Option<Observed>, AwsError> {
    match aws
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(output) => Ok(Some(observed(
            role,
            name,
            &document(output.policy_document()),
        ))),
        Err(error) => AwsError::from_sdk(id, "iam:GetRolePolicy", error).absent(),
    }
}

/// PutRolePolicy with the desired document (create and update alike).
async fn put(aws: &Aws, id: &ResourceId, attrs: &Attrs) -> Result<Observed, AwsError> {
    let role = required_str(attrs, "role", id, "iam:PutRolePolicy")?;
    let name = required_str(attrs, "name", id, "iam:PutRolePolicy")?;
    let policy = required_str(attrs, "policy", id, "iam:PutRolePolicy")?;
    check_name(id, "iam:PutRolePolicy", "role name", role, 64)?;
    check_name(id, "iam:PutRolePolicy", "policy name", name, 128)?;
    check_document(id, "iam:PutRolePolicy", "policy", policy)?;
    aws.iam
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(policy)
        .send()
        .await
        .map_err(|error| AwsError::from_sdk(id, "iam:PutRolePolicy", error))?;
    Ok(observed(role, name, policy))
}

impl KindProvider for IamRolePolicyProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        // Cloud id and natural key alike: `<role>|<policy name>`.
        by_natural_key(
            scope,
            |desired| {
                Some(format!(
                    "{}|{}",
                    attr_str(desired, "role")?,
                    attr_str(desired, "name")?
                ))
            },
            |id, key| async move {
                let Some((role, name)) = key.split_once('|') else {
                    return Ok(None);
                };
                // The refresh's bulk read of every role, when it makes one.
                match iam_roles_bulk::snapshot(aws).await {
                    Some(snapshot) => Ok(snapshot?
                        .roles
                        .get(role)
                        .and_then(|facts| facts.inline.get(name))
                        .map(|policy| observed(role, name, policy))),
                    None => read(aws, &id, role, name).await,
                }
            },
        )
        .await
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        async move { put(aws, request.id, request.attrs).await }.await
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        async move { put(aws, request.id, request.after).await }.await
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        let Some((role, name)) = request.cloud_id.split_once('|') else {
            return Err(AwsError::new(
                request.id,
                "iam:DeleteRolePolicy",
                format!(
                    "cloud id {:?} is not <role>|<policy name>",
                    request.cloud_id
                ),
            ));
        };
        match aws
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // The policy or its role already gone.
            Err(error) => AwsError::from_sdk(request.id, "iam:DeleteRolePolicy", error).gone(),
        }
    }
}
