//! `/plans`: list, create or replace, get, delete.

use jiff::Timestamp;
use serde_json::json;

use super::body::{self, MediaType};
use super::errors::ApiError;
use super::{ApiDeps, ApiRequest, ApiResponse};
use crate::ports::PutOutcome;

/// The most a stored plan may take as JSON (its description counted twice, as the item
/// holds it twice): what is left of DynamoDB's 400 KB item once the name, the times and the
/// caller's ARN are in.
pub const MAX_STORED_PLAN_BYTES: usize = 380 * 1024;

/// `GET /plans`: every stored plan, sorted by name.
pub async fn list(deps: &ApiDeps<'_>) -> Result<ApiResponse, ApiError> {
    let plans = deps
        .plans
        .list()
        .await
        .map_err(|e| ApiError::from_port("listing the plans", e))?;
    let plans: Vec<serde_json::Value> = plans
        .into_iter()
        .map(|p| {
            json!({
                "name": p.name,
                "description": p.description,
                "waves": p.waves,
                "updated_at": p.updated_at,
                "updated_by": p.updated_by,
            })
        })
        .collect();
    Ok(ApiResponse::json(200, json!({ "plans": plans })))
}

/// `PUT /plans/{name}`: the body is the plan, YAML or JSON; checked with the plan crate
/// (every problem with its path and position), then stored.
pub async fn put(
    deps: &ApiDeps<'_>,
    name: &str,
    request: &ApiRequest,
    now: Timestamp,
) -> Result<ApiResponse, ApiError> {
    let media = body::media_type(request)?;
    let Some(text) = body::text(request) else {
        return Err(ApiError::invalid_request(
            "the body is empty: send the plan document (YAML or JSON)",
        ));
    };
    // The plan crate reads YAML and JSON alike (JSON is decided by the content, which must
    // then be a JSON object): a JSON media type only needs the text to be one.
    if media == MediaType::Json && !text.trim_start().starts_with('{') {
        return Err(ApiError::invalid_request(
            "Content-Type says JSON but the body is not a JSON object; a plan is an object \
             with at least `name`, `protection_groups` and `waves`",
        ));
    }
    let plan = plan::parse(text).map_err(|d| ApiError::invalid_plan("the body", &d))?;
    if plan.name != name {
        return Err(ApiError::invalid_request(format!(
            "the URL names plan `{name}` but the body's `name` is `{}`: they must be the same",
            plan.name
        )));
    }
    // The plans table holds a plan in one DynamoDB item (400 KB at most, the plan as JSON
    // plus its description, name and who stored it): refuse a bigger one here, saying so,
    // rather than let the store fail with a 500.
    let stored_bytes = serde_json::to_string(&plan)
        .map_err(|e| ApiError::internal(format!("plan `{name}` does not serialise: {e}")))?
        .len()
        + plan.description.as_ref().map_or(0, String::len);
    if stored_bytes > MAX_STORED_PLAN_BYTES {
        return Err(ApiError::invalid_request(format!(
            "plan `{name}` is {stored_bytes} bytes once stored as JSON, more than the \
             {MAX_STORED_PLAN_BYTES} a stored plan may take (one DynamoDB item holds 400 KB): \
             split it into smaller plans"
        )));
    }
    let outcome = deps
        .plans
        .put(&plan, now, &request.caller)
        .await
        .map_err(|e| ApiError::from_port(&format!("storing plan `{name}`"), e))?;
    let status = match outcome {
        PutOutcome::Created => 201,
        PutOutcome::Replaced => 200,
    };
    Ok(ApiResponse::json(
        status,
        json!({
            "name": plan.name,
            "waves": plan.waves.len(),
            "updated_at": now,
            "updated_by": request.caller,
        }),
    ))
}

/// `GET /plans/{name}`: the plan as JSON, with who stored it and when.
pub async fn get(deps: &ApiDeps<'_>, name: &str) -> Result<ApiResponse, ApiError> {
    let stored = deps
        .plans
        .describe(name)
        .await
        .map_err(|e| ApiError::from_port(&format!("reading plan `{name}`"), e))?
        .ok_or_else(|| not_stored(name))?;
    let plan = serde_json::to_value(&stored.plan)
        .map_err(|e| ApiError::internal(format!("plan `{name}` does not serialise: {e}")))?;
    Ok(ApiResponse::json(
        200,
        json!({
            "name": stored.plan.name,
            "plan": plan,
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
        }),
    ))
}

/// `DELETE /plans/{name}`: 204, or 404 when there was none. Executions of the plan are kept
/// (each holds the plan as it was run).
pub async fn delete(deps: &ApiDeps<'_>, name: &str) -> Result<ApiResponse, ApiError> {
    let existed = deps
        .plans
        .delete(name)
        .await
        .map_err(|e| ApiError::from_port(&format!("deleting plan `{name}`"), e))?;
    if existed {
        Ok(ApiResponse::no_content())
    } else {
        Err(not_stored(name))
    }
}

/// 404 for a plan that is not stored.
pub fn not_stored(name: &str) -> ApiError {
    ApiError::not_found(format!(
        "no plan named `{name}` is stored (GET /plans lists them)"
    ))
}
