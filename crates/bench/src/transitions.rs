//! Wave timings as DRS saw them, and the overhead of each wave transition.
//!
//! All times are drs-sim's simulated times:
//! - a wave **started** when drs-sim received its first `StartRecovery` (the job's
//!   `creationDateTime`);
//! - a wave's **last server was terminal** at the latest Launch Result of its jobs' servers
//!   (drs-sim records every result with its simulated time, also when the event is dropped),
//!   or, for a job whose results are missing, at its `endDateTime`;
//! - the **transition overhead** from wave N to N+1 is wave N+1's start minus wave N's last
//!   terminal server: what the pipeline adds between two waves (noticing the end, deciding,
//!   resolving the next wave's servers, starting it).

use std::collections::BTreeMap;

use drs_sim::EventRecord;
use engine::ExecutionReport;
use jiff::Timestamp;
use serde_json::Value;

use crate::error::BenchError;

/// One launch job as drs-sim reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTimes {
    /// `drsjob-…`.
    pub job_id: String,
    /// When `StartRecovery` was served.
    pub created: Timestamp,
    /// When the job completed, if it did.
    pub ended: Option<Timestamp>,
    /// Its servers.
    pub servers: usize,
}

/// The launch jobs of drs-sim's `jobs()` overview.
pub fn launch_jobs(overview: &Value) -> Result<Vec<JobTimes>, BenchError> {
    let bad = |message: String| BenchError::SimData {
        what: "jobs",
        message,
    };
    let jobs = overview
        .get("jobs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `jobs` list".to_owned()))?;
    let mut found = Vec::new();
    for job in jobs {
        if job.get("type").and_then(Value::as_str) != Some("LAUNCH") {
            continue;
        }
        let job_id = job
            .get("jobID")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("a job without `jobID`: {job}")))?;
        let time = |field: &str| -> Result<Option<Timestamp>, BenchError> {
            job.get(field)
                .and_then(Value::as_str)
                .map(|text| {
                    text.parse::<Timestamp>()
                        .map_err(|e| bad(format!("job {job_id}: `{field}` {text:?}: {e}")))
                })
                .transpose()
        };
        let created = time("creationDateTime")?
            .ok_or_else(|| bad(format!("job {job_id}: no creation time")))?;
        let servers = job
            .get("participatingServers")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        found.push(JobTimes {
            job_id: job_id.to_owned(),
            created,
            ended: time("endDateTime")?,
            servers,
        });
    }
    Ok(found)
}

/// The simulated time of the latest Launch Result of each job.
pub fn last_results(events: &[EventRecord]) -> Result<BTreeMap<String, Timestamp>, BenchError> {
    let mut last: BTreeMap<String, Timestamp> = BTreeMap::new();
    for event in events {
        let time = event
            .time
            .parse::<Timestamp>()
            .map_err(|e| BenchError::SimData {
                what: "events",
                message: format!("job {}: time {:?}: {e}", event.job_id, event.time),
            })?;
        last.entry(event.job_id.clone())
            .and_modify(|t| *t = (*t).max(time))
            .or_insert(time);
    }
    Ok(last)
}

/// One wave as DRS saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveTimes {
    /// Position in the plan.
    pub index: usize,
    /// Its jobs.
    pub jobs: usize,
    /// Its servers (in those jobs).
    pub servers: usize,
    /// First `StartRecovery`.
    pub started: Timestamp,
    /// Its last server terminal.
    pub last_terminal: Timestamp,
}

impl WaveTimes {
    /// From its first `StartRecovery` to its last terminal server, in seconds.
    pub fn launch_seconds(&self) -> f64 {
        seconds_between(self.started, self.last_terminal)
    }
}

/// The waves of `report` that launched jobs, timed from drs-sim's jobs and results.
pub fn wave_times(
    report: &ExecutionReport,
    jobs: &[JobTimes],
    last_results: &BTreeMap<String, Timestamp>,
) -> Result<Vec<WaveTimes>, BenchError> {
    let by_id: BTreeMap<&str, &JobTimes> = jobs.iter().map(|j| (j.job_id.as_str(), j)).collect();
    let mut waves = Vec::new();
    for wave in &report.waves {
        let mut started: Option<Timestamp> = None;
        let mut last_terminal: Option<Timestamp> = None;
        let mut servers = 0;
        for job_id in &wave.job_ids {
            let job = by_id
                .get(job_id.as_str())
                .ok_or_else(|| BenchError::SimData {
                    what: "jobs",
                    message: format!("wave {}: job {job_id} unknown to drs-sim", wave.index),
                })?;
            let terminal = last_results
                .get(job_id.as_str())
                .copied()
                .or(job.ended)
                .ok_or_else(|| BenchError::SimData {
                    what: "jobs",
                    message: format!("wave {}: job {job_id} never ended", wave.index),
                })?;
            servers += job.servers;
            started = Some(started.map_or(job.created, |s| s.min(job.created)));
            last_terminal = Some(last_terminal.map_or(terminal, |t| t.max(terminal)));
        }
        if let (Some(started), Some(last_terminal)) = (started, last_terminal) {
            waves.push(WaveTimes {
                index: wave.index,
                jobs: wave.job_ids.len(),
                servers,
                started,
                last_terminal,
            });
        }
    }
    Ok(waves)
}

