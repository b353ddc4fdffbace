use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::blueprint::limits::{
    MAX_EKSFORGE_TAGS, MAX_NAME_LEN, MAX_NODE_GROUP_NAME_LEN, MAX_SERVICE_ACCOUNT_PATH_LEN,
};
use crate::blueprint::load_str;
use crate::resources::{expand, Placement, ResourceId};

/// A blueprint with `extra` after a cluster section, every key at its longest where `long`.
fn blueprint(name: &str, tags: &str, extra: &str) -> String {
    format!(
        "[blueprint]\nname = \"{name}\"\n[blueprint.tags]\n{tags}\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n{extra}"
    )
}

/// Loads (validating) and expands; `Err` carries validation's or the expansion's message.
fn expanded(text: &str) -> Result<DesiredSet, String> {
    let loaded = load_str("limits.toml", text, &[]).map_err(|error| format!("{error:?}"))?;
    expand(&loaded.model, &Placement::example(3)).map_err(|error| error.to_string())
}

/// A valid DNS subdomain of `length` characters: labels of at most 63 letters between dots.
fn dns_subdomain(length: usize) -> String {
    (0..length)
        .map(|i| {
            if i % 64 == 63 && i + 1 < length {
                '.'
            } else {
                'a'
            }
        })
        .collect()
}

/// The longest of every input eksforge derives names and tags from.
fn longest_inputs(namespace_len: usize, account_len: usize) -> String {
    let name = "b".repeat(MAX_NAME_LEN);
    let room = crate::blueprint::limits::MAX_TAGS_PER_RESOURCE - MAX_EKSFORGE_TAGS;
    let tags: String = (0..room)
        .map(|index| {
            let key = format!("{index:03}{}", "k".repeat(124));
            format!("\"{key}\" = \"{}\"\n", "v".repeat(256))
        })
        .collect();
    let group = "g".repeat(MAX_NODE_GROUP_NAME_LEN);
    let namespace = "n".repeat(namespace_len);
    let other_namespace = "m".repeat(namespace_len);
    let account = dns_subdomain(account_len);
    blueprint(
        &name,
        &tags,
        &format!(
            "[[node_groups]]\nname = \"{group}\"\ninstance_types = [\"m7i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n\
             [[pod_identity]]\nnamespace = \"{namespace}\"\nservice_account = \"{account}\"\n\
             managed_policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n\
             [[irsa.service_accounts]]\nnamespace = \"{other_namespace}\"\nname = \"{account}\"\n\
             managed_policies = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n\
             [[security_rules]]\ngroup = \"node\"\nprotocol = \"tcp\"\nfrom_port = 443\nto_port = 443\n\
             cidrs = [\"10.0.0.0/8\"]\ndescription = \"{}\"\n",
            "d".repeat(255)
        ),
    )
}

#[test]
fn the_longest_inputs_validation_accepts_fit_every_aws_limit() {
    let account = MAX_SERVICE_ACCOUNT_PATH_LEN - 63 - 1;
    let set = expanded(&longest_inputs(63, account)).expect("valid and within AWS's limits");
    assert!(problems(&set).is_empty());
}

#[test]
fn one_character_more_is_refused_by_validation_not_by_aws() {
    let account = MAX_SERVICE_ACCOUNT_PATH_LEN - 63;
    let error = expanded(&longest_inputs(63, account)).expect_err("too long");
    assert!(
        error.contains("eksforge::blueprint::service_account"),
        "{error}"
    );
    assert!(error.contains("eksforge:resource"), "{error}");
}

#[test]
fn eksforge_adds_at_most_its_counted_tags_and_some_resource_reaches_that() {
    let text = blueprint("shop", "team = \"a\"", "[[node_groups]]\nname = \"g\"\ninstance_types = [\"m7i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n");
    let set = expanded(&text).expect("valid");
    let own_counts: BTreeSet<usize> = set
        .resources
        .values()
        .filter_map(|resource| resource.attrs.get("tags")?.as_map())
        .map(|tags| tags.keys().filter(|key| *key != "team").count())
        .collect();
    assert_eq!(
        own_counts.last(),
        Some(&MAX_EKSFORGE_TAGS),
        "{own_counts:?}"
    );
}

fn resource(kind: Kind, name: &str, attrs: Vec<(&str, Value)>) -> Resource {
    Resource {
        id: ResourceId::new(kind, name),
        attrs: attrs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
        depends_on: Default::default(),
        managed_elsewhere: Default::default(),
    }
}

fn set_of(resources: Vec<Resource>) -> DesiredSet {
    let mut set = DesiredSet {
        blueprint: "t".to_string(),
        resources: Default::default(),
    };
    for resource in resources {
        set.insert(resource);
    }
    set
}

fn tags(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .map(|(key, value)| (key, Value::str(value)))
            .collect(),
    )
}

#[test]
fn the_backstop_names_each_resource_and_attribute_aws_would_refuse() {
    let many = tags((0..51).map(|i| (format!("k{i}"), "v".to_string())));
    let control = tags([("team".to_string(), "a\nb".to_string())]);
    let long_key = tags([("k".repeat(128), String::new())]);
    let set = set_of(vec![
        resource(Kind::Vpc, "main", vec![("tags", many)]),
        resource(Kind::Subnet, "a", vec![("tags", control)]),
        resource(Kind::KmsKey, "k", vec![("tags", long_key)]),
        resource(
            Kind::IamRole,
            "r",
            vec![("name", Value::str("r".repeat(65)))],
        ),
        resource(Kind::IamRole, "s", vec![("name", Value::str("a/b"))]),
        resource(
            Kind::EksCluster,
            "main",
            vec![("name", Value::str("x".repeat(101)))],
        ),
        resource(
            Kind::SecurityGroupRule,
            "x",
            vec![("description", Value::str("it's"))],
        ),
        // Another resource's output is resolved at apply: nothing to check here.
        resource(
            Kind::LogGroup,
            "l",
            vec![("name", ResourceId::new(Kind::Vpc, "main").output("id"))],
        ),
    ]);
    let found: Vec<String> = problems(&set).iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(found.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever namespace and service account lengths validation accepts, the expansion
    /// fits AWS's limits; whatever it would not fit, validation refuses first.
    #[test]
    fn validation_and_the_backstop_agree_on_service_account_names(
        namespace_len in 1usize..=63,
        account_len in 1usize..=253,
    ) {
        let text = longest_inputs(namespace_len, account_len);
        match expanded(&text) {
            Ok(set) => prop_assert!(problems(&set).is_empty()),
            Err(error) => prop_assert!(
                error.contains("eksforge::blueprint::service_account"),
                "refused by something other than validation: {}", error
            ),
        }
    }
}
