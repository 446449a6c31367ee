//! SQS batches: each record handled on its own, failures reported per record
//! (`ReportBatchItemFailures`), so one bad record never fails the others.

use tracing::{error, warn};

use crate::deps::Deps;
use crate::role::Role;
use crate::{advancer, checker, starter};

/// One SQS record, as the Lambda event (or the local runner's poller) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The SQS message ID (`messageId`).
    pub message_id: String,
    /// The body.
    pub body: String,
    /// `attributes.ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
}

impl Record {
    /// A record delivered for the first time.
    pub fn new(message_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
            body: body.into(),
            receive_count: 1,
        }
    }
}

/// Handles one record with `role`'s handler.
pub async fn handle_record(
    deps: &Deps,
    role: Role,
    record: &Record,
) -> Result<(), crate::HandlerError> {
    match role {
        Role::Starter => starter::handle_record(deps, &record.body, &record.message_id).await,
        Role::Checker => checker::handle_record(deps, &record.body, &record.message_id).await,
        Role::Advancer => advancer::handle_record(deps, &record.body, &record.message_id).await,
    }
}

/// Handles every record of a batch, in order, each on its own; returns the message IDs of
/// the records that failed (for `batchItemFailures`): SQS delivers them again.
pub async fn process_batch(deps: &Deps, role: Role, records: &[Record]) -> Vec<String> {
    let mut failed = Vec::new();
    for record in records {
        if let Err(failure) = handle_record(deps, role, record).await {
            let queue = role.queue().as_str();
            if failure.is_transient() {
                warn!(
                    queue,
                    message_id = %record.message_id,
                    receive_count = record.receive_count,
                    %failure,
                    "record failed; SQS will deliver it again"
                );
            } else {
                error!(
                    queue,
                    message_id = %record.message_id,
                    receive_count = record.receive_count,
                    %failure,
                    "record failed and needs attention; SQS will deliver it again, then move it to the dead-letter queue"
                );
            }
            failed.push(record.message_id.clone());
        }
    }
    failed
}
