//! The test every [`Backend`] must pass, like OpenTofu's `statemgr.TestFull`.
//!
//! Compiled only for this crate's unit tests (`#[cfg(test)]`), so a backend's tests call it
//! from its own `mod tests`. Tests under `tests/` cannot reach it; they would need a
//! `testing` cargo feature that turns it on.

use std::collections::BTreeSet;

use super::{Backend, LockInfo, ResourceRecord, State, StateError};
use crate::resources::{Attrs, Kind, ResourceId, Value};

/// Runs every rule of the [`Backend`] contract against `backend`, which must hold nothing
/// yet. Panics, naming the rule, on the first one broken.
pub async fn conformance(backend: &dyn Backend) {
    read_write(backend).await;
    pushing(backend).await;
    locking(backend).await;
    force_unlock(backend).await;
}

fn record(cloud_id: &str) -> ResourceRecord {
    ResourceRecord {
        kind: Kind::Vpc,
        cloud_id: cloud_id.to_string(),
        attrs: Attrs::from([("cidr_block".to_string(), Value::str("10.0.0.0/16"))]),
        outputs: Attrs::from([("id".to_string(), Value::str(cloud_id))]),
        depends_on: BTreeSet::new(),
    }
}

async fn read_back(backend: &dyn Backend, rule: &str) -> State {
    match backend.read().await {
        Ok(Some(state)) => state,
        other => panic!("{rule}: read gave {other:?}"),
    }
}

/// `state push` refuses another lineage or a serial that is not later as a property of the
/// pushed file, not as a run whose state changed under it; a later serial is written.
async fn pushing(backend: &dyn Backend) {
    let stored = read_back(backend, "before push").await;
    let file = std::path::Path::new("pushed.json");

    let mut other = State::new(&stored.blueprint);
    other.serial = stored.serial + 5;
    let refused = super::push(backend, file, &other).await;
    match &refused {
        Err(
            error @ StateError::PushOtherLineage {
                stored: lineage,
                pushed,
                ..
            },
        ) if *lineage == stored.lineage && *pushed == other.lineage => {
            let message = error.to_string();
            assert!(
                message.contains("pushed.json")
                    && message.contains("is another state")
                    && !message.contains("since this run read it"),
                "{message}"
            );
        }
        other => panic!("a push of another lineage is refused as one, got {other:?}"),
    }

    let mut same_serial = stored.clone();
    same_serial
        .resources
        .insert(ResourceId::new(Kind::Vpc, "pushed"), record("vpc-pushed"));
    let refused = super::push(backend, file, &same_serial).await;
    assert!(
        matches!(refused, Err(StateError::PushNotNewer { stored: s, pushed: p, .. }) if s == stored.serial && p == stored.serial),
        "a push of the same serial with other content is refused, got {refused:?}"
    );
    assert_eq!(read_back(backend, "after refused pushes").await, stored);

    let mut later = stored.clone();
    later.serial += 1;
    super::push(backend, file, &later)
        .await
        .expect("a push of a later serial of the same lineage");
    assert_eq!(read_back(backend, "after a push").await, later);
}

