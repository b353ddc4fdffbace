//! The steps of a Kubernetes upgrade (src/plan/upgrade.rs), one at a time, each waited for by
//! its provider before the next starts (EKS takes one update per cluster at a time, and a node
//! group may not pass its control plane). Each finished step is recorded in state at once, so a
//! run stopped between steps goes on from the next one: the next plan starts from the versions
//! the API reports, and a step whose resource already runs its target is not sent again.

use std::time::Instant;

use crate::aws::{provider, Aws, AwsError, UpdateRequest};
use crate::plan::upgrade::{UpgradePlan, UpgradeStep};
use crate::resources::{Attrs, Value};
use crate::state::{ResourceRecord, StateError, StateWriter};

use super::{ApplyEvent, ApplyOptions, ApplyReport, EventSink, Phase};

/// Runs every step in order; stops at the first failure (recorded in `report`) or after the
/// step running when Ctrl-C came. Returns whether every step finished.
pub(super) async fn run(
    aws: &Aws,
    upgrade: &UpgradePlan,
    writer: &mut StateWriter,
    options: &ApplyOptions,
    events: &dyn EventSink,
    report: &mut ApplyReport,
) -> Result<bool, StateError> {
    let total = upgrade.steps.len();
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    for (index, step) in upgrade.steps.iter().enumerate() {
        let index = index + 1;
        if report.interrupted {
            report.not_started.push(step.resource.clone());
            continue;
        }
        let Some(record) = writer.state().resources.get(&step.resource).cloned() else {
            report.failures.push((
                step.resource.clone(),
                AwsError::new(
                    &step.resource,
                    "upgrade",
                    "state records no such resource for this step (please report this)",
                ),
            ));
            return Ok(false);
        };
        // Already there: a run stopped after the update and before the state write.
        if record.attrs.get(&step.attribute).and_then(Value::as_str) == Some(step.to.as_str()) {
            continue;
        }
        let title = step.title();
        events.event(ApplyEvent::StepStarted {
            index,
            total,
            title: title.clone(),
        });
        let started = Instant::now();
        let work = send(aws, step, &record);
        tokio::pin!(work);
        let mut ticker = tokio::time::interval(options.progress_every);
        ticker.tick().await;
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = ticker.tick() => events.event(ApplyEvent::StepRunning {
                    index,
                    total,
                    title: title.clone(),
                    elapsed: started.elapsed(),
                }),
                _ = &mut interrupt, if !report.interrupted => {
                    report.interrupted = true;
                    interrupt.set(tokio::signal::ctrl_c());
                    events.event(ApplyEvent::Stopping {
                        reason: format!("interrupted: finishing upgrade step {index}/{total} ({title}), then saving state"),
                    });
                }
            }
        };
        match result {
            Ok(observed) => {
                writer
                    .record_many(vec![(
                        step.resource.clone(),
                        Some(ResourceRecord {
                            kind: step.resource.kind(),
                            cloud_id: observed.cloud_id,
                            attrs: observed.attrs,
                            outputs: observed.outputs,
                            depends_on: record.depends_on.clone(),
                        }),
                    )])
                    .await?;
                report.upgraded += 1;
                events.event(ApplyEvent::StepFinished {
                    index,
                    total,
                    title,
                    elapsed: started.elapsed(),
                });
            }
            Err(error) => {
                events.event(ApplyEvent::Failed {
                    id: step.resource.clone(),
                    phase: Phase::Update,
                    elapsed: started.elapsed(),
                    error: error.to_string(),
                });
                events.event(ApplyEvent::Stopping {
                    reason: format!("upgrade step {index}/{total} ({title}) failed"),
                });
                report.failures.push((step.resource.clone(), error));
                return Ok(false);
            }
        }
    }
    Ok(!report.interrupted)
}

/// One step as its provider's update: the recorded attributes with the one attribute moved.
async fn send(
    aws: &Aws,
    step: &UpgradeStep,
    record: &ResourceRecord,
) -> Result<crate::aws::Observed, AwsError> {
    let before = &record.attrs;
    let mut after: Attrs = before.clone();
    after.insert(step.attribute.clone(), Value::str(step.to.clone()));
    if let Some(release) = &step.release {
        after.insert("release_version".into(), Value::str(release.clone()));
    }
    let changed = vec![step.attribute.clone()];
    provider(step.resource.kind())
        .update(
            aws,
            UpdateRequest {
                id: &step.resource,
                cloud_id: &record.cloud_id,
                before,
                after: &after,
                changed: &changed,
            },
        )
        .await
}
