//! Against a moto server of the test's own (moto honours `If-None-Match: *` and `If-Match`
//! on PutObject and `If-Match` on DeleteObject with 412, as `tests/s3_state.rs` checks
//! first in `moto_honours_s3_conditional_writes`).

use super::*;
use crate::state::conformance::conformance;

use super::test_moto as moto;

struct Fixture {
    _moto: moto::Moto,
    client: Client,
}

async fn fixture(versioned: bool) -> Fixture {
    let moto = tokio::task::spawn_blocking(moto::Moto::start)
        .await
        .expect("start moto");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(moto.url())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await;
    let client = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    client
        .create_bucket()
        .bucket("state-bucket")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
    if versioned {
        client
            .put_bucket_versioning()
            .bucket("state-bucket")
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("enable versioning");
    }
    Fixture {
        _moto: moto,
        client,
    }
}

fn backend(fixture: &Fixture, key: &str) -> S3Backend {
    S3Backend::new(
        fixture.client.clone(),
        S3Location {
            bucket: "state-bucket".to_string(),
            key: key.to_string(),
            kms_key_id: None,
        },
    )
}

async fn object(fixture: &Fixture, key: &str) -> Option<Vec<u8>> {
    match fixture
        .client
        .get_object()
        .bucket("state-bucket")
        .key(key)
        .send()
        .await
    {
        Ok(output) => Some(output.body.collect().await.ok()?.into_bytes().to_vec()),
        Err(_) => None,
    }
}

