//! `kms_key`: not written yet.

super::stub_provider!(KmsKeyProvider, crate::resources::Kind::KmsKey);
