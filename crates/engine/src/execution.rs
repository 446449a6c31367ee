//! The state of one execution: everything the engine decides from and the report reads.
//!
//! [`Execution`] is plain data (`Serialize + Deserialize + Clone + PartialEq`): it is stored
//! between Lambda invocations and changed only by [`crate::decide`].

use std::fmt;

use jiff::Timestamp;
use plan::Plan;
use serde::{Deserialize, Serialize};

use crate::action::{ActionPhase, ActionRun};
use crate::backoff::Backoff;
use crate::chunk::Chunk;
use crate::drs::{JobStatus, LaunchStatus};
use crate::hint::Hints;
use crate::id::{Attempt, ExecutionId, JobId, ServerId, Token, WaveIndex};
use crate::input::{ExecutionRequest, PlanSource, ResolvedTarget};
use crate::limits::Limits;
pub use crate::mode::Mode;
use crate::timer::Timer;

/// Whether `plan` runs one execution at a time (see [`Execution::holds_its_plan`]).
pub fn runs_one_at_a_time(plan: &Plan) -> bool {
    !plan.allow_concurrent_executions
}

/// A new execution refused because another of its plan runs (see
/// [`Execution::blocks_its_plan`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "plan `{plan}` has a live execution, `{execution}` ({status}, {mode} requested by \
     {requested_by} at {requested_at}): a plan runs one execution at a time unless it sets \
     `allow_concurrent_executions: true`; wait for it to end, or cancel it"
)]
pub struct PlanBusy {
    /// The plan.
    pub plan: String,
    /// Its live execution.
    pub execution: ExecutionId,
    /// Where that one stands.
    pub status: ExecutionStatus,
    /// Drill or recovery.
    pub mode: Mode,
    /// Who requested it.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
}

/// Where an execution stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Waves are running.
    Running,
    /// Paused before a wave until someone approves it.
    AwaitingApproval,
    /// Every wave succeeded.
    Completed,
    /// A wave failed; no later wave was started.
    Failed,
    /// A wave passed its deadline; no later wave was started.
    TimedOut,
    /// Someone cancelled it; no later wave was started.
    Cancelled,
}

impl ExecutionStatus {
    /// Whether the execution is over: nothing changes it any more.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Running | Self::AwaitingApproval)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Running => "RUNNING",
            Self::AwaitingApproval => "AWAITING_APPROVAL",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Cancelled => "CANCELLED",
        })
    }
}

/// Who cancelled an execution, why and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Who asked.
    pub by: String,
    /// Why, in their words.
    pub reason: String,
    /// When the engine took it.
    pub at: Timestamp,
}

/// One execution of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Its ID.
    pub id: ExecutionId,
    /// The plan as it was when the execution was requested.
    pub plan: Plan,
    /// Drill or recovery.
    pub mode: Mode,
    /// The quotas it keeps within.
    pub limits: Limits,
    /// Who requested it.
    pub requested_by: String,
    /// When it was requested.
    pub requested_at: Timestamp,
    /// Where it stands.
    pub status: ExecutionStatus,
    /// When it ended, once terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Set when it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<Cancellation>,
    /// The wave in progress, or the last one that ran once terminal.
    pub current_wave: WaveIndex,
    /// One entry per plan wave, in order.
    pub waves: Vec<WaveState>,
}

/// The step a wave is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WavePhase {
    /// Not reached yet.
    Pending,
    /// `pause_before`: waiting for an approval.
    AwaitingApproval,
    /// Running pre-action `index`.
    PreAction {
        /// Position in `pre_actions`.
        index: usize,
    },
    /// Starting jobs and watching them.
    Launching,
    /// Every job terminal; waiting for the advancer.
    LaunchEnded,
    /// Running post-action `index`.
    PostAction {
        /// Position in `post_actions`.
        index: usize,
    },
    /// Over.
    Ended {
        /// How it ended.
        outcome: WaveOutcome,
    },
}

