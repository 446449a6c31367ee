//! Inputs that can never be valid for an execution.
//!
//! Duplicates and stale inputs are not errors: they are acknowledged without effect.

use crate::id::{Attempt, ExecutionId, WaveIndex};

/// An input that can never be valid for this execution; the state is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The execution request cannot run.
    #[error("execution request {execution} cannot run: {}", problems.join("; "))]
    InvalidRequest {
        /// The execution requested.
        execution: ExecutionId,
        /// Everything wrong with it.
        problems: Vec<String>,
    },
    /// A stored state that breaks the engine's invariants (corrupted or hand-edited).
    #[error("execution {execution} is inconsistent: {problem}")]
    InconsistentState {
        /// The execution.
        execution: ExecutionId,
        /// What is wrong.
        problem: String,
    },
    /// The execution ID was reused for a different request.
    #[error(
        "execution {execution} already exists with a different plan, mode or limits; \
         request a new execution ID"
    )]
    ConflictingRequest {
        /// The execution.
        execution: ExecutionId,
    },
    /// The input is for another execution.
    #[error("input for execution {input} was given to execution {state}")]
    ExecutionMismatch {
        /// The state's execution.
        state: ExecutionId,
        /// The input's execution.
        input: ExecutionId,
    },
    /// The wave does not exist in the plan.
    #[error("execution {execution} has {waves} waves; there is no wave {wave}")]
    WaveOutOfRange {
        /// The execution.
        execution: ExecutionId,
        /// The wave asked for.
        wave: WaveIndex,
        /// How many waves the plan has.
        waves: usize,
    },
    /// The wave never had that attempt.
    #[error(
        "wave {wave} of execution {execution} is at attempt {current}; attempt {attempt} never existed"
    )]
    UnknownAttempt {
        /// The execution.
        execution: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// The attempt asked for.
        attempt: Attempt,
        /// The wave's attempt.
        current: Attempt,
    },
    /// The wave attempt never had that chunk.
    #[error(
        "wave {wave} attempt {attempt} of execution {execution} has {chunks} chunks; there is no chunk {chunk}"
    )]
    UnknownChunk {
        /// The execution.
        execution: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// The attempt.
        attempt: Attempt,
        /// The chunk asked for.
        chunk: usize,
        /// How many chunks it has.
        chunks: usize,
    },
    /// The wave has no such action.
    #[error(
        "wave {wave} of execution {execution} has {actions} {phase}-actions; there is no {phase}-action {index}"
    )]
    UnknownAction {
        /// The execution.
        execution: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Before or after the launch.
        phase: crate::action::ActionPhase,
        /// The action asked for.
        index: usize,
        /// How many the wave has.
        actions: usize,
    },
    /// A resolution that cannot be the wave's.
    #[error("servers resolved for wave {wave} of execution {execution} are invalid: {problem}")]
    InvalidResolution {
        /// The execution.
        execution: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// What is wrong.
        problem: String,
    },
}
