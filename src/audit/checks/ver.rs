//! Versions and lifecycle (EKS-VER): the rows of docs/checks.md's section, one [`Check`] each,
//! judged against the dated EKS support calendar of `blueprint::kubernetes_calendar`.

use crate::audit::view::{Date, Fact, NodeGroupView, Posture, Subject};
use crate::audit::{Check, Evaluation};
use crate::blueprint::kubernetes_calendar::{self, Support};

const WHY: &str = "Unsupported Kubernetes and stale node images stop receiving security fixes.";

pub(super) const CHECKS: &[Check] = &[
    check!("EKS-VER-001", High, "Kubernetes version out of EKS support", WHY,
        "cluster.version set to a version in standard support (upgrades go one minor version at a time)",
        ["CKV_AWS_339", "P:eks_cluster_uses_a_supported_version"], desired = true, live = true, supported),
    check!("EKS-VER-002", Medium, "Kubernetes version past standard support", WHY,
        "bump cluster.version", ["≈CKV_AWS_339"], desired = true, live = true, standard_support),
    check!("EKS-VER-003", Medium, "Node group Kubernetes version behind the control plane", WHY,
        "drop the pin; eksforge rolls node groups after a control-plane upgrade",
        ["BPG hosts (keep nodes updated)"], desired = true, live = true, node_version),
    check!("EKS-VER-004", Medium, "Bottlerocket release not the latest", WHY,
        "unset release_version and apply (node group version update)",
        ["BPG hosts (keep the OS updated)"], desired = true, live = true, latest_release),
    check!("EKS-VER-005", Low, "Cluster deletion protection off", WHY,
        "cluster.deletion_protection = true (the default); destroy turns it off first, only with --allow-replace eks_cluster.main",
        ["P:eks_cluster_deletion_protection_enabled"], desired = true, live = true, deletion_protection),
];

/// The support status of `version` on `today`, from the API's answer when given, else the
/// calendar (`blueprint::kubernetes_calendar`, which also picks the default version).
fn support(version: &str, reported: Option<&str>, today: Date) -> (Support, String) {
    match reported {
        Some("STANDARD_SUPPORT") => return (Support::Standard, "in standard support".into()),
        Some("EXTENDED_SUPPORT") => {
            return (
                Support::Extended,
                format!("{version} is in extended support (eks:DescribeClusterVersions)"),
            )
        }
        Some("UNSUPPORTED") | Some("NOT_LISTED") => {
            return (
                Support::Unsupported,
                format!("{version} is not supported by EKS (eks:DescribeClusterVersions)"),
            )
        }
        _ => {}
    }
    let Some(release) = kubernetes_calendar::find(version) else {
        return (
            Support::Unsupported,
            format!("{version} is not in eksforge's EKS version calendar"),
        );
    };
    let (standard, extended) = (release.end_of_standard, release.end_of_extended);
    let status = release.support_on(today);
    let detail = match status {
        Support::Standard => format!("{version} is in standard support until {standard}"),
        Support::Extended => format!(
            "{version} left standard support on {standard}; extended support ends {extended}"
        ),
        Support::Unsupported => format!("{version} left extended support on {extended}"),
    };
    (status, detail)
}

/// The cluster's support status judged by `ok`; not evaluated when its version is unknown.
fn per_cluster_support(p: &Posture, ok: fn(Support) -> bool) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            let subject = c.subject.at("cluster.version");
            let version = match &c.version {
                Fact::Known(version) => version,
                Fact::Unknown(why) => return Evaluation::not_evaluated(&subject, why),
            };
            let (status, detail) = support(version, c.reported_version_status.as_deref(), p.today);
            Evaluation::check(&subject, ok(status), detail)
        })
        .collect()
}

fn supported(p: &Posture) -> Vec<Evaluation> {
    per_cluster_support(p, |status| status != Support::Unsupported)
}

fn standard_support(p: &Posture) -> Vec<Evaluation> {
    per_cluster_support(p, |status| status == Support::Standard)
}

