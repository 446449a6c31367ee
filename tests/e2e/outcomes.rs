//! How an execution ends, through the real queues, tables and handlers on moto + drs-sim:
//! completed, failed by a critical server, completed despite an optional server, timed out,
//! rejected before anything launched.
//! Each case checks the execution and, independently, the jobs drs-sim ran.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use e2e::sim_jobs::{assert_agrees_with_drs, assert_no_server_started_twice};
use e2e::{launch_jobs, plan, run_drill, scenario, start_stack, within};
use engine::{ExecutionStatus, LaunchStatus, ServerOutcome, WaveStatus};
use local_stack::LocalOptions;

const DB: [&str; 2] = ["s-e2e00000000000d01", "s-e2e00000000000d02"];
const APP: [&str; 3] = [
    "s-e2e00000000000a01",
    "s-e2e00000000000a02",
    "s-e2e00000000000b0a",
];
const WEB: [&str; 3] = [
    "s-e2e00000000000e01",
    "s-e2e00000000000e02",
    "s-e2e00000000000e03",
];
const OTHER_APP: &str = "s-e2e00000000000c01";
const BATCH: &str = "s-e2e00000000000b0a";
const APP_2: &str = "s-e2e00000000000a02";

/// Real time a case may take, start-up and shutdown included.
const CASE_LIMIT: Duration = Duration::from_secs(120);
/// Real time an execution may take to end.
const RUN_LIMIT: Duration = Duration::from_secs(90);

