//! `iam_oidc_provider`: not written yet.

super::stub_provider!(IamOidcProviderProvider, crate::resources::Kind::IamOidcProvider);
