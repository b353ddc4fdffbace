//! Identity for pods: the cluster's OIDC provider and one IRSA role per
//! `[[irsa.service_accounts]]`, trusted only for that service account (`sub`) and STS (`aud`).

use serde_json::json;

use crate::blueprint::model::{Irsa, ServiceAccount};
use crate::resources::policy::placeholder;
use crate::resources::{Kind, ResourceId, Value};

use super::builder::Builder;
use super::iam::{add_role, add_role_policies};
use super::ExpandError;

/// The only audience IRSA tokens are issued for.
const STS_AUDIENCE: &str = "sts.amazonaws.com";

/// The OIDC provider and the blueprint's service-account roles; the provider's id, for the
/// roles of add-ons that use IRSA.
pub(super) fn add_irsa(
    builder: &mut Builder,
    irsa: &Irsa,
    cluster: &ResourceId,
) -> Result<Option<ResourceId>, ExpandError> {
    if !irsa.oidc_provider {
        return Ok(None);
    }
    let provider = builder.add(
        Kind::IamOidcProvider,
        "main",
        [
            ("url", cluster.output("oidc_issuer")),
            ("client_ids", Value::List(vec![Value::str(STS_AUDIENCE)])),
        ],
    );
    for (index, account) in irsa.service_accounts.iter().enumerate() {
        add_service_account_role(builder, &provider, index, account)?;
    }
    Ok(Some(provider))
}

/// `iam_role.irsa.<namespace>.<name>` with its managed and inline policies (`index` places a
/// bad inline policy in `irsa.service_accounts`).
pub(super) fn add_service_account_role(
    builder: &mut Builder,
    provider: &ResourceId,
    index: usize,
    account: &ServiceAccount,
) -> Result<ResourceId, ExpandError> {
    let ServiceAccount {
        namespace, name, ..
    } = account;
    let key = format!("irsa.{namespace}.{name}");
    let issuer = placeholder(provider, "url");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": placeholder(provider, "arn")},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{issuer}:sub"): format!("system:serviceaccount:{namespace}:{name}"),
                format!("{issuer}:aud"): STS_AUDIENCE,
            }},
        }],
    });
    let blueprint = builder.blueprint().to_string();
    // IAM cannot rename a role: one a `[[moved]]` entry renamed keeps the name it was made with.
    let made_as = builder.made_as_name(Kind::IamRole, &key);
    let role_name = made_as
        .strip_prefix("irsa.")
        .and_then(|made_as| made_as.split_once('.'))
        .map_or_else(
            || format!("{blueprint}-irsa-{namespace}-{name}"),
            |(namespace, name)| format!("{blueprint}-irsa-{namespace}-{name}"),
        );
    let role = add_role(
        builder,
        &key,
        &role_name,
        &trust,
        &format!("IRSA for {namespace}/{name} in {blueprint}"),
    );
    add_role_policies(
        builder,
        &key,
        &role,
        &account.managed_policies,
        &account.inline_policies,
        &format!("irsa.service_accounts[{index}]"),
    )?;
    Ok(role)
}
