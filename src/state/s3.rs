//! The S3 backend: the state is one object, the lock another, both guarded by S3's
//! conditional writes (no DynamoDB table).
//!
//! Objects, for `bucket = "b"`, `key = "eksforge/prod.json"`:
//! - `s3://b/eksforge/prod.json`: the state, the same JSON as a local state file. Every write
//!   is a compare-and-swap: `PutObject` with `If-Match: <ETag this backend last read or
//!   wrote>`, or `If-None-Match: *` when it saw no object. A write that loses (412
//!   `PreconditionFailed`, 409 `ConditionalRequestConflict`, or 404 when the object was
//!   deleted) changed nothing and is reported as [`StateError::ChangedConcurrently`], never
//!   retried over the other writer's state.
//! - `s3://b/eksforge/prod.json.lock`: exists while a run holds the lock; holds that run's
//!   [`LockInfo`] (plus the eksforge version) as JSON. Taken with `PutObject` and
//!   `If-None-Match: *`, so exactly one of any number of concurrent runs creates it; released
//!   with `DeleteObject` and `If-Match: <its ETag>`, so a run never deletes a lock it no longer
//!   owns (after a `force-unlock` and a new holder). The suffix is `.lock`, as for local state
//!   files. Unlike an OS lock it outlives a killed run: `eksforge force-unlock` removes it. A
//!   lock object that is not a lock document ([`StateError::LockUnreadable`]) has no lock id
//!   of its own; `force-unlock` takes `unreadable-<its ETag>` for it, so it removes exactly the
//!   object that was reported.
//!
//! Both objects are written with server-side encryption: SSE-KMS with `kms_key_id` when set,
//! SSE-S3 (AES256) otherwise. Before its first call the backend checks the bucket with
//! `GetBucketVersioning`: a missing bucket is an error, versioning that is not `Enabled` a
//! warning (versions are the only backup of an S3 state).
//!
//! The rules of the [module docs](super) hold as for the local backend: the serial/lineage
//! checks run against the state this backend last read, and the `If-Match` makes sure that
//! is still what S3 holds.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption};
use aws_sdk_s3::Client;
use futures::future::BoxFuture;
use futures::FutureExt;
use serde::{Deserialize, Serialize};

use super::{format, Backend, HeldLock, LockInfo, State, StateError, StateLock};

/// The longest pause between two attempts at a lock someone else holds (S3 requests cost
/// money and the holder usually runs for minutes, so no tighter than this).
const LOCK_RETRY_MAX: Duration = Duration::from_secs(2);
const LOCK_RETRY_FIRST: Duration = Duration::from_millis(250);

/// Makes the S3 client on first use (loading the SDK configuration is async, the CLI's
/// backend constructor is not).
pub type Connect = Box<dyn Fn() -> BoxFuture<'static, Client> + Send + Sync>;
/// Receives warnings (versioning off); the CLI prints them.
pub type Warn = Arc<dyn Fn(String) + Send + Sync>;

/// Where the state lives and how it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// The state object's key; the lock is `<key>.lock`.
    pub key: String,
    /// SSE-KMS key (id, ARN or alias); `None` for SSE-S3.
    pub kms_key_id: Option<String>,
}

/// What this backend knows of the stored state object.
enum Known {
    /// Not read yet, or the last read failed: the next write reads first.
    Unknown,
    /// No object: the next write uses `If-None-Match: *`.
    Absent,
    /// The object with this ETag holds exactly `state`.
    Present { etag: String, state: Box<State> },
    /// A write lost a compare-and-swap: someone else changed the object. Every later write
    /// is refused the same way until the state is read again, so a writer that retries (the
    /// apply executor does, on its next record) can never overwrite the other run's state
    /// just because its serial happens to be higher.
    Lost { now: String },
}

/// The lock object's content.
#[derive(Serialize, Deserialize)]
struct LockDocument {
    #[serde(flatten)]
    info: LockInfo,
    /// The eksforge version that took the lock.
    eksforge_version: String,
}

