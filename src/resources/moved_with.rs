//! What a rename carries with it. One blueprint entry makes several resources named after it —
//! a node group `workers` makes `eks_node_group.workers` and `launch_template.workers`, a
//! service account makes its role `iam_role.irsa.<ns>.<name>` and the role's policies
//! `iam_role_policy_attachment.irsa.<ns>.<name>.<policy>`, `iam_role_policy.…` — so renaming the
//! entry renames them all. A `[[moved]]` entry (or `state mv`) names the first; the rest move
//! with it. The rule is written once: `plan::moves` moves the records by it, the expansion
//! keeps their AWS names by it (read backwards: new id → the id it was made under).

use super::{Kind, ResourceId};

/// The id `other` moves to when `from` moves to `to`, if `other` belongs to `from`'s blueprint
/// entry: the node group's launch template (the same name), or the role's policies and
/// attachments (named `<role name>.<policy>`). `None` for anything else, `from` itself included.
pub fn carried_id(from: &ResourceId, to: &ResourceId, other: &ResourceId) -> Option<ResourceId> {
    let (old, new) = (from.name(), to.name());
    match (from.kind(), other.kind()) {
        (Kind::EksNodeGroup, Kind::LaunchTemplate) if other.name() == old => {
            Some(ResourceId::new(Kind::LaunchTemplate, new))
        }
        (Kind::IamRole, kind @ (Kind::IamRolePolicyAttachment | Kind::IamRolePolicy)) => {
            let rest = other.name().strip_prefix(old)?.strip_prefix('.')?;
            Some(ResourceId::new(kind, &format!("{new}.{rest}")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    #[test]
    fn a_node_group_carries_its_launch_template_and_a_role_its_policies() {
        let (group, general) = (id("eks_node_group.workers"), id("eks_node_group.general"));
        assert_eq!(
            carried_id(&group, &general, &id("launch_template.workers")),
            Some(id("launch_template.general"))
        );
        // Backwards: the id a carried resource was made under.
        assert_eq!(
            carried_id(&general, &group, &id("launch_template.general")),
            Some(id("launch_template.workers"))
        );
        let (old, new) = (id("iam_role.irsa.apps.old"), id("iam_role.irsa.apps.new"));
        assert_eq!(
            carried_id(
                &old,
                &new,
                &id("iam_role_policy_attachment.irsa.apps.old.ReadOnly")
            ),
            Some(id("iam_role_policy_attachment.irsa.apps.new.ReadOnly"))
        );
        assert_eq!(
            carried_id(&old, &new, &id("iam_role_policy.irsa.apps.old.s3")),
            Some(id("iam_role_policy.irsa.apps.new.s3"))
        );
        for unrelated in [
            "launch_template.workers2",
            "eks_node_group.workers",
            "iam_role_policy.irsa.apps.older.s3",
            "iam_role.irsa.apps.old",
            "eks_addon.coredns",
        ] {
            assert_eq!(
                carried_id(&group, &general, &id(unrelated)),
                None,
                "{unrelated}"
            );
            assert_eq!(carried_id(&old, &new, &id(unrelated)), None, "{unrelated}");
        }
    }
}
