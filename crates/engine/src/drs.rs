//! DRS's own vocabulary for jobs and launches (DESIGN.md §2), as `DescribeJobs` spells it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A DRS job's status: `PENDING → STARTED → COMPLETED`. A job never fails; its servers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Accepted, not running yet.
    Pending,
    /// Running.
    Started,
    /// Finished; read each server's launch status for the outcome.
    Completed,
}

/// A participating server's `launchStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LaunchStatus {
    /// Not launching yet.
    Pending,
    /// Launching.
    InProgress,
    /// Launched: success.
    Launched,
    /// The launch failed.
    Failed,
    /// The recovery instance was terminated: counted as a failure.
    Terminated,
}

impl LaunchStatus {
    /// Whether the launch is over, successfully or not.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Launched | Self::Failed | Self::Terminated)
    }

    /// Whether the launch is over and failed.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Terminated)
    }

    /// How far the launch has got: statuses only ever move to a higher rank.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::InProgress => 1,
            Self::Launched | Self::Failed | Self::Terminated => 2,
        }
    }
}

impl fmt::Display for LaunchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Launched => "LAUNCHED",
            Self::Failed => "FAILED",
            Self::Terminated => "TERMINATED",
        })
    }
}
