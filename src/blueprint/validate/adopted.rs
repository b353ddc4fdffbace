//! `[adopted."<id>"]`: what a resource `eksforge adopt` brought in keeps from the tool that made
//! it. The blueprint alone decides the shape (an id, names and tags AWS would take); whether
//! the id names a resource the blueprint makes is checked by the expansion, which knows them.

use std::collections::BTreeMap;

use super::moved::kind_of;
use super::Checker;
use crate::blueprint::limits::{MAX_TAGS_PER_RESOURCE, MAX_TAG_KEY_LEN, MAX_TAG_VALUE_LEN};
use crate::blueprint::model::Blueprint;

const CODE: &str = "eksforge::blueprint::adopted";

impl Checker<'_> {
    pub(super) fn adopted(&mut self, model: &Blueprint) {
        for (id, adopted) in &model.adopted {
            let at = format!("adopted.\"{id}\"");
            if kind_of(id).is_none() {
                self.report(
                    CODE,
                    &at,
                    format!("adopted \"{id}\" is not a resource id"),
                    "not <kind>.<name>",
                    "write the id as `eksforge state list BLUEPRINT` prints it, e.g. \"iam_role.cluster\"".to_string(),
                );
            }
            // An empty description is one (a role made without one); an empty name is not.
            if adopted
                .name
                .as_deref()
                .is_some_and(|name| name.trim().is_empty())
            {
                self.report(
                    CODE,
                    &format!("{at}.name"),
                    format!("adopted \"{id}\" has an empty name"),
                    "empty",
                    "remove `name` to let eksforge derive it, or write the one AWS has".to_string(),
                );
            }
            for (key, tags) in [
                ("tags", &adopted.tags),
                ("instance_tags", &adopted.instance_tags),
            ] {
                if let Some(tags) = tags {
                    self.adopted_tags(id, &format!("{at}.{key}"), tags);
                }
            }
        }
    }

    fn adopted_tags(&mut self, id: &str, at: &str, tags: &BTreeMap<String, String>) {
        if tags.len() > MAX_TAGS_PER_RESOURCE {
            self.report(
                CODE,
                at,
                format!(
                    "adopted \"{id}\" has {} tags; AWS allows at most {MAX_TAGS_PER_RESOURCE}",
                    tags.len()
                ),
                "too many tags",
                format!("keep at most {MAX_TAGS_PER_RESOURCE} tags"),
            );
        }
        for (key, value) in tags {
            if let Some(reason) = adopted_tag_problem(key, value) {
                self.report(
                    CODE,
                    at,
                    format!("adopted \"{id}\" tag {key:?}: {reason}"),
                    "invalid tag",
                    "remove this tag from the list: eksforge would never be able to set it"
                        .to_string(),
                );
            }
        }
    }
}

/// Why a tag found on an adopted resource cannot be kept. Any character is fine: the service
/// that holds the resource took it.
fn adopted_tag_problem(key: &str, value: &str) -> Option<String> {
    let lower = key.to_lowercase();
    if key.is_empty() || key.chars().count() > MAX_TAG_KEY_LEN {
        Some(format!("a tag key has 1–{MAX_TAG_KEY_LEN} characters"))
    } else if lower.starts_with("aws:") {
        Some("tag keys starting with `aws:` are AWS's own: only AWS sets them".into())
    } else if lower.starts_with("eksforge:") {
        Some("tag keys starting with `eksforge:` are eksforge's own".into())
    } else if value.chars().count() > MAX_TAG_VALUE_LEN {
        Some(format!(
            "a tag value has at most {MAX_TAG_VALUE_LEN} characters"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;
    use crate::blueprint::templates::HARDENED;

    fn problems(adopted: &str) -> Vec<String> {
        match load_str("hardened.toml", &format!("{HARDENED}\n{adopted}"), &[]) {
            Ok(_) => Vec::new(),
            Err(error) => format!("{error:?}").lines().map(str::to_string).collect(),
        }
    }

    #[test]
    fn adopted_names_and_tags_load() {
        assert!(problems(
            "[adopted.\"iam_role.cluster\"]\nname = \"legacy-cluster-ServiceRole-7QX2\"\ndescription = \"made by hand\"\ntags = { Name = \"legacy\", owner = \"platform\" }\n"
        )
        .is_empty());
    }

    #[test]
    fn reserved_tags_empty_names_and_bad_ids_are_refused() {
        for (entry, expected) in [
            (
                "[adopted.\"iam_role\"]\nname = \"x\"\n",
                "is not a resource id",
            ),
            (
                "[adopted.\"iam_role.node\"]\nname = \" \"\n",
                "has an empty name",
            ),
            (
                "[adopted.\"vpc.main\"]\ntags = { \"aws:cloudformation:stack-name\" = \"x\" }\n",
                "only AWS sets them",
            ),
            (
                "[adopted.\"vpc.main\"]\ntags = { \"eksforge:resource\" = \"x\" }\n",
                "eksforge's own",
            ),
        ] {
            let found = problems(entry).join("\n");
            assert!(found.contains(expected), "{entry}: {found}");
        }
    }
}
