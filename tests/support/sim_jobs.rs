//! drs-sim's side of a case: every launch job it ran (`SimControl::jobs()`, deleted ones
//! included), read as DRS shows it, independently of what the orchestrator recorded.

use std::collections::BTreeMap;

use drs_sim::SimControl;
use serde_json::Value;

/// One participating server of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimServer {
    /// `sourceServerID`.
    pub id: String,
    /// `launchStatus`: PENDING, IN_PROGRESS, LAUNCHED, FAILED, TERMINATED.
    pub launch_status: String,
    /// `recoveryInstanceID`, once launched.
    pub recovery_instance_id: Option<String>,
}

/// One launch job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimJob {
    /// `jobID`.
    pub id: String,
    /// Its account.
    pub account: String,
    /// PENDING, STARTED, COMPLETED.
    pub status: String,
    /// `creationDateTime` (simulated, ISO 8601 with milliseconds: sorts as text).
    pub created: String,
    /// `endDateTime` once COMPLETED.
    pub ended: Option<String>,
    /// Participating servers, in request order.
    pub servers: Vec<SimServer>,
    /// Job tags (the orchestrator's request ID among them).
    pub tags: BTreeMap<String, String>,
}

impl SimJob {
    /// Whether the job is still running (counts toward DRS's concurrent-jobs quota).
    pub fn is_active(&self) -> bool {
        self.status != "COMPLETED"
    }

    /// Whether `server` takes part in it.
    pub fn contains(&self, server: &str) -> bool {
        self.servers.iter().any(|s| s.id == server)
    }

    /// The orchestrator's request ID tag (`execution/wave/attempt/chunk`).
    pub fn request(&self) -> Option<&str> {
        self.tags
            .get(aws_adapters::drs::REQUEST_TAG)
            .map(String::as_str)
    }
}

/// Every launch job drs-sim ran, oldest first.
pub fn launch_jobs(sim: &SimControl) -> Vec<SimJob> {
    let all = sim.jobs();
    let jobs = all
        .get("jobs")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("drs-sim's jobs answer has no `jobs` list: {all}"));
    jobs.iter()
        .filter(|job| text(job, "type") == "LAUNCH")
        .map(|job| SimJob {
            id: text(job, "jobID"),
            account: text(job, "account"),
            status: text(job, "status"),
            created: text(job, "creationDateTime"),
            ended: job
                .get("endDateTime")
                .and_then(Value::as_str)
                .map(str::to_owned),
            servers: job
                .get("participatingServers")
                .and_then(Value::as_array)
                .map(|servers| {
                    servers
                        .iter()
                        .map(|s| SimServer {
                            id: text(s, "sourceServerID"),
                            launch_status: text(s, "launchStatus"),
                            recovery_instance_id: s
                                .get("recoveryInstanceID")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            tags: job
                .get("tags")
                .and_then(Value::as_object)
                .map(|tags| {
                    tags.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// How many launch jobs each server took part in.
pub fn jobs_per_server(jobs: &[SimJob]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for server in jobs.iter().flat_map(|job| &job.servers) {
        *counts.entry(server.id.clone()).or_insert(0) += 1;
    }
    counts
}

/// Asserts that no server took part in more than one launch job.
pub fn assert_no_server_started_twice(jobs: &[SimJob]) {
    let twice: Vec<(String, usize)> = jobs_per_server(jobs)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(
        twice.is_empty(),
        "servers started more than once (server, jobs): {twice:?}\njobs: {jobs:#?}"
    );
}

/// A counter of drs-sim's `counters()` (`throttled`, `events_dropped`, ...); 0 when absent.
pub fn counter(sim: &SimControl, name: &str) -> u64 {
    sim.counters()
        .get(name)
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// How many errors of type `error` (`ConflictException`, ...) drs-sim answered.
pub fn errors(sim: &SimControl, error: &str) -> u64 {
    sim.counters()
        .get("errors")
        .and_then(|e| e.get(error))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// DRS's name of a launch status.
pub fn drs_name(status: engine::LaunchStatus) -> &'static str {
    match status {
        engine::LaunchStatus::Pending => "PENDING",
        engine::LaunchStatus::InProgress => "IN_PROGRESS",
        engine::LaunchStatus::Launched => "LAUNCHED",
        engine::LaunchStatus::Failed => "FAILED",
        engine::LaunchStatus::Terminated => "TERMINATED",
    }
}

/// Asserts that what the execution says of each of its servers (job, launch status,
/// recovery instance) is what drs-sim says of that server in that job.
pub fn assert_agrees_with_drs(execution: &engine::Execution, jobs: &[SimJob]) {
    let report = execution.report();
    for server in report.waves.iter().flat_map(|wave| &wave.servers) {
        let Some(job_id) = &server.job_id else {
            continue;
        };
        let job = jobs
            .iter()
            .find(|job| job.id == job_id.as_str())
            .unwrap_or_else(|| panic!("{}: job {job_id} is unknown to drs-sim", server.id));
        let seen = job
            .servers
            .iter()
            .find(|s| s.id == server.id.as_str())
            .unwrap_or_else(|| panic!("{}: not a server of drs-sim's job {job_id}", server.id));
        assert_eq!(
            drs_name(server.launch_status),
            seen.launch_status,
            "{}: the execution and drs-sim disagree on the launch status",
            server.id
        );
        assert_eq!(
            server.recovery_instance_id, seen.recovery_instance_id,
            "{}: the execution and drs-sim disagree on the recovery instance",
            server.id
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, servers: &[&str]) -> SimJob {
        SimJob {
            id: id.to_owned(),
            account: "210000000001".to_owned(),
            status: "COMPLETED".to_owned(),
            created: "2026-01-01T00:00:00.000Z".to_owned(),
            ended: None,
            servers: servers
                .iter()
                .map(|s| SimServer {
                    id: (*s).to_owned(),
                    launch_status: "LAUNCHED".to_owned(),
                    recovery_instance_id: None,
                })
                .collect(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn jobs_are_counted_per_server() {
        let jobs = [job("j1", &["s-a", "s-b"]), job("j2", &["s-b"])];
        let counts = jobs_per_server(&jobs);
        assert_eq!(counts.get("s-a"), Some(&1));
        assert_eq!(counts.get("s-b"), Some(&2));
        assert_no_server_started_twice(&jobs[..1]);
    }

    #[test]
    #[should_panic(expected = "servers started more than once")]
    fn a_server_in_two_jobs_is_caught() {
        assert_no_server_started_twice(&[job("j1", &["s-a"]), job("j2", &["s-a"])]);
    }
}