/// A state kept in one S3 object. Any blueprint name may be stored; [`super::load`] checks it.
pub struct S3Backend {
    location: S3Location,
    lock_timeout: Duration,
    connect: Option<Connect>,
    client: tokio::sync::OnceCell<Client>,
    /// Set once the bucket was checked (exists; versioning looked at).
    checked: tokio::sync::OnceCell<()>,
    on_warning: Option<Warn>,
    /// Also serialises this process's writes (other processes are kept apart by the lock).
    known: tokio::sync::Mutex<Known>,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend")
            .field("location", &self.location)
            .field("lock_timeout", &self.lock_timeout)
            .finish()
    }
}

impl S3Backend {
    /// A backend over `client`. Nothing is called until the first operation.
    pub fn new(client: Client, location: S3Location) -> S3Backend {
        S3Backend::build(
            None,
            tokio::sync::OnceCell::new_with(Some(client)),
            location,
        )
    }

    /// A backend whose client `connect` makes on first use.
    pub fn with_connect(connect: Connect, location: S3Location) -> S3Backend {
        S3Backend::build(Some(connect), tokio::sync::OnceCell::new(), location)
    }

    fn build(
        connect: Option<Connect>,
        client: tokio::sync::OnceCell<Client>,
        location: S3Location,
    ) -> S3Backend {
        S3Backend {
            location,
            lock_timeout: Duration::ZERO,
            connect,
            client,
            checked: tokio::sync::OnceCell::new(),
            on_warning: None,
            known: tokio::sync::Mutex::new(Known::Unknown),
        }
    }

