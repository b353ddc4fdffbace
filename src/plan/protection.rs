//! Resources whose loss cannot be undone: the EKS cluster (its etcd, every workload) and the
//! KMS key (every secret encrypted with it). A plan that would replace or delete them as a side
//! effect of a change is refused unless the user names them explicitly, and so is a `destroy`
//! of a cluster with EKS deletion protection on (`cluster.deletion_protection`, as the refresh
//! read it from the live cluster: one protected by hand counts too).

use crate::resources::{Kind, ResourceId, Value};

use super::{Action, ActionReason, Change, Plan, PlanMode};

pub const PROTECTED_KINDS: &[Kind] = &[Kind::EksCluster, Kind::KmsKey];

/// The changes that would replace or delete a protected resource without permission.
/// `destroy` is itself the explicit request, except for a cluster EKS protects from deletion:
/// lifting that protection needs the same `--allow-replace` consent.
pub fn violations<'a>(plan: &'a Plan, allowed: &[ResourceId]) -> Vec<&'a Change> {
    plan.changes
        .iter()
        .filter(|change| PROTECTED_KINDS.contains(&change.id.kind()))
        .filter(|change| change.action.is_replace() || change.action == Action::Delete)
        .filter(|change| plan.mode != PlanMode::Destroy || deletion_protected(change))
        .filter(|change| !allowed.contains(&change.id))
        .collect()
}

/// The ECR repositories the plan would delete (destroy, removal from the blueprint, or a
/// replacement) while they hold images, without the `force_delete = true` state records: the
/// images would go with them. The count is the refresh's (`image_count`); the consent is the
/// recorded one, because that is what the delete sends as DeleteRepository's `force`.
pub fn repositories_holding_images(plan: &Plan) -> Vec<&Change> {
    plan.changes
        .iter()
        .filter(|change| change.id.kind() == Kind::EcrRepository)
        .filter(|change| change.action.is_replace() || change.action == Action::Delete)
        .filter(|change| image_count(change) > 0)
        .filter(|change| {
            change
                .before
                .as_ref()
                .and_then(|live| live.get("force_delete"))
                .and_then(Value::as_bool)
                != Some(true)
        })
        .collect()
}

/// The images the refresh counted in a repository.
pub fn image_count(change: &Change) -> i64 {
    match change.outputs.get("image_count") {
        Some(Value::Int(count)) => *count,
        _ => 0,
    }
}

/// One line per repository [`repositories_holding_images`] refuses: which, how many images,
/// and the key that allows it (`at`: where that repository is written, when it still is).
pub fn describe_repository(change: &Change, at: Option<&str>) -> String {
    let name = change.cloud_id.as_deref().unwrap_or(change.id.as_str());
    let count = image_count(change);
    let images = if count == 1 { "image" } else { "images" };
    let verb = if change.action == Action::Delete {
        "deleting"
    } else {
        "replacing"
    };
    let key = match at {
        Some(at) => format!("set force_delete = true on it ({at}) and apply"),
        None => "put it back in [[registry.repositories]] with force_delete = true and apply"
            .to_string(),
    };
    format!(
        "{id} (repository {name}) holds {count} {images}: {verb} it would delete them; {key} first, or delete the images yourself",
        id = change.id
    )
}

/// Whether `change` is about a cluster the refresh found with EKS deletion protection on.
pub fn deletion_protected(change: &Change) -> bool {
    change.id.kind() == Kind::EksCluster
        && change
            .before
            .as_ref()
            .and_then(|live| live.get("deletion_protection"))
            .and_then(Value::as_bool)
            == Some(true)
}

/// What a delete or replace of a protected cluster does first, for the plan's notes: EKS
/// refuses DeleteCluster while deletion protection is on.
pub fn deletion_protection_note(change: &Change) -> Option<String> {
    let deletes = change.action.is_replace() || change.action == Action::Delete;
    (deletes && deletion_protected(change)).then(|| {
        format!(
            "{id} has EKS deletion protection on (cluster.deletion_protection): with --allow-replace {id} it is turned off (UpdateClusterConfig, waited for) before the cluster is deleted.",
            id = change.id
        )
    })
}

