//! The execution report: what happened, per wave and per server, and whether the RTO was met.
//!
//! Built purely from the state, at any time (a running execution gives a progress report).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::drs::LaunchStatus;
use crate::execution::{
    Cancellation, Execution, ExecutionStatus, Mode, ServerState, SkippedServer, WaveOutcome,
    WavePhase, WaveState,
};
use crate::id::{Attempt, ExecutionId, JobId, ServerId, WaveIndex};

/// What happened in one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// The execution.
    pub execution_id: ExecutionId,
    /// The plan's name.
    pub plan: String,
    /// Drill or recovery.
    pub mode: Mode,
    /// Where it stands.
    pub status: ExecutionStatus,
    /// Who requested it.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// From request to end.
    pub duration_seconds: Option<i64>,
    /// Time spent waiting for approvals (not counted against the plan's RTO).
    pub approval_wait_seconds: i64,
    /// The plan's RTO.
    pub rto_minutes: Option<u32>,
    /// Completed within the plan's RTO (approval waits excluded); `None` while running or
    /// without an RTO.
    pub rto_met: Option<bool>,
    /// Who cancelled it, if someone did.
    pub cancellation: Option<Cancellation>,
    /// Per wave, in plan order.
    pub waves: Vec<WaveReport>,
    /// Counts over every wave.
    pub totals: Totals,
}

/// What happened in one wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveReport {
    /// Position in the plan.
    pub index: WaveIndex,
    /// Name.
    pub name: String,
    /// Where it stands.
    pub status: WaveStatus,
    /// Its attempt (0 if it never started).
    pub attempt: Attempt,
    /// Who approved it (`pause_before` waves).
    pub approved_by: Option<String>,
    /// When it started (after any approval).
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// From start to end.
    pub duration_seconds: Option<i64>,
    /// Its launch deadline.
    pub deadline: Option<Timestamp>,
    /// Its RTO.
    pub rto_minutes: Option<u32>,
    /// Succeeded within its RTO; `None` while running or without an RTO.
    pub rto_met: Option<bool>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Its DRS jobs.
    pub job_ids: Vec<JobId>,
    /// Its servers, sorted by ID.
    pub servers: Vec<ServerReport>,
    /// Servers its groups selected that an earlier wave has: left out of this wave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_servers: Vec<SkippedServer>,
}

/// A wave's status in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaveStatus {
    /// Not reached.
    Pending,
    /// Waiting for an approval.
    AwaitingApproval,
    /// In progress.
    Running,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Passed its deadline.
    TimedOut,
    /// Cancelled.
    Cancelled,
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerReport {
    /// The source server.
    pub id: ServerId,
    /// Its plan target.
    pub target: Option<String>,
    /// In `optional_servers` (its failure does not fail the wave); otherwise critical.
    pub optional: bool,
    /// DRS's last launch status.
    pub launch_status: LaunchStatus,
    /// The outcome.
    pub outcome: ServerOutcome,
    /// The recovery instance DRS launched.
    pub recovery_instance_id: Option<String>,
    /// The job that launched it.
    pub job_id: Option<JobId>,
    /// When its job became known.
    pub started_at: Option<Timestamp>,
    /// When it was first seen launched or failed.
    pub ended_at: Option<Timestamp>,
    /// From its job's start to its launch.
    pub seconds_to_launch: Option<i64>,
    /// Why it counts as failed when DRS gave no status of its own.
    pub failure: Option<String>,
}

/// A server's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerOutcome {
    /// Launched.
    Launched,
    /// Failed (`FAILED`, `TERMINATED`, or left out of its completed job).
    Failed,
    /// Still launching.
    InProgress,
    /// The wave ended before it was launched.
    NotLaunched,
}

/// Counts over every wave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Waves in the plan.
    pub waves: usize,
    /// Waves that succeeded.
    pub waves_succeeded: usize,
    /// Servers resolved.
    pub servers: usize,
    /// Servers launched.
    pub launched: usize,
    /// Critical servers that failed.
    pub failed_critical: usize,
    /// Optional servers that failed.
    pub failed_optional: usize,
    /// Servers still launching.
    pub in_progress: usize,
    /// Servers the execution ended without launching.
    pub not_launched: usize,
    /// DRS jobs.
    pub jobs: usize,
}

impl Execution {
    /// The report of this execution as it stands.
    pub fn report(&self) -> ExecutionReport {
        report(self)
    }
}