impl WavePhase {
    /// Whether the wave's deadline is in force: from its start until its launch ended.
    pub fn has_deadline(self) -> bool {
        matches!(self, Self::PreAction { .. } | Self::Launching)
    }
}

/// How a wave ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaveOutcome {
    /// Every server launched (or only optional ones failed) and every action succeeded.
    Succeeded,
    /// A critical server failed, an action failed, or the wave could not be started.
    Failed,
    /// The wave passed its deadline.
    TimedOut,
    /// The execution was cancelled during the wave.
    Cancelled,
}

/// Why a wave failed (the first reason; the servers tell the rest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum WaveFailure {
    /// The groups could not be resolved to source servers.
    ResolutionFailed {
        /// What the resolver said.
        message: String,
    },
    /// The groups resolved to no source server at all.
    NoServers,
    /// Every server the groups resolved to belongs to an earlier wave (see
    /// [`SkippedServer`]): the wave has nothing of its own to launch.
    OnlyEarlierWavesServers {
        /// The servers, sorted.
        servers: Vec<ServerId>,
    },
    /// DRS rejected a `StartRecovery` request as invalid.
    StartRejected {
        /// The rejected chunk.
        chunk: usize,
        /// What DRS said.
        message: String,
    },
    /// A server not in `optional_servers` failed to launch.
    CriticalServer {
        /// The server.
        server: ServerId,
        /// What DRS reported for it.
        status: LaunchStatus,
    },
    /// A pre- or post-action failed.
    Action {
        /// Before or after the launch.
        phase: ActionPhase,
        /// Which action.
        index: usize,
        /// What went wrong.
        message: String,
    },
}

impl fmt::Display for WaveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResolutionFailed { message } => {
                write!(f, "the wave's servers could not be resolved: {message}")
            }
            Self::NoServers => f.write_str("the wave's groups match no source server"),
            Self::OnlyEarlierWavesServers { servers } => {
                let servers: Vec<&str> = servers.iter().map(ServerId::as_str).collect();
                write!(
                    f,
                    "every server the wave's groups select belongs to an earlier wave: {}",
                    servers.join(", ")
                )
            }
            Self::StartRejected { chunk, message } => {
                write!(f, "DRS rejected the start of chunk {chunk}: {message}")
            }
            Self::CriticalServer { server, status } => {
                write!(f, "critical server {server} did not launch ({status})")
            }
            Self::Action {
                phase,
                index,
                message,
            } => write!(f, "{phase}-action {index} failed: {message}"),
        }
    }
}

/// One wave of one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveState {
    /// The step it is at.
    pub phase: WavePhase,
    /// 1 for its first run; 0 until it starts.
    pub attempt: Attempt,
    /// When approval was asked for (`pause_before` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_requested_at: Option<Timestamp>,
    /// Who approved it and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// When it started (after any approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When its launch must be over: start + the wave's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// When its servers were resolved and the first jobs requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_started_at: Option<Timestamp>,
    /// When every job was seen terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_ended_at: Option<Timestamp>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Why it fails or failed; set as soon as the failure is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<WaveFailure>,
    /// Runs of its pre- and post-actions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionRun>,
    /// The servers its groups selected when the execution started, per target; `None` until
    /// they are resolved ([`crate::selection`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<ResolvedTarget>>,
    /// Its servers, sorted by ID.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerState>,
    /// Servers its groups selected that an earlier wave owns, sorted by ID: not started again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_servers: Vec<SkippedServer>,
    /// Its `StartRecovery` requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) chunks: Vec<Chunk>,
    /// Its DRS jobs, in the order they became known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobRecord>,
    /// The check chain.
    #[serde(default)]
    pub(crate) check: Timer,
    /// The start-retry chain.
    #[serde(default)]
    pub(crate) retry: Timer,
    /// Growing delays of the start-retry chain.
    #[serde(default)]
    pub(crate) backoff: Backoff,
    /// What DRS launch events reported (hints that time the checks, never the truth).
    #[serde(default)]
    pub hints: Hints,
}

