//! The controls of an execution under its plan's path: cancel, approve, reject.
//!
//! Each checks the request against the stored state with the engine's rules (who may approve
//! what and when) and sends the pipeline's message, with the request's IAM caller as who acts.

use engine::{ApprovalRefused, Execution};
use serde::Deserialize;
use serde_json::json;

use super::errors::ApiError;
use super::executions::{DEFAULT_CANCEL_REASON, found, send};
use super::{ApiDeps, ApiRequest, ApiResponse, body, detail};
use crate::message::{Message, QueueName};

/// The body of `POST …/cancel` and `POST …/reject` (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Option<String>,
}

/// The body of `POST …/approve`: nothing (`{}` at most). Who approves is the caller.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoBody {}

impl ReasonBody {
    fn given(self) -> Option<String> {
        self.reason.filter(|r| !r.trim().is_empty())
    }
}

/// `POST /plans/{name}/executions/{id}/cancel`: sends `cancel` to the advance queue; 409 once
/// finished.
pub async fn cancel(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    id: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let reason = body::json::<ReasonBody>(request)?.given();
    let execution = found(deps, plan_name, id).await?;
    if execution.status.is_terminal() {
        return Err(ApiError::conflict(format!(
            "execution `{id}` is {} already: there is nothing to cancel",
            execution.status
        )));
    }
    let message = Message::Cancel {
        execution_id: execution.id.clone(),
        by: request.caller.clone(),
        reason: reason.unwrap_or_else(|| DEFAULT_CANCEL_REASON.to_owned()),
    };
    send(deps, QueueName::Advance, &message, "requesting the cancel").await?;
    Ok(ApiResponse::json(
        202,
        json!({ "execution_id": execution.id, "status": "CANCEL_REQUESTED" }),
    ))
}

/// `POST /plans/{name}/executions/{id}/waves/{index}/approve`: sends `approve` to the advance
/// queue; 409 unless that wave is awaiting approval, 403 for the execution's own requester
/// (unless the plan sets `allow_self_approval`).
pub async fn approve(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    id: &str,
    index: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let NoBody {} = body::json(request)?;
    let wave = wave_index(index)?;
    let execution = found(deps, plan_name, id).await?;
    execution
        .check_approval(wave, &request.caller)
        .map_err(|refused| approval_refusal(&execution, wave, &refused))?;
    let message = Message::Approve {
        execution_id: execution.id.clone(),
        wave,
        by: request.caller.clone(),
    };
    send(deps, QueueName::Advance, &message, "sending the approval").await?;
    Ok(ApiResponse::json(
        202,
        json!({ "execution_id": execution.id, "wave": wave, "status": "APPROVAL_REQUESTED" }),
    ))
}

/// `POST /plans/{name}/executions/{id}/waves/{index}/reject`: the approval refused, which
/// cancels the execution: sends `cancel` to the advance queue, by the caller, with a reason
/// naming the rejected wave. 409 unless that wave is awaiting approval. The requester may
/// reject their own execution's approval (they may cancel it anyway).
pub async fn reject(
    deps: &ApiDeps<'_>,
    plan_name: &str,
    id: &str,
    index: &str,
    request: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let reason = body::json::<ReasonBody>(request)?.given();
    let wave = wave_index(index)?;
    let execution = found(deps, plan_name, id).await?;
    match execution.check_approval(wave, &request.caller) {
        // The engine refuses self-approval only of a wave that awaits approval.
        Ok(()) | Err(ApprovalRefused::SelfApproval { .. }) => {}
        Err(refused) => return Err(approval_refusal(&execution, wave, &refused)),
    }
    let message = Message::Cancel {
        execution_id: execution.id.clone(),
        by: request.caller.clone(),
        reason: rejection_reason(&execution, wave, reason.as_deref()),
    };
    send(deps, QueueName::Advance, &message, "sending the rejection").await?;
    Ok(ApiResponse::json(
        202,
        json!({ "execution_id": execution.id, "wave": wave, "status": "CANCEL_REQUESTED" }),
    ))
}

/// The cancel reason of a rejected approval: `approval of wave 1 (`app`) rejected[: why]`.
pub fn rejection_reason(execution: &Execution, wave: usize, why: Option<&str>) -> String {
    let name = execution
        .plan
        .waves
        .get(wave)
        .map_or("", |w| w.name.as_str());
    match why {
        Some(why) => format!("approval of wave {wave} (`{name}`) rejected: {why}"),
        None => format!("approval of wave {wave} (`{name}`) rejected"),
    }
}

/// A wave index of the path: digits only (`usize::from_str` would also take `+1`).
fn wave_index(index: &str) -> Result<usize, ApiError> {
    index
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| index.parse::<usize>().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::invalid_request(format!(
                "wave index `{index}` is not a whole number (waves count from 0)"
            ))
        })
}

/// The answer to an approval the engine refuses: 404 no such wave, 409 not awaiting
/// approval, 403 the requester's own approval.
fn approval_refusal(execution: &Execution, wave: usize, refused: &ApprovalRefused) -> ApiError {
    match refused {
        ApprovalRefused::NoSuchWave { .. } => ApiError::not_found(refused.to_string()),
        ApprovalRefused::NotAwaiting { .. } => {
            let status = detail::wave_status(execution, wave).unwrap_or("unknown");
            ApiError::conflict(format!("{refused}: it is {status}"))
        }
        ApprovalRefused::SelfApproval { .. } => ApiError::forbidden(refused.to_string()),
    }
}