fn at(group: &NodeGroupView, key: &str) -> Subject {
    match &group.subject.key {
        Some(own) => group.subject.at(format!("{own}.{key}")),
        None => group.subject.clone(),
    }
}

fn node_version(p: &Posture) -> Vec<Evaluation> {
    let Some(cluster) = &p.cluster else {
        return Vec::new();
    };
    p.node_groups
        .iter()
        .map(|g| {
            let subject = at(g, "version");
            let control_plane = match &cluster.version {
                Fact::Known(version) => version,
                Fact::Unknown(why) => return Evaluation::not_evaluated(&subject, why),
            };
            let version = g.version.as_deref().unwrap_or(control_plane);
            Evaluation::check(
                &subject,
                version == control_plane,
                format!("nodes run {version}, the control plane {control_plane}"),
            )
        })
        .collect()
}

fn latest_release(p: &Posture) -> Vec<Evaluation> {
    p.node_groups
        .iter()
        .map(|g| {
            let subject = at(g, "release_version");
            match (&g.latest_release, &g.release_version) {
                (Fact::Known(latest), Some(release)) => Evaluation::check(
                    &subject,
                    release == latest,
                    format!("release {release}; the latest is {latest}"),
                ),
                (Fact::Known(_), None) => Evaluation::not_evaluated(
                    &subject,
                    "the release is not pinned and not known yet",
                ),
                (Fact::Unknown(why), _) => Evaluation::not_evaluated(&subject, why),
            }
        })
        .collect()
}

fn deletion_protection(p: &Posture) -> Vec<Evaluation> {
    p.cluster
        .iter()
        .map(|c| {
            let subject = c.subject.at("cluster.deletion_protection");
            match &c.deletion_protection {
                Fact::Known(on) => Evaluation::check(&subject, *on, "deletionProtection is off"),
                Fact::Unknown(why) => Evaluation::not_evaluated(&subject, why),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    case!(
        ver_001_unknown_version,
        "EKS-VER-001",
        [Desired, Live],
        |p| {
            let c = p.cluster.as_mut().unwrap();
            c.version = Fact::Known("1.27".into());
            c.reported_version_status = None;
        }
    );
    case!(ver_001_reported, "EKS-VER-001", [Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .reported_version_status =
        Some("UNSUPPORTED".into()));
    case!(ver_002, "EKS-VER-002", [Desired, Live], |p| {
        let c = p.cluster.as_mut().unwrap();
        c.version = Fact::Known("1.31".into());
        c.reported_version_status = None;
    });
    case!(ver_003, "EKS-VER-003", [Desired, Live], |p| p.node_groups
        [0]
    .version =
        Some("1.33".into()));
    case!(ver_004, "EKS-VER-004", [Desired, Live], |p| p.node_groups
        [0]
    .release_version =
        Some("1.49.0-aaaa".into()));
    case!(ver_005, "EKS-VER-005", [Desired, Live], |p| p
        .cluster
        .as_mut()
        .unwrap()
        .deletion_protection =
        Fact::Known(false));

    #[test]
    fn the_calendar_moves_versions_through_standard_extended_and_out() {
        let day = |d: &str| Date::parse(d).unwrap();
        assert_eq!(
            support("1.34", None, day("2026-12-02")).0,
            Support::Standard
        );
        assert_eq!(
            support("1.34", None, day("2026-12-03")).0,
            Support::Extended
        );
        assert_eq!(
            support("1.34", None, day("2027-12-03")).0,
            Support::Unsupported
        );
        assert_eq!(
            support("1.99", None, day("2026-01-01")).0,
            Support::Unsupported
        );
    }

    #[test]
    fn an_unreadable_release_is_not_evaluated() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Desired);
        p.node_groups[0].latest_release = Fact::unknown("no public SSM parameter");
        let result = crate::audit::checks::testing::run("EKS-VER-004", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }
}
