//! Drill or recovery, and the confirmation a recovery needs before anything launches.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a caller must send (`"confirm"`, `--confirm`) to start a real recovery: a recovery
/// launches production instances, and a drill is the default.
pub const RECOVERY_CONFIRMATION: &str = "RECOVERY";

/// Whether DRS launches drill instances (`isDrill=true`) or recovers for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A drill: instances are launched beside production and may be cleaned up afterwards.
    Drill,
    /// A real recovery: instances are never cleaned up by the orchestrator.
    Recovery,
}

impl Mode {
    /// The `isDrill` flag of `StartRecovery`.
    pub fn is_drill(self) -> bool {
        self == Self::Drill
    }

    /// The name users read and send (`drill`, `recovery`), as in plans, messages and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drill => "drill",
            Self::Recovery => "recovery",
        }
    }

    /// Whether a request in this mode carrying `confirm` may start: a drill always, a
    /// recovery only with [`RECOVERY_CONFIRMATION`]. The one check every entry point uses.
    pub fn confirmed(self, confirm: Option<&str>) -> Result<(), ConfirmationMissing> {
        match self {
            Self::Recovery if confirm != Some(RECOVERY_CONFIRMATION) => Err(ConfirmationMissing {
                given: confirm.map(str::to_owned),
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recovery requested without its confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "a recovery (not a drill) launches production recovery instances: it must be confirmed with \
     `{RECOVERY_CONFIRMATION}`{}",
    match given { Some(other) => format!(" (got {other:?})"), None => " (no confirmation given)".to_owned() }
)]
pub struct ConfirmationMissing {
    /// What was sent instead, if anything.
    pub given: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_recovery_needs_the_exact_confirmation() {
        assert_eq!(Mode::Drill.confirmed(None), Ok(()));
        assert_eq!(
            Mode::Recovery.confirmed(Some(RECOVERY_CONFIRMATION)),
            Ok(())
        );
        let missing = Mode::Recovery.confirmed(None).unwrap_err();
        assert!(
            missing.to_string().contains("no confirmation given"),
            "{missing}"
        );
        let wrong = Mode::Recovery.confirmed(Some("recovery")).unwrap_err();
        assert!(wrong.to_string().contains(r#"(got "recovery")"#), "{wrong}");
        assert_eq!(Mode::Recovery.to_string(), "recovery");
        assert_eq!(Mode::Drill.to_string(), "drill");
    }
}
