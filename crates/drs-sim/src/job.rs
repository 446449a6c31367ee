//! DRS jobs as pure schedules: every phase time is drawn when the job is created, and the
//! status, per-server launch status and log at any simulated instant are functions of that
//! schedule and the instant. No background task moves a job forward.

use std::collections::BTreeMap;

use crate::clock::SimInstant;
use crate::rng::SeededRng;
use crate::scenario::{FailPhase, LaunchProfile, SecondsRange};

/// `JobStatus` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Created, not started.
    Pending,
    /// Running.
    Started,
    /// Every server is terminal.
    Completed,
}

impl JobStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Started => "STARTED",
            JobStatus::Completed => "COMPLETED",
        }
    }
}

/// `LaunchStatus` of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchStatus {
    /// Waiting for the job to start.
    Pending,
    /// Being launched (or terminated).
    InProgress,
    /// Recovery instance running.
    Launched,
    /// Launch failed.
    Failed,
    /// Recovery instance terminated (by a `TERMINATE` job).
    Terminated,
}

impl LaunchStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchStatus::Pending => "PENDING",
            LaunchStatus::InProgress => "IN_PROGRESS",
            LaunchStatus::Launched => "LAUNCHED",
            LaunchStatus::Failed => "FAILED",
            LaunchStatus::Terminated => "TERMINATED",
        }
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `StartRecovery`: a drill or a recovery.
    Launch {
        /// `isDrill` of the request.
        is_drill: bool,
    },
    /// `TerminateRecoveryInstances`.
    Terminate,
}

impl JobKind {
    /// `JobType` wire value.
    pub fn job_type(self) -> &'static str {
        match self {
            JobKind::Launch { .. } => "LAUNCH",
            JobKind::Terminate => "TERMINATE",
        }
    }

    /// `InitiatedBy` wire value.
    pub fn initiated_by(self) -> &'static str {
        match self {
            JobKind::Launch { is_drill: true } => "START_DRILL",
            JobKind::Launch { is_drill: false } => "START_RECOVERY",
            JobKind::Terminate => "TERMINATE_RECOVERY_INSTANCES",
        }
    }
}

/// `JobLogEvent` values the emulator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEvent {
    /// The job started.
    JobStart,
    /// On-demand snapshot started.
    SnapshotStart,
    /// On-demand snapshot taken.
    SnapshotEnd,
    /// On-demand snapshot failed.
    SnapshotFail,
    /// The requested recovery snapshot is used instead of a new one.
    UsingPreviousSnapshot,
    /// The requested recovery snapshot could not be used.
    UsingPreviousSnapshotFailed,
    /// Conversion started.
    ConversionStart,
    /// Conversion done.
    ConversionEnd,
    /// Conversion failed.
    ConversionFail,
    /// EC2 launch started.
    LaunchStart,
    /// EC2 launch failed.
    LaunchFailed,
    /// The job ended.
    JobEnd,
}

impl LogEvent {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            LogEvent::JobStart => "JOB_START",
            LogEvent::SnapshotStart => "SNAPSHOT_START",
            LogEvent::SnapshotEnd => "SNAPSHOT_END",
            LogEvent::SnapshotFail => "SNAPSHOT_FAIL",
            LogEvent::UsingPreviousSnapshot => "USING_PREVIOUS_SNAPSHOT",
            LogEvent::UsingPreviousSnapshotFailed => "USING_PREVIOUS_SNAPSHOT_FAILED",
            LogEvent::ConversionStart => "CONVERSION_START",
            LogEvent::ConversionEnd => "CONVERSION_END",
            LogEvent::ConversionFail => "CONVERSION_FAIL",
            LogEvent::LaunchStart => "LAUNCH_START",
            LogEvent::LaunchFailed => "LAUNCH_FAILED",
            LogEvent::JobEnd => "JOB_END",
        }
    }
}

/// One job log item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When it happened.
    pub at: SimInstant,
    /// What happened.
    pub event: LogEvent,
    /// `eventData.sourceServerID`.
    pub source_server_id: Option<String>,
    /// `eventData.conversionServerID`.
    pub conversion_server_id: Option<String>,
    /// `eventData.targetInstanceID`.
    pub target_instance_id: Option<String>,
    /// `eventData.rawError`.
    pub raw_error: Option<String>,
}

impl LogEntry {
    fn job(at: SimInstant, event: LogEvent) -> LogEntry {
        LogEntry {
            at,
            event,
            source_server_id: None,
            conversion_server_id: None,
            target_instance_id: None,
            raw_error: None,
        }
    }

