//! `[[security_rules]]`: the extra ingress rules, each written on purpose.

use super::{Checker, POSTURE_KEY};
use crate::blueprint::cidr::Ipv4Cidr;
use crate::blueprint::limits::{
    rule_description_character_allowed, MAX_RULE_DESCRIPTION_LEN, PORTS, RULE_DESCRIPTION_SYMBOLS,
    RULE_GROUPS,
};
use crate::blueprint::model::Blueprint;

impl Checker<'_> {
    /// Group, protocol and ports, sources, description.
    pub(super) fn security_rules(&mut self, model: &Blueprint) {
        for (i, rule) in model.security_rules.iter().enumerate() {
            let at = |key: &str| format!("security_rules[{i}].{key}");
            if !RULE_GROUPS.contains(&rule.group.as_str()) {
                self.report(
                    POSTURE_KEY,
                    &at("group"),
                    format!(
                        "group \"{}\" is neither \"cluster\" nor \"node\"",
                        rule.group
                    ),
                    "unknown group",
                    "name the security group the rule opens: \"cluster\" or \"node\"".to_string(),
                );
            }
            let ports = (rule.from_port, rule.to_port);
            match rule.protocol.as_str() {
                "-1" if ports != (None, None) => self.report(
                    POSTURE_KEY,
                    &at("protocol"),
                    "protocol -1 (all traffic) takes no ports".to_string(),
                    "all ports",
                    "remove from_port and to_port, or name a protocol".to_string(),
                ),
                "-1" => {}
                "tcp" | "udp" | "icmp" => {
                    let valid = match ports {
                        (Some(from), Some(to)) => {
                            PORTS.contains(&from) && PORTS.contains(&to) && from <= to
                        }
                        _ => false,
                    };
                    if !valid {
                        self.report(
                            POSTURE_KEY,
                            &at("from_port"),
                            format!(
                                "from_port and to_port must both be set, {} to {}, from ≤ to",
                                PORTS.start(),
                                PORTS.end()
                            ),
                            "invalid port range",
                            "e.g. from_port = 443, to_port = 443".to_string(),
                        );
                    }
                }
                other => self.report(
                    POSTURE_KEY,
                    &at("protocol"),
                    format!("protocol \"{other}\" is not tcp, udp, icmp or -1"),
                    "unknown protocol",
                    "use \"tcp\", \"udp\", \"icmp\" or \"-1\" (all)".to_string(),
                ),
            }
            for (j, cidr) in rule.cidrs.iter().enumerate() {
                if let Err(error) = Ipv4Cidr::parse(cidr) {
                    self.report(
                        POSTURE_KEY,
                        &at(&format!("cidrs[{j}]")),
                        error.to_string(),
                        "invalid CIDR",
                        "list IPv4 source networks, e.g. \"10.0.0.0/8\"".to_string(),
                    );
                }
            }
            let source_ok = match rule.source_group.as_deref() {
                None => true,
                Some(group) => RULE_GROUPS.contains(&group) || group.starts_with("sg-"),
            };
            if !source_ok {
                self.report(
                    POSTURE_KEY,
                    &at("source_group"),
                    "source_group is neither \"cluster\", \"node\" nor an sg- id".to_string(),
                    "unknown group",
                    "use \"cluster\", \"node\" or a security group id".to_string(),
                );
            }
            if rule.cidrs.is_empty() && rule.source_group.is_none() {
                self.report(
                    POSTURE_KEY,
                    &format!("security_rules[{i}]"),
                    "the rule admits nothing: give cidrs or source_group".to_string(),
                    "no source",
                    "add cidrs = [\"10.0.0.0/8\"] or source_group = \"node\"".to_string(),
                );
            }
            if rule.description.trim().is_empty() {
                self.report(
                    POSTURE_KEY,
                    &at("description"),
                    "a security rule needs a description".to_string(),
                    "empty",
                    "say why the rule exists".to_string(),
                );
            } else if let Some(reason) = rule_description_problem(&rule.description) {
                self.report(
                    POSTURE_KEY,
                    &at("description"),
                    format!("EC2 would refuse this rule description: {reason}"),
                    "invalid description",
                    format!(
                        "write at most {MAX_RULE_DESCRIPTION_LEN} of ASCII letters, digits, \
                         spaces and `{RULE_DESCRIPTION_SYMBOLS}`"
                    ),
                );
            }
        }
    }
}

/// Why EC2 would refuse `description` on a security group rule; `None` when it is fine.
fn rule_description_problem(description: &str) -> Option<String> {
    let length = description.chars().count();
    if length > MAX_RULE_DESCRIPTION_LEN {
        return Some(format!(
            "it is {length} characters long (at most {MAX_RULE_DESCRIPTION_LEN})"
        ));
    }
    description
        .chars()
        .find(|c| !rule_description_character_allowed(*c))
        .map(|bad| format!("it contains {bad:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_descriptions_follow_ec2s_character_set_and_length() {
        assert_eq!(
            rule_description_problem("HTTPS from the office (VPN) #1"),
            None
        );
        assert!(rule_description_problem("caf\u{e9}").is_some());
        assert!(rule_description_problem("a\nb").is_some());
        assert!(rule_description_problem("it's").is_some());
        assert!(rule_description_problem(&"d".repeat(256)).is_some());
        assert_eq!(rule_description_problem(&"d".repeat(255)), None);
    }
}
