//! Rendering only: plans, progress lines, summaries. Data in, text out; `ui` decides nothing.

pub mod audit_json;
mod audit_text;
pub mod plan_json;
mod plan_text;
mod progress;
mod readiness_text;
mod sarif;

pub use audit_json::render_audit_json;
pub use audit_text::{
    finding_block, render_audit, render_plan_posture, summary as audit_summary, waiver_notes,
};
pub use plan_json::render_plan_json;
pub use plan_text::render_plan;
pub use progress::{format_duration, render_event, render_report};
pub use readiness_text::render_readiness;
pub use sarif::render_sarif;

/// "1 upgrade step", "2 upgrade steps": the count every summary line gives.
pub(crate) fn upgrade_steps_phrase(steps: usize) -> String {
    if steps == 1 {
        "1 upgrade step".to_string()
    } else {
        format!("{steps} upgrade steps")
    }
}

/// Whether to colour output: a terminal, no `--no-color`, no `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Style {
        Style { color: false }
    }

    pub(crate) fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub(crate) fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }
    pub(crate) fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }
    pub(crate) fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }
    pub(crate) fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    pub(crate) fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}
