//! `eks_cluster`: not written yet.

super::stub_provider!(EksClusterProvider, crate::resources::Kind::EksCluster);
