//! DRS in memory, keeping the promises of the real adapter (`ports::Drs`): jobs tagged with
//! their request, a re-issued request answered with the job already carrying its tag, a
//! conflict answered with the running job.
//!
//! Jobs launch on the fake clock: `launch_seconds` after their start they are `COMPLETED` and
//! each server `LAUNCHED` (or the outcome set for it). With `launch_seconds` unset, jobs run
//! until the test completes them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use engine::{
    JobId, JobSnapshot, JobStatus, LaunchEvent, LaunchResult, LaunchStatus, Rejection, ServerId,
    ServerSnapshot, StartRequestId,
};
use jiff::{SignedDuration, Timestamp};

use super::{FakeClock, Faults, lock};
use crate::ports::{Clock, TargetRef};

/// A job the fake DRS started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeJob {
    /// Its ID.
    pub id: JobId,
    /// The plan target it runs in (`None`: the orchestrator's own).
    pub target: Option<String>,
    /// The request ID it is tagged with.
    pub request: StartRequestId,
    /// Its source servers.
    pub servers: Vec<ServerId>,
    /// `isDrill`.
    pub is_drill: bool,
    /// When it started.
    pub started_at: Timestamp,
    /// When the test completed it (manual mode).
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug)]
struct Inner {
    servers: BTreeMap<(Option<String>, ServerId), BTreeMap<String, String>>,
    jobs: Vec<FakeJob>,
    outcomes: BTreeMap<ServerId, LaunchStatus>,
    launch_seconds: Option<i64>,
    rejections: VecDeque<Rejection>,
    accept_then_fail: usize,
    tag_lookup: bool,
    max_active_jobs: usize,
    start_calls: usize,
    describe_calls: usize,
    resolve_calls: usize,
    reissue_lookups: usize,
    throttled_lookups: usize,
    events_emitted: BTreeSet<(JobId, ServerId)>,
}

/// DRS in every target.
#[derive(Debug)]
pub struct FakeDrs {
    clock: Arc<FakeClock>,
    inner: Mutex<Inner>,
    /// Failures of the next `StartRecovery` calls (before DRS accepts anything).
    pub start_faults: Faults,
    /// Failures of the next `DescribeJobs` calls.
    pub describe_faults: Faults,
    /// Failures of the next resolutions.
    pub resolve_faults: Faults,
}

impl FakeDrs {
    /// Default time from a job's start to its completion.
    pub const LAUNCH_SECONDS: i64 = 100;

    /// DRS on `clock`'s time, with no source servers yet.
    pub fn new(clock: Arc<FakeClock>) -> Self {
        Self {
            clock,
            inner: Mutex::new(Inner {
                servers: BTreeMap::new(),
                jobs: Vec::new(),
                outcomes: BTreeMap::new(),
                launch_seconds: Some(Self::LAUNCH_SECONDS),
                rejections: VecDeque::new(),
                accept_then_fail: 0,
                tag_lookup: true,
                max_active_jobs: 20,
                start_calls: 0,
                describe_calls: 0,
                resolve_calls: 0,
                reissue_lookups: 0,
                throttled_lookups: 0,
                events_emitted: BTreeSet::new(),
            }),
            start_faults: Faults::default(),
            describe_faults: Faults::default(),
            resolve_faults: Faults::default(),
        }
    }

    /// Adds a source server to `target`, with its tags.
    pub fn add_server(&self, target: Option<&str>, id: &str, tags: &[(&str, &str)]) {
        let tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        lock(&self.inner)
            .servers
            .insert((target.map(str::to_owned), ServerId::new(id)), tags);
    }

    /// Jobs complete `seconds` after their start; `None`: only when the test says so.
    pub fn set_launch_seconds(&self, seconds: Option<i64>) {
        lock(&self.inner).launch_seconds = seconds;
    }

    /// Server `id` ends its launch with `status` (default `LAUNCHED`).
    pub fn set_outcome(&self, id: &str, status: LaunchStatus) {
        lock(&self.inner).outcomes.insert(ServerId::new(id), status);
    }

    /// The next `StartRecovery` calls are rejected with these, in order.
    pub fn reject_next(&self, rejection: Rejection) {
        lock(&self.inner).rejections.push_back(rejection);
    }

    /// The next `count` searches for a re-issued request's job are throttled (the adapter
    /// answers `Throttled` without calling `StartRecovery`).
    pub fn throttle_lookups(&self, count: usize) {
        lock(&self.inner).throttled_lookups += count;
    }

    /// The next `count` accepted `StartRecovery` calls fail after DRS accepted them: the job
    /// runs, the caller never hears of it (a crash or a lost response).
    pub fn accept_then_fail(&self, count: usize) {
        lock(&self.inner).accept_then_fail += count;
    }

