//! Refresh: read everything state records and look for desired resources it lacks, all kinds
//! at once. A no-op plan costs about one round trip of wall time; adopting untaggable kinds
//! (routes, associations) after a crash costs one more.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use crate::aws::{provider, Aws, AwsError, Found, Scope};
use crate::resources::{Attrs, DesiredSet, FoundVia, Kind, Ref, ResourceId, Value, TAG_RESOURCE};
use crate::state::State;

/// What the API has now, by resource id.
#[derive(Debug, Clone, Default)]
pub struct Refreshed {
    pub found: BTreeMap<ResourceId, Found>,
}

impl Refreshed {
    /// The output of a found resource.
    pub fn output(&self, reference: &Ref) -> Option<Value> {
        self.found
            .get(&reference.resource)?
            .observed
            .outputs
            .get(&reference.output)
            .cloned()
    }
}

/// Refreshes every kind concurrently.
pub async fn refresh(
    aws: &Aws,
    desired: &DesiredSet,
    state: &State,
) -> Result<Refreshed, AwsError> {
    // More than a handful of roles: the IAM kinds share one bulk read of the account's roles.
    let roles: BTreeSet<&ResourceId> = desired
        .resources
        .keys()
        .chain(state.resources.keys())
        .filter(|id| id.kind() == Kind::IamRole)
        .collect();
    let aws = &aws.with_role_snapshot(roles.len());
    let blueprint = desired.blueprint.clone();
    let from_state = |reference: &Ref| state.output(reference);
    let scopes: Vec<(Kind, Scope)> = Kind::ALL
        .iter()
        .map(|kind| {
            (
                *kind,
                scope_for(*kind, &blueprint, desired, state, &from_state),
            )
        })
        // Taggable kinds are always asked, to find orphans left by an interrupted run.
        .filter(|(kind, scope)| !scope.is_empty() || !provider(*kind).adopts_by_natural_key())
        .collect();
    let results = try_join_all(
        scopes
            .iter()
            .map(|(kind, scope)| provider(*kind).refresh(aws, scope)),
    )
    .await?;
    let mut refreshed = Refreshed::default();
    for found in results.into_iter().flatten() {
        refreshed.found.insert(found.id.clone(), found);
    }
    claim_under_desired_ids(desired, &mut refreshed);

    // Second round: untaggable kinds whose parents were only just found (adopted by tag). A
    // resource the first round already looked for, fully resolved, is not asked again.
    let asked_resolved = |id: &ResourceId| {
        scopes.iter().any(|(_, scope)| {
            scope
                .missing
                .get(id)
                .is_some_and(|attrs| !attrs.values().any(Value::has_refs))
        })
    };
    let second: Vec<(Kind, Scope)> = Kind::ALL
        .iter()
        .filter(|kind| provider(**kind).adopts_by_natural_key())
        .map(|kind| {
            let lookup = |reference: &Ref| {
                refreshed
                    .output(reference)
                    .or_else(|| from_state(reference))
            };
            let mut scope = scope_for(*kind, &blueprint, desired, state, &lookup);
            scope.recorded.clear();
            scope.missing.retain(|id, attrs| {
                !refreshed.found.contains_key(id)
                    && !attrs.values().any(Value::has_refs)
                    && !asked_resolved(id)
            });
            (*kind, scope)
        })
        .filter(|(_, scope)| !scope.missing.is_empty())
        .collect();
    let results = try_join_all(
        second
            .iter()
            .map(|(kind, scope)| provider(*kind).refresh(aws, scope)),
    )
    .await?;
    for found in results.into_iter().flatten() {
        refreshed.found.entry(found.id.clone()).or_insert(found);
    }
    Ok(refreshed)
}

/// A resource a `[[moved]]` entry renamed keeps its `eksforge:resource` tag, the id it was made
/// under (so the rename changes nothing in AWS). Found by that tag without a state record (a
/// lost state), it is the resource the blueprint now names, not an orphan of the old id.
fn claim_under_desired_ids(desired: &DesiredSet, refreshed: &mut Refreshed) {
    for resource in desired.resources.values() {
        let Some(made_as) = resource
            .attrs
            .get("tags")
            .and_then(Value::as_map)
            .and_then(|tags| tags.get(TAG_RESOURCE))
            .and_then(Value::as_str)
            .and_then(ResourceId::parse)
        else {
            continue;
        };
        let found_by_tag = refreshed
            .found
            .get(&made_as)
            .is_some_and(|found| found.via != FoundVia::State);
        if made_as != resource.id && found_by_tag && !refreshed.found.contains_key(&resource.id) {
            if let Some(mut found) = refreshed.found.remove(&made_as) {
                found.id = resource.id.clone();
                refreshed.found.insert(resource.id.clone(), found);
            }
        }
    }
}

fn scope_for(
    kind: Kind,
    blueprint: &str,
    desired: &DesiredSet,
    state: &State,
    lookup: &dyn Fn(&Ref) -> Option<Value>,
) -> Scope {
    let recorded: BTreeMap<ResourceId, (String, Attrs)> = state
        .resources
        .iter()
        .filter(|(id, _)| id.kind() == kind)
        .map(|(id, record)| (id.clone(), (record.cloud_id.clone(), record.attrs.clone())))
        .collect();
    let missing: BTreeMap<ResourceId, Attrs> = desired
        .resources
        .values()
        .filter(|resource| resource.kind() == kind && !recorded.contains_key(&resource.id))
        .map(|resource| {
            let attrs = resource
                .attrs
                .iter()
                .map(|(name, value)| (name.clone(), value.resolve_known(lookup)))
                .collect();
            (resource.id.clone(), attrs)
        })
        .collect();
    Scope {
        blueprint: blueprint.to_string(),
        recorded,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::aws::Observed;
    use crate::resources::Resource;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    #[test]
    fn a_moved_resource_found_by_its_old_tag_is_taken_as_its_new_id() {
        let group = id("eks_node_group.general");
        let tags = Value::Map(
            [(
                TAG_RESOURCE.to_string(),
                Value::str("eks_node_group.workers"),
            )]
            .into_iter()
            .collect(),
        );
        let mut desired = DesiredSet {
            blueprint: "demo".into(),
            resources: BTreeMap::new(),
        };
        desired.insert(Resource {
            id: group.clone(),
            attrs: [("tags".to_string(), tags)].into_iter().collect(),
            depends_on: BTreeSet::new(),
            managed_elsewhere: BTreeSet::new(),
        });
        let found = |via| Found {
            id: id("eks_node_group.workers"),
            via,
            observed: Observed::with_id("workers-1a2b", Attrs::new()),
        };
        let mut by_tag = Refreshed::default();
        by_tag
            .found
            .insert(id("eks_node_group.workers"), found(FoundVia::Tag));
        claim_under_desired_ids(&desired, &mut by_tag);
        let ids: Vec<&ResourceId> = by_tag.found.keys().collect();
        assert_eq!(ids, [&group]);
        assert_eq!(by_tag.found[&group].id, group);

        // Recorded under the old id (a plan that does not move, e.g. refresh-only): left alone.
        let mut recorded = Refreshed::default();
        recorded
            .found
            .insert(id("eks_node_group.workers"), found(FoundVia::State));
        claim_under_desired_ids(&desired, &mut recorded);
        assert!(recorded.found.contains_key(&id("eks_node_group.workers")));
    }
}
