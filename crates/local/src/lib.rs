//! The pipeline on one machine (DESIGN.md §7, issue 4 §3): moto and drs-sim play AWS's part,
//! pollers play Lambda's event source mappings, and the real handlers of [`pipeline`] run
//! in-process on the real adapters of [`aws_adapters`].
//!
//! [`LocalStack::start`]:
//!
//! 1. starts `moto_server` ([`aws_adapters::MotoServer`]) or connects to a given endpoint;
//! 2. takes an identity in the scenario's account from moto's STS (so the orchestrator's
//!    queues and rules live in the account where drs-sim sends its events);
//! 3. starts drs-sim in-process with the scenario, its clock at the chosen time scale, its
//!    Launch Result events sent to moto's EventBridge;
//! 4. creates the tables, queues (with their DLQs) and topic of [`aws_adapters::Resources`]
//!    and an EventBridge rule (`source: aws.drs`, `detail-type: DRS Source Server Launch
//!    Result`) whose target is the check queue, as the SAM template does in AWS;
//! 5. builds the handlers' [`pipeline::Deps`] through [`aws_adapters::wiring`], as the
//!    Lambdas do, with local stand-ins for what is not AWS: the
//!    clock is drs-sim's simulated clock ([`SimulatedClock`]), queue delays are divided by
//!    the time scale, actions succeed after a simulated duration ([`SimulatedActions`]),
//!    approvals are given at once or never ([`RehearsalApprovals`]), notifications are
//!    recorded ([`RecordingNotifier`]) and also published to the SNS topic;
//! 6. runs one [`EventSourceMapping`] per queue: receive up to 10 messages, call
//!    [`pipeline::process_batch`], delete the successes, let the failures reappear after the
//!    (time-scaled) visibility timeout. Moto moves a message to the DLQ itself once it has
//!    been received `maxReceiveCount` times (see [`esm`]).
//!
//! Then [`LocalStack::start_execution`] sends a `StartExecution` message and
//! [`LocalStack::watch`] follows the execution until it ends. [`LocalStack::shutdown`] stops
//! the pollers, drs-sim and moto; dropping the stack stops them too (pollers aborted, moto
//! killed, drs-sim told to stop).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use local_stack::{LocalOptions, LocalStack, WatchOptions};
//!
//! let scenario = drs_sim::Scenario::from_file("examples/scenarios/three-tier.yaml".as_ref())?;
//! let plan = plan::parse(&std::fs::read_to_string("examples/plans/billing.yaml")?)?;
//! let stack = LocalStack::start(LocalOptions::new(scenario)).await?;
//! let id = stack.start_drill(&plan).await?;
//! let ending = stack.watch(&id, WatchOptions::default(), |_execution| {}).await?;
//! println!("{:?}", ending.execution().map(|e| e.status));
//! stack.shutdown().await;
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod actions;
pub mod approvals;
pub mod clock;
pub mod error;
pub mod esm;
pub mod event_rule;
mod identity;
pub mod notifications;
pub mod options;
pub mod stack;
pub mod watch;

pub use actions::{ActionFailure, ActionRecord, ActionSettings, SimulatedActions};
pub use approvals::{ApprovalPolicy, RehearsalApprovals};
pub use clock::SimulatedClock;
pub use error::LocalError;
pub use esm::{EventSourceMapping, PollerCounts, PollerSettings, PollerStats};
pub use notifications::{NotificationLog, NotificationRecord, RecordingNotifier};
pub use options::{DepsLayer, LocalOptions, MotoSource};
pub use stack::LocalStack;
pub use watch::{Ending, Observed, WatchOptions};
