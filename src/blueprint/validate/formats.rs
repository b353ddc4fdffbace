//! The shapes of values: names, regions, instance types, Kubernetes names and versions, dates,
//! policy documents.

use std::ops::Range;

use crate::blueprint::limits::{MAX_DNS_LABEL_LEN, MAX_DNS_SUBDOMAIN_LEN, MAX_KMS_ALIAS_LEN};

/// Why `name` is not a valid blueprint-style name, if it is not.
pub(super) fn name_rule(name: &str, max: usize) -> Option<String> {
    let len = name.chars().count();
    if len == 0 {
        return Some("it is empty".to_string());
    }
    if len > max {
        return Some(format!("it is {len} characters long; the limit is {max}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "`{bad}` is not allowed; use lowercase letters, digits and `-`"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("it must start with a lowercase letter".to_string());
    }
    if name.ends_with('-') {
        return Some("it must not end with `-`".to_string());
    }
    if name.contains("--") {
        return Some("it must not contain `--`".to_string());
    }
    None
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`, `eusc-de-east-1`.
pub(super) fn looks_like_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether an instance type is arm64 (Graviton); `None` when it is not `family.size`.
pub(super) fn instance_arch_is_arm(instance_type: &str) -> Option<bool> {
    let (family, size) = instance_type.split_once('.')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !valid(family) || !valid(size) {
        return None;
    }
    if family == "a1" {
        return Some(true);
    }
    // The generation digits, then the attribute letters: `g` first means Graviton (m7g, c6gn,
    // x2gd, im4gn); g5 (GPU) has none.
    let after_letters = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let attributes = after_letters.trim_start_matches(|c: char| c.is_ascii_digit());
    if after_letters.len() == attributes.len() {
        // No generation digits (`u-6tb1`): not a Graviton family.
        return Some(false);
    }
    Some(attributes.starts_with('g'))
}

/// A Kubernetes DNS label: a namespace, or one part of a subdomain.
pub(super) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_DNS_LABEL_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Kubernetes DNS subdomain: a service account name.
pub(super) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_DNS_SUBDOMAIN_LEN && s.split('.').all(is_dns_label)
}

/// `1.NN`, the form EKS names Kubernetes versions in.
pub(super) fn is_kubernetes_version(version: &str) -> bool {
    version
        .strip_prefix("1.")
        .is_some_and(|minor| minor.len() == 2 && minor.bytes().all(|b| b.is_ascii_digit()))
}

/// An IAM managed policy ARN (`arn:…:policy/NAME`).
pub(super) fn is_policy_arn(arn: &str) -> bool {
    arn.starts_with("arn:") && arn.contains(":policy/")
}

/// `alias/NAME` that KMS lets a user create: letters, digits, `/`, `_` and `-`, not under
/// `alias/aws/` (AWS's own keys).
pub(super) fn is_creatable_kms_alias(alias: &str) -> bool {
    alias.strip_prefix("alias/").is_some_and(|name| {
        !name.is_empty()
            && !name.starts_with("aws/")
            && name.len() <= MAX_KMS_ALIAS_LEN
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    })
}

/// An IAM principal ARN (a role or a user).
pub(super) fn is_iam_principal_arn(arn: &str) -> bool {
    arn.starts_with("arn:") && arn.contains(":iam::")
}

/// `YYYY-MM-DD`, a real calendar date.
pub(super) fn is_date(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |r: Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The statements of an `encryption.key_policy` string: one statement, an array of them, or a
/// whole policy document with `Statement`. `None` when it is none of these.
pub fn parse_key_policy_statements(text: &str) -> Option<Vec<serde_json::Value>> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    let statements = match parsed {
        serde_json::Value::Object(ref map) if map.contains_key("Statement") => {
            match map.get("Statement")? {
                serde_json::Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            }
        }
        serde_json::Value::Object(_) => vec![parsed],
        serde_json::Value::Array(items) => items,
        _ => return None,
    };
    statements
        .iter()
        .all(|statement| {
            statement
                .get("Effect")
                .and_then(serde_json::Value::as_str)
                .is_some()
                && (statement.get("Action").is_some() || statement.get("NotAction").is_some())
        })
        .then_some(statements)
}

/// A JSON object with a `Statement` (one statement or an array of them).
pub(super) fn is_policy_document(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|document| document.get("Statement").cloned())
        .is_some_and(|statement| statement.is_object() || statement.is_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_rule("prod-eu", 40), None);
        assert!(name_rule("", 40).is_some());
        assert!(name_rule("Prod", 40).is_some());
        assert!(name_rule("1prod", 40).is_some());
        assert!(name_rule("prod-", 40).is_some());
        assert!(name_rule("prod--eu", 40).is_some());
        assert!(name_rule("prod_eu", 40).is_some());
        assert!(name_rule(&"a".repeat(41), 40).is_some());
        assert_eq!(name_rule(&"a".repeat(40), 40), None);
    }

    #[test]
    fn regions() {
        for ok in [
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "eusc-de-east-1",
            "il-central-1",
        ] {
            assert!(looks_like_region(ok), "{ok}");
        }
        for bad in [
            "Ireland",
            "eu-west",
            "eu-west-1a",
            "eu_west_1",
            "e-west-1",
            "eu-west-100",
            "",
        ] {
            assert!(!looks_like_region(bad), "{bad}");
        }
    }

    #[test]
    fn instance_architectures() {
        assert_eq!(instance_arch_is_arm("m6i.large"), Some(false));
        assert_eq!(instance_arch_is_arm("m7g.xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("c6gn.2xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("g5.xlarge"), Some(false));
        assert_eq!(instance_arch_is_arm("g5g.xlarge"), Some(true));
        assert_eq!(instance_arch_is_arm("t3.medium"), Some(false));
        assert_eq!(instance_arch_is_arm("a1.large"), Some(true));
        assert_eq!(instance_arch_is_arm("u-6tb1.metal"), Some(false));
        assert_eq!(instance_arch_is_arm("large"), None);
        assert_eq!(instance_arch_is_arm("M6i.large"), None);
    }

    #[test]
    fn dates() {
        assert!(is_date("2026-12-31"));
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2026-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("2026-1-01"));
        assert!(!is_date("2026-12-31T00:00:00Z"));
        assert!(!is_date("next year"));
    }

    #[test]
    fn kms_aliases() {
        assert!(is_creatable_kms_alias("alias/prod-eks_secrets/1"));
        assert!(!is_creatable_kms_alias("prod"));
        assert!(!is_creatable_kms_alias("alias/"));
        assert!(!is_creatable_kms_alias("alias/aws/ebs"));
        assert!(!is_creatable_kms_alias("alias/a b"));
    }

    #[test]
    fn kubernetes_versions() {
        assert!(is_kubernetes_version("1.34"));
        assert!(!is_kubernetes_version("1.3"));
        assert!(!is_kubernetes_version("2.34"));
        assert!(!is_kubernetes_version("1.34.1"));
    }

    #[test]
    fn kubernetes_names() {
        assert!(is_dns_label("kube-system"));
        assert!(!is_dns_label("-x"));
        assert!(is_dns_subdomain("aws-node"));
        assert!(is_dns_subdomain("a.b"));
        assert!(!is_dns_subdomain("A"));
        assert!(!is_dns_subdomain("a..b"));
    }
}
