//! `upgrade --check`: the readiness report as text.

use std::fmt::Write;

use crate::plan::readiness::Readiness;

use super::Style;

pub fn render_readiness(readiness: &Readiness, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "Cluster {} runs Kubernetes {}; the next version is {}.",
            readiness.cluster, readiness.version, readiness.next
        ))
    );
    match (&readiness.support, readiness.standard_days_left) {
        (Some(support), Some(left)) => {
            let when = if left < 0 {
                format!("ended {} days ago", -left)
            } else {
                format!("ends in {left} days")
            };
            let line = format!(
                "Standard support of {} {when} ({}); extended support (paid) ends {}.",
                support.version, support.end_of_standard, support.end_of_extended
            );
            let _ = writeln!(
                out,
                "{}",
                if readiness.leaves_standard_within {
                    style.yellow(&line)
                } else {
                    line
                }
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{}",
                style.yellow(&format!(
                    "Kubernetes {} is not in eksforge's EKS calendar: its support dates are unknown.",
                    readiness.version
                ))
            );
        }
    }
    if let Some(window) = readiness.within_days {
        let verdict = if readiness.leaves_standard_within {
            style.red(&format!(
                "It leaves standard support within {window} days: upgrade (eksforge upgrade BLUEPRINT --to {}).",
                readiness.next
            ))
        } else {
            style.green(&format!(
                "It stays in standard support for more than {window} days."
            ))
        };
        let _ = writeln!(out, "{verdict}");
    }
    if let Some(why) = &readiness.insights_unread {
        let _ = writeln!(
            out,
            "{}",
            style.yellow(&format!("Upgrade insights could not be read: {why}"))
        );
    } else {
        let _ = writeln!(out, "\nUpgrade insights (EKS):");
        if readiness.insights.is_empty() {
            let _ = writeln!(out, "  none reported");
        }
        for insight in &readiness.insights {
            super::plan_text::write_insight(&mut out, insight, "  ", false, style);
        }
    }
    let _ = writeln!(out, "\nAdd-ons on {}:", readiness.next);
    if readiness.addons.is_empty() {
        let _ = writeln!(out, "  none installed");
    }
    for addon in &readiness.addons {
        let version = addon.version.as_deref().unwrap_or("unknown version");
        let default = addon
            .default_on_next
            .as_deref()
            .map(|default| format!("; an upgrade moves it to {default}"))
            .unwrap_or_default();
        let line = if addon.runs_on_next {
            style.green(&format!(
                "  {} {version} runs on {}{default}",
                addon.name, readiness.next
            ))
        } else {
            style.yellow(&format!(
                "  {} {version} is not offered for {}{default}",
                addon.name, readiness.next
            ))
        };
        let _ = writeln!(out, "{line}");
    }
    out
}
