//! Ports: what the handlers need from the world, as small traits.
//!
//! `crates/aws` implements them against AWS (and so against moto and drs-sim); the handler
//! tests implement them in memory. Handlers receive them in [`crate::Deps`] and never build
//! a client themselves.
//!
//! Errors: every port returns [`PortError`]. `Transient` means "try again later": the handler
//! fails the SQS record and SQS redelivers it. Anything the engine must decide about (a DRS
//! rejection, an exhausted budget, an unknown server) is a value, not an error.

use async_trait::async_trait;
use engine::{
    ActionResult, Execution, ExecutionId, ExecutionStatus, JobId, JobSnapshot, Limits, Mode,
    Notification, Rejection, RunAction, StartRecovery, StartRequestId, TargetSelection, WaveIndex,
};
pub use engine::{Claim, ReleaseReason, Resolution};
use jiff::Timestamp;
use plan::{Plan, Target};

use crate::message::{Message, QueueName};

/// A failure of a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// Worth retrying (network, throttling of a non-DRS service, a timeout...).
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help (access denied, a missing table...): the message goes to the
    /// DLQ after its retries, with this reason logged.
    #[error("{0}")]
    Permanent(String),
}

/// The result of every port call.
pub type PortResult<T> = Result<T, PortError>;

/// The optimistic-concurrency version of a stored execution.
pub type Version = u64;

/// Executions, saved with a conditional write on their version.
#[async_trait]
pub trait ExecutionStore: Send + Sync {
    /// Stores a new execution at version 1, taking its plan's hold in the same write when it
    /// [holds its plan](Execution::holds_its_plan).
    async fn create(&self, execution: &Execution) -> PortResult<Created>;
    /// The execution and its version, if it exists.
    async fn load(&self, id: &ExecutionId) -> PortResult<Option<(Execution, Version)>>;
    /// Saves `execution` if its stored version is still `expected`; returns the new version,
    /// or `Ok(None)` when someone else saved first (reload and decide again).
    async fn save(&self, execution: &Execution, expected: Version) -> PortResult<Option<Version>>;
    /// Gives back plan `plan_name`'s hold if `holder` has it; nothing otherwise (idempotent).
    async fn release_plan(&self, plan_name: &str, holder: &ExecutionId) -> PortResult<()>;

    /// The execution holding plan `plan_name`, if one does.
    async fn plan_holder(&self, plan_name: &str) -> PortResult<Option<ExecutionId>>;

    /// Records the drill cleanup deadline and instances (acted on by the cleanup feature).
    async fn record_cleanup(
        &self,
        id: &ExecutionId,
        cleanup: &engine::DrillCleanup,
    ) -> PortResult<()>;
    /// The executions of plan `plan_name`, newest first, at most `limit` (the HTTP API's
    /// listing). The handlers never list; a store made only for them (a test wrapper) may
    /// keep this default, which says it cannot.
    async fn list_by_plan(
        &self,
        plan_name: &str,
        limit: usize,
    ) -> PortResult<Vec<ExecutionSummary>> {
        let _ = (plan_name, limit);
        Err(unsupported(
            "this execution store",
            "list executions by plan",
        ))
    }
}

/// What creating an execution did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Stored at version 1 (holding its plan if it holds one).
    New,
    /// An execution with that ID exists already: nothing was written.
    Exists,
    /// The plan is held by this other execution: nothing was written.
    PlanHeld {
        /// The holder.
        by: ExecutionId,
    },
}

/// One execution as a listing shows it (without its waves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    /// Its ID.
    pub execution_id: ExecutionId,
    /// The plan's name.
    pub plan_name: String,
    /// Where it stands.
    pub status: ExecutionStatus,
    /// Drill or recovery.
    pub mode: Mode,
    /// Who requested it.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// Its stored version.
    pub version: Version,
}

/// A stored plan with who stored it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlan {
    /// The plan.
    pub plan: Plan,
    /// When it was last stored.
    pub updated_at: Timestamp,
    /// Who stored it (the caller's IAM principal ARN); empty when unknown.
    pub updated_by: String,
}

/// A stored plan, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// How many waves it has.
    pub waves: usize,
    /// When it was last stored.
    pub updated_at: Timestamp,
    /// Who stored it; empty when unknown.
    pub updated_by: String,
}

/// Whether a put created a plan or replaced one of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// No plan had that name.
    Created,
    /// A plan of that name was replaced.
    Replaced,
}

fn unsupported(store: &str, what: &str) -> PortError {
    PortError::Permanent(format!("{store} cannot {what}"))
}

/// Stored plans, by name.
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// The plan named `name`, if stored.
    async fn get(&self, name: &str) -> PortResult<Option<Plan>>;

    // The rest manages the stored plans (the HTTP API and drsctl); the handlers only read.
    // A store made only for the handlers (a test wrapper) may keep these defaults, which say
    // it cannot.

    /// The plan named `name` with who stored it and when, if stored.
    async fn describe(&self, name: &str) -> PortResult<Option<StoredPlan>> {
        let _ = name;
        Err(unsupported("this plan store", "describe plans"))
    }
    /// Stores `plan` under its name (replacing one of the same name). The caller has
    /// validated it.
    async fn put(
        &self,
        plan: &Plan,
        updated_at: Timestamp,
        updated_by: &str,
    ) -> PortResult<PutOutcome> {
        let _ = (plan, updated_at, updated_by);
        Err(unsupported("this plan store", "store plans"))
    }
    /// Every stored plan, sorted by name.
    async fn list(&self) -> PortResult<Vec<PlanSummary>> {
        Err(unsupported("this plan store", "list plans"))
    }
    /// Deletes the plan `name`; whether it existed.
    async fn delete(&self, name: &str) -> PortResult<bool> {
        let _ = name;
        Err(unsupported("this plan store", "delete plans"))
    }
}

