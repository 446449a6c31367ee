//! The handlers' clock in a rehearsal: drs-sim's simulated clock, so that the engine's
//! deadlines, delays and the report's timings are in the same time as DRS's jobs.

use std::fmt;

use drs_sim::SimControl;
use jiff::Timestamp;
use pipeline::ports::Clock;

/// [`Clock`] reading drs-sim's simulated time.
#[derive(Clone)]
pub struct SimulatedClock {
    control: SimControl,
}

impl SimulatedClock {
    /// The clock of the drs-sim controlled by `control`.
    pub fn new(control: SimControl) -> Self {
        Self { control }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        self.control.now()
    }
}

impl fmt::Debug for SimulatedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatedClock").finish_non_exhaustive()
    }
}
