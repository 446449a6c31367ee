//! Admission of an execution request: the invariants the engine relies on.
//!
//! Full plan validation (names, IDs, positions in the file) belongs to the `plan` crate; the
//! engine re-checks only what would make it misbehave, so a plan that skipped validation
//! cannot wedge an execution.

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
    let mut problems = Vec::new();
    if plan.waves.is_empty() {
        problems.push("the plan has no waves".to_owned());
    }
    let interval = plan.defaults.check_interval_seconds;
    if !(1..=900).contains(&interval) {
        problems.push(format!(
            "defaults.check_interval_seconds must be within 1..=900, got {interval}"
        ));
    }
    for (name, group) in &plan.protection_groups {
        let undefined = group
            .target
            .as_ref()
            .filter(|target| !plan.targets.contains_key(*target));
        if let Some(target) = undefined {
            problems.push(format!(
                "protection_groups.{name}.target: target `{target}` is not defined"
            ));
        }
    }
    for (index, wave) in plan.waves.iter().enumerate() {
        if wave.groups.is_empty() {
            problems.push(format!("waves[{index}].groups is empty"));
        }
        for (g, group) in wave.groups.iter().enumerate() {
            if !plan.protection_groups.contains_key(group) {
                problems.push(format!(
                    "waves[{index}].groups[{g}]: protection group `{group}` is not defined"
                ));
            }
        }
        if plan.wave_timeout_minutes(index) == 0 {
            problems.push(format!("waves[{index}]: the wave timeout must be positive"));
        }
    }
    problems
}
