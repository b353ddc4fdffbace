//! Names derived from what the user wrote: resource-id segments, AWS names with a length
//! limit, and the ARNs of AWS-managed things in the placement's partition.

use sha2::{Digest, Sha256};

use crate::resources::Placement;

/// `text` as a resource-id segment: anything but ASCII letters, digits, `-` and `_` becomes
/// `-` (`arn:aws:iam::1:role/ops` → `ops` after the caller takes the last path part).
pub(super) fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The part of an ARN after its last `/` (a policy's or principal's short name).
pub(crate) fn last_path_part(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The first eight hex digits of the SHA-256 of `text`: short, stable, distinct enough to
/// tell apart names that share a prefix.
pub(super) fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `name`, or a prefix of it plus a hash when longer than `limit` (IAM role names: 64).
pub(super) fn bounded_name(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_string();
    }
    // Room for `-` and the hash; cut on a character boundary so the result stays within
    // `limit` bytes whatever the text.
    let mut end = limit.saturating_sub(9);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}-{}", &name[..end], short_hash(name))
}

/// ARNs in the placement's partition and account, built rather than guessed.
pub(super) struct Arns<'a> {
    pub placement: &'a Placement,
}

impl Arns<'_> {
    /// An AWS-managed IAM policy (`AmazonEKSClusterPolicy`).
    pub(super) fn managed_policy(&self, policy: &str) -> String {
        format!("arn:{}:iam::aws:policy/{policy}", self.placement.partition)
    }

    /// An EKS access policy (`AmazonEKSClusterAdminPolicy`).
    pub(super) fn access_policy(&self, policy: &str) -> String {
        format!(
            "arn:{}:eks::aws:cluster-access-policy/{policy}",
            self.placement.partition
        )
    }

    /// The account itself as a principal.
    pub(super) fn account_root(&self) -> String {
        format!(
            "arn:{}:iam::{}:root",
            self.placement.partition, self.placement.account_id
        )
    }

    /// The EKS cluster `name` in the placement's region and account.
    pub(super) fn cluster(&self, name: &str) -> String {
        let placement = self.placement;
        format!(
            "arn:{}:eks:{}:{}:cluster/{name}",
            placement.partition, placement.region, placement.account_id
        )
    }

    /// Every log group of the account in the placement's region.
    pub(super) fn any_log_group(&self) -> String {
        let placement = self.placement;
        format!(
            "arn:{}:logs:{}:{}:log-group:*",
            placement.partition, placement.region, placement.account_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_bounded_and_stay_distinct() {
        let a = bounded_name(&"x".repeat(80), 64);
        let b = bounded_name(&format!("{}y", "x".repeat(80)), 64);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(bounded_name("short", 64), "short");
    }

    #[test]
    fn the_short_hash_is_the_first_eight_hex_digits_of_sha256() {
        assert_eq!(short_hash("abc"), "ba7816bf");
    }

    #[test]
    fn sanitised_segments_keep_letters_digits_dashes_and_underscores() {
        assert_eq!(sanitise("team.ops/admin_1"), "team-ops-admin_1");
        assert_eq!(last_path_part("arn:aws:iam::1:role/path/ops"), "ops");
        assert_eq!(last_path_part("no-slash"), "no-slash");
    }
}
