//! Commands: what the engine asks the Lambdas to do after a decision.
//!
//! Every command is safe to carry out more than once: requests carry deterministic IDs, and
//! the ends of an execution are recorded idempotently by execution ID. Commands are carried
//! out after the save; the delayed messages and claim releases carried out before it are
//! [`crate::BeforeSave`] effects.

use std::collections::BTreeMap;

use jiff::Timestamp;
use plan::Action;
use serde::{Deserialize, Serialize};

use crate::action::ActionPhase;
use crate::drs::LaunchStatus;
use crate::execution::{ExecutionStatus, Mode, SkippedServer, WaveFailure, WaveOutcome};
use crate::id::{Attempt, JobId, ServerId, StartRequestId, WaveIndex};

/// Something to do after the save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Resolve every wave's groups to source servers, once, when the execution starts (one
    /// listing of each target serves all its waves); answer with `ServersResolved`.
    ResolveServers {
        /// Each wave's selectors, in wave order.
        waves: Vec<WaveSelection>,
    },
    /// Call `StartRecovery`; answer with `JobStarted` or `StartRejected`.
    StartRecovery(StartRecovery),
    /// Send the advance message: the wave's launch ended.
    Advance {
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
    },
    /// Run a pre- or post-action; answer with `ActionFinished`.
    RunAction(RunAction),
    /// Ask for an approval of a paused wave; answer with `ApprovalGiven`.
    RequestApproval {
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
    },
    /// Tell people.
    Notify(Notification),
    /// The execution ended: record its final status (and report), and give back its plan's
    /// hold if it has one ([`crate::Execution::holds_its_plan`]).
    Finish {
        /// The final status.
        status: ExecutionStatus,
    },
    /// Terminate the drill's recovery instances at `at`.
    ScheduleDrillCleanup(DrillCleanup),
}

/// The Lambda whose rights a command needs. Launching is the starter's alone (its role may
/// call `StartRecovery`); actions and approvals are the advancer's. Any other command is
/// carried out by whichever Lambda decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// Resolves servers and calls `StartRecovery`.
    Starter,
    /// Runs actions and asks for approvals.
    Advancer,
}

/// Who must carry out a command, and the wave attempt to name when handing it over: the
/// carrier is sent a `Resume` of that attempt and asks the engine again for what it waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Handover {
    /// The Lambda.
    pub carrier: Carrier,
    /// The wave.
    pub wave: WaveIndex,
    /// Its attempt (0 while the servers are resolved, or the wave awaits its approval).
    pub attempt: Attempt,
}

impl Command {
    /// Who must carry out this command; `None` when any Lambda may (the one that decided
    /// it does). The one place that says which Lambda does what.
    pub fn handover(&self) -> Option<Handover> {
        let (carrier, wave, attempt) = match self {
            // The execution's servers are resolved before its first wave starts.
            Command::ResolveServers { .. } => (Carrier::Starter, 0, 0),
            Command::StartRecovery(start) => {
                (Carrier::Starter, start.request.wave, start.request.attempt)
            }
            Command::RunAction(run) => (Carrier::Advancer, run.wave, run.attempt),
            // A wave awaiting its approval has not started: attempt 0.
            Command::RequestApproval { wave, .. } => (Carrier::Advancer, *wave, 0),
            Command::Advance { .. }
            | Command::Notify(_)
            | Command::Finish { .. }
            | Command::ScheduleDrillCleanup(_) => return None,
        };
        Some(Handover {
            carrier,
            wave,
            attempt,
        })
    }
}

/// One `StartRecovery` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRecovery {
    /// Idempotency key: tag the job with it.
    pub request: StartRequestId,
    /// Plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The source servers, sorted; never more than the per-job limit.
    pub servers: Vec<ServerId>,
    /// `isDrill`.
    pub is_drill: bool,
    /// This request may have reached DRS before (a retry or a re-issue after a crash): look
    /// for a job tagged with `request` before calling `StartRecovery` again.
    pub reissue: bool,
    /// When this request was first emitted: a job it started was created after it, so the
    /// adapter looks for that job among the jobs created since (`DescribeJobs` `fromDate`).
    pub first_requested_at: Timestamp,
}

/// One pre- or post-action to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunAction {
    /// The wave.
    pub wave: WaveIndex,
    /// Its attempt.
    pub attempt: Attempt,
    /// Before or after the launch.
    pub phase: ActionPhase,
    /// Position in the wave's `pre_actions` or `post_actions`.
    pub index: usize,
    /// What to run.
    pub action: Action,
    /// Idempotency key (`{execution}/{wave}/{attempt}/{phase}/{index}`): the same run may be
    /// asked for again after a crash.
    pub run_id: String,
}

/// Selectors of one wave's groups, per target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveSelection {
    /// The wave.
    pub wave: WaveIndex,
    /// Its groups' selectors, one entry per target.
    pub targets: Vec<TargetSelection>,
}

/// Selectors of a wave's groups in one target, for the resolver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSelection {
    /// Plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Server IDs the groups list, sorted; each must exist.
    pub server_ids: Vec<ServerId>,
    /// The groups' tag sets: a server carrying every tag of any one set is selected.
    pub tag_sets: Vec<BTreeMap<String, String>>,
}

/// What to tell people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notification", rename_all = "snake_case")]
pub enum Notification {
    /// The execution started.
    ExecutionStarted {
        /// The plan's name.
        plan: String,
        /// Drill or recovery.
        mode: Mode,
    },
    /// A wave is paused until someone approves it.
    ApprovalRequired {
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
    },
    /// A wave started.
    WaveStarted {
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
    },
    /// A wave's groups selected servers an earlier wave already has: they are left out of
    /// this wave (the plan's selections overlap and should be fixed).
    ServersSkipped {
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
        /// The servers left out, sorted by ID.
        servers: Vec<SkippedServer>,
    },
    /// A server failed to launch.
    ServerFailed {
        /// The wave.
        wave: WaveIndex,
        /// The server.
        server: ServerId,
        /// Not in `optional_servers`: the wave fails.
        critical: bool,
        /// What DRS reported.
        status: LaunchStatus,
    },
    /// A wave ended.
    WaveFinished {
        /// The wave.
        wave: WaveIndex,
        /// Its name.
        name: String,
        /// How it ended.
        outcome: WaveOutcome,
    },
    /// The execution was rejected before anything started: these waves' groups cannot run.
    SelectionRejected {
        /// The waves that cannot run, in order.
        waves: Vec<RejectedWave>,
    },
    /// The execution ended.
    ExecutionFinished {
        /// The final status.
        status: ExecutionStatus,
    },
}

/// A wave whose groups cannot run (see [`crate::selection`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedWave {
    /// The wave.
    pub wave: WaveIndex,
    /// Its name.
    pub name: String,
    /// Why it cannot run.
    pub failure: WaveFailure,
}

/// Drill instances to terminate once the drill is over and its cleanup delay has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillCleanup {
    /// When to terminate them.
    pub at: Timestamp,
    /// What to terminate, per target.
    pub targets: Vec<CleanupTarget>,
}

/// Drill instances of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupTarget {
    /// Plan target; `None` is the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Recovery instances known at the end, sorted.
    pub recovery_instance_ids: Vec<String>,
    /// The drill's jobs, sorted: instances launched after the end are found through them.
    pub job_ids: Vec<JobId>,
}