async fn read_write(backend: &dyn Backend) {
    assert!(
        matches!(backend.read().await, Ok(None)),
        "a new backend reads as no state"
    );

    let mut state = State::new("conformance");
    let vpc = ResourceId::new(Kind::Vpc, "main");
    state.resources.insert(vpc.clone(), record("vpc-1"));
    state.serial = 1;
    backend.write(&state).await.expect("first write");
    assert_eq!(
        read_back(backend, "read after write").await,
        state,
        "read gives exactly what was written"
    );

    backend
        .write(&state)
        .await
        .expect("writing the same state (same serial, same content) again is accepted");

    let first = state.clone();
    state.serial = 2;
    state.resources.insert(vpc.clone(), record("vpc-2"));
    backend
        .write(&state)
        .await
        .expect("write of a newer serial");
    assert_eq!(read_back(backend, "second write").await, state);

    let refused = backend.write(&first).await;
    assert!(
        matches!(
            refused,
            Err(StateError::StaleSerial {
                stored: 2,
                writing: 1,
                ..
            })
        ),
        "an older serial is refused, got {refused:?}"
    );
    let mut same_serial = state.clone();
    same_serial.resources.clear();
    let refused = backend.write(&same_serial).await;
    assert!(
        matches!(refused, Err(StateError::StaleSerial { .. })),
        "the same serial with other content is refused, got {refused:?}"
    );

    let mut other_lineage = State::new("conformance");
    other_lineage.serial = 10;
    let refused = backend.write(&other_lineage).await;
    assert!(
        matches!(refused, Err(StateError::LineageMismatch { .. })),
        "another lineage is refused, got {refused:?}"
    );
    let mut other_blueprint = state.clone();
    other_blueprint.blueprint = "someone-else".to_string();
    other_blueprint.serial = 11;
    let refused = backend.write(&other_blueprint).await;
    assert!(
        matches!(refused, Err(StateError::WrongBlueprint { .. })),
        "another blueprint's state is never overwritten, got {refused:?}"
    );
    assert_eq!(
        read_back(backend, "after refused writes").await,
        state,
        "refused writes leave the stored state as it was"
    );

    let loaded = super::load(backend, "conformance").await.expect("load");
    assert_eq!(loaded, state, "load gives the stored state");
    let refused = super::load(backend, "another").await;
    assert!(
        matches!(refused, Err(StateError::WrongBlueprint { .. })),
        "load refuses another blueprint's state, got {refused:?}"
    );

    state.serial = 3;
    state.resources.clear();
    backend
        .write(&state)
        .await
        .expect("write of an empty state");
    let stored = read_back(backend, "empty state").await;
    assert!(stored.is_empty() && stored.serial == 3, "{stored:?}");
}

async fn locking(backend: &dyn Backend) {
    let info = LockInfo::new("eksforge apply conformance.toml", &backend.describe());
    let first = backend.lock(info.clone()).await.expect("first lock");
    assert_eq!(first.info, info);

    let second = LockInfo::new("eksforge plan conformance.toml", &backend.describe());
    match backend.lock(second.clone()).await {
        Err(StateError::Locked { holder, .. }) => {
            assert_eq!(
                *holder, info,
                "a refused lock names the holder as it was given"
            )
        }
        other => panic!("a second lock is refused while the first is held, got {other:?}"),
    }

    first.unlock().await.expect("unlock");
    let again = backend
        .lock(second.clone())
        .await
        .expect("the lock can be taken again once released");
    assert_eq!(again.info, second);
    again.unlock().await.expect("unlock");
}

async fn force_unlock(backend: &dyn Backend) {
    let refused = backend.force_unlock("no-such-lock").await;
    assert!(
        matches!(refused, Err(StateError::NotLocked { .. })),
        "force-unlock with no lock is refused, got {refused:?}"
    );

    let info = LockInfo::new("eksforge apply conformance.toml", &backend.describe());
    backend.lock(info.clone()).await.expect("lock").abandon();

    let refused = backend.force_unlock("not-the-id").await;
    match refused {
        Err(StateError::LockIdMismatch { holder, .. }) => {
            assert_eq!(
                holder.as_deref(),
                Some(&info),
                "a mismatch names the holder"
            )
        }
        other => panic!("force-unlock with another id is refused, got {other:?}"),
    }
    backend
        .force_unlock(&info.id)
        .await
        .expect("force-unlock of an abandoned lock");

    let next = LockInfo::new("eksforge apply conformance.toml", &backend.describe());
    let lock = backend
        .lock(next)
        .await
        .expect("the lock can be taken after force-unlock");
    lock.unlock().await.expect("unlock");
    assert!(
        matches!(
            backend.force_unlock(&info.id).await,
            Err(StateError::NotLocked { .. })
        ),
        "a released lock leaves nothing to force-unlock"
    );
}
