//! `eks_node_group`: not written yet.

super::stub_provider!(EksNodeGroupProvider, crate::resources::Kind::EksNodeGroup);
