//! `iam_oidc_provider`: the cluster's IAM OIDC identity provider for IRSA (audience
//! `sts.amazonaws.com`). No thumbprint is sent or read: IAM trusts EKS's issuer CA itself, and
//! a thumbprint IAM fills in would otherwise diff forever. Client ids force replacement (moto
//! lacks Add/RemoveClientIDTo…, and a replacement is cheap).

use futures::future::{try_join_all, BoxFuture, FutureExt};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT};

use super::iam_role::{iam_tags, tags_of, tags_value};
use super::refresh::attr_str;
use super::{AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Found, FoundVia, Observed, Provider, Scope, UpdateRequest};

pub struct IamOidcProviderProvider;

const RULES: &[AttrRule] = &[
    AttrRule::ForcesReplacement("url"),
    AttrRule::ForcesReplacement("client_ids"),
    AttrRule::UpdatedBy("tags", "iam:TagOpenIDConnectProvider/UntagOpenIDConnectProvider"),
];

fn host(url: &str) -> &str {
    url.trim_start_matches("https://").trim_end_matches('/')
}

async fn read(aws: &Aws, id: &ResourceId, arn: &str) -> Result<Option<Observed>, AwsError> {
    let output = match aws.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await {
        Ok(output) => output,
        Err(error) => {
            let error = AwsError::from_sdk(id, "iam:GetOpenIDConnectProvider", error);
            if error.is_not_found() {
                return Ok(None);
            }
            return Err(error);
        }
    };
    let url = host(output.url().unwrap_or_default()).to_string();
    Ok(Some(Observed {
        cloud_id: arn.to_string(),
        attrs: Attrs::from([
            ("url".to_string(), Value::str(format!("https://{url}"))),
            ("client_ids".to_string(), Value::List(output.client_id_list().iter().map(|client| Value::str(client.clone())).collect())),
            ("tags".to_string(), tags_value(output.tags())),
        ]),
        outputs: Attrs::from([("arn".to_string(), Value::str(arn)), ("url".to_string(), Value::str(url))]),
    }))
}

impl Provider for IamOidcProviderProvider {
    fn kind(&self) -> Kind {
        Kind::IamOidcProvider
    }

    fn rules(&self) -> &'static [AttrRule] {
        RULES
    }

    fn adopts_by_natural_key(&self) -> bool {
        true
    }

    fn refresh<'a>(&'a self, aws: &'a Aws, scope: &'a Scope) -> BoxFuture<'a, Result<Vec<Found>, AwsError>> {
        async move {
            let mut found = Vec::new();
            for (id, (arn, _)) in &scope.recorded {
                if let Some(observed) = read(aws, id, arn).await? {
                    found.push(Found { id: id.clone(), via: FoundVia::State, observed });
                }
            }
            // Missing ones: by issuer URL among the account's providers, when tagged as ours.
            let missing: Vec<(&ResourceId, String)> =
                scope.missing.iter().filter_map(|(id, attrs)| Some((id, host(attr_str(attrs, "url")?).to_string()))).collect();
            if missing.is_empty() {
                return Ok(found);
            }
            let listed = aws
                .iam
                .list_open_id_connect_providers()
                .send()
                .await
                .map_err(|error| AwsError::from_sdk("iam_oidc_provider", "iam:ListOpenIDConnectProviders", error))?;
            let arns: Vec<String> = listed.open_id_connect_provider_list().iter().filter_map(|entry| entry.arn().map(str::to_string)).collect();
            let all = try_join_all(arns.iter().map(|arn| read(aws, missing[0].0, arn))).await?;
            for observed in all.into_iter().flatten() {
                let url = observed.outputs.get("url").and_then(Value::as_str).unwrap_or_default().to_string();
                let ours = tags_of(&observed.attrs).get(TAG_BLUEPRINT).map(String::as_str) == Some(scope.blueprint.as_str());
                if let Some((id, _)) = missing.iter().find(|(_, wanted)| *wanted == url) {
                    if ours {
                        found.push(Found { id: (*id).clone(), via: FoundVia::NaturalKey, observed });
                    }
                }
            }
            Ok(found)
        }
        .boxed()
    }

    fn create<'a>(&'a self, aws: &'a Aws, request: CreateRequest<'a>) -> BoxFuture<'a, Result<Observed, AwsError>> {
        async move {
            let url = attr_str(request.attrs, "url").unwrap_or_default();
            let clients: Vec<String> = match request.attrs.get("client_ids") {
                Some(Value::List(items)) => items.iter().filter_map(|item| item.as_str().map(str::to_string)).collect(),
                _ => vec!["sts.amazonaws.com".to_string()],
            };
            let output = aws
                .iam
                .create_open_id_connect_provider()
                .url(url)
                .set_client_id_list(Some(clients))
                .set_tags(Some(iam_tags(request.attrs)))
                .send()
                .await
                .map_err(|error| AwsError::from_sdk(request.id, "iam:CreateOpenIDConnectProvider", error))?;
            let arn = output.open_id_connect_provider_arn().unwrap_or_default().to_string();
            read(aws, request.id, &arn)
                .await?
                .ok_or_else(|| AwsError::new(request.id, "iam:GetOpenIDConnectProvider", "the provider is not visible after its creation"))
        }
        .boxed()
    }

    fn update<'a>(&'a self, aws: &'a Aws, request: UpdateRequest<'a>) -> BoxFuture<'a, Result<Observed, AwsError>> {
        async move {
            if request.changed.iter().any(|name| name == "tags") {
                let (old, new) = (tags_of(request.before), tags_of(request.after));
                let upserts: Vec<_> = new
                    .iter()
                    .filter(|(key, value)| old.get(*key) != Some(*value))
                    .filter_map(|(key, value)| aws_sdk_iam::types::Tag::builder().key(key).value(value).build().ok())
                    .collect();
                let removed: Vec<String> = old.keys().filter(|key| !new.contains_key(*key)).cloned().collect();
                if !upserts.is_empty() {
                    aws.iam
                        .tag_open_id_connect_provider()
                        .open_id_connect_provider_arn(request.cloud_id)
                        .set_tags(Some(upserts))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(request.id, "iam:TagOpenIDConnectProvider", error))?;
                }
                if !removed.is_empty() {
                    aws.iam
                        .untag_open_id_connect_provider()
                        .open_id_connect_provider_arn(request.cloud_id)
                        .set_tag_keys(Some(removed))
                        .send()
                        .await
                        .map_err(|error| AwsError::from_sdk(request.id, "iam:UntagOpenIDConnectProvider", error))?;
                }
            }
            read(aws, request.id, request.cloud_id)
                .await?
                .ok_or_else(|| AwsError::new(request.id, "iam:GetOpenIDConnectProvider", "the provider disappeared during its update"))
        }
        .boxed()
    }

    fn delete<'a>(&'a self, aws: &'a Aws, request: DeleteRequest<'a>) -> BoxFuture<'a, Result<(), AwsError>> {
        async move {
            match aws.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(request.cloud_id).send().await {
                Ok(_) => Ok(()),
                Err(error) => {
                    let error = AwsError::from_sdk(request.id, "iam:DeleteOpenIDConnectProvider", error);
                    if error.is_not_found() {
                        Ok(())
                    } else {
                        Err(error)
                    }
                }
            }
        }
        .boxed()
    }
}
