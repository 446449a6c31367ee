//! In-memory fakes of every port, and [`FakeCloud`], which plays SQS (and DRS's clock) around
//! the real handlers.
//!
//! For the tests of this crate and of the crates that drive the handlers (the local runner,
//! the end-to-end tests). Every fake records what was asked of it and can be told to fail
//! ([`Faults`]).

mod actions;
mod approvals;
mod clock;
mod cloud;
mod drs;
mod executions;
mod faults;
mod ledger;
mod notifier;
mod plans;
mod queues;

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use actions::FakeActionRunner;
pub use approvals::FakeApprovals;
pub use clock::FakeClock;
pub use cloud::{Delivery, FakeCloud, Stuck};
pub use drs::{FakeDrs, FakeJob};
pub use executions::FakeExecutionStore;
pub use faults::Faults;
pub use ledger::FakeLedger;
pub use notifier::FakeNotifier;
pub use plans::FakePlanStore;
pub use queues::{DeadLetter, FakeQueues, SentMessage};

/// Locks `mutex`, even if a panicking test poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
