//! The provider-test harness: one kind's provider driven through the `Provider` trait the way
//! apply and refresh drive it, against a moto of the test's own. Each call panics with the
//! resource and the AWS error when it fails, so tests read as the lifecycle they check.

use std::collections::{BTreeMap, BTreeSet};

use eksforge::aws::{
    provider, Aws, AwsError, CreateRequest, DeleteRequest, Found, FoundVia, Observed, Scope,
    UpdateRequest,
};
use eksforge::resources::{Attrs, Kind, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE};

/// The clients and the blueprint name the resources under test are tagged with.
pub struct Providers<'a> {
    pub aws: &'a Aws,
    pub blueprint: &'a str,
}

impl Providers<'_> {
    pub async fn try_create(
        &self,
        kind: Kind,
        id: &ResourceId,
        attrs: &Attrs,
    ) -> Result<Observed, AwsError> {
        // Stable per resource, as the executor's (lineage, id, generation) token is.
        let token = format!("eksforge-test-{id}");
        provider(kind)
            .create(
                self.aws,
                CreateRequest {
                    id,
                    attrs,
                    idempotency_token: &token,
                },
            )
            .await
    }

    pub async fn create(&self, kind: Kind, id: &ResourceId, attrs: &Attrs) -> Observed {
        self.try_create(kind, id, attrs)
            .await
            .unwrap_or_else(|error| panic!("create {id}: {error}"))
    }

    /// An in-place update of the attributes that differ between `before` and `after`.
    pub async fn update(
        &self,
        kind: Kind,
        id: &ResourceId,
        cloud_id: &str,
        before: &Attrs,
        after: &Attrs,
    ) -> Observed {
        let changed = changed(before, after);
        assert!(!changed.is_empty(), "an update must change something");
        provider(kind)
            .update(
                self.aws,
                UpdateRequest {
                    id,
                    cloud_id,
                    before,
                    after,
                    changed: &changed,
                },
            )
            .await
            .unwrap_or_else(|error| panic!("update {id} ({changed:?}): {error}"))
    }

    pub async fn delete(&self, kind: Kind, id: &ResourceId, cloud_id: &str, attrs: &Attrs) {
        provider(kind)
            .delete(
                self.aws,
                DeleteRequest {
                    id,
                    cloud_id,
                    attrs,
                },
            )
            .await
            .unwrap_or_else(|error| panic!("delete {id}: {error}"));
    }

    pub async fn refresh(&self, kind: Kind, scope: &Scope) -> Vec<Found> {
        provider(kind)
            .refresh(self.aws, scope)
            .await
            .unwrap_or_else(|error| panic!("refresh {kind}: {error}"))
    }

    /// A refresh of resources state records (id, cloud id, attributes).
    pub async fn refresh_recorded(
        &self,
        kind: Kind,
        recorded: &[(&ResourceId, &str, &Attrs)],
    ) -> Vec<Found> {
        let scope = Scope {
            blueprint: self.blueprint.to_string(),
            recorded: recorded
                .iter()
                .map(|(id, cloud_id, attrs)| {
                    ((*id).clone(), (cloud_id.to_string(), (*attrs).clone()))
                })
                .collect(),
            missing: BTreeMap::new(),
        };
        self.refresh(kind, &scope).await
    }

    /// A refresh of desired resources state lacks (a crash after create, a lost state).
    pub async fn refresh_missing(
        &self,
        kind: Kind,
        missing: &[(&ResourceId, &Attrs)],
    ) -> Vec<Found> {
        let scope = Scope {
            blueprint: self.blueprint.to_string(),
            recorded: BTreeMap::new(),
            missing: missing
                .iter()
                .map(|(id, attrs)| ((*id).clone(), (*attrs).clone()))
                .collect(),
        };
        self.refresh(kind, &scope).await
    }

    /// A refresh of one recorded resource.
    pub async fn refresh_recorded_one(
        &self,
        kind: Kind,
        id: &ResourceId,
        cloud_id: &str,
        attrs: &Attrs,
    ) -> Vec<Found> {
        self.refresh_recorded(kind, &[(id, cloud_id, attrs)]).await
    }

    /// A refresh of one desired resource state lacks.
    pub async fn refresh_missing_one(
        &self,
        kind: Kind,
        id: &ResourceId,
        attrs: &Attrs,
    ) -> Vec<Found> {
        self.refresh_missing(kind, &[(id, attrs)]).await
    }

    /// Refresh of one recorded resource must give back exactly the desired attributes.
    pub async fn assert_no_diff(
        &self,
        kind: Kind,
        id: &ResourceId,
        cloud_id: &str,
        desired: &Attrs,
    ) -> Found {
        let found = self
            .refresh_recorded(kind, &[(id, cloud_id, desired)])
            .await;
        assert_eq!(found.len(), 1, "{id} not found by refresh: {found:?}");
        let found = found.into_iter().next().expect("one found");
        assert_eq!(found.id, *id);
        assert_eq!(found.via, FoundVia::State);
        assert_eq!(found.observed.cloud_id, cloud_id);
        assert_eq!(
            found.observed.attrs,
            *desired,
            "refresh differs from desired: {:?}",
            changed(&found.observed.attrs, desired)
        );
        found
    }

    /// Refresh of one desired resource missing from state finds it (`via`), unchanged.
    pub async fn assert_adopted(
        &self,
        kind: Kind,
        id: &ResourceId,
        cloud_id: &str,
        desired: &Attrs,
        via: FoundVia,
    ) {
        let found = self.refresh_missing(kind, &[(id, desired)]).await;
        assert_eq!(found.len(), 1, "{id} not adopted: {found:?}");
        assert_eq!(found[0].id, *id);
        assert_eq!(found[0].via, via);
        assert_eq!(found[0].observed.cloud_id, cloud_id);
        assert_eq!(
            found[0].observed.attrs,
            *desired,
            "{:?}",
            changed(&found[0].observed.attrs, desired)
        );
    }
}

/// Found resources by id.
pub fn by_id(found: Vec<Found>) -> BTreeMap<ResourceId, Found> {
    found
        .into_iter()
        .map(|found| (found.id.clone(), found))
        .collect()
}

/// The attribute names whose values differ, as the plan would list them.
pub fn changed(before: &Attrs, after: &Attrs) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// `attrs` with one attribute set.
pub fn with(attrs: &Attrs, name: &str, value: Value) -> Attrs {
    let mut attrs = attrs.clone();
    attrs.insert(name.to_string(), value);
    attrs
}

/// A string output of a create or refresh (empty when absent, for assertions to show).
pub fn out(observed: &Observed, name: &str) -> String {
    observed
        .outputs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `blueprint`'s ownership tags for `id`, a `Name`, and `extra`.
pub fn tags_named(blueprint: &str, id: &ResourceId, name: &str, extra: &[(&str, &str)]) -> Value {
    let mut map = BTreeMap::from([
        (TAG_BLUEPRINT.to_string(), Value::str(blueprint)),
        (TAG_RESOURCE.to_string(), Value::str(id.as_str())),
        ("Name".to_string(), Value::str(name)),
    ]);
    for (key, value) in extra {
        map.insert(key.to_string(), Value::str(*value));
    }
    Value::Map(map)
}

/// `tags_named` with the name `<blueprint>-<id>`.
pub fn tags(blueprint: &str, id: &ResourceId, extra: &[(&str, &str)]) -> Value {
    tags_named(
        blueprint,
        id,
        &format!("{blueprint}-{}", id.as_str()),
        extra,
    )
}