    /// Keep retrying a held lock for up to `timeout` before reporting it (default: one try).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> S3Backend {
        self.lock_timeout = timeout;
        self
    }

    /// Where warnings go (by default nowhere).
    pub fn with_warnings(mut self, on_warning: Warn) -> S3Backend {
        self.on_warning = Some(on_warning);
        self
    }

    pub fn s3_location(&self) -> &S3Location {
        &self.location
    }

    /// `<key>.lock`.
    pub fn lock_key(&self) -> String {
        format!("{}.lock", self.location.key)
    }

    fn url(&self, key: &str) -> PathBuf {
        PathBuf::from(format!("s3://{}/{key}", self.location.bucket))
    }

    fn state_url(&self) -> PathBuf {
        self.url(&self.location.key)
    }

    /// The client, with the bucket checked once.
    async fn client(&self) -> Result<&Client, StateError> {
        let client = self
            .client
            .get_or_init(|| async {
                match &self.connect {
                    Some(connect) => connect().await,
                    // Only `new` leaves `connect` unset, and it sets the client.
                    None => futures::future::pending().await,
                }
            })
            .await;
        self.checked
            .get_or_try_init(|| self.check_bucket(client))
            .await?;
        Ok(client)
    }

    /// Fails on a missing (or forbidden) bucket before anything else happens, and warns when
    /// versioning is not enabled.
    async fn check_bucket(&self, client: &Client) -> Result<(), StateError> {
        let bucket = &self.location.bucket;
        let response = client.get_bucket_versioning().bucket(bucket).send().await;
        let status = match response {
            Ok(output) => Ok(output.status().cloned()),
            Err(error) => match lenient_versioning(&error) {
                Some(status) => Ok(status),
                None => Err(error),
            },
        };
        let warning = match status {
            Ok(Some(BucketVersioningStatus::Enabled)) => None,
            Ok(status) => Some(format!(
                "versioning is {} on bucket `{bucket}`, which holds state `{}`; without it a \
                 state overwritten by mistake cannot be recovered. Enable it: aws s3api \
                 put-bucket-versioning --bucket {bucket} --versioning-configuration \
                 Status=Enabled",
                status
                    .map(|status| format!("`{}`", status.as_str()))
                    .unwrap_or_else(|| "off".to_string()),
                self.state_url().display()
            )),
            // Reading the versioning setting needs its own permission; a caller without it may
            // still use the state, so this one is only a warning.
            Err(error) if error_code(&error).as_deref() == Some("AccessDenied") => Some(format!(
                "could not check versioning on bucket `{bucket}` (GetBucketVersioning: \
                 AccessDenied); grant s3:GetBucketVersioning, and make sure versioning is enabled"
            )),
            Err(error) => {
                return Err(self.remote(
                    "GetBucketVersioning",
                    PathBuf::from(format!("s3://{bucket}")),
                    &error,
                ))
            }
        };
        if let (Some(warning), Some(on_warning)) = (warning, &self.on_warning) {
            on_warning(warning);
        }
        Ok(())
    }

    /// Reads `key`: its bytes and ETag, or `None` when there is no such object.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let client = self.client().await?;
        let response = client
            .get_object()
            .bucket(&self.location.bucket)
            .key(key)
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(error) if is_not_found(&error) => return Ok(None),
            Err(error) => return Err(self.remote("GetObject", self.url(key), &error)),
        };
        // Every later write is conditional on this ETag: without one there is nothing to
        // compare and swap against.
        let Some(etag) = output.e_tag().map(str::to_string) else {
            return Err(missing_etag("GetObject", self.url(key)));
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| StateError::Remote {
                path: self.url(key),
                operation: "GetObject",
                code: "ReadBody".to_string(),
                message: error.to_string(),
                hint: "the connection broke while reading the object; run again".to_string(),
            })?
            .into_bytes()
            .to_vec();
        Ok(Some((bytes, etag)))
    }

    /// A `PutObject` of `bytes` at `key`, encrypted, with the given precondition.
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        condition: Condition<'_>,
    ) -> Result<Result<Option<String>, Conflict>, StateError> {
        let client = self.client().await?;
        let mut request = client
            .put_object()
            .bucket(&self.location.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        request = match &self.location.kms_key_id {
            Some(kms_key_id) => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms_key_id),
            None => request.server_side_encryption(ServerSideEncryption::Aes256),
        };
        request = match condition {
            Condition::Absent => request.if_none_match("*"),
            Condition::Matches(etag) => request.if_match(etag),
        };
        match request.send().await {
            Ok(output) => Ok(Ok(output
                .e_tag()
                .filter(|etag| !etag.is_empty())
                .map(str::to_string))),
            Err(error) => match conflict(&error) {
                Some(lost) => Ok(Err(lost)),
                None => Err(self.remote("PutObject", self.url(key), &error)),
            },
        }
    }

    /// A `DeleteObject` of `key` only if its ETag is still `etag`.
    async fn delete_if(&self, key: &str, etag: &str) -> Result<Result<(), Conflict>, StateError> {
        let client = self.client().await?;
        let response = client
            .delete_object()
            .bucket(&self.location.bucket)
            .key(key)
            .if_match(etag)
            .send()
            .await;
        match response {
            Ok(_) => Ok(Ok(())),
            Err(error) => match conflict(&error) {
                Some(lost) => Ok(Err(lost)),
                None => Err(self.remote("DeleteObject", self.url(key), &error)),
            },
        }
    }

    /// Reads the state object and remembers what it holds.
    async fn fetch(&self, known: &mut Known) -> Result<Option<State>, StateError> {
        *known = Known::Unknown;
        match self.get(&self.location.key).await? {
            None => {
                *known = Known::Absent;
                Ok(None)
            }
            Some((bytes, etag)) => {
                let state = format::decode(&self.state_url(), &bytes)?;
                *known = Known::Present {
                    etag,
                    state: Box::new(state.clone()),
                };
                Ok(Some(state))
            }
        }
    }

    /// What the state object holds now, in words, for a lost compare-and-swap.
    async fn describe_now(&self) -> String {
        match self.get(&self.location.key).await {
            Ok(None) => "it was deleted".to_string(),
            Ok(Some((bytes, _))) => match format::decode(&self.state_url(), &bytes) {
                Ok(state) => format!(
                    "it now holds serial {} of lineage {}",
                    state.serial, state.lineage
                ),
                Err(_) => "it now holds something that is not a readable state".to_string(),
            },
            Err(_) => "it could not be read again".to_string(),
        }
    }

    async fn write_with(&self, state: &State, forced: bool) -> Result<(), StateError> {
        let path = self.state_url();
        let bytes = format::encode(&path, state)?;
        let mut known = self.known.lock().await;
        if let (Known::Lost { now }, false) = (&*known, forced) {
            return Err(StateError::ChangedConcurrently {
                path,
                now: now.clone(),
            });
        }
        if matches!(*known, Known::Unknown | Known::Lost { .. }) || forced {
            if forced {
                // Only the ETag matters: a forced write replaces even what it cannot read.
                *known = match self.get(&self.location.key).await? {
                    None => Known::Absent,
                    Some((_, etag)) => Known::Present {
                        etag,
                        state: Box::new(state.clone()),
                    },
                };
            } else {
                self.fetch(&mut known).await?;
            }
        }
        let condition = match &*known {
            Known::Unknown | Known::Lost { .. } => unreachable_unknown(&path)?,
            Known::Absent => Condition::Absent,
            Known::Present {
                etag,
                state: stored,
            } => {
                if !forced {
                    format::check_overwrite(&path, stored, state)?;
                    if **stored == *state {
                        return Ok(());
                    }
                }
                Condition::Matches(etag)
            }
        };
        let written = self.put(&self.location.key, bytes, condition).await;
        match written {
            Ok(Ok(Some(etag))) => {
                *known = Known::Present {
                    etag,
                    state: Box::new(state.clone()),
                };
                Ok(())
            }
            Ok(Ok(None)) => {
                // S3 always returns the ETag; without one the next write reads first.
                *known = Known::Unknown;
                Ok(())
            }
            Ok(Err(_conflict)) => {
                let now = self.describe_now().await;
                *known = Known::Lost { now: now.clone() };
                Err(StateError::ChangedConcurrently { path, now })
            }
            Err(error) => {
                *known = Known::Unknown;
                Err(error)
            }
        }
    }

    /// The lock object's holder and ETag; `Ok(None)` when there is no lock object, holder
    /// `None` when its content is not a lock document.
    async fn holder(&self) -> Result<Option<(Option<LockInfo>, String)>, StateError> {
        Ok(self.get(&self.lock_key()).await?.map(|(bytes, etag)| {
            let holder = serde_json::from_slice::<LockDocument>(&bytes)
                .ok()
                .map(|document| document.info);
            (holder, etag)
        }))
    }

    async fn lock_with_retries(&self, info: LockInfo) -> Result<StateLock, StateError> {
        let lock_key = self.lock_key();
        let document = LockDocument {
            info: info.clone(),
            eksforge_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let body =
            serde_json::to_vec_pretty(&document).map_err(|error| StateError::Unwritable {
                path: self.url(&lock_key),
                detail: error.to_string(),
            })?;
        let started = Instant::now();
        let mut pause = LOCK_RETRY_FIRST;
        loop {
            let holder = match self.put(&lock_key, body.clone(), Condition::Absent).await? {
                Ok(etag) => {
                    // The lock is released by a delete conditional on its ETag.
                    let Some(etag) = etag else {
                        return Err(missing_etag("PutObject", self.url(&lock_key)));
                    };
                    let client = self.client().await?.clone();
                    let held = S3Lock {
                        client,
                        bucket: self.location.bucket.clone(),
                        key: lock_key,
                        etag: Some(etag),
                        path: self.state_url(),
                        id: info.id.clone(),
                    };
                    return Ok(StateLock::new(info, Box::new(held)));
                }
                Err(_taken) => match self.holder().await? {
                    Some((Some(holder), _)) => Ok(holder),
                    Some((None, etag)) => Err(self.unreadable(&etag)),
                    // Released between our attempt and this read: try again at once.
                    None => continue,
                },
            };
            let waited = started.elapsed();
            if waited >= self.lock_timeout {
                return Err(match holder {
                    Ok(holder) => StateError::Locked {
                        path: self.state_url(),
                        holder: Box::new(holder),
                    },
                    Err(unreadable) => unreadable,
                });
            }
            tokio::time::sleep(pause.min(self.lock_timeout - waited)).await;
            pause = (pause * 2).min(LOCK_RETRY_MAX);
        }
    }

    /// A lock object whose content is not a lock document: the error names it and the id
    /// that removes exactly it.
    fn unreadable(&self, etag: &str) -> StateError {
        StateError::LockUnreadable {
            path: self.state_url(),
            lock_path: self.url(&self.lock_key()),
            lock_id: unreadable_lock_id(etag),
        }
    }

    async fn force_unlock_id(&self, lock_id: &str) -> Result<(), StateError> {
        let path = self.state_url();
        let lock_key = self.lock_key();
        let refused = |holder: Option<LockInfo>, etag: &str| match holder {
            Some(holder) => StateError::LockIdMismatch {
                path: path.clone(),
                requested: lock_id.to_string(),
                holder: Some(Box::new(holder)),
            },
            None => self.unreadable(etag),
        };
        let Some((holder, etag)) = self.holder().await? else {
            return Err(StateError::NotLocked { path });
        };
        let matches = match &holder {
            Some(holder) => holder.id == lock_id,
            None => unreadable_lock_id(&etag) == lock_id,
        };
        if !matches {
            return Err(refused(holder, &etag));
        }
        match self.delete_if(&lock_key, &etag).await? {
            Ok(()) => Ok(()),
            // The lock changed between the read and the delete: released and maybe taken
            // again by someone else, whose lock must stay.
            Err(_) => match self.holder().await? {
                None => Err(StateError::NotLocked { path }),
                Some((holder, etag)) => Err(refused(holder, &etag)),
            },
        }
    }

    fn remote<E>(
        &self,
        operation: &'static str,
        path: PathBuf,
        error: &SdkError<E, HttpResponse>,
    ) -> StateError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = error
            .raw_response()
            .map(|response| response.status().as_u16());
        let code = error_code(error)
            .or_else(|| status.map(|status| format!("HTTP {status}")))
            .unwrap_or_else(|| match error {
                SdkError::TimeoutError(_) => "Timeout".to_string(),
                SdkError::DispatchFailure(_) => "DispatchFailure".to_string(),
                _ => "Error".to_string(),
            });
        let message = error
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| DisplayErrorContext(error).to_string());
        let hint = self.hint(&code, status);
        StateError::Remote {
            path,
            operation,
            code,
            message,
            hint,
        }
    }

    fn hint(&self, code: &str, status: Option<u16>) -> String {
        let bucket = &self.location.bucket;
        let key = &self.location.key;
        match code {
            "NoSuchBucket" => format!(
                "bucket `{bucket}` does not exist (in this account and region): create it \
                 (`aws s3api create-bucket --bucket {bucket} ...`), enable versioning \
                 (`aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration \
                 Status=Enabled`), or fix `bucket` in [state]; nothing was changed"
            ),
            "AccessDenied" | "AllAccessDisabled" | "HTTP 403" => format!(
                "the credentials in use may not do this: grant s3:ListBucket and \
                 s3:GetBucketVersioning on arn:aws:s3:::{bucket}, and s3:GetObject, \
                 s3:PutObject, s3:DeleteObject on arn:aws:s3:::{bucket}/{key} and \
                 arn:aws:s3:::{bucket}/{key}.lock (plus kms:Encrypt, kms:Decrypt and \
                 kms:GenerateDataKey on the key when kms_key_id is set); see docs/blueprint.md"
            ),
            "PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException" | "HTTP 301" => format!(
                "bucket `{bucket}` is in another region: set `region` in [state] to the bucket's region"
            ),
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "ExpiredToken" | "InvalidToken" => {
                "the AWS credentials were refused: check the profile, the environment or log in again (aws sso login)".to_string()
            }
            "Timeout" | "DispatchFailure" => {
                "S3 could not be reached: check the network and the endpoint URL, then run again".to_string()
            }
            code if code.starts_with("KMS") => {
                "SSE-KMS failed: check `kms_key_id` in [state] (the key exists, is enabled, is in the bucket's region) and that the caller may use it (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey)".to_string()
            }
            _ if status.is_some_and(|status| status >= 500) => {
                "S3 had an internal problem; run again".to_string()
            }
            _ => format!("check bucket `{bucket}`, key `{key}` and the permissions of the credentials in use"),
        }
    }
}