/// Who approved a paused wave, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// One source server of a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerState {
    /// Its ID.
    pub id: ServerId,
    /// Its plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Listed in the wave's `optional_servers`: its failure does not fail the wave.
    pub optional: bool,
    /// The chunk it is requested in.
    pub chunk: usize,
    /// The last launch status DRS reported (never moving backwards).
    pub launch_status: LaunchStatus,
    /// The job launching it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// The recovery instance DRS launched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_instance_id: Option<String>,
    /// When its job became known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it was first seen launched or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// Why it counts as failed when DRS gave no failure status of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A server a wave's groups selected although an earlier wave of the execution already has it
/// (typically a tag selection overlapping an earlier wave's servers).
///
/// The earlier wave owns it and the later wave leaves it out: starting it again would make DRS
/// launch a new instance for it, replacing (in a recovery: a second production copy of) the one
/// the earlier wave launched and the later waves were ordered to depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedServer {
    /// The source server.
    pub id: ServerId,
    /// Its plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The earlier wave that has it.
    pub owner_wave: WaveIndex,
}

/// One DRS job of a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Its ID.
    pub id: JobId,
    /// Its plan target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The chunks whose servers it launches (one, unless an adopted job covered several).
    pub chunks: Vec<usize>,
    /// The furthest status seen.
    pub status: JobStatus,
    /// Started by someone else and adopted after a conflict.
    pub adopted: bool,
    /// When it became known.
    pub started_at: Timestamp,
    /// When it was first seen `COMPLETED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// When DRS says it ended (`endDateTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

impl WaveState {
    /// A wave not reached yet.
    pub fn pending() -> Self {
        Self {
            phase: WavePhase::Pending,
            attempt: 0,
            approval_requested_at: None,
            approval: None,
            started_at: None,
            deadline: None,
            launch_started_at: None,
            launch_ended_at: None,
            ended_at: None,
            failure: None,
            actions: Vec::new(),
            selection: None,
            servers: Vec::new(),
            skipped_servers: Vec::new(),
            chunks: Vec::new(),
            jobs: Vec::new(),
            check: Timer::default(),
            retry: Timer::default(),
            backoff: Backoff::default(),
            hints: Hints::default(),
        }
    }

    /// Its `StartRecovery` requests, in order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The token of the live check message, if one is scheduled.
    pub fn live_check(&self) -> Option<Token> {
        self.check.pending.map(|p| p.token)
    }

    /// When the live check message is due, if one is scheduled.
    pub fn check_due_at(&self) -> Option<Timestamp> {
        self.check.due_at()
    }

    /// The last check token handed out (0 before the first): a check message carrying a
    /// later one was sent by a decision whose save is not visible yet.
    pub fn last_check_token(&self) -> Token {
        Token(self.check.issued)
    }

    /// The token of the live start-retry message, if one is scheduled.
    pub fn live_retry(&self) -> Option<Token> {
        self.retry.pending.map(|p| p.token)
    }

    /// The server `id`, if it is in this wave.
    pub fn server(&self, id: &ServerId) -> Option<&ServerState> {
        self.servers
            .binary_search_by(|s| s.id.cmp(id))
            .ok()
            .and_then(|i| self.servers.get(i))
    }

    pub(crate) fn server_mut(&mut self, id: &ServerId) -> Option<&mut ServerState> {
        let index = self.servers.binary_search_by(|s| s.id.cmp(id)).ok()?;
        self.servers.get_mut(index)
    }

    /// The job `id`, if it is one of this wave's.
    pub fn job(&self, id: &JobId) -> Option<&JobRecord> {
        self.jobs.iter().find(|j| &j.id == id)
    }

    pub(crate) fn job_mut(&mut self, id: &JobId) -> Option<&mut JobRecord> {
        self.jobs.iter_mut().find(|j| &j.id == id)
    }

