//! Identifiers: what names an execution, a DRS job, a source server, a start request, a timer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Index of a wave in the plan (0-based).
pub type WaveIndex = usize;

/// Attempt number of a wave: 1 for its first run, 0 while it has not started.
pub type Attempt = u32;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a raw identifier.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The raw identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    };
}

string_id! {
    /// Names one execution of a plan; chosen by whoever requests it (API, schedule, CLI).
    ExecutionId
}

string_id! {
    /// A DRS job ID (`drsjob-…`).
    JobId
}

string_id! {
    /// A DRS source server ID (`s-…`).
    ServerId
}

/// Names one `StartRecovery` request: `{execution}/{wave}/{attempt}/{chunk}`.
///
/// It is the same every time the same chunk of servers is (re)requested, so the adapter can use
/// it as an idempotency key: tag the job with it, and look for a job carrying it before calling
/// DRS again for a re-issued request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StartRequestId {
    /// The execution the request belongs to.
    pub execution: ExecutionId,
    /// The wave it launches.
    pub wave: WaveIndex,
    /// The wave attempt.
    pub attempt: Attempt,
    /// Index of the chunk of servers in the wave attempt.
    pub chunk: usize,
}

impl fmt::Display for StartRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.execution, self.wave, self.attempt, self.chunk
        )
    }
}

/// A string that is not `{execution}/{wave}/{attempt}/{chunk}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a start request ID (expected `{{execution}}/{{wave}}/{{attempt}}/{{chunk}}`)"
)]
pub struct ParseStartRequestIdError(String);

impl FromStr for StartRequestId {
    type Err = ParseStartRequestIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseStartRequestIdError(s.to_owned());
        // Split from the right: an execution ID may itself contain `/`.
        let mut parts = s.rsplitn(4, '/');
        let chunk = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(error)?;
        let attempt = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(error)?;
        let wave = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(error)?;
        let execution = parts.next().filter(|p| !p.is_empty()).ok_or_else(error)?;
        Ok(Self {
            execution: ExecutionId::new(execution),
            wave,
            attempt,
            chunk,
        })
    }
}

impl TryFrom<String> for StartRequestId {
    type Error = ParseStartRequestIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<StartRequestId> for String {
    fn from(id: StartRequestId) -> Self {
        id.to_string()
    }
}

/// Names one delayed message (a check or a start retry) of a wave attempt.
///
/// Only the latest token of a timer is live: a message carrying an older one is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(pub u64);

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_request_id_round_trips_even_with_slashes_in_the_execution_id() {
        let id = StartRequestId {
            execution: ExecutionId::new("billing/2024-q1"),
            wave: 2,
            attempt: 1,
            chunk: 7,
        };
        let text = id.to_string();
        assert_eq!(text, "billing/2024-q1/2/1/7");
        assert_eq!(text.parse::<StartRequestId>(), Ok(id));
    }

    #[test]
    fn malformed_start_request_ids_are_rejected() {
        for bad in ["", "a/1/2", "/1/2/3", "a/x/1/2", "a/1/-1/2", "a/1/2/3.5"] {
            assert!(bad.parse::<StartRequestId>().is_err(), "{bad:?} parsed");
        }
    }
}