fn state(serial: u64, blueprint: &str) -> State {
    let mut state = State::new(blueprint);
    state.serial = serial;
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_backend_conformance_test() {
    let fixture = fixture(true).await;
    conformance(&backend(&fixture, "eksforge/conformance.json")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_race_is_reported_and_the_other_write_kept() {
    let fixture = fixture(true).await;
    let key = "eksforge/race.json";
    let ours = backend(&fixture, key);
    let mut first = state(1, "race");
    ours.write(&first).await.expect("first write");
    assert_eq!(ours.read().await.expect("read"), Some(first.clone()));

    // Someone else (a run that ignored the lock) writes serial 2 behind our back.
    let theirs = backend(&fixture, key);
    theirs.read().await.expect("their read");
    let mut other = first.clone();
    other.serial = 2;
    other.resources.clear();
    theirs.write(&other).await.expect("their write");
    let stored = object(&fixture, key).await.expect("object");

    // Our write of serial 3 would pass the serial check; the ETag tells it apart.
    first.serial = 3;
    let refused = ours.write(&first).await;
    match &refused {
        Err(error @ StateError::ChangedConcurrently { now, .. }) => {
            assert!(now.contains("serial 2"), "{now}");
            let text = error.to_string();
            assert!(
                text.contains("s3://state-bucket/eksforge/race.json"),
                "{text}"
            );
            assert!(text.contains("eksforge plan"), "{text}");
        }
        other => panic!("expected ChangedConcurrently, got {other:?}"),
    }
    assert_eq!(
        object(&fixture, key).await.expect("object"),
        stored,
        "the other run's state is kept"
    );
    // A retry with an even higher serial (the executor retries on its next record) is
    // refused the same way, until the state is read again.
    first.serial = 9;
    let refused = ours.write(&first).await;
    assert!(
        matches!(refused, Err(StateError::ChangedConcurrently { .. })),
        "{refused:?}"
    );
    assert_eq!(object(&fixture, key).await.expect("object"), stored);
    assert_eq!(ours.read().await.expect("read again"), Some(other));

    // A state created meanwhile by someone else is not overwritten either.
    let fresh = backend(&fixture, "eksforge/new.json");
    assert_eq!(fresh.read().await.expect("read"), None);
    backend(&fixture, "eksforge/new.json")
        .write(&state(1, "new"))
        .await
        .expect("their first write");
    let refused = fresh.write(&state(1, "new")).await;
    assert!(
        matches!(refused, Err(StateError::ChangedConcurrently { .. })),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_newer_states_are_refused_and_left_alone() {
    let fixture = fixture(true).await;
    for (key, body) in [
        ("eksforge/corrupt.json", b"{ not json".to_vec()),
        (
            "eksforge/newer.json",
            br#"{"format_version": 99, "future": true}"#.to_vec(),
        ),
    ] {
        fixture
            .client
            .put_object()
            .bucket("state-bucket")
            .key(key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("put");
        let backend = backend(&fixture, key);
        let read = backend.read().await;
        assert!(
            matches!(
                read,
                Err(StateError::Corrupt { .. } | StateError::NewerFormat { .. })
            ),
            "{key}: {read:?}"
        );
        let refused = backend.write(&state(5, "x")).await;
        assert!(
            matches!(
                refused,
                Err(StateError::Corrupt { .. } | StateError::NewerFormat { .. })
            ),
            "{key}: {refused:?}"
        );
        assert_eq!(object(&fixture, key).await, Some(body), "{key} untouched");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lock_object_holds_the_holder_and_goes_on_drop() {
    let fixture = fixture(true).await;
    let backend = backend(&fixture, "eksforge/lock.json");
    let info = LockInfo::new("eksforge apply lock.toml", &backend.describe());
    let lock = backend.lock(info.clone()).await.expect("lock");
    let body = object(&fixture, "eksforge/lock.json.lock")
        .await
        .expect("lock object");
    let document: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(document["id"], info.id.as_str());
    assert_eq!(document["command"], "eksforge apply lock.toml");
    assert_eq!(document["eksforge_version"], env!("CARGO_PKG_VERSION"));
    drop(lock);
    assert_eq!(
        object(&fixture, "eksforge/lock.json.lock").await,
        None,
        "dropping the lock deletes the lock object"
    );

    // A lock force-unlocked and taken by another run is not deleted by the first holder.
    let first = backend.lock(info.clone()).await.expect("lock");
    backend.force_unlock(&info.id).await.expect("force-unlock");
    let second = LockInfo::new("eksforge plan lock.toml", &backend.describe());
    let taken = backend.lock(second.clone()).await.expect("second lock");
    let released = first.unlock().await;
    assert!(
        matches!(released, Err(StateError::LockLost { .. })),
        "{released:?}"
    );
    let body = object(&fixture, "eksforge/lock.json.lock")
        .await
        .expect("the second holder's lock object stays");
    assert!(String::from_utf8_lossy(&body).contains(&second.id));
    taken.unlock().await.expect("unlock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_waits_for_the_holder() {
    let fixture = fixture(true).await;
    let holder = backend(&fixture, "eksforge/wait.json");
    let waiter = backend(&fixture, "eksforge/wait.json").with_lock_timeout(Duration::from_secs(10));
    let held = holder
        .lock(LockInfo::new("eksforge apply", "s3"))
        .await
        .expect("lock");
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        held.unlock().await
    });
    let started = Instant::now();
    let lock = waiter
        .lock(LockInfo::new("eksforge plan", "s3"))
        .await
        .expect("taken once released");
    assert!(started.elapsed() >= Duration::from_millis(700));
    release.await.expect("join").expect("unlock");
    lock.unlock().await.expect("unlock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_bucket_the_call_and_the_fix() {
    let fixture = fixture(false).await;
    let warnings = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = warnings.clone();
    let unversioned =
        backend(&fixture, "eksforge/w.json").with_warnings(Arc::new(move |warning| {
            if let Ok(mut seen) = seen.lock() {
                seen.push(warning);
            }
        }));
    assert_eq!(unversioned.read().await.expect("read"), None);
    let warnings = warnings.lock().map(|w| w.clone()).unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("put-bucket-versioning"),
        "{warnings:?}"
    );

    let missing = S3Backend::new(
        fixture.client.clone(),
        S3Location {
            bucket: "no-such-bucket".to_string(),
            key: "eksforge/x.json".to_string(),
            kms_key_id: None,
        },
    );
    let error = missing.read().await.expect_err("missing bucket");
    let text = error.to_string();
    assert!(
        matches!(&error, StateError::Remote { code, operation: "GetBucketVersioning", .. } if code == "NoSuchBucket"),
        "{error:?}"
    );
    assert!(text.contains("s3://no-such-bucket"), "{text}");
    assert!(text.contains("create it"), "{text}");
    assert!(text.contains("versioning"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_encrypted_and_kms_is_used_when_configured() {
    let fixture = fixture(true).await;
    let plain = backend(&fixture, "eksforge/sse.json");
    plain.write(&state(1, "sse")).await.expect("write");
    let head = fixture
        .client
        .head_object()
        .bucket("state-bucket")
        .key("eksforge/sse.json")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );

    // moto does not check that the KMS key exists; it stores and echoes the id.
    let kms = S3Backend::new(
        fixture.client.clone(),
        S3Location {
            bucket: "state-bucket".to_string(),
            key: "eksforge/kms.json".to_string(),
            kms_key_id: Some("alias/state".to_string()),
        },
    );
    kms.write(&state(1, "kms")).await.expect("write");
    let head = fixture
        .client
        .head_object()
        .bucket("state-bucket")
        .key("eksforge/kms.json")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some("alias/state"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_write_replaces_what_a_normal_write_refuses() {
    let fixture = fixture(true).await;
    let backend = backend(&fixture, "eksforge/force.json");
    backend.write(&state(5, "force")).await.expect("write");
    let other = state(1, "force");
    assert!(matches!(
        backend.write(&other).await,
        Err(StateError::LineageMismatch { .. })
    ));
    backend.write_forced(&other).await.expect("forced write");
    assert_eq!(backend.read().await.expect("read"), Some(other));
}
