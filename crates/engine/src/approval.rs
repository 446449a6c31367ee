//! Approvals: who may approve which wave, and when.
//!
//! A wave with `pause_before` waits for an approval before it starts. The API asks the engine
//! before it sends an approval on (so the caller hears at once of a wrong wave), and the
//! engine asks again when the approval arrives (the state may have moved on meanwhile).

use thiserror::Error;

use crate::execution::{Execution, WavePhase};
use crate::id::{ExecutionId, WaveIndex};

/// Why an approval of a wave is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApprovalRefused {
    /// The execution has no such wave.
    #[error(
        "execution `{execution}` has {waves} wave(s), numbered from 0: there is no wave {wave}"
    )]
    NoSuchWave {
        /// The execution.
        execution: ExecutionId,
        /// The wave asked for.
        wave: WaveIndex,
        /// How many waves it has.
        waves: usize,
    },
    /// The approver is the execution's requester, and the plan does not allow self-approval.
    #[error(
        "`{by}` requested execution `{execution}` and cannot approve it: an approval is a second \
         person's (a plan may set `allow_self_approval: true`)"
    )]
    SelfApproval {
        /// The execution.
        execution: ExecutionId,
        /// Who tried.
        by: String,
    },
    /// The wave is not the one waiting for an approval (not reached, started, or over).
    #[error("wave {wave} (`{name}`) of execution `{execution}` is not awaiting approval")]
    NotAwaiting {
        /// The execution.
        execution: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
    },
}

impl Execution {
    /// Whether `by` (an IAM identity) may approve wave `wave` now.
    pub fn check_approval(&self, wave: WaveIndex, by: &str) -> Result<(), ApprovalRefused> {
        let Some(state) = self.waves.get(wave) else {
            return Err(ApprovalRefused::NoSuchWave {
                execution: self.id.clone(),
                wave,
                waves: self.waves.len(),
            });
        };
        if self.is_terminal()
            || wave != self.current_wave
            || state.phase != WavePhase::AwaitingApproval
        {
            return Err(ApprovalRefused::NotAwaiting {
                execution: self.id.clone(),
                wave,
                name: self
                    .plan
                    .waves
                    .get(wave)
                    .map(|w| w.name.clone())
                    .unwrap_or_default(),
            });
        }
        if by == self.requested_by && !self.plan.allow_self_approval {
            return Err(ApprovalRefused::SelfApproval {
                execution: self.id.clone(),
                by: by.to_owned(),
            });
        }
        Ok(())
    }
}
