//! The plan for machines (`plan --json`, `show --json FILE`): a documented, versioned JSON view
//! of a [`Plan`], the same for a fresh plan and a saved one. The format is a compatibility
//! promise, described field by field in `docs/plan-json.md`; change it only with a
//! [`FORMAT_VERSION`] bump (minor for added fields or values, major for anything else).
//!
//! This is a model of its own (not `Plan`'s serde form) so that the plan file and the internal
//! types can change without breaking readers. Data in, text out: it decides nothing.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::audit::delta::Effect;
use crate::plan::FoundVia;
use crate::plan::{Action, ActionReason, Change, Plan, PlanMode, PlanPosture};
use crate::resources::{Attrs, Value};

/// The version of the JSON view: `major.minor`.
pub const FORMAT_VERSION: &str = "1.2";

/// The key of the object that stands for a value known only after apply.
pub const KNOWN_AFTER_APPLY: &str = "$known_after_apply";

/// The whole view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanJson {
    pub format_version: &'static str,
    /// `[blueprint] name`.
    pub blueprint: String,
    /// `normal`, `destroy` or `refresh_only`.
    pub mode: &'static str,
    /// Whether applying would call a mutating API or change the state (what
    /// `--detailed-exitcode` reports as 2).
    pub has_changes: bool,
    /// Every resource the plan looked at, sorted by id, no-ops included.
    pub changes: Vec<ChangeJson>,
    /// Ids recorded in state that no longer exist (apply forgets them).
    pub gone: Vec<String>,
    pub notes: Vec<String>,
    pub summary: SummaryJson,
    /// The monthly cost estimate of the NAT gateways, public IPv4 addresses and VPC endpoints
    /// once the plan is applied; absent when the plan touches none of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_cost: Option<crate::plan::cost::NetworkCost>,
    /// The posture report of the blueprint (format 1.1; `audit --format json`'s document),
    /// absent for plans that carry none (destroy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posture: Option<Json>,
    /// The ordered steps of a Kubernetes upgrade (format 1.2), run before the changes; absent
    /// when the cluster's version does not go up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeJson>,
}

/// A Kubernetes upgrade: every minor in between, each step waited for before the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpgradeJson {
    pub cluster: String,
    pub from: String,
    pub to: String,
    /// The steps' typical waits added up (they run one after another).
    pub estimate_secs: u64,
    pub steps: Vec<UpgradeStepJson>,
    /// EKS's upgrade-readiness insights, sorted by name, with `waived` (the waiver's reason)
    /// on those the blueprint accepts.
    pub insights: Vec<crate::plan::upgrade::InsightView>,
    /// Why the insights could not be read, when they could not.
    pub insights_unread: Option<String>,
    /// The target's last days of standard and extended support, from the calendar.
    pub support: Option<crate::plan::upgrade::SupportDates>,
}

/// One step: one update of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpgradeStepJson {
    /// The Kubernetes minor version the step belongs to.
    pub kubernetes: String,
    /// `control_plane`, `addon` or `node_group`.
    pub kind: &'static str,
    pub resource: String,
    pub name: String,
    pub attribute: String,
    pub from: Option<String>,
    pub to: String,
    /// The Bottlerocket release a node group step sends, when it was readable.
    pub release: Option<String>,
    pub typical_secs: u32,
}

fn upgrade_json(upgrade: &crate::plan::upgrade::UpgradePlan) -> UpgradeJson {
    use crate::plan::upgrade::StepKind;
    UpgradeJson {
        cluster: upgrade.cluster.to_string(),
        from: upgrade.from.clone(),
        to: upgrade.to.clone(),
        estimate_secs: upgrade.estimate_secs(),
        steps: upgrade
            .steps
            .iter()
            .map(|step| UpgradeStepJson {
                kubernetes: step.kubernetes.clone(),
                kind: match step.kind {
                    StepKind::ControlPlane => "control_plane",
                    StepKind::Addon => "addon",
                    StepKind::NodeGroup => "node_group",
                },
                resource: step.resource.to_string(),
                name: step.name.clone(),
                attribute: step.attribute.clone(),
                from: step.from.clone(),
                to: step.to.clone(),
                release: step.release.clone(),
                typical_secs: step.typical_secs,
            })
            .collect(),
        insights: upgrade.insights.clone(),
        insights_unread: upgrade.insights_unread.clone(),
        support: upgrade.support.clone(),
    }
}

