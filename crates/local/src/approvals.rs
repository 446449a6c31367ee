//! Approvals of paused waves (`pause_before`) in a rehearsal: given at once, or never.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use engine::{Execution, ExecutionId, WaveIndex};
use pipeline::message::{Message, QueueName};
use pipeline::ports::{Approvals, PortResult, Queues};

/// Who approves in a rehearsal (the `by` of the approval).
pub const REHEARSAL_APPROVER: &str = "drsctl rehearse (auto-approve)";

/// Whether paused waves are approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApprovalPolicy {
    /// Approve at once: the `Approve` message goes to the advance queue, as a person's
    /// approval would.
    #[default]
    Auto,
    /// Never approve: the execution stays `AWAITING_APPROVAL`.
    Never,
}

/// [`Approvals`] that answer by [`ApprovalPolicy`] and remember what was asked.
pub struct RehearsalApprovals {
    policy: ApprovalPolicy,
    queues: Arc<dyn Queues>,
    requested: Mutex<Vec<(ExecutionId, WaveIndex)>>,
}

impl RehearsalApprovals {
    /// Approvals under `policy`, sent through `queues`.
    pub fn new(policy: ApprovalPolicy, queues: Arc<dyn Queues>) -> Self {
        Self {
            policy,
            queues,
            requested: Mutex::new(Vec::new()),
        }
    }

    /// The policy.
    pub fn policy(&self) -> ApprovalPolicy {
        self.policy
    }

    /// Every approval asked for, in order (repeats included: a redelivered message asks
    /// again).
    pub fn requested(&self) -> Vec<(ExecutionId, WaveIndex)> {
        self.requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for RehearsalApprovals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RehearsalApprovals")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Approvals for RehearsalApprovals {
    async fn request(&self, execution: &Execution, wave: WaveIndex) -> PortResult<()> {
        self.requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((execution.id.clone(), wave));
        match self.policy {
            ApprovalPolicy::Never => {
                tracing::info!(execution_id = %execution.id, wave, "approval requested; left unanswered (--approve never)");
                Ok(())
            }
            ApprovalPolicy::Auto => {
                let approve = Message::Approve {
                    execution_id: execution.id.clone(),
                    wave,
                    by: REHEARSAL_APPROVER.to_owned(),
                };
                self.queues.send(QueueName::Advance, &approve, 0).await
            }
        }
    }
}
