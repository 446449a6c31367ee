//! The execution engine: every orchestration decision of drs-orchestrator, as a pure state
//! machine (DESIGN.md §3).
//!
//! The engine does no I/O, reads no clock and draws no random number. It is one function,
//!
//! ```text
//! decide(state, input, now) -> Decision { state, before_save, after_save }
//! ```
//!
//! in the style of `quinn-proto` and `raft-rs`: the time is an input, and what to do is an
//! output. Each Lambda drives it the same way:
//!
//! 1. **load** the [`Execution`] (with its version) — or, for a new request, call [`start`];
//! 2. **decide**: translate the message into an [`Input`] and call [`decide`];
//! 3. **carry out** the [`BeforeSave`] effects (delayed messages, ledger claims to give back),
//!    then **save** the new state with a conditional write on the version (on a conflict,
//!    reload and decide again: the engine recognises what was already done);
//! 4. **carry out** the [`Command`]s after the save, each by the Lambda
//!    [`Command::handover`] names: DRS calls, queue messages, notifications. Answers to
//!    commands (a job ID, a rejection, a `DescribeJobs` snapshot) are new inputs.
//!
//! Every rule the drivers need lives here too, so none restates one: what a claim answer
//! means ([`claim`]), whether a check is live ([`Execution::check_arrival`]), whether a
//! request is the one already taken ([`Execution::is_same_request`]), the recovery
//! confirmation ([`Mode::confirmed`]), who may approve ([`Execution::check_approval`]), and
//! how servers are selected ([`Resolution::select`]).
//!
//! # The model
//!
//! An execution first has every wave's groups resolved to source servers, once: a selection
//! that cannot run (a group matching nothing, an unknown server, an unreadable target) rejects
//! it before anything starts ([`selection`]). Then it runs the plan's waves in order. A wave may
//! pause for an approval, runs its pre-actions one at a time, launches its servers in chunks of
//! at most `servers_per_job` within a budget of concurrent jobs, is watched by a chain of
//! delayed checks until every job is `COMPLETED`, then hands over to the advancer, which runs
//! its post-actions and starts the next wave. See [`wave`] for the life of a wave,
//! [`launch`] for chunks and rejections, [`observation`] and [`check`] for the checks, and
//! [`hint`] for DRS launch events, which only time the checks.
//!
//! - **Success is per server.** A wave succeeds only when every job is `COMPLETED` and every
//!   server `LAUNCHED`, or each failed server is optional. A critical failure is notified at
//!   once, stops new starts, and fails the wave once its running jobs are terminal; the
//!   execution fails without starting another wave.
//! - **Deadlines.** A wave's deadline is its start (after any approval) plus its timeout,
//!   and covers its pre-actions and launch. No check is scheduled past it; any
//!   input arriving after it times the wave out — unless DRS's job end times show the launch
//!   had ended in time.
//! - **Duplicates are expected.** SQS delivers at least once and Lambdas crash. Every delayed
//!   message carries a token ([`timer`]), every request a deterministic ID, and what is known
//!   never moves backwards. A duplicate or stale input leaves the state unchanged.
//! - **Crash recovery.** A Lambda may die after saving and before carrying out its commands;
//!   SQS then redelivers its message, which is now a duplicate. A redelivered message (any
//!   input but the answers to commands, DRS events and approvals) therefore re-issues what
//!   the current wave still waits on: `StartRecovery` for chunks requested without an answer
//!   (same request IDs, `reissue: true`), the execution's resolution, the running action, the
//!   approval request, the advance; for a finished execution, its `Finish` and cleanup
//!   schedule. The check chain backs this up: a live check before the launch (and, while the
//!   servers are being resolved, the first wave's heartbeat) re-issues what the wave waits
//!   on, and during the launch re-issues starts unanswered for
//!   [`launch::STALLED_REQUEST_SECONDS`].
//!
//! # What the adapters must do
//!
//! - Tag each job with its [`StartRecovery::request`] ID; for a request marked `reissue`,
//!   look for a job carrying that tag before calling `StartRecovery` again, and answer with
//!   `JobStarted` if one exists. On `ConflictException`, find the running job with
//!   `DescribeJobs` and answer `Conflict { running_job }`: it is adopted.
//! - Carry out `RunAction` idempotently by its `run_id`, and `ScheduleDrillCleanup` and
//!   `Finish` idempotently by execution ID: they may be asked for again.
//! - Carry out [`Decision::before_save`] before the save, in order: a delayed message whose
//!   token is not live is ignored, so a chain never forks, and never dies with a crash; a claim
//!   given back twice is given back once. Everything else is carried out after the save.
//! - Notifications are emitted once and not repeated; keep them in an outbox with the state
//!   if losing one to a crash is not acceptable.
//! - Pass `endDateTime` of completed jobs ([`JobSnapshot::ended_at`]).
//!
//! # Example
//!
//! ```
//! use engine::{
//!     BeforeSave, Command, Event, ExecutionRequest, Input, Limits, Mode, ResolutionOutcome, ResolvedTarget,
//!     WaveResolution,
//! };
//! use jiff::Timestamp;
//!
//! let plan: plan::Plan = serde_json::from_str(r#"{
//!     "name": "billing",
//!     "protection_groups": { "db": { "servers": ["s-00000000000000001"] } },
//!     "waves": [ { "name": "database", "groups": ["db"] } ]
//! }"#)?;
//! let now: Timestamp = "2024-03-01T09:00:00Z".parse()?;
//!
//! // The starter receives a request: every wave's servers must be resolved first.
//! let request = ExecutionRequest {
//!     execution_id: "exec-1".into(),
//!     plan,
//!     mode: Mode::Drill,
//!     limits: Limits::default(),
//!     requested_by: "alice".into(),
//! };
//! let decision = engine::start(request, now)?;
//! let commands = &decision.after_save;
//! assert!(commands.iter().any(|c| matches!(c, Command::ResolveServers { waves } if waves.len() == 1)));
//! let state = decision.state;
//!
//! // It resolves them: the first wave starts, one StartRecovery request within the quota.
//! let servers = vec!["s-00000000000000001".into()];
//! let targets = vec![ResolvedTarget { target: None, servers }];
//! let outcome = ResolutionOutcome::Resolved { targets };
//! let resolved = Event::ServersResolved { waves: vec![WaveResolution { wave: 0, outcome }] };
//! let decision = engine::decide(state, Input::new("exec-1", resolved.clone()), now)?;
//! let start = decision.after_save.iter().find_map(|c| match c {
//!     Command::StartRecovery(start) => Some(start),
//!     _ => None,
//! });
//! assert_eq!(start.map(|s| s.request.to_string()).as_deref(), Some("exec-1/0/1/0"));
//! assert!(start.is_some_and(|s| s.is_drill));
//! // Its check chain begins: the first check is sent before the state is saved.
//! assert!(matches!(decision.before_save.as_slice(), [BeforeSave::Check(_)]));
//! let state = decision.state;
//!
//! // The same message redelivered changes nothing and asks again for the unanswered start.
//! let again = engine::decide(state.clone(), Input::new("exec-1", resolved), now)?;
//! assert_eq!(again.state, state);
//! assert!(matches!(again.after_save.as_slice(), [Command::StartRecovery(s)] if s.reissue));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod action;
pub mod admission;
pub mod approval;
pub mod backoff;
pub mod check;
mod chunk;
pub mod claim;
pub mod command;
mod decide;
pub mod decision;
pub mod delay;
pub mod drs;
pub mod error;
pub mod execution;
#[cfg(test)]
mod fixtures;
pub mod hint;
pub mod id;
pub mod input;
pub mod launch;
pub mod limits;
pub mod mode;
pub mod observation;
pub mod report;
pub mod selection;
mod timer;
pub mod wave;

