//! `[[waivers]]`: check, reason and expiry of each accepted finding.

use super::formats::is_date;
use super::Checker;
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    pub(super) fn waivers(&mut self, model: &Blueprint) {
        for (i, waiver) in model.waivers.iter().enumerate() {
            let at = |key: &str| format!("waivers[{i}].{key}");
            if waiver.check.trim().is_empty() {
                self.report(
                    "eksforge::blueprint::waiver_check",
                    &at("check"),
                    "a waiver must name the check it waives".to_string(),
                    "empty",
                    "set check to a posture check id, e.g. \"EKS-NET-002\"".to_string(),
                );
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
    }
}
