//! The advancer: moves an execution on once a wave's launch ended, runs the pre- and
//! post-actions, takes approvals and cancels, and ends the execution.
//!
//! Its queue carries [`crate::message::Message::Advance`], `Approve`, `Cancel` and work handed
//! over by the other Lambdas (`Resume`): each is one engine input ([`Message::input`]).

use tracing::Instrument;

use crate::deps::Deps;
use crate::error::HandlerError;
use crate::executor::{Executor, Stop};
use crate::message::{Message, MessageInput};
use crate::role::Role;

/// Handles one message of the advance queue. `Ok` means acknowledge it (done, a duplicate, or
/// sent to the dead-letter queue with its reason); `Err` means fail the record.
pub async fn handle_record(deps: &Deps, body: &str, message_id: &str) -> Result<(), HandlerError> {
    let executor = Executor::new(deps, Role::Advancer, message_id);
    let outcome = handle(&executor, body).instrument(executor.span()).await;
    executor.conclude(body, outcome).await
}

async fn handle(executor: &Executor<'_>, body: &str) -> Result<(), Stop> {
    let message: Message = executor.accept(body)?;
    match message.input() {
        MessageInput::Event(execution_id, event) => executor.feed(&execution_id, event).await,
        // Refused by `accept` already; kept exhaustive rather than silent.
        MessageInput::Start(message) => Err(Stop::Reject(Role::Advancer.refusal(&message))),
        MessageInput::Check { .. } => Err(Stop::Reject(
            "a `check` message belongs on the check queue, not on the advance queue".to_owned(),
        )),
    }
}
