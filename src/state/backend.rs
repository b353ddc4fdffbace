//! The one interface every state store implements.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::{LockInfo, State, StateError, StateLock};

/// Where a state is kept: a local file or an S3 object. Methods return boxed futures
/// so that `dyn Backend` works; they need a tokio runtime.
///
/// The rules every implementation keeps are listed in the [module docs](super) and checked by
/// `conformance` (`src/state/conformance.rs`).
pub trait Backend: Send + Sync {
    /// What the user should look at, e.g. `local state state/hardened.json`.
    fn describe(&self) -> String;

    /// Takes the lock, exclusive across processes, or returns [`StateError::Locked`] naming
    /// the holder. `info` is stored as the holder; build it with [`LockInfo::new`].
    fn lock(&self, info: LockInfo) -> BoxFuture<'_, Result<StateLock, StateError>>;

    /// The stored state; `None` when nothing was ever written.
    fn read(&self) -> BoxFuture<'_, Result<Option<State>, StateError>>;

    /// Persists exactly `state`, or refuses (see the module docs) leaving the stored state as
    /// it was.
    fn write<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>>;

    /// Persists `state` over whatever is stored, without the blueprint, lineage and serial
    /// checks of [`Backend::write`], and even over a stored state it cannot read
    /// (`eksforge state push --force`). Still atomic, and still refuses to write what it could
    /// not read back. Call it holding the lock.
    fn write_forced<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>>;

    /// Removes the lock recorded with id `lock_id`, for a holder that died without releasing
    /// it. Refuses when the id does not match ([`StateError::LockIdMismatch`]) or when nothing
    /// is locked ([`StateError::NotLocked`]).
    fn force_unlock<'a>(&'a self, lock_id: &'a str) -> BoxFuture<'a, Result<(), StateError>>;

    /// The path (or `s3://bucket/key`) errors name.
    fn location(&self) -> PathBuf;

    /// Proves, without changing the stored state, that [`Backend::write`] can land where the
    /// state lives ([`StateError::NotWritable`] otherwise). Called before an apply's first
    /// change to AWS: a run that cannot record what it creates would leave resources that no
    /// state knows.
    fn check_writable(&self) -> BoxFuture<'_, Result<(), StateError>>;
}

/// The state of blueprint `blueprint`: what `backend` holds, or a new empty state when it
/// holds nothing. Refuses a state recorded for another blueprint
/// ([`StateError::WrongBlueprint`]).
pub async fn load(backend: &dyn Backend, blueprint: &str) -> Result<State, StateError> {
    match backend.read().await? {
        None => Ok(State::new(blueprint)),
        Some(state) if state.blueprint == blueprint => Ok(state),
        Some(state) => Err(StateError::WrongBlueprint {
            path: backend.location(),
            found: state.blueprint,
            expected: blueprint.to_string(),
        }),
    }
}

/// `state push`: writes `pushed`, read from `file`, over what `backend` holds. Another lineage
/// or a serial that is not later is refused as what it is, a property of the pushed file
/// ([`StateError::PushOtherLineage`], [`StateError::PushNotNewer`]): [`Backend::write`]'s own
/// refusals speak of a run whose state changed under it. The write still makes every check of
/// [`Backend::write`]. Call it holding the lock.
pub async fn push(backend: &dyn Backend, file: &Path, pushed: &State) -> Result<(), StateError> {
    if let Some(stored) = backend.read().await? {
        if stored.lineage != pushed.lineage {
            return Err(StateError::PushOtherLineage {
                path: backend.location(),
                file: file.to_path_buf(),
                stored: stored.lineage,
                stored_serial: stored.serial,
                pushed: pushed.lineage.clone(),
            });
        }
        if stored.serial > pushed.serial || (stored.serial == pushed.serial && stored != *pushed) {
            return Err(StateError::PushNotNewer {
                path: backend.location(),
                file: file.to_path_buf(),
                stored: stored.serial,
                pushed: pushed.serial,
            });
        }
    }
    backend.write(pushed).await
}