/// One line per violation: what and why.
pub fn describe(change: &Change) -> String {
    let cluster = change
        .cloud_id
        .as_deref()
        .map(|name| format!(" (cluster {name})"))
        .unwrap_or_default();
    if change.reason == Some(ActionReason::DeleteBecauseDestroy) {
        return format!(
            "{id}{cluster} has EKS deletion protection on (cluster.deletion_protection): destroy turns it off and deletes the cluster only with --allow-replace {id}",
            id = change.id
        );
    }
    let why = if change.reason == Some(ActionReason::ReplaceBecauseRequested) {
        "--replace asks for it".to_string()
    } else if change.requires_replace.is_empty() {
        "it is no longer in the blueprint".to_string()
    } else {
        format!(
            "{} cannot change in place",
            change.requires_replace.join(", ")
        )
    };
    let verb = if change.action == Action::Delete {
        "deleted"
    } else {
        "replaced"
    };
    let protection = if deletion_protected(change) {
        "; its EKS deletion protection (cluster.deletion_protection) would be turned off first"
            .to_string()
    } else {
        String::new()
    };
    format!("{} would be {verb}: {why}{protection}", change.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Attrs;

    fn cluster_delete(reason: ActionReason, protected: Option<bool>) -> Change {
        let mut live = Attrs::new();
        if let Some(on) = protected {
            live.insert("deletion_protection".into(), Value::Bool(on));
        }
        Change {
            id: ResourceId::new(Kind::EksCluster, "main"),
            action: Action::Delete,
            reason: Some(reason),
            cloud_id: Some("prod".into()),
            adopted_via: None,
            outputs: Attrs::new(),
            before: Some(live),
            after: None,
            changed: Vec::new(),
            requires_replace: Vec::new(),
            drifted: Vec::new(),
            depends_on: Default::default(),
            existing_depends_on: Default::default(),
        }
    }

    fn plan(mode: PlanMode, changes: Vec<Change>) -> Plan {
        Plan {
            blueprint: "prod".into(),
            mode,
            changes,
            gone: Vec::new(),
            notes: Vec::new(),
            posture: None,
            upgrade: None,
            moved: Default::default(),
        }
    }

    #[test]
    fn destroy_needs_consent_only_for_a_protected_cluster() {
        let allowed = [ResourceId::new(Kind::EksCluster, "main")];
        for (protected, refused) in [(Some(true), true), (Some(false), false), (None, false)] {
            let destroy = plan(
                PlanMode::Destroy,
                vec![cluster_delete(
                    ActionReason::DeleteBecauseDestroy,
                    protected,
                )],
            );
            assert_eq!(
                violations(&destroy, &[]).len(),
                usize::from(refused),
                "{protected:?}"
            );
            assert!(violations(&destroy, &allowed).is_empty(), "{protected:?}");
        }
    }

    #[test]
    fn a_protected_destroy_names_the_key_and_the_consent() {
        let change = cluster_delete(ActionReason::DeleteBecauseDestroy, Some(true));
        let line = describe(&change);
        assert!(line.contains("eks_cluster.main (cluster prod)"), "{line}");
        assert!(line.contains("cluster.deletion_protection"), "{line}");
        assert!(line.contains("--allow-replace eks_cluster.main"), "{line}");
        assert!(deletion_protection_note(&change).is_some());
        let unprotected = cluster_delete(ActionReason::DeleteBecauseDestroy, Some(false));
        assert_eq!(deletion_protection_note(&unprotected), None);
    }

    #[test]
    fn removing_a_protected_cluster_says_protection_is_lifted_first() {
        let change = cluster_delete(ActionReason::DeleteBecauseNoResourceConfig, Some(true));
        let normal = plan(PlanMode::Normal, vec![change.clone()]);
        assert_eq!(violations(&normal, &[]).len(), 1);
        let line = describe(&change);
        assert!(
            line.starts_with("eks_cluster.main would be deleted: it is no longer in the blueprint; its EKS deletion protection (cluster.deletion_protection) would be turned off first"),
            "{line}"
        );
    }

    #[test]
    fn a_requested_replace_of_the_cluster_still_needs_consent() {
        let mut change = cluster_delete(ActionReason::ReplaceBecauseRequested, Some(false));
        change.action = Action::DeleteThenCreate;
        let normal = plan(PlanMode::Normal, vec![change.clone()]);
        assert_eq!(violations(&normal, &[]).len(), 1);
        let allowed = [ResourceId::new(Kind::EksCluster, "main")];
        assert!(violations(&normal, &allowed).is_empty());
        assert_eq!(
            describe(&change),
            "eks_cluster.main would be replaced: --replace asks for it"
        );
    }
}