/// The `force-unlock` id of a lock object eksforge cannot read: its ETag (which S3 changes with
/// every write of the object), so the id removes that object and never a lock taken since.
fn unreadable_lock_id(etag: &str) -> String {
    format!("unreadable-{}", etag.trim_matches('"'))
}

fn unreachable_unknown(path: &std::path::Path) -> Result<Condition<'static>, StateError> {
    // `fetch` always leaves Absent or Present on success; kept as an error, not a panic.
    Err(StateError::Unwritable {
        path: path.to_path_buf(),
        detail: "the stored state was not read before writing".to_string(),
    })
}

/// The precondition of a `PutObject`.
enum Condition<'a> {
    /// `If-None-Match: *`: only if there is no object.
    Absent,
    /// `If-Match: <etag>`: only if the object is still this one.
    Matches(&'a str),
}

/// A conditional request lost: the object was not what the condition said.
#[derive(Debug)]
struct Conflict;

/// The versioning status in a 200 response the SDK could not parse. Some S3-compatible
/// endpoints (moto 5.2 among them) name the root element `GetBucketVersioningResponse`
/// instead of `VersioningConfiguration`; the bucket exists all the same, so read the
/// `<Status>` element from the body rather than fail on it.
fn lenient_versioning<E>(
    error: &SdkError<E, HttpResponse>,
) -> Option<Option<BucketVersioningStatus>> {
    let response = error.raw_response()?;
    if response.status().as_u16() != 200 {
        return None;
    }
    let body = std::str::from_utf8(response.body().bytes()?).ok()?;
    let status = body
        .split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| BucketVersioningStatus::from(status.trim()));
    Some(status)
}

