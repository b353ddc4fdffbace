//! The operation graph: each change becomes one or two operations (a replace is a destroy and
//! a create, in the order its action says), with edges that keep dependencies safe.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::graph::Dag;
use crate::plan::{Action, Plan};
use crate::resources::ResourceId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Create,
    Update,
    Destroy,
}

impl Phase {
    pub fn progressive(self) -> &'static str {
        match self {
            Phase::Create => "Creating",
            Phase::Update => "Modifying",
            Phase::Destroy => "Destroying",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Update => "update",
            Phase::Destroy => "destroy",
        }
    }

    pub fn past(self) -> &'static str {
        match self {
            Phase::Create => "Creation complete",
            Phase::Update => "Modifications complete",
            Phase::Destroy => "Destruction complete",
        }
    }
}

pub type Op = (ResourceId, Phase);

#[derive(Debug, Default)]
pub struct Schedule {
    pub ops: BTreeSet<Op>,
    /// op → the ops it must wait for.
    pub waits_for: BTreeMap<Op, BTreeSet<Op>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the plan's operations form a cycle around {0}: refusing to apply (please report this)")]
pub struct ScheduleCycle(pub String);

impl Schedule {
    pub fn build(plan: &Plan) -> Result<Schedule, ScheduleCycle> {
        let mut schedule = Schedule::default();
        let actions: BTreeMap<&ResourceId, Action> = plan
            .changes
            .iter()
            .map(|change| (&change.id, change.action))
            .collect();
        for change in &plan.changes {
            let id = &change.id;
            match change.action {
                Action::NoOp => {}
                Action::Create => schedule.add((id.clone(), Phase::Create)),
                Action::Update => schedule.add((id.clone(), Phase::Update)),
                Action::Delete => schedule.add((id.clone(), Phase::Destroy)),
                Action::DeleteThenCreate => {
                    schedule.add((id.clone(), Phase::Destroy));
                    schedule.add((id.clone(), Phase::Create));
                    schedule.edge((id.clone(), Phase::Create), (id.clone(), Phase::Destroy));
                }
                Action::CreateThenDelete => {
                    schedule.add((id.clone(), Phase::Create));
                    schedule.add((id.clone(), Phase::Destroy));
                    schedule.edge((id.clone(), Phase::Destroy), (id.clone(), Phase::Create));
                }
            }
        }
        for change in &plan.changes {
            let id = &change.id;
            // Creates and updates come after what they reference is created or updated.
            for phase in [Phase::Create, Phase::Update] {
                if !schedule.ops.contains(&(id.clone(), phase)) {
                    continue;
                }
                for dependency in &change.depends_on {
                    for before in [Phase::Create, Phase::Update] {
                        let op = (dependency.clone(), before);
                        if schedule.ops.contains(&op) {
                            schedule.edge((id.clone(), phase), op);
                        }
                    }
                }
            }
            // Destroys come after what was built on the resource is destroyed — and, when the
            // resource goes for good (or after its successor exists), after dependents have
            // moved off it.
            for dependency in &change.existing_depends_on {
                let destroy = (dependency.clone(), Phase::Destroy);
                if !schedule.ops.contains(&destroy) {
                    continue;
                }
                if schedule.ops.contains(&(id.clone(), Phase::Destroy)) {
                    schedule.edge(destroy.clone(), (id.clone(), Phase::Destroy));
                }
                let dependency_leaves = matches!(
                    actions.get(dependency),
                    Some(Action::Delete) | Some(Action::CreateThenDelete)
                );
                if dependency_leaves {
                    for phase in [Phase::Create, Phase::Update] {
                        let op = (id.clone(), phase);
                        if schedule.ops.contains(&op)
                            && !(phase == Phase::Create
                                && change.action == Action::DeleteThenCreate)
                        {
                            schedule.edge(destroy.clone(), op);
                        }
                    }
                }
            }
        }
        schedule.check_acyclic()?;
        Ok(schedule)
    }

    fn add(&mut self, op: Op) {
        self.waits_for.entry(op.clone()).or_default();
        self.ops.insert(op);
    }

    fn edge(&mut self, op: Op, waits_for: Op) {
        if op != waits_for {
            self.waits_for.entry(op).or_default().insert(waits_for);
        }
    }

