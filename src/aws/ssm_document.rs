//! `ssm_document`: not written yet.

super::stub_provider!(SsmDocumentProvider, crate::resources::Kind::SsmDocument);
