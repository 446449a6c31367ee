//! The three Lambdas, and which of the engine's commands each carries out.
//!
//! The engine says which commands need which Lambda ([`engine::Command::handover`]); a
//! Lambda carries out the others itself, and for those it sends a
//! [`crate::message::Message::Resume`] to the carrier's queue, whose Lambda asks the engine
//! again for what the wave waits on.

use engine::Carrier;
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

    /// The role of the Lambda that carries out what the engine gives `carrier`.
    pub fn of_carrier(carrier: Carrier) -> Self {
        match carrier {
            Carrier::Starter => Role::Starter,
            Carrier::Advancer => Role::Advancer,
        }
    }

    /// Whether this role's Lambda handles `message`: those of its queue, and `Resume`.
    pub fn accepts(self, message: &Message) -> bool {
        message.queue().is_none_or(|queue| queue == self.queue())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_carrier_is_a_role_and_each_role_consumes_its_queue() {
        assert_eq!(Role::of_carrier(Carrier::Starter), Role::Starter);
        assert_eq!(Role::of_carrier(Carrier::Advancer), Role::Advancer);
        for role in Role::ALL {
            assert_eq!(Role::of_queue(role.queue()), role);
        }
    }
}
