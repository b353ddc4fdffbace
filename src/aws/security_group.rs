//! `security_group`: not written yet.

super::stub_provider!(SecurityGroupProvider, crate::resources::Kind::SecurityGroup);