fn ids(servers: &[&str]) -> BTreeSet<String> {
    servers.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_01_three_waves_all_launched_complete() {
    let what = "case 1 (three waves launched)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("three-tier.yaml", "210000000001")),
        )
        .await;
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;

        let report = execution.report();
        assert_eq!(report.status, ExecutionStatus::Completed, "{report:#?}");
        let expected = [&DB[..], &APP[..], &WEB[..]];
        for (wave, servers) in report.waves.iter().zip(expected) {
            assert_eq!(wave.status, WaveStatus::Succeeded, "{wave:#?}");
            let found: BTreeSet<String> = wave.servers.iter().map(|s| s.id.to_string()).collect();
            assert_eq!(found, ids(servers), "wave {}", wave.name);
            for server in &wave.servers {
                assert_eq!(server.launch_status, LaunchStatus::Launched, "{server:?}");
                assert_eq!(server.outcome, ServerOutcome::Launched, "{server:?}");
                assert!(
                    server
                        .recovery_instance_id
                        .as_deref()
                        .is_some_and(|i| i.starts_with("i-")),
                    "{server:?}"
                );
                assert!(
                    server
                        .job_id
                        .as_ref()
                        .is_some_and(|job| wave.job_ids.contains(job)),
                    "{server:?}"
                );
            }
        }
        assert_eq!(report.totals.launched, 8, "{:?}", report.totals);

        // drs-sim: one completed job per wave, every server launched once with an instance,
        // the other application's server never touched, each wave started after the last.
        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 3, "{jobs:#?}");
        assert_no_server_started_twice(&jobs);
        assert_agrees_with_drs(&execution, &jobs);
        for (job, servers) in jobs.iter().zip(expected) {
            assert_eq!(job.status, "COMPLETED", "{job:#?}");
            let found: BTreeSet<String> = job.servers.iter().map(|s| s.id.clone()).collect();
            assert_eq!(found, ids(servers), "{job:#?}");
            for server in &job.servers {
                assert_eq!(server.launch_status, "LAUNCHED", "{job:#?}");
                assert!(server.recovery_instance_id.is_some(), "{job:#?}");
            }
            let request = job.request().unwrap_or_default();
            assert!(
                request.starts_with(execution.id.as_str()),
                "job {} is tagged with request `{request}`",
                job.id
            );
        }
        assert!(!jobs.iter().any(|job| job.contains(OTHER_APP)), "{jobs:#?}");
        for pair in jobs.windows(2) {
            let ended = pair[0].ended.as_deref().unwrap();
            assert!(
                ended <= pair[1].created.as_str(),
                "job {} started at {} before job {} ended at {ended}",
                pair[1].id,
                pair[1].created,
                pair[0].id
            );
        }
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_02_a_critical_server_failing_fails_the_execution_before_wave_3() {
    let what = "case 2 (critical server fails)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("critical-failure.yaml", "210000000002")),
        )
        .await;
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;

        let report = execution.report();
        assert_eq!(report.status, ExecutionStatus::Failed, "{report:#?}");
        let statuses: Vec<WaveStatus> = report.waves.iter().map(|w| w.status).collect();
        assert_eq!(
            statuses,
            [
                WaveStatus::Succeeded,
                WaveStatus::Failed,
                WaveStatus::Pending
            ]
        );
        let app = &report.waves[1];
        let failure = app.failure.clone().unwrap_or_default();
        assert!(failure.contains(APP_2), "wave 2 failure: {failure}");
        let app_2 = app.servers.iter().find(|s| s.id.as_str() == APP_2).unwrap();
        assert_eq!(app_2.launch_status, LaunchStatus::Failed, "{app_2:?}");
        assert!(!app_2.optional, "{app_2:?}");
        assert!(report.waves[2].job_ids.is_empty(), "{:#?}", report.waves[2]);

        // drs-sim: the database and application jobs only; no job ever held a web server.
        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 2, "{jobs:#?}");
        for web in WEB {
            assert!(
                !jobs.iter().any(|job| job.contains(web)),
                "wave 3's {web} was started: {jobs:#?}"
            );
        }
        let failed = jobs
            .iter()
            .flat_map(|job| &job.servers)
            .find(|s| s.id == APP_2)
            .unwrap();
        assert_eq!(failed.launch_status, "FAILED");
        assert_agrees_with_drs(&execution, &jobs);
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_03_an_optional_server_failing_still_completes_and_is_reported() {
    let what = "case 3 (optional server fails)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("optional-failure.yaml", "210000000003")),
        )
        .await;
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;

        let report = execution.report();
        assert_eq!(report.status, ExecutionStatus::Completed, "{report:#?}");
        assert!(
            report
                .waves
                .iter()
                .all(|w| w.status == WaveStatus::Succeeded),
            "{report:#?}"
        );
        for server in report.waves.iter().flat_map(|w| &w.servers) {
            if server.id.as_str() == BATCH {
                assert!(server.optional, "{server:?}");
                assert_eq!(server.launch_status, LaunchStatus::Failed, "{server:?}");
                assert_eq!(server.outcome, ServerOutcome::Failed, "{server:?}");
                assert_eq!(server.recovery_instance_id, None, "{server:?}");
            } else {
                assert!(!server.optional, "{server:?}");
                assert_eq!(server.launch_status, LaunchStatus::Launched, "{server:?}");
            }
        }
        assert_eq!(report.totals.launched, 7, "{:?}", report.totals);

        // drs-sim: the batch server failed in its job; the web wave ran after it.
        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 3, "{jobs:#?}");
        let batch = jobs
            .iter()
            .flat_map(|job| &job.servers)
            .find(|s| s.id == BATCH)
            .unwrap();
        assert_eq!(batch.launch_status, "FAILED");
        for web in WEB {
            assert!(jobs.iter().any(|job| job.contains(web)), "{jobs:#?}");
        }
        assert_no_server_started_twice(&jobs);
        assert_agrees_with_drs(&execution, &jobs);
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_04_a_wave_over_its_timeout_times_the_execution_out() {
    let what = "case 4 (wave timeout)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("slow-launch.yaml", "210000000004")),
        )
        .await;
        let execution = run_drill(what, &stack, &plan("short-timeout.yaml"), RUN_LIMIT).await;

        let report = execution.report();
        assert_eq!(report.status, ExecutionStatus::TimedOut, "{report:#?}");
        let statuses: Vec<WaveStatus> = report.waves.iter().map(|w| w.status).collect();
        assert_eq!(statuses, [WaveStatus::TimedOut, WaveStatus::Pending]);
        let database = &report.waves[0];
        let (started, deadline, ended) = (
            database.started_at.unwrap(),
            database.deadline.unwrap(),
            report.ended_at.unwrap(),
        );
        assert_eq!(
            deadline.duration_since(started).as_secs(),
            5 * 60,
            "the wave's deadline is its start plus timeout_minutes"
        );
        assert!(
            ended >= deadline,
            "ended {ended} before the deadline {deadline}"
        );
        for server in &database.servers {
            assert!(
                !server.launch_status.is_terminal(),
                "a server of the timed-out wave finished: {server:?}"
            );
        }

        // drs-sim: the database job was still running when the execution gave up (its
        // launches take an hour); the web wave never started.
        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 1, "{jobs:#?}");
        assert!(jobs[0].is_active(), "{jobs:#?}");
        assert_eq!(
            jobs[0]
                .servers
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            DB
        );
        for web in ["s-e2e00000000000e01", "s-e2e00000000000e02"] {
            assert!(!jobs.iter().any(|job| job.contains(web)), "{jobs:#?}");
        }
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_12_a_wave_selecting_no_server_rejects_the_execution_before_anything_launches() {
    let what = "case 12 (a wave selects nothing)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("three-tier.yaml", "210000000005")),
        )
        .await;
        // A typo in the web tier's tag: no source server carries it.
        let mut plan = plan("three-tier.yaml");
        let web = plan.protection_groups.get_mut("web").unwrap();
        web.tags.insert("Tier".to_owned(), "wbe".to_owned());
        let execution = run_drill(what, &stack, &plan, RUN_LIMIT).await;

        let report = execution.report();
        assert_eq!(report.status, ExecutionStatus::Failed, "{report:#?}");
        let statuses: Vec<WaveStatus> = report.waves.iter().map(|w| w.status).collect();
        assert_eq!(
            statuses,
            [WaveStatus::Pending, WaveStatus::Pending, WaveStatus::Failed]
        );
        let failure = report.waves[2].failure.clone().unwrap_or_default();
        assert!(failure.contains("no source server"), "{failure}");

        // drs-sim: nothing was launched, and one listing served the three waves.
        let jobs = launch_jobs(stack.sim());
        assert!(jobs.is_empty(), "{jobs:#?}");
        let counters = stack.sim().counters();
        assert_eq!(
            counters["requests"]["DescribeSourceServers"].as_u64(),
            Some(1),
            "{counters}"
        );
        assert_eq!(
            counters["requests"]["StartRecovery"].as_u64().unwrap_or(0),
            0,
            "{counters}"
        );
        stack.shutdown().await;
    })
    .await;
}