/// Where a DRS call goes: a plan target, or the orchestrator's own account and region.
#[derive(Debug, Clone, Copy)]
pub struct TargetRef<'a> {
    /// The plan target's name; `None` is the orchestrator's own account and region.
    pub name: Option<&'a str>,
    /// Its definition (account, region, role to assume).
    pub target: Option<&'a Target>,
    /// The execution the call is made for: an assumed role's session is named after it, so
    /// the target account's CloudTrail ties each call to an execution. `None` for calls made
    /// for no execution (checks of a plan, tools).
    pub execution: Option<&'a ExecutionId>,
}

/// What became of a `StartRecovery` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAnswer {
    /// DRS runs (or already ran) the request as this job.
    Started(JobId),
    /// DRS said no; the engine decides what next.
    Rejected(Rejection),
}

/// AWS Elastic Disaster Recovery, in any target account and region.
#[async_trait]
pub trait Drs: Send + Sync {
    /// Resolves selectors in one target with one listing (all pages of
    /// `DescribeSourceServers`): one answer per selection, in order.
    async fn resolve(
        &self,
        target: TargetRef<'_>,
        selections: &[TargetSelection],
    ) -> PortResult<Vec<Resolution>>;
    /// Carries out one `StartRecovery` command: tags the job with the request ID; for a
    /// `reissue`, first looks for a job carrying that tag; on `ConflictException`, looks with
    /// `DescribeJobs` for a running job tagged with this request (a start that reached DRS
    /// before a crash) and answers `Rejected(Conflict { running_job: Some(job) })` to adopt it;
    /// any other conflicting job (someone else's) is `Conflict { running_job: None }`: back off.
    async fn start_recovery(
        &self,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> PortResult<StartAnswer>;
    /// One `DescribeJobs` call for up to 1000 jobs of one target.
    async fn describe_jobs(
        &self,
        target: TargetRef<'_>,
        jobs: &[JobId],
    ) -> PortResult<Vec<JobSnapshot>>;
}

/// A DRS account and region, the scope of DRS quotas shared by all executions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// 12-digit account ID.
    pub account_id: String,
    /// Region.
    pub region: String,
}

impl Scope {
    /// The account and region of a plan target.
    pub fn of(target: &Target) -> Self {
        Self {
            account_id: target.account_id.clone(),
            region: target.region.clone(),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.account_id, self.region)
    }
}

/// Who owns a DRS job (for launch-result events, which carry only the job ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOwner {
    /// The execution.
    pub execution_id: ExecutionId,
    /// The wave.
    pub wave: WaveIndex,
}

/// The job ledger: the DRS concurrent-job budget of each account+region, shared by every
/// execution, and the owner of each job.
#[async_trait]
pub trait JobLedger: Send + Sync {
    /// Claims one job of `servers` servers for `request` (idempotent per request).
    async fn claim(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        servers: u32,
        limits: &Limits,
    ) -> PortResult<Claim>;
    /// Records the job that `request` became, and its owner.
    async fn record_job(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        job: &JobId,
        owner: &JobOwner,
    ) -> PortResult<()>;
    /// Gives the claim of `request` back, for `reason` (kept: it decides whether a later
    /// claim of the request is granted or regranted). Idempotent.
    async fn release(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        reason: ReleaseReason,
    ) -> PortResult<()>;
    /// The owner of `job`, if recorded.
    async fn owner(&self, job: &JobId) -> PortResult<Option<JobOwner>>;
}

/// The pipeline's queues.
#[async_trait]
pub trait Queues: Send + Sync {
    /// Sends `message` to `queue`, delivered after `delay_seconds` (0..=900).
    async fn send(&self, queue: QueueName, message: &Message, delay_seconds: u32)
    -> PortResult<()>;
    /// Sends a body that cannot be processed to `queue`'s dead-letter queue, with the reason.
    async fn dead_letter(&self, queue: QueueName, body: &str, reason: &str) -> PortResult<()>;
}

/// Notifications to people (SNS).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes `notification` about `execution`.
    async fn notify(&self, execution: &Execution, notification: &Notification) -> PortResult<()>;
}

/// Pre- and post-wave actions (SSM Automation, Lambda).
#[async_trait]
pub trait ActionRunner: Send + Sync {
    /// Runs the action to its end (idempotent on `run.run_id`).
    async fn run(&self, execution: &Execution, run: &RunAction) -> PortResult<ActionResult>;
}

/// Approvals of paused waves.
#[async_trait]
pub trait Approvals: Send + Sync {
    /// Asks people to approve wave `wave` (the approval arrives later as a message).
    async fn request(&self, execution: &Execution, wave: WaveIndex) -> PortResult<()>;
}

/// The time. In Lambda the system clock; in a rehearsal drs-sim's simulated clock.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}
