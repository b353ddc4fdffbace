//! `node_groups[].user_data`: the rules of `blueprint::bottlerocket_settings`, each broken one
//! reported at the line of the blueprint that breaks it.

use std::ops::Range;

use super::{Checker, POSTURE_KEY};
use crate::blueprint::bottlerocket_settings::check_fragment;
use crate::blueprint::source::SourceId;

impl Checker<'_> {
    /// Every rule the `user_data` of node group `index` breaks.
    pub(super) fn user_data(&mut self, index: usize, fragment: &str) {
        let key = format!("node_groups[{index}].user_data");
        let problems = check_fragment(fragment);
        if problems.is_empty() {
            return;
        }
        let origin = self.fragment_origin(&key, fragment);
        for found in problems {
            let problem = crate::blueprint::error::Problem::new(POSTURE_KEY, found.message(&key));
            let problem = match (&origin, self.place(&super::Target::Value(&key))) {
                // Inside a string written as is: the fragment's own line.
                (Some((src, start)), _) => {
                    let span = start + found.span.start..start + found.span.end;
                    problem.at(&self.loaded.sources, *src, span, found.label())
                }
                (None, Some((src, span))) => {
                    problem.at(&self.loaded.sources, src, span, found.label())
                }
                (None, None) => problem,
            };
            self.problems.push(problem.with_help(found.help()));
        }
    }

    /// Where the fragment's first byte is in its source, when the string holds the fragment
    /// byte for byte (a literal string, or a basic one without escapes); `None` otherwise.
    fn fragment_origin(&self, key: &str, fragment: &str) -> Option<(SourceId, usize)> {
        let (src, span) = self.loaded.locate_span(key)?;
        let text = &self.loaded.sources.get(src).text;
        let written = text.get(span.clone())?;
        let body = string_body(written)?;
        (written.get(body.clone())? == fragment).then_some((src, span.start + body.start))
    }
}

/// The bytes between a TOML string's delimiters, without the newline a multi-line string may
/// open with.
fn string_body(written: &str) -> Option<Range<usize>> {
    let delimiter = ["'''", "\"\"\"", "'", "\""]
        .into_iter()
        .find(|delimiter| written.starts_with(delimiter) && written.len() >= 2 * delimiter.len())?;
    let mut start = delimiter.len();
    let end = written.len() - delimiter.len();
    if delimiter.len() == 3 {
        if written[start..].starts_with("\r\n") {
            start += 2;
        } else if written[start..].starts_with('\n') {
            start += 1;
        }
    }
    (start <= end).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;

    const HEAD: &str = "[blueprint]\nname = \"nodes\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n[cluster]\n[[node_groups]]\nname = \"system\"\ninstance_types = [\"m6i.large\"]\nmin_size = 1\nmax_size = 2\ndesired_size = 1\n";

    /// Each problem as `file:line:column: message` and its help, in the order reported.
    fn refusals(user_data: &str) -> Vec<(String, String)> {
        let text = format!("{HEAD}user_data = {user_data}\n");
        let error = load_str("nodes.toml", &text, &[]).expect_err("refused");
        error
            .problems()
            .iter()
            .map(|problem| {
                let at = problem
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column))
                    .unwrap_or_default();
                (
                    format!("{at}: {}", problem.message()),
                    problem.help_text().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    fn loads(user_data: &str) -> bool {
        load_str(
            "nodes.toml",
            &format!("{HEAD}user_data = {user_data}\n"),
            &[],
        )
        .is_ok()
    }

    #[test]
    fn a_bare_key_before_any_table_is_outside_settings() {
        // Appended as text, `enabled` used to land in [settings.host-containers.control].
        insta::assert_debug_snapshot!(refusals(
            "'''\nenabled = true\nsuperpowered = true\n[settings.kernel]\nlockdown = \"integrity\"\n'''"
        ));
    }

    #[test]
    fn host_and_bootstrap_containers_are_refused_however_written() {
        insta::assert_debug_snapshot!(refusals(
            "'''\n[settings]\nbootstrap-containers.setup = { source = \"example.com/setup:1\", mode = \"always\" }\n\"host-containers\".mine = { enabled = true, superpowered = true }\n[settings.kernel]\nlockdown = \"none\"\n'''"
        ));
    }

    #[test]
    fn other_top_level_tables_and_eksforge_s_own_keys_are_refused() {
        insta::assert_debug_snapshot!(refusals(
            "'''\n[kubernetes]\nmax-pods = 10\n[settings.kubernetes.node-labels]\n\"team\" = \"x\"\n[settings.kubernetes]\nnode-taints = { dedicated = [\"x:NoSchedule\"] }\n'''"
        ));
    }

    #[test]
    fn a_basic_string_with_escapes_is_reported_at_its_key() {
        let found = refusals("\"[settings.host-containers.admin]\\nenabled = true\\n\"");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].0.starts_with(
                "nodes.toml:12:13: node_groups[0].user_data sets `settings.host-containers`"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_fragment_written_inline_is_reported_inside_the_string() {
        let found = refusals("'[settings.host-containers.admin]'");
        assert_eq!(found.len(), 1, "{found:?}");
        // `user_data = '` is 13 characters; `host-containers` starts 10 into the fragment.
        assert!(found[0].0.starts_with("nodes.toml:12:24: "), "{found:?}");
    }

    #[test]
    fn benign_settings_load() {
        assert!(loads(
            "'''\n[settings.kernel.sysctl]\n\"net.core.somaxconn\" = \"1024\"\n[settings.kubernetes]\nmax-pods = 50\n'''"
        ));
        assert!(loads("'''\n# nothing yet\n'''"));
        assert!(loads(
            "\"[settings.kernel]\\nlockdown = \\\"integrity\\\"\""
        ));
    }
}