/// One resource's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeJson {
    pub id: String,
    pub kind: &'static str,
    /// `create`, `update`, `delete`, `replace-delete-then-create`,
    /// `replace-create-then-delete` or `no-op`.
    pub action: &'static str,
    /// Terraform's form of the same: `["create"]`, `["delete", "create"]`, `["no-op"]`, ...
    pub actions: Vec<&'static str>,
    pub cloud_id: Option<String>,
    /// Live attributes; `null` for a create.
    pub before: Option<BTreeMap<String, Json>>,
    /// Desired attributes; `null` for a delete. Values known only after apply are
    /// `{"$known_after_apply": …}`.
    pub after: Option<BTreeMap<String, Json>>,
    pub changed: Vec<String>,
    pub requires_replace: Vec<String>,
    pub drifted: Vec<String>,
    pub reason: Option<&'static str>,
    /// `tag` or `natural_key` when the resource was found without a state record (adopted).
    pub adopted_via: Option<&'static str>,
    /// The id state recorded it under before a `[[moved]]` entry renamed it (format 1.2);
    /// absent when it was not moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// Posture findings about this resource (format 1.1), as in `audit --format json`, with
    /// `"effect": "weakens" | "strengthens" | null` for what this change does to them.
    pub findings: Vec<Json>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SummaryJson {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub adopt: usize,
}

/// The view of `plan`, without its posture.
pub fn plan_json(plan: &Plan) -> PlanJson {
    let mut changes: Vec<ChangeJson> = plan
        .changes
        .iter()
        .map(|change| ChangeJson {
            moved_from: plan.moved.get(&change.id).map(ToString::to_string),
            ..change_json(change)
        })
        .collect();
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    let mut gone: Vec<String> = plan.gone.iter().map(ToString::to_string).collect();
    gone.sort();
    let summary = plan.summary();
    PlanJson {
        format_version: FORMAT_VERSION,
        blueprint: plan.blueprint.clone(),
        mode: mode_name(plan.mode),
        has_changes: plan.has_changes(),
        changes,
        gone,
        notes: plan.notes.clone(),
        summary: SummaryJson {
            add: summary.add,
            change: summary.change,
            destroy: summary.destroy,
            adopt: summary.adopt,
        },
        network_cost: crate::plan::cost::network_cost(plan),
        posture: None,
        upgrade: plan.upgrade.as_ref().map(upgrade_json),
    }
}

/// The posture `plan` carries, laid into its view: findings attached to the changes of their
/// resources, cleared findings too (marked `strengthens`), and the whole report under
/// `posture`.
fn add_posture(view: &mut PlanJson, posture: &PlanPosture) {
    let (report, marks) = (&posture.report, &posture.marks);
    let effect_of = |check: &str, resource: &str| {
        marks
            .iter()
            .find(|m| m.check.id == check && m.resource == resource)
            .map(|m| match m.effect {
                Effect::Weakens => "weakens",
                Effect::Strengthens => "strengthens",
            })
    };
    for change in &mut view.changes {
        for finding in report
            .findings
            .iter()
            .filter(|f| f.subject.resource == change.id)
        {
            let mut json = super::audit_json::finding_json(finding);
            json["effect"] = serde_json::json!(effect_of(finding.check.id, &change.id));
            change.findings.push(json);
        }
        for mark in marks
            .iter()
            .filter(|m| m.resource == change.id && m.effect == Effect::Strengthens)
        {
            change.findings.push(serde_json::json!({
                "check": mark.check.id,
                "title": mark.check.title,
                "severity": mark.check.severity.as_str(),
                "resource": mark.resource,
                "detail": mark.detail,
                "effect": "strengthens",
            }));
        }
    }
    view.posture = serde_json::from_str(&super::render_audit_json(report)).ok();
}

/// The view of `plan` (with the posture it carries) as pretty JSON with a trailing newline:
/// what `plan --json` and `show --json FILE` print.
pub fn render_plan_json(plan: &Plan) -> String {
    let mut view = plan_json(plan);
    if let Some(posture) = &plan.posture {
        add_posture(&mut view, posture);
    }
    // Only string keys and plain values: serialising cannot fail.
    let mut text = serde_json::to_string_pretty(&view)
        .unwrap_or_else(|error| format!("{{\"error\": {:?}}}", error.to_string()));
    text.push('\n');
    text
}

