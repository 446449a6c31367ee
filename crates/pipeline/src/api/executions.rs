//! Executions under their plan's path: start (drills apart from recoveries), get, list; the
//! controls (cancel, approve, reject) are [`super::controls`].
//!
//! The API never changes an execution itself: it checks the request against the stored state
//! (so the caller hears at once of an unknown execution or a finished one) and sends the
//! pipeline's message; the starter or the advancer acts on it, and the engine decides again
//! with the state it then finds. Who asks is always the request's IAM caller.
//!
//! Every route names the plan, and an execution of another plan is "not found" under it: a
//! policy granting `execute-api:Invoke` on `/plans/billing/*` reaches billing's executions
//! only.

use engine::{Execution, ExecutionId, Mode, PlanSource, RECOVERY_CONFIRMATION};
use serde::Deserialize;
use serde_json::json;

use super::errors::ApiError;
use super::plans::not_stored;
use super::{ApiDeps, ApiRequest, ApiResponse, body, detail};
use crate::message::{Message, QueueName};

/// The longest execution ID accepted from a caller.
pub const MAX_EXECUTION_ID_CHARS: usize = 100;
/// How many executions `GET /plans/{name}/executions` returns without `limit`.
pub const DEFAULT_LIST_LIMIT: usize = 50;
/// The most it returns.
pub const MAX_LIST_LIMIT: usize = 100;
/// The reason recorded for a cancel whose body gives none.
pub const DEFAULT_CANCEL_REASON: &str = "cancelled through the HTTP API";

/// The body of `POST /plans/{name}/drills` (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillBody {
    execution_id: Option<String>,
}

/// The body of `POST /plans/{name}/recoveries`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoveryBody {
    confirm: Option<String>,
    execution_id: Option<String>,
}

/// `POST /plans/{name}/drills`: sends `start_execution` (drill) to the start queue.
pub async fn start_drill(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let drill: DrillBody = body::json(request)?;
    start(
        deps,
        plan_name,
        Mode::Drill,
        None,
        drill.execution_id,
        request,
    )
    .await
}

/// `POST /plans/{name}/recoveries`: sends `start_execution` (recovery) to the start queue,
/// once the body confirms it (`"confirm"`: [`engine::RECOVERY_CONFIRMATION`]).
pub async fn start_recovery(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let recovery: RecoveryBody = body::json(request)?;
    start(
        deps,
        plan_name,
        Mode::Recovery,
        recovery.confirm,
        recovery.execution_id,
        request,
    )
    .await
}

async fn start(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    mode: Mode,
    confirm: Option<String>,
    execution_id: Option<String>,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    if let Err(missing) = mode.confirmed(confirm.as_deref()) {
        return Err(ApiError::confirmation_required(format!(
            "{missing}: repeat the request with the body {{\"confirm\": \"{RECOVERY_CONFIRMATION}\"}}"
        )));
    }
    let execution_id = match execution_id {
        Some(id) => checked_execution_id(&id)?,
        None => execution_id_for_request(&request.request_id)?,
    };
    let source = PlanSource::Stored {
        plan_name: plan_name.to_owned(),
    };
    // A caller-chosen ID makes retries idempotent; the same ID for another request is not.
    // Checked before the plan: a retry of a request already taken answers as the first did,
    // even if the plan was deleted since (the execution holds its own copy).
    if let Some(existing) = load(deps, &execution_id).await? {
        if !existing.is_same_request(mode, &source) {
            // Another plan's execution is not named: the caller may not be allowed to see it.
            let taken_by = if existing.plan.name == plan_name {
                format!("a {} of this plan", existing.mode)
            } else {
                "another plan".to_owned()
            };
            return Err(ApiError::conflict(format!(
                "execution ID `{execution_id}` is taken already, by {taken_by}: choose another \
                 execution_id"
            )));
        }
        // A retry of a request the starter has taken: nothing more to send.
        return Ok(ApiResponse::json(
            202,
            json!({
                "execution_id": execution_id,
                "plan": plan_name,
                "mode": mode,
                "status": existing.status,
            }),
        ));
    }
    let plan = deps
        .plans
        .get(plan_name)
        .await
        .map_err(|e| ApiError::from_port(&format!("reading plan `{plan_name}`"), e))?
        .ok_or_else(|| not_stored(plan_name))?;
    // The starter refuses it too (atomically, with the creation); answering here tells the
    // caller at once.
    if engine::runs_one_at_a_time(&plan) {
        let holder =
            deps.executions.plan_holder(plan_name).await.map_err(|e| {
                ApiError::from_port(&format!("reading plan `{plan_name}`'s hold"), e)
            })?;
        if let Some(holder) = holder {
            if let Some(busy) = load(deps, &holder).await?.and_then(|l| l.plan_busy()) {
                return Err(ApiError::conflict(busy.to_string()));
            }
        }
    }
    let message = Message::StartExecution {
        execution_id: Some(execution_id.clone()),
        plan: source,
        mode,
        confirm,
        requested_by: request.caller.clone(),
    };
    send(deps, QueueName::Start, &message, "requesting the execution").await?;
    Ok(ApiResponse::json(
        202,
        json!({
            "execution_id": execution_id,
            "plan": plan_name,
            "mode": mode,
            "status": "REQUESTED",
        }),
    ))
}

