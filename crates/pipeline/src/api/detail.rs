//! The execution detail of `GET /plans/{name}/executions/{id}`: the engine's report
//! ([`engine::ExecutionReport`]), under the API's names.
//!
//! Built from the report rather than the raw state, so the API shows what `drsctl report`
//! shows; the field names are the API contract's (`started_at`/`finished_at`, `jobs`,
//! `launched_at`, `recovery_instance`), kept here so an engine rename does not change the API.

use engine::{
    Cancellation, Execution, ExecutionId, ExecutionStatus, JobId, LaunchStatus, Mode,
    ServerOutcome, Totals, WaveStatus,
};
use jiff::Timestamp;
use serde::Serialize;

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionDetail {
    /// Its ID.
    pub execution_id: ExecutionId,
    /// The plan's name.
    pub plan: String,
    /// Drill or recovery.
    pub mode: Mode,
    /// `RUNNING`, `AWAITING_APPROVAL`, `COMPLETED`, `FAILED`, `TIMED_OUT`, `CANCELLED`.
    pub status: ExecutionStatus,
    /// Who requested it.
    pub requested_by: String,
    /// When it was requested.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// The plan's RTO.
    pub rto_minutes: Option<u32>,
    /// Completed within the RTO (approval waits excluded); `null` while running or without one.
    pub rto_met: Option<bool>,
    /// Who cancelled it and why.
    pub cancellation: Option<Cancellation>,
    /// Counts over every wave.
    pub totals: Totals,
    /// Per wave, in plan order.
    pub waves: Vec<WaveDetail>,
}

/// One wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveDetail {
    /// Its position in the plan (what `…/waves/{index}/approve` and `…/reject` take).
    pub index: usize,
    /// Its name.
    pub name: String,
    /// `PENDING`, `AWAITING_APPROVAL`, `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`,
    /// `CANCELLED`.
    pub status: WaveStatus,
    /// When it started (after any approval).
    pub started_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// Its RTO.
    pub rto_minutes: Option<u32>,
    /// Succeeded within its RTO.
    pub rto_met: Option<bool>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Its DRS jobs.
    pub jobs: Vec<JobId>,
    /// Its servers, sorted by ID.
    pub servers: Vec<ServerDetail>,
}

/// One server of a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerDetail {
    /// The source server ID.
    pub id: String,
    /// Its plan target (`null`: the orchestrator's own account).
    pub target: Option<String>,
    /// Its failure does not fail the wave.
    pub optional: bool,
    /// `LAUNCHED`, `FAILED`, `IN_PROGRESS`, `NOT_LAUNCHED`.
    pub status: ServerOutcome,
    /// DRS's last launch status.
    pub launch_status: LaunchStatus,
    /// When it was seen launched.
    pub launched_at: Option<Timestamp>,
    /// The recovery instance DRS launched.
    pub recovery_instance: Option<String>,
    /// The job that launched it.
    pub job_id: Option<JobId>,
    /// Why it counts as failed when DRS gave no status of its own.
    pub failure: Option<String>,
}

impl ExecutionDetail {
    /// The detail of `execution` as it stands.
    pub fn of(execution: &Execution) -> Self {
        let report = execution.report();
        let waves = report
            .waves
            .into_iter()
            .map(|wave| WaveDetail {
                index: wave.index,
                name: wave.name,
                status: wave.status,
                started_at: wave.started_at,
                finished_at: wave.ended_at,
                rto_minutes: wave.rto_minutes,
                rto_met: wave.rto_met,
                approved_by: wave.approved_by,
                failure: wave.failure,
                jobs: wave.job_ids,
                servers: wave
                    .servers
                    .into_iter()
                    .map(|server| ServerDetail {
                        launched_at: server
                            .ended_at
                            .filter(|_| server.outcome == ServerOutcome::Launched),
                        id: server.id.to_string(),
                        target: server.target,
                        optional: server.optional,
                        status: server.outcome,
                        launch_status: server.launch_status,
                        recovery_instance: server.recovery_instance_id,
                        job_id: server.job_id,
                        failure: server.failure,
                    })
                    .collect(),
            })
            .collect();
        Self {
            execution_id: report.execution_id,
            plan: report.plan,
            mode: report.mode,
            status: report.status,
            requested_by: report.requested_by,
            started_at: report.requested_at,
            finished_at: report.ended_at,
            rto_minutes: report.rto_minutes,
            rto_met: report.rto_met,
            cancellation: report.cancellation,
            totals: report.totals,
            waves,
        }
    }
}

/// The report status of wave `index` (`AWAITING_APPROVAL`, `RUNNING`...), for messages.
pub fn wave_status(execution: &Execution, index: usize) -> Option<&'static str> {
    let report = execution.report();
    let status = report.waves.get(index)?.status;
    Some(match status {
        WaveStatus::Pending => "PENDING",
        WaveStatus::AwaitingApproval => "AWAITING_APPROVAL",
        WaveStatus::Running => "RUNNING",
        WaveStatus::Succeeded => "SUCCEEDED",
        WaveStatus::Failed => "FAILED",
        WaveStatus::TimedOut => "TIMED_OUT",
        WaveStatus::Cancelled => "CANCELLED",
    })
}
