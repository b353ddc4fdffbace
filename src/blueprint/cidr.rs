//! IPv4 CIDR arithmetic and the deterministic subnet layout of a blueprint's VPC.
//!
//! The layout is a pure function of `[network]` and the AZ count, so a re-plan always carves the
//! same subnets (no perpetual diff):
//! - private subnets (nodes) get prefix `vpc + ceil(log2(azs + 1))`, at indices `0..azs`, so at
//!   least one private-sized block stays free;
//! - public subnets (NAT gateways, load balancers) are carved inside that first free block
//!   (index `azs`) with `max(1, ceil(log2(azs)))` more bits.
//!
//! `10.40.0.0/16` with 3 AZs: private `/18`s at `10.40.0.0`, `10.40.64.0`, `10.40.128.0`; public
//! `/20`s at `10.40.192.0`, `10.40.208.0`, `10.40.224.0`.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::model::Network;

/// The smallest subnet AWS allows is a /28 (16 addresses).
pub const MIN_SUBNET_PREFIX: u8 = 28;

/// An IPv4 network: address and prefix length. Built through [`Ipv4Cidr::new`] or parsing, the
/// host bits are zero; [`Ipv4Cidr::parse_with_host_bits`] keeps the address as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// Why a CIDR or a subnet layout is not possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("`{input}` is not an IPv4 CIDR: {reason}")]
    Parse { input: String, reason: String },

    #[error("`{input}` has host bits set (did you mean {network}?)")]
    HostBits { input: String, network: Ipv4Cidr },

    #[error("a subnet layout needs at least one availability zone")]
    NoAzs,

    #[error(
        "vpc_cidr {vpc} is too small for {az_count} AZs: {} smaller than /{MIN_SUBNET_PREFIX}, the smallest subnet AWS allows; use a /{max_vpc_prefix} VPC or larger, or fewer AZs",
        sizes(*private_prefix, *public_prefix)
    )]
    TooSmall {
        vpc: Ipv4Cidr,
        az_count: usize,
        /// Prefix the private subnets would get (may exceed 32 when hopeless).
        private_prefix: u32,
        /// Prefix the public subnets would get, when there are public subnets.
        public_prefix: Option<u32>,
        /// The longest VPC prefix that would fit this many AZs.
        max_vpc_prefix: u32,
    },

    #[error("{list} has {found} entries but there are {expected} AZs; give one CIDR per AZ, in AZ order")]
    CountMismatch {
        list: &'static str,
        expected: usize,
        found: usize,
    },

    #[error("subnet {subnet} is not inside vpc_cidr {vpc}")]
    Outside { subnet: Ipv4Cidr, vpc: Ipv4Cidr },

    #[error(
        "subnet {subnet} is smaller than /{MIN_SUBNET_PREFIX}, the smallest subnet AWS allows"
    )]
    SubnetTooSmall { subnet: Ipv4Cidr },

    #[error("subnets {first} and {second} overlap")]
    Overlap { first: Ipv4Cidr, second: Ipv4Cidr },

    #[error("{given} is given but {missing} is not; give both explicit lists or neither")]
    PartialExplicit {
        given: &'static str,
        missing: &'static str,
    },

    #[error("public_subnet_cidrs is given but public_subnets = false")]
    PublicDisabled,
}

fn sizes(private_prefix: u32, public_prefix: Option<u32>) -> String {
    match public_prefix {
        Some(public) => format!(
            "private subnets would be /{private_prefix} and public subnets /{public}, one or both"
        ),
        None => format!("private subnets would be /{private_prefix},"),
    }
}

impl Ipv4Cidr {
    /// A CIDR whose host bits are zero; `None` when `prefix > 32` or host bits are set.
    pub fn new(addr: u32, prefix: u8) -> Option<Self> {
        let cidr = Ipv4Cidr { addr, prefix };
        (prefix <= 32 && !cidr.has_host_bits()).then_some(cidr)
    }

    /// Parses `a.b.c.d/n`, refusing host bits (with the network the user probably meant).
    pub fn parse(input: &str) -> Result<Self, CidrError> {
        let cidr = Self::parse_with_host_bits(input)?;
        if cidr.has_host_bits() {
            return Err(CidrError::HostBits {
                input: input.to_string(),
                network: cidr.network(),
            });
        }
        Ok(cidr)
    }

