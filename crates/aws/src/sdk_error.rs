//! Classifies AWS SDK errors into [`PortError`]s: what a retry can fix and what it cannot.

use std::error::Error;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use pipeline::ports::PortError;

/// Error codes a later attempt can succeed after, whatever the HTTP status.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalServerError",
    "InternalServerException",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ExpiredToken",
    "ExpiredTokenException",
    "IDPCommunicationError",
    "KMSThrottlingException",
];

/// The error code of a service error (`None` for network and timeout failures).
pub(crate) fn code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    match error {
        SdkError::ServiceError(context) => context.err().code(),
        _ => None,
    }
}

/// `code: message` of a service error, or the failure's description.
pub(crate) fn describe<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let err = context.err();
            let code = err.code().unwrap_or("unknown error");
            match err.message() {
                Some(message) if !message.is_empty() => format!("{code}: {message}"),
                _ => format!("{code} (HTTP {})", context.raw().status().as_u16()),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".to_owned(),
        other => {
            // The SDK's Display is terse ("dispatch failure"); the source says why.
            let mut text = other.to_string();
            let mut source = other.source();
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// Whether retrying the call later can succeed.
pub(crate) fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::ConstructionFailure(_) => false,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            status >= 500
                || status == 429
                || context
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => true,
    }
}

/// The [`PortError`] for a failed `operation` (e.g. "DynamoDB PutItem on table x").
pub(crate) fn port_error<E>(operation: &str, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let message = format!("{operation}: {}", describe(&error));
    if is_transient(&error) {
        PortError::Transient(message)
    } else {
        PortError::Permanent(message)
    }
}