    /// The jobs a check should describe: those not seen `COMPLETED` yet, sorted.
    pub fn jobs_to_observe(&self) -> Vec<JobId> {
        let mut ids: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|j| j.status != JobStatus::Completed)
            .map(|j| j.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl Execution {
    /// A new execution of `request`, before its first wave starts.
    pub(crate) fn new(request: ExecutionRequest, now: Timestamp) -> Self {
        let waves = request
            .plan
            .waves
            .iter()
            .map(|_| WaveState::pending())
            .collect();
        Self {
            id: request.execution_id,
            plan: request.plan,
            mode: request.mode,
            limits: request.limits,
            requested_by: request.requested_by,
            requested_at: now,
            status: ExecutionStatus::Running,
            ended_at: None,
            cancellation: None,
            current_wave: 0,
            waves,
        }
    }

    /// The plan's name for wave `wave` (empty for a wave the plan does not have).
    pub fn wave_name(&self, wave: WaveIndex) -> &str {
        self.plan.waves.get(wave).map_or("", |w| w.name.as_str())
    }

    /// Sets a running execution's status from its current wave's phase: the status is
    /// stored (executions are listed by it) but only a final status is ever decided.
    pub(crate) fn refresh_status(&mut self) {
        if self.status.is_terminal() {
            return;
        }
        let awaiting = self
            .current()
            .is_some_and(|wave| wave.phase == WavePhase::AwaitingApproval);
        self.status = if awaiting {
            ExecutionStatus::AwaitingApproval
        } else {
            ExecutionStatus::Running
        };
    }

    /// Whether this execution holds its plan while it runs: a plan runs one execution at a
    /// time unless it says `allow_concurrent_executions: true` (native DRS recovery plans
    /// have the same rule). The store takes the hold atomically with the creation, and it is
    /// given back when the execution finishes.
    pub fn holds_its_plan(&self) -> bool {
        runs_one_at_a_time(&self.plan)
    }

    /// Whether this execution, found holding its plan, keeps another from starting: only
    /// while it runs (a hold left by a finished execution, whose release was lost with a
    /// crash, is stale and may be taken over).
    pub fn blocks_its_plan(&self) -> bool {
        self.holds_its_plan() && !self.is_terminal()
    }

    /// Why a new execution of this one's plan is refused, when this one [blocks
    /// it](Self::blocks_its_plan): the starter dead-letters the request with it, the API
    /// answers 409 with it.
    pub fn plan_busy(&self) -> Option<PlanBusy> {
        self.blocks_its_plan().then(|| PlanBusy {
            plan: self.plan.name.clone(),
            execution: self.id.clone(),
            status: self.status,
            mode: self.mode,
            requested_by: self.requested_by.clone(),
            requested_at: self.requested_at,
        })
    }

    /// Whether the execution is over.
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// Whether it waits for its servers to be resolved, before anything started.
    pub fn is_resolving(&self) -> bool {
        !self.is_terminal()
            && self.current_wave == 0
            && self
                .waves
                .first()
                .is_some_and(|first| first.attempt == 0 && first.selection.is_none())
    }

    /// The wave in progress (the last one that ran, once terminal).
    pub fn current(&self) -> Option<&WaveState> {
        self.waves.get(self.current_wave)
    }

    /// Whether a request of this execution's ID for `plan` in `mode` asks for this very
    /// execution (a redelivered message, a caller's retry) rather than reusing its ID for
    /// another. A stored plan is named: edited since, it is still the same request (the
    /// execution runs the snapshot it took); an inline plan is the whole plan. The
    /// deployment's limits are not part of a request.
    pub fn is_same_request(&self, mode: Mode, plan: &PlanSource) -> bool {
        self.mode == mode
            && match plan {
                PlanSource::Stored { plan_name } => self.plan.name == *plan_name,
                PlanSource::Inline { plan } => self.plan == *plan,
            }
    }
}