    /// Parses `a.b.c.d/n`, keeping host bits as written.
    pub fn parse_with_host_bits(input: &str) -> Result<Self, CidrError> {
        let fail = |reason: &str| CidrError::Parse {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (addr, prefix) = input
            .split_once('/')
            .ok_or_else(|| fail("expected an address and a prefix length, as in 10.40.0.0/16"))?;
        let addr = Ipv4Addr::from_str(addr)
            .map_err(|_| fail("the address must be four numbers 0–255 separated by dots"))?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the prefix length must be a number from 0 to 32"));
        }
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| fail("the prefix length must be a number from 0 to 32"))?;
        if prefix > 32 {
            return Err(fail("the prefix length must be a number from 0 to 32"));
        }
        Ok(Ipv4Cidr {
            addr: u32::from(addr),
            prefix,
        })
    }

    /// The netmask (`/16` → `0xffff0000`).
    pub fn mask(&self) -> u32 {
        match self.prefix {
            0 => 0,
            p if p >= 32 => u32::MAX,
            p => u32::MAX << (32 - u32::from(p)),
        }
    }

    pub fn has_host_bits(&self) -> bool {
        self.addr & !self.mask() != 0
    }

    /// The same prefix with the host bits cleared.
    pub fn network(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            addr: self.addr & self.mask(),
            prefix: self.prefix,
        }
    }

    pub fn first(&self) -> u32 {
        self.addr & self.mask()
    }

    pub fn last(&self) -> u32 {
        self.first() | !self.mask()
    }

    /// Number of addresses.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix.min(32)))
    }

    pub fn contains_addr(&self, addr: u32) -> bool {
        addr & self.mask() == self.first()
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && self.contains_addr(other.first())
    }

    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The `index`-th subnet with `newbits` more prefix bits (like Terraform's `cidrsubnet`);
    /// `None` when the prefix would pass 32 or `index` does not fit in `newbits`.
    pub fn subnet(&self, newbits: u8, index: u32) -> Option<Ipv4Cidr> {
        let prefix = u32::from(self.prefix) + u32::from(newbits);
        if prefix > 32 || (newbits < 32 && u64::from(index) >= 1u64 << newbits) {
            return None;
        }
        let shift = 32 - prefix;
        let offset = if shift >= 32 {
            0
        } else {
            index.checked_shl(shift)?
        };
        Some(Ipv4Cidr {
            addr: self.first() | offset,
            prefix: u8::try_from(prefix).ok()?,
        })
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ipv4Cidr::parse(s)
    }
}

/// The subnets of a blueprint's VPC, in AZ order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetLayout {
    pub private: Vec<Ipv4Cidr>,
    /// Empty when `network.public_subnets = false`.
    pub public: Vec<Ipv4Cidr>,
}

/// `ceil(log2(n))`, 0 for `n ≤ 1`.
fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// The subnet layout of `network` over `az_count` AZs: the explicit CIDR lists when given
/// (checked: one per AZ, inside the VPC, at least /28, no overlaps), else carved as described in
/// the module documentation.
pub fn subnet_layout(network: &Network, az_count: usize) -> Result<SubnetLayout, CidrError> {
    if az_count == 0 {
        return Err(CidrError::NoAzs);
    }
    let vpc = Ipv4Cidr::parse(&network.vpc_cidr)?;
    if !network.public_subnets && network.public_subnet_cidrs.is_some() {
        return Err(CidrError::PublicDisabled);
    }
    match (&network.private_subnet_cidrs, &network.public_subnet_cidrs) {
        (None, None) => carve(vpc, az_count, network.public_subnets),
        (Some(private), public) => {
            let public = match public {
                Some(public) => public.as_slice(),
                None if network.public_subnets => {
                    return Err(CidrError::PartialExplicit {
                        given: "private_subnet_cidrs",
                        missing: "public_subnet_cidrs",
                    })
                }
                None => &[],
            };
            explicit(vpc, az_count, private, public, network.public_subnets)
        }
        (None, Some(_)) => Err(CidrError::PartialExplicit {
            given: "public_subnet_cidrs",
            missing: "private_subnet_cidrs",
        }),
    }
}

