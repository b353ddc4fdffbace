//! `log_group`: not written yet.

super::stub_provider!(LogGroupProvider, crate::resources::Kind::LogGroup);