    /// Whether a re-issued request is first looked up by its tag (the adapter's promise).
    /// Off, a re-issue runs into DRS's conflict and the running job is adopted instead.
    pub fn set_tag_lookup(&self, on: bool) {
        lock(&self.inner).tag_lookup = on;
    }

    /// Completes job `id` now (manual mode).
    pub fn complete_job(&self, id: &JobId) {
        let now = self.clock.now();
        let mut inner = lock(&self.inner);
        if let Some(job) = inner.jobs.iter_mut().find(|j| &j.id == id) {
            job.completed_at.get_or_insert(now);
        }
    }

    /// Completes every running job now (manual mode).
    pub fn complete_all(&self) {
        let now = self.clock.now();
        for job in &mut lock(&self.inner).jobs {
            job.completed_at.get_or_insert(now);
        }
    }

    /// Every job started, in order.
    pub fn jobs(&self) -> Vec<FakeJob> {
        lock(&self.inner).jobs.clone()
    }

    /// How many jobs launched server `id`.
    pub fn jobs_of_server(&self, id: &str) -> usize {
        lock(&self.inner)
            .jobs
            .iter()
            .filter(|j| j.servers.iter().any(|s| s.as_str() == id))
            .count()
    }

    /// `StartRecovery` calls so far (rejected and failed ones included).
    pub fn start_calls(&self) -> usize {
        lock(&self.inner).start_calls
    }

    /// `DescribeJobs` calls so far.
    pub fn describe_calls(&self) -> usize {
        lock(&self.inner).describe_calls
    }

    /// Resolutions (listings of a target's source servers) so far.
    pub fn resolve_calls(&self) -> usize {
        lock(&self.inner).resolve_calls
    }

    /// Searches for a re-issued request's job (the adapter's `DescribeJobs`) so far.
    pub fn reissue_lookups(&self) -> usize {
        lock(&self.inner).reissue_lookups
    }

    /// Launch-result events of servers whose launch ended by now and not returned before,
    /// with the job's `isDrill`.
    pub fn take_launch_events(&self) -> Vec<(LaunchEvent, bool)> {
        let now = self.clock.now();
        let mut inner = lock(&self.inner);
        let mut events = Vec::new();
        let launch_seconds = inner.launch_seconds;
        let jobs = inner.jobs.clone();
        for job in &jobs {
            if completion(job, launch_seconds).is_none_or(|at| at > now) {
                continue;
            }
            for server in &job.servers {
                if !inner
                    .events_emitted
                    .insert((job.id.clone(), server.clone()))
                {
                    continue;
                }
                let status = inner
                    .outcomes
                    .get(server)
                    .copied()
                    .unwrap_or(LaunchStatus::Launched);
                let result = if status == LaunchStatus::Launched {
                    LaunchResult::Succeeded
                } else {
                    LaunchResult::Failed
                };
                events.push((
                    LaunchEvent {
                        job_id: job.id.clone(),
                        server_id: server.clone(),
                        result,
                    },
                    job.is_drill,
                ));
            }
        }
        events
    }

    /// When the next running job completes, if any will by itself.
    pub fn next_completion_after(&self, now: Timestamp) -> Option<Timestamp> {
        let inner = lock(&self.inner);
        inner
            .jobs
            .iter()
            .filter_map(|job| completion(job, inner.launch_seconds))
            .filter(|at| *at > now)
            .min()
    }

    fn snapshot(inner: &Inner, job: &FakeJob, now: Timestamp) -> JobSnapshot {
        let completed_at = completion(job, inner.launch_seconds).filter(|at| *at <= now);
        let servers = job
            .servers
            .iter()
            .map(|server| {
                let (launch_status, recovery_instance_id) = match completed_at {
                    None => (LaunchStatus::InProgress, None),
                    Some(_) => {
                        let status = inner
                            .outcomes
                            .get(server)
                            .copied()
                            .unwrap_or(LaunchStatus::Launched);
                        let instance = (status == LaunchStatus::Launched)
                            .then(|| format!("i-{}", server.as_str().trim_start_matches("s-")));
                        (status, instance)
                    }
                };
                ServerSnapshot {
                    server_id: server.clone(),
                    launch_status,
                    recovery_instance_id,
                }
            })
            .collect();
        JobSnapshot {
            job_id: job.id.clone(),
            status: if completed_at.is_some() {
                JobStatus::Completed
            } else {
                JobStatus::Started
            },
            ended_at: completed_at,
            servers,
        }
    }
}

/// When `job` completes (or completed).
fn completion(job: &FakeJob, launch_seconds: Option<i64>) -> Option<Timestamp> {
    job.completed_at.or_else(|| {
        let seconds = launch_seconds?;
        job.started_at
            .saturating_add(SignedDuration::from_secs(seconds))
            .ok()
    })
}

fn target_name(target: TargetRef<'_>) -> Option<String> {
    target.name.map(str::to_owned)
}

mod port;
