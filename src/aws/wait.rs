//! Waiting for asynchronous state changes: poll soon, back off, give up at a deadline.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::resources::Value;

use super::{AwsError, Observed};

#[derive(Debug, Clone, Copy)]
pub struct WaitConfig {
    pub timeout: Duration,
    /// First re-check after this long; doubles up to `max_poll`.
    pub first_poll: Duration,
    pub max_poll: Duration,
}

impl Default for WaitConfig {
    fn default() -> Self {
        WaitConfig {
            timeout: super::DEFAULT_WAIT_TIMEOUT,
            first_poll: Duration::from_millis(500),
            max_poll: Duration::from_secs(10),
        }
    }
}

/// What one poll saw.
pub enum Poll<T> {
    Done(T),
    Pending(String),
}

/// Polls `check` until it reports done, with adaptive back-off; a time-out names what was
/// awaited and the last state seen.
pub async fn until<T, F, Fut>(
    config: &WaitConfig,
    resource: &str,
    operation: &'static str,
    what: &str,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let started = Instant::now();
    let mut delay = config.first_poll;
    loop {
        let last_state = match check().await {
            Ok(Poll::Done(value)) => return Ok(value),
            Ok(Poll::Pending(state)) => state,
            // The SDK already retried this poll; the wait goes on until its deadline rather
            // than failing a ten-minute wait on one throttled describe.
            Err(error) if error.is_transient() => {
                if started.elapsed().saturating_add(delay) > config.timeout {
                    return Err(error);
                }
                format!(
                    "unknown ({})",
                    error.code.as_deref().unwrap_or("transient error")
                )
            }
            Err(error) => return Err(error),
        };
        if started.elapsed().saturating_add(delay) > config.timeout {
            return Err(AwsError::new(
                resource,
                operation,
                format!(
                    "timed out after {}s waiting for {what} (last state: {last_state})",
                    started.elapsed().as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2).min(config.max_poll);
    }
}

/// Polls `read` (one describe) until it finds nothing, reporting the resource's `status`
/// output meanwhile (EKS clusters and node groups go through `DELETING`).
pub async fn until_gone<F, Fut>(
    config: &WaitConfig,
    resource: &str,
    operation: &'static str,
    what: &str,
    mut read: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Observed>, AwsError>>,
{
    until(config, resource, operation, what, move || {
        let observed = read();
        async move {
            Ok(match observed.await? {
                None => Poll::Done(()),
                Some(observed) => Poll::Pending(
                    observed
                        .outputs
                        .get("status")
                        .and_then(Value::as_str)
                        .unwrap_or("DELETING")
                        .to_string(),
                ),
            })
        }
    })
    .await
}

/// Retries `attempt` while it fails with a dependency violation (AWS releases network
/// interfaces and addresses a little after the resource that held them is gone).
pub async fn retry_dependency<T, F, Fut>(config: &WaitConfig, mut attempt: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let started = Instant::now();
    let mut delay = config.first_poll;
    loop {
        match attempt().await {
            Err(error)
                if error.class == super::ErrorClass::DependencyViolation
                    && started.elapsed().saturating_add(delay)
                        < config.timeout.min(Duration::from_secs(300)) =>
            {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2).min(config.max_poll);
            }
            other => return other,
        }
    }
}