fn error_code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<String> {
    match error {
        SdkError::ServiceError(service) => service.err().code().map(str::to_string),
        _ => None,
    }
}

fn status_of<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error
        .raw_response()
        .map(|response| response.status().as_u16())
}

fn is_not_found<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    matches!(error_code(error).as_deref(), Some("NoSuchKey" | "NotFound"))
        || (status_of(error) == Some(404) && error_code(error).as_deref() != Some("NoSuchBucket"))
}

/// 412 `PreconditionFailed` (the condition was false), 409 `ConditionalRequestConflict` (a
/// concurrent request on the same key won), or 404 `NoSuchKey` (an `If-Match` on an object
/// deleted meanwhile): the request changed nothing because someone else changed the object.
fn conflict<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<Conflict> {
    let code = error_code(error);
    let status = status_of(error);
    let lost = matches!(
        code.as_deref(),
        Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
    ) || status == Some(412)
        || (status == Some(409) && code.as_deref() != Some("OperationAborted"))
        || (status == Some(404) && code.as_deref() != Some("NoSuchBucket"));
    lost.then_some(Conflict)
}

impl Backend for S3Backend {
    fn describe(&self) -> String {
        format!("s3 state {}", self.state_url().display())
    }

    fn location(&self) -> PathBuf {
        self.state_url()
    }

