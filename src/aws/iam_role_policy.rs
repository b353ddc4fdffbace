//! `iam_role_policy`: not written yet.

super::stub_provider!(IamRolePolicyProvider, crate::resources::Kind::IamRolePolicy);
