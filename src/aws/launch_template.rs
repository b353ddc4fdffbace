//! `launch_template`: not written yet.

super::stub_provider!(LaunchTemplateProvider, crate::resources::Kind::LaunchTemplate);
