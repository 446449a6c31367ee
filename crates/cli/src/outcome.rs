//! How a command ended, and the exit code that tells it.

use std::process::ExitCode;

/// The result of a command, worst last: when several files are checked, the worst one decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Everything was fine: exit 0.
    Success,
    /// The command ran, but what it ran did not succeed (a rehearsed execution that did not
    /// complete): exit 1.
    Unsuccessful,
    /// A plan (or other input) was read but is invalid: exit 2.
    Invalid,
    /// A file could not be read or written: exit 1. Wins over `Invalid`, because the user
    /// has not seen every verdict.
    IoError,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Unsuccessful | Outcome::IoError => ExitCode::from(1),
            Outcome::Invalid => ExitCode::from(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_win_over_invalid_plans() {
        let worst = [Outcome::Invalid, Outcome::IoError, Outcome::Success]
            .into_iter()
            .max();
        assert_eq!(worst, Some(Outcome::IoError));
        assert_eq!(
            [Outcome::Success, Outcome::Invalid].into_iter().max(),
            Some(Outcome::Invalid)
        );
    }
}
