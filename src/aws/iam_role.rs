//! `iam_role`: not written yet.

super::stub_provider!(IamRoleProvider, crate::resources::Kind::IamRole);
