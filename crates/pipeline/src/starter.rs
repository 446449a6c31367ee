//! The starter: starts executions, resolves waves' servers, starts their DRS jobs.
//!
//! Its queue carries execution requests ([`Message::StartExecution`]), start retries and
//! work forwarded by the other Lambdas ([`Message::Resume`]), and triggers published to the SNS
//! trigger topic ([`crate::trigger`]).

use engine::{Event, ExecutionId, ExecutionRequest, Mode};
use plan::Plan;
use tracing::{Instrument, info};

use crate::deps::Deps;
use crate::error::HandlerError;
use crate::executor::{Decided, Executor, Stop};
use crate::message::{self, Message, PlanSource, RECOVERY_CONFIRMATION};
use crate::role::Role;
use crate::trigger;

/// Handles one message of the start queue. `Ok` means acknowledge it (done, a duplicate, or
/// sent to the dead-letter queue with its reason); `Err` means fail the record.
pub async fn handle_record(deps: &Deps, body: &str, message_id: &str) -> Result<(), HandlerError> {
    let executor = Executor::new(deps, Role::Starter, message_id);
    let outcome = handle(&executor, body, message_id)
        .instrument(executor.span())
        .await;
    executor.conclude(body, outcome).await
}

async fn handle(executor: &Executor<'_>, body: &str, message_id: &str) -> Result<(), Stop> {
    let message = match message::decode(body) {
        Ok(message) => message,
        // Not a pipeline message: it may be a trigger published to the SNS trigger topic.
        Err(not_a_message) if !message::has_envelope(body) => trigger::parse(body)
            .map_err(|not_a_trigger| Stop::Reject(format!("{not_a_message}; {not_a_trigger}")))?
            .into_message(),
        Err(error) => return Err(Stop::Reject(error.to_string())),
    };
    match message {
        Message::StartExecution {
            execution_id,
            plan,
            mode,
            confirm,
            requested_by,
        } => {
            let request = StartRequest {
                execution_id: execution_id.unwrap_or_else(|| execution_id_for_message(message_id)),
                plan,
                mode,
                confirm,
                requested_by,
            };
            start_execution(executor, request).await
        }
        Message::RetryStart {
            execution_id,
            wave,
            attempt,
            token,
        } => {
            let event = Event::RetryDue {
                wave,
                attempt,
                token,
            };
            executor.feed(&execution_id, event).await
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
        other => Err(Stop::Reject(Role::Starter.refusal(&other))),
    }
}

/// The execution ID of a request that names none: the same for every delivery of the
/// message, so a redelivered request starts nothing twice.
pub fn execution_id_for_message(message_id: &str) -> ExecutionId {
    ExecutionId::new(format!("exec-{message_id}"))
}

struct StartRequest {
    execution_id: ExecutionId,
    plan: PlanSource,
    mode: Mode,
    confirm: Option<String>,
    requested_by: String,
}

async fn start_execution(executor: &Executor<'_>, request: StartRequest) -> Result<(), Stop> {
    let deps = executor.deps;
    let executor = executor.for_execution(&request.execution_id);
    if request.mode == Mode::Recovery && request.confirm.as_deref() != Some(RECOVERY_CONFIRMATION) {
        return Err(Stop::Reject(format!(
            "execution {}: a recovery (not a drill) must carry \"confirm\": \"{RECOVERY_CONFIRMATION}\"; \
             got {}",
            request.execution_id,
            request
                .confirm
                .as_deref()
                .map_or_else(|| "no confirmation".to_owned(), |c| format!("{c:?}"))
        )));
    }
    let plan = plan_of(&executor, &request.plan).await?;
    if let Err(diagnostics) = plan::validate(&plan) {
        return Err(Stop::Reject(format!(
            "execution {}: plan `{}` is invalid:\n{diagnostics}",
            request.execution_id, plan.name
        )));
    }
    let engine_request = ExecutionRequest {
        execution_id: request.execution_id.clone(),
        plan,
        mode: request.mode,
        limits: deps.config.limits,
        requested_by: request.requested_by,
    };
    let (state, commands) = engine::start(engine_request.clone(), deps.clock.now())
        .map_err(|e| Stop::Reject(e.to_string()))?;
    executor.send_delayed(&state, &commands).await?;
    let created = deps.executions.create(&state).await.map_err(|e| {
        HandlerError::from_port(executor.context(None), "creating the execution", e)
    })?;
    if created {
        info!(
            plan = %state.plan.name,
            mode = ?state.mode,
            requested_by = %state.requested_by,
            "execution started"
        );
        // A new execution is stored at version 1.
        let decided = Decided {
            state,
            version: 1,
            commands,
        };
        return executor.follow(decided).await;
    }
    // Delivered before: the engine tells a duplicate from a reused ID and re-issues what is
    // in flight.
    let Some((existing, version)) = executor.load(&request.execution_id).await? else {
        return Err(Stop::Fail(HandlerError::Transient {
            context: executor.context(None),
            message: "the execution exists but could not be loaded".to_owned(),
        }));
    };
    info!("execution exists already: handled as a redelivered request");
    let event = Event::ExecutionRequested(as_redelivery(engine_request, &request.plan, &existing));
    executor.drive(existing, version, event).await
}

/// The request as its first delivery made it: a stored plan may have been edited since, and
/// the deployment's limits changed; neither makes a redelivery a different request.
fn as_redelivery(
    mut request: ExecutionRequest,
    source: &PlanSource,
    existing: &engine::Execution,
) -> ExecutionRequest {
    if let PlanSource::Stored { plan_name } = source {
        if existing.plan.name == *plan_name {
            request.plan = existing.plan.clone();
        }
    }
    request.limits = existing.limits;
    request
}

async fn plan_of(executor: &Executor<'_>, source: &PlanSource) -> Result<Plan, Stop> {
    match source {
        PlanSource::Inline { plan } => Ok(plan.clone()),
        PlanSource::Stored { plan_name } => {
            let stored = executor.deps.plans.get(plan_name).await.map_err(|e| {
                HandlerError::from_port(executor.context(None), "reading the plan", e)
            })?;
            stored.ok_or_else(|| Stop::Reject(format!("plan `{plan_name}` is not stored")))
        }
    }
}
