//! What the executor reports while it runs; `ui` renders these.

use std::time::Duration;

use crate::resources::ResourceId;

use super::schedule::Phase;

#[derive(Debug, Clone)]
pub enum ApplyEvent {
    Started {
        id: ResourceId,
        phase: Phase,
    },
    StillRunning {
        id: ResourceId,
        phase: Phase,
        elapsed: Duration,
    },
    Finished {
        id: ResourceId,
        phase: Phase,
        elapsed: Duration,
        cloud_id: Option<String>,
    },
    Failed {
        id: ResourceId,
        phase: Phase,
        elapsed: Duration,
        error: String,
    },
    /// A step of a Kubernetes upgrade starts (`index` counts from 1 to `total`).
    StepStarted {
        index: usize,
        total: usize,
        title: String,
    },
    /// A step still waits on AWS.
    StepRunning {
        index: usize,
        total: usize,
        title: String,
        elapsed: Duration,
    },
    StepFinished {
        index: usize,
        total: usize,
        title: String,
        elapsed: Duration,
    },
    /// A failure or an interrupt: nothing new starts; running work finishes.
    Stopping {
        reason: String,
    },
}

/// Where events go (a terminal renderer, a JSON stream, a test's vector).
pub trait EventSink: Send + Sync {
    fn event(&self, event: ApplyEvent);
}

impl<F: Fn(ApplyEvent) + Send + Sync> EventSink for F {
    fn event(&self, event: ApplyEvent) {
        self(event)
    }
}