pub use action::{ActionPhase, ActionResult, ActionRun};
pub use approval::ApprovalRefused;
pub use claim::{Claim, Claimed, ReleaseReason};
pub use command::{
    Carrier, CleanupTarget, Command, DrillCleanup, Handover, Notification, RejectedWave, RunAction,
    StartRecovery, TargetSelection, WaveSelection,
};
pub use decide::{decide, start};
pub use decision::{BeforeSave, ClaimRelease, Decision, Delayed};
pub use delay::DelaySeconds;
pub use drs::{JobStatus, LaunchStatus};
pub use error::EngineError;
pub use execution::{
    Approval, Cancellation, Execution, ExecutionStatus, JobRecord, PlanBusy, ServerState,
    SkippedServer, WaveFailure, WaveOutcome, WavePhase, WaveState, runs_one_at_a_time,
};
pub use hint::Hints;
pub use id::{Attempt, ExecutionId, JobId, ServerId, StartRequestId, Token, WaveIndex};
pub use input::{
    Event, ExecutionRequest, Input, JobSnapshot, LaunchEvent, LaunchResult, Observation,
    PlanSource, Rejection, ResolutionOutcome, ResolvedTarget, ServerSnapshot, WaveResolution,
};
pub use limits::Limits;
pub use mode::{ConfirmationMissing, Mode, RECOVERY_CONFIRMATION};
pub use report::{ExecutionReport, ServerOutcome, ServerReport, Totals, WaveReport, WaveStatus};
pub use selection::Resolution;