    fn server(at: SimInstant, event: LogEvent, server: &str) -> LogEntry {
        LogEntry {
            source_server_id: Some(server.to_owned()),
            ..LogEntry::job(at, event)
        }
    }
}

/// One participating server and its schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRun {
    /// The source server.
    pub source_server_id: String,
    /// Launch: the instance it gets if it launches; terminate: the instance terminated.
    pub recovery_instance_id: String,
    /// When its work starts (`IN_PROGRESS`).
    pub started_at: SimInstant,
    /// When it reaches its final status.
    pub finished_at: SimInstant,
    /// `LAUNCHED`, `FAILED` or `TERMINATED`.
    pub final_status: LaunchStatus,
    /// When the snapshot it launches from was taken (launch jobs).
    pub snapshot_at: SimInstant,
}

/// A job and its complete schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `drsjob-…`.
    pub id: String,
    /// Creation order within its account and region (newest has the highest).
    pub seq: u64,
    /// Launch (drill or recovery) or terminate.
    pub kind: JobKind,
    /// `StartRecovery` / `TerminateRecoveryInstances` call time.
    pub created_at: SimInstant,
    /// `JOB_START`: the job leaves `PENDING`.
    pub started_at: SimInstant,
    /// `JOB_END`: the job is `COMPLETED`.
    pub ended_at: SimInstant,
    /// Participating servers in request order.
    pub servers: Vec<ServerRun>,
    /// Every log item of the whole run, in order.
    pub log: Vec<LogEntry>,
    /// Job tags.
    pub tags: BTreeMap<String, String>,
}

impl Job {
    /// Job status at `now`.
    pub fn status_at(&self, now: SimInstant) -> JobStatus {
        if now < self.started_at {
            JobStatus::Pending
        } else if now < self.ended_at {
            JobStatus::Started
        } else {
            JobStatus::Completed
        }
    }

    /// `true` while the job is not `COMPLETED`.
    pub fn is_active_at(&self, now: SimInstant) -> bool {
        now < self.ended_at
    }

    /// Launch status of participating server `index` at `now`.
    pub fn server_status_at(&self, index: usize, now: SimInstant) -> LaunchStatus {
        let Some(run) = self.servers.get(index) else {
            return LaunchStatus::Pending;
        };
        if now >= run.finished_at {
            run.final_status
        } else if now >= run.started_at {
            LaunchStatus::InProgress
        } else {
            LaunchStatus::Pending
        }
    }

    /// The log items that have happened by `now`, in order.
    pub fn log_at(&self, now: SimInstant) -> &[LogEntry] {
        let visible = self.log.partition_point(|entry| entry.at <= now);
        &self.log[..visible]
    }
}

/// A server to launch and how its launch behaves.
#[derive(Debug, Clone, Copy)]
pub struct LaunchRequest<'a> {
    /// The source server.
    pub source_server_id: &'a str,
    /// Its launch profile (durations, failure).
    pub profile: &'a LaunchProfile,
    /// A `recoverySnapshotID` was given: `USING_PREVIOUS_SNAPSHOT` instead of a new snapshot.
    pub use_previous_snapshot: bool,
}

/// Common inputs of a new job.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The job ID.
    pub id: String,
    /// Creation order.
    pub seq: u64,
    /// Creation time.
    pub created_at: SimInstant,
    /// Time spent `PENDING`.
    pub pending: SecondsRange,
    /// Job tags.
    pub tags: BTreeMap<String, String>,
}

