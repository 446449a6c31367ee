//! Inputs: everything that can happen to an execution, as the Lambdas report it.

use jiff::Timestamp;
use plan::Plan;
use serde::{Deserialize, Serialize};

use crate::action::{ActionPhase, ActionResult};
use crate::drs::{JobStatus, LaunchStatus};
use crate::execution::Mode;
use crate::id::{Attempt, ExecutionId, JobId, ServerId, StartRequestId, Token, WaveIndex};
use crate::limits::Limits;

/// Something that happened to execution `execution_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The execution it concerns; must be the state's.
    pub execution_id: ExecutionId,
    /// What happened.
    pub event: Event,
}

impl Input {
    /// `event` for execution `execution_id`.
    pub fn new(execution_id: impl Into<ExecutionId>, event: Event) -> Self {
        Self {
            execution_id: execution_id.into(),
            event,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The execution was requested again (a redelivery, a caller's retry: the first request
    /// goes to [`crate::start`]). It must be the same request
    /// ([`crate::Execution::is_same_request`]).
    ExecutionRequested {
        /// Drill or recovery.
        mode: Mode,
        /// The plan it names.
        plan: PlanSource,
    },
    /// Every wave's groups were resolved to source servers (the answer to
    /// [`crate::Command::ResolveServers`]).
    ServersResolved {
        /// One entry per wave of the plan.
        waves: Vec<WaveResolution>,
    },
    /// DRS accepted a `StartRecovery` request and returned its job.
    JobStarted {
        /// The request it answers.
        request: StartRequestId,
        /// The new job.
        job_id: JobId,
    },
    /// DRS rejected a `StartRecovery` request.
    StartRejected {
        /// The request it answers.
        request: StartRequestId,
        /// Why.
        rejection: Rejection,
    },
    /// A check message of the wave came due: with the `DescribeJobs` snapshot of its jobs
    /// when it was the live check (see [`crate::check::Arrival`]).
    Check(Observation),
    /// DRS announced that a server's launch ended (an EventBridge "Launch Result" event).
    /// Not trusted as truth: a hint that times the checks ([`crate::hint`]).
    LaunchResult(LaunchEvent),
    /// The advance message: the wave's launch ended; move on.
    Advance {
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
    },
    /// A pre- or post-action ended.
    ActionFinished {
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
        /// Before or after the launch.
        phase: ActionPhase,
        /// Position in the wave's `pre_actions` or `post_actions`.
        index: usize,
        /// How it ended.
        result: ActionResult,
    },
    /// Someone approved a paused wave.
    ApprovalGiven {
        /// The wave.
        wave: WaveIndex,
        /// Who approved.
        by: String,
    },
    /// Someone asked to cancel the execution.
    CancelRequested {
        /// Who asked.
        by: String,
        /// Why.
        reason: String,
    },
    /// A delayed start-retry message came due.
    RetryStart {
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
        /// The token it carries.
        token: Token,
    },
    /// A Lambda was asked for work another Lambda owns (a resolution, a start, an action...)
    /// and forwarded it: carry on with what the wave waits on, as a redelivered message
    /// would. Nothing happens once the wave is past that attempt.
    Resume {
        /// The wave.
        wave: WaveIndex,
        /// Its attempt (0 for a wave still awaiting its approval).
        attempt: Attempt,
    },
}

/// Where the plan of a new execution comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlanSource {
    /// A plan stored in the plans table, by name.
    Stored {
        /// The plan's name.
        plan_name: String,
    },
    /// A plan given whole (validated before anything starts).
    Inline {
        /// The plan.
        plan: Plan,
    },
}

/// A request to run a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRequest {
    /// The new execution's ID.
    pub execution_id: ExecutionId,
    /// The plan to run (a snapshot: later edits of the plan do not affect the execution).
    pub plan: Plan,
    /// Drill or recovery.
    pub mode: Mode,
    /// Quotas to respect; AWS's defaults when omitted.
    #[serde(default)]
    pub limits: Limits,
    /// Who asked (user, schedule, CLI).
    pub requested_by: String,
}

/// What resolving one wave's groups found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveResolution {
    /// The wave.
    pub wave: WaveIndex,
    /// The servers, or why they could not be resolved.
    pub outcome: ResolutionOutcome,
}

/// The servers a wave's groups select, or why they could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResolutionOutcome {
    /// The servers found, per target.
    Resolved {
        /// One entry per target the wave's groups use.
        targets: Vec<ResolvedTarget>,
    },
    /// The groups cannot be resolved (an unknown server ID, a target that denies access...).
    Failed {
        /// What went wrong, with the target.
        message: String,
    },
}

/// The source servers found in one target for a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedTarget {
    /// Plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The servers.
    pub servers: Vec<ServerId>,
}

/// Why DRS rejected a `StartRecovery` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    /// `ThrottlingException` (429): retried after a backoff.
    Throttled {
        /// DRS's `Retry-After`, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_seconds: Option<u32>,
    },
    /// `ServiceQuotaExceededException` (402): retried after a backoff.
    QuotaExceeded,
    /// `ConflictException` (409): a server already has an active job.
    Conflict {
        /// The running job, if the adapter found it with `DescribeJobs`: it is adopted.
        /// Without it, the request is retried after a backoff.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        running_job: Option<JobId>,
    },
    /// `ValidationException`: the request can never succeed; the wave fails.
    Validation {
        /// What DRS said.
        message: String,
    },
}

/// A `DescribeJobs` snapshot of a wave's jobs, taken for one check message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The wave.
    pub wave: WaveIndex,
    /// Its attempt.
    pub attempt: Attempt,
    /// The token of the check message that asked for it (launch events do not describe the
    /// jobs: they pull the live check in, see [`crate::hint`]).
    pub token: Token,
    /// The jobs as DRS reports them (jobs not of this wave are ignored).
    pub jobs: Vec<JobSnapshot>,
}

/// One job as `DescribeJobs` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSnapshot {
    /// The job.
    pub job_id: JobId,
    /// Its status.
    pub status: JobStatus,
    /// Its `endDateTime`, once DRS has one: tells whether a job seen after the wave's
    /// deadline had ended before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Its `participatingServers`.
    pub servers: Vec<ServerSnapshot>,
}

/// One participating server of a job snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSnapshot {
    /// The source server.
    pub server_id: ServerId,
    /// Its `launchStatus`.
    pub launch_status: LaunchStatus,
    /// Its `recoveryInstanceID`, once DRS has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_instance_id: Option<String>,
}

/// A DRS "Source Server Launch Result" event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchEvent {
    /// `detail.job-id`.
    pub job_id: JobId,
    /// The source server, from the event's `resources` ARN.
    pub server_id: ServerId,
    /// `detail.state`.
    pub result: LaunchResult,
}

/// `RECOVERY_LAUNCH_SUCCEEDED` or `RECOVERY_LAUNCH_FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchResult {
    /// `RECOVERY_LAUNCH_SUCCEEDED`.
    Succeeded,
    /// `RECOVERY_LAUNCH_FAILED`.
    Failed,
}
