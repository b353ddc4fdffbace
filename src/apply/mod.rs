//! The executor: starts every operation as soon as what it waits for is done, at most
//! `parallelism` at a time; records state after every finished resource; on a failure (or
//! Ctrl-C) starts nothing new, lets running work finish, and reports.
//!
//! Invariant: talks to AWS only through `aws::Provider`; renders nothing (it emits events).

mod events;
mod recover;
mod schedule;
mod upgrade;

pub use events::{ApplyEvent, EventSink};
pub use schedule::{Phase, Schedule, ScheduleCycle};

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::aws::{provider, Aws, AwsError, DeleteRequest, Observed, UpdateRequest};
use crate::graph::Dag;
use crate::plan::{Action, Change, Plan};
use crate::resources::{Attrs, Ref, ResourceId};
use crate::state::{ResourceRecord, StateError, StateWriter};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub parallelism: usize,
    /// How often a long operation reports that it is still running.
    pub progress_every: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            progress_every: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Default)]
pub struct ApplyReport {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// Upgrade steps finished (src/apply/upgrade.rs).
    pub upgraded: usize,
    pub elapsed: Duration,
    /// Every failed operation, with the resource and call named.
    pub failures: Vec<(ResourceId, AwsError)>,
    /// Operations never started because of a failure or an interrupt.
    pub not_started: Vec<ResourceId>,
    pub interrupted: bool,
    /// Operations still running when a second Ctrl-C came: no longer awaited, their outcome
    /// unrecorded (the next plan finds what they made by its tags).
    pub abandoned: Vec<ResourceId>,
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty()
            && self.not_started.is_empty()
            && !self.interrupted
            && self.abandoned.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Schedule(#[from] ScheduleCycle),
}

/// Applies `plan`, recording every finished resource through `writer`.
pub async fn apply(
    aws: &Aws,
    plan: &Plan,
    writer: &mut StateWriter,
    options: &ApplyOptions,
    events: &dyn EventSink,
) -> Result<ApplyReport, ApplyError> {
    let started = Instant::now();
    let schedule = Schedule::build(plan)?;
    reconcile_state(plan, writer).await?;
    let mut report = ApplyReport::default();
    // The upgrade first, step by step: the changes are planned against the target version
    // (a new node group is created at it).
    if let Some(upgrade) = &plan.upgrade {
        if !upgrade::run(aws, upgrade, writer, options, events, &mut report).await? {
            let mut blocked: BTreeSet<ResourceId> = report.not_started.drain(..).collect();
            blocked.extend(schedule.waits_for.keys().map(|(id, _)| id.clone()));
            report.not_started = blocked.into_iter().collect();
            report.elapsed = started.elapsed();
            return Ok(report);
        }
    }

    let changes: BTreeMap<ResourceId, &Change> = plan
        .changes
        .iter()
        .map(|change| (change.id.clone(), change))
        .collect();
    // Outputs of resources that exist and stay; filled in as creates finish.
    let mut outputs: BTreeMap<ResourceId, Attrs> = plan
        .changes
        .iter()
        .filter(|change| matches!(change.action, Action::NoOp | Action::Update))
        .map(|change| (change.id.clone(), change.outputs.clone()))
        .collect();

    let mut waiting: BTreeMap<schedule::Op, BTreeSet<schedule::Op>> = schedule.waits_for.clone();
    let mut running: BTreeMap<tokio::task::Id, (schedule::Op, Instant)> = BTreeMap::new();
    let mut tasks: JoinSet<(schedule::Op, Result<Option<Observed>, AwsError>)> = JoinSet::new();
    let mut stopping = false;
    let mut ticker = tokio::time::interval(options.progress_every);
    ticker.tick().await;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let lineage = writer.state().lineage.clone();
    let parallelism = options.parallelism.max(1);
    let priority = remaining_chain(&schedule.waits_for);

    loop {
        if !stopping {
            // The longest remaining chain first: with bounded parallelism, what gates the
            // most (the cluster and what it needs) never queues behind leaves.
            let mut ready: Vec<schedule::Op> = waiting
                .iter()
                .filter(|(_, deps)| deps.is_empty())
                .map(|(op, _)| op.clone())
                .collect();
            ready.sort_by_key(|op| std::cmp::Reverse(priority.get(op).copied().unwrap_or(0)));
            ready.truncate(parallelism.saturating_sub(running.len()));
            for op in ready {
                waiting.remove(&op);
                let Some(change) = changes.get(&op.0) else {
                    continue;
                };
                let work = match prepare(&op, change, &outputs, &lineage, writer) {
                    Ok(work) => work,
                    Err(error) => {
                        report.failures.push((op.0.clone(), error));
                        stopping = true;
                        break;
                    }
                };
                events.event(ApplyEvent::Started {
                    id: op.0.clone(),
                    phase: op.1,
                });
                let aws = aws.clone();
                let task_op = op.clone();
                let handle = tasks.spawn(async move { (task_op, work.run(&aws).await) });
                running.insert(handle.id(), (op, Instant::now()));
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next_with_id() => {
                let Some(joined) = joined else { break };
                // Everything else that finished meanwhile too: one state write for all of them.
                let mut batch = vec![joined];
                while let Some(more) = tasks.try_join_next_with_id() {
                    batch.push(more);
                }
                let mut finished: Vec<(schedule::Op, Duration, Option<String>)> = Vec::new();
                let mut writes: Vec<(ResourceId, Option<ResourceRecord>)> = Vec::new();
                for joined in batch {
                    let (task_id, (op, result)) = match joined {
                        Ok(done) => done,
                        Err(join_error) => {
                            let task_id = join_error.id();
                            let op = running.get(&task_id).map(|(op, _)| op.clone());
                            let Some(op) = op else { continue };
                            (task_id, (op.clone(), Err(AwsError::new(&op.0, "apply", format!("the operation panicked: {join_error}")))))
                        }
                    };
                    // Only the progress line's duration: zero for an operation not found running.
                    let elapsed = running.remove(&task_id).map(|(_, since)| since.elapsed()).unwrap_or_default();
                    let change = changes.get(&op.0).copied();
                    match result {
                        Ok(observed) => {
                            writes.extend(record(&op, change, observed.as_ref(), &mut outputs));
                            finished.push((op, elapsed, observed.map(|observed| observed.cloud_id)));
                        }
                        Err(error) => {
                            events.event(ApplyEvent::Failed { id: op.0.clone(), phase: op.1, elapsed, error: error.to_string() });
                            report.failures.push((op.0.clone(), error));
                            if !stopping {
                                stopping = true;
                                events.event(ApplyEvent::Stopping { reason: format!("{} failed", op.0) });
                            }
                        }
                    }
                }
                writer.record_many(writes).await?;
                for (op, elapsed, cloud_id) in finished {
                    match op.1 {
                        Phase::Create => report.added += 1,
                        Phase::Update => report.changed += 1,
                        Phase::Destroy => report.destroyed += 1,
                    }
                    events.event(ApplyEvent::Finished {
                        id: op.0.clone(),
                        phase: op.1,
                        elapsed,
                        cloud_id,
                    });
                    for deps in waiting.values_mut() {
                        deps.remove(&op);
                    }
                }
            }
            _ = ticker.tick() => {
                for (op, since) in running.values() {
                    if since.elapsed() >= options.progress_every {
                        events.event(ApplyEvent::StillRunning { id: op.0.clone(), phase: op.1, elapsed: since.elapsed() });
                    }
                }
            }
            _ = &mut interrupt => {
                if report.interrupted {
                    // A second Ctrl-C: stop awaiting what runs (a cluster wait can take
                    // fifteen minutes). Finished work is recorded; what the abandoned calls
                    // made carries its tags, so the next plan adopts it.
                    report.abandoned = running
                        .values()
                        .map(|(op, _)| op.0.clone())
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    tasks.abort_all();
                    running.clear();
                    events.event(ApplyEvent::Stopping { reason: "interrupted again: no longer waiting for what is running; state records everything that finished".to_string() });
                    break;
                }
                stopping = true;
                report.interrupted = true;
                // Listen again: tokio's handler replaced the default one, so without this a
                // second Ctrl-C would do nothing at all.
                interrupt.set(tokio::signal::ctrl_c());
                events.event(ApplyEvent::Stopping { reason: "interrupted: starting nothing new, finishing what is running, then saving state (Ctrl-C again to stop waiting)".to_string() });
            }
        }
    }
    report.not_started = waiting
        .keys()
        .map(|(id, _)| id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// How many operations run at once unless `--parallelism` says otherwise. High, because most
/// of an operation is waiting on AWS, and bounded well inside AWS's request-rate buckets (EC2
/// mutating calls: a bucket of 50; IAM and EKS lower still), which the SDK's retries absorb
/// when a burst overflows them (docs/performance.md).
pub const DEFAULT_PARALLELISM: usize = 32;

/// For each operation, the weight of the longest chain of operations from it to the end
/// (itself included): minimal calls, plus the typical wait of its kind in tenths of a second.
fn remaining_chain(
    waits_for: &BTreeMap<schedule::Op, BTreeSet<schedule::Op>>,
) -> BTreeMap<schedule::Op, u64> {
    let weight = |op: &schedule::Op| {
        let kind = op.0.kind();
        let calls = crate::aws::minimal_calls(kind);
        let (calls, deleting) = match op.1 {
            Phase::Create => (calls.create, false),
            Phase::Update => (calls.update, false),
            Phase::Destroy => (calls.delete, true),
        };
        u64::from(calls) + 10 * u64::from(crate::aws::typical_wait_secs(kind, deleting))
    };
    Dag::from_prerequisites(waits_for).longest_path_from_each(weight)
}

/// Brings state in line with the refresh before any change: `[[moved]]` records renamed (and
/// what depends on them pointed at the new ids), adopted resources recorded, vanished ones
/// forgotten. A crash from here on never loses track of what was found.
async fn reconcile_state(plan: &Plan, writer: &mut StateWriter) -> Result<(), StateError> {
    let mut updates: Vec<(ResourceId, Option<ResourceRecord>)> = Vec::new();
    if !plan.moved.is_empty() {
        let state = writer.state();
        for (to, from) in &plan.moved {
            if let Some(record) = state.resources.get(from) {
                updates.push((from.clone(), None));
                updates.push((to.clone(), Some(record.clone())));
            }
        }
        for (id, record) in &state.resources {
            let depends_on = crate::plan::moves::renamed(&record.depends_on, &plan.moved);
            if depends_on != record.depends_on {
                let id = plan
                    .moved
                    .iter()
                    .find(|(_, from)| *from == id)
                    .map_or(id, |(to, _)| to);
                let mut renamed = record.clone();
                renamed.depends_on = depends_on;
                updates.push((id.clone(), Some(renamed)));
            }
        }
    }
    for id in &plan.gone {
        updates.push((id.clone(), None));
    }
    for change in &plan.changes {
        // The live attributes: `before` in change plans, `after` in refresh-only plans (whose
        // `before` is what state recorded).
        let live = if plan.mode == crate::plan::PlanMode::RefreshOnly {
            &change.after
        } else {
            &change.before
        };
        let (Some(cloud_id), Some(before)) = (&change.cloud_id, live) else {
            continue;
        };
        let record = ResourceRecord {
            kind: change.id.kind(),
            cloud_id: cloud_id.clone(),
            attrs: before.clone(),
            outputs: change.outputs.clone(),
            depends_on: change.existing_depends_on.clone(),
        };
        if change.action == Action::CreateThenDelete {
            // The original stays tracked under its own id until it is deleted, so a crash
            // between creating the successor and deleting the original leaves no orphan.
            updates.push((deposed_id(&change.id), Some(record.clone())));
        }
        if writer.state().resources.get(&change.id) != Some(&record) {
            updates.push((change.id.clone(), Some(record)));
        }
    }
    if !updates.is_empty() {
        writer.record_many(updates).await?;
    }
    Ok(())
}

/// The state change a finished operation makes (none for an update that observed nothing);
/// the outputs of created and updated resources become known to their dependents.
fn record(
    op: &schedule::Op,
    change: Option<&Change>,
    observed: Option<&Observed>,
    outputs: &mut BTreeMap<ResourceId, Attrs>,
) -> Option<(ResourceId, Option<ResourceRecord>)> {
    let id = &op.0;
    match (op.1, observed) {
        (Phase::Destroy, _) => {
            // A create-then-delete's successor is already recorded under the same id.
            let successor_recorded =
                change.is_some_and(|change| change.action == Action::CreateThenDelete);
            if successor_recorded {
                Some((deposed_id(id), None))
            } else {
                outputs.remove(id);
                Some((id.clone(), None))
            }
        }
        (_, Some(observed)) => {
            outputs.insert(id.clone(), observed.outputs.clone());
            let record = ResourceRecord {
                kind: id.kind(),
                cloud_id: observed.cloud_id.clone(),
                attrs: observed.attrs.clone(),
                outputs: observed.outputs.clone(),
                // Outside the plan's changes a resource has no dependencies to record.
                depends_on: change
                    .map(|change| change.depends_on.clone())
                    .unwrap_or_default(),
            };
            Some((id.clone(), Some(record)))
        }
        (_, None) => None,
    }
}

/// One operation with everything it needs, detached from the executor's borrows.
struct Work {
    op: schedule::Op,
    cloud_id: Option<String>,
    before: Attrs,
    after: Attrs,
    changed: Vec<String>,
    token: String,
    blueprint: String,
}

impl Work {
    /// The cloud id an update or a delete addresses; state or the plan always records one for
    /// an existing resource, so a missing one is a bug to report, never an empty id sent to AWS.
    fn cloud_id(&self) -> Result<&str, AwsError> {
        self.cloud_id.as_deref().ok_or_else(|| {
            AwsError::new(
                &self.op.0,
                "apply",
                "no cloud id is recorded for this existing resource (please report this)",
            )
        })
    }

    async fn run(self, aws: &Aws) -> Result<Option<Observed>, AwsError> {
        let (id, phase) = &self.op;
        let provider = provider(id.kind());
        match phase {
            Phase::Create => recover::create(aws, &self.blueprint, id, &self.after, &self.token)
                .await
                .map(Some),
            Phase::Update => provider
                .update(
                    aws,
                    UpdateRequest {
                        id,
                        cloud_id: self.cloud_id()?,
                        before: &self.before,
                        after: &self.after,
                        changed: &self.changed,
                    },
                )
                .await
                .map(Some),
            Phase::Destroy => provider
                .delete(
                    aws,
                    DeleteRequest {
                        id,
                        cloud_id: self.cloud_id()?,
                        attrs: &self.before,
                    },
                )
                .await
                .map(|_| None),
        }
    }
}

fn prepare(
    op: &schedule::Op,
    change: &Change,
    outputs: &BTreeMap<ResourceId, Attrs>,
    lineage: &str,
    writer: &StateWriter,
) -> Result<Work, AwsError> {
    let (id, phase) = op;
    let lookup = |reference: &Ref| {
        outputs
            .get(&reference.resource)?
            .get(&reference.output)
            .cloned()
    };
    let after = match (phase, &change.after) {
        (Phase::Destroy, _) | (_, None) => Attrs::new(),
        (_, Some(after)) => after
            .iter()
            .map(|(name, value)| {
                value
                    .resolve(&lookup)
                    .map(|resolved| (name.clone(), resolved))
                    .ok_or_else(|| AwsError::new(id, "apply", format!("attribute {name} is still unknown when its dependencies are done (please report this)")))
            })
            .collect::<Result<Attrs, AwsError>>()?,
    };
    // The existing resource as state now records it (reconciled with the refresh); a destroy
    // always targets the resource the plan saw (for create-then-delete, state already holds
    // the successor).
    let recorded = if *phase == Phase::Destroy {
        None
    } else {
        writer.state().resources.get(id)
    };
    let cloud_id = recorded
        .map(|record| record.cloud_id.clone())
        .or_else(|| change.cloud_id.clone());
    // A create has no existing attributes.
    let before = recorded
        .map(|record| record.attrs.clone())
        .or_else(|| change.before.clone())
        .unwrap_or_default();
    // Compared as the plan compares (lists whose order means nothing as sets, policy
    // documents by their canonical form), so an update sends only what the plan showed.
    let changed = match phase {
        Phase::Update => after
            .iter()
            .filter(|(name, value)| !crate::plan::same(id.kind(), name, before.get(*name), value))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => Vec::new(),
    };
    Ok(Work {
        blueprint: writer.state().blueprint.clone(),
        op: op.clone(),
        cloud_id,
        before,
        after,
        changed,
        // A successor created before its predecessor is deleted must not reuse the
        // predecessor's token (the API would hand back the old resource), nor that of an
        // earlier successor: each finished create-then-delete forgot one `.deposed` record.
        token: idempotency_token(
            lineage,
            id,
            writer.state().generation(id)
                + if change.action == Action::CreateThenDelete {
                    1 + writer.state().generation(&deposed_id(id))
                } else {
                    0
                },
        ),
    })
}

/// Where the original of a create-then-delete replacement is recorded until it is deleted.
pub fn deposed_id(id: &ResourceId) -> ResourceId {
    ResourceId::parse(&format!("{id}.deposed")).unwrap_or_else(|| id.clone())
}

/// EC2 `ClientToken` / EKS `clientRequestToken`: the same for a retried create of the same
/// resource in the same state lineage, different after the resource was deleted once.
pub fn idempotency_token(lineage: &str, id: &ResourceId, generation: u64) -> String {
    let digest = Sha256::digest(format!("{lineage}|{id}|{generation}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("eksforge-{}", &hex[..40])
}