fn carve(vpc: Ipv4Cidr, az_count: usize, public: bool) -> Result<SubnetLayout, CidrError> {
    let private_bits = ceil_log2(az_count + 1);
    let public_bits = ceil_log2(az_count).max(1);
    let private_prefix = u32::from(vpc.prefix) + private_bits;
    let public_prefix = public.then_some(private_prefix + public_bits);
    let deepest = public_prefix.unwrap_or(private_prefix);
    let min = u32::from(MIN_SUBNET_PREFIX);
    if deepest > min {
        return Err(CidrError::TooSmall {
            vpc,
            az_count,
            private_prefix,
            public_prefix,
            max_vpc_prefix: min.saturating_sub(deepest - u32::from(vpc.prefix)),
        });
    }
    let too_small = || CidrError::TooSmall {
        vpc,
        az_count,
        private_prefix,
        public_prefix,
        max_vpc_prefix: 0,
    };
    // Both widths fit in u8 here: the deepest prefix is at most 28.
    let private_bits = u8::try_from(private_bits).map_err(|_| too_small())?;
    let public_bits = u8::try_from(public_bits).map_err(|_| too_small())?;
    let indices = 0..u32::try_from(az_count).map_err(|_| too_small())?;
    let private = indices
        .clone()
        .map(|i| vpc.subnet(private_bits, i).ok_or_else(too_small))
        .collect::<Result<Vec<_>, _>>()?;
    let public = if public {
        let block = vpc
            .subnet(private_bits, indices.end)
            .ok_or_else(too_small)?;
        indices
            .map(|i| block.subnet(public_bits, i).ok_or_else(too_small))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    Ok(SubnetLayout { private, public })
}

fn explicit(
    vpc: Ipv4Cidr,
    az_count: usize,
    private: &[String],
    public: &[String],
    public_wanted: bool,
) -> Result<SubnetLayout, CidrError> {
    let parse_list = |list: &'static str, items: &[String]| {
        if items.len() != az_count {
            return Err(CidrError::CountMismatch {
                list,
                expected: az_count,
                found: items.len(),
            });
        }
        items
            .iter()
            .map(|s| {
                let subnet = Ipv4Cidr::parse(s)?;
                if !vpc.contains(&subnet) {
                    return Err(CidrError::Outside { subnet, vpc });
                }
                if subnet.prefix > MIN_SUBNET_PREFIX {
                    return Err(CidrError::SubnetTooSmall { subnet });
                }
                Ok(subnet)
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let private = parse_list("private_subnet_cidrs", private)?;
    let public = if public_wanted {
        parse_list("public_subnet_cidrs", public)?
    } else {
        Vec::new()
    };
    let all: Vec<&Ipv4Cidr> = private.iter().chain(&public).collect();
    for (i, first) in all.iter().enumerate() {
        if let Some(second) = all[i + 1..].iter().find(|s| first.overlaps(s)) {
            return Err(CidrError::Overlap {
                first: **first,
                second: **second,
            });
        }
    }
    Ok(SubnetLayout { private, public })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cidr(s: &str) -> Ipv4Cidr {
        Ipv4Cidr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn network(vpc: &str, public: bool) -> Network {
        Network {
            vpc_cidr: vpc.to_string(),
            azs: super::super::model::AzSpec::Count(3),
            nat: super::super::model::NatMode::PerAz,
            public_subnets: public,
            private_subnet_cidrs: None,
            public_subnet_cidrs: None,
            map_public_ip: false,
            flow_logs: crate::blueprint::model::FlowLogs::default(),
            endpoints: Vec::new(),
            endpoint_policies: Default::default(),
        }
    }

    fn strings(list: &[Ipv4Cidr]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "10.40.0.0/16",
            "0.0.0.0/0",
            "192.168.1.128/25",
            "203.0.113.7/32",
        ] {
            assert_eq!(cidr(s).to_string(), s);
        }
    }

    #[test]
    fn parse_refuses_malformed_input() {
        for s in [
            "",
            "10.0.0.0",
            "10.0.0/16",
            "10.0.0.0/33",
            "10.0.0.256/16",
            "10.0.0.0/-1",
            "10.0.0.0/ 8",
            "a.b.c.d/8",
            "10.0.0.0/016",
            "010.0.0.0/8",
            " 10.0.0.0/8",
        ] {
            assert!(
                matches!(Ipv4Cidr::parse(s), Err(CidrError::Parse { .. })),
                "{s:?} parsed"
            );
        }
    }

    #[test]
    fn host_bits_are_refused_with_the_likely_network() {
        assert_eq!(
            Ipv4Cidr::parse("10.40.1.0/16"),
            Err(CidrError::HostBits {
                input: "10.40.1.0/16".into(),
                network: cidr("10.40.0.0/16")
            })
        );
        let lenient = Ipv4Cidr::parse_with_host_bits("10.40.1.0/16").expect("lenient");
        assert!(lenient.has_host_bits());
        assert_eq!(lenient.network(), cidr("10.40.0.0/16"));
        assert_eq!(Ipv4Cidr::new(lenient.addr, 16), None);
        assert_eq!(Ipv4Cidr::new(0x0a28_0000, 16), Some(cidr("10.40.0.0/16")));
    }

    #[test]
    fn containment_and_overlap() {
        let vpc = cidr("10.40.0.0/16");
        assert!(vpc.contains(&cidr("10.40.64.0/18")));
        assert!(vpc.contains(&vpc));
        assert!(!vpc.contains(&cidr("10.41.0.0/18")));
        assert!(!cidr("10.40.64.0/18").contains(&vpc));
        assert!(vpc.overlaps(&cidr("10.40.64.0/18")));
        assert!(cidr("10.40.64.0/18").overlaps(&vpc));
        assert!(!cidr("10.40.0.0/18").overlaps(&cidr("10.40.64.0/18")));
        assert_eq!(vpc.size(), 65536);
        assert_eq!(cidr("0.0.0.0/0").size(), 1 << 32);
        assert!(cidr("0.0.0.0/0").contains(&vpc));
        assert_eq!(vpc.last(), u32::from(Ipv4Addr::new(10, 40, 255, 255)));
    }

    #[test]
    fn subnet_is_cidrsubnet() {
        let vpc = cidr("10.40.0.0/16");
        assert_eq!(vpc.subnet(2, 3), Some(cidr("10.40.192.0/18")));
        assert_eq!(vpc.subnet(8, 255), Some(cidr("10.40.255.0/24")));
        assert_eq!(vpc.subnet(2, 4), None);
        assert_eq!(vpc.subnet(17, 0), None);
        assert_eq!(vpc.subnet(16, 65535), Some(cidr("10.40.255.255/32")));
        assert_eq!(cidr("0.0.0.0/0").subnet(32, 1), Some(cidr("0.0.0.1/32")));
        assert_eq!(vpc.subnet(0, 0), Some(vpc));
    }

    #[test]
    fn the_documented_example() {
        let layout = subnet_layout(&network("10.40.0.0/16", true), 3).expect("layout");
        assert_eq!(
            strings(&layout.private),
            ["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"]
        );
        assert_eq!(
            strings(&layout.public),
            ["10.40.192.0/20", "10.40.208.0/20", "10.40.224.0/20"]
        );
        let layout = subnet_layout(&network("10.40.0.0/16", false), 3).expect("layout");
        assert!(layout.public.is_empty());
        assert_eq!(layout.private.len(), 3);
    }

    #[test]
    fn two_and_six_azs() {
        let layout = subnet_layout(&network("10.0.0.0/16", true), 2).expect("layout");
        assert_eq!(strings(&layout.private), ["10.0.0.0/18", "10.0.64.0/18"]);
        assert_eq!(strings(&layout.public), ["10.0.128.0/19", "10.0.160.0/19"]);
        let layout = subnet_layout(&network("10.0.0.0/16", true), 6).expect("layout");
        assert_eq!(layout.private[5], cidr("10.0.160.0/19"));
        assert_eq!(
            strings(&layout.public)[..2],
            ["10.0.192.0/22", "10.0.196.0/22"]
        );
    }

    #[test]
    fn too_small_names_the_sizes() {
        let err = subnet_layout(&network("10.0.0.0/24", true), 6).expect_err("too small");
        assert_eq!(
            err,
            CidrError::TooSmall {
                vpc: cidr("10.0.0.0/24"),
                az_count: 6,
                private_prefix: 27,
                public_prefix: Some(30),
                max_vpc_prefix: 22,
            }
        );
        assert!(err.to_string().contains("/27"), "{err}");
        assert!(err.to_string().contains("use a /22 VPC or larger"), "{err}");
        // Without public subnets the same VPC fits.
        assert!(subnet_layout(&network("10.0.0.0/24", false), 6).is_ok());
        assert_eq!(
            subnet_layout(&network("10.0.0.0/24", true), 0),
            Err(CidrError::NoAzs)
        );
    }

    #[test]
    fn explicit_lists_are_checked() {
        let mut net = network("10.0.0.0/16", true);
        net.private_subnet_cidrs = Some(vec!["10.0.0.0/20".into(), "10.0.16.0/20".into()]);
        net.public_subnet_cidrs = Some(vec!["10.0.32.0/24".into(), "10.0.33.0/24".into()]);
        let layout = subnet_layout(&net, 2).expect("layout");
        assert_eq!(strings(&layout.public), ["10.0.32.0/24", "10.0.33.0/24"]);
        assert!(matches!(
            subnet_layout(&net, 3),
            Err(CidrError::CountMismatch { .. })
        ));

        net.public_subnet_cidrs = Some(vec!["10.0.32.0/24".into(), "10.0.16.0/24".into()]);
        assert_eq!(
            subnet_layout(&net, 2),
            Err(CidrError::Overlap {
                first: cidr("10.0.16.0/20"),
                second: cidr("10.0.16.0/24")
            })
        );
        net.public_subnet_cidrs = Some(vec!["10.0.32.0/24".into(), "10.1.0.0/24".into()]);
        assert!(matches!(
            subnet_layout(&net, 2),
            Err(CidrError::Outside { .. })
        ));
        net.public_subnet_cidrs = Some(vec!["10.0.32.0/24".into(), "10.0.33.0/29".into()]);
        assert!(matches!(
            subnet_layout(&net, 2),
            Err(CidrError::SubnetTooSmall { .. })
        ));
        net.public_subnet_cidrs = None;
        assert!(matches!(
            subnet_layout(&net, 2),
            Err(CidrError::PartialExplicit { .. })
        ));
        net.public_subnets = false;
        assert!(subnet_layout(&net, 2).is_ok());
        net.public_subnet_cidrs = Some(vec![]);
        assert_eq!(subnet_layout(&net, 2), Err(CidrError::PublicDisabled));
    }

    proptest! {
        #[test]
        fn carving_is_sound(
            addr in any::<u32>(),
            prefix in 16u8..=24,
            az_count in 1usize..=6,
            public in any::<bool>(),
        ) {
            let vpc = Ipv4Cidr { addr, prefix }.network();
            let net = network(&vpc.to_string(), public);
            match subnet_layout(&net, az_count) {
                Ok(layout) => {
                    prop_assert_eq!(layout.private.len(), az_count);
                    prop_assert_eq!(layout.public.len(), if public { az_count } else { 0 });
                    let all: Vec<Ipv4Cidr> = layout.private.iter().chain(&layout.public).copied().collect();
                    for (i, a) in all.iter().enumerate() {
                        prop_assert!(vpc.contains(a), "{} outside {}", a, vpc);
                        prop_assert!(!a.has_host_bits());
                        prop_assert!(a.prefix <= MIN_SUBNET_PREFIX);
                        for b in &all[i + 1..] {
                            prop_assert!(!a.overlaps(b), "{} overlaps {}", a, b);
                        }
                    }
                    // Deterministic.
                    prop_assert_eq!(subnet_layout(&net, az_count), Ok(layout));
                }
                Err(CidrError::TooSmall { private_prefix, public_prefix, max_vpc_prefix, .. }) => {
                    prop_assert!(public_prefix.unwrap_or(private_prefix) > u32::from(MIN_SUBNET_PREFIX));
                    prop_assert!(max_vpc_prefix < u32::from(prefix));
                }
                Err(other) => prop_assert!(false, "unexpected error {}", other),
            }
        }

        #[test]
        fn display_parses_back(addr in any::<u32>(), prefix in 0u8..=32) {
            let c = Ipv4Cidr { addr, prefix }.network();
            prop_assert_eq!(Ipv4Cidr::parse(&c.to_string()), Ok(c));
        }

        #[test]
        fn subnets_nest(addr in any::<u32>(), prefix in 0u8..=24, newbits in 0u8..=8, index in any::<u32>()) {
            let c = Ipv4Cidr { addr, prefix }.network();
            let index = index % (1u32 << newbits);
            let s = c.subnet(newbits, index);
            prop_assert!(s.is_some());
            if let Some(s) = s {
                prop_assert!(c.contains(&s));
                prop_assert_eq!(s.prefix, prefix + newbits);
                if index > 0 {
                    let prev = c.subnet(newbits, index - 1);
                    prop_assert!(prev.is_some_and(|p| !p.overlaps(&s)));
                }
            }
        }
    }
}
