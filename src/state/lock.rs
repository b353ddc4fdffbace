//! Who holds a state lock ([`LockInfo`]), and the held lock itself ([`StateLock`]).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::StateError;

/// Who holds a lock, stored beside the lock so a refused run can say whom to ask.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    /// A uuid v4; `eksforge force-unlock BLUEPRINT ID` must name it.
    pub id: String,
    /// `user@host`.
    pub who: String,
    pub pid: u32,
    /// The command line that took the lock, e.g. `eksforge apply blueprints/prod.toml`.
    pub command: String,
    /// RFC 3339, UTC, whole seconds: `2026-08-01T09:30:00Z`.
    pub created: String,
    /// [`Backend::describe`](super::Backend::describe) of the backend locked.
    pub backend: String,
}

impl LockInfo {
    /// Lock information for this process: a fresh id, `user@host`, the pid and the time now.
    pub fn new(command: &str, backend: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            who: format!("{}@{}", user_name(), host_name()),
            pid: std::process::id(),
            command: command.to_string(),
            created: rfc3339_utc(SystemTime::now()),
            backend: backend.to_string(),
        }
    }
}

fn user_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

fn host_name() -> String {
    let from_files = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok());
    let from_env = ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok());
    from_files
        .chain(from_env)
        .map(|value| value.trim().to_string())
        .find(|value| !value.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string())
}

/// `time` as RFC 3339 in UTC with whole seconds (`1970-01-01T00:00:00Z` for times before the
/// epoch).
pub fn rfc3339_utc(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// What a backend keeps while a lock is held. Dropping it must release the lock (best
/// effort); [`HeldLock::release`] releases it and reports failures.
pub trait HeldLock: Send + Sync {
    /// Releases the lock now.
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), StateError>>;

    /// Lets go the way a killed process would: whatever the operating system or the service
    /// frees on its own is freed, and the recorded holder stays behind (local: the OS lock
    /// goes, the lock file keeps its content; S3: the lock object stays). For tests of
    /// `force_unlock` and crash recovery.
    fn abandon(self: Box<Self>);
}

/// A held state lock. Released when dropped, or with [`StateLock::unlock`] to see errors.
pub struct StateLock {
    pub info: LockInfo,
    held: Option<Box<dyn HeldLock>>,
}

impl StateLock {
    /// Used by backends: `held` is what releases the lock.
    pub fn new(info: LockInfo, held: Box<dyn HeldLock>) -> StateLock {
        StateLock {
            info,
            held: Some(held),
        }
    }

    /// Releases the lock and reports whether that worked.
    pub async fn unlock(mut self) -> Result<(), StateError> {
        match self.held.take() {
            Some(held) => held.release().await,
            None => Ok(()),
        }
    }

    /// See [`HeldLock::abandon`]: simulates the holder being killed.
    pub fn abandon(mut self) {
        if let Some(held) = self.held.take() {
            held.abandon();
        }
    }
}

impl fmt::Debug for StateLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateLock")
            .field("info", &self.info)
            .field("held", &self.held.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn check(seconds: u64, expected: &str) {
        let time = UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(
            rfc3339_utc(time),
            expected,
            "{seconds} seconds after the epoch"
        );
    }

    #[test]
    fn rfc3339_dates() {
        check(0, "1970-01-01T00:00:00Z");
        check(951_782_400, "2000-02-29T00:00:00Z");
        check(1_709_251_199, "2024-02-29T23:59:59Z");
        check(1_785_576_600, "2026-08-01T09:30:00Z");
        check(4_107_542_400, "2100-03-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn lock_info_describes_this_process() {
        let info = LockInfo::new("eksforge apply b.toml", "local state s.json");
        assert_eq!(info.pid, std::process::id());
        assert!(info.who.contains('@'), "{}", info.who);
        assert!(uuid::Uuid::parse_str(&info.id).is_ok());
        assert_eq!(info.created.len(), "2026-08-01T09:30:00Z".len());
        assert!(info.created.ends_with('Z'));
    }
}