/// The pipeline's time between two consecutive waves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// The wave that ended (N); the next one is N+1.
    pub from_wave: usize,
    /// Seconds from wave N's last terminal server to wave N+1's first `StartRecovery`.
    pub overhead_seconds: f64,
}

/// The transitions between consecutive launched waves.
pub fn transitions(waves: &[WaveTimes]) -> Vec<Transition> {
    waves
        .windows(2)
        .filter(|pair| pair[1].index == pair[0].index + 1)
        .map(|pair| Transition {
            from_wave: pair[0].index,
            overhead_seconds: seconds_between(pair[0].last_terminal, pair[1].started),
        })
        .collect()
}

fn seconds_between(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn result(job: &str, time: &str) -> EventRecord {
        EventRecord {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            source_server_id: "s-1234567890abcdef0".into(),
            job_id: job.into(),
            state: "RECOVERY_LAUNCH_SUCCEEDED",
            is_drill: true,
            time: time.into(),
            delivery: "dropped",
        }
    }

    #[test]
    fn jobs_and_results_give_each_waves_start_end_and_the_overhead_between_waves() {
        let overview = json!({"jobs": [
            {"jobID": "drsjob-a", "type": "LAUNCH", "creationDateTime": "2026-01-01T00:00:00.000Z",
             "endDateTime": "2026-01-01T00:05:00.000Z", "participatingServers": [{}, {}]},
            {"jobID": "drsjob-t", "type": "TERMINATE", "creationDateTime": "2026-01-01T00:01:00.000Z"},
            {"jobID": "drsjob-b", "type": "LAUNCH", "creationDateTime": "2026-01-01T00:05:03.500Z",
             "endDateTime": "2026-01-01T00:09:00.000Z", "participatingServers": [{}]},
            {"jobID": "drsjob-c", "type": "LAUNCH", "creationDateTime": "2026-01-01T00:05:04.000Z",
             "endDateTime": "2026-01-01T00:10:00.000Z", "participatingServers": [{}]},
            {"jobID": "drsjob-d", "type": "LAUNCH", "creationDateTime": "2026-01-01T00:10:30.000Z",
             "participatingServers": [{}]}
        ]});
        let jobs = launch_jobs(&overview).unwrap();
        assert_eq!(jobs.len(), 4, "terminate jobs are left out");
        let results = last_results(&[
            result("drsjob-a", "2026-01-01T00:04:00.000Z"),
            result("drsjob-a", "2026-01-01T00:05:00.000Z"),
            result("drsjob-b", "2026-01-01T00:09:00.000Z"),
            result("drsjob-d", "2026-01-01T00:12:00.000Z"),
        ])
        .unwrap();
        // drsjob-c has no result: its end time stands in.
        let report = report_with_jobs(&[&["drsjob-a"], &["drsjob-b", "drsjob-c"], &["drsjob-d"]]);
        let waves = wave_times(&report, &jobs, &results).unwrap();
        assert_eq!(waves.len(), 3);
        assert_eq!(waves[1].started, t("2026-01-01T00:05:03.500Z"));
        assert_eq!(waves[1].last_terminal, t("2026-01-01T00:10:00Z"));
        assert_eq!((waves[1].jobs, waves[1].servers), (2, 2));
        assert_eq!(waves[0].launch_seconds(), 300.0);
        let overheads: Vec<f64> = transitions(&waves)
            .iter()
            .map(|t| t.overhead_seconds)
            .collect();
        assert_eq!(overheads, [3.5, 30.0]);
    }

    #[test]
    fn a_job_unknown_to_drs_sim_is_an_error() {
        let report = report_with_jobs(&[&["drsjob-x"]]);
        assert!(wave_times(&report, &[], &BTreeMap::new()).is_err());
    }

    fn report_with_jobs(waves: &[&[&str]]) -> ExecutionReport {
        let yaml = format!(
            "name: p\nprotection_groups:\n{}waves:\n{}",
            (0..waves.len())
                .map(|i| format!("  g{i}: {{ servers: [s-00000000000000{i:03}] }}\n"))
                .collect::<String>(),
            (0..waves.len())
                .map(|i| format!("  - {{ name: w{i}, groups: [g{i}] }}\n"))
                .collect::<String>()
        );
        let plan = plan::parse(&yaml).unwrap();
        let mut report = serde_json::to_value(empty_report(&plan)).unwrap();
        for (index, jobs) in waves.iter().enumerate() {
            report["waves"][index]["job_ids"] = json!(jobs);
        }
        serde_json::from_value(report).unwrap()
    }

    fn empty_report(plan: &plan::Plan) -> ExecutionReport {
        let request = engine::ExecutionRequest {
            execution_id: engine::ExecutionId::new("exec-1"),
            plan: plan.clone(),
            mode: engine::Mode::Drill,
            limits: engine::Limits::default(),
            requested_by: "bench".into(),
        };
        let execution = engine::start(request, t("2026-01-01T00:00:00Z"))
            .unwrap()
            .state;
        execution.report()
    }
}
