//! `iam_role_policy_attachment`: not written yet.

super::stub_provider!(IamRolePolicyAttachmentProvider, crate::resources::Kind::IamRolePolicyAttachment);
