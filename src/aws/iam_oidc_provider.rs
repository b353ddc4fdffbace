//! `iam_oidc_provider`: the cluster's IAM OIDC identity provider for IRSA (audience
//! `sts.amazonaws.com`). CreateOpenIDConnectProvider with its tags; Tag/UntagOpenIDConnectProvider
//! in place; DeleteOpenIDConnectProvider.
//!
//! No thumbprint is sent or read: `ThumbprintList` is optional in the API, IAM trusts EKS's
//! issuer CA itself, and a thumbprint IAM fills in would otherwise diff forever. Client ids
//! force replacement (moto lacks Add/RemoveClientIDTo…, and a replacement is cheap). IAM
//! reports the URL without `https://`; the attribute keeps the scheme (as EKS's issuer has it),
//! the `url` output drops it (as IAM conditions use it).
//!
//! Found, when state does not record it, among ListOpenIDConnectProviders: by issuer URL when
//! its tags name this blueprint, else by its `eksforge:resource` tag (the provider of a
//! replaced cluster, so the plan replaces it rather than leaving it behind).

use std::collections::BTreeSet;

use futures::future::try_join_all;
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT};

use super::iam_role::{check_tags, claims, iam_tag_list, iam_tags, tags_value};
use super::refresh::{attr_str, required_str};
use super::tags::tag_map;
use super::tags::MapChanges;
use super::{
    AttrRule, Aws, AwsError, CreateRequest, DeleteRequest, Description, ErrorClass, Found,
    FoundVia, KindProvider, Observed, Scope, UpdateRequest,
};

pub struct IamOidcProviderProvider;

static DESCRIPTION: Description = Description::new(
    Kind::IamOidcProvider,
    "iam:GetOpenIDConnectProvider",
    &[
        AttrRule::ForcesReplacement("url"),
        AttrRule::ForcesReplacement("client_ids"),
        AttrRule::UpdatedBy(
            "tags",
            "iam:TagOpenIDConnectProvider/UntagOpenIDConnectProvider",
        ),
    ],
)
.unordered(&["client_ids"])
.adopts_by_natural_key();

/// How many GetOpenIDConnectProvider calls a refresh makes at once.
const CONCURRENT_READS: usize = 8;

/// The issuer as IAM stores it: no scheme, no trailing slash.
fn host(url: &str) -> &str {
    url.strip_prefix("https://")
        .unwrap_or(url)
        .trim_end_matches('/')
}

fn client_ids(attrs: &Attrs) -> Vec<String> {
    match attrs.get("client_ids") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => vec!["sts.amazonaws.com".to_string()],
    }
}

fn outputs(arn: &str, url: &str) -> Attrs {
    Attrs::from([
        ("arn".to_string(), Value::str(arn)),
        ("url".to_string(), Value::str(host(url))),
    ])
}

/// What create and update return: the attributes as sent (IAM reads are eventually
/// consistent), the outputs from the ARN and URL.
fn observed_as_sent(arn: &str, attrs: &Attrs) -> Observed {
    let known = DESCRIPTION.classified(attrs);
    Observed {
        cloud_id: arn.to_string(),
        attrs: known,
        outputs: outputs(arn, attr_str(attrs, "url").unwrap_or_default()),
    }
}

/// GetOpenIDConnectProvider in this kind's vocabulary; `None` when there is no such provider.
async fn read(aws: &Aws, id: &str, arn: &str) -> Result<Option<Observed>, AwsError> {
    let output = match aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => {
            return AwsError::from_sdk(id, "iam:GetOpenIDConnectProvider", error).absent()
        }
    };
    let url = host(output.url().unwrap_or_default()).to_string();
    Ok(Some(Observed {
        cloud_id: arn.to_string(),
        attrs: Attrs::from([
            ("url".to_string(), Value::str(format!("https://{url}"))),
            (
                "client_ids".to_string(),
                Value::List(
                    output
                        .client_id_list()
                        .iter()
                        .map(|client| Value::str(client.clone()))
                        .collect(),
                ),
            ),
            ("tags".to_string(), tags_value(output.tags())),
        ]),
        outputs: outputs(arn, &url),
    }))
}

