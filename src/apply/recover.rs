//! Creates that survive a transient failure without making a twin.
//!
//! An error from a create does not prove that nothing was made: the answer may have been lost
//! after AWS acted (a 500 or a dropped connection after the request arrived), or the SDK's
//! retry may have met its own first attempt (`AlreadyExists`, EKS `ResourceInUseException`
//! where the idempotency token is not honoured). Every created resource carries its
//! `eksforge:resource` tag (or a natural key), so before giving up or trying again the
//! executor looks for it the way a refresh would, and adopts what it finds: the same thing
//! the next plan would do, done now.

use tokio::time::sleep;

use crate::aws::{
    provider, retry, Aws, AwsError, CreateRequest, ErrorClass, Observed, Provider, Scope,
    UpdateRequest,
};
use crate::resources::{Attrs, ResourceId};

/// Attempts of a create whose first call the SDK sends only once (see
/// `Provider::create_is_not_idempotent`): as many as the SDK makes of other calls.
const ATTEMPTS: u32 = retry::MAX_ATTEMPTS;

/// Creates `id`, or adopts it when a failed attempt made it after all.
pub(super) async fn create(
    aws: &Aws,
    blueprint: &str,
    id: &ResourceId,
    attrs: &Attrs,
    token: &str,
) -> Result<Observed, AwsError> {
    let provider = provider(id.kind());
    let mut attempt = 0;
    loop {
        attempt += 1;
        let request = CreateRequest {
            id,
            attrs,
            idempotency_token: token,
        };
        let error = match provider.create(aws, request).await {
            Ok(observed) => return Ok(observed),
            Err(error) => error,
        };
        if may_have_been_made(&error) {
            match find(provider, aws, blueprint, id, attrs).await {
                Ok(Some(found)) => return adopt(provider, aws, id, attrs, found).await,
                Ok(None) => {}
                // The look-up failing too says nothing new: report the create's error.
                Err(_) => return Err(error),
            }
        }
        // Other creates were already retried by the SDK (token or unique name make that safe).
        if !(error.is_transient() && provider.create_is_not_idempotent()) || attempt >= ATTEMPTS {
            return Err(error);
        }
        sleep(retry::backoff(&aws.waits, attempt - 1)).await;
    }
}

fn may_have_been_made(error: &AwsError) -> bool {
    error.is_transient()
        || matches!(
            error.class,
            ErrorClass::AlreadyExists | ErrorClass::Connection
        )
        || error.code.as_deref() == Some("ResourceInUseException")
        // A subnet whose CIDR is taken: by its own earlier attempt, or by something else
        // (then the look-up finds nothing and the error stands).
        || error.code.as_deref() == Some("InvalidSubnet.Conflict")
}

/// The resource as a refresh of this id alone would find it (by tag or natural key).
async fn find(
    provider: &dyn Provider,
    aws: &Aws,
    blueprint: &str,
    id: &ResourceId,
    attrs: &Attrs,
) -> Result<Option<Observed>, AwsError> {
    let scope = Scope {
        blueprint: blueprint.to_string(),
        recorded: Default::default(),
        missing: [(id.clone(), attrs.clone())].into_iter().collect(),
    };
    let found = provider.refresh(aws, &scope).await?;
    Ok(found
        .into_iter()
        .find(|found| found.id == *id)
        .map(|found| found.observed))
}

/// Records the found resource as created, first finishing what the interrupted create would
/// have done after its first call (attributes set by later calls).
async fn adopt(
    provider: &dyn Provider,
    aws: &Aws,
    id: &ResourceId,
    attrs: &Attrs,
    found: Observed,
) -> Result<Observed, AwsError> {
    let changed: Vec<String> = attrs
        .iter()
        .filter(|(name, value)| {
            matches!(
                crate::aws::rule_for(id.kind(), name),
                crate::aws::AttrRule::UpdatedBy(..)
            ) && !crate::plan::same_value(id.kind(), name, found.attrs.get(*name), value)
        })
        .map(|(name, _)| name.clone())
        .collect();
    if changed.is_empty() {
        return Ok(found);
    }
    provider
        .update(
            aws,
            UpdateRequest {
                id,
                cloud_id: &found.cloud_id,
                before: &found.attrs,
                after: attrs,
                changed: &changed,
            },
        )
        .await
}
