//! Following an execution until it ends.

use std::time::Duration;

use engine::{Execution, ExecutionStatus};
use jiff::Timestamp;

/// How [`crate::LocalStack::watch`] follows an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Give up after this much real time.
    pub limit: Duration,
    /// Read the execution this often.
    pub poll_interval: Duration,
}

impl Default for WatchOptions {
    /// Ten minutes, reading every 100 ms.
    fn default() -> Self {
        Self {
            limit: Duration::from_secs(600),
            poll_interval: Duration::from_millis(100),
        }
    }
}

/// One read of the execution while watching it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The execution as stored.
    pub execution: &'a Execution,
    /// Whether it differs from the previous read.
    pub changed: bool,
    /// The simulated time of the read.
    pub now: Timestamp,
}

/// How watching ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The execution reached a terminal status.
    Finished(Execution),
    /// It is paused for an approval that nobody will give (`ApprovalPolicy::Never`).
    AwaitingApproval(Execution),
    /// The real-time limit passed first; the execution as last read, if it was ever stored.
    LimitReached(Option<Execution>),
}

impl Ending {
    /// The execution as last read.
    pub fn execution(&self) -> Option<&Execution> {
        match self {
            Ending::Finished(execution) | Ending::AwaitingApproval(execution) => Some(execution),
            Ending::LimitReached(execution) => execution.as_ref(),
        }
    }

    /// Whether the execution completed (every wave succeeded).
    pub fn is_completed(&self) -> bool {
        matches!(self, Ending::Finished(e) if e.status == ExecutionStatus::Completed)
    }
}