    fn read(&self) -> BoxFuture<'_, Result<Option<State>, StateError>> {
        async move {
            let mut known = self.known.lock().await;
            self.fetch(&mut known).await
        }
        .boxed()
    }

    fn write<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>> {
        self.write_with(state, false).boxed()
    }

    /// Still a compare-and-swap against the object as just read, so a concurrent writer is
    /// detected even here.
    fn write_forced<'a>(&'a self, state: &'a State) -> BoxFuture<'a, Result<(), StateError>> {
        self.write_with(state, true).boxed()
    }

    fn lock(&self, info: LockInfo) -> BoxFuture<'_, Result<StateLock, StateError>> {
        self.lock_with_retries(info).boxed()
    }

    fn force_unlock<'a>(&'a self, lock_id: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        self.force_unlock_id(lock_id).boxed()
    }

    /// The lock this run holds is an object it just put in the same bucket, beside the state
    /// key: that write succeeding is the proof (a test write of the state object itself would
    /// be one more round trip and a new object version for nothing).
    fn check_writable(&self) -> BoxFuture<'_, Result<(), StateError>> {
        async { Ok(()) }.boxed()
    }
}

/// A lock object this run created: deleted on release if it is still the one we wrote.
struct S3Lock {
    client: Client,
    bucket: String,
    key: String,
    /// `None` once released or abandoned.
    etag: Option<String>,
    path: PathBuf,
    id: String,
}

