//! Keys that describe something eksforge does not build yet. A key either changes what `apply`
//! makes or is refused here: the posture checks read the desired model of what apply builds,
//! so a declaration alone must never earn a pass.

use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

/// A written key eksforge does not build, what it would have promised, and how the part it
/// describes is judged instead.
struct NotBuilt {
    key: &'static str,
    promise: &'static str,
    instead: &'static str,
}

const NOT_BUILT: &[NotBuilt] = &[
    NotBuilt {
        key: "detection",
        promise: "GuardDuty detection",
        instead: "`eksforge audit --cluster NAME` judges the account's GuardDuty (EKS-DET-001…003)",
    },
    NotBuilt {
        key: "registry",
        promise: "ECR repositories and registry scanning",
        instead:
            "`eksforge audit --cluster NAME` judges the registry that exists (EKS-IMG-001…007)",
    },
];

impl Checker<'_> {
    /// Every written section of [`NOT_BUILT`].
    pub(super) fn not_built(&mut self, _model: &Blueprint) {
        for section in NOT_BUILT {
            if self.loaded.locate_span(section.key).is_some() {
                self.report(
                    POSTURE_KEY,
                    section.key,
                    format!(
                        "[{}] is not built by eksforge yet: it would declare {} that apply does not make",
                        section.key, section.promise
                    ),
                    "not supported yet",
                    format!("remove the section; {}", section.instead),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::blueprint::load_str;

    const BASE: &str = "[blueprint]\nname = \"declared\"\n[network]\nvpc_cidr = \"10.0.0.0/16\"\n";

    fn refusals(extra: &str) -> Vec<(String, Option<usize>)> {
        let text = format!("{BASE}{extra}");
        let error = load_str("declared.toml", &text, &[]).expect_err("refused");
        error
            .problems()
            .iter()
            .map(|problem| {
                let line = problem.location().map(|location| location.line);
                (problem.message().to_string(), line)
            })
            .collect()
    }

    /// Each section eksforge does not build is refused where it was written, never credited.
    #[test]
    fn sections_eksforge_does_not_build_are_refused_at_their_line() {
        let found = refusals("[detection]\nguardduty = true\n[registry]\nscan = \"enhanced\"\n");
        assert_eq!(
            found,
            [
                (
                    "[detection] is not built by eksforge yet: it would declare GuardDuty detection that apply does not make".to_string(),
                    Some(5)
                ),
                (
                    "[registry] is not built by eksforge yet: it would declare ECR repositories and registry scanning that apply does not make".to_string(),
                    Some(7)
                ),
            ]
        );
    }

    #[test]
    fn a_blueprint_without_them_loads() {
        assert!(load_str("declared.toml", BASE, &[]).is_ok());
    }
}
