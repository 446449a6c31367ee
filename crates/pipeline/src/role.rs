//! The three Lambdas, and which of the engine's commands each carries out.
//!
//! A Lambda carries out the commands its role owns and those anyone may carry out; for the
//! others it sends a [`crate::message::Message::Resume`] to the owner's queue, and the owner
//! asks the engine again for what the wave waits on.

use engine::Command;
use serde::{Deserialize, Serialize};

use crate::message::{Message, QueueName};

/// A Lambda of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Starts executions and waves: resolves servers, calls `StartRecovery`.
    Starter,
    /// Watches jobs: `DescribeJobs` on checks and DRS launch events.
    Checker,
    /// Moves executions on: actions, approvals, the next wave, the end.
    Advancer,
}

impl Role {
    /// Every role, in pipeline order.
    pub const ALL: [Role; 3] = [Role::Starter, Role::Checker, Role::Advancer];

    /// The queue this role consumes.
    pub fn queue(self) -> QueueName {
        match self {
            Role::Starter => QueueName::Start,
            Role::Checker => QueueName::Check,
            Role::Advancer => QueueName::Advance,
        }
    }

    /// The role consuming `queue`.
    pub fn of_queue(queue: QueueName) -> Self {
        match queue {
            QueueName::Start => Role::Starter,
            QueueName::Check => Role::Checker,
            QueueName::Advance => Role::Advancer,
        }
    }

    /// The short name (`starter`, `checker`, `advancer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Starter => "starter",
            Role::Checker => "checker",
            Role::Advancer => "advancer",
        }
    }

    /// The role that must carry out `command`; `None` when any role may.
    pub fn owner_of(command: &Command) -> Option<Role> {
        match command {
            Command::ResolveServers { .. } | Command::StartRecovery(_) => Some(Role::Starter),
            Command::RunAction(_) | Command::RequestApproval { .. } => Some(Role::Advancer),
            Command::ScheduleCheck { .. }
            | Command::ScheduleRetry { .. }
            | Command::Advance { .. }
            | Command::Notify(_)
            | Command::Finish { .. }
            | Command::ScheduleDrillCleanup(_) => None,
        }
    }

    /// Why `message` is not one this role handles (it is sent to the dead-letter queue).
    pub fn refusal(self, message: &Message) -> String {
        let kind = message.kind();
        match message.queue() {
            Some(queue) => format!(
                "a `{kind}` message belongs on the {} queue, not on the {} queue",
                queue.as_str(),
                self.queue().as_str()
            ),
            None => format!("a `{kind}` message is not handled by the {}", self.as_str()),
        }
    }

    /// Whether this role carries out `command` itself.
    pub fn carries_out(self, command: &Command) -> bool {
        Self::owner_of(command).is_none_or(|owner| owner == self)
    }
}

#[cfg(test)]
mod tests {
    use engine::{ActionPhase, Notification, RunAction};

    use super::*;

    #[test]
    fn each_role_owns_its_commands_and_shares_the_rest() {
        let resolve = Command::ResolveServers { waves: Vec::new() };
        let action = Command::RunAction(RunAction {
            wave: 0,
            attempt: 1,
            phase: ActionPhase::Pre,
            index: 0,
            action: plan::Action::Lambda(plan::LambdaAction {
                function_arn: "arn:aws:lambda:us-east-1:111122223333:function:f".into(),
            }),
            run_id: "e/0/1/pre/0".into(),
        });
        let notify = Command::Notify(Notification::ExecutionFinished {
            status: engine::ExecutionStatus::Completed,
        });
        assert!(Role::Starter.carries_out(&resolve));
        assert!(!Role::Advancer.carries_out(&resolve));
        assert!(Role::Advancer.carries_out(&action));
        assert!(!Role::Checker.carries_out(&action));
        for role in Role::ALL {
            assert!(role.carries_out(&notify));
            assert_eq!(Role::of_queue(role.queue()), role);
        }
    }
}
