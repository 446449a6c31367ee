//! The strict reading of [`Message`](super::Message) bodies.

use engine::{Attempt, ExecutionId, Mode, Token, WaveIndex};
use plan::Plan;
use serde::Deserialize;

use engine::PlanSource;

/// [`super::Message`] as it is written, with the plan source spelt out.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Message {
    StartExecution {
        #[serde(default)]
        execution_id: Option<ExecutionId>,
        #[serde(default)]
        plan_name: Option<String>,
        #[serde(default)]
        plan: Option<Plan>,
        mode: Mode,
        #[serde(default)]
        confirm: Option<String>,
        requested_by: String,
    },
    Resume {
        execution_id: ExecutionId,
        wave: WaveIndex,
        attempt: Attempt,
    },
    RetryStart {
        execution_id: ExecutionId,
        wave: WaveIndex,
        attempt: Attempt,
        token: Token,
    },
    Check {
        execution_id: ExecutionId,
        wave: WaveIndex,
        attempt: Attempt,
        token: Token,
    },
    Advance {
        execution_id: ExecutionId,
        wave: WaveIndex,
        attempt: Attempt,
    },
    Approve {
        execution_id: ExecutionId,
        wave: WaveIndex,
        by: String,
    },
    Cancel {
        execution_id: ExecutionId,
        by: String,
        reason: String,
    },
}

impl TryFrom<Message> for super::Message {
    type Error = String;

    fn try_from(wire: Message) -> Result<Self, Self::Error> {
        use super::Message as M;
        Ok(match wire {
            Message::StartExecution {
                execution_id,
                plan_name,
                plan,
                mode,
                confirm,
                requested_by,
            } => {
                let plan = match (plan_name, plan) {
                    (Some(plan_name), None) => PlanSource::Stored { plan_name },
                    (None, Some(plan)) => PlanSource::Inline { plan },
                    (Some(_), Some(_)) => {
                        return Err("give either `plan_name` or `plan`, not both".to_owned());
                    }
                    (None, None) => {
                        return Err("missing the plan: give `plan_name` or `plan`".to_owned());
                    }
                };
                M::StartExecution {
                    execution_id,
                    plan,
                    mode,
                    confirm,
                    requested_by,
                }
            }
            Message::Resume {
                execution_id,
                wave,
                attempt,
            } => M::Resume {
                execution_id,
                wave,
                attempt,
            },
            Message::RetryStart {
                execution_id,
                wave,
                attempt,
                token,
            } => M::RetryStart {
                execution_id,
                wave,
                attempt,
                token,
            },
            Message::Check {
                execution_id,
                wave,
                attempt,
                token,
            } => M::Check {
                execution_id,
                wave,
                attempt,
                token,
            },
            Message::Advance {
                execution_id,
                wave,
                attempt,
            } => M::Advance {
                execution_id,
                wave,
                attempt,
            },
            Message::Approve {
                execution_id,
                wave,
                by,
            } => M::Approve {
                execution_id,
                wave,
                by,
            },
            Message::Cancel {
                execution_id,
                by,
                reason,
            } => M::Cancel {
                execution_id,
                by,
                reason,
            },
        })
    }
}
