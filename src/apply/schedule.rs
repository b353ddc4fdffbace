//! The operation graph: each change becomes one or two operations (a replace is a destroy and
//! a create, in the order its action says), with edges that keep dependencies safe.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

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
        let actions: BTreeMap<&ResourceId, Action> = plan.changes.iter().map(|change| (&change.id, change.action)).collect();
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
                let dependency_leaves = matches!(actions.get(dependency), Some(Action::Delete) | Some(Action::CreateThenDelete));
                if dependency_leaves {
                    for phase in [Phase::Create, Phase::Update] {
                        let op = (id.clone(), phase);
                        if schedule.ops.contains(&op) && !(phase == Phase::Create && change.action == Action::DeleteThenCreate) {
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
        let mut remaining: BTreeMap<&Op, usize> = self.waits_for.iter().map(|(op, deps)| (op, deps.len())).collect();
        let mut dependents: BTreeMap<&Op, Vec<&Op>> = BTreeMap::new();
        for (op, deps) in &self.waits_for {
            for dep in deps {
                dependents.entry(dep).or_default().push(op);
            }
        }
        let mut ready: Vec<&Op> = remaining.iter().filter(|(_, count)| **count == 0).map(|(op, _)| *op).collect();
        let mut done = 0;
        while let Some(op) = ready.pop() {
            done += 1;
            for next in dependents.get(op).into_iter().flatten() {
                if let Some(count) = remaining.get_mut(next) {
                    *count -= 1;
                    if *count == 0 {
                        ready.push(next);
                    }
                }
            }
        }
        if done == self.waits_for.len() {
            Ok(())
        } else {
            let stuck = remaining
                .iter()
                .find(|(_, count)| **count > 0)
                .map(|(op, _)| format!("{} ({:?})", op.0, op.1))
                .unwrap_or_default();
            Err(ScheduleCycle(stuck))
        }
    }
}
