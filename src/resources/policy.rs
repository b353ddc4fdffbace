//! Policy documents (IAM trust and permission policies, KMS key policies, SSM preferences) as
//! canonical JSON: keys sorted, no whitespace, one-element arrays as scalars — the same form
//! providers normalise what the API returns to, so equal meaning compares equal.
//! Documents may embed other resources' outputs; they become `Value::Join`s.

use serde_json::Value as Json;

use super::{Ref, ResourceId, Value};

const MARK: &str = "@@ref:";
const END: &str = "@@";

/// A placeholder for `resource.output` inside a JSON document built with `serde_json::json!`.
pub fn placeholder(resource: &ResourceId, output: &str) -> String {
    format!("{MARK}{resource}.{output}{END}")
}

/// The canonical text of a JSON value (`Display` is the compact form, and cannot fail for a
/// `serde_json::Value`, whose keys are always strings).
pub fn canonical_json(value: &Json) -> String {
    normalise(value, true).to_string()
}

/// The policy EC2 gives a VPC endpoint created without one (and puts back on ResetPolicy):
/// all actions on all resources, leaving access to IAM.
pub const DEFAULT_ENDPOINT_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// The canonical form of a policy document written as text; `None` when it is not JSON.
pub fn canonical(document: &str) -> Option<String> {
    let parsed: Json = serde_json::from_str(document).ok()?;
    Some(canonical_json(&parsed))
}

/// Compact JSON with object keys sorted and arrays kept as they are: the canonical text of
/// any JSON that is not a policy (an add-on's configuration values).
pub fn sorted_json(value: &Json) -> String {
    normalise(value, false).to_string()
}

/// Keys sorted; one-element arrays as their element when `policy` (IAM's own equivalence).
fn normalise(value: &Json, policy: bool) -> Json {
    match value {
        // Sorted explicitly: serde_json keeps insertion order when `preserve_order` is on
        // (another crate in the build enables it).
        Json::Object(map) => {
            let sorted: std::collections::BTreeMap<String, Json> = map
                .iter()
                .map(|(key, item)| (key.clone(), normalise(item, policy)))
                .collect();
            Json::Object(sorted.into_iter().collect())
        }
        Json::Array(items) if policy && items.len() == 1 => normalise(&items[0], policy),
        Json::Array(items) => {
            Json::Array(items.iter().map(|item| normalise(item, policy)).collect())
        }
        other => other.clone(),
    }
}

/// The canonical document as an attribute value: plain text, or a join of text and references
/// where placeholders were used.
pub fn document(value: &Json) -> Value {
    let text = canonical_json(value);
    let mut parts = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(MARK) {
        let after = &rest[start + MARK.len()..];
        let Some(end) = after.find(END) else { break };
        let target = &after[..end];
        let reference = target.rsplit_once('.').and_then(|(resource, output)| {
            Some(Ref {
                resource: ResourceId::parse(resource)?,
                output: output.to_string(),
            })
        });
        match reference {
            Some(reference) => {
                parts.push(Value::str(&rest[..start]));
                parts.push(Value::reference(reference));
            }
            None => parts.push(Value::str(&rest[..start + MARK.len() + end + END.len()])),
        }
        rest = &after[end + END.len()..];
    }
    parts.push(Value::str(rest));
    Value::join(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Kind;

    #[test]
    fn placeholders_become_references_and_resolve_to_canonical_text() {
        let provider = ResourceId::new(Kind::IamOidcProvider, "main");
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": placeholder(&provider, "arn")},
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Condition": {"StringEquals": {
                    format!("{}:sub", placeholder(&provider, "url")): "system:serviceaccount:kube-system:aws-node",
                    format!("{}:aud", placeholder(&provider, "url")): "sts.amazonaws.com",
                }},
            }],
        });
        let value = document(&doc);
        assert!(value.has_refs());
        let resolved = value
            .resolve(&|reference| {
                Some(Value::str(if reference.output == "arn" {
                    "arn:aws:iam::1:oidc-provider/x"
                } else {
                    "x"
                }))
            })
            .unwrap();
        let expected = r#"{"Statement":{"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"x:aud":"sts.amazonaws.com","x:sub":"system:serviceaccount:kube-system:aws-node"}},"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x"}},"Version":"2012-10-17"}"#;
        assert_eq!(resolved, Value::str(expected));
        assert_eq!(
            document(&serde_json::json!({"a": [1]})),
            Value::str(r#"{"a":1}"#)
        );
    }
}
