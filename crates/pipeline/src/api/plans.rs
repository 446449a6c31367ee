//! `/plans`: list, create or replace, get, delete.
//!
//! A target's `external_id` (the `sts:ExternalId` its role's trust policy asks for) is never
//! answered: `GET /plans/{name}` shows [`REDACTED_EXTERNAL_ID`] in its place, and a `PUT` that
//! carries that placeholder back is refused, saying so, rather than storing it or quietly
//! keeping the stored value (which would then be presented to whatever role the new plan
//! names).

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

/// What `GET /plans/{name}` shows instead of a target's `external_id`. Not a valid external
/// ID (`*` is not allowed in one), so it can never be stored.
pub const REDACTED_EXTERNAL_ID: &str = "***";

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
    let plan = plan::parse(text)
        .map_err(|d| ApiError::invalid_plan("the body", &explain_redacted(d, name)))?;
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

/// `GET /plans/{name}`: the plan as JSON (external IDs redacted), with who stored it and when.
pub async fn get(deps: &ApiDeps<'_>, name: &str) -> Result<ApiResponse, ApiError> {
    let stored = deps
        .plans
        .describe(name)
        .await
        .map_err(|e| ApiError::from_port(&format!("reading plan `{name}`"), e))?
        .ok_or_else(|| not_stored(name))?;
    let plan = serde_json::to_value(redacted(stored.plan.clone()))
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

/// `plan` with every target's external ID replaced by [`REDACTED_EXTERNAL_ID`].
pub fn redacted(mut plan: plan::Plan) -> plan::Plan {
    for target in plan.targets.values_mut() {
        if let Some(external_id) = target.external_id.as_mut() {
            REDACTED_EXTERNAL_ID.clone_into(external_id);
        }
    }
    plan
}

/// The plan's diagnostics, where an `external_id` is [`REDACTED_EXTERNAL_ID`] (a plan read
/// back from `GET`) saying that instead of "`*` is not allowed".
fn explain_redacted(diagnostics: plan::Diagnostics, name: &str) -> plan::Diagnostics {
    let placeholder = format!("{REDACTED_EXTERNAL_ID:?} ");
    let is_placeholder = |d: &plan::Diagnostic| {
        d.path.starts_with("targets")
            && d.path.ends_with(".external_id")
            && d.message.starts_with(&placeholder)
    };
    // Rebuilding a capped list would count its "and N more" line as a problem.
    if diagnostics.omitted() > 0 || !diagnostics.iter().any(is_placeholder) {
        return diagnostics;
    }
    let explained: Vec<plan::Diagnostic> = diagnostics
        .into_vec()
        .into_iter()
        .map(|mut d| {
            if is_placeholder(&d) {
                d.message = format!(
                    "{REDACTED_EXTERNAL_ID:?} stands for the stored external ID, which `GET \
                     /plans/{name}` (and `drsctl plan get`) never shows: put the real \
                     external ID here; the stored plan is unchanged"
                );
            }
            d
        })
        .collect();
    plan::Diagnostics::from(explained)
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
