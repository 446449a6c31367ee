//! `make bench`: the pipeline's performance figures (issue 4 §5, docs/performance.md).
//!
//! The benchmark program (`benches/pipeline.rs`) runs plans of `fixtures/` through the local
//! stack (moto, drs-sim, the real handlers, queues and tables) at a high time scale and
//! measures:
//!
//! - [`transitions`]: the simulated time from a wave's last terminal server to the next
//!   wave's `StartRecovery`, from drs-sim's own records;
//! - [`moto_front`]: every AWS request by operation, counted in front of moto (which also
//!   stands in for moto's slow EventBridge rule delivery);
//! - [`counting`]: the handlers' DynamoDB and SQS calls by purpose (their ports wrapped in
//!   counters); DRS calls come from drs-sim's counters, Lambda invocations from the pollers;
//! - [`handler_timing`]: handler latency, from the handlers' tracing spans;
//! - [`baseline`]: what the AWS sample's fixed 30 s poll would have called for the same waves;
//! - [`lambda_memory`]: the peak RSS of each Lambda binary serving one batch through a
//!   Lambda Runtime API stand-in.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod baseline;
pub mod counting;
pub mod drill;
pub mod error;
pub mod fixtures;
pub mod handler_timing;
pub mod lambda_memory;
pub mod moto_front;
pub mod runtime_api;
pub mod stats;
pub mod table;
pub mod transitions;

pub use error::BenchError;