/// Every OIDC provider of the account except `skip`, described (a few calls at a time).
async fn read_all(aws: &Aws, skip: &BTreeSet<&str>) -> Result<Vec<Observed>, AwsError> {
    let listed = aws
        .iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|error| {
            AwsError::from_sdk("iam_oidc_provider", "iam:ListOpenIDConnectProviders", error)
        })?;
    let arns: Vec<String> = listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|entry| entry.arn())
        .filter(|arn| !skip.contains(arn))
        .map(str::to_string)
        .collect();
    let reads = arns
        .into_iter()
        .map(|arn| async move { read(aws, "iam_oidc_provider", &arn).await });
    let described: Vec<Option<Observed>> = stream::iter(reads)
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    Ok(described.into_iter().flatten().collect())
}

/// Sets the tags of `after` on the provider `arn`, removing what `before` had and `after` has
/// not.
async fn retag(
    aws: &Aws,
    id: &ResourceId,
    arn: &str,
    before: &Attrs,
    after: &Attrs,
) -> Result<(), AwsError> {
    MapChanges::of_tags(before, after)
        .send(
            |upserts| async move {
                let tags = iam_tag_list(&upserts);
                check_tags(id, "iam:TagOpenIDConnectProvider", &tags)?;
                aws.iam
                    .tag_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|error| {
                        AwsError::from_sdk(id, "iam:TagOpenIDConnectProvider", error)
                    })?;
                Ok(())
            },
            |removals| async move {
                aws.iam
                    .untag_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .set_tag_keys(Some(removals))
                    .send()
                    .await
                    .map_err(|error| {
                        AwsError::from_sdk(id, "iam:UntagOpenIDConnectProvider", error)
                    })?;
                Ok(())
            },
        )
        .await
}

/// The API reference's constraints on CreateOpenIDConnectProvider, checked before the call.
fn validate(id: &ResourceId, url: &str, clients: &[String]) -> Result<(), AwsError> {
    const OPERATION: &str = "iam:CreateOpenIDConnectProvider";
    if !url.starts_with("https://") || host(url).is_empty() || url.len() > 255 {
        return Err(AwsError::new(
            id,
            OPERATION,
            format!("url {url:?} must be an https:// URL of at most 255 characters"),
        ));
    }
    if clients.len() > 100
        || clients
            .iter()
            .any(|client| client.is_empty() || client.len() > 255)
    {
        return Err(AwsError::new(
            id,
            OPERATION,
            "client_ids: at most 100 client ids of 1 to 255 characters",
        ));
    }
    Ok(())
}