/// Draws the whole schedule of a launch job. The number of draws per server does not depend
/// on the outcome, so one server's failure never shifts another's timings.
pub fn plan_launch_job(
    new: NewJob,
    is_drill: bool,
    servers: &[LaunchRequest<'_>],
    rng: &mut SeededRng,
) -> Job {
    let started_at = new.created_at.plus_millis(rng.millis_in(new.pending));
    let mut runs = Vec::with_capacity(servers.len());
    let mut server_logs = Vec::with_capacity(servers.len());
    for request in servers {
        let profile = request.profile;
        let fails = rng.chance(profile.failure_probability);
        let snapshot_ms = rng.millis_in(profile.snapshot_seconds);
        let conversion_ms = rng.millis_in(profile.conversion_seconds);
        let launch_ms = rng.millis_in(profile.launch_seconds);
        let conversion_server = rng.instance_id();
        let instance = rng.instance_id();
        let fail_phase = fails.then_some(profile.fail_phase);
        let raw_error = profile.failure_message().to_owned();
        let id = request.source_server_id;

        let mut log = Vec::new();
        let mut t = started_at;
        let snapshot_at;
        if request.use_previous_snapshot {
            snapshot_at = started_at;
            if fail_phase == Some(FailPhase::Snapshot) {
                let mut entry = LogEntry::server(t, LogEvent::UsingPreviousSnapshotFailed, id);
                entry.raw_error = Some(raw_error);
                log.push(entry);
                runs.push(failed_run(id, &instance, started_at, t, snapshot_at));
                server_logs.push(log);
                continue;
            }
            log.push(LogEntry::server(t, LogEvent::UsingPreviousSnapshot, id));
        } else {
            log.push(LogEntry::server(t, LogEvent::SnapshotStart, id));
            t = t.plus_millis(snapshot_ms);
            snapshot_at = t;
            if fail_phase == Some(FailPhase::Snapshot) {
                let mut entry = LogEntry::server(t, LogEvent::SnapshotFail, id);
                entry.raw_error = Some(raw_error);
                log.push(entry);
                runs.push(failed_run(id, &instance, started_at, t, snapshot_at));
                server_logs.push(log);
                continue;
            }
            log.push(LogEntry::server(t, LogEvent::SnapshotEnd, id));
        }
        let mut conversion_start = LogEntry::server(t, LogEvent::ConversionStart, id);
        conversion_start.conversion_server_id = Some(conversion_server.clone());
        log.push(conversion_start);
        t = t.plus_millis(conversion_ms);
        if fail_phase == Some(FailPhase::Conversion) {
            let mut entry = LogEntry::server(t, LogEvent::ConversionFail, id);
            entry.conversion_server_id = Some(conversion_server);
            entry.raw_error = Some(raw_error);
            log.push(entry);
            runs.push(failed_run(id, &instance, started_at, t, snapshot_at));
            server_logs.push(log);
            continue;
        }
        let mut conversion_end = LogEntry::server(t, LogEvent::ConversionEnd, id);
        conversion_end.conversion_server_id = Some(conversion_server);
        log.push(conversion_end);
        let mut launch_start = LogEntry::server(t, LogEvent::LaunchStart, id);
        launch_start.target_instance_id = Some(instance.clone());
        log.push(launch_start);
        t = t.plus_millis(launch_ms);
        if fail_phase == Some(FailPhase::Launch) {
            let mut entry = LogEntry::server(t, LogEvent::LaunchFailed, id);
            entry.target_instance_id = Some(instance.clone());
            entry.raw_error = Some(raw_error);
            log.push(entry);
            runs.push(failed_run(id, &instance, started_at, t, snapshot_at));
        } else {
            runs.push(ServerRun {
                source_server_id: id.to_owned(),
                recovery_instance_id: instance,
                started_at,
                finished_at: t,
                final_status: LaunchStatus::Launched,
                snapshot_at,
            });
        }
        server_logs.push(log);
    }
    assemble(
        new,
        JobKind::Launch { is_drill },
        started_at,
        runs,
        server_logs,
    )
}

fn failed_run(
    id: &str,
    instance: &str,
    started_at: SimInstant,
    finished_at: SimInstant,
    snapshot_at: SimInstant,
) -> ServerRun {
    ServerRun {
        source_server_id: id.to_owned(),
        recovery_instance_id: instance.to_owned(),
        started_at,
        finished_at,
        final_status: LaunchStatus::Failed,
        snapshot_at,
    }
}

/// A recovery instance to terminate.
#[derive(Debug, Clone, Copy)]
pub struct TerminateRequest<'a> {
    /// Its source server.
    pub source_server_id: &'a str,
    /// The recovery instance.
    pub recovery_instance_id: &'a str,
    /// How long its termination takes.
    pub duration: SecondsRange,
}

