//! One error type for every AWS call: the resource, the operation and the AWS error code.

use std::fmt;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What kind of failure it was, so callers can decide without string matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The thing is not there (treated as "gone" by refresh and delete).
    NotFound,
    /// Something else still uses it (retried by deletes).
    DependencyViolation,
    /// It already exists (create adopts where it can).
    AlreadyExists,
    /// The endpoint does not implement this API (moto's HTML 404/500).
    Unsupported,
    /// Could not reach the endpoint or sign the request.
    Connection,
    /// The API refused the call for its rate (`RequestLimitExceeded`, `Throttling`,
    /// `ThrottlingException`): it had no effect and can be sent again after a pause.
    Throttled,
    /// The service failed or was unavailable (HTTP 500/502/503/504, `InternalError`,
    /// `ServiceUnavailable`): worth another try, but a create may have taken effect.
    Transient,
    /// eksforge built a request without an attribute the call needs: a bug in eksforge, not
    /// in the blueprint or in AWS. Nothing was sent.
    MissingAttribute,
    Other,
}

impl ErrorClass {
    /// Whether trying again later may succeed (throttling, server-side failures).
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorClass::Throttled | ErrorClass::Transient)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub struct AwsError {
    pub resource: String,
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
    pub class: ErrorClass,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} failed", self.resource, self.operation)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl AwsError {
    /// What a user can do about it.
    pub fn hint(&self) -> String {
        match self.class {
            ErrorClass::Connection => "check the endpoint (--endpoint-url / AWS_ENDPOINT_URL), the network and the credentials (AWS_PROFILE, `aws sso login`)".to_string(),
            ErrorClass::Unsupported => format!("the endpoint does not implement {}; on moto this API is missing (see shared MOTO notes)", self.operation),
            ErrorClass::DependencyViolation => "something outside this blueprint still uses the resource; remove it (or wait for it to go) and re-run: state is saved".to_string(),
            ErrorClass::MissingAttribute => "this is a bug in eksforge, not in the blueprint: nothing was sent to AWS; report it with the output of `eksforge plan --json`".to_string(),
            ErrorClass::Throttled | ErrorClass::Transient => format!(
                "AWS kept refusing {} after every retry (throttling or a service failure); re-run apply later: finished work is recorded in state",
                self.operation
            ),
            _ => match self.code.as_deref() {
                Some(code) if code.contains("Unauthorized") || code.contains("AccessDenied") => format!("the caller lacks permission for {}; grant it or use another profile", self.operation),
                Some(code) if code.contains("Limit") || code.contains("Quota") => "an account quota is exhausted: raise it in Service Quotas or free capacity".to_string(),
                _ => "fix the cause above and re-run apply: finished work is recorded in state".to_string(),
            },
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.class.is_transient()
    }

    pub fn is_not_found(&self) -> bool {
        self.class == ErrorClass::NotFound
    }

    /// For deletes: what is already gone is deleted. `result.or_else(AwsError::gone)`.
    pub fn gone(self) -> Result<(), AwsError> {
        if self.is_not_found() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// How a read takes a thing that is not there: `Ok(None)`; any other error stays one.
    pub fn absent<T>(self) -> Result<Option<T>, AwsError> {
        if self.is_not_found() {
            Ok(None)
        } else {
            Err(self)
        }
    }

    pub fn new(
        resource: impl fmt::Display,
        operation: &'static str,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError {
            resource: resource.to_string(),
            operation,
            code: None,
            message: message.into(),
            class: ErrorClass::Other,
        }
    }

    /// A successful answer that lacks what the call exists to return (the new resource's id).
    pub fn missing_in_response(
        resource: impl fmt::Display,
        operation: &'static str,
        what: &str,
    ) -> AwsError {
        AwsError::new(
            resource,
            operation,
            format!("the response carried no {what}"),
        )
    }

    /// A request built without an attribute its call needs (`refresh::required_str`).
    pub fn missing_attribute(
        resource: impl fmt::Display,
        operation: &'static str,
        attribute: &str,
    ) -> AwsError {
        AwsError {
            class: ErrorClass::MissingAttribute,
            ..AwsError::new(
                resource,
                operation,
                format!("internal error: the request has no `{attribute}` to send"),
            )
        }
    }

    /// Converts any SDK error, keeping the AWS error code.
    pub fn from_sdk<E>(
        resource: impl fmt::Display,
        operation: &'static str,
        error: SdkError<E, HttpResponse>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = error.code().map(str::to_string);
        let status = error
            .raw_response()
            .map(|response| response.status().as_u16());
        let message = match &error {
            // The innermost cause ("Connection refused"), not the whole wrapper chain.
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                let mut cause: &dyn std::error::Error = &error;
                while let Some(next) = cause.source() {
                    cause = next;
                }
                format!("could not reach the AWS endpoint: {cause}")
            }
            _ => error
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(&error).to_string()),
        };
        let class = match &error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ErrorClass::Connection,
            SdkError::ConstructionFailure(_) => ErrorClass::Connection,
            _ => match classify(code.as_deref(), &message) {
                // A 5xx the code does not explain (a bare 502 from a load balancer, an HTML
                // page) is a service failure too, unless it is the emulator's "not
                // implemented" page.
                ErrorClass::Other if status.is_some_and(|status| status >= 500) => {
                    ErrorClass::Transient
                }
                class => class,
            },
        };
        AwsError {
            resource: resource.to_string(),
            operation,
            code,
            message,
            class,
        }
    }
}

