//! Why a state operation failed. Every message names the file (or object) and the fix.

use std::io;
use std::path::PathBuf;

use super::LockInfo;

/// Where the state before the last write is kept: the local backend's `.backup` file, or
/// for an S3 state the object's previous version (bucket versioning).
fn previous_copy(path: &std::path::Path) -> String {
    if path.to_string_lossy().starts_with("s3://") {
        format!(
            "the object's previous version (`aws s3api list-object-versions --bucket … \
             --prefix …` for `{}`; kept only when the bucket has versioning)",
            path.display()
        )
    } else {
        format!("`{}.backup`", path.display())
    }
}

/// A failed state operation. `path` is the file a local backend uses, or `s3://bucket/key`
/// for a remote one: always what the user would look at.
#[derive(thiserror::Error, Debug)]
pub enum StateError {
    #[error(
        "could not {action} `{}`: {source}; check that the directory exists, is writable by \
         you and the disk is not full",
        path.display()
    )]
    Io {
        path: PathBuf,
        /// What was being done, e.g. "read state file", "create directory".
        action: &'static str,
        #[source]
        source: io::Error,
    },

    #[error(
        "state file `{}` was not read: {reason}; give --state (or `[state] path`) the path of \
         a state file, or of none yet",
        path.display()
    )]
    NotAStateFile { path: PathBuf, reason: String },

    #[error(
        "state file `{}` is not valid eksforge state (line {line}, column {column}: {detail}); \
         it was left untouched. Restore it from {} after checking it, or fix it by hand, then \
         run again",
        path.display(),
        previous_copy(path)
    )]
    Corrupt {
        path: PathBuf,
        /// 1-based; 0 when the position is not known.
        line: usize,
        /// 1-based; 0 when the position is not known.
        column: usize,
        detail: String,
    },

    #[error(
        "state file `{}` was written by a newer eksforge (format version {found}; this one reads \
         up to {supported}); upgrade eksforge to use it",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: u64,
        supported: u32,
    },

    #[error(
        "state `{}` records blueprint `{found}`, not `{expected}`; give each blueprint its own \
         state (`--state PATH` or `[state]` in the blueprint)",
        path.display()
    )]
    WrongBlueprint {
        path: PathBuf,
        found: String,
        expected: String,
    },

    #[error(
        "refusing to overwrite state `{}`: it now holds a different state (lineage {found}, \
         this run holds lineage {expected}); it was replaced since this run read it. Check \
         which state is right ({} holds the previous one), then run `eksforge plan` again",
        path.display(),
        previous_copy(path)
    )]
    LineageMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },

    #[error(
        "refusing to overwrite state `{}`: it holds serial {stored}, and this run would write \
         serial {writing} over it; another run wrote it without taking the lock. Run \
         `eksforge plan` again to start from the newer state",
        path.display()
    )]
    StaleSerial {
        path: PathBuf,
        stored: u64,
        writing: u64,
    },

    #[error(
        "the state cannot be written at `{}`: {reason}; nothing was changed in AWS. {fix}",
        path.display()
    )]
    NotWritable {
        path: PathBuf,
        reason: String,
        /// What to change, e.g. "set `[state] path` (or `--state`) to a file path".
        fix: &'static str,
    },

    #[error(
        "refusing to push `{}` to state `{}`: it is another state (lineage {pushed}), not a \
         version of the state stored there (lineage {stored}, serial {stored_serial}); nothing \
         was changed. A push replaces a state only with a later serial of the same lineage",
        file.display(),
        path.display()
    )]
    PushOtherLineage {
        path: PathBuf,
        /// The pushed file, as given.
        file: PathBuf,
        stored: String,
        stored_serial: u64,
        pushed: String,
    },

    #[error(
        "refusing to push `{}` (serial {pushed}) to state `{}`: it already holds serial {stored} \
         of the same lineage, and a push must bring a later one; nothing was changed",
        file.display(),
        path.display()
    )]
    PushNotNewer {
        path: PathBuf,
        /// The pushed file, as given.
        file: PathBuf,
        stored: u64,
        pushed: u64,
    },

    #[error(
        "refusing to write state `{}`: the new state would not read back ({detail}); this is a \
         bug in eksforge, please report it. The file was left as it was",
        path.display()
    )]
    Unwritable { path: PathBuf, detail: String },

    #[error(
        "state `{}` is locked by {} (pid {}) since {}, running `{}` (lock id {}); wait for that \
         run to finish, or if that run is dead, `eksforge force-unlock BLUEPRINT {}`",
        path.display(),
        holder.who,
        holder.pid,
        holder.created,
        holder.command,
        holder.id,
        holder.id
    )]
    Locked {
        path: PathBuf,
        holder: Box<LockInfo>,
    },

    #[error(
        "state `{}` is locked by another process that has not said who it is (`{}` is empty or \
         unreadable); wait for it to finish and run again",
        path.display(),
        lock_path.display()
    )]
    LockedByUnknown { path: PathBuf, lock_path: PathBuf },

    #[error(
        "state `{}` is locked by the lock object `{}`, which eksforge cannot read (it is not a \
         lock eksforge wrote, or it was damaged), so it does not say who holds it. If no \
         eksforge run is using this state, remove it with `eksforge force-unlock BLUEPRINT \
         {lock_id}` (the id names exactly this object: a lock taken since is left alone)",
        path.display(),
        lock_path.display()
    )]
    LockUnreadable {
        path: PathBuf,
        /// `s3://bucket/key.lock`.
        lock_path: PathBuf,
        /// The id `force-unlock` takes for it, derived from the object's ETag.
        lock_id: String,
    },

    #[error(
        "state `{}` is not locked, so there is nothing to unlock",
        path.display()
    )]
    NotLocked { path: PathBuf },

    #[error(
        "lock id `{requested}` does not match the lock on state `{}`{}; copy the id from the \
         \"locked\" error message",
        path.display(),
        match holder {
            Some(holder) => format!(" (held by {} with lock id {})", holder.who, holder.id),
            None => String::new(),
        }
    )]
    LockIdMismatch {
        path: PathBuf,
        requested: String,
        holder: Option<Box<LockInfo>>,
    },

    #[error(
        "the lock on state `{}` is still held by a live process: pid {} ({}), running `{}` since \
         {}; a local lock dies with its process, so stop that process (or let it finish) and \
         the lock is gone, no force-unlock needed",
        path.display(),
        holder.pid,
        holder.who,
        holder.command,
        holder.created
    )]
    LockStillHeld {
        path: PathBuf,
        holder: Box<LockInfo>,
    },

    #[error(
        "refusing to overwrite state `{}`: it was changed by someone else since this run read \
         it ({now}); this run's write was not made, so nothing was lost. Another run wrote it \
         without holding the lock, or the lock was force-unlocked under this run. Run \
         `eksforge plan` again to start from the stored state (resources this run created \
         carry eksforge tags and are adopted)",
        path.display()
    )]
    ChangedConcurrently {
        path: PathBuf,
        /// What is stored now, e.g. "it now holds serial 7 of lineage …" or "it was deleted".
        now: String,
    },

    #[error(
        "S3 {operation} on `{}` failed: {code}: {message}; {hint}",
        path.display()
    )]
    Remote {
        /// `s3://bucket/key` of the object (or bucket) the call was about.
        path: PathBuf,
        /// The API call, e.g. `PutObject`.
        operation: &'static str,
        /// The AWS error code (`NoSuchBucket`, `AccessDenied`), or `HTTP 403` when the
        /// response carried none, or the kind of failure when there was no response.
        code: String,
        message: String,
        /// What to do about it.
        hint: String,
    },

    #[error(
        "the lock on state `{}` (lock id {id}) was removed or taken over by someone else while \
         this run held it (a `force-unlock`?), so it was left alone; another run may have \
         written the state since: run `eksforge plan` to check",
        path.display()
    )]
    LockLost { path: PathBuf, id: String },
}