fn change_json(change: &Change) -> ChangeJson {
    ChangeJson {
        id: change.id.to_string(),
        kind: change.id.kind().as_str(),
        action: action_name(change.action),
        actions: terraform_actions(change.action).to_vec(),
        cloud_id: change.cloud_id.clone(),
        before: change.before.as_ref().map(attrs_json),
        after: change.after.as_ref().map(attrs_json),
        changed: change.changed.clone(),
        requires_replace: change.requires_replace.clone(),
        drifted: change.drifted.clone(),
        reason: change.reason.as_ref().map(reason_name),
        adopted_via: change.adopted_via.map(found_via_name),
        moved_from: None,
        findings: Vec::new(),
    }
}

pub fn mode_name(mode: PlanMode) -> &'static str {
    match mode {
        PlanMode::Normal => "normal",
        PlanMode::Destroy => "destroy",
        PlanMode::RefreshOnly => "refresh_only",
    }
}

pub fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Update => "update",
        Action::DeleteThenCreate => "replace-delete-then-create",
        Action::CreateThenDelete => "replace-create-then-delete",
        Action::Delete => "delete",
    }
}

fn terraform_actions(action: Action) -> &'static [&'static str] {
    match action {
        Action::NoOp => &["no-op"],
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::DeleteThenCreate => &["delete", "create"],
        Action::CreateThenDelete => &["create", "delete"],
        Action::Delete => &["delete"],
    }
}

fn reason_name(reason: &ActionReason) -> &'static str {
    match reason {
        ActionReason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
        ActionReason::ReplaceBecauseDependencyReplaced => "replace_because_dependency_replaced",
        ActionReason::ReplaceBecauseRequested => "replace_because_requested",
        ActionReason::CreateBecauseGone => "create_because_gone",
        ActionReason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
        ActionReason::DeleteBecauseOrphaned => "delete_because_orphaned",
        ActionReason::DeleteBecauseDestroy => "delete_because_destroy",
    }
}

fn found_via_name(via: FoundVia) -> &'static str {
    match via {
        FoundVia::State => "state",
        FoundVia::Tag => "tag",
        FoundVia::NaturalKey => "natural_key",
    }
}

fn attrs_json(attrs: &Attrs) -> BTreeMap<String, Json> {
    attrs
        .iter()
        .map(|(name, value)| (name.clone(), value_json(value)))
        .collect()
}

/// Plain values as JSON; references and joins of references as `{"$known_after_apply": …}`.
fn value_json(value: &Value) -> Json {
    match value {
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Str(text) => Json::String(text.clone()),
        Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), value_json(item)))
                .collect(),
        ),
        // Their serde form (`{"$ref": "vpc.main.id"}`, `{"$join": [...]}`) is the one public
        // view of what they refer to.
        Value::Ref(_) | Value::Join(_) => {
            known_after_apply(serde_json::to_value(value).unwrap_or(Json::Null))
        }
    }
}

