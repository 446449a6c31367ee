//! The checker: looks at a wave's jobs with `DescribeJobs` when a delayed check comes due.
//!
//! Its queue carries [`crate::message::Message::Check`], work handed over by the other
//! Lambdas (`Resume`) and DRS "Source Server Launch Result" events from EventBridge. An event
//! calls no DRS API: it goes to the engine as a hint (`engine::hint`), which records the
//! server as reported and, once every server of a job has reported, pulls the wave's next
//! check in to a second later — one `DescribeJobs` for the whole burst of events.

use engine::check::Arrival;
use engine::{Attempt, Event, ExecutionId, Observation, Token, WaveIndex};
use tracing::{Instrument, info, warn};

use crate::deps::Deps;
use crate::error::HandlerError;
use crate::executor::{Executor, Stop};
use crate::launch_event::{self, EventBody};
use crate::message::MessageInput;
use crate::role::Role;

/// Handles one message of the check queue. `Ok` means acknowledge it (done, a duplicate, an
/// event about a job that is not ours, or sent to the dead-letter queue with its reason);
/// `Err` means fail the record.
pub async fn handle_record(deps: &Deps, body: &str, message_id: &str) -> Result<(), HandlerError> {
    let executor = Executor::new(deps, Role::Checker, message_id);
    let outcome = handle(&executor, body).instrument(executor.span()).await;
    executor.conclude(body, outcome).await
}

async fn handle(executor: &Executor<'_>, body: &str) -> Result<(), Stop> {
    if launch_event::is_event(body) {
        return launch_result(executor, body).await;
    }
    match executor.accept(body)?.input() {
        MessageInput::Check {
            execution_id,
            wave,
            attempt,
            token,
        } => check(executor, &execution_id, wave, attempt, token).await,
        MessageInput::Event(execution_id, event) => executor.feed(&execution_id, event).await,
        MessageInput::Start(message) => Err(Stop::Reject(Role::Checker.refusal(&message))),
    }
}

/// A check message came due: the engine says whether it is live (describe the jobs), stale
/// (decide it with no news) or ahead of its save (deliver it again later).
async fn check(
    executor: &Executor<'_>,
    execution_id: &ExecutionId,
    wave: WaveIndex,
    attempt: Attempt,
    token: Token,
) -> Result<(), Stop> {
    let executor = executor.for_execution(execution_id);
    let Some((state, version)) = executor.load(execution_id).await? else {
        return Ok(());
    };
    let described = match state.check_arrival(wave, attempt, token) {
        Arrival::AheadOfSave => {
            return Err(Stop::Fail(HandlerError::Transient {
                context: executor.context(Some(wave)),
                message: format!(
                    "check token {} is newer than the saved state's: its save is not visible yet",
                    token.0
                ),
            }));
        }
        Arrival::Stale => None,
        Arrival::Live { jobs } => {
            let described = executor.describe(&state, wave, &jobs).await;
            if let Err(error) = &described {
                warn!(%error, wave, "DescribeJobs failed: the wave is checked again at the next interval");
            }
            Some(described)
        }
    };
    let observation = Observation::described(wave, attempt, token, described);
    executor
        .drive(state, version, Event::Check(observation))
        .await
}

async fn launch_result(executor: &Executor<'_>, body: &str) -> Result<(), Stop> {
    let event = match launch_event::parse(body).map_err(|e| Stop::Reject(e.to_string()))? {
        EventBody::Launch(event) => event,
        EventBody::Ignored(why) => {
            info!(%why, "event ignored");
            return Ok(());
        }
    };
    let owner = executor
        .deps
        .ledger
        .owner(&event.job_id)
        .await
        .map_err(|e| {
            HandlerError::from_port(executor.context(None), "looking up the job's owner", e)
        })?;
    let Some(owner) = owner else {
        // Other DRS users share the account: their jobs are none of our business.
        info!(job_id = %event.job_id, server_id = %event.server_id, "launch result for a job not started by this pipeline: ignored");
        return Ok(());
    };
    info!(
        job_id = %event.job_id,
        server_id = %event.server_id,
        wave = owner.wave,
        result = ?event.result,
        "launch result"
    );
    executor
        .feed(&owner.execution_id, Event::LaunchResult(event))
        .await
}