    fn check_acyclic(&self) -> Result<(), ScheduleCycle> {
        let blocked = Dag::from_prerequisites(&self.waits_for).blocked_by_cycles();
        match blocked.first() {
            None => Ok(()),
            Some((id, phase)) => Err(ScheduleCycle(format!("{id} ({phase:?})"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::plan::{Action, Change, Plan, PlanMode};

    fn id(text: &str) -> ResourceId {
        ResourceId::parse(text).unwrap()
    }

    fn change(name: &str, action: Action, depends_on: &[&str], existing: &[&str]) -> Change {
        Change {
            id: id(name),
            action,
            reason: None,
            cloud_id: None,
            adopted_via: None,
            outputs: Default::default(),
            before: None,
            after: None,
            changed: Vec::new(),
            requires_replace: Vec::new(),
            drifted: Vec::new(),
            depends_on: depends_on.iter().map(|d| id(d)).collect(),
            existing_depends_on: existing.iter().map(|d| id(d)).collect(),
        }
    }

    /// Runs the schedule one operation at a time, smallest ready first: the order apply may use.
    fn order(plan: &Plan) -> Vec<String> {
        let schedule = Schedule::build(plan).unwrap();
        let mut waiting = schedule.waits_for.clone();
        let mut done = Vec::new();
        while let Some(op) = waiting
            .iter()
            .find(|(_, deps)| deps.is_empty())
            .map(|(op, _)| op.clone())
        {
            waiting.remove(&op);
            for deps in waiting.values_mut() {
                deps.remove(&op);
            }
            done.push(format!("{}:{}", op.1.noun(), op.0));
        }
        assert!(waiting.is_empty(), "stuck: {waiting:?}");
        done
    }

    fn position(order: &[String], entry: &str) -> usize {
        order
            .iter()
            .position(|item| item == entry)
            .unwrap_or_else(|| panic!("{entry} not in {order:?}"))
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            blueprint: "t".into(),
            mode: PlanMode::Normal,
            changes,
            gone: Vec::new(),
            notes: Vec::new(),
            posture: None,
            upgrade: None,
            moved: Default::default(),
        }
    }

    #[test]
    fn a_replaced_vpc_takes_its_dependents_down_first_and_up_after() {
        let order = order(&plan(vec![
            change("vpc.main", Action::DeleteThenCreate, &[], &[]),
            change(
                "subnet.a",
                Action::DeleteThenCreate,
                &["vpc.main"],
                &["vpc.main"],
            ),
            change(
                "nat_gateway.a",
                Action::DeleteThenCreate,
                &["subnet.a"],
                &["subnet.a"],
            ),
        ]));
        assert!(position(&order, "destroy:nat_gateway.a") < position(&order, "destroy:subnet.a"));
        assert!(position(&order, "destroy:subnet.a") < position(&order, "destroy:vpc.main"));
        assert!(position(&order, "destroy:vpc.main") < position(&order, "create:vpc.main"));
        assert!(position(&order, "create:vpc.main") < position(&order, "create:subnet.a"));
        assert!(position(&order, "create:subnet.a") < position(&order, "create:nat_gateway.a"));
    }

    #[test]
    fn a_node_group_is_replaced_create_before_destroy() {
        let order = order(&plan(vec![
            change("eks_cluster.main", Action::NoOp, &[], &[]),
            change(
                "eks_node_group.system",
                Action::CreateThenDelete,
                &["eks_cluster.main"],
                &["eks_cluster.main"],
            ),
        ]));
        assert_eq!(
            order,
            vec![
                "create:eks_node_group.system",
                "destroy:eks_node_group.system"
            ]
        );
    }

    #[test]
    fn a_resource_that_goes_for_good_waits_for_dependents_to_move_off_it() {
        // The route moves from the old NAT to a new one; the old NAT is deleted after.
        let order = order(&plan(vec![
            change("nat_gateway.old", Action::Delete, &[], &[]),
            change("nat_gateway.new", Action::Create, &[], &[]),
            change(
                "route.a",
                Action::Update,
                &["nat_gateway.new"],
                &["nat_gateway.old"],
            ),
        ]));
        assert!(position(&order, "create:nat_gateway.new") < position(&order, "update:route.a"));
        assert!(position(&order, "update:route.a") < position(&order, "destroy:nat_gateway.old"));
    }

    #[test]
    fn destroy_runs_in_reverse_dependency_order() {
        let order = order(&plan(vec![
            change("vpc.main", Action::Delete, &[], &[]),
            change("subnet.a", Action::Delete, &[], &["vpc.main"]),
            change("route_table.a", Action::Delete, &[], &["vpc.main"]),
            change(
                "route_table_association.a",
                Action::Delete,
                &[],
                &["subnet.a", "route_table.a"],
            ),
        ]));
        let last = order.last().unwrap();
        assert_eq!(last, "destroy:vpc.main");
        assert_eq!(order.first().unwrap(), "destroy:route_table_association.a");
        let all: BTreeSet<&String> = order.iter().collect();
        assert_eq!(all.len(), 4);
    }
}