/// Draws the schedule of a `TERMINATE` job.
pub fn plan_terminate_job(
    new: NewJob,
    targets: &[TerminateRequest<'_>],
    rng: &mut SeededRng,
) -> Job {
    let started_at = new.created_at.plus_millis(rng.millis_in(new.pending));
    let runs = targets
        .iter()
        .map(|target| ServerRun {
            source_server_id: target.source_server_id.to_owned(),
            recovery_instance_id: target.recovery_instance_id.to_owned(),
            started_at,
            finished_at: started_at.plus_millis(rng.millis_in(target.duration)),
            final_status: LaunchStatus::Terminated,
            snapshot_at: started_at,
        })
        .collect();
    let logs = vec![Vec::new(); targets.len()];
    assemble(new, JobKind::Terminate, started_at, runs, logs)
}

fn assemble(
    new: NewJob,
    kind: JobKind,
    started_at: SimInstant,
    servers: Vec<ServerRun>,
    server_logs: Vec<Vec<LogEntry>>,
) -> Job {
    let ended_at = servers
        .iter()
        .map(|run| run.finished_at)
        .max()
        .unwrap_or(started_at);
    // Order: time first; at equal times JOB_START, then servers in request order (each in its
    // own order), then JOB_END. The sort is stable, so a server's own order is kept.
    let mut keyed: Vec<(SimInstant, u8, usize, LogEntry)> = Vec::new();
    keyed.push((
        started_at,
        0,
        0,
        LogEntry::job(started_at, LogEvent::JobStart),
    ));
    for (index, log) in server_logs.into_iter().enumerate() {
        keyed.extend(log.into_iter().map(|entry| (entry.at, 1, index, entry)));
    }
    keyed.push((ended_at, 2, 0, LogEntry::job(ended_at, LogEvent::JobEnd)));
    keyed.sort_by_key(|(at, rank, index, _)| (*at, *rank, *index));
    Job {
        id: new.id,
        seq: new.seq,
        kind,
        created_at: new.created_at,
        started_at,
        ended_at,
        servers,
        log: keyed.into_iter().map(|(_, _, _, entry)| entry).collect(),
        tags: new.tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(p: f64, phase: FailPhase) -> LaunchProfile {
        LaunchProfile {
            pending_seconds: SecondsRange::fixed(5.0),
            snapshot_seconds: SecondsRange::fixed(10.0),
            conversion_seconds: SecondsRange::fixed(20.0),
            launch_seconds: SecondsRange::fixed(30.0),
            terminate_seconds: SecondsRange::fixed(8.0),
            failure_probability: p,
            fail_phase: phase,
            error: None,
        }
    }

    fn new_job() -> NewJob {
        NewJob {
            id: "drsjob-00000000000000001".to_owned(),
            seq: 1,
            created_at: SimInstant::from_millis(1_000),
            pending: SecondsRange::fixed(5.0),
            tags: BTreeMap::new(),
        }
    }

    fn events(job: &Job, now: SimInstant) -> Vec<&'static str> {
        job.log_at(now).iter().map(|e| e.event.as_str()).collect()
    }

    #[test]
    fn successful_launch_goes_through_every_phase_in_order() {
        let ok = profile(0.0, FailPhase::Launch);
        let mut rng = SeededRng::new(1, 1);
        let job = plan_launch_job(
            new_job(),
            true,
            &[LaunchRequest {
                source_server_id: "s-1234567890abcdef0",
                profile: &ok,
                use_previous_snapshot: false,
            }],
            &mut rng,
        );
        let at = SimInstant::from_millis;
        assert_eq!(job.started_at, at(6_000));
        assert_eq!(job.ended_at, at(66_000));
        assert_eq!(job.status_at(at(5_999)), JobStatus::Pending);
        assert_eq!(job.server_status_at(0, at(5_999)), LaunchStatus::Pending);
        assert_eq!(job.status_at(at(6_000)), JobStatus::Started);
        assert_eq!(job.server_status_at(0, at(6_000)), LaunchStatus::InProgress);
        assert_eq!(job.status_at(at(66_000)), JobStatus::Completed);
        assert_eq!(job.server_status_at(0, at(66_000)), LaunchStatus::Launched);
        assert_eq!(events(&job, at(5_999)), Vec::<&str>::new());
        assert_eq!(events(&job, at(6_000)), vec!["JOB_START", "SNAPSHOT_START"]);
        assert_eq!(
            events(&job, at(66_000)),
            vec![
                "JOB_START",
                "SNAPSHOT_START",
                "SNAPSHOT_END",
                "CONVERSION_START",
                "CONVERSION_END",
                "LAUNCH_START",
                "JOB_END"
            ]
        );
        let launch_start = &job.log[5];
        assert_eq!(
            launch_start.target_instance_id.as_deref(),
            Some(job.servers[0].recovery_instance_id.as_str())
        );
        assert!(job.log[3].conversion_server_id.is_some());
        assert_eq!(job.kind.initiated_by(), "START_DRILL");
    }

    #[test]
    fn failures_stop_at_their_phase_with_the_raw_error() {
        let cases = [
            (FailPhase::Snapshot, "SNAPSHOT_FAIL", 2),
            (FailPhase::Conversion, "CONVERSION_FAIL", 4),
            (FailPhase::Launch, "LAUNCH_FAILED", 6),
        ];
        for (phase, last, count) in cases {
            let failing = profile(1.0, phase);
            let mut rng = SeededRng::new(1, 1);
            let job = plan_launch_job(
                new_job(),
                false,
                &[LaunchRequest {
                    source_server_id: "s-1234567890abcdef0",
                    profile: &failing,
                    use_previous_snapshot: false,
                }],
                &mut rng,
            );
            let server_events: Vec<_> = job
                .log
                .iter()
                .filter(|e| e.source_server_id.is_some())
                .collect();
            assert_eq!(server_events.len(), count, "{phase:?}");
            let failure = server_events[count - 1];
            assert_eq!(failure.event.as_str(), last);
            assert_eq!(failure.raw_error.as_deref(), Some(phase.default_error()));
            assert_eq!(job.server_status_at(0, job.ended_at), LaunchStatus::Failed);
            assert_eq!(job.log.last().unwrap().event, LogEvent::JobEnd);
        }
    }

    #[test]
    fn previous_snapshot_replaces_the_snapshot_phase() {
        let ok = profile(0.0, FailPhase::Launch);
        let mut rng = SeededRng::new(1, 1);
        let job = plan_launch_job(
            new_job(),
            true,
            &[LaunchRequest {
                source_server_id: "s-1234567890abcdef0",
                profile: &ok,
                use_previous_snapshot: true,
            }],
            &mut rng,
        );
        assert_eq!(job.log[1].event, LogEvent::UsingPreviousSnapshot);
        assert_eq!(job.ended_at, SimInstant::from_millis(56_000));
    }

    #[test]
    fn job_completes_when_the_slowest_server_is_terminal() {
        let fast = LaunchProfile {
            launch_seconds: SecondsRange::fixed(1.0),
            ..profile(0.0, FailPhase::Launch)
        };
        let slow = profile(1.0, FailPhase::Launch);
        let mut rng = SeededRng::new(1, 1);
        let job = plan_launch_job(
            new_job(),
            true,
            &[
                LaunchRequest {
                    source_server_id: "s-0000000000000000a",
                    profile: &fast,
                    use_previous_snapshot: false,
                },
                LaunchRequest {
                    source_server_id: "s-0000000000000000b",
                    profile: &slow,
                    use_previous_snapshot: false,
                },
            ],
            &mut rng,
        );
        let fast_done = job.servers[0].finished_at;
        assert_eq!(job.server_status_at(0, fast_done), LaunchStatus::Launched);
        assert_eq!(job.server_status_at(1, fast_done), LaunchStatus::InProgress);
        assert_eq!(job.status_at(fast_done), JobStatus::Started);
        assert_eq!(job.ended_at, job.servers[1].finished_at);
        // The log is sorted by time and JOB_END is last.
        assert!(job.log.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(job.log.last().unwrap().event, LogEvent::JobEnd);
    }

    #[test]
    fn same_seed_gives_the_same_schedule() {
        let ranged = LaunchProfile {
            conversion_seconds: SecondsRange::between(10.0, 500.0),
            failure_probability: 0.5,
            ..profile(0.0, FailPhase::Launch)
        };
        let request = [LaunchRequest {
            source_server_id: "s-1234567890abcdef0",
            profile: &ranged,
            use_previous_snapshot: false,
        }];
        let a = plan_launch_job(new_job(), true, &request, &mut SeededRng::new(9, 3));
        let b = plan_launch_job(new_job(), true, &request, &mut SeededRng::new(9, 3));
        assert_eq!(a, b);
    }

    #[test]
    fn terminate_job_ends_with_terminated_servers() {
        let mut rng = SeededRng::new(1, 1);
        let job = plan_terminate_job(
            new_job(),
            &[TerminateRequest {
                source_server_id: "s-1234567890abcdef0",
                recovery_instance_id: "i-0123456789abcdef0",
                duration: SecondsRange::fixed(8.0),
            }],
            &mut rng,
        );
        assert_eq!(job.kind.job_type(), "TERMINATE");
        assert_eq!(job.kind.initiated_by(), "TERMINATE_RECOVERY_INSTANCES");
        assert_eq!(
            job.server_status_at(0, job.ended_at),
            LaunchStatus::Terminated
        );
        assert_eq!(events(&job, job.ended_at), vec!["JOB_START", "JOB_END"]);
    }
}
