//! The desired-set builder every expansion step adds to: one resource at a time, with the
//! tags its kind takes and the dependencies no attribute expresses.

use std::collections::{BTreeMap, BTreeSet};

use super::names::bounded_name;
use crate::blueprint::limits::MAX_TAG_VALUE_LEN;
use crate::blueprint::model::Adopted;
use crate::resources::moved_with::carried_id;
use crate::resources::{
    Attrs, DesiredSet, Kind, Resource, ResourceId, Value, TAG_BLUEPRINT, TAG_RESOURCE,
};

/// What the steps have added so far, plus what every tag set needs (the blueprint's name and
/// its `blueprint.tags`).
pub(super) struct Builder {
    set: DesiredSet,
    user_tags: BTreeMap<String, String>,
    /// `[[moved]]`: each new id and the id it was made under, whose AWS names and tags it keeps.
    made_as: BTreeMap<ResourceId, ResourceId>,
    /// `[adopted."<id>"]`: what a resource another tool made keeps (its name, description,
    /// tags), by the id as written, until a resource of that id is placed.
    adopted: BTreeMap<String, Adopted>,
    /// The `[adopted]` entries a placed resource used, and each key that resource lacks.
    adopted_used: BTreeSet<String>,
    adopted_unfit: Vec<(String, &'static str)>,
}

impl Builder {
    pub(super) fn new(blueprint: &str, user_tags: &BTreeMap<String, String>) -> Self {
        Builder {
            set: DesiredSet {
                blueprint: blueprint.to_string(),
                resources: BTreeMap::new(),
            },
            user_tags: user_tags.clone(),
            made_as: BTreeMap::new(),
            adopted: BTreeMap::new(),
            adopted_used: BTreeSet::new(),
            adopted_unfit: Vec::new(),
        }
    }

    /// Resources `eksforge adopt` brought in keep the name, description and tags they were
    /// made with instead of those eksforge derives.
    pub(super) fn with_adopted(mut self, adopted: &BTreeMap<String, Adopted>) -> Self {
        self.adopted = adopted.clone();
        self
    }

    /// The `[adopted]` entries that fit nothing this blueprint makes: an id it does not make,
    /// or a key the resource does not have (`adopted."<id>".<key>`).
    pub(super) fn unfit_adoptions(&self) -> Vec<String> {
        let mut unfit: Vec<String> = self
            .adopted
            .keys()
            .filter(|id| !self.adopted_used.contains(*id))
            .map(|id| format!("adopted.\"{id}\" (no resource of this id)"))
            .collect();
        unfit.extend(
            self.adopted_unfit
                .iter()
                .map(|(id, key)| format!("adopted.\"{id}\".{key} (the resource has no {key})")),
        );
        unfit
    }

    /// Resources renamed by `[[moved]]` keep what they were made with: the names AWS knows
    /// them by and their tags (`Name`, `eksforge:resource`), so a rename changes nothing in AWS.
    /// What a rename carries with it (`moved_with`) keeps them too.
    pub(super) fn with_moves(mut self, moved: &[crate::blueprint::model::Moved]) -> Self {
        self.made_as = moved
            .iter()
            .filter_map(|entry| {
                Some((
                    ResourceId::parse(&entry.to)?,
                    ResourceId::parse(&entry.from)?,
                ))
            })
            .collect();
        self
    }

    /// The name of `kind.name` as AWS names derive it: `name`, or the name it was made under
    /// when `[[moved]]` renamed it.
    pub(super) fn made_as_name(&self, kind: Kind, name: &str) -> String {
        let id = ResourceId::new(kind, name);
        self.made_as_id(&id).name().to_string()
    }

    /// The id `id` was made under: itself, unless a `[[moved]]` entry renamed it or what it
    /// belongs to.
    pub(super) fn made_as_id(&self, id: &ResourceId) -> ResourceId {
        if let Some(from) = self.made_as.get(id) {
            return from.clone();
        }
        self.made_as
            .iter()
            .find_map(|(to, from)| carried_id(to, from, id))
            .unwrap_or_else(|| id.clone())
    }

    /// The blueprint's name: it prefixes every AWS name the steps derive.
    pub(super) fn blueprint(&self) -> &str {
        &self.set.blueprint
    }

    pub(super) fn finish(self) -> DesiredSet {
        self.set
    }

