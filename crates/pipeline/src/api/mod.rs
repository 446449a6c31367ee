//! The HTTP API: plans and executions over HTTP (issue 5 §3, `infra/openapi.yaml`).
//!
//! One entry point, [`handle`], serves both the `api` Lambda (API Gateway HTTP API, payload
//! v2, IAM auth) and `drsctl` talking to the tables directly. It reads and writes through the
//! same [ports](crate::ports) as the handlers and never runs an execution itself: starting,
//! cancelling and approving send the pipeline's messages to its queues, and the starter and
//! advancer do the rest.
//!
//! - [`routes`]: the route table ([`ROUTES`]), matched against method and path.
//! - `plans`: list, create or replace (validated with the plan crate), get (targets'
//!   external IDs redacted), delete.
//! - `executions`, all under `/plans/{name}/`: start a drill or a recovery (separate routes),
//!   get (per wave and server), list, cancel, approve, reject. The plan in the path is the
//!   plan acted on, so IAM policies on route ARNs scope who may do what to which plan (the
//!   README's "Security model" has examples, `infra/iam-examples/`).
//! - [`detail`]: the execution detail, derived from the engine's report.
//! - [`errors`]: every non-2xx answer is `{"error": code, "message": text}` (and `errors`,
//!   the plan's diagnostics, for an invalid plan).
//!
//! The router is deterministic: the time is an argument, and a new execution's ID comes from
//! the request ([`ApiRequest::request_id`], or the body's `execution_id`). Who asks is only ever
//! [`ApiRequest::caller`].

mod body;
mod controls;
pub mod detail;
pub mod errors;
mod executions;
mod plans;
pub mod routes;

use std::fmt;

use jiff::Timestamp;
use tracing::{info, warn};

use crate::ports::{ExecutionStore, PlanStore, Queues};

pub use errors::{ApiError, ErrorCode, PlanProblem};
pub use executions::{
    DEFAULT_CANCEL_REASON, DEFAULT_LIST_LIMIT, MAX_EXECUTION_ID_CHARS, MAX_LIST_LIMIT,
};
pub use plans::{MAX_STORED_PLAN_BYTES, REDACTED_EXTERNAL_ID};
pub use routes::{ROUTES, Route, RouteId};

/// An HTTP request as the API sees it (API Gateway HTTP API payload v2 maps onto it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// `GET`, `PUT`, `POST`, `DELETE` (any case).
    pub method: String,
    /// The path without the stage prefix, percent-encoded as sent (`/plans/billing`).
    pub path: String,
    /// The query string's parameters, decoded.
    pub query: Vec<(String, String)>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, already base64-decoded.
    pub body: Option<String>,
    /// Who calls: the IAM principal ARN (`requestContext.authorizer.iam.userArn`; drsctl's
    /// direct mode: STS `GetCallerIdentity`'s). Recorded as `updated_by`, `requested_by`, the
    /// canceller, the approver; never taken from a body.
    pub caller: String,
    /// Unique per request (API Gateway's `requestContext.requestId`, a UUID from drsctl): a new
    /// execution's ID is derived from it when the body names none.
    pub request_id: String,
}

impl ApiRequest {
    /// The value of query parameter `name`, if given.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The answer: a status and an optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (`None` for 204).
    pub body: Option<serde_json::Value>,
}

impl ApiResponse {
    /// `status` with `body`.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
        }
    }
}

/// The ports the API uses. Built by the `api` Lambda and by drsctl from the same adapters
/// (`aws_adapters::api::ApiStores::deps`), or from the in-memory fakes in tests.
#[derive(Clone, Copy)]
pub struct ApiDeps<'a> {
    /// Stored plans: read, stored, listed, deleted.
    pub plans: &'a dyn PlanStore,
    /// Executions: loaded and listed (never written: the pipeline owns them).
    pub executions: &'a dyn ExecutionStore,
    /// The pipeline's queues: start requests, cancels and approvals are sent there.
    pub queues: &'a dyn Queues,
}

impl fmt::Debug for ApiDeps<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiDeps").finish_non_exhaustive()
    }
}

/// Serves one request at time `now`. Never fails: every problem is an error response that
/// says what is wrong (see [`errors`]).
pub async fn handle(deps: &ApiDeps<'_>, request: ApiRequest, now: Timestamp) -> ApiResponse {
    let response = match routes::resolve(&request.method, &request.path) {
        Ok((route, params)) => match dispatch(deps, route, &params, &request, now).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        },
        Err(error) => error.into_response(),
    };
    let status = response.status;
    if status >= 500 {
        warn!(
            method = %request.method,
            path = %request.path,
            caller = %request.caller,
            request_id = %request.request_id,
            status,
            error = ?response.body,
            "API request failed"
        );
    } else {
        info!(
            method = %request.method,
            path = %request.path,
            caller = %request.caller,
            request_id = %request.request_id,
            status,
            "API request served"
        );
    }
    response
}

async fn dispatch(
    deps: &ApiDeps<'_>,
    route: RouteId,
    params: &routes::Params,
    request: &ApiRequest,
    now: Timestamp,
) -> Result<ApiResponse, ApiError> {
    match route {
        RouteId::ListPlans => plans::list(deps).await,
        RouteId::PutPlan => plans::put(deps, params.get("name")?, request, now).await,
        RouteId::GetPlan => plans::get(deps, params.get("name")?).await,
        RouteId::DeletePlan => plans::delete(deps, params.get("name")?).await,
        RouteId::StartDrill => executions::start_drill(deps, params.get("name")?, request).await,
        RouteId::StartRecovery => {
            executions::start_recovery(deps, params.get("name")?, request).await
        }
        RouteId::ListPlanExecutions => {
            executions::list_by_plan(deps, params.get("name")?, request).await
        }
        RouteId::GetExecution => {
            executions::get(deps, params.get("name")?, params.get("id")?).await
        }
        RouteId::CancelExecution => {
            controls::cancel(deps, params.get("name")?, params.get("id")?, request).await
        }
        RouteId::ApproveWave => {
            let (name, id, index) = (params.get("name")?, params.get("id")?, params.get("index")?);
            controls::approve(deps, name, id, index, request).await
        }
        RouteId::RejectWave => {
            let (name, id, index) = (params.get("name")?, params.get("id")?, params.get("index")?);
            controls::reject(deps, name, id, index, request).await
        }
    }
}

#[cfg(test)]
mod tests;
