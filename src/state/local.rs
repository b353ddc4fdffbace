//! The local backend: a JSON file, written atomically, with a backup and an OS lock.
//!
//! Files, for a state at `state/prod.json`:
//! - `state/prod.json`: the state, mode 0600. Only ever replaced by `rename`, so it is always
//!   a whole state, old or new, never half of one.
//! - `state/prod.json.backup`: the state before the last write that changed it, mode 0600.
//! - `state/prod.json.lock`: locked with the OS (`File::try_lock`, i.e. `flock` on Unix) while
//!   a run holds the lock; holds that run's [`LockInfo`] as JSON. The OS drops the lock when
//!   the process dies, so a lock file with content but no OS lock is free and is simply taken.
//!   The file is emptied on release and never deleted (deleting a lock file others may have
//!   open would let two runs lock two different files).
//! - `state/.prod.json.tmp-<uuid>`: a write in progress; removed if the write fails.
//!
//! Directories are created as needed, mode 0700. On Windows, the lock also blocks reading the
//! holder's information, so a refused lock there reports [`StateError::LockedByUnknown`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::FutureExt;

use super::{format, Backend, HeldLock, LockInfo, State, StateError, StateLock};

/// How long to wait between two attempts at a lock someone else holds.
const LOCK_RETRY: Duration = Duration::from_millis(100);
/// How long a lock whose holder has not written its information yet (it took the OS lock a
/// moment ago) is retried before reporting [`StateError::LockedByUnknown`].
const HOLDER_GRACE: Duration = Duration::from_millis(500);

/// A state kept in one local file. Any blueprint name may be stored; [`super::load`] checks it.
#[derive(Debug)]
pub struct LocalBackend {
    path: PathBuf,
    lock_timeout: Duration,
    /// Serialises this process's writes (different processes are kept apart by the lock).
    writing: tokio::sync::Mutex<()>,
}