impl S3Lock {
    fn release_future(&mut self) -> Option<BoxFuture<'static, Result<(), StateError>>> {
        let etag = self.etag.take()?;
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), self.key.clone());
        let (path, id) = (self.path.clone(), self.id.clone());
        Some(
            async move {
                let response = client
                    .delete_object()
                    .bucket(&bucket)
                    .key(&key)
                    .if_match(etag)
                    .send()
                    .await;
                match response {
                    Ok(_) => Ok(()),
                    Err(error) if conflict(&error).is_some() => {
                        Err(StateError::LockLost { path, id })
                    }
                    Err(error) => {
                        let code = error_code(&error)
                            .or_else(|| status_of(&error).map(|status| format!("HTTP {status}")))
                            .unwrap_or_else(|| "Error".to_string());
                        Err(StateError::Remote {
                            path: PathBuf::from(format!("s3://{bucket}/{key}")),
                            operation: "DeleteObject",
                            code,
                            message: DisplayErrorContext(&error).to_string(),
                            hint: format!(
                                "the lock was not released: once this run has ended, run \
                                 `eksforge force-unlock BLUEPRINT {id}`"
                            ),
                        })
                    }
                }
            }
            .boxed(),
        )
    }
}

impl HeldLock for S3Lock {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StateError>> {
        match self.release_future() {
            Some(release) => release,
            None => async { Ok(()) }.boxed(),
        }
    }

    fn abandon(mut self: Box<Self>) {
        // A killed run deletes nothing: the lock object stays for force-unlock.
        self.etag = None;
    }
}

impl Drop for S3Lock {
    /// Commands release by dropping the lock, so the delete must happen here. It is awaited
    /// in place on a multi-threaded runtime (the process may exit right after the drop); on a
    /// current-thread runtime it can only be spawned.
    fn drop(&mut self) {
        let Some(release) = self.release_future() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        match handle.runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => {
                let _ = tokio::task::block_in_place(|| handle.block_on(release));
            }
            _ => {
                handle.spawn(release);
            }
        }
    }
}

/// The integration tests' moto starter, shared rather than copied.
/// S3 answered without the ETag every conditional write depends on.
fn missing_etag(operation: &'static str, path: PathBuf) -> StateError {
    StateError::Remote {
        path,
        operation,
        code: "MissingETag".to_string(),
        message: "the response carried no ETag".to_string(),
        hint: "S3 always returns one; check that the endpoint is S3 (or emulates conditional writes), \
               then run `eksforge force-unlock` if a lock was left behind"
            .to_string(),
    }
}

#[cfg(test)]
#[allow(dead_code)]
#[path = "../../tests/support/moto.rs"]
mod test_moto;

#[cfg(test)]
mod tests;
