//! The rules a blueprint must follow, checked offline before any AWS call. Every broken rule is
//! a [`Problem`] at the key or value that breaks it, with a help naming the fix; all are
//! reported at once, in the order [`validate`] runs the areas (one file each).
//!
//! The limits the rules check live in `super::limits`, shared with the JSON schema.

mod access;
mod addons;
mod adopted;
mod audit;
mod cluster;
mod detection;
mod encryption;
mod formats;
mod irsa;
mod logging;
mod meta;
mod moved;
mod network;
mod nodes;
mod pod_identity;
mod registry;
mod security_rules;
mod service_accounts;
mod suggest;
mod tags;
mod user_data;

use std::ops::Range;

use super::error::Problem;
use super::loader::LoadedBlueprint;
use super::model::Blueprint;
use super::source::SourceId;

pub use formats::parse_key_policy_statements;

/// The code of every problem with a key the posture checks read (docs/blueprint.md marks them).
const POSTURE_KEY: &str = "eksforge::blueprint::posture_key";

/// Every rule `loaded` breaks (empty when it is valid). `check_ids`, when given, are the
/// posture catalog's ids, which a waiver's `check` must be one of.
pub fn validate(loaded: &LoadedBlueprint, check_ids: Option<&[&str]>) -> Vec<Problem> {
    let mut checker = Checker {
        loaded,
        check_ids,
        problems: Vec::new(),
    };
    let model = &loaded.model;
    checker.meta(model);
    checker.state(model);
    checker.network(model);
    checker.cluster(model);
    checker.encryption(model);
    checker.node_groups(model);
    checker.irsa(model);
    checker.addons(model);
    checker.pod_identity(model);
    checker.posture_keys(model);
    checker.waivers(model);
    checker.moved(model);
    checker.adopted(model);
    checker.problems
}

impl Checker<'_> {
    /// The keys the posture checks read (the † keys of `docs/checks.md`), in the order they were always
    /// reported.
    fn posture_keys(&mut self, model: &Blueprint) {
        self.flow_logs(model);
        self.detection(model);
        self.endpoints(model);
        self.cluster_identity(model);
        self.key_policy_keys(model);
        self.node_posture_keys(model);
        self.security_rules(model);
        self.inline_policies(model);
        self.access_entries(model);
        self.registry(model);
    }
}

pub(super) struct Checker<'a> {
    loaded: &'a LoadedBlueprint,
    /// The posture catalog's check ids (`None`: waivers' ids are not checked).
    check_ids: Option<&'a [&'a str]>,
    problems: Vec<Problem>,
}

/// What a problem is about: a value (`network.vpc_cidr`) or a key (`blueprint.tags."aws:x"`).
pub(super) enum Target<'p> {
    Value(&'p str),
    Key(&'p str),
}

impl Checker<'_> {
    /// Where `target` was written; a default (not written) falls back to the nearest enclosing
    /// section that was, then to the top of the file.
    fn place(&self, target: &Target<'_>) -> Option<(SourceId, Range<usize>)> {
        let (mut path, key) = match target {
            Target::Value(p) => (*p, false),
            Target::Key(p) => (*p, true),
        };
        if key {
            if let Some(found) = self.loaded.locate_key(path) {
                return Some(found);
            }
        }
        loop {
            if let Some(found) = self.loaded.locate_span(path) {
                return Some(found);
            }
            match path.rfind(['.', '[']) {
                Some(i) => path = &path[..i],
                None => return Some((self.loaded.root.src, 0..0)),
            }
        }
    }

    pub(super) fn problem(
        &self,
        code: &'static str,
        target: Target<'_>,
        message: String,
        label: &str,
        help: String,
    ) -> Problem {
        let problem = Problem::new(code, message);
        let problem = match self.place(&target) {
            Some((src, span)) => problem.at(&self.loaded.sources, src, span, label),
            None => problem,
        };
        problem.with_help(help)
    }

    pub(super) fn report(
        &mut self,
        code: &'static str,
        path: &str,
        message: String,
        label: &str,
        help: String,
    ) {
        let problem = self.problem(code, Target::Value(path), message, label, help);
        self.problems.push(problem);
    }

    /// A problem at `path` that also points at `other` (the first of a duplicate, the other
    /// side of a comparison), as a second label when both are in the same file, else in the help.
    pub(super) fn report_pair(
        &mut self,
        code: &'static str,
        (path, label): (&str, &str),
        (other, other_label): (&str, &str),
        message: String,
        help: String,
    ) {
        let here = self.place(&Target::Value(path));
        let there = self.place(&Target::Value(other));
        let problem = Problem::new(code, message);
        let problem = match (here, there) {
            (Some((src, span)), Some((other_src, other_span))) if src == other_src => problem
                .at(&self.loaded.sources, src, span, label)
                .at(&self.loaded.sources, src, other_span, other_label)
                .with_help(help),
            (Some((src, span)), there) => {
                let problem = problem.at(&self.loaded.sources, src, span, label);
                match there {
                    Some((other_src, other_span)) => {
                        let at = self.loaded.sources.location(other_src, other_span);
                        problem.with_help(format!("{help} ({other_label}: {at})"))
                    }
                    None => problem.with_help(help),
                }
            }
            (None, _) => problem.with_help(help),
        };
        self.problems.push(problem);
    }
}

