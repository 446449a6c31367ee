//! Pre- and post-wave actions: hooks run one at a time, in plan order.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether an action runs before a wave's launch or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionPhase {
    /// `pre_actions`: before the wave's servers are resolved and launched.
    Pre,
    /// `post_actions`: after every server of the wave is up.
    Post,
}

impl fmt::Display for ActionPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pre => "pre",
            Self::Post => "post",
        })
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionResult {
    /// It succeeded.
    Succeeded,
    /// It failed; the wave fails with it.
    Failed {
        /// What went wrong, for humans.
        message: String,
    },
}

/// One run of one action, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRun {
    /// Before or after the launch.
    pub phase: ActionPhase,
    /// Position in the wave's `pre_actions` or `post_actions`.
    pub index: usize,
    /// When it was started.
    pub started_at: Timestamp,
    /// When it ended, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// How it ended, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ActionResult>,
}
