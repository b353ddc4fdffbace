//! Bottlerocket's own TOML settings for a node group (never a shell script): node labels and
//! taints for the kubelet, no admin container (no SSH path at all), the control container for
//! SSM, then the group's own `user_data` merged under `settings`.
//!
//! Written with `toml_writer` (the writer behind the `toml` crate) so every key and string is
//! escaped as TOML requires. Label and taint keys and values are always double-quoted, as
//! eksforge has always written them: the bytes of a launch template's user data must not
//! change between releases, or every node group would be replaced. The user's fragment is never
//! copied as text: it is parsed, held to `blueprint::bottlerocket_settings`'s rules and written
//! back as a TOML document of its `settings` after eksforge's tables. The whole text is then
//! parsed back and must say exactly what was meant, or nothing is sent.

use std::collections::BTreeMap;

use toml_writer::{ToTomlKey, ToTomlValue, TomlKeyBuilder, TomlString, TomlStringBuilder};

use crate::blueprint::bottlerocket_settings::fragment_settings;
use crate::blueprint::model::NodeGroup;

/// Why a group's user data could not be built; none is sent.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UserDataError {
    /// The fragment breaks a rule validation checks (only an unvalidated blueprint gets here).
    #[error("{0}")]
    Refused(String),
    #[error("its settings could not be written as TOML: {0}")]
    Unwritable(String),
    /// The fragment sets a value where eksforge writes one.
    #[error("user_data sets `{0}`, which eksforge writes itself")]
    Overlap(String),
    #[error("the user data eksforge wrote is not valid TOML: {0}")]
    NotToml(String),
    #[error("the user data eksforge wrote does not parse back to the settings it meant")]
    Misread,
}

/// The user data of `group`'s launch template, before base64.
pub(super) fn settings(group: &NodeGroup) -> Result<String, UserDataError> {
    let user = match group.user_data.as_deref() {
        Some(fragment) => fragment_settings(fragment).map_err(|problems| {
            UserDataError::Refused(
                problems
                    .first()
                    .map(|problem| problem.message("user_data"))
                    .unwrap_or_default(),
            )
        })?,
        None => None,
    };
    let taints = taints_by_key(group);
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
    if !taints.is_empty() {
        doc.table(&["settings", "kubernetes", "node-taints"]);
        for (key, values) in &taints {
            let list: Vec<TomlString<'_>> =
                values.iter().map(|value| basic_string(value)).collect();
            doc.quoted_entry(key, list);
        }
    }
    if let Some(user) = &user {
        let document =
            toml::Table::from_iter([("settings".to_string(), toml::Value::Table(user.clone()))]);
        let text = toml::to_string(&document)
            .map_err(|error| UserDataError::Unwritable(error.to_string()))?;
        doc.blank_line();
        doc.comment("node_groups.user_data");
        doc.lines(text.trim_end());
    }
    let meant = meant(group, &taints, user)?;
    let read: toml::Table = doc
        .text
        .parse()
        .map_err(|error: toml::de::Error| UserDataError::NotToml(error.message().to_string()))?;
    if read != meant {
        return Err(UserDataError::Misread);
    }
    Ok(doc.text)
}

/// Bottlerocket takes each taint key once, with a list of `value:Effect`.
fn taints_by_key(group: &NodeGroup) -> BTreeMap<&str, Vec<String>> {
    let mut by_key: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for taint in &group.taints {
        let value = taint.value.as_deref().unwrap_or("");
        by_key
            .entry(&taint.key)
            .or_default()
            .push(format!("{value}:{}", taint.effect));
    }
    by_key
}

/// The document the user data must parse to: eksforge's settings with the user's merged in.
fn meant(
    group: &NodeGroup,
    taints: &BTreeMap<&str, Vec<String>>,
    user: Option<toml::Table>,
) -> Result<toml::Table, UserDataError> {
    let table =
        |entries: Vec<(String, toml::Value)>| toml::Value::Table(entries.into_iter().collect());
    let enabled = |on: bool| table(vec![("enabled".into(), toml::Value::Boolean(on))]);
    let mut kubernetes = Vec::new();
    if !group.labels.is_empty() {
        let labels = group
            .labels
            .iter()
            .map(|(key, value)| (key.clone(), toml::Value::String(value.clone())));
        kubernetes.push(("node-labels".into(), table(labels.collect())));
    }
    if !taints.is_empty() {
        let lists = taints.iter().map(|(key, values)| {
            let list = values.iter().cloned().map(toml::Value::String).collect();
            (key.to_string(), toml::Value::Array(list))
        });
        kubernetes.push(("node-taints".into(), table(lists.collect())));
    }
    let mut settings = vec![(
        "host-containers".to_string(),
        table(vec![
            ("admin".into(), enabled(false)),
            ("control".into(), enabled(true)),
        ]),
    )];
    if !kubernetes.is_empty() {
        settings.push(("kubernetes".into(), table(kubernetes)));
    }
    let mut settings: toml::Table = settings.into_iter().collect();
    if let Some(user) = user {
        merge(&mut settings, user, "settings")?;
    }
    Ok(toml::Table::from_iter([(
        "settings".to_string(),
        toml::Value::Table(settings),
    )]))
}

/// `from` laid into `into`, table by table; a value where `into` already has one is an overlap.
fn merge(into: &mut toml::Table, from: toml::Table, path: &str) -> Result<(), UserDataError> {
    for (key, value) in from {
        let here = format!("{path}.{key}");
        match (into.get_mut(&key), value) {
            (None, value) => {
                into.insert(key, value);
            }
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => {
                merge(inner, value, &here)?;
            }
            (Some(_), _) => return Err(UserDataError::Overlap(here)),
        }
    }
    Ok(())
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

    /// Lines of TOML already written (the user's settings), ending with a newline.
    fn lines(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
    }
}

#[cfg(test)]
mod tests;
