//! Telling Lambda that init failed (`POST /2018-06-01/runtime/init/error`), so the reason
//! shows in the invocation's error and in CloudWatch rather than as a bare crash.
//!
//! `lambda_runtime` reports init errors only around SnapStart, and panics when its own
//! variables are missing; the functions check their whole environment first and report
//! here instead.

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};

use crate::environment::AWS_LAMBDA_RUNTIME_API;

/// The Runtime API path of init errors.
pub const PATH: &str = "/2018-06-01/runtime/init/error";
/// The header carrying the error type.
pub const ERROR_TYPE_HEADER: &str = "Lambda-Runtime-Function-Error-Type";
/// The error type of init failures, as Lambda names them.
pub const INIT_ERROR_TYPE: &str = "Runtime.InitError";

/// Why an init error could not be reported.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not running under a Runtime API.
    #[error("{AWS_LAMBDA_RUNTIME_API} is not set: not running in Lambda (nothing to report to)")]
    NoRuntimeApi,
    /// The request failed.
    #[error("reporting the init error to the Lambda Runtime API at {address}: {message}")]
    Request {
        /// `AWS_LAMBDA_RUNTIME_API`.
        address: String,
        /// What failed.
        message: String,
    },
}

/// Reports `diagnostic` as the init error of this Lambda instance. Lambda then fails the
/// invocation that started it with this error (and restarts the instance for the next one).
pub async fn report(diagnostic: &Diagnostic) -> Result<(), ReportError> {
    let address = std::env::var(AWS_LAMBDA_RUNTIME_API)
        .ok()
        .filter(|a| !a.trim().is_empty())
        .ok_or(ReportError::NoRuntimeApi)?;
    let failure = |message: String| ReportError::Request {
        address: address.clone(),
        message,
    };
    let base = format!("http://{address}")
        .parse()
        .map_err(|e| failure(format!("not a host:port: {e}")))?;
    let client = Client::builder()
        .with_endpoint(base)
        .build()
        .map_err(|e| failure(e.to_string()))?;
    let body = serde_json::to_string(diagnostic).map_err(|e| failure(e.to_string()))?;
    let request = build_request()
        .method("POST")
        .uri(PATH)
        .header(ERROR_TYPE_HEADER, INIT_ERROR_TYPE)
        .header("Content-Type", "application/json")
        .body(Body::from(body))
        .map_err(|e| failure(e.to_string()))?;
    let response = client
        .call(request)
        .await
        .map_err(|e| failure(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(failure(format!("the Runtime API answered {status}")))
    }
}
