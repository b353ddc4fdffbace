//! The human plan, Terraform-style: `+ ~ - -/+` markers, changed attributes old → new, the
//! attributes that force a replacement, and a summary line.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::plan::upgrade::InsightView;
use crate::plan::FoundVia;
use crate::plan::{Action, ActionReason, Change, Plan, PlanMode};
use crate::resources::{Attrs, Value};

use super::Style;

pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for note in &plan.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    for id in &plan.gone {
        let _ = writeln!(
            out,
            "{}",
            style.yellow(&format!(
                "{id} was recorded in state but no longer exists: it is forgotten."
            ))
        );
    }
    let adopted: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|change| change.adopted_via.is_some() && change.action != Action::Delete)
        .collect();
    for change in &adopted {
        let how = match change.adopted_via {
            Some(FoundVia::NaturalKey) => "found by its natural key",
            _ => "found by tag",
        };
        let _ = writeln!(
            out,
            "Adopting {} ({}) {how}.",
            change.id,
            change.cloud_id.as_deref().unwrap_or("?")
        );
    }
    for (to, from) in &plan.moved {
        let cloud = plan
            .change(to)
            .and_then(|change| change.cloud_id.as_deref())
            .map(|id| format!(" [{id}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  # {to}{cloud} moved from {from} (the move renames it in state only)"
        );
    }
    if plan.mode == PlanMode::RefreshOnly {
        render_drift(&mut out, plan, style);
        return out;
    }
    let visible: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|change| !change.is_noop())
        .collect();
    if !out.is_empty() {
        out.push('\n');
    }
    if visible.is_empty() && plan.upgrade_steps() == 0 {
        if adopted.is_empty() && plan.gone.is_empty() && plan.moved.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                style.green("No changes. The live resources match the blueprint.")
            );
        } else {
            let _ = writeln!(
                out,
                "No changes to resources; apply records the state updates above."
            );
        }
        return out;
    }
    if let Some(upgrade) = &plan.upgrade {
        render_upgrade(&mut out, upgrade, style);
    }
    if !visible.is_empty() {
        let _ = writeln!(out, "eksforge will perform the following actions:\n");
    }
    for change in visible {
        render_change(&mut out, change, style);
    }
    let summary = plan.summary();
    let line = if plan.mode == PlanMode::Destroy {
        format!("Plan: {} to destroy.", summary.destroy)
    } else if plan.upgrade_steps() > 0 {
        format!(
            "Plan: {}, then {} to add, {} to change, {} to destroy.",
            super::upgrade_steps_phrase(plan.upgrade_steps()),
            summary.add,
            summary.change,
            summary.destroy
        )
    } else {
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            summary.add, summary.change, summary.destroy
        )
    };
    let _ = writeln!(out, "{}", style.bold(&line));
    if let Some(cost) = crate::plan::cost::network_cost(plan) {
        let _ = writeln!(out, "{}", cost.line());
    }
    out
}

/// The upgrade's steps, numbered in the order they run, grouped by Kubernetes minor version.
fn render_upgrade(out: &mut String, upgrade: &crate::plan::upgrade::UpgradePlan, style: Style) {
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "Upgrade {} from Kubernetes {} to {}: {} steps, one at a time, each waited for (about {} by typical waits):",
            upgrade.cluster,
            upgrade.from,
            upgrade.to,
            upgrade.steps.len(),
            super::progress::format_duration(std::time::Duration::from_secs(upgrade.estimate_secs()))
        ))
    );
    if let Some(support) = &upgrade.support {
        let _ = writeln!(
            out,
            "  Kubernetes {}: standard support until {}, extended support until {}.",
            support.version, support.end_of_standard, support.end_of_extended
        );
    }
    if let Some(why) = &upgrade.insights_unread {
        let _ = writeln!(
            out,
            "  {}",
            style.yellow(&format!("EKS upgrade insights could not be read: {why}"))
        );
    } else if !upgrade.insights.is_empty() {
        let _ = writeln!(out, "  EKS upgrade insights:");
    }
    for insight in &upgrade.insights {
        write_insight(out, insight, "    ", true, style);
    }
    let mut minor = "";
    for (index, step) in upgrade.steps.iter().enumerate() {
        let label = if step.kubernetes != minor {
            minor = &step.kubernetes;
            format!("{minor}:")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {label:<6}{:>3}. {} {}",
            index + 1,
            style.yellow("~"),
            step.title()
        );
    }
    out.push('\n');
}

