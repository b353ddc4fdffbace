//! Recorded resources: what eksforge created, with a serial and a lineage, kept by a backend.
//!
//! The shape follows OpenTofu's `states` and `states/statemgr`: a [`State`] value (serial,
//! lineage, resources), one [`Backend`] trait that reads, writes and locks it, and a
//! `conformance` test (`src/state/conformance.rs`, test builds only) that every backend
//! must pass (local and S3).
//!
//! - [`State`] / [`ResourceRecord`]: the recorded resources, serialised as pretty JSON with
//!   deterministic key order ([`format::encode`] / [`format::decode`]).
//! - [`Backend`]: `read`, `write`, `lock`, `force_unlock`; dyn-compatible (boxed futures).
//! - [`LocalBackend`]: a JSON file with atomic writes, a `.backup` and an OS lock on `.lock`.
//! - [`S3Backend`]: one S3 object, compare-and-swap writes and a lock object, both by S3
//!   conditional writes (`If-Match` / `If-None-Match`).
//! - [`StateWriter`]: what the apply executor uses to record one resource at a time.
//! - [`load`]: read a backend's state for one blueprint, or start a new one.
//! - [`outputs::Outputs`]: the named values `eksforge output` and `kubeconfig` read from a state.
//!
//! # Rules every backend keeps (checked by `conformance`)
//!
//! - `read` returns `Ok(None)` when nothing was ever written, and refuses (never repairs) a
//!   stored state it cannot decode ([`StateError::Corrupt`], [`StateError::NewerFormat`]).
//! - `write` never replaces a stored state it cannot decode, one of another blueprint
//!   ([`StateError::WrongBlueprint`]), another lineage ([`StateError::LineageMismatch`]) or a
//!   newer serial ([`StateError::StaleSerial`]; the same serial is accepted only with the same
//!   content). It never writes what it could not read back.
//! - `lock` is exclusive across processes; a refused lock names its holder
//!   ([`StateError::Locked`]).
//!
//! # Which blueprint a state belongs to
//!
//! A backend reads whatever is stored; the blueprint check lives in [`load`], so that every
//! backend gets it: `load(backend, "prod")` refuses a state recorded for another blueprint
//! ([`StateError::WrongBlueprint`]). `write` refuses to overwrite another blueprint's state on
//! its own, without being told the name.
//!
//! # Format versions
//!
//! `format_version` is [`FORMAT_VERSION`]. Unknown fields are refused, so any change to the
//! shape of the file must bump it: an older eksforge then refuses the file with "upgrade
//! eksforge" instead of silently dropping what it does not know on its next write.
//!
//! Invariant: this module knows nothing of AWS resource APIs, TOML or the terminal; it depends
//! only on `resources` types.

mod backend;
#[cfg(test)]
pub mod conformance;
mod error;
pub mod format;
mod local;
mod lock;
pub mod outputs;
mod s3;
mod writer;

pub use backend::{load, push, Backend};
pub use error::StateError;
pub use local::LocalBackend;
pub use lock::{rfc3339_utc, HeldLock, LockInfo, StateLock};
pub use s3::{Connect, S3Backend, S3Location, Warn};
pub use writer::StateWriter;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::resources::{Attrs, Kind, Ref, ResourceId, Value};

/// The version of the state file format this eksforge writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Everything eksforge recorded for one blueprint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// Bumped on every write; a backend refuses to replace a newer serial with an older one.
    pub serial: u64,
    /// A uuid v4 chosen when the state is first created and kept for its whole life; it tells
    /// two unrelated states apart, and seeds the idempotency tokens of create calls.
    pub lineage: String,
    /// The blueprint name (`[blueprint] name`), not its path.
    pub blueprint: String,
    #[serde(deserialize_with = "format::resources")]
    pub resources: BTreeMap<ResourceId, ResourceRecord>,
    /// How many times each id was forgotten (deleted, or removed with `state rm`); ids never
    /// forgotten are absent. Part of the idempotency token of a create, so that re-running a
    /// create that was cut short repeats the same token, while creating the resource again
    /// after it was deleted uses a new one. Change it only through [`State::insert`] and
    /// [`State::remove`].
    #[serde(default, deserialize_with = "format::generations")]
    pub generations: BTreeMap<ResourceId, u64>,
    /// The region's zones and the caller's account as last read: a plan starts from these at
    /// once and checks them alongside the refresh (planning again only if they changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_facts: Option<RegionFacts>,
}

/// What a plan needs from the region before it can expand the blueprint: its available zones
/// (`DescribeAvailabilityZones`) and the caller's account and partition (`GetCallerIdentity`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegionFacts {
    pub region: String,
    /// Available standard zones, in name order.
    pub zones: Vec<String>,
    pub account_id: String,
    pub partition: String,
}

impl State {
    /// A new, empty state: serial 0 and a fresh lineage.
    pub fn new(blueprint: &str) -> State {
        State {
            format_version: FORMAT_VERSION,
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            blueprint: blueprint.to_string(),
            resources: BTreeMap::new(),
            generations: BTreeMap::new(),
            region_facts: None,
        }
    }

    /// True when no resource is recorded.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    pub fn get(&self, id: &ResourceId) -> Option<&ResourceRecord> {
        self.resources.get(id)
    }

    /// The recorded output `reference` names, if its resource is recorded with it.
    pub fn output(&self, reference: &Ref) -> Option<Value> {
        self.resources
            .get(&reference.resource)?
            .outputs
            .get(&reference.output)
            .cloned()
    }

    /// How many times `id` was forgotten: 0 until its first record is removed.
    pub fn generation(&self, id: &ResourceId) -> u64 {
        self.generations.get(id).copied().unwrap_or(0)
    }

    /// Records `record` for `id`, returning the record it replaces.
    pub fn insert(&mut self, id: ResourceId, record: ResourceRecord) -> Option<ResourceRecord> {
        self.resources.insert(id, record)
    }

    /// Forgets `id`, returning its record; when there was one, the next resource recorded
    /// under `id` is a new generation.
    pub fn remove(&mut self, id: &ResourceId) -> Option<ResourceRecord> {
        let removed = self.resources.remove(id)?;
        *self.generations.entry(id.clone()).or_insert(0) += 1;
        Some(removed)
    }
}

/// One resource as last applied or observed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceRecord {
    pub kind: Kind,
    /// The id AWS gave it (`vpc-0abc…`, a cluster name, an ARN).
    pub cloud_id: String,
    /// Resolved attributes (never a reference), as last applied or observed.
    pub attrs: Attrs,
    /// Outputs other resources refer to, e.g. `id`, `arn`.
    pub outputs: Attrs,
    #[serde(default, deserialize_with = "format::resource_ids")]
    pub depends_on: BTreeSet<ResourceId>,
}