/// The report of `execution` as it stands.
pub fn report(execution: &Execution) -> ExecutionReport {
    let waves: Vec<WaveReport> = execution
        .waves
        .iter()
        .enumerate()
        .map(|(index, wave)| wave_report(execution, index, wave))
        .collect();
    let duration_seconds = execution
        .ended_at
        .map(|end| seconds_between(execution.requested_at, end));
    let approval_wait_seconds = execution
        .waves
        .iter()
        .filter_map(|wave| {
            let requested = wave.approval_requested_at?;
            let end = wave
                .approval
                .as_ref()
                .map(|a| a.at)
                .or(wave.ended_at)
                .or(execution.ended_at)?;
            Some(seconds_between(requested, end))
        })
        .sum();
    let rto_minutes = execution.plan.rto_minutes;
    let rto_met = match (rto_minutes, duration_seconds) {
        (Some(rto), Some(duration)) => Some(
            execution.status == ExecutionStatus::Completed
                && duration - approval_wait_seconds <= i64::from(rto) * 60,
        ),
        _ => None,
    };
    let totals = totals(&waves);
    ExecutionReport {
        execution_id: execution.id.clone(),
        plan: execution.plan.name.clone(),
        mode: execution.mode,
        status: execution.status,
        requested_by: execution.requested_by.clone(),
        requested_at: execution.requested_at,
        ended_at: execution.ended_at,
        duration_seconds,
        approval_wait_seconds,
        rto_minutes,
        rto_met,
        cancellation: execution.cancellation.clone(),
        waves,
        totals,
    }
}

fn wave_report(execution: &Execution, index: WaveIndex, wave: &WaveState) -> WaveReport {
    let status = match wave.phase {
        WavePhase::Pending => WaveStatus::Pending,
        WavePhase::AwaitingApproval => WaveStatus::AwaitingApproval,
        WavePhase::Ended { outcome } => match outcome {
            WaveOutcome::Succeeded => WaveStatus::Succeeded,
            WaveOutcome::Failed => WaveStatus::Failed,
            WaveOutcome::TimedOut => WaveStatus::TimedOut,
            WaveOutcome::Cancelled => WaveStatus::Cancelled,
        },
        _ => WaveStatus::Running,
    };
    let duration_seconds = wave
        .started_at
        .zip(wave.ended_at)
        .map(|(start, end)| seconds_between(start, end));
    let rto_minutes = execution.plan.waves.get(index).and_then(|w| w.rto_minutes);
    let rto_met = match (rto_minutes, duration_seconds) {
        (Some(rto), Some(duration)) => {
            Some(status == WaveStatus::Succeeded && duration <= i64::from(rto) * 60)
        }
        _ => None,
    };
    let launch_over = !matches!(
        wave.phase,
        WavePhase::Pending
            | WavePhase::AwaitingApproval
            | WavePhase::PreAction { .. }
            | WavePhase::Launching
    );
    WaveReport {
        index,
        name: execution.wave_name(index).to_owned(),
        status,
        attempt: wave.attempt,
        approved_by: wave.approval.as_ref().map(|a| a.by.clone()),
        started_at: wave.started_at,
        ended_at: wave.ended_at,
        duration_seconds,
        deadline: wave.deadline,
        rto_minutes,
        rto_met,
        failure: wave.failure.as_ref().map(ToString::to_string),
        job_ids: wave.jobs.iter().map(|job| job.id.clone()).collect(),
        servers: wave
            .servers
            .iter()
            .map(|server| server_report(server, launch_over))
            .collect(),
        skipped_servers: wave.skipped_servers.clone(),
    }
}

fn server_report(server: &ServerState, launch_over: bool) -> ServerReport {
    let outcome = match server.launch_status {
        LaunchStatus::Launched => ServerOutcome::Launched,
        status if status.is_failure() => ServerOutcome::Failed,
        _ if launch_over => ServerOutcome::NotLaunched,
        _ => ServerOutcome::InProgress,
    };
    let seconds_to_launch = match (outcome, server.started_at, server.ended_at) {
        (ServerOutcome::Launched, Some(start), Some(end)) => Some(seconds_between(start, end)),
        _ => None,
    };
    ServerReport {
        id: server.id.clone(),
        target: server.target.clone(),
        optional: server.optional,
        launch_status: server.launch_status,
        outcome,
        recovery_instance_id: server.recovery_instance_id.clone(),
        job_id: server.job_id.clone(),
        started_at: server.started_at,
        ended_at: server.ended_at,
        seconds_to_launch,
        failure: server.failure.clone(),
    }
}

fn totals(waves: &[WaveReport]) -> Totals {
    let mut totals = Totals {
        waves: waves.len(),
        ..Totals::default()
    };
    for wave in waves {
        totals.waves_succeeded += usize::from(wave.status == WaveStatus::Succeeded);
        totals.jobs += wave.job_ids.len();
        for server in &wave.servers {
            totals.servers += 1;
            match (server.outcome, server.optional) {
                (ServerOutcome::Launched, _) => totals.launched += 1,
                (ServerOutcome::Failed, false) => totals.failed_critical += 1,
                (ServerOutcome::Failed, true) => totals.failed_optional += 1,
                (ServerOutcome::InProgress, _) => totals.in_progress += 1,
                (ServerOutcome::NotLaunched, _) => totals.not_launched += 1,
            }
        }
    }
    totals
}

fn seconds_between(start: Timestamp, end: Timestamp) -> i64 {
    end.duration_since(start).as_secs()
}