/// Each problem's message and line when `text` loads as `file` (none when it loads): what the
/// areas' tests compare.
#[cfg(test)]
pub(super) fn problems_and_lines(file: &str, text: &str) -> Vec<(String, Option<usize>)> {
    match crate::blueprint::load_str(file, text, &[]) {
        Ok(_) => Vec::new(),
        Err(error) => error
            .problems()
            .iter()
            .map(|problem| {
                let line = problem.location().map(|location| location.line);
                (problem.message().to_string(), line)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;

    /// Sections that configure the cluster are refused, at their line, when there is none:
    /// eksforge would make the network only and ignore them.
    #[test]
    fn cluster_sections_without_a_cluster_are_refused() {
        let text = "[blueprint]\nname = \"net\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[irsa]\noidc_provider = true\n[[node_groups]]\nname = \"a\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 1\ndesired_size = 1\n";
        let error = load_str("net.toml", text, &[]).expect_err("refused");
        let found: Vec<(String, Option<usize>)> = error
            .problems()
            .iter()
            .map(|p| (p.message().to_string(), p.location().map(|l| l.line)))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "[[node_groups]] without a [cluster]: eksforge makes the network only and would ignore it".to_string(),
                    Some(7)
                ),
                (
                    "[irsa] without a [cluster]: eksforge makes the network only and would ignore it".to_string(),
                    Some(5)
                ),
            ]
        );
    }

    /// EKS takes node group sizes as 32-bit signed integers: a larger one is refused, not
    /// dropped from the request.
    #[test]
    fn node_group_sizes_beyond_what_eks_takes_are_refused() {
        let text = "[blueprint]\nname = \"big\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n[[node_groups]]\nname = \"a\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 4294967295\ndesired_size = 1\n";
        let error = load_str("big.toml", text, &[]).expect_err("refused");
        assert_eq!(
            error.problems()[0].message(),
            "max_size = 4294967295 is more than EKS takes (2147483647)"
        );
        assert_eq!(error.problems()[0].location().map(|l| l.line), Some(10));
    }

    /// The messages that print a limit read it from `limits.rs`; their text stays as it was.
    #[test]
    fn messages_print_the_limits() {
        let text = r#"
[blueprint]
name = "limits"
[network]
vpc_cidr = "10.0.0.0/12"
azs = 7
[cluster]
[encryption]
deletion_window_days = 3
[[node_groups]]
name = "a"
instance_types = ["m6i.large"]
min_size = 1
max_size = 1
desired_size = 1
disk_size = 2
max_unavailable = 0
imds_hop_limit = 65
[[security_rules]]
group = "node"
protocol = "tcp"
from_port = 70000
to_port = 1
cidrs = ["10.0.0.0/8"]
description = "x"
"#;
        let error = load_str("limits.toml", text, &[]).expect_err("invalid");
        let messages: Vec<String> = error
            .problems()
            .iter()
            .map(|problem| problem.message().to_string())
            .collect();
        assert_eq!(
            messages,
            [
                "vpc_cidr \"10.0.0.0/12\" is a /12; eksforge needs a /16 to /24",
                "azs = 7: a cluster needs 2 to 6 availability zones",
                "deletion_window_days = 3 is outside KMS's 7 to 30 days",
                "disk_size = 2 GiB is outside 4 to 16384",
                "max_unavailable = 0 is outside 1 to 100",
                "imds_hop_limit = 65 is outside EC2's 1 to 64",
                "from_port and to_port must both be set, 0 to 65535, from ≤ to",
            ]
        );
    }
}
