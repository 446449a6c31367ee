//! One pipeline role as a Lambda function: init once (logs, environment, adapters), then
//! serve SQS batches through the Lambda Runtime API until Lambda stops the instance.

use std::process::ExitCode;
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use pipeline::{Deps, Role};
use tracing::{error, info};

use crate::environment::Environment;
use crate::init_error::{self, ReportError};
use crate::sqs_event::{self, SqsEventError};
use crate::{startup, telemetry};

/// Handles one SQS batch with `role`'s handler: every record on its own, the failed ones
/// reported for redelivery.
pub async fn invoke(
    deps: &Deps,
    role: Role,
    event: SqsEvent,
) -> Result<SqsBatchResponse, SqsEventError> {
    let records = sqs_event::records(&event)?;
    let failed = pipeline::process_batch(deps, role, &records).await;
    info!(
        function = role.as_str(),
        records = records.len(),
        failed = failed.len(),
        "batch handled"
    );
    Ok(sqs_event::batch_response(failed))
}

/// Reads the environment and builds the dependencies; the failure as Lambda reports it.
pub async fn init() -> Result<Deps, Diagnostic> {
    let environment = Environment::from_process().map_err(|e| Diagnostic {
        error_type: "InvalidConfiguration".to_owned(),
        error_message: e.to_string(),
    })?;
    startup::build(&environment).await.map_err(|e| Diagnostic {
        error_type: "StartupFailed".to_owned(),
        error_message: e.to_string(),
    })
}

/// The `main` of each function: init (reported to Lambda as an init error when it fails),
/// then the invocation loop. Returns only when init or the Runtime API fails.
pub async fn run(role: Role) -> ExitCode {
    let started = Instant::now();
    telemetry::init();
    let deps = match init().await {
        Ok(deps) => deps,
        Err(diagnostic) => {
            error!(
                function = role.as_str(),
                error_type = %diagnostic.error_type,
                error = %diagnostic.error_message,
                "init failed"
            );
            match init_error::report(&diagnostic).await {
                Ok(()) => {}
                // Run by hand: say it plainly too, the JSON log escapes the line breaks.
                Err(ReportError::NoRuntimeApi) => {
                    eprintln!("{}: {}", role.as_str(), diagnostic.error_message);
                }
                Err(report) => error!(error = %report, "init error not reported"),
            }
            return ExitCode::FAILURE;
        }
    };
    info!(
        function = role.as_str(),
        init_ms = started.elapsed().as_millis(),
        own_scope = %deps.config.own_scope,
        "ready"
    );
    let handler = service_fn(move |event: LambdaEvent<SqsEvent>| {
        let deps = deps.clone();
        async move { invoke(&deps, role, event.payload).await }
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            error!(function = role.as_str(), error = %failure, "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
