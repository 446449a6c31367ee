//! A decision: the new state, and what the driver must carry out, typed by when.
//!
//! Effects before the save are those that are safe to carry out for a decision that is then
//! lost (a crash, a lost conditional write): a delayed message whose token the save does not
//! make live is ignored when it arrives, and a ledger claim given back twice is given back
//! once. Carried out first, they can never be lost with a crash after the save: a check
//! chain never dies, and no claim leaks. Everything else happens after the save.

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::delay::DelaySeconds;
use crate::execution::Execution;
use crate::id::{Attempt, StartRequestId, Token, WaveIndex};

/// What an input means for an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The state to save (unchanged for a duplicate or stale input).
    pub state: Execution,
    /// Carried out before the save, in order; a failure leaves the decision unsaved (the
    /// input is decided again when its message is redelivered).
    pub before_save: Vec<BeforeSave>,
    /// Carried out after the save, in order; [`Command::carrier`] says which Lambda.
    pub after_save: Vec<Command>,
}

impl Decision {
    /// Whether there is anything to carry out.
    pub fn has_effects(&self) -> bool {
        !self.before_save.is_empty() || !self.after_save.is_empty()
    }
}

/// An effect carried out before the save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BeforeSave {
    /// Send a check message after its delay; it supersedes any earlier check of the wave.
    Check(Delayed),
    /// Send a start-retry message after its delay.
    RetryStart(Delayed),
    /// Give back the ledger claim of one `StartRecovery` request.
    ReleaseClaim(ClaimRelease),
}

/// A delayed message of a wave attempt's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delayed {
    /// The wave.
    pub wave: WaveIndex,
    /// Its attempt.
    pub attempt: Attempt,
    /// The token the message carries.
    pub token: Token,
    /// Its delay.
    pub delay: DelaySeconds,
}

/// A ledger claim to give back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClaimRelease {
    /// Plan target of the request; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The request whose claim it is.
    pub request: StartRequestId,
}
