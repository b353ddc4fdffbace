//! Bottlerocket's own TOML settings for a node group (never a shell script): node labels and
//! taints for the kubelet, no admin container (no SSH path at all), the control container for
//! SSM, then the group's own `user_data`.
//!
//! Written with `toml_writer` (the writer behind the `toml` crate) so every key and string is
//! escaped as TOML requires. Label and taint keys and values are always double-quoted, as
//! eksforge has always written them: the bytes of a launch template's user data must not
//! change between releases, or every node group would be replaced.

use std::collections::BTreeMap;

use toml_writer::{ToTomlKey, ToTomlValue, TomlKeyBuilder, TomlString, TomlStringBuilder};

use crate::blueprint::model::NodeGroup;

/// The user data of `group`'s launch template, before base64.
pub(super) fn settings(group: &NodeGroup) -> String {
    let mut doc = SettingsDocument::default();
    doc.comment(
        "eksforge: Bottlerocket settings (merged with EKS's own by the managed node group)",
    );
    doc.table(&["settings", "host-containers", "admin"]);
    doc.entry("enabled", false);
    doc.table(&["settings", "host-containers", "control"]);
    doc.entry("enabled", true);
    if !group.labels.is_empty() {
        doc.table(&["settings", "kubernetes", "node-labels"]);
        for (key, value) in &group.labels {
            doc.quoted_entry(key, basic_string(value));
        }
    }
    if !group.taints.is_empty() {
        // Bottlerocket takes each key once, with a list of `value:Effect`.
        let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for taint in &group.taints {
            let value = taint.value.as_deref().unwrap_or("");
            by_key
                .entry(&taint.key)
                .or_default()
                .push(format!("{value}:{}", taint.effect));
        }
        doc.table(&["settings", "kubernetes", "node-taints"]);
        for (key, values) in &by_key {
            let list: Vec<TomlString<'_>> =
                values.iter().map(|value| basic_string(value)).collect();
            doc.quoted_entry(key, list);
        }
    }
    if let Some(extra) = group
        .user_data
        .as_deref()
        .filter(|extra| !extra.trim().is_empty())
    {
        doc.blank_line();
        doc.comment("node_groups.user_data");
        doc.verbatim(extra.trim_end());
    }
    doc.text
}

/// A `"…"` string with TOML's escapes.
fn basic_string(text: &str) -> TomlString<'_> {
    TomlStringBuilder::new(text).as_basic()
}

/// The settings text as it grows: tables separated by a blank line, `key = value` lines.
#[derive(Default)]
struct SettingsDocument {
    text: String,
    has_table: bool,
}

impl SettingsDocument {
    fn comment(&mut self, text: &str) {
        self.text.push_str("# ");
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn blank_line(&mut self) {
        self.text.push('\n');
    }

    /// `[a.b.c]`, after a blank line unless it is the first table.
    fn table(&mut self, path: &[&str]) {
        if self.has_table {
            self.blank_line();
        }
        self.has_table = true;
        let keys: Vec<String> = path
            .iter()
            .map(|key| TomlKeyBuilder::new(key).as_default().to_toml_key())
            .collect();
        self.text.push('[');
        self.text.push_str(&keys.join("."));
        self.text.push_str("]\n");
    }

    /// `key = value` with a bare key (eksforge's own setting names).
    fn entry(&mut self, key: &str, value: impl ToTomlValue) {
        self.line(TomlKeyBuilder::new(key).as_default().to_toml_key(), value);
    }

    /// `"key" = value`: a user's key, always quoted.
    fn quoted_entry(&mut self, key: &str, value: impl ToTomlValue) {
        self.line(TomlKeyBuilder::new(key).as_basic().to_toml_key(), value);
    }

    fn line(&mut self, key: String, value: impl ToTomlValue) {
        self.text.push_str(&key);
        self.text.push_str(" = ");
        self.text.push_str(&value.to_toml_value());
        self.text.push('\n');
    }

    /// Text the user wrote, as written, ending with a newline.
    fn verbatim(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }
}

#[cfg(test)]
mod tests;
