//! What every function does around its handler: JSON logs, its configuration read and its
//! adapters built once per Lambda instance — or the reason why not reported to Lambda as an
//! init error —, then events served through the Lambda Runtime API until Lambda stops it.

use std::fmt;
use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use pipeline::ports::Scope;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{error, field, info};

use crate::environment::{EnvironmentError, Function};
use crate::init_error::{self, ReportError};
use crate::startup::StartupError;
use crate::telemetry;

/// The error type Lambda shows for a missing or invalid variable.
pub const INVALID_CONFIGURATION: &str = "InvalidConfiguration";
/// The error type Lambda shows for adapters that could not be built.
pub const STARTUP_FAILED: &str = "StartupFailed";

/// A function's handler: built once per Lambda instance, then given each event.
pub trait Handler: Send + Sync + 'static {
    /// What Lambda invokes it with.
    type Event: DeserializeOwned + Send + 'static;
    /// Its answer.
    type Response: Serialize + Send + 'static;
    /// Why an invocation fails as a whole.
    type Error: Into<Diagnostic> + fmt::Debug + Send + 'static;

    /// Serves one event.
    fn invoke(
        &self,
        event: Self::Event,
    ) -> impl Future<Output = Result<Self::Response, Self::Error>> + Send;

    /// The orchestrator's own account and region, logged once ready, for the functions that
    /// have one.
    fn own_scope(&self) -> Option<&Scope> {
        None
    }
}

/// The `main` of every function: reads its configuration with `read`, builds its handler
/// from it with `build`, then serves events. Returns only when init or the Runtime API fails.
pub async fn run<C, H, B>(
    function: Function,
    read: impl FnOnce() -> Result<C, EnvironmentError>,
    build: impl FnOnce(C) -> B,
) -> ExitCode
where
    H: Handler,
    B: Future<Output = Result<H, StartupError>>,
{
    let started = Instant::now();
    telemetry::init();
    let handler = match init(read, build).await {
        Ok(handler) => Arc::new(handler),
        Err(diagnostic) => {
            report_init_failure(function, &diagnostic).await;
            return ExitCode::FAILURE;
        }
    };
    info!(
        function = function.as_str(),
        init_ms = started.elapsed().as_millis(),
        own_scope = handler.own_scope().map(field::display),
        "ready"
    );
    let service = service_fn(move |event: LambdaEvent<H::Event>| {
        let handler = Arc::clone(&handler);
        async move { handler.invoke(event.payload).await }
    });
    match lambda_runtime::run(service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            error!(function = function.as_str(), error = %failure, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// The configuration, then the handler; a failure as Lambda reports it.
async fn init<C, H, B>(
    read: impl FnOnce() -> Result<C, EnvironmentError>,
    build: impl FnOnce(C) -> B,
) -> Result<H, Diagnostic>
where
    B: Future<Output = Result<H, StartupError>>,
{
    let configuration = read().map_err(|e| Diagnostic {
        error_type: INVALID_CONFIGURATION.to_owned(),
        error_message: e.to_string(),
    })?;
    build(configuration).await.map_err(|e| Diagnostic {
        error_type: STARTUP_FAILED.to_owned(),
        error_message: e.to_string(),
    })
}

/// Logs a failed init and reports it to the Runtime API, so the invocation that started this
/// instance fails with the reason rather than as a bare crash.
async fn report_init_failure(function: Function, diagnostic: &Diagnostic) {
    error!(
        function = function.as_str(),
        error_type = %diagnostic.error_type,
        error = %diagnostic.error_message,
        "init failed"
    );
    match init_error::report(diagnostic).await {
        Ok(()) => {}
        // Run by hand: say it plainly too, the JSON log escapes the line breaks.
        Err(ReportError::NoRuntimeApi) => {
            eprintln!("{function}: {}", diagnostic.error_message);
        }
        Err(report) => error!(error = %report, "init error not reported"),
    }
}