impl KindProvider for IamOidcProviderProvider {
    fn description(&self) -> &'static Description {
        &DESCRIPTION
    }

    async fn refresh(&self, aws: &Aws, scope: &Scope) -> Result<Vec<Found>, AwsError> {
        let recorded = try_join_all(scope.recorded.iter().map(|(id, (arn, _))| async move {
            Ok::<_, AwsError>(read(aws, id.as_str(), arn).await?.map(|observed| Found {
                id: id.clone(),
                via: FoundVia::State,
                observed,
            }))
        }));
        let missing = async {
            if scope.missing.is_empty() {
                return Ok(Vec::new());
            }
            let skip: BTreeSet<&str> = scope
                .recorded
                .values()
                .map(|(arn, _)| arn.as_str())
                .collect();
            let mut candidates = read_all(aws, &skip).await?;
            let mut found = Vec::new();
            for (id, attrs) in &scope.missing {
                let wanted = attr_str(attrs, "url").map(host);
                let by_url = candidates.iter().position(|observed| {
                    wanted.is_some_and(|url| {
                        observed.outputs.get("url").and_then(Value::as_str) == Some(url)
                    }) && tag_map(&observed.attrs).get(TAG_BLUEPRINT) == Some(&scope.blueprint)
                });
                let (index, via) = match by_url {
                    Some(index) => (Some(index), FoundVia::NaturalKey),
                    None => (
                        candidates
                            .iter()
                            .position(|observed| claims(&observed.attrs, &scope.blueprint, id)),
                        FoundVia::Tag,
                    ),
                };
                if let Some(index) = index {
                    found.push(Found {
                        id: id.clone(),
                        via,
                        observed: candidates.swap_remove(index),
                    });
                }
            }
            Ok::<_, AwsError>(found)
        };
        let (recorded, missing) = futures::try_join!(recorded, missing)?;
        Ok(recorded.into_iter().flatten().chain(missing).collect())
    }

    async fn create(&self, aws: &Aws, request: CreateRequest<'_>) -> Result<Observed, AwsError> {
        let url = required_str(
            request.attrs,
            "url",
            request.id,
            "iam:CreateOpenIDConnectProvider",
        )?;
        let clients = client_ids(request.attrs);
        validate(request.id, url, &clients)?;
        let tags = iam_tags(request.attrs);
        check_tags(request.id, "iam:CreateOpenIDConnectProvider", &tags)?;
        let result = aws
            .iam
            .create_open_id_connect_provider()
            .url(url)
            .set_client_id_list(Some(clients))
            .set_tags(Some(tags))
            .send()
            .await;
        let mut error = match result {
            Ok(output) => {
                let arn = output.open_id_connect_provider_arn().ok_or_else(|| {
                    AwsError::missing_in_response(
                        request.id,
                        "iam:CreateOpenIDConnectProvider",
                        "provider ARN",
                    )
                })?;
                return Ok(observed_as_sent(arn, request.attrs));
            }
            Err(error) => AwsError::from_sdk(request.id, "iam:CreateOpenIDConnectProvider", error),
        };
        if error.code.as_deref() != Some("EntityAlreadyExists") {
            return Err(error);
        }
        // One provider per issuer and account. Ours (a run killed before state was
        // written): take it over. Someone else's: say so.
        let blueprint = tag_map(request.attrs)
            .get(TAG_BLUEPRINT)
            .cloned()
            .unwrap_or_default();
        let existing = read_all(aws, &BTreeSet::new())
            .await?
            .into_iter()
            .find(|observed| {
                observed.outputs.get("url").and_then(Value::as_str) == Some(host(url))
            });
        if let Some(existing) = existing {
            if !blueprint.is_empty()
                && tag_map(&existing.attrs).get(TAG_BLUEPRINT) == Some(&blueprint)
            {
                retag(
                    aws,
                    request.id,
                    &existing.cloud_id,
                    &existing.attrs,
                    request.attrs,
                )
                .await?;
                let mut observed = observed_as_sent(&existing.cloud_id, request.attrs);
                // Client ids cannot change in place: the next plan replaces it if they differ.
                if let Some(clients) = existing.attrs.get("client_ids") {
                    observed
                        .attrs
                        .insert("client_ids".to_string(), clients.clone());
                }
                return Ok(observed);
            }
        }
        error.class = ErrorClass::AlreadyExists;
        error.message = format!(
            "an OIDC provider for {} exists that this blueprint did not create; delete it or tag it eksforge:blueprint={blueprint}: {}",
            host(url),
            error.message
        );
        Err(error)
    }

    async fn update(&self, aws: &Aws, request: UpdateRequest<'_>) -> Result<Observed, AwsError> {
        if request.changed.iter().any(|name| name == "tags") {
            retag(
                aws,
                request.id,
                request.cloud_id,
                request.before,
                request.after,
            )
            .await?;
        }
        Ok(observed_as_sent(request.cloud_id, request.after))
    }

    async fn delete(&self, aws: &Aws, request: DeleteRequest<'_>) -> Result<(), AwsError> {
        aws.iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(request.cloud_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                AwsError::from_sdk(request.id, "iam:DeleteOpenIDConnectProvider", error)
            })
            .or_else(AwsError::gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_compared_without_scheme_or_trailing_slash() {
        assert_eq!(
            host("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
        );
        assert_eq!(
            host("oidc.eks.eu-west-1.amazonaws.com/id/ABC/"),
            "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
        );
    }

    #[test]
    fn create_requests_follow_the_api_reference() {
        let id = ResourceId::new(Kind::IamOidcProvider, "main");
        let sts = vec!["sts.amazonaws.com".to_string()];
        assert!(validate(&id, "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", &sts).is_ok());
        assert!(validate(&id, "http://oidc.example.com", &sts).is_err());
        assert!(validate(&id, "https://", &sts).is_err());
        assert!(validate(&id, &format!("https://{}", "a".repeat(250)), &sts).is_err());
        assert!(validate(&id, "https://oidc.example.com", &[String::new()]).is_err());
    }
}
