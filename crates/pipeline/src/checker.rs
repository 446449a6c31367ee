//! The checker: looks at a wave's jobs with `DescribeJobs` when a delayed check comes due.
//!
//! Its queue carries [`Message::Check`], work forwarded by the other Lambdas
//! ([`Message::Resume`]) and DRS "Source Server Launch Result" events from EventBridge. An event
//! calls no DRS API: it goes to the engine as a hint (`engine::hint`), which records the
//! server as reported and, once every server of a job has reported, pulls the wave's next
//! check in to a second later — one `DescribeJobs` for the whole burst of events.

use engine::{Event, Execution, Observation, Token, Wake, WaveIndex};
use tracing::{Instrument, info, warn};

use crate::deps::Deps;
use crate::error::HandlerError;
use crate::executor::{Executor, Stop};
use crate::launch_event::{self, EventBody};
use crate::message::{self, Message};
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
    let message = message::decode(body).map_err(|e| Stop::Reject(e.to_string()))?;
    match message {
        Message::Check {
            execution_id,
            wave,
            attempt,
            token,
        } => {
            let executor = executor.for_execution(&execution_id);
            let Some((state, version)) = executor.load(&execution_id).await? else {
                return Ok(());
            };
            if is_from_an_unsaved_decision(&state, wave, attempt, token) {
                // Delayed messages are sent before the save that makes their token live; this
                // one overtook its save (or the save failed and will be retried). Acknowledging
                // it as stale would leave the chain with no message: let SQS deliver it again.
                return Err(Stop::Fail(HandlerError::Transient {
                    context: executor.context(Some(wave)),
                    message: format!(
                        "check token {} is newer than the saved state's: its save is not visible yet",
                        token.0
                    ),
                }));
            }
            // Only the live check describes the jobs; a stale copy is decided with no news.
            let jobs = if is_live_check(&state, wave, attempt, token) {
                let ids = state.waves[wave].jobs_to_observe();
                match executor.describe(&state, wave, &ids).await {
                    Ok(jobs) => jobs,
                    // The live check must survive a failing DescribeJobs: failing the record
                    // would have SQS redeliver it a few times and then dead-letter it, and
                    // nothing would watch the wave any more. Deciding it with no news schedules
                    // the next check at the plan's interval; the wave's deadline still bounds
                    // how long this can go on.
                    Err(error) => {
                        warn!(%error, wave, "DescribeJobs failed: the wave is checked again at the next interval");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let event = Event::JobsObserved(Observation {
                wave,
                attempt,
                wake: Wake::Check { token },
                jobs,
            });
            executor.drive(state, version, event).await
        }
        Message::Resume {
            execution_id,
            wave,
            attempt,
        } => {
            executor
                .feed(&execution_id, Event::Resume { wave, attempt })
                .await
        }
        other => Err(Stop::Reject(Role::Checker.refusal(&other))),
    }
}

/// Whether `token` was handed out after the state we loaded was saved: a decision issued it,
/// sent the message, and has not saved yet (or failed to). That decision may also have begun
/// the attempt the message names (a wave starting and launching at once), hence the next
/// attempt too.
fn is_from_an_unsaved_decision(
    state: &Execution,
    wave: WaveIndex,
    attempt: engine::Attempt,
    token: Token,
) -> bool {
    !state.is_terminal()
        && state.waves.get(wave).is_some_and(|w| {
            (attempt == w.attempt || attempt == w.attempt.saturating_add(1))
                && token.0 > w.check.issued
        })
}

/// Whether `token` is the live check of the wave in progress.
fn is_live_check(
    state: &Execution,
    wave: WaveIndex,
    attempt: engine::Attempt,
    token: Token,
) -> bool {
    !state.is_terminal()
        && state.current_wave == wave
        && state.waves.get(wave).is_some_and(|w| {
            w.attempt == attempt && w.check.pending.is_some_and(|p| p.token == token)
        })
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
