//! `eks_access_entry`: not written yet.

super::stub_provider!(EksAccessEntryProvider, crate::resources::Kind::EksAccessEntry);