/// Throttling error codes across the protocols (the SDK's own list, plus EC2's).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Server-side failure codes (HTTP 5xx) of the services eksforge calls.
const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

fn classify(code: Option<&str>, message: &str) -> ErrorClass {
    match code {
        Some(code)
            if code.ends_with("NotFound")
                || code.ends_with("NotFoundException")
                || code == "NoSuchEntity"
                || code == "ResourceNotFoundException"
                || code == "InvalidDocument"
                || code == "NotFoundException" =>
        {
            ErrorClass::NotFound
        }
        Some("DependencyViolation") => ErrorClass::DependencyViolation,
        Some(code) if THROTTLING_CODES.contains(&code) => ErrorClass::Throttled,
        Some(code) if TRANSIENT_CODES.contains(&code) => ErrorClass::Transient,
        Some(code)
            if code.contains("AlreadyExists")
                || code.contains("Duplicate")
                || code == "RouteAlreadyExists"
                || code == "Resource.AlreadyAssociated" =>
        {
            ErrorClass::AlreadyExists
        }
        Some(_) => ErrorClass::Other,
        // An HTML body where the protocol promised XML/JSON: an unimplemented API.
        None if message.contains("UnexpectedToken") || message.contains('<') => {
            ErrorClass::Unsupported
        }
        None => ErrorClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(
            classify(Some("InvalidVpcID.NotFound"), ""),
            ErrorClass::NotFound
        );
        assert_eq!(
            classify(Some("DependencyViolation"), ""),
            ErrorClass::DependencyViolation
        );
        assert_eq!(
            classify(Some("RouteAlreadyExists"), ""),
            ErrorClass::AlreadyExists
        );
        assert_eq!(
            classify(None, "UnexpectedToken('<')"),
            ErrorClass::Unsupported
        );
        assert_eq!(
            classify(Some("UnauthorizedOperation"), ""),
            ErrorClass::Other
        );
        assert_eq!(
            classify(Some("RequestLimitExceeded"), ""),
            ErrorClass::Throttled
        );
        assert_eq!(classify(Some("Throttling"), ""), ErrorClass::Throttled);
        assert_eq!(
            classify(Some("InternalServerException"), ""),
            ErrorClass::Transient
        );
        assert!(ErrorClass::Throttled.is_transient() && !ErrorClass::NotFound.is_transient());
    }
}
