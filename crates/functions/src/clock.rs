//! The handlers' clock in Lambda: the system clock.

use jiff::Timestamp;
use pipeline::ports::Clock;

/// [`Clock`] reading the system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
