//! Add-ons (EKS-K8S): the rows of docs/checks.md's section, one [`Check`] each.

use crate::audit::view::{AddonsView, Fact, Posture, RoleUse, Side};
use crate::audit::{Check, Evaluation};
use crate::blueprint::addons::version_numbers;

const WHY: &str = "Kubernetes NetworkPolicy objects have no effect until the CNI enforces them; EKS-managed add-ons get fixes through the API, and their state can be audited there.";

pub(super) const CHECKS: &[Check] = &[
    check!(
        "EKS-K8S-001",
        Medium,
        "NetworkPolicy not enforced (VPC CNI network policy off)",
        WHY,
        "keep `[addons.vpc_cni] network_policy = true` (eksforge sends enableNetworkPolicy to the vpc-cni add-on)",
        [
            "CIS 4.3.1",
            "CIS 5.4.4",
            "≈P:eks_cluster_network_policy_enabled"
        ],
        desired = true,
        live = true,
        network_policy
    ),
    check!(
        "EKS-K8S-002",
        Medium,
        "VPC CNI uses node-role credentials",
        WHY,
        "keep vpc-cni in addons.managed: eksforge binds it to a role of its own (`[addons.vpc_cni] identity`, IRSA or pod identity)",
        ["BPG iam (aws-node on IRSA)"],
        desired = true,
        live = true,
        cni_credentials
    ),
    check!(
        "EKS-K8S-003",
        Low,
        "Core add-ons not EKS-managed",
        WHY,
        "list vpc-cni, kube-proxy and coredns in addons.managed",
        [],
        desired = true,
        live = true,
        managed_core
    ),
    check!(
        "EKS-K8S-004",
        Low,
        "Managed add-on older than the default for the cluster version",
        WHY,
        "pin the add-on (addons.versions) to at least the default version for the cluster's Kubernetes version, or remove the pin",
        [],
        desired = true,
        live = true,
        addon_versions
    ),
];

/// Runs `f` over the add-ons, or reports the check not evaluated at the cluster.
fn with_addons(p: &Posture, f: impl Fn(&AddonsView) -> Vec<Evaluation>) -> Vec<Evaluation> {
    let Some(cluster) = &p.cluster else {
        return Vec::new();
    };
    match &p.addons {
        Fact::Known(addons) => f(addons),
        Fact::Unknown(why) => vec![Evaluation::not_evaluated(
            &cluster.subject.at("addons"),
            why,
        )],
    }
}

fn network_policy(p: &Posture) -> Vec<Evaluation> {
    with_addons(p, |addons| {
        match addons.managed.iter().find(|a| a.name == "vpc-cni") {
            Some(cni) => vec![Evaluation::check(
                &cni.subject.at("addons.vpc_cni.network_policy"),
                cni.network_policy == Some(true),
                "vpc-cni runs without enableNetworkPolicy",
            )],
            None => vec![Evaluation::not_evaluated(
                &addons.subject.at("addons.managed"),
                "vpc-cni is not an EKS-managed add-on",
            )],
        }
    })
}

/// Credit only a binding the AWS API shows: the vpc-cni add-on's `serviceAccountRoleArn` or a
/// pod identity association. A role that merely trusts `aws-node` binds nothing by itself: on
/// the desired side nothing eksforge makes annotates the service account, and live the
/// annotation is a Kubernetes object the AWS API does not show.
fn cni_credentials(p: &Posture) -> Vec<Evaluation> {
    let irsa_role = p.roles.iter().any(|r| {
        r.uses == RoleUse::Irsa
            && r.service_account
                .as_ref()
                .is_some_and(|(ns, name)| ns == "kube-system" && name == "aws-node")
    });
    with_addons(p, |addons| {
        let cni = addons.managed.iter().find(|a| a.name == "vpc-cni");
        let bound = cni.is_some_and(|a| a.service_account_role.is_some() || a.pod_identity);
        let subject = cni
            .map(|a| a.subject.clone())
            .unwrap_or_else(|| addons.subject.clone())
            .at("addons.vpc_cni.identity");
        let evaluation = match (bound, irsa_role, p.side) {
            (true, _, _) => Evaluation::pass(&subject),
            (false, true, Side::Live) => Evaluation::not_evaluated(
                &subject,
                "an IRSA role trusts aws-node, but whether the service account carries its annotation is not visible through the AWS API",
            ),
            (false, true, Side::Desired) => Evaluation::fail(
                &subject,
                "the aws-node IRSA role is bound to no vpc-cni add-on: the CNI uses the node role",
            ),
            (false, false, _) => Evaluation::fail(
                &subject,
                "aws-node has no IRSA role or pod identity: it uses the node role",
            ),
        };
        vec![evaluation]
    })
}

fn managed_core(p: &Posture) -> Vec<Evaluation> {
    with_addons(p, |addons| {
        let missing: Vec<&str> = ["vpc-cni", "kube-proxy", "coredns"]
            .into_iter()
            .filter(|name| !addons.managed.iter().any(|a| a.name == *name))
            .collect();
        vec![Evaluation::check(
            &addons.subject.at("addons.managed"),
            missing.is_empty(),
            format!("not EKS-managed: {}", missing.join(", ")),
        )]
    })
}

fn addon_versions(p: &Posture) -> Vec<Evaluation> {
    with_addons(p, |addons| {
        addons
            .managed
            .iter()
            .map(|addon| {
                let subject = addon.subject.at(format!("addons.versions.{}", addon.name));
                match (&addon.version, &addon.default_version) {
                    (None, _) => Evaluation::pass(&subject),
                    (Some(version), Fact::Known(Some(default))) => Evaluation::check(
                        &subject,
                        version_numbers(version) >= version_numbers(default),
                        format!(
                            "{} {version} is older than the default {default}",
                            addon.name
                        ),
                    ),
                    (Some(_), Fact::Known(None)) => {
                        Evaluation::not_evaluated(&subject, "no default version is known")
                    }
                    (Some(_), Fact::Unknown(why)) => Evaluation::not_evaluated(&subject, why),
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use crate::audit::view::{Fact, RoleUse};

    fn addons(p: &mut crate::audit::view::Posture) -> &mut crate::audit::view::AddonsView {
        match &mut p.addons {
            Fact::Known(a) => a,
            Fact::Unknown(_) => unreachable!(),
        }
    }

    case!(k8s_001, "EKS-K8S-001", [Desired, Live], |p| addons(
        &mut p
    )
    .managed[0]
        .network_policy =
        Some(false));
    case!(k8s_002, "EKS-K8S-002", [Desired, Live], |p| {
        addons(&mut p).managed[0].service_account_role = None;
        p.roles.retain(|r| r.uses != RoleUse::Irsa);
    });
    case!(k8s_003, "EKS-K8S-003", [Desired, Live], |p| addons(&mut p)
        .managed
        .retain(|a| a.name != "coredns"));
    case!(k8s_004, "EKS-K8S-004", [Desired, Live], |p| addons(
        &mut p
    )
    .managed[2]
        .version =
        Some("v0.9.0-eksbuild.1".into()));

    #[test]
    fn without_an_add_ons_api_nothing_is_judged() {
        let mut p = crate::audit::view::fixture::secure(crate::audit::view::Side::Live);
        p.addons = Fact::unknown("eks:ListAddons is not available");
        let result = crate::audit::checks::testing::run("EKS-K8S-003", &p);
        assert!(matches!(
            result[0].outcome,
            crate::audit::Outcome::NotEvaluated(_)
        ));
    }
}
