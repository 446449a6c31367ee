//! The queue functions (starter, checker, advancer): SQS batches through their role's
//! handler, run by [`runner::run`].

use std::process::ExitCode;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use pipeline::ports::Scope;
use pipeline::{Deps, Role};
use tracing::info;

use crate::environment::{self, Function};
use crate::runner::{self, Handler};
use crate::sqs_event::{self, SqsEventError};
use crate::startup;

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

/// The function consuming `role`'s queue.
#[derive(Debug)]
pub struct QueueFunction {
    deps: Deps,
    role: Role,
}

impl QueueFunction {
    /// `role`'s function on `deps`.
    pub fn new(deps: Deps, role: Role) -> Self {
        Self { deps, role }
    }
}

impl Handler for QueueFunction {
    type Event = SqsEvent;
    type Response = SqsBatchResponse;
    type Error = SqsEventError;

    async fn invoke(&self, event: SqsEvent) -> Result<SqsBatchResponse, SqsEventError> {
        invoke(&self.deps, self.role, event).await
    }

    fn own_scope(&self) -> Option<&Scope> {
        Some(&self.deps.config.own_scope)
    }
}

/// The `main` of each queue function.
pub async fn run(role: Role) -> ExitCode {
    runner::run(
        Function::of(role),
        || environment::queue_function(role, environment::process),
        |wiring| async move {
            let deps = startup::build(&wiring).await?;
            Ok(QueueFunction::new(deps, role))
        },
    )
    .await
}
