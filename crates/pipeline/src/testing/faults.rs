//! Failures to inject into a fake: the next calls fail with these errors, in order.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::lock;
use crate::ports::PortError;

/// Errors the next calls of a fake return, one per call.
#[derive(Debug, Default)]
pub struct Faults(Mutex<VecDeque<PortError>>);

impl Faults {
    /// The next call fails with `error` (after those already queued).
    pub fn fail_next(&self, error: PortError) {
        lock(&self.0).push_back(error);
    }

    /// The next `count` calls fail with `error`.
    pub fn fail_next_n(&self, count: usize, error: PortError) {
        let mut queue = lock(&self.0);
        queue.extend(std::iter::repeat_n(error, count));
    }

    /// The error the current call must return, if any.
    pub fn take(&self) -> Option<PortError> {
        lock(&self.0).pop_front()
    }

    /// How many injected failures are still to come.
    pub fn pending(&self) -> usize {
        lock(&self.0).len()
    }
}
