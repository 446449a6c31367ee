//! The pipeline: the handlers of the starter, checker and advancer Lambdas (DESIGN.md §3).
//!
//! Each handler loads an execution, asks the [`engine`] to decide, saves the new state with a
//! conditional write, and carries out the commands through the [`ports`]. The same handlers
//! run in Lambda (`crates/functions/*`) and in the local runner (`drsctl rehearse`).
//!
//! - [`starter::handle_record`], [`checker::handle_record`], [`advancer::handle_record`]: one
//!   SQS message each; [`sqs::process_batch`] runs a batch and returns the failed message IDs
//!   for `ReportBatchItemFailures`.
//! - [`Deps`]: the ports and the deployment's [`Config`].
//! - [`role::Role`]: which Lambda carries out which command; the rest is forwarded to its
//!   owner with a [`message::Message::Resume`].
//! - [`api`]: the HTTP API (plans and executions), served by the `api` Lambda and by
//!   `drsctl` directly against the tables.
//! - `testing` (feature `testing`): in-memory fakes of every port and a player of SQS
//!   deliveries, for tests here and in the crates that drive the handlers.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod advancer;
pub mod api;
pub mod checker;
pub mod deps;
pub mod error;
mod executor;
pub mod launch_event;
pub mod message;
pub mod ports;
pub mod role;
pub mod sqs;
pub mod starter;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trigger;

pub use deps::{Config, Deps, InlinePlans};
pub use error::{Context, HandlerError};
pub use executor::{DESCRIBE_JOBS_MAX, MAX_ROUNDS, MAX_SAVE_ATTEMPTS};
pub use role::Role;
pub use sqs::{Record, process_batch};