/// `GET /plans/{name}/executions/{id}`: the execution, per wave and per server.
pub async fn get(deps: &ApiDeps<'_>, plan_name: &str, id: &str) -> Result<ApiResponse, ApiError> {
    let execution = found(deps, plan_name, id).await?;
    let detail = serde_json::to_value(detail::ExecutionDetail::of(&execution)).map_err(|e| {
        ApiError::internal(format!(
            "execution `{id}`: the detail does not serialise: {e}"
        ))
    })?;
    Ok(ApiResponse::json(200, detail))
}

/// `GET /plans/{name}/executions[?limit=N]`: the plan's executions, newest first, and
/// `more`: whether older ones were left out. 404 only when the plan is not stored and has no
/// executions (they outlive a deleted plan).
pub async fn list_by_plan(
    deps: &ApiDeps<'_>,
    name: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let limit = match request.query_param("limit") {
        None => DEFAULT_LIST_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=MAX_LIST_LIMIT).contains(&limit) => limit,
            _ => {
                return Err(ApiError::invalid_request(format!(
                    "`limit` is {text:?}; give a whole number from 1 to {MAX_LIST_LIMIT}"
                )));
            }
        },
    };
    // One more than asked, so that the answer says whether older executions were left out
    // (`more`) instead of silently stopping at `limit`.
    let mut summaries = deps
        .executions
        .list_by_plan(name, limit + 1)
        .await
        .map_err(|e| ApiError::from_port(&format!("listing the executions of `{name}`"), e))?;
    let more = summaries.len() > limit;
    summaries.truncate(limit);
    if summaries.is_empty() {
        let stored = deps
            .plans
            .get(name)
            .await
            .map_err(|e| ApiError::from_port(&format!("reading plan `{name}`"), e))?;
        if stored.is_none() {
            return Err(not_stored(name));
        }
    }
    let executions: Vec<serde_json::Value> = summaries
        .into_iter()
        .map(|s| {
            json!({
                "execution_id": s.execution_id,
                "mode": s.mode,
                "status": s.status,
                "requested_by": s.requested_by,
                "started_at": s.requested_at,
                "finished_at": s.ended_at,
            })
        })
        .collect();
    Ok(ApiResponse::json(
        200,
        json!({ "executions": executions, "more": more }),
    ))
}

pub(super) async fn load(
    deps: &ApiDeps<'_>,
    id: &ExecutionId,
) -> Result<Option<Execution>, ApiError> {
    deps.executions
        .load(id)
        .await
        .map(|found| found.map(|(execution, _)| execution))
        .map_err(|e| ApiError::from_port(&format!("reading execution `{id}`"), e))
}

/// Execution `id` of plan `plan_name`. One of another plan is not found either, with the
/// same answer, so that the plan in the path (what IAM authorised) is the plan acted on.
pub(super) async fn found(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    id: &str,
) -> Result<Execution, ApiError> {
    load(deps, &ExecutionId::new(id))
        .await?
        .filter(|execution| execution.plan.name == plan_name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "plan `{plan_name}` has no execution `{id}` (a start request is stored once \
                 the starter takes it, usually within seconds; GET /plans/{plan_name}/executions \
                 lists them)"
            ))
        })
}

pub(super) async fn send(
    deps: &ApiDeps<'_>,
    queue: QueueName,
    message: &Message,
    doing: &str,
) -> Result<(), ApiError> {
    deps.queues
        .send(queue, message, 0)
        .await
        .map_err(|e| ApiError::from_port(doing, e))
}

/// Whether `c` may appear in an execution ID: it names DynamoDB items and DRS tags and is
/// the first part of `{execution}/{wave}/{attempt}/{chunk}` request IDs, so no `/`.
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A caller's execution ID, checked. It must start with a letter or digit: an ID of dots
/// (`.`, `..`) would be a path segment that URL normalisation (in clients, SigV4 and API
/// Gateway) removes, so `/plans/{name}/executions/{id}` could never reach it.
fn checked_execution_id(id: &str) -> Result<ExecutionId, ApiError> {
    let length = id.chars().count();
    if length == 0
        || length > MAX_EXECUTION_ID_CHARS
        || !id.chars().all(id_char)
        || !id.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(ApiError::invalid_request(format!(
            "`execution_id` {id:?} is not valid: use 1 to {MAX_EXECUTION_ID_CHARS} of \
             A-Z a-z 0-9 - _ ., starting with a letter or digit"
        )));
    }
    Ok(ExecutionId::new(id))
}

/// The execution ID of a request whose body names none: `exec-api-<request ID>`, with any
/// character an ID may not hold written as `_XX` (its hex code), so distinct request IDs give
/// distinct execution IDs.
pub fn execution_id_for_request(request_id: &str) -> Result<ExecutionId, ApiError> {
    if request_id.is_empty() {
        return Err(ApiError::internal(
            "the request has no request ID to derive the execution ID from",
        ));
    }
    let mut id = String::from("exec-api-");
    for c in request_id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            id.push(c);
        } else {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                id.push_str(&format!("_{byte:02x}"));
            }
        }
    }
    Ok(ExecutionId::new(id))
}
