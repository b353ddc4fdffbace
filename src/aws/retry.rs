//! How failed AWS calls are tried again.
//!
//! Three layers, each for what the one below cannot know:
//! - the SDK retries every call (standard mode: exponential back-off with full jitter, a
//!   retry quota per service) on throttling, HTTP 5xx and dropped connections;
//! - creates whose first call carries neither an idempotency token nor a unique name
//!   (`CreateVpc`, `AllocateAddress`, `CreateKey`, ...) are sent once by the SDK ([`once`]):
//!   after a lost answer a retry would make a twin. The executor looks such a resource up by
//!   its tags before it tries again (`apply::recover`);
//! - waits (`wait::until`) ride out transient errors until their deadline, so one throttled
//!   describe in a ten-minute wait does not fail the apply.

use std::time::Duration;

use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction, RetryConfig};

use super::WaitConfig;

/// Attempts per call (the first one included). Eight covers a burst of throttling of about
/// a minute with the default back-off.
pub const MAX_ATTEMPTS: u32 = 8;

/// The SDK retry configuration: standard mode, [`MAX_ATTEMPTS`], back-off starting at the
/// wait's first poll and growing to twice its longest pause (so `--poll-max` scales both in
/// tests). Adaptive mode is not used: its client-side rate limiter slows every later call
/// after one throttle, and eksforge makes few calls.
pub fn sdk_retry_config(waits: &WaitConfig) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(waits.first_poll.max(Duration::from_millis(10)))
        .with_max_backoff(
            waits
                .max_poll
                .saturating_mul(2)
                .max(Duration::from_millis(20)),
        )
}

/// Forbids retrying a 5xx whose body is an HTML page: that is an endpoint without the API
/// (moto's "not implemented" page), not a passing failure; AWS itself answers errors in
/// XML or JSON. Without this every such call would be retried [`MAX_ATTEMPTS`] times. Also
/// forbids retrying a refused connection (see `connection_refused`).
#[derive(Debug, Default, Clone, Copy)]
pub struct HtmlErrorPage;

impl ClassifyRetry for HtmlErrorPage {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if connection_refused(ctx) {
            return RetryAction::RetryForbidden;
        }
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        if response.status().as_u16() < 500 {
            return RetryAction::NoActionIndicated;
        }
        let html_type = response
            .headers()
            .get("content-type")
            .is_some_and(|value| value.contains("text/html"));
        let html_body = response
            .body()
            .bytes()
            .and_then(|bytes| bytes.iter().find(|byte| !byte.is_ascii_whitespace()))
            .is_some_and(|first| *first == b'<')
            && response
                .body()
                .bytes()
                .is_some_and(|bytes| bytes.windows(5).any(|w| w.eq_ignore_ascii_case(b"<html")));
        if html_type || html_body {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "eksforge: HTML error page (API not implemented)"
    }
}

/// Nothing listens at the endpoint (a wrong `--endpoint-url`, a stopped emulator): retrying
/// with back-off would only make the error take half a minute. Timeouts and reset
/// connections, the real network blips, are still retried.
fn connection_refused(ctx: &InterceptorContext) -> bool {
    let Some(Err(error)) = ctx.output_or_error() else {
        return false;
    };
    let Some(connector) = error.as_connector_error() else {
        return false;
    };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(connector);
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        cause = error.source();
    }
    false
}

/// A per-call override that sends a call once: for creates that are not idempotent (see
/// the module comment). Use as `.customize().config_override(retry::once_ec2())`.
pub fn once_ec2() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// [`once_ec2`] for KMS (`CreateKey` has no token and no name).
pub fn once_kms() -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Back-off for the executor's own retries: `base` doubling per attempt up to `max`, with
/// "equal jitter" (half fixed, half random) so parallel retries spread out.
pub fn backoff(waits: &WaitConfig, attempt: u32) -> Duration {
    let base = waits.first_poll.max(Duration::from_millis(10));
    let max = waits.max_poll.saturating_mul(2).max(base);
    let exp = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    // Jitter from the clock's nanoseconds: no RNG dependency, and no need for a good one.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or_default();
    let fraction = f64::from(nanos % 1000) / 1000.0;
    exp / 2 + exp.mul_f64(fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        let waits = WaitConfig {
            timeout: Duration::from_secs(60),
            first_poll: Duration::from_millis(100),
            max_poll: Duration::from_secs(1),
        };
        for attempt in 0..20 {
            let pause = backoff(&waits, attempt);
            assert!(pause <= Duration::from_secs(2), "{attempt}: {pause:?}");
        }
        assert!(backoff(&waits, 0) >= Duration::from_millis(50));
        assert!(backoff(&waits, 3) >= Duration::from_millis(400));
    }

    #[test]
    fn sdk_config_is_standard_with_enough_attempts() {
        let config = sdk_retry_config(&WaitConfig::default());
        assert_eq!(config.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(
            config.mode(),
            aws_sdk_ec2::config::retry::RetryMode::Standard
        );
    }
}
