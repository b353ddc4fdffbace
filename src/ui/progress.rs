//! Progress lines while apply runs, and the final summary.

use std::time::Duration;

use crate::apply::{ApplyEvent, ApplyReport, Phase};
use crate::plan::PlanMode;

use super::Style;

/// `2m10s`, `45s`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m{}s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds}s")
    }
}

pub fn render_event(event: &ApplyEvent, style: Style) -> String {
    match event {
        ApplyEvent::Started { id, phase } => {
            format!("{}: {}...", style.bold(id.as_str()), phase.progressive())
        }
        ApplyEvent::StillRunning { id, phase, elapsed } => {
            let verb = match phase {
                Phase::Create => "Still creating...",
                Phase::Update => "Still modifying...",
                Phase::Destroy => "Still destroying...",
            };
            format!(
                "{}: {verb} [{} elapsed]",
                style.bold(id.as_str()),
                format_duration(*elapsed)
            )
        }
        ApplyEvent::Finished {
            id,
            phase,
            elapsed,
            cloud_id,
        } => {
            let cloud = cloud_id
                .as_deref()
                .map(|cloud| format!(" [id={cloud}]"))
                .unwrap_or_default();
            format!(
                "{}: {} after {}{cloud}",
                style.bold(id.as_str()),
                phase.past(),
                format_duration(*elapsed)
            )
        }
        ApplyEvent::Failed {
            id,
            phase,
            elapsed,
            error,
        } => style.red(&format!(
            "{id}: {} failed after {}: {error}",
            phase.noun(),
            format_duration(*elapsed)
        )),
        ApplyEvent::StepStarted {
            index,
            total,
            title,
        } => format!(
            "{}: {title}...",
            style.bold(&format!("upgrade step {index}/{total}"))
        ),
        ApplyEvent::StepRunning {
            index,
            total,
            title,
            elapsed,
        } => format!(
            "{}: {title}: still waiting [{} elapsed]",
            style.bold(&format!("upgrade step {index}/{total}")),
            format_duration(*elapsed)
        ),
        ApplyEvent::StepFinished {
            index,
            total,
            title,
            elapsed,
        } => format!(
            "{}: {title}: done after {}",
            style.bold(&format!("upgrade step {index}/{total}")),
            format_duration(*elapsed)
        ),
        ApplyEvent::Stopping { reason } => style.yellow(&format!("Stopping: {reason}")),
    }
}

pub fn render_report(report: &ApplyReport, mode: PlanMode, style: Style) -> String {
    let elapsed = format_duration(report.elapsed);
    if report.succeeded() {
        let line = match mode {
            PlanMode::Destroy => format!(
                "Destroy complete! Resources: {} destroyed. ({elapsed})",
                report.destroyed
            ),
            PlanMode::RefreshOnly => format!("State updated to the live resources. ({elapsed})"),
            PlanMode::Normal if report.upgraded > 0 => format!(
                "Apply complete! Upgrade: {}. Resources: {} added, {} changed, {} destroyed. ({elapsed})",
                super::upgrade_steps_phrase(report.upgraded), report.added, report.changed, report.destroyed
            ),
            PlanMode::Normal => format!(
                "Apply complete! Resources: {} added, {} changed, {} destroyed. ({elapsed})",
                report.added, report.changed, report.destroyed
            ),
        };
        return style.green(&style.bold(&line));
    }
    let upgraded = if report.upgraded > 0 {
        format!("{}, ", super::upgrade_steps_phrase(report.upgraded))
    } else {
        String::new()
    };
    let mut out = style.red(&format!(
        "Apply stopped after {elapsed}: {upgraded}{} added, {} changed, {} destroyed before it stopped; state records all of it.",
        report.added, report.changed, report.destroyed
    ));
    if report.interrupted {
        out.push_str(&style.yellow(
            "\nInterrupted (Ctrl-C): nothing new was started after it; state was saved with everything that finished.",
        ));
    }
    if !report.abandoned.is_empty() {
        let names: Vec<String> = report.abandoned.iter().map(ToString::to_string).collect();
        out.push_str(&style.yellow(&format!(
            "\nNo longer awaited (Ctrl-C twice): {}; they may still be changing in AWS, and the next apply finds them by their tags.",
            names.join(", ")
        )));
    }
    if !report.not_started.is_empty() {
        // A handful of names says what was blocked; the rest is in the next plan.
        const SHOWN: usize = 6;
        let names: Vec<String> = report
            .not_started
            .iter()
            .take(SHOWN)
            .map(ToString::to_string)
            .collect();
        let more = report.not_started.len().saturating_sub(SHOWN);
        let tail = if more > 0 {
            format!(" and {more} more (the next plan lists them)")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "\nNot started ({}): {}{tail}",
            report.not_started.len(),
            names.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ResourceId;

    #[test]
    fn a_stopped_apply_names_a_few_blocked_resources_and_counts_the_rest() {
        let report = ApplyReport {
            added: 4,
            not_started: (0..10)
                .map(|n| ResourceId::parse(&format!("subnet.s{n}")).unwrap())
                .collect(),
            failures: Vec::new(),
            ..ApplyReport::default()
        };
        insta::assert_snapshot!(render_report(&report, PlanMode::Normal, Style::plain()), @r"
        Apply stopped after 0s: 4 added, 0 changed, 0 destroyed before it stopped; state records all of it.
        Not started (10): subnet.s0, subnet.s1, subnet.s2, subnet.s3, subnet.s4, subnet.s5 and 4 more (the next plan lists them)
        ");
        assert_eq!(
            format_duration(std::time::Duration::from_secs(130)),
            "2m10s"
        );
    }
}
