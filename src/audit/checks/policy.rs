//! Reading IAM-style policy documents (key policies, trust policies, role policies, repository
//! policies): `Action`, `Principal`, `Resource` as a string or a list, `NotAction`, and the
//! conditions that narrow a wildcard principal to one account or organisation.

use serde_json::Value as Json;

/// The statements of a document (a single statement object counts as one).
pub fn statements(document: &Json) -> Vec<&Json> {
    match document.get("Statement") {
        Some(Json::Array(list)) => list.iter().collect(),
        Some(single @ Json::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

pub fn allows(statement: &Json) -> bool {
    statement.get("Effect").and_then(Json::as_str) == Some("Allow")
}

/// A string-or-list field as strings.
pub fn strings(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::String(text)) => vec![text.clone()],
        Some(Json::Array(list)) => list
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn actions(statement: &Json) -> Vec<String> {
    strings(statement.get("Action"))
}

pub fn resources(statement: &Json) -> Vec<String> {
    strings(statement.get("Resource"))
}

/// The AWS principals (ARNs, account ids, `*`); `"Principal": "*"` counts as `*`.
pub fn aws_principals(statement: &Json) -> Vec<String> {
    match statement.get("Principal") {
        Some(Json::String(text)) => vec![text.clone()],
        Some(Json::Object(map)) => strings(map.get("AWS")),
        _ => Vec::new(),
    }
}

/// Every principal of any type (AWS, Service, Federated).
pub fn all_principals(statement: &Json) -> Vec<String> {
    match statement.get("Principal") {
        Some(Json::String(text)) => vec![text.clone()],
        Some(Json::Object(map)) => map.values().flat_map(|v| strings(Some(v))).collect(),
        _ => Vec::new(),
    }
}

/// Whether a condition narrows the caller to known accounts or an organisation.
pub fn narrowed(statement: &Json) -> bool {
    const NARROWING: &[&str] = &[
        "aws:principalaccount",
        "kms:calleraccount",
        "aws:sourceaccount",
        "aws:principalorgid",
        "aws:principalarn",
        "aws:sourcearn",
        "aws:sourceowner",
    ];
    statement
        .get("Condition")
        .and_then(Json::as_object)
        .is_some_and(|operators| {
            operators.values().filter_map(Json::as_object).any(|keys| {
                keys.keys()
                    .any(|key| NARROWING.contains(&key.to_ascii_lowercase().as_str()))
            })
        })
}

/// An `Allow` to anyone (`*` or `{"AWS": "*"}`) without a narrowing condition.
pub fn public_statement(statement: &Json) -> bool {
    allows(statement) && aws_principals(statement).iter().any(|p| p == "*") && !narrowed(statement)
}

/// `*` or `service:*`.
pub fn wildcard_action(action: &str) -> bool {
    action == "*" || action.ends_with(":*")
}

/// Whether `principal` is an account root (`arn:aws:iam::123:root`) or a bare account id.
pub fn account_wide(principal: &str) -> bool {
    principal.ends_with(":root")
        || (principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_and_narrowing() {
        let open = json!({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"});
        assert!(public_statement(&open));
        let aws = json!({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:Decrypt"});
        assert!(public_statement(&aws));
        let narrowed_one = json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}}});
        assert!(!public_statement(&narrowed_one));
        let deny = json!({"Effect": "Deny", "Principal": "*", "Action": "*"});
        assert!(!public_statement(&deny));
        assert!(wildcard_action("s3:*") && wildcard_action("*") && !wildcard_action("s3:Get*"));
        assert!(account_wide("arn:aws:iam::123456789012:root") && account_wide("123456789012"));
    }
}