impl LocalBackend {
    /// A backend for the state file at `path` (the caller picks it, by default
    /// `state/<blueprint name>.json`). Nothing is touched until the first call.
    pub fn new(path: PathBuf) -> LocalBackend {
        LocalBackend {
            path,
            lock_timeout: Duration::ZERO,
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// Keep retrying a held lock for up to `timeout` before reporting it (default: one try).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> LocalBackend {
        self.lock_timeout = timeout;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<file>.backup`: the state before the last write that changed it.
    pub fn backup_path(&self) -> PathBuf {
        suffixed(&self.path, ".backup")
    }

    /// `<file>.lock`.
    pub fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, ".lock")
    }
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io_error<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| StateError::Io {
            path: path.to_path_buf(),
            action: "finish the file operation on",
            source: io::Error::other(join.to_string()),
        })?
}

impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local state {}", self.path.display())
    }

    fn location(&self) -> PathBuf {
        self.path.clone()
    }

    fn read(&self) -> BoxFuture<'_, Result<Option<State>, StateError>> {
        let path = self.path.clone();
        async move { blocking(&self.path, move || read_state(&path)).await }.boxed()
    }

    fn write<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            let bytes = format::encode(&self.path, state)?;
            let _one_writer = self.writing.lock().await;
            let (path, state) = (self.path.clone(), state.clone());
            blocking(&self.path, move || write_state(&path, &state, &bytes)).await
        }
        .boxed()
    }

    fn write_forced<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            let bytes = format::encode(&self.path, state)?;
            let _one_writer = self.writing.lock().await;
            let path = self.path.clone();
            blocking(&self.path, move || write_state_forced(&path, &bytes)).await
        }
        .boxed()
    }

    fn lock(&self, info: LockInfo) -> BoxFuture<'_, Result<StateLock, StateError>> {
        async move { self.lock_with_retries(info).await }.boxed()
    }

    fn check_writable(&self) -> BoxFuture<'_, Result<(), StateError>> {
        async move {
            let path = self.path.clone();
            blocking(&self.path, move || check_writable(&path)).await
        }
        .boxed()
    }

    fn force_unlock<'a>(&'a self, lock_id: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            let (path, lock_path) = (self.path.clone(), self.lock_path());
            let lock_id = lock_id.to_string();
            blocking(&self.path, move || {
                force_unlock(&path, &lock_path, &lock_id)
            })
            .await
        }
        .boxed()
    }
}

/// The state at `path`; `None` when the file does not exist.
fn read_state(path: &Path) -> Result<Option<State>, StateError> {
    format::read_file(path, "read state file")?
        .map(|bytes| format::decode(path, &bytes))
        .transpose()
}

/// Replaces the file at `path` with `bytes` (the encoding of `state`), after checking that
/// the file there now may be replaced and saving it as the backup.
fn write_state(path: &Path, state: &State, bytes: &[u8]) -> Result<(), StateError> {
    let previous = format::read_file(path, "read state file")?;
    if let Some(previous) = &previous {
        // Refuses to overwrite what it cannot read (the corrupt file stays as it is) and a
        // state this one may not replace.
        let stored = format::decode(path, previous)?;
        format::check_overwrite(path, &stored, state)?;
        if previous.as_slice() == bytes {
            return Ok(());
        }
    }
    create_private_dir(parent_dir(path))?;
    if let Some(previous) = &previous {
        replace_file(&suffixed(path, ".backup"), previous)?;
    }
    replace_file(path, bytes)
}

/// Replaces the file at `path` with `bytes` whatever it holds now (even unreadable), keeping
/// the previous file as the backup. Only a regular file is replaced: a FIFO, device or
/// directory at the state path is refused, as every read of it is.
fn write_state_forced(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let previous = format::read_file(path, "read state file")?;
    if previous.as_deref() == Some(bytes) {
        return Ok(());
    }
    create_private_dir(parent_dir(path))?;
    if let Some(previous) = &previous {
        replace_file(&suffixed(path, ".backup"), previous)?;
    }
    replace_file(path, bytes)
}

/// What [`write_state`] needs, tried without touching the state: a path that names a file
/// (not empty, not a directory), its directory made, and a file created and removed in it
/// the way [`replace_file`] creates its temporary one.
fn check_writable(path: &Path) -> Result<(), StateError> {
    let not_writable = |reason: String, fix: &'static str| StateError::NotWritable {
        path: path.to_path_buf(),
        reason,
        fix,
    };
    const NAME_A_FILE: &str = "Set `[state] path` (or `--state`) to a file path such as \
                               `state/prod.json`";
    if path.as_os_str().is_empty() {
        return Err(not_writable("the path is empty".to_string(), NAME_A_FILE));
    }
    let target = written_through(path);
    if target.is_dir() || path.as_os_str().to_string_lossy().ends_with(['/', '\\']) {
        return Err(not_writable("it is a directory".to_string(), NAME_A_FILE));
    }
    let dir = parent_dir(&target);
    create_private_dir(dir)?;
    let probe = dir.join(format!(".eksforge-write-check-{}", uuid::Uuid::new_v4()));
    let created = private_options().write(true).create_new(true).open(&probe);
    match created {
        Ok(_) => fs::remove_file(&probe).map_err(io_error(&probe, "remove the write check file")),
        Err(error) => Err(not_writable(
            format!("a file cannot be created in `{}` ({error})", dir.display()),
            "Make that directory writable, or point `[state] path` (or `--state`) elsewhere",
        )),
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(io_error(dir, "create the state directory"))
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Writes `bytes` to a new file (mode 0600) beside `target`, syncs it, renames it over
/// `target` and syncs the directory: `target` is the old file or the new one, never a mix.
fn replace_file(target: &Path, bytes: &[u8]) -> Result<(), StateError> {
    // A state path that is a symlink is written through: the file it points at is replaced,
    // the link stays (a rename over the link would turn it into a regular file).
    let resolved = written_through(target);
    let target = resolved.as_path();
    let dir = parent_dir(target);
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let temp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4()));

    let written = private_options()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io_error(&temp, "write temporary state file"))
        .and_then(|()| fs::rename(&temp, target).map_err(io_error(target, "replace state file")));
    if let Err(error) = written {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(dir)
}

/// Where a write to `path` lands: the file a symlink points at (even one not made yet), else
/// `path` itself.
fn written_through(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => fs::canonicalize(path)
            .or_else(|_| fs::read_link(path).map(|link| parent_dir(path).join(link)))
            .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error(dir, "sync the state directory"))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn open_lock_file(lock_path: &Path) -> Result<File, StateError> {
    private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path)
        .map_err(io_error(lock_path, "open lock file"))
}

/// The holder recorded in a lock file, if it holds one.
fn read_holder(lock_path: &Path) -> Option<LockInfo> {
    let text = fs::read_to_string(lock_path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Replaces a lock file's content with `text` (empty: no holder).
fn set_lock_content(file: &mut File, text: &str) -> io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

enum Attempt {
    Taken(File),
    Held(Option<LockInfo>),
}

fn try_lock_once(lock_path: &Path) -> Result<Attempt, StateError> {
    let file = open_lock_file(lock_path)?;
    match file.try_lock() {
        Ok(()) => Ok(Attempt::Taken(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(Attempt::Held(read_holder(lock_path))),
        Err(fs::TryLockError::Error(error)) => Err(io_error(lock_path, "lock")(error)),
    }
}

impl LocalBackend {
    async fn lock_with_retries(&self, info: LockInfo) -> Result<StateLock, StateError> {
        let state_path = self.path.clone();
        blocking(&self.path, move || format::check_path(&state_path)).await?;
        let lock_path = self.lock_path();
        let dir = parent_dir(&self.path).to_path_buf();
        blocking(&self.path, move || create_private_dir(&dir)).await?;
        let started = Instant::now();
        loop {
            let attempt = {
                let lock_path = lock_path.clone();
                blocking(&self.path, move || try_lock_once(&lock_path)).await?
            };
            let holder = match attempt {
                Attempt::Taken(file) => return self.record_holder(file, info).await,
                Attempt::Held(holder) => holder,
            };
            let waited = started.elapsed();
            let deadline = match holder {
                Some(_) => self.lock_timeout,
                None => self.lock_timeout.max(HOLDER_GRACE),
            };
            if waited >= deadline {
                return Err(match holder {
                    Some(holder) => StateError::Locked {
                        path: self.path.clone(),
                        holder: Box::new(holder),
                    },
                    None => StateError::LockedByUnknown {
                        path: self.path.clone(),
                        lock_path,
                    },
                });
            }
            tokio::time::sleep(LOCK_RETRY.min(deadline - waited)).await;
        }
    }

    async fn record_holder(&self, file: File, info: LockInfo) -> Result<StateLock, StateError> {
        let lock_path = self.lock_path();
        let text = serde_json::to_string_pretty(&info).map_err(|error| StateError::Io {
            path: lock_path.clone(),
            action: "encode the lock information for",
            source: io::Error::other(error),
        })? + "\n";
        let mut held = LocalLock {
            file: Some(file),
            lock_path,
        };
        // On failure `held` is dropped, which releases the OS lock.
        let held = blocking(&self.path, move || {
            if let Some(file) = held.file.as_mut() {
                set_lock_content(file, &text)
                    .map_err(io_error(&held.lock_path, "write lock file"))?;
            }
            Ok(held)
        })
        .await?;
        Ok(StateLock::new(info, Box::new(held)))
    }
}

/// The OS lock on `<file>.lock`, held through the open file.
struct LocalLock {
    file: Option<File>,
    lock_path: PathBuf,
}

impl LocalLock {
    fn release_now(&mut self) -> Result<(), StateError> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        // Empty the file while still holding the lock, so no later holder's content is lost.
        let cleared = set_lock_content(&mut file, "");
        let unlocked = file.unlock();
        drop(file);
        cleared
            .and(unlocked)
            .map_err(io_error(&self.lock_path, "release lock file"))
    }
}

impl HeldLock for LocalLock {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StateError>> {
        async move { self.release_now() }.boxed()
    }

    fn abandon(mut self: Box<Self>) {
        // Closing the file drops the OS lock, as a process exit would; the content stays.
        self.file = None;
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        let _ = self.release_now();
    }
}

/// Clears the recorded holder `lock_id` if its process is gone. A local lock is an OS lock
/// that dies with its process, so the only thing left to clear is the stale holder
/// information; a live holder cannot be broken from here ([`StateError::LockStillHeld`]).
fn force_unlock(path: &Path, lock_path: &Path, lock_id: &str) -> Result<(), StateError> {
    let not_locked = || StateError::NotLocked {
        path: path.to_path_buf(),
    };
    let mismatch = |holder: Option<LockInfo>| StateError::LockIdMismatch {
        path: path.to_path_buf(),
        requested: lock_id.to_string(),
        holder: holder.map(Box::new),
    };
    let mut file = match OpenOptions::new().read(true).write(true).open(lock_path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(not_locked()),
        Err(error) => return Err(io_error(lock_path, "open lock file")(error)),
    };
    let mut text = String::new();
    // Unreadable content (Windows, while another process holds the lock) counts as empty.
    let _ = file.read_to_string(&mut text);
    let holder: LockInfo = match serde_json::from_str(&text) {
        Ok(holder) => holder,
        // Empty and held by no one: there is no lock.
        Err(_) if text.trim().is_empty() && file.try_lock().is_ok() => return Err(not_locked()),
        Err(_) => return Err(mismatch(None)),
    };
    if holder.id != lock_id {
        return Err(mismatch(Some(holder)));
    }
    match file.try_lock() {
        Ok(()) => {
            let cleared = set_lock_content(&mut file, "");
            let unlocked = file.unlock();
            cleared
                .and(unlocked)
                .map_err(io_error(lock_path, "clear lock file"))
        }
        Err(fs::TryLockError::WouldBlock) => Err(StateError::LockStillHeld {
            path: path.to_path_buf(),
            holder: Box::new(holder),
        }),
        Err(fs::TryLockError::Error(error)) => Err(io_error(lock_path, "lock")(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{Attrs, Kind, ResourceId, Value};
    use crate::state::{conformance::conformance, ResourceRecord};

    fn backend_in(dir: &tempfile::TempDir) -> LocalBackend {
        LocalBackend::new(dir.path().join("state").join("t.json"))
    }

    fn state_with(serial: u64, lineage_of: Option<&State>, cloud_id: &str) -> State {
        let mut state = State::new("t");
        if let Some(other) = lineage_of {
            state.lineage = other.lineage.clone();
        }
        state.serial = serial;
        state.resources.insert(
            ResourceId::new(Kind::Vpc, "main"),
            ResourceRecord {
                kind: Kind::Vpc,
                cloud_id: cloud_id.to_string(),
                attrs: Attrs::new(),
                outputs: Attrs::from([("id".to_string(), Value::str(cloud_id))]),
                depends_on: Default::default(),
            },
        );
        state
    }

    #[tokio::test]
    async fn the_write_check_refuses_what_no_write_could_land_on_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let backend = backend_in(&dir);
        backend
            .check_writable()
            .await
            .expect("a fresh path is writable");
        let left: Vec<_> = fs::read_dir(dir.path().join("state"))
            .expect("the directory was made")
            .collect();
        assert!(left.is_empty(), "the probe file is removed: {left:?}");
        assert_eq!(
            backend.read().await.expect("read"),
            None,
            "no state written"
        );

        for (path, reason) in [
            (PathBuf::new(), "the path is empty"),
            (dir.path().to_path_buf(), "it is a directory"),
            (dir.path().join("sub/"), "it is a directory"),
            (
                PathBuf::from("/proc/eksforge-state.json"),
                "a file cannot be created in `/proc`",
            ),
        ] {
            let error = LocalBackend::new(path.clone())
                .check_writable()
                .await
                .expect_err("not writable");
            assert!(
                matches!(&error, StateError::NotWritable { .. })
                    && error.to_string().contains(reason),
                "{}: {error}",
                path.display()
            );
        }
    }

    fn lock_info(command: &str) -> LockInfo {
        LockInfo::new(command, "local state t.json")
    }

    /// The file names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("lists")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn passes_the_backend_conformance_test() {
        let dir = tempfile::tempdir().expect("temp dir");
        conformance(&backend_in(&dir)).await;
    }

    #[tokio::test]
    async fn round_trip_creates_the_directory_and_writes_pretty_json() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        assert!(backend.read().await.expect("reads").is_none());
        assert!(
            !dir.path().join("state").exists(),
            "reading creates nothing"
        );

        let state = state_with(1, None, "vpc-1");
        backend.write(&state).await.expect("writes");
        assert_eq!(backend.read().await.expect("reads"), Some(state.clone()));
        let text = fs::read_to_string(backend.path()).expect("reads file");
        assert!(text.starts_with("{\n  \"format_version\": 1,\n"), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(listing(&dir.path().join("state")), ["t.json"]);
        assert_eq!(
            backend.describe(),
            format!("local state {}", backend.path().display())
        );
    }

    #[test]
    fn bare_file_name_means_the_current_directory() {
        assert_eq!(parent_dir(Path::new("t.json")), Path::new("."));
        assert_eq!(parent_dir(Path::new("state/t.json")), Path::new("state"));
    }

    /// A state path that is a symlink (state kept on another disk, shared by name) stays a
    /// symlink: the file it points at is written, never replaced by a regular file.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_symlinked_state_is_written_through() {
        let dir = tempfile::tempdir().expect("temp dir");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(&elsewhere).expect("mkdir");
        fs::create_dir_all(dir.path().join("state")).expect("mkdir");
        let link = dir.path().join("state").join("t.json");
        // Dangling at first: the first write creates the file the link names.
        std::os::unix::fs::symlink(elsewhere.join("real.json"), &link).expect("symlink");
        let backend = LocalBackend::new(link.clone());
        let first = state_with(1, None, "vpc-1");
        backend.write(&first).await.expect("writes");
        let second = state_with(2, Some(&first), "vpc-2");
        backend.write(&second).await.expect("writes");
        assert!(
            fs::symlink_metadata(&link)
                .expect("the link")
                .file_type()
                .is_symlink(),
            "the state path is still a symlink"
        );
        assert_eq!(backend.read().await.expect("reads"), Some(second));
        assert!(elsewhere.join("real.json").is_file());
    }

    #[tokio::test]
    async fn a_write_keeps_the_previous_state_as_backup() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        let first = state_with(1, None, "vpc-1");
        backend.write(&first).await.expect("writes");
        assert!(
            !backend.backup_path().exists(),
            "no backup before a second write"
        );
        let first_bytes = fs::read(backend.path()).expect("reads");

        let second = state_with(2, Some(&first), "vpc-2");
        backend.write(&second).await.expect("writes");
        assert_eq!(
            fs::read(backend.backup_path()).expect("backup"),
            first_bytes
        );
        assert_eq!(backend.read().await.expect("reads"), Some(second.clone()));

        // Writing the same state again changes nothing, so the backup stays one step behind.
        backend.write(&second).await.expect("writes");
        assert_eq!(
            fs::read(backend.backup_path()).expect("backup"),
            first_bytes
        );
        assert_eq!(
            listing(&dir.path().join("state")),
            ["t.json", "t.json.backup"],
            "no temporary file is left behind"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        let first = state_with(1, None, "vpc-1");
        backend.write(&first).await.expect("writes");
        backend
            .write(&state_with(2, Some(&first), "vpc-2"))
            .await
            .expect("writes");
        let lock = backend
            .lock(lock_info("eksforge apply"))
            .await
            .expect("locks");
        let mode = |path: &Path| fs::metadata(path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(backend.path()), 0o600);
        assert_eq!(mode(&backend.backup_path()), 0o600);
        assert_eq!(mode(&backend.lock_path()), 0o600);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
        drop(lock);
    }

    #[tokio::test]
    async fn a_corrupt_file_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        let first = state_with(1, None, "vpc-1");
        backend.write(&first).await.expect("writes");
        let corrupt = b"{\n  \"format_version\": 1,\n  \"serial\": 2,,\n".to_vec();
        fs::write(backend.path(), &corrupt).expect("corrupts");

        let error = backend.read().await.expect_err("refuses");
        match &error {
            StateError::Corrupt { line, column, .. } => assert_eq!((*line, *column), (3, 15)),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains("t.json.backup"), "{message}");
        assert!(message.contains("line 3, column 15"), "{message}");

        let next = state_with(2, Some(&first), "vpc-2");
        let error = backend
            .write(&next)
            .await
            .expect_err("refuses to overwrite");
        assert!(matches!(error, StateError::Corrupt { .. }), "{error:?}");
        assert_eq!(
            fs::read(backend.path()).expect("reads"),
            corrupt,
            "byte for byte"
        );
        assert!(
            !backend.backup_path().exists(),
            "the backup is not touched either"
        );
    }

    #[tokio::test]
    async fn a_newer_format_is_refused_on_read_and_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        fs::create_dir_all(dir.path().join("state")).expect("mkdir");
        let newer = b"{\"format_version\": 7, \"serial\": 9, \"anything\": []}\n";
        fs::write(backend.path(), newer).expect("writes");
        let error = backend.read().await.expect_err("refuses");
        assert!(
            matches!(error, StateError::NewerFormat { found: 7, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("upgrade eksforge"), "{error}");
        let error = backend
            .write(&state_with(1, None, "v"))
            .await
            .expect_err("refuses");
        assert!(matches!(error, StateError::NewerFormat { .. }), "{error:?}");
        assert_eq!(fs::read(backend.path()).expect("reads"), newer);
    }

    #[tokio::test]
    async fn a_held_lock_names_its_holder_until_released_on_drop() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state").join("t.json");
        let first = LocalBackend::new(path.clone());
        let second = LocalBackend::new(path);

        let info = lock_info("eksforge apply blueprints/t.toml");
        let held = first.lock(info.clone()).await.expect("locks");
        let recorded: LockInfo =
            serde_json::from_str(&fs::read_to_string(first.lock_path()).expect("reads"))
                .expect("lock file holds the holder");
        assert_eq!(recorded, info);

        let error = second
            .lock(lock_info("eksforge plan"))
            .await
            .expect_err("held");
        match &error {
            StateError::Locked { holder, .. } => assert_eq!(**holder, info),
            other => panic!("expected Locked, got {other:?}"),
        }
        let message = error.to_string();
        for part in [
            info.who.as_str(),
            info.created.as_str(),
            "eksforge apply blueprints/t.toml",
            &format!(
                "if that run is dead, `eksforge force-unlock BLUEPRINT {}`",
                info.id
            ),
        ] {
            assert!(message.contains(part), "{message:?} lacks {part:?}");
        }

        let error = second
            .force_unlock(&info.id)
            .await
            .expect_err("live holder");
        assert!(
            matches!(error, StateError::LockStillHeld { .. }),
            "{error:?}"
        );

        drop(held);
        assert_eq!(fs::read_to_string(first.lock_path()).expect("reads"), "");
        let taken = second
            .lock(lock_info("eksforge plan"))
            .await
            .expect("free again");
        taken.unlock().await.expect("unlocks");
        assert!(first.lock_path().exists(), "the lock file is never deleted");
    }

    #[tokio::test]
    async fn stale_lock_content_without_an_os_lock_is_free() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        let dead = lock_info("eksforge apply (killed)");
        backend.lock(dead.clone()).await.expect("locks").abandon();
        let recorded = read_holder(&backend.lock_path());
        assert_eq!(
            recorded,
            Some(dead),
            "a killed run leaves its information behind"
        );

        let info = lock_info("eksforge apply");
        let lock = backend.lock(info.clone()).await.expect("taken at once");
        assert_eq!(read_holder(&backend.lock_path()), Some(info));
        drop(lock);
    }

    #[tokio::test]
    async fn lock_timeout_waits_for_the_holder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.json");
        let first = LocalBackend::new(path.clone());
        let waiting = LocalBackend::new(path).with_lock_timeout(Duration::from_secs(5));

        let held = first
            .lock(lock_info("eksforge apply"))
            .await
            .expect("locks");
        let releaser = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            held.unlock().await
        });
        let started = Instant::now();
        let lock = waiting
            .lock(lock_info("eksforge plan"))
            .await
            .expect("waits");
        assert!(started.elapsed() >= Duration::from_millis(200));
        releaser.await.expect("joins").expect("unlocks");
        drop(lock);

        let held = first
            .lock(lock_info("eksforge apply"))
            .await
            .expect("locks");
        let short = LocalBackend::new(first.path().to_path_buf())
            .with_lock_timeout(Duration::from_millis(250));
        let started = Instant::now();
        let error = short
            .lock(lock_info("eksforge plan"))
            .await
            .expect_err("times out");
        assert!(matches!(error, StateError::Locked { .. }), "{error:?}");
        assert!(started.elapsed() >= Duration::from_millis(250));
        drop(held);
    }

    #[tokio::test]
    async fn a_lock_file_locked_without_information_is_reported_as_unknown() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = backend_in(&dir);
        fs::create_dir_all(dir.path().join("state")).expect("mkdir");
        let other = open_lock_file(&backend.lock_path()).expect("opens");
        other.try_lock().expect("locks");
        let error = backend
            .lock(lock_info("eksforge plan"))
            .await
            .expect_err("held");
        assert!(
            matches!(error, StateError::LockedByUnknown { .. }),
            "{error:?}"
        );
        let error = backend.force_unlock("some-id").await.expect_err("unknown");
        assert!(
            matches!(error, StateError::LockIdMismatch { holder: None, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn an_io_error_names_the_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blocker = dir.path().join("state");
        fs::write(&blocker, "a file where the directory should be").expect("writes");
        let backend = backend_in(&dir);
        let error = backend
            .write(&state_with(1, None, "v"))
            .await
            .expect_err("fails");
        assert!(matches!(error, StateError::Io { .. }), "{error:?}");
        assert!(
            error.to_string().contains(&blocker.display().to_string()),
            "{error}"
        );
    }
}
