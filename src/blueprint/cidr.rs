//! PLACEHOLDER (being written): IPv4 CIDR arithmetic and subnet carving.
use std::fmt;

use super::model::Network;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr.to_be_bytes();
        write!(f, "{}.{}.{}.{}/{}", a[0], a[1], a[2], a[3], self.prefix)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetLayout {
    pub private: Vec<Ipv4Cidr>,
    pub public: Vec<Ipv4Cidr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("placeholder")]
    Placeholder,
}

pub fn subnet_layout(_network: &Network, _az_count: usize) -> Result<SubnetLayout, CidrError> {
    Err(CidrError::Placeholder)
}