    /// Adds a resource with its attributes (and tags, when its kind takes them).
    pub(super) fn add<'a>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: impl IntoIterator<Item = (&'a str, Value)>,
    ) -> ResourceId {
        self.place(kind, name, attrs, &[], [])
    }

    /// Adds a resource that must come after `depends_on` although no attribute says so.
    pub(super) fn add_after<'a>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: impl IntoIterator<Item = (&'a str, Value)>,
        depends_on: impl IntoIterator<Item = ResourceId>,
    ) -> ResourceId {
        self.place(kind, name, attrs, &[], depends_on)
    }

    /// Adds a resource with tags of its own besides the common ones (a subnet's
    /// `kubernetes.io/role/elb`).
    pub(super) fn add_tagged<'a>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: impl IntoIterator<Item = (&'a str, Value)>,
        extra_tags: &[(&str, &str)],
    ) -> ResourceId {
        self.place(kind, name, attrs, extra_tags, [])
    }

    /// Marks an attribute set at create but owned by something else afterwards.
    pub(super) fn managed_elsewhere(&mut self, id: &ResourceId, attribute: &str) {
        if let Some(resource) = self.set.resources.get_mut(id) {
            resource.managed_elsewhere.insert(attribute.to_string());
        }
    }

    /// The one way a resource enters the set. A later resource with the same id replaces the
    /// earlier one, so steps run in a fixed order (`expand/mod.rs`).
    fn place<'a>(
        &mut self,
        kind: Kind,
        name: &str,
        attrs: impl IntoIterator<Item = (&'a str, Value)>,
        extra_tags: &[(&str, &str)],
        depends_on: impl IntoIterator<Item = ResourceId>,
    ) -> ResourceId {
        let id = ResourceId::new(kind, name);
        let mut attrs: Attrs = attrs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        if kind_takes_tags(kind) {
            attrs.insert(
                "tags".to_string(),
                Value::Map(self.tags_for(&id, extra_tags)),
            );
        }
        self.keep_adopted(&id, &mut attrs);
        self.set.insert(Resource {
            id: id.clone(),
            attrs,
            depends_on: depends_on.into_iter().collect(),
            managed_elsewhere: BTreeSet::new(),
        });
        id
    }

    /// An adopted resource's own name, description and tags replace the derived ones. A launch
    /// template's tags are also those it gives the instances it launches, unless
    /// `instance_tags` says otherwise.
    fn keep_adopted(&mut self, id: &ResourceId, attrs: &mut Attrs) {
        let key = id.to_string();
        let Some(adopted) = self.adopted.get(&key) else {
            return;
        };
        self.adopted_used.insert(key.clone());
        let as_value = |tags: &BTreeMap<String, String>| {
            Value::Map(
                tags.iter()
                    .map(|(key, value)| (key.clone(), Value::str(value.clone())))
                    .collect(),
            )
        };
        let tags = adopted.tags.as_ref().map(as_value);
        let instance_tags = adopted.instance_tags.as_ref().map(as_value);
        let mut replacements = vec![
            ("name", adopted.name.clone().map(Value::Str)),
            ("description", adopted.description.clone().map(Value::Str)),
            ("tags", tags.clone()),
        ];
        if id.kind() == Kind::LaunchTemplate {
            replacements.push(("instance_tags", instance_tags.or(tags)));
        } else if instance_tags.is_some() {
            replacements.push(("instance_tags", instance_tags));
        }
        for (attribute, value) in replacements {
            let Some(value) = value else { continue };
            match attrs.get_mut(attribute) {
                Some(slot) => *slot = value,
                None => self.adopted_unfit.push((key.clone(), attribute)),
            }
        }
    }

    fn tags_for(&self, id: &ResourceId, extra_tags: &[(&str, &str)]) -> BTreeMap<String, Value> {
        let mut tags: BTreeMap<String, Value> = self
            .user_tags
            .iter()
            .map(|(key, value)| (key.clone(), Value::str(value.clone())))
            .collect();
        // `Name` is for people (nothing reads it back): a long one is cut to fit a tag value.
        let made_as = self.made_as_id(id);
        let display_name = format!(
            "{}-{}",
            self.set.blueprint,
            made_as.name().replace('.', "-")
        );
        tags.insert(
            "Name".to_string(),
            Value::str(bounded_name(&display_name, MAX_TAG_VALUE_LEN)),
        );
        for (key, value) in extra_tags {
            tags.insert(key.to_string(), Value::str(*value));
        }
        tags.insert(
            TAG_BLUEPRINT.to_string(),
            Value::str(self.set.blueprint.clone()),
        );
        tags.insert(TAG_RESOURCE.to_string(), Value::str(made_as.to_string()));
        tags
    }
}

/// Routes, route-table associations, IAM role policies and the ECR registry's scanning
/// configuration (an account setting) are not taggable; they are found
/// through their (tagged) parent instead.
fn kind_takes_tags(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::Route
            | Kind::RouteTableAssociation
            | Kind::IamRolePolicyAttachment
            | Kind::IamRolePolicy
            | Kind::EcrRegistryScanning
    )
}

#[cfg(test)]
mod moved_tests {
    use crate::blueprint::load_str;
    use crate::blueprint::templates::HARDENED;
    use crate::resources::{expand, DesiredSet, Placement, ResourceId, Value};

    const ACCOUNT: &str = "\n[[irsa.service_accounts]]\nnamespace = \"apps\"\nname = \"NAME\"\nmanaged_policies = [\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]\n";

    fn expanded(group: &str, account: &str, moved: &str) -> DesiredSet {
        let text = HARDENED.replacen("name = \"system\"", &format!("name = \"{group}\""), 1)
            + &ACCOUNT.replace("NAME", account)
            + moved;
        let loaded = load_str("hardened.toml", &text, &[]).expect("valid");
        expand(&loaded.model, &Placement::example(3)).expect("expands")
    }

