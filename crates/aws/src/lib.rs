//! The pipeline's ports on AWS (DESIGN.md §3, `.team/pipeline.md`).
//!
//! - [`api`]: [`api::ApiStores`], the adapters of the HTTP API (`pipeline::api`), for the
//!   `api` Lambda and drsctl.
//! - [`config`]: the orchestrator's [`config::AwsConfig`] (region, endpoint overrides for
//!   moto and drs-sim, credentials).
//! - [`credentials`]: per-target credentials (STS `AssumeRole`, cached until shortly before
//!   they expire) and the orchestrator's own account.
//! - [`drs`]: [`pipeline::ports::Drs`] on `aws-sdk-drs`.
//! - [`dynamodb`]: the executions, plans and job-ledger tables.
//! - [`sqs`]: [`pipeline::ports::Queues`] on SQS, plus receive/delete for the local runner.
//! - [`sns`]: [`pipeline::ports::Notifier`] on SNS.
//! - [`resources`]: the tables, queues and topic as plain data, and `create_all`.
//! - [`scheduler`]: scheduled drills as EventBridge Scheduler schedules (`drsctl schedule`).
//! - [`moto`]: a `moto_server` launcher for tests and the local stack.
//!
//! Every adapter maps AWS errors to [`pipeline::ports::PortError`]: `Transient` for what a
//! retry can fix (network, 5xx, throttling of a non-DRS service), `Permanent` otherwise.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod config;
pub mod credentials;
pub mod drs;
pub mod dynamodb;
pub mod moto;
pub mod resources;
pub mod scheduler;
pub mod sns;
pub mod sqs;
pub mod wiring;

mod sdk_error;

pub use api::ApiStores;
pub use config::{AwsConfig, AwsSettings, ConfigError, StaticCredentials};
pub use credentials::TargetCredentials;
pub use drs::{DrsAdapter, JobLogEntry};
pub use dynamodb::{ExecutionSummary, ExecutionTable, LedgerTable, PlanSummary, PlanTable};
pub use moto::{MotoError, MotoServer};
pub use resources::{CreatedResources, ResourceError, Resources, create_all};
pub use sns::SnsNotifier;
pub use sqs::{
    MissingQueues, QueueEndpoints, QueueRef, ReceiveOptions, ReceivedMessage, SqsQueues,
};
