//! The starter: starts executions, resolves waves' servers, starts their DRS jobs.
//!
//! Its queue carries execution requests ([`Message::StartExecution`]), start retries and
//! work handed over by the other Lambdas (`Resume`), and triggers published to the SNS
//! trigger topic ([`crate::trigger`]).

use engine::{Event, ExecutionId, ExecutionRequest, Mode, RECOVERY_CONFIRMATION};
use plan::Plan;
use tracing::{Instrument, info};

use crate::deps::{Deps, InlinePlans};
use crate::error::HandlerError;
use crate::executor::{Executor, Stop};
use crate::message::{self, Message, MessageInput, PlanSource};
use crate::ports::Created;
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
        Ok(message) => executor.accepted(message)?,
        // Not a pipeline message: it may be a trigger published to the SNS trigger topic.
        Err(not_a_message) if !message::has_envelope(body) => trigger::parse(body)
            .map_err(|not_a_trigger| Stop::Reject(format!("{not_a_message}; {not_a_trigger}")))?
            .into_message(),
        Err(error) => return Err(Stop::Reject(error.to_string())),
    };
    match message.input() {
        MessageInput::Start(Message::StartExecution {
            execution_id,
            plan,
            mode,
            confirm,
            requested_by,
        }) => {
            let request = StartRequest {
                execution_id: execution_id.unwrap_or_else(|| execution_id_for_message(message_id)),
                plan,
                mode,
                confirm,
                requested_by,
            };
            start_execution(executor, request).await
        }
        MessageInput::Event(execution_id, event) => executor.feed(&execution_id, event).await,
        MessageInput::Start(message) => Err(Stop::Reject(Role::Starter.refusal(&message))),
        MessageInput::Check { .. } => Err(Stop::Reject(
            "a `check` message belongs on the check queue, not on the start queue".to_owned(),
        )),
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
    if let Err(missing) = request.mode.confirmed(request.confirm.as_deref()) {
        return Err(Stop::Reject(format!(
            "execution {}: {missing}: send \"confirm\": \"{RECOVERY_CONFIRMATION}\"",
            request.execution_id
        )));
    }
    let plan = plan_of(&executor, &request.plan).await?;
    let engine_request = ExecutionRequest {
        execution_id: request.execution_id.clone(),
        plan,
        mode: request.mode,
        limits: deps.config.limits,
        requested_by: request.requested_by,
    };
    // The engine validates the plan (every rule of the format) before anything starts.
    let decision =
        engine::start(engine_request, deps.clock.now()).map_err(|e| Stop::Reject(e.to_string()))?;
    let plan_name = decision.state.plan.name.clone();
    let mut created = executor.create(decision.clone()).await?;
    if let Created::PlanHeld { by } = &created {
        if let Some(reason) = live_holder(&executor, by).await? {
            return Err(Stop::Reject(reason));
        }
        // The hold was left by an execution that is over (its release was lost with a
        // crash): given back, the plan is free.
        deps.executions
            .release_plan(&plan_name, by)
            .await
            .map_err(|e| {
                HandlerError::from_port(executor.context(None), "giving back a stale plan hold", e)
            })?;
        info!(plan = %plan_name, stale_holder = %by, "stale plan hold given back");
        created = executor.create(decision).await?;
    }
    match created {
        Created::New => return Ok(()),
        Created::Exists => {}
        Created::PlanHeld { by } => {
            let reason = live_holder(&executor, &by)
                .await?
                .unwrap_or_else(|| format!("plan `{plan_name}` is held by execution `{by}`"));
            return Err(Stop::Reject(reason));
        }
    }
    // Delivered before (or the ID reused): the engine tells a duplicate from another
    // request, and re-issues what is in flight.
    let Some((existing, version)) = executor.load(&request.execution_id).await? else {
        return Err(Stop::Fail(HandlerError::Transient {
            context: executor.context(None),
            message: "the execution exists but could not be loaded".to_owned(),
        }));
    };
    info!("execution exists already: handled as a redelivered request");
    let event = Event::ExecutionRequested {
        mode: request.mode,
        plan: request.plan,
    };
    executor.drive(existing, version, event).await
}

/// Why a new execution cannot start while `holder` holds its plan; `None` when the hold is
/// stale (the holder is over, or gone).
async fn live_holder(
    executor: &Executor<'_>,
    holder: &ExecutionId,
) -> Result<Option<String>, Stop> {
    Ok(executor
        .load(holder)
        .await?
        .and_then(|(live, _)| live.plan_busy())
        .map(|busy| busy.to_string()))
}

async fn plan_of(executor: &Executor<'_>, source: &PlanSource) -> Result<Plan, Stop> {
    match source {
        PlanSource::Inline { plan } => match executor.deps.config.inline_plans {
            InlinePlans::Accepted => Ok(plan.clone()),
            InlinePlans::Refused => Err(Stop::Reject(format!(
                "the request carries plan `{}` whole: this stack runs stored plans only \
                 (store it with `drsctl plan apply` or `PUT /plans/{{name}}`, then start it by \
                 name)",
                plan.name
            ))),
        },
        PlanSource::Stored { plan_name } => {
            let stored = executor.deps.plans.get(plan_name).await.map_err(|e| {
                HandlerError::from_port(executor.context(None), "reading the plan", e)
            })?;
            stored.ok_or_else(|| Stop::Reject(format!("plan `{plan_name}` is not stored")))
        }
    }
}
