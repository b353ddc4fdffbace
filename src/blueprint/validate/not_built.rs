//! Keys that describe something eksforge does not build yet. A key either changes what `apply`
//! makes or is refused here: the posture checks read the desired model of what apply builds,
//! so a declaration alone must never earn a pass.

use super::{Checker, POSTURE_KEY};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    /// VPC endpoints when any are listed.
    pub(super) fn not_built(&mut self, model: &Blueprint) {
        if !model.network.endpoints.is_empty() {
            self.report(
                POSTURE_KEY,
                "network.endpoints",
                "network.endpoints is not built by eksforge yet: no VPC endpoint is created from it"
                    .to_string(),
                "not supported yet",
                "remove the key and keep a NAT gateway (`network.nat`) until eksforge creates VPC endpoints: NAT-less nodes need both (EKS-NET-009)".to_string(),
            );
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

    /// Keys eksforge does not build are refused where they were written, never credited.
    #[test]
    fn keys_eksforge_does_not_build_are_refused_at_their_line() {
        let found = refusals("endpoints = [\"s3\"]\n");
        assert_eq!(
            found,
            [(
                "network.endpoints is not built by eksforge yet: no VPC endpoint is created from it".to_string(),
                Some(5)
            )]
        );
    }

    #[test]
    fn a_blueprint_without_them_loads() {
        assert!(load_str("declared.toml", BASE, &[]).is_ok());
    }
}