    fn attr(set: &DesiredSet, id: &str, attribute: &str) -> Value {
        let id = ResourceId::parse(id).expect("an id");
        set.get(&id)
            .and_then(|resource| resource.attrs.get(attribute))
            .unwrap_or_else(|| panic!("{id}.{attribute}"))
            .clone()
    }

    #[test]
    fn a_renamed_node_group_and_service_account_keep_their_aws_names_and_tags() {
        let before = expanded("system", "reader", "");
        let after = expanded(
            "general",
            "writer",
            "\n[[moved]]\nfrom = \"eks_node_group.system\"\nto = \"eks_node_group.general\"\n\n[[moved]]\nfrom = \"iam_role.irsa.apps.reader\"\nto = \"iam_role.irsa.apps.writer\"\n",
        );
        for (old, new, attribute) in [
            ("eks_node_group.system", "eks_node_group.general", "name"),
            ("eks_node_group.system", "eks_node_group.general", "tags"),
            // Carried by the node group's entry.
            ("launch_template.system", "launch_template.general", "name"),
            ("launch_template.system", "launch_template.general", "tags"),
            (
                "iam_role.irsa.apps.reader",
                "iam_role.irsa.apps.writer",
                "name",
            ),
            (
                "iam_role.irsa.apps.reader",
                "iam_role.irsa.apps.writer",
                "tags",
            ),
        ] {
            assert!(attr(&before, old, "name").as_str().is_some(), "{old}");
            assert_eq!(
                attr(&before, old, attribute),
                attr(&after, new, attribute),
                "{new}.{attribute}"
            );
        }
        // The role now trusts the renamed service account: an in-place IAM update.
        let trust =
            |set: &DesiredSet, id: &str| format!("{:?}", attr(set, id, "assume_role_policy"));
        assert!(trust(&after, "iam_role.irsa.apps.writer")
            .contains("system:serviceaccount:apps:writer"));
        assert!(after
            .get(
                &ResourceId::parse(
                    "iam_role_policy_attachment.irsa.apps.writer.AmazonS3ReadOnlyAccess"
                )
                .unwrap()
            )
            .is_some());
    }
}

#[cfg(test)]
mod adopted_tests {
    use crate::blueprint::load_str;
    use crate::blueprint::templates::HARDENED;
    use crate::resources::{expand, ExpandError, Placement, ResourceId, Value};

    fn expanded(adopted: &str) -> Result<crate::resources::DesiredSet, ExpandError> {
        let loaded = load_str("hardened.toml", &format!("{HARDENED}\n{adopted}"), &[])
            .unwrap_or_else(|error| panic!("{error:?}"));
        expand(&loaded.model, &Placement::example(3))
    }

    fn attr(set: &crate::resources::DesiredSet, id: &str, attribute: &str) -> Value {
        set.get(&ResourceId::parse(id).expect("id"))
            .and_then(|resource| resource.attrs.get(attribute))
            .cloned()
            .unwrap_or_else(|| panic!("{id}.{attribute}"))
    }

    #[test]
    fn an_adopted_resource_keeps_its_name_description_and_exact_tags() {
        let set = expanded(
            "[adopted.\"security_group.node\"]\nname = \"legacy-nodes\"\ndescription = \"Communication between all nodes in the cluster\"\ntags = { owner = \"platform\" }\n\n[adopted.\"launch_template.system\"]\ntags = { Name = \"legacy/lt\" }\n",
        )
        .expect("expands");
        assert_eq!(
            attr(&set, "security_group.node", "name"),
            Value::str("legacy-nodes")
        );
        assert_eq!(
            attr(&set, "security_group.node", "description"),
            Value::str("Communication between all nodes in the cluster")
        );
        let tags = Value::Map([("owner".to_string(), Value::str("platform"))].into());
        assert_eq!(attr(&set, "security_group.node", "tags"), tags);
        let template_tags = Value::Map([("Name".to_string(), Value::str("legacy/lt"))].into());
        assert_eq!(attr(&set, "launch_template.system", "tags"), template_tags);
        assert_eq!(
            attr(&set, "launch_template.system", "instance_tags"),
            template_tags
        );
        // Everything else is derived as usual.
        assert!(
            format!("{:?}", attr(&set, "security_group.cluster", "tags"))
                .contains("eksforge:resource")
        );
    }

    #[test]
    fn an_entry_that_fits_nothing_is_refused_before_any_call() {
        let error = expanded(
            "[adopted.\"iam_role.gone\"]\nname = \"x\"\n\n[adopted.\"subnet.private.eu-west-1a\"]\ndescription = \"x\"\n",
        )
        .expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("adopted.\"iam_role.gone\" (no resource of this id)"),
            "{text}"
        );
        assert!(
            text.contains("adopted.\"subnet.private.eu-west-1a\".description (the resource has no description)"),
            "{text}"
        );
    }
}
