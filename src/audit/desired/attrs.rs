//! Reading the expanded resources' attributes as the view needs them, and the one error the
//! desired posture can fail with.

use serde_json::Value as Json;

use crate::resources::{Resource, ResourceId, Value};

/// Why the desired posture could not be built. `resources::expand` writes every attribute the
/// view requires, so this is a bug in eksforge, never a problem in the blueprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DesiredPostureError {
    /// A resource lacks an attribute the expansion always writes (or holds it as something
    /// other than text or a reference).
    #[error("{resource} has no attribute `{attribute}`, which the expansion always writes")]
    MissingAttribute { resource: String, attribute: String },
}

impl DesiredPostureError {
    fn missing(resource: &Resource, attribute: &str) -> Self {
        DesiredPostureError::MissingAttribute {
            resource: resource.id.to_string(),
            attribute: attribute.to_string(),
        }
    }
}

/// An attribute as text: references become `${resource.output}`.
pub(super) fn text(value: &Value) -> Option<String> {
    match value.resolve(&|reference| Some(Value::Str(format!("${{{reference}}}"))))? {
        Value::Str(text) => Some(text),
        Value::Int(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The resource a value refers to (`vpc.main` for `vpc.main.id`), else its text: how views
/// link to each other on the desired side.
pub(super) fn link(value: &Value) -> Option<String> {
    match value.as_ref_target() {
        Some(reference) => Some(reference.resource.to_string()),
        None => text(value),
    }
}

pub(super) fn attr_text(resource: &Resource, name: &str) -> Option<String> {
    resource.attrs.get(name).and_then(text)
}

/// [`attr_text`] of an attribute the expansion always writes.
pub(super) fn required_text(
    resource: &Resource,
    name: &str,
) -> Result<String, DesiredPostureError> {
    attr_text(resource, name).ok_or_else(|| DesiredPostureError::missing(resource, name))
}

/// [`link`] of an attribute the expansion always writes.
pub(super) fn required_link(
    resource: &Resource,
    name: &str,
) -> Result<String, DesiredPostureError> {
    resource
        .attrs
        .get(name)
        .and_then(link)
        .ok_or_else(|| DesiredPostureError::missing(resource, name))
}

/// The text of member `member` of an element of list attribute `list` (a policy association's
/// `policy_arn`, a block device's `device_name`), which the expansion always writes.
pub(super) fn required_member(
    resource: &Resource,
    element: &std::collections::BTreeMap<String, Value>,
    list: &str,
    member: &str,
) -> Result<String, DesiredPostureError> {
    element
        .get(member)
        .and_then(text)
        .ok_or_else(|| DesiredPostureError::missing(resource, &format!("{list}[].{member}")))
}

pub(super) fn attr_bool(resource: &Resource, name: &str) -> Option<bool> {
    resource.attrs.get(name).and_then(Value::as_bool)
}

pub(super) fn attr_int(resource: &Resource, name: &str) -> Option<i64> {
    match resource.attrs.get(name) {
        Some(Value::Int(number)) => Some(*number),
        Some(Value::Str(text)) => text.parse().ok(),
        _ => None,
    }
}

pub(super) fn attr_list(resource: &Resource, name: &str) -> Vec<Value> {
    match resource.attrs.get(name) {
        Some(Value::List(items)) => items.clone(),
        Some(Value::Str(one)) => vec![Value::Str(one.clone())],
        _ => Vec::new(),
    }
}

pub(super) fn attr_json(resource: &Resource, name: &str) -> Option<Json> {
    serde_json::from_str(&attr_text(resource, name)?).ok()
}

/// The resource name after `<kind>.`.
pub(super) fn local_name(id: &ResourceId) -> &str {
    id.as_str()
        .split_once('.')
        .map_or(id.as_str(), |(_, name)| name)
}
