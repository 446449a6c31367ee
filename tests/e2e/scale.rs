//! Quotas at scale, through the real pipeline on moto + drs-sim: a wave larger than one job,
//! and two executions sharing one account's concurrent-job budget through the job ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use e2e::sim_jobs::{assert_agrees_with_drs, assert_no_server_started_twice, errors};
use e2e::{launch_jobs, plan, run_drill, scenario, start_drill, start_stack, wait_for_end, within};
use engine::{ExecutionStatus, LaunchStatus, WaveStatus};
use local_stack::{LocalOptions, PollerSettings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_05_a_wave_of_250_servers_runs_as_jobs_of_at_most_100() {
    let what = "case 5 (250-server wave)";
    within(what, Duration::from_secs(150), async {
        let scenario = scenario("large-wave.yaml", "210000000005");
        let fleet: BTreeSet<String> = scenario
            .servers
            .iter()
            .filter(|s| s.tags.get("App").map(String::as_str) == Some("fleet"))
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(fleet.len(), 250, "the fixture's fleet");
        let stack = start_stack(what, LocalOptions::new(scenario)).await;
        let execution = run_drill(
            what,
            &stack,
            &plan("large-wave.yaml"),
            Duration::from_secs(120),
        )
        .await;

        let report = execution.report();
        assert_eq!(
            report.status,
            ExecutionStatus::Completed,
            "{:?}",
            report.totals
        );
        let wave = &report.waves[0];
        assert_eq!(wave.status, WaveStatus::Succeeded);
        assert_eq!(wave.servers.len(), 250);
        assert!(
            wave.servers
                .iter()
                .all(|s| s.launch_status == LaunchStatus::Launched),
            "{:?}",
            report.totals
        );
        assert!(wave.job_ids.len() >= 3, "{:?}", wave.job_ids);

        // drs-sim: at least 3 jobs, none over 100 servers, together the fleet exactly once.
        let jobs = launch_jobs(stack.sim());
        let sizes: Vec<usize> = jobs.iter().map(|job| job.servers.len()).collect();
        assert!(jobs.len() >= 3, "job sizes {sizes:?}");
        assert!(sizes.iter().all(|n| *n <= 100), "job sizes {sizes:?}");
        assert_eq!(jobs.len(), wave.job_ids.len(), "job sizes {sizes:?}");
        assert_no_server_started_twice(&jobs);
        let launched: BTreeSet<String> = jobs
            .iter()
            .flat_map(|job| &job.servers)
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(launched, fleet, "the jobs' servers are not the fleet");
        assert!(
            jobs.iter()
                .flat_map(|job| &job.servers)
                .all(|s| s.launch_status == "LAUNCHED")
        );
        assert_agrees_with_drs(&execution, &jobs);
        eprintln!("{what}: job sizes {sizes:?}");
        stack.shutdown().await;
    })
    .await;
}

/// The most seen at once while the executions ran.
#[derive(Debug, Default, Clone)]
struct Peaks {
    /// drs-sim launch jobs not yet COMPLETED.
    sim_active_jobs: usize,
    /// The ledger's claimed jobs.
    ledger_active_jobs: u32,
    /// Samples where both executions had a job running in drs-sim.
    samples_with_both_running: usize,
    samples: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_06_two_executions_share_a_20_job_budget_and_never_exceed_it() {
    let what = "case 6 (shared 20-job budget)";
    within(what, Duration::from_secs(150), async {
        let scenario = scenario("shared-budget.yaml", "210000000006");
        let budget = scenario.quotas.max_concurrent_jobs as usize;
        assert_eq!(budget, 20, "the fixture's concurrent-job quota");
        assert_eq!(scenario.quotas.max_servers_per_job, 2);
        // Two pollers per queue taking one message at a time, as two concurrent Lambda
        // invocations: both starters claim from the budget at the same time.
        let options = LocalOptions::new(scenario).with_pollers(PollerSettings {
            pollers_per_queue: 2,
            batch_size: Some(1),
            ..PollerSettings::default()
        });
        let stack = Arc::new(start_stack(what, options).await);
        assert_eq!(stack.deps().config.limits.concurrent_jobs, 20);

        let alpha = start_drill(what, &stack, &plan("budget-alpha.yaml")).await;
        let beta = start_drill(what, &stack, &plan("budget-beta.yaml")).await;

        // Sample drs-sim's active jobs and the ledger's budget while both run.
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (stack, done) = (Arc::clone(&stack), Arc::clone(&done));
            let prefixes = [format!("{alpha}/"), format!("{beta}/")];
            tokio::spawn(async move {
                let mut peaks = Peaks::default();
                while !done.load(Ordering::SeqCst) {
                    let active: Vec<_> = launch_jobs(stack.sim())
                        .into_iter()
                        .filter(|job| job.is_active())
                        .collect();
                    let running = |prefix: &str| {
                        active
                            .iter()
                            .any(|job| job.request().is_some_and(|r| r.starts_with(prefix)))
                    };
                    if running(&prefixes[0]) && running(&prefixes[1]) {
                        peaks.samples_with_both_running += 1;
                    }
                    peaks.sim_active_jobs = peaks.sim_active_jobs.max(active.len());
                    if let Ok(budget) = stack.ledger().budget(stack.scope()).await {
                        peaks.ledger_active_jobs = peaks.ledger_active_jobs.max(budget.active_jobs);
                    }
                    peaks.samples += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                peaks
            })
        };
        let limit = Duration::from_secs(120);
        let first = wait_for_end(what, &stack, &alpha, limit).await;
        let second = wait_for_end(what, &stack, &beta, limit).await;
        done.store(true, Ordering::SeqCst);
        let peaks = sampler.await.unwrap();
        eprintln!("{what}: {peaks:?}");

        for execution in [&first, &second] {
            let report = execution.report();
            assert_eq!(
                report.status,
                ExecutionStatus::Completed,
                "{}: {:?}",
                report.plan,
                report.totals
            );
            assert_eq!(report.totals.launched, 40, "{:?}", report.totals);
            assert_eq!(report.waves[0].job_ids.len(), 20, "{:?}", report.totals);
        }

        // Never more than the budget, in drs-sim or in the ledger; DRS never had to refuse a
        // job for the quota (the ledger kept them under it); the budget was really shared.
        assert!(peaks.sim_active_jobs <= budget, "{peaks:?}");
        assert!(peaks.ledger_active_jobs as usize <= budget, "{peaks:?}");
        assert_eq!(
            errors(stack.sim(), "ServiceQuotaExceededException"),
            0,
            "drs-sim refused jobs over its quota: {}",
            stack.sim().counters()
        );
        assert_eq!(
            peaks.ledger_active_jobs as usize, budget,
            "the budget was never used up: the case does not test sharing it ({peaks:?})"
        );
        assert!(peaks.samples_with_both_running > 0, "{peaks:?}");

        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 40);
        assert!(jobs.iter().all(|job| job.servers.len() <= 2));
        assert_no_server_started_twice(&jobs);
        assert_agrees_with_drs(&first, &jobs);
        assert_agrees_with_drs(&second, &jobs);
        let mut per_execution: BTreeMap<String, usize> = BTreeMap::new();
        for job in &jobs {
            let request = job.request().unwrap_or_default();
            let execution = request.split('/').next().unwrap_or_default();
            *per_execution.entry(execution.to_owned()).or_default() += 1;
        }
        assert_eq!(
            per_execution,
            BTreeMap::from([(alpha.to_string(), 20), (beta.to_string(), 20)])
        );
        // Every claim was given back.
        let budget_left = stack.ledger().budget(stack.scope()).await.unwrap();
        assert_eq!(budget_left.active_jobs, 0, "{budget_left:?}");

        match Arc::try_unwrap(stack) {
            Ok(stack) => stack.shutdown().await,
            Err(_) => panic!("the sampler still holds the stack"),
        }
    })
    .await;
}