/// `{"$ref": "x.y.z"}` → `{"$known_after_apply": "x.y.z"}`; `{"$join": [parts]}` →
/// `{"$known_after_apply": [parts]}` with each part a string or such an object.
fn known_after_apply(raw: Json) -> Json {
    let marker = |inner: Json| {
        Json::Object(serde_json::Map::from_iter([(
            KNOWN_AFTER_APPLY.to_string(),
            inner,
        )]))
    };
    match raw {
        Json::Object(mut object) => {
            if let Some(target) = object.remove("$ref") {
                return marker(target);
            }
            if let Some(Json::Array(parts)) = object.remove("$join") {
                let parts = parts
                    .into_iter()
                    .map(|part| match part {
                        Json::Object(_) => known_after_apply(part),
                        Json::Number(number) => Json::String(number.to_string()),
                        other => other,
                    })
                    .collect();
                return marker(Json::Array(parts));
            }
            marker(Json::Object(object))
        }
        other => marker(other),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::resources::{Kind, Ref, ResourceId};

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).expect("a resource id")
    }

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }

    fn change(id_text: &str, action: Action) -> Change {
        Change {
            id: id(id_text),
            action,
            reason: None,
            cloud_id: None,
            adopted_via: None,
            outputs: Attrs::new(),
            before: None,
            after: None,
            changed: Vec::new(),
            requires_replace: Vec::new(),
            drifted: Vec::new(),
            depends_on: BTreeSet::new(),
            existing_depends_on: BTreeSet::new(),
        }
    }

    /// One change of every action, with references, a join, drift, an adoption and a gone id.
    fn sample() -> Plan {
        let vpc_id = id("vpc.main").output("id");
        let tags = Value::Map(BTreeMap::from([
            ("Name".to_string(), Value::str("network-private-a")),
            ("eksforge:blueprint".to_string(), Value::str("network")),
        ]));

        let mut create = change("subnet.private.eu-west-1a", Action::Create);
        create.after = Some(attrs(&[
            ("availability_zone", Value::str("eu-west-1a")),
            ("cidr_block", Value::str("10.40.0.0/19")),
            ("map_public_ip_on_launch", Value::Bool(false)),
            ("tags", tags),
            ("vpc_id", vpc_id.clone()),
        ]));

        let mut update = change("log_group.cluster", Action::Update);
        update.cloud_id = Some("/aws/eks/network/cluster".into());
        update.before = Some(attrs(&[("retention_in_days", Value::Int(30))]));
        update.after = Some(attrs(&[("retention_in_days", Value::Int(90))]));
        update.changed = vec!["retention_in_days".into()];
        update.drifted = vec!["retention_in_days".into()];

        let mut replace = change("vpc.main", Action::DeleteThenCreate);
        replace.reason = Some(ActionReason::ReplaceBecauseCannotUpdate);
        replace.cloud_id = Some("vpc-0123".into());
        replace.before = Some(attrs(&[("cidr_block", Value::str("10.40.0.0/16"))]));
        replace.after = Some(attrs(&[("cidr_block", Value::str("10.50.0.0/16"))]));
        replace.changed = vec!["cidr_block".into()];
        replace.requires_replace = vec!["cidr_block".into()];

        let mut create_first = change("eks_node_group.system", Action::CreateThenDelete);
        create_first.reason = Some(ActionReason::ReplaceBecauseCannotUpdate);
        create_first.cloud_id = Some("network-system-1a2b".into());
        create_first.before = Some(attrs(&[
            ("instance_types", Value::List(vec![Value::str("m6i.large")])),
            ("subnet_ids", Value::List(vec![Value::str("subnet-0a")])),
        ]));
        create_first.after = Some(attrs(&[
            ("instance_types", Value::List(vec![Value::str("m7i.large")])),
            (
                "role_arn",
                Value::join(vec![
                    Value::str("arn:aws:iam::123456789012:role/"),
                    id("iam_role.node").output("name"),
                ]),
            ),
            (
                "subnet_ids",
                Value::List(vec![id("subnet.private.eu-west-1a").output("id")]),
            ),
        ]));
        create_first.changed = vec!["instance_types".into(), "subnet_ids".into()];
        create_first.requires_replace = vec!["instance_types".into(), "subnet_ids".into()];

        let mut delete = change("security_group.legacy", Action::Delete);
        delete.reason = Some(ActionReason::DeleteBecauseOrphaned);
        delete.cloud_id = Some("sg-0456".into());
        delete.adopted_via = Some(FoundVia::Tag);
        delete.before = Some(attrs(&[("description", Value::str("old"))]));

        let mut adopted = change("internet_gateway.main", Action::NoOp);
        adopted.cloud_id = Some("igw-0789".into());
        adopted.adopted_via = Some(FoundVia::Tag);
        adopted.before = Some(attrs(&[("vpc_id", Value::str("vpc-0123"))]));
        adopted.after = Some(attrs(&[("vpc_id", Value::str("vpc-0123"))]));

        Plan {
            blueprint: "network".into(),
            mode: PlanMode::Normal,
            changes: vec![create, update, replace, create_first, delete, adopted],
            gone: vec![ResourceId::new(Kind::Route, "public.default")],
            notes: vec!["Bottlerocket 1.50.0 is out (the node groups run 1.49.0).".into()],
            posture: None,
            upgrade: Some(sample_upgrade()),
            moved: Default::default(),
        }
    }

    /// One minor: the control plane, then a node group with its Bottlerocket release.
    fn sample_upgrade() -> crate::plan::upgrade::UpgradePlan {
        use crate::plan::upgrade::{InsightView, StepKind, SupportDates, UpgradePlan, UpgradeStep};
        let step = |kind, resource: &str, name: &str, release: Option<&str>| UpgradeStep {
            kubernetes: "1.34".into(),
            kind,
            resource: id(resource),
            name: name.into(),
            attribute: "version".into(),
            from: Some("1.33".into()),
            to: "1.34".into(),
            release: release.map(str::to_string),
            typical_secs: 600,
        };
        UpgradePlan {
            cluster: id("eks_cluster.main"),
            from: "1.33".into(),
            to: "1.34".into(),
            steps: vec![
                step(StepKind::ControlPlane, "eks_cluster.main", "prod", None),
                step(
                    StepKind::NodeGroup,
                    "eks_node_group.general",
                    "general-abc",
                    Some("1.50.0-7d1f5a2b"),
                ),
            ],
            insights: vec![InsightView {
                name: "Deprecated APIs removed in Kubernetes v1.34".into(),
                status: "ERROR".into(),
                kubernetes_version: Some("1.34".into()),
                reason: Some("v1beta1 FlowSchema in use".into()),
                recommendation: Some("Move to flowcontrol v1".into()),
                waived: Some("the FlowSchema is replaced by the upgrade".into()),
            }],
            insights_unread: None,
            support: SupportDates::of("1.34"),
        }
    }

    #[test]
    fn an_upgrade_is_shown_as_numbered_steps_before_the_changes() {
        let plan = Plan {
            blueprint: "prod".into(),
            mode: PlanMode::Normal,
            changes: Vec::new(),
            gone: Vec::new(),
            notes: Vec::new(),
            posture: None,
            upgrade: Some(sample_upgrade()),
            moved: Default::default(),
        };
        assert!(plan.has_changes());
        insta::assert_snapshot!(crate::ui::render_plan(&plan, crate::ui::Style::plain()));
    }

    #[test]
    fn the_json_view_of_a_plan() {
        insta::assert_snapshot!(render_plan_json(&sample()));
    }

    #[test]
    fn the_view_matches_the_plan_it_shows() {
        let plan = sample();
        let view = plan_json(&plan);
        let summary = plan.summary();
        assert_eq!(
            (
                view.summary.add,
                view.summary.change,
                view.summary.destroy,
                view.summary.adopt
            ),
            (summary.add, summary.change, summary.destroy, summary.adopt)
        );
        assert!(view.has_changes);
        let ids: Vec<&str> = view
            .changes
            .iter()
            .map(|change| change.id.as_str())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "sorted by id");
        let actions: BTreeSet<&str> = view.changes.iter().map(|change| change.action).collect();
        assert_eq!(actions.len(), 6, "every action is shown: {actions:?}");
        let subnet = view
            .changes
            .iter()
            .find(|change| change.id == "subnet.private.eu-west-1a")
            .expect("the subnet");
        assert_eq!(subnet.kind, "subnet");
        let after = subnet.after.as_ref().expect("after");
        assert_eq!(
            after["vpc_id"],
            serde_json::json!({ "$known_after_apply": "vpc.main.id" })
        );
        assert_eq!(after["cidr_block"], serde_json::json!("10.40.0.0/19"));
    }

    #[test]
    fn joins_show_their_known_parts_and_references() {
        let join = Value::join(vec![
            Value::str("arn:"),
            id("kms_key.main").output("arn"),
            Value::str("/x"),
        ]);
        assert_eq!(
            value_json(&join),
            serde_json::json!({ "$known_after_apply": ["arn:", { "$known_after_apply": "kms_key.main.arn" }, "/x"] })
        );
        let reference = Value::reference(Ref {
            resource: id("vpc.main"),
            output: "id".into(),
        });
        assert_eq!(
            value_json(&Value::List(vec![reference])),
            serde_json::json!([{ "$known_after_apply": "vpc.main.id" }])
        );
        // A join whose parts are all known is plain text.
        assert_eq!(
            value_json(&Value::join(vec![Value::str("a"), Value::str("b")])),
            serde_json::json!("ab")
        );
    }

    #[test]
    fn an_empty_plan_has_no_changes() {
        let mut plan = sample();
        plan.changes.retain(Change::is_noop);
        plan.changes
            .iter_mut()
            .for_each(|change| change.adopted_via = None);
        plan.gone.clear();
        plan.upgrade = None;
        let view = plan_json(&plan);
        assert!(!view.has_changes);
        assert_eq!(
            view.summary,
            SummaryJson {
                add: 0,
                change: 0,
                destroy: 0,
                adopt: 0
            }
        );
        assert_eq!(view.changes.len(), 1, "no-ops are listed");
    }
}
