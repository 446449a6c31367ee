//! A clock that moves only when told.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use super::lock;
use crate::ports::Clock;

/// The time, as the test sets it.
#[derive(Debug)]
pub struct FakeClock(Mutex<Timestamp>);

impl FakeClock {
    /// 2024-01-01T00:00:00Z: where every fake cloud starts.
    pub const START_SECOND: i64 = 1_704_067_200;

    /// A clock at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self(Mutex::new(now))
    }

    /// A clock at [`Self::START_SECOND`].
    pub fn at_start() -> Self {
        Self::new(Timestamp::from_second(Self::START_SECOND).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    /// Sets the time (never backwards).
    pub fn set(&self, at: Timestamp) {
        let mut now = lock(&self.0);
        if at > *now {
            *now = at;
        }
    }

    /// Moves the time `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        let mut now = lock(&self.0);
        *now = now
            .saturating_add(SignedDuration::from_secs(seconds))
            .unwrap_or(*now);
    }

    /// Seconds since [`Self::START_SECOND`].
    pub fn elapsed_seconds(&self) -> i64 {
        lock(&self.0).as_second() - Self::START_SECOND
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        Self::at_start()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}
