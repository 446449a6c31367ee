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
    /// Whether wave `wave` may be approved now.
    pub fn check_approval(&self, wave: WaveIndex) -> Result<(), ApprovalRefused> {
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
        Ok(())
    }
}
