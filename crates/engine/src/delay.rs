//! The delay of a delayed message: what SQS accepts, minus zero.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// A message delay in whole seconds, always within `1..=900`.
///
/// SQS accepts 0–900 s; zero is excluded so a chain of delayed messages can never spin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct DelaySeconds(u32);

impl DelaySeconds {
    /// The shortest delay.
    pub const MIN: u32 = 1;
    /// The longest delay SQS accepts.
    pub const MAX: u32 = 900;

    /// `seconds`, brought into `1..=900`.
    pub fn clamped(seconds: u64) -> Self {
        let clamped = seconds.clamp(u64::from(Self::MIN), u64::from(Self::MAX));
        // In range by construction; the fallback is unreachable.
        Self(u32::try_from(clamped).unwrap_or(Self::MAX))
    }

    /// The delay from `now` until `at`, rounded up to a whole second, within `1..=900`.
    pub fn until(now: Timestamp, at: Timestamp) -> Self {
        let remaining = at.duration_since(now);
        let mut seconds = remaining.as_secs();
        if remaining.subsec_nanos() > 0 {
            seconds += 1;
        }
        Self::clamped(u64::try_from(seconds).unwrap_or(0))
    }

    /// The number of seconds.
    pub fn get(self) -> u32 {
        self.0
    }

    /// When a message sent at `now` with this delay is due.
    pub fn after(self, now: Timestamp) -> Timestamp {
        now.saturating_add(SignedDuration::from_secs(i64::from(self.0)))
            .unwrap_or(now)
    }
}

impl fmt::Display for DelaySeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.0)
    }
}

/// A delay outside `1..=900` seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a message delay must be within 1..=900 seconds, got {0}")]
pub struct DelayOutOfRange(u32);

impl TryFrom<u32> for DelaySeconds {
    type Error = DelayOutOfRange;

    fn try_from(seconds: u32) -> Result<Self, Self::Error> {
        if (Self::MIN..=Self::MAX).contains(&seconds) {
            Ok(Self(seconds))
        } else {
            Err(DelayOutOfRange(seconds))
        }
    }
}

impl From<DelaySeconds> for u32 {
    fn from(delay: DelaySeconds) -> Self {
        delay.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64, nanos: i32) -> Timestamp {
        Timestamp::new(second, nanos).unwrap()
    }

    #[test]
    fn clamps_into_the_sqs_range() {
        let cases = [
            (0, 1),
            (1, 1),
            (30, 30),
            (900, 900),
            (901, 900),
            (u64::MAX, 900),
        ];
        for (seconds, expected) in cases {
            assert_eq!(DelaySeconds::clamped(seconds).get(), expected, "{seconds}");
        }
    }

    #[test]
    fn until_rounds_up_and_never_reaches_zero() {
        let now = at(1_000, 0);
        let cases = [
            (at(1_010, 0), 10),
            (at(1_010, 1), 11),
            (at(1_000, 500), 1),
            (at(1_000, 0), 1),
            (at(900, 0), 1),
            (at(5_000, 0), 900),
        ];
        for (deadline, expected) in cases {
            assert_eq!(
                DelaySeconds::until(now, deadline).get(),
                expected,
                "{deadline}"
            );
        }
    }

    #[test]
    fn deserialising_rejects_out_of_range_delays() {
        assert!(serde_json::from_str::<DelaySeconds>("0").is_err());
        assert!(serde_json::from_str::<DelaySeconds>("901").is_err());
        assert_eq!(
            serde_json::from_str::<DelaySeconds>("900").unwrap().get(),
            900
        );
    }
}
