//! What a refresh is asked to look for, and how observed resources are matched to ids.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

use super::{AwsError, Found, Observed};

/// Defined with the plan data in `resources`; re-exported here for the providers.
pub use crate::resources::FoundVia;

/// What one kind's refresh looks for.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub blueprint: String,
    /// Resources of this kind in state: id → (cloud id, recorded attributes).
    pub recorded: BTreeMap<ResourceId, (String, Attrs)>,
    /// Desired resources of this kind not in state, with attributes resolved as far as known.
    pub missing: BTreeMap<ResourceId, Attrs>,
}

impl Scope {
    pub fn recorded_cloud_ids(&self) -> Vec<String> {
        self.recorded
            .values()
            .map(|(cloud_id, _)| cloud_id.clone())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty() && self.missing.is_empty()
    }
}

/// The `eksforge:resource` id an observed resource's tags claim, if they also name this
/// blueprint and the id is of `kind`.
pub fn claimed_id(observed: &Observed, blueprint: &str, kind: Kind) -> Option<ResourceId> {
    let tags = observed.attrs.get("tags")?.as_map()?;
    if tags.get(TAG_BLUEPRINT)?.as_str()? != blueprint {
        return None;
    }
    let id = ResourceId::parse(tags.get(TAG_RESOURCE)?.as_str()?)?;
    (id.kind() == kind).then_some(id)
}

/// Matches observed resources of a taggable kind to ids: recorded cloud ids first, then the
/// `eksforge:resource` tag. One resource per id: a recorded one wins over a tagged twin.
pub fn assign(scope: &Scope, kind: Kind, observed: Vec<Observed>) -> Vec<Found> {
    let by_cloud_id: BTreeMap<&str, &ResourceId> = scope
        .recorded
        .iter()
        .map(|(id, (cloud_id, _))| (cloud_id.as_str(), id))
        .collect();
    let mut seen_cloud_ids = BTreeSet::new();
    let mut found: BTreeMap<ResourceId, Found> = BTreeMap::new();
    for item in observed {
        if !seen_cloud_ids.insert(item.cloud_id.clone()) {
            continue;
        }
        if let Some(id) = by_cloud_id.get(item.cloud_id.as_str()) {
            found.insert(
                (*id).clone(),
                Found {
                    id: (*id).clone(),
                    via: super::FoundVia::State,
                    observed: item,
                },
            );
        } else if let Some(id) = claimed_id(&item, &scope.blueprint, kind) {
            if scope.recorded.contains_key(&id) {
                // State records another cloud resource for this id; the tagged one is a
                // leftover twin. Leave it to the recorded one.
                continue;
            }
            found.entry(id.clone()).or_insert(Found {
                id,
                via: super::FoundVia::Tag,
                observed: item,
            });
        }
    }
    found.into_values().collect()
}

/// The usual refresh of a taggable EC2 kind: one describe by the blueprint tag, then one by
/// cloud id only for recorded resources the tag query did not return (gone, or their tags
/// changed outside eksforge): one call and one round trip when nothing drifted.
pub async fn by_tag_and_id<F, Fut>(
    scope: &Scope,
    kind: Kind,
    describe: F,
) -> Result<Vec<Found>, AwsError>
where
    F: Fn(aws_sdk_ec2::types::Filter) -> Fut,
    Fut: Future<Output = Result<Vec<Observed>, AwsError>>,
{
    let tagged = describe(super::ec2_tags::blueprint_filter(&scope.blueprint)).await?;
    let seen: BTreeSet<&str> = tagged.iter().map(|item| item.cloud_id.as_str()).collect();
    let unseen: Vec<String> = scope
        .recorded_cloud_ids()
        .into_iter()
        .filter(|cloud_id| !seen.contains(cloud_id.as_str()))
        .collect();
    let mut all = if unseen.is_empty() {
        Vec::new()
    } else {
        describe(super::ec2_tags::id_filter(kind, unseen)).await?
    };
    all.extend(tagged);
    Ok(assign(scope, kind, all))
}

/// The usual refresh of a kind found by a natural key (a name): recorded resources by their
/// cloud id, missing ones by `key` of their desired attributes; one `read` each, all at once.
pub async fn by_natural_key<K, R, Fut>(
    scope: &Scope,
    key: K,
    read: R,
) -> Result<Vec<Found>, AwsError>
where
    K: Fn(&Attrs) -> Option<String>,
    R: Fn(ResourceId, String) -> Fut,
    Fut: Future<Output = Result<Option<Observed>, AwsError>>,
{
    let recorded = scope
        .recorded
        .iter()
        .map(|(id, (cloud_id, _))| (id.clone(), cloud_id.clone(), super::FoundVia::State));
    let missing = scope
        .missing
        .iter()
        .filter_map(|(id, attrs)| Some((id.clone(), key(attrs)?, super::FoundVia::NaturalKey)));
    let found =
        futures::future::try_join_all(
            recorded.chain(missing).map(|(id, natural_key, via)| {
                let observed = read(id.clone(), natural_key);
                async move {
                    Ok::<_, AwsError>(observed.await?.map(|observed| Found { id, via, observed }))
                }
            }),
        )
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// A string attribute of a resolved attribute map.
pub fn attr_str<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs.get(name).and_then(Value::as_str)
}

/// A string attribute `operation` cannot go without (a cloud id, an ARN, a CIDR, a
/// document). The expansion always writes it, so a missing one is eksforge's own mistake:
/// reported as such, naming the resource and attribute, instead of reaching AWS as `""`.
pub fn required_str<'a>(
    attrs: &'a Attrs,
    name: &str,
    resource: impl std::fmt::Display,
    operation: &'static str,
) -> Result<&'a str, AwsError> {
    attr_str(attrs, name).ok_or_else(|| AwsError::missing_attribute(resource, operation, name))
}

/// A flag `operation` cannot go without, like [`required_str`]: a missing one is eksforge's
/// own mistake, never a silent `false`.
pub fn required_bool(
    attrs: &Attrs,
    name: &str,
    resource: impl std::fmt::Display,
    operation: &'static str,
) -> Result<bool, AwsError> {
    attrs
        .get(name)
        .and_then(Value::as_bool)
        .ok_or_else(|| AwsError::missing_attribute(resource, operation, name))
}
