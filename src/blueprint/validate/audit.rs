//! `[[waivers]]` (check, reason and expiry of each accepted finding) and `[audit] fail_on`.

use super::formats::is_date;
use super::suggest::{did_you_mean_or, quoted};
use super::Checker;
use crate::blueprint::limits::{FAIL_ON_SEVERITIES, INSIGHT_WAIVER_PREFIX};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn waivers(&mut self, model: &Blueprint) {
        for (i, waiver) in model.waivers.iter().enumerate() {
            let at = |key: &str| format!("waivers[{i}].{key}");
            let check = waiver.check.trim();
            if check.is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_check",
                    &at("check"),
                    "a waiver must name the check it waives".to_string(),
                    "empty",
                    "set check to a posture check id, e.g. \"EKS-NET-002\"".to_string(),
                );
            } else {
                self.waiver_check_id(&at("check"), check);
            }
            if waiver.reason.trim().is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_reason",
                    &at("reason"),
                    format!("the waiver of {} has no reason", waiver.check),
                    "empty reason",
                    "say why the risk is accepted, e.g. reason = \"office egress needs the public endpoint until the VPN lands\"".to_string(),
                );
            }
            if let Some(expires) = &waiver.expires {
                if !is_date(expires) {
                    self.report(
                        "eksforge::blueprint::waiver_expires",
                        &at("expires"),
                        format!("expires \"{expires}\" is not a date (YYYY-MM-DD)"),
                        "not YYYY-MM-DD",
                        "write a calendar date, e.g. expires = 2026-12-31".to_string(),
                    );
                }
            }
        }
        self.fail_on(model);
    }

    /// A waiver's check must be a catalog id exactly as written there (upper case): a typo or
    /// another case would waive nothing, silently.
    fn waiver_check_id(&mut self, path: &str, check: &str) {
        if let Some(insight) = check.strip_prefix(INSIGHT_WAIVER_PREFIX) {
            if insight.trim().is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_check",
                    path,
                    "an insight waiver must name the EKS upgrade insight it accepts".to_string(),
                    "no insight name",
                    format!("write the insight's name as the plan shows it, e.g. \"{INSIGHT_WAIVER_PREFIX}Deprecated APIs removed in Kubernetes v1.33\""),
                );
            }
            return;
        }
        let Some(ids) = self.check_ids else {
            return;
        };
        if ids.contains(&check) {
            return;
        }
        let other_case = ids.iter().any(|id| id.eq_ignore_ascii_case(check));
        let (message, label) = if other_case {
            (
                format!("the waiver names check {check}: check ids are written in upper case"),
                "not upper case",
            )
        } else {
            (
                format!("the waiver names check {check}, which is not in the posture catalog"),
                "unknown check id",
            )
        };
        let help = did_you_mean_or(check, ids.iter().copied(), || {
            "use an id of the posture catalog (`docs/checks.md`), e.g. \"EKS-NET-002\"".to_string()
        });
        self.report(
            "eksforge::blueprint::waiver_unknown_check",
            path,
            message,
            label,
            help,
        );
    }

    /// `[audit] fail_on`: a severity, in any case (as `--fail-on` takes it).
    fn fail_on(&mut self, model: &Blueprint) {
        let Some(audit) = &model.audit else {
            return;
        };
        let fail_on = audit.fail_on.as_str();
        if FAIL_ON_SEVERITIES
            .iter()
            .any(|severity| severity.eq_ignore_ascii_case(fail_on))
        {
            return;
        }
        let help = did_you_mean_or(fail_on, FAIL_ON_SEVERITIES, || {
            format!("use one of {}", quoted(&FAIL_ON_SEVERITIES))
        });
        self.report(
            "eksforge::blueprint::audit_fail_on",
            "audit.fail_on",
            format!("fail_on = \"{fail_on}\" is not a severity"),
            "not a severity",
            help,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str_against;

    const IDS: [&str; 3] = ["EKS-NET-002", "EKS-NET-008", "EKS-LOG-001"];

    const HEAD: &str = "[blueprint]\nname = \"w\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";

    fn problems(waivers: &str) -> Vec<(String, String, usize)> {
        let text = format!("{HEAD}{waivers}");
        match load_str_against("w.toml", &text, &[], Some(&IDS)) {
            Ok(_) => Vec::new(),
            Err(error) => error
                .problems()
                .iter()
                .map(|p| {
                    (
                        p.message().to_string(),
                        p.help_text().unwrap_or_default().to_string(),
                        p.location().map_or(0, |l| l.line),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn an_id_in_another_case_is_refused_with_the_catalog_spelling() {
        let found = problems("[[waivers]]\ncheck = \"eks-net-008\"\nreason = \"x\"\n");
        assert_eq!(
            found,
            [(
                "the waiver names check eks-net-008: check ids are written in upper case"
                    .to_string(),
                "did you mean \"EKS-NET-008\"?".to_string(),
                6
            )]
        );
    }

    #[test]
    fn a_mistyped_id_gets_the_nearest_catalog_id() {
        let found = problems("[[waivers]]\ncheck = \"EKS-NTE-008\"\nreason = \"x\"\n");
        assert_eq!(found[0].1, "did you mean \"EKS-NET-008\"?");
        let found = problems("[[waivers]]\ncheck = \"EKS-LOG-01\"\nreason = \"x\"\n");
        assert_eq!(found[0].1, "did you mean \"EKS-LOG-001\"?");
        let found = problems("[[waivers]]\ncheck = \"no such thing at all\"\nreason = \"x\"\n");
        assert!(found[0].1.contains("docs/checks.md"), "{found:?}");
    }

    /// Every bad waiver is reported, whatever is wrong with each: an empty reason no longer
    /// hides an unknown id in the next waiver, nor a bad `fail_on`.
    #[test]
    fn every_bad_waiver_is_reported_at_once() {
        let found = problems(
            "[[waivers]]\ncheck = \"EKS-NET-099\"\nreason = \"\"\n\n[[waivers]]\ncheck = \"eks-net-002\"\nreason = \"x\"\nexpires = \"soon\"\n\n[audit]\nfail_on = \"hihg\"\n",
        );
        let lines: Vec<(usize, &str)> = found
            .iter()
            .map(|(message, _, line)| (*line, message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    6,
                    "the waiver names check EKS-NET-099, which is not in the posture catalog"
                ),
                (7, "the waiver of EKS-NET-099 has no reason"),
                (
                    10,
                    "the waiver names check eks-net-002: check ids are written in upper case"
                ),
                (12, "expires \"soon\" is not a date (YYYY-MM-DD)"),
                (15, "fail_on = \"hihg\" is not a severity"),
            ]
        );
        assert_eq!(found[4].1, "did you mean \"high\"?");
    }

    #[test]
    fn catalog_ids_and_any_case_of_fail_on_pass_and_plain_load_skips_the_catalog() {
        assert!(problems(
            "[[waivers]]\ncheck = \"EKS-NET-008\"\nreason = \"x\"\n[audit]\nfail_on = \"Critical\"\n"
        )
        .is_empty());
        let text = format!("{HEAD}[[waivers]]\ncheck = \"ANY-001\"\nreason = \"x\"\n");
        assert!(crate::blueprint::load_str("w.toml", &text, &[]).is_ok());
    }
}