/// One upgrade insight: its status (coloured; a waived ERROR in yellow), name, the version it
/// checks when `with_version`, its reason unless it passes; then EKS's recommendation and the
/// waiver that accepts it, each on a line of its own.
pub(super) fn write_insight(
    out: &mut String,
    insight: &InsightView,
    indent: &str,
    with_version: bool,
    style: Style,
) {
    let status = format!("{:<8}", insight.status);
    let status = match insight.status.as_str() {
        "PASSING" => style.green(&status),
        "ERROR" if insight.waived.is_none() => style.red(&status),
        _ => style.yellow(&status),
    };
    let version = insight
        .kubernetes_version
        .as_deref()
        .filter(|_| with_version)
        .map(|version| format!(" ({version})"))
        .unwrap_or_default();
    let reason = insight
        .reason
        .as_deref()
        .filter(|_| insight.status != "PASSING")
        .map(|reason| format!(": {reason}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{indent}{status} {}{version}{reason}", insight.name);
    // Under the name: past the status column.
    let under = format!("{indent}{:9}", "");
    if let Some(recommendation) = &insight.recommendation {
        let _ = writeln!(out, "{under}recommendation: {recommendation}");
    }
    if let Some(waived) = &insight.waived {
        let _ = writeln!(out, "{under}waived: {waived}");
    }
}

fn render_drift(out: &mut String, plan: &Plan, style: Style) {
    let drifted: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|change| !change.drifted.is_empty())
        .collect();
    if drifted.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.green("No drift: the live resources match what state records.")
        );
        return;
    }
    let _ = writeln!(out, "Objects have changed outside eksforge:\n");
    let empty = Attrs::new();
    for change in &drifted {
        let _ = writeln!(
            out,
            "  {} {}{}",
            style.yellow("~"),
            change.id,
            style.dim(
                &change
                    .cloud_id
                    .as_deref()
                    .map(|id| format!(" [{id}]"))
                    .unwrap_or_default()
            )
        );
        let before = change.before.as_ref().unwrap_or(&empty);
        let after = change.after.as_ref().unwrap_or(&empty);
        for name in &change.drifted {
            match (
                before.get(name).and_then(Value::as_map),
                after.get(name).and_then(Value::as_map),
            ) {
                (Some(old), Some(new)) => {
                    let _ = writeln!(out, "      ~ {name} = {{");
                    render_map_diff(out, old, new, style);
                    let _ = writeln!(out, "        }}");
                }
                _ => {
                    let show = |value: Option<&Value>| {
                        value
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "null".to_string())
                    };
                    let _ = writeln!(
                        out,
                        "      ~ {name} = {} → {}",
                        show(before.get(name)),
                        show(after.get(name))
                    );
                }
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!("Drift: {} resources. `apply --refresh-only` records the live values in state; `apply` puts the blueprint's back.", drifted.len()))
    );
}

fn marker(action: Action, style: Style) -> String {
    let symbol = action.symbol();
    match action {
        Action::Create => style.green(symbol),
        Action::Update => style.yellow(symbol),
        Action::Delete => style.red(symbol),
        Action::DeleteThenCreate | Action::CreateThenDelete => style.red(symbol),
        Action::NoOp => symbol.to_string(),
    }
}

