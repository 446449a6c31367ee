//! The advancer: moves an execution on once a wave's launch ended, runs the pre- and
//! post-actions, takes approvals and cancels, and ends the execution.
//!
//! Its queue carries [`Message::Advance`], [`Message::Approve`], [`Message::Cancel`] and work
//! forwarded by the other Lambdas ([`Message::Resume`]).

use engine::Event;
use tracing::Instrument;

use crate::deps::Deps;
use crate::error::HandlerError;
use crate::executor::{Executor, Stop};
use crate::message::{self, Message};
use crate::role::Role;

/// Handles one message of the advance queue. `Ok` means acknowledge it (done, a duplicate, or
/// sent to the dead-letter queue with its reason); `Err` means fail the record.
pub async fn handle_record(deps: &Deps, body: &str, message_id: &str) -> Result<(), HandlerError> {
    let executor = Executor::new(deps, Role::Advancer, message_id);
    let outcome = handle(&executor, body).instrument(executor.span()).await;
    executor.conclude(body, outcome).await
}

async fn handle(executor: &Executor<'_>, body: &str) -> Result<(), Stop> {
    let message = message::decode(body).map_err(|e| Stop::Reject(e.to_string()))?;
    let (execution_id, event) = match message {
        Message::Advance {
            execution_id,
            wave,
            attempt,
        } => (execution_id, Event::WaveAdvance { wave, attempt }),
        Message::Approve {
            execution_id,
            wave,
            by,
        } => (execution_id, Event::ApprovalGiven { wave, by }),
        Message::Cancel {
            execution_id,
            by,
            reason,
        } => (execution_id, Event::CancelRequested { by, reason }),
        Message::Resume {
            execution_id,
            wave,
            attempt,
        } => (execution_id, Event::Resume { wave, attempt }),
        other => return Err(Stop::Reject(Role::Advancer.refusal(&other))),
    };
    executor.feed(&execution_id, event).await
}
