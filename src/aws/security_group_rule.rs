//! `security_group_rule`: not written yet.

super::stub_provider!(SecurityGroupRuleProvider, crate::resources::Kind::SecurityGroupRule);
