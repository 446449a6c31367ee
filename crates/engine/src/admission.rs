//! Admission of an execution request: the invariants the engine relies on.
//!
//! The plan is checked with the `plan` crate's full validation (every rule of the plan
//! format), so a plan that skipped `drsctl plan validate` or the API's check is still rejected
//! before anything starts.

use plan::Plan;

use crate::error::EngineError;
use crate::input::ExecutionRequest;

/// `Ok` when `request` can run; otherwise every problem at once.
pub fn admit(request: &ExecutionRequest) -> Result<(), EngineError> {
    let mut problems = Vec::new();
    if request.execution_id.as_str().is_empty() {
        problems.push("the execution ID is empty".to_owned());
    }
    problems.extend(plan_problems(&request.plan));
    problems.extend(request.limits.problems());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EngineError::InvalidRequest {
            execution: request.execution_id.clone(),
            problems,
        })
    }
}

fn plan_problems(plan: &Plan) -> Vec<String> {
    match plan::validate(plan) {
        Ok(()) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}
