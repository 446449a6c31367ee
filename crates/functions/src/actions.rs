//! Pre- and post-wave actions in this deployment: not carried out yet.
//!
//! SSM Automation needs polling of the automation's status across invocations, and Lambda
//! actions need the `lambda:InvokeFunction` wiring; neither exists yet. Rather than skip an
//! action a plan asks for (a drill that "passed" without its checks would be a lie), every
//! action fails with a message saying so, and the engine fails the wave with it.

use async_trait::async_trait;
use engine::{ActionResult, Execution, RunAction};
use pipeline::ports::{ActionRunner, PortResult};
use plan::Action;

/// [`ActionRunner`] that fails every action, saying actions are not supported yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnsupportedActions;

/// What the failure of `run` says.
pub fn unsupported_message(run: &RunAction) -> String {
    let what = match &run.action {
        Action::SsmAutomation(ssm) => format!("SSM Automation `{}`", ssm.document),
        Action::Lambda(lambda) => format!("Lambda `{}`", lambda.function_arn),
        Action::Wait(wait) => format!("wait of {} minutes", wait.minutes),
    };
    format!(
        "actions are not supported yet in this deployment: the {what} {}-action #{} of wave {} \
         was not run (remove it from the plan, or run it by hand and re-run the drill without it)",
        run.phase,
        run.index + 1,
        run.wave
    )
}

#[async_trait]
impl ActionRunner for UnsupportedActions {
    async fn run(&self, execution: &Execution, run: &RunAction) -> PortResult<ActionResult> {
        let message = unsupported_message(run);
        tracing::warn!(execution_id = %execution.id, run_id = %run.run_id, reason = %message, "action not run");
        Ok(ActionResult::Failed { message })
    }
}

#[cfg(test)]
mod tests {
    use engine::ActionPhase;

    use super::*;

    #[test]
    fn the_failure_names_the_action_and_where_it_was() {
        let run = RunAction {
            wave: 1,
            attempt: 1,
            phase: ActionPhase::Post,
            index: 0,
            action: Action::Lambda(plan::LambdaAction {
                function_arn: "arn:aws:lambda:us-east-1:111122223333:function:billing-smoke-test"
                    .to_owned(),
                ..Default::default()
            }),
            run_id: "exec-1/1/1/post/0".to_owned(),
        };
        let message = unsupported_message(&run);
        assert!(
            message.starts_with("actions are not supported yet in this deployment"),
            "{message}"
        );
        assert!(message.contains("function:billing-smoke-test"), "{message}");
        assert!(message.contains("of wave 1"), "{message}");
    }
}
