//! Tags and other string maps as every provider needs them: the `tags` attribute as a map,
//! and what changes between two maps (new or changed values to set, keys to remove). Each
//! service then sends those in its own request shape.

use std::collections::BTreeMap;
use std::future::Future;

use crate::resources::{Attrs, Value};

use super::AwsError;

/// The `tags` attribute as key → value.
pub fn tag_map(attrs: &Attrs) -> BTreeMap<String, String> {
    attrs
        .get("tags")
        .and_then(Value::as_map)
        .map(|tags| {
            tags.iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// From one map to another: what to set and what to remove.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MapChanges {
    /// New keys and keys whose value changed, with the new value.
    pub upserts: BTreeMap<String, String>,
    /// Keys no longer present.
    pub removals: Vec<String>,
}

impl MapChanges {
    pub fn between(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> MapChanges {
        MapChanges {
            upserts: new
                .iter()
                .filter(|(key, value)| old.get(*key) != Some(*value))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            removals: old
                .keys()
                .filter(|key| !new.contains_key(*key))
                .cloned()
                .collect(),
        }
    }

    /// The tag changes from `before`'s tags to `after`'s.
    pub fn of_tags(before: &Attrs, after: &Attrs) -> MapChanges {
        MapChanges::between(&tag_map(before), &tag_map(after))
    }

    /// Sends the changes through one service's two tag calls, written once for every tagging
    /// shape: `tag` with the new or changed values, then `untag` with the removed keys; a side
    /// with nothing to send makes no call.
    pub async fn send<Tag, TagDone, Untag, UntagDone>(
        self,
        tag: Tag,
        untag: Untag,
    ) -> Result<(), AwsError>
    where
        Tag: FnOnce(BTreeMap<String, String>) -> TagDone,
        TagDone: Future<Output = Result<(), AwsError>>,
        Untag: FnOnce(Vec<String>) -> UntagDone,
        UntagDone: Future<Output = Result<(), AwsError>>,
    {
        if !self.upserts.is_empty() {
            tag(self.upserts).await?;
        }
        if !self.removals.is_empty() {
            untag(self.removals).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_set_new_and_changed_values_and_remove_missing_keys() {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let changes = MapChanges::between(
            &map(&[("a", "1"), ("b", "2"), ("c", "3")]),
            &map(&[("a", "1"), ("b", "9"), ("d", "4")]),
        );
        assert_eq!(changes.upserts, map(&[("b", "9"), ("d", "4")]));
        assert_eq!(changes.removals, vec!["c".to_string()]);
        assert_eq!(
            MapChanges::between(&map(&[("a", "1")]), &map(&[("a", "1")])),
            MapChanges::default()
        );
    }
}
