//! The Amazon EKS Kubernetes release calendar
//! (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html: 14 months of standard
//! support from the EKS release, then 12 of extended support), as published on 2026-11-23.
//!
//! Read by the blueprint's default `cluster.version` (the newest version in standard support
//! today) and by the audit's version checks (`src/audit/checks/ver.rs`), so the two never disagree.
//! The emulator's catalog (`emulator/eksforge_emulator/eks/catalog.py`) carries the same dates.

use super::date::Date;

/// One Kubernetes minor version as EKS supports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubernetesRelease {
    /// `1.NN`.
    pub version: &'static str,
    /// The day EKS made it available.
    pub released: Date,
    /// The last day of standard support.
    pub end_of_standard: Date,
    /// The last day of extended support (paid); afterwards EKS upgrades the cluster itself.
    pub end_of_extended: Date,
}

/// Where a version stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Standard,
    Extended,
    Unsupported,
}

impl KubernetesRelease {
    /// The support status on `today` (an end date is the last day of its period).
    pub fn support_on(&self, today: Date) -> Support {
        if today <= self.end_of_standard {
            Support::Standard
        } else if today <= self.end_of_extended {
            Support::Extended
        } else {
            Support::Unsupported
        }
    }
}

const fn day(year: i32, month: u32, day: u32) -> Date {
    Date { year, month, day }
}

const fn release(
    version: &'static str,
    released: Date,
    end_of_standard: Date,
    end_of_extended: Date,
) -> KubernetesRelease {
    KubernetesRelease {
        version,
        released,
        end_of_standard,
        end_of_extended,
    }
}

/// Oldest first.
pub const RELEASES: &[KubernetesRelease] = &[
    release(
        "1.28",
        day(2023, 9, 26),
        day(2024, 11, 26),
        day(2025, 11, 26),
    ),
    release("1.29", day(2024, 1, 23), day(2025, 3, 23), day(2026, 3, 23)),
    release("1.30", day(2024, 5, 23), day(2025, 7, 23), day(2026, 7, 23)),
    release(
        "1.31",
        day(2024, 9, 26),
        day(2025, 11, 26),
        day(2026, 11, 26),
    ),
    release("1.32", day(2025, 1, 23), day(2026, 3, 23), day(2027, 3, 23)),
    release("1.33", day(2025, 5, 29), day(2026, 7, 29), day(2027, 7, 29)),
    release("1.34", day(2025, 10, 2), day(2026, 12, 2), day(2027, 12, 2)),
    release("1.35", day(2026, 1, 27), day(2027, 3, 27), day(2028, 3, 27)),
];

/// The calendar's entry for `version`.
pub fn find(version: &str) -> Option<&'static KubernetesRelease> {
    RELEASES.iter().find(|release| release.version == version)
}

/// The default `cluster.version`: the newest version released and in standard support on
/// `today`. When the calendar is older than every standard-support window (eksforge not
/// updated for over a year), the newest version it knows: the audit then reports its support
/// status (EKS-VER-001/002) rather than eksforge guessing a version it has no dates for.
pub fn newest_in_standard_support(today: Date) -> &'static str {
    RELEASES
        .iter()
        .rev()
        .find(|release| release.released <= today && release.support_on(today) == Support::Standard)
        .map_or(NEWEST.version, |release| release.version)
}

/// The newest version the calendar knows (a compile error if the calendar were empty).
const NEWEST: &KubernetesRelease = &RELEASES[RELEASES.len() - 1];

#[cfg(test)]
mod tests {
    use super::*;

    fn on(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn every_entry_is_real_and_in_order() {
        for (index, release) in RELEASES.iter().enumerate() {
            for date in [
                release.released,
                release.end_of_standard,
                release.end_of_extended,
            ] {
                assert_eq!(Date::parse(&date.to_string()), Some(date), "{release:?}");
            }
            assert!(release.released < release.end_of_standard, "{release:?}");
            assert!(
                release.end_of_standard < release.end_of_extended,
                "{release:?}"
            );
            if let Some(next) = RELEASES.get(index + 1) {
                assert!(release.released < next.released, "{release:?}");
                assert_eq!(
                    next.version
                        .split('.')
                        .nth(1)
                        .and_then(|m| m.parse::<u32>().ok()),
                    release
                        .version
                        .split('.')
                        .nth(1)
                        .and_then(|m| m.parse::<u32>().ok())
                        .map(|minor| minor + 1),
                    "one minor version after {}",
                    release.version
                );
            }
        }
    }

    #[test]
    fn versions_move_through_standard_extended_and_out() {
        let Some(release) = find("1.34") else {
            panic!("1.34 is in the calendar");
        };
        assert_eq!(release.support_on(on("2026-12-02")), Support::Standard);
        assert_eq!(release.support_on(on("2026-12-03")), Support::Extended);
        assert_eq!(release.support_on(on("2027-12-03")), Support::Unsupported);
        assert_eq!(find("1.99"), None);
    }

    #[test]
    fn the_default_is_the_newest_released_version_in_standard_support() {
        // 1.35 not released yet: 1.34 is the newest.
        assert_eq!(newest_in_standard_support(on("2026-01-26")), "1.34");
        assert_eq!(newest_in_standard_support(on("2026-01-27")), "1.35");
        // 1.34 left standard support on 2026-12-02; 1.35 is still in it.
        assert_eq!(newest_in_standard_support(on("2026-12-07")), "1.35");
        // A calendar older than every window: its newest version, for the audit to judge.
        assert_eq!(newest_in_standard_support(on("2030-01-01")), "1.35");
    }
}