fn render_change(out: &mut String, change: &Change, style: Style) {
    let why = match &change.reason {
        Some(ActionReason::CreateBecauseGone) => " (it was deleted outside eksforge)",
        Some(ActionReason::DeleteBecauseNoResourceConfig) => " (no longer in the blueprint)",
        Some(ActionReason::DeleteBecauseOrphaned) => {
            " (found by tag, not in the blueprint: an orphan)"
        }
        Some(ActionReason::ReplaceBecauseDependencyReplaced) => {
            " (what it is built on is replaced)"
        }
        Some(ActionReason::ReplaceBecauseRequested) => " (asked for by --replace)",
        _ => "",
    };
    let cloud = change
        .cloud_id
        .as_deref()
        .map(|id| format!(" [{id}]"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {}",
        style.bold(&format!(
            "# {} will be {}{why}",
            change.id,
            change.action.verb()
        ))
    );
    let _ = writeln!(
        out,
        "  {} {}{}",
        marker(change.action, style),
        change.id,
        style.dim(&cloud)
    );
    let empty = Attrs::new();
    let before = change.before.as_ref().unwrap_or(&empty);
    match change.action {
        Action::Create => {
            for (name, value) in change.after.iter().flatten() {
                render_value(
                    out,
                    "+",
                    name,
                    value,
                    style,
                    &name_width(change.after.as_ref()),
                );
            }
        }
        Action::Delete => {}
        _ => {
            let after = change.after.as_ref().unwrap_or(&empty);
            for name in &change.changed {
                let old = before.get(name);
                let new = after.get(name);
                let forces = if change.requires_replace.contains(name) {
                    style.red("  # forces replacement")
                } else {
                    String::new()
                };
                let drift = if change.drifted.contains(name) {
                    style.yellow("  # changed outside eksforge")
                } else {
                    String::new()
                };
                match (old.and_then(Value::as_map), new.and_then(Value::as_map)) {
                    (Some(old_map), Some(new_map)) => {
                        let _ = writeln!(out, "      ~ {name} = {{{forces}{drift}");
                        render_map_diff(out, old_map, new_map, style);
                        let _ = writeln!(out, "        }}");
                    }
                    _ => {
                        let old_text = old
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "null".to_string());
                        let new_text = new
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "null".to_string());
                        let _ = writeln!(
                            out,
                            "      ~ {name} = {old_text} → {new_text}{forces}{drift}"
                        );
                    }
                }
            }
        }
    }
    out.push('\n');
}

fn name_width(attrs: Option<&Attrs>) -> usize {
    attrs
        .map(|attrs| attrs.keys().map(String::len).max().unwrap_or(0))
        .unwrap_or(0)
}

fn render_value(
    out: &mut String,
    sign: &str,
    name: &str,
    value: &Value,
    style: Style,
    width: &usize,
) {
    match value.as_map() {
        Some(map) => {
            let _ = writeln!(out, "      {sign} {name:<width$} = {{", width = width);
            let inner = map
                .keys()
                .map(|key| format!("{key:?}").len())
                .max()
                .unwrap_or(0);
            for (key, item) in map {
                let _ = writeln!(
                    out,
                    "          {} = {item}",
                    style.dim(&format!("{:<inner$}", format!("{key:?}")))
                );
            }
            let _ = writeln!(out, "        }}");
        }
        None => {
            let _ = writeln!(out, "      {sign} {name:<width$} = {value}", width = width);
        }
    }
}

fn render_map_diff(
    out: &mut String,
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    style: Style,
) {
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        match (old.get(key), new.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let _ = writeln!(out, "          {} {key:?} = {a} → {b}", style.yellow("~"));
            }
            (None, Some(b)) => {
                let _ = writeln!(out, "          {} {key:?} = {b}", style.green("+"));
            }
            (Some(a), None) => {
                let _ = writeln!(out, "          {} {key:?} = {a}", style.red("-"));
            }
            (None, None) => {}
        }
    }
}
