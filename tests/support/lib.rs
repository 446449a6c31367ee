//! What the end-to-end cases share (see `tests/README.md`): one moto server per test binary,
//! the fixtures of `tests/fixtures/`, drs-sim's view of the jobs it ran, fault injectors for
//! the handlers' ports, and time limits that turn a hang into a failure with a message.
//!
//! Every case starts its own [`local_stack::LocalStack`] (its own drs-sim, tables, queues and
//! pollers, under a random resource prefix) on the shared moto, in its own DRS account
//! ([`fixtures::scenario`]), so that concurrent cases never see each other's events.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod faults;
pub mod fixtures;
pub mod limits;
pub mod moto;
pub mod sim_jobs;
pub mod stack;

pub use faults::{CrashAfterStartRecovery, FailFirstRecordJob, Injected};
pub use fixtures::{plan, scenario};
pub use limits::{finished, within};
pub use moto::shared_moto_endpoint;
pub use sim_jobs::{SimJob, SimServer, launch_jobs};
pub use stack::{run_drill, start_drill, start_stack, wait_for_end};
