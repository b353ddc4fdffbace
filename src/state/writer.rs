//! Records resources one at a time, writing the state after each: what the apply executor
//! (and `state rm`, `import`) use.

use std::sync::Arc;

use super::{Backend, ResourceRecord, State, StateError};
use crate::resources::ResourceId;

/// Owns the state of one run and persists every change to it at once.
///
/// A change is kept in memory even when writing it fails (the resource exists in the cloud
/// whether or not the write worked), so the next [`StateWriter::record`] or
/// [`StateWriter::flush`] persists it. Use one writer per run, holding the backend's lock.
pub struct StateWriter {
    state: State,
    backend: Arc<dyn Backend>,
}

impl StateWriter {
    pub fn new(state: State, backend: Arc<dyn Backend>) -> StateWriter {
        StateWriter { state, backend }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn into_state(self) -> State {
        self.state
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Records `record` for `id` (or forgets `id` with `None`, which starts a new
    /// [generation](State::generation) of `id`), bumps the serial and writes. Does nothing,
    /// and writes nothing, when the state already says exactly that.
    pub async fn record(
        &mut self,
        id: ResourceId,
        record: Option<ResourceRecord>,
    ) -> Result<(), StateError> {
        self.record_many([(id, record)]).await
    }

    /// [`StateWriter::record`] for several resources at once, with one serial and one write.
    pub async fn record_many(
        &mut self,
        changes: impl IntoIterator<Item = (ResourceId, Option<ResourceRecord>)>,
    ) -> Result<(), StateError> {
        let mut changed = false;
        for (id, record) in changes {
            if self.state.resources.get(&id) == record.as_ref() {
                continue;
            }
            match record {
                Some(record) => self.state.insert(id, record),
                None => self.state.remove(&id),
            };
            changed = true;
        }
        if !changed {
            return Ok(());
        }
        self.state.serial += 1;
        self.backend.write(&self.state).await
    }

    /// Writes the state as it is in memory, e.g. after a failed [`StateWriter::record`].
    pub async fn flush(&mut self) -> Result<(), StateError> {
        self.backend.write(&self.state).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{Attrs, Kind, Value};
    use crate::state::LocalBackend;

    fn vpc(cloud_id: &str) -> ResourceRecord {
        ResourceRecord {
            kind: Kind::Vpc,
            cloud_id: cloud_id.to_string(),
            attrs: Attrs::new(),
            outputs: Attrs::from([("id".to_string(), Value::str(cloud_id))]),
            depends_on: Default::default(),
        }
    }

    #[tokio::test]
    async fn records_and_forgets_with_one_serial_per_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend: Arc<dyn Backend> =
            Arc::new(LocalBackend::new(dir.path().join("state/w.json")));
        let state = crate::state::load(backend.as_ref(), "w")
            .await
            .expect("loads");
        let mut writer = StateWriter::new(state, backend.clone());
        let id = ResourceId::new(Kind::Vpc, "main");

        writer
            .record(id.clone(), Some(vpc("vpc-1")))
            .await
            .expect("records");
        writer
            .record(id.clone(), Some(vpc("vpc-1")))
            .await
            .expect("no change");
        assert_eq!(writer.state().serial, 1);
        let stored = backend.read().await.expect("reads").expect("exists");
        assert_eq!(&stored, writer.state());
        assert_eq!(stored.get(&id), Some(&vpc("vpc-1")));

        assert_eq!(writer.state().generation(&id), 0);
        writer.record(id.clone(), None).await.expect("forgets");
        writer.record(id.clone(), None).await.expect("no change");
        let stored = backend.read().await.expect("reads").expect("exists");
        assert_eq!(stored.serial, 2);
        assert!(stored.is_empty());
        assert_eq!(
            stored.generation(&id),
            1,
            "a forgotten id starts a new generation"
        );
    }

    #[tokio::test]
    async fn record_many_writes_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path().join("w.json")));
        let mut writer = StateWriter::new(State::new("w"), backend.clone());
        let (main, spare) = (
            ResourceId::new(Kind::Vpc, "main"),
            ResourceId::new(Kind::Vpc, "spare"),
        );
        writer
            .record_many([
                (main.clone(), Some(vpc("vpc-1"))),
                (spare.clone(), Some(vpc("vpc-2"))),
            ])
            .await
            .expect("records");
        writer
            .record_many([(main.clone(), Some(vpc("vpc-1"))), (spare.clone(), None)])
            .await
            .expect("records");
        writer
            .record_many(Vec::new())
            .await
            .expect("nothing to record");
        let stored = backend.read().await.expect("reads").expect("exists");
        assert_eq!(stored.serial, 2);
        assert_eq!(stored.resources.keys().collect::<Vec<_>>(), [&main]);
        assert_eq!(
            (stored.generation(&main), stored.generation(&spare)),
            (0, 1)
        );
    }

    #[tokio::test]
    async fn keeps_a_change_whose_write_failed_and_flushes_it_later() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.json");
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(path.clone()));
        let mut writer = StateWriter::new(State::new("w"), backend.clone());
        let id = ResourceId::new(Kind::Vpc, "main");

        std::fs::write(&path, "not json").expect("writes");
        let error = writer.record(id.clone(), Some(vpc("vpc-1"))).await;
        assert!(
            matches!(error, Err(StateError::Corrupt { .. })),
            "{error:?}"
        );
        assert_eq!(writer.state().get(&id), Some(&vpc("vpc-1")));

        std::fs::remove_file(&path).expect("removes");
        writer.flush().await.expect("flushes");
        let stored = backend.read().await.expect("reads").expect("exists");
        assert_eq!(stored.get(&id), Some(&vpc("vpc-1")));
    }
}
