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

use engine::{
    Event, Execution, Input, ResolutionOutcome, ResolvedTarget, ServerId, WaveResolution,
};

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

/// `request` started at `now` and its servers resolved to the IDs its plan lists (tag
/// selections find nothing): the state the starter leaves, its first wave begun.
///
/// # Errors
/// What the engine refuses: the request or the resolution (a test's mistake).
pub fn started_as_listed(
    request: engine::ExecutionRequest,
    now: jiff::Timestamp,
) -> Result<Execution, engine::EngineError> {
    let state = engine::start(request, now)?.state;
    let plan = &state.plan;
    let waves = plan
        .waves
        .iter()
        .enumerate()
        .map(|(wave, spec)| WaveResolution {
            wave,
            outcome: ResolutionOutcome::Resolved {
                targets: vec![ResolvedTarget {
                    target: None,
                    servers: spec
                        .groups
                        .iter()
                        .flat_map(|group| &plan.protection_groups[group].servers)
                        .map(|id| ServerId::new(id.as_str()))
                        .collect(),
                }],
            },
        })
        .collect();
    let input = Input::new(state.id.clone(), Event::ServersResolved { waves });
    Ok(engine::decide(state, input, now)?.state)
}

/// Locks `mutex`, even if a panicking test poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
