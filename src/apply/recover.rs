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
    provider, retry, Aws, AwsError, CreateRequest, DeleteRequest, ErrorClass, Observed, Provider,
    Scope, UpdateRequest,
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
        let mut removed = false;
        if may_have_been_made(&error) {
            match find(provider, aws, blueprint, id, attrs).await {
                Ok(Some(found)) => match adopt(provider, aws, id, attrs, found).await? {
                    Adopted::Done(observed) => return Ok(observed),
                    // Deleted: it is made again below, like after any transient failure.
                    Adopted::Removed => removed = true,
                },
                Ok(None) => {}
                // The look-up failing too says nothing new: report the create's error.
                Err(_) => return Err(error),
            }
        }
        // Other creates were already retried by the SDK (token or unique name make that safe).
        let again = removed || (error.is_transient() && provider.create_is_not_idempotent());
        if !again || attempt >= ATTEMPTS {
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

enum Adopted {
    Done(Observed),
    /// Half made in a way only a new create fixes; deleted.
    Removed,
}

/// Records the found resource as created, first finishing what the interrupted create would
/// have done after its first call (attributes set by later calls). When what is missing
/// cannot be set in place (an internet gateway made but never attached: its `vpc_id` forces
/// replacement), the half-made resource, which this very create made moments ago, is deleted
/// so that the create can start over; protected kinds (the cluster, the KMS key) never are.
async fn adopt(
    provider: &dyn Provider,
    aws: &Aws,
    id: &ResourceId,
    attrs: &Attrs,
    found: Observed,
) -> Result<Adopted, AwsError> {
    let differs = |name: &String, value: &crate::resources::Value| {
        !crate::plan::same_value(id.kind(), name, found.attrs.get(name), value)
    };
    let forced: Vec<&String> = attrs
        .iter()
        .filter(|(name, value)| {
            matches!(
                crate::aws::rule_for(id.kind(), name),
                crate::aws::AttrRule::ForcesReplacement(..)
            ) && differs(name, value)
        })
        .map(|(name, _)| name)
        .collect();
    if !forced.is_empty() {
        if crate::plan::protection::PROTECTED_KINDS.contains(&id.kind()) {
            return Err(AwsError::new(
                id,
                "apply",
                format!(
                    "found {} half made by an interrupted create ({} differ); it is protected, so it was left as is: check it, then re-run apply",
                    found.cloud_id,
                    forced.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        provider
            .delete(
                aws,
                DeleteRequest {
                    id,
                    cloud_id: &found.cloud_id,
                    attrs: &found.attrs,
                },
            )
            .await?;
        return Ok(Adopted::Removed);
    }
    let changed: Vec<String> = attrs
        .iter()
        .filter(|(name, value)| {
            matches!(
                crate::aws::rule_for(id.kind(), name),
                crate::aws::AttrRule::UpdatedBy(..)
            ) && differs(name, value)
        })
        .map(|(name, _)| name.clone())
        .collect();
    if changed.is_empty() {
        return Ok(Adopted::Done(found));
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
        .map(Adopted::Done)
}
