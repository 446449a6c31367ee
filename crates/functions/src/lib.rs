//! The pipeline's Lambda functions (DESIGN.md §3): `starter`, `checker` and `advancer`,
//! each a thin `main` (`src/bin/*.rs`) calling [`function::run`] with its [`pipeline::Role`],
//! and `api` ([`http_api::run`]).
//!
//! Every function is run by [`runner::run`]: once per Lambda instance it installs JSON logs
//! ([`telemetry`]), reads the environment variables it uses ([`environment`], every missing or
//! invalid one named at once, with the function), builds its adapters ([`startup`]) — or
//! reports why not to the Runtime API ([`init_error`]) —, then serves events with its
//! [`runner::Handler`]:
//!
//! - the queue functions ([`function`]): SQS batches, records in ([`sqs_event`]),
//!   [`pipeline::process_batch`], failed message IDs out as `batchItemFailures`;
//! - the `api` function ([`http_api`]): API Gateway HTTP API events in,
//!   [`pipeline::api::handle`], payload 2.0 responses out.
//!
//! What this deployment does not do yet: pre- and post-wave actions fail with a message
//! saying so ([`actions`]); approvals are requested on the notification topic with the
//! message that approves ([`approvals`]).
//!
//! The environment contract and how to run the functions locally are in
//! `crates/functions/README.md`; sample events in `events/`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod actions;
pub mod approvals;
pub mod clock;
pub mod environment;
pub mod function;
pub mod http_api;
pub mod init_error;
pub mod runner;
pub mod sqs_event;
pub mod startup;
pub mod telemetry;
