//! What goes wrong in production, through the real pipeline on moto + drs-sim: duplicate
//! deliveries, a starter dying between its ledger claim and recording the job, a throttling
//! storm, lost Launch Result events, malformed messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::faults::Injected;
use e2e::sim_jobs::{assert_agrees_with_drs, assert_no_server_started_twice, counter, errors};
use e2e::{
    CrashAfterStartRecovery, FailFirstRecordJob, launch_jobs, plan, run_drill, scenario,
    start_drill, start_stack, wait_for_end, within,
};
use engine::{Execution, ExecutionStatus, LaunchStatus, Mode};
use local_stack::{LocalOptions, LocalStack, PollerSettings};
use pipeline::message::{Message, PlanSource, QueueName, encode};
use pipeline::{Deps, Role};

const CASE_LIMIT: Duration = Duration::from_secs(120);
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The three-tier plan completed with every server launched, each in exactly one job.
fn assert_three_tier_completed(what: &str, stack: &LocalStack, execution: &Execution) {
    let report = execution.report();
    assert_eq!(
        report.status,
        ExecutionStatus::Completed,
        "{what}: {report:#?}"
    );
    // billing-batch is optional, but nothing fails in these scenarios.
    for server in report.waves.iter().flat_map(|w| &w.servers) {
        assert_eq!(
            server.launch_status,
            LaunchStatus::Launched,
            "{what}: {server:?}"
        );
    }
    let jobs = launch_jobs(stack.sim());
    assert_no_server_started_twice(&jobs);
    assert_agrees_with_drs(execution, &jobs);
    let recorded: usize = report.waves.iter().map(|w| w.job_ids.len()).sum();
    assert_eq!(
        jobs.len(),
        recorded,
        "{what}: drs-sim ran jobs the execution does not know: {jobs:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_07_every_message_delivered_twice_starts_no_server_twice() {
    let what = "case 7 (duplicate deliveries)";
    within(what, CASE_LIMIT, async {
        let options = LocalOptions::new(scenario("three-tier.yaml", "210000000007")).with_pollers(
            PollerSettings {
                duplicate_deliveries: true,
                ..PollerSettings::default()
            },
        );
        let stack = start_stack(what, options).await;
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;
        assert_three_tier_completed(what, &stack, &execution);
        assert_eq!(launch_jobs(stack.sim()).len(), 3);

        // Every message of every queue really was handled twice. (Late launch events may
        // still be in a poller's hands: wait until every batch handled is acknowledged.)
        let quiet = |stats: &BTreeMap<Role, local_stack::PollerCounts>| {
            stats
                .values()
                .all(|c| c.records == 2 * (c.deletes + c.failures))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !quiet(&stack.poller_stats()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for (role, counts) in stack.poller_stats() {
            assert!(counts.records > 0, "{role:?}: {counts:?}");
            assert_eq!(
                counts.records,
                2 * (counts.deletes + counts.failures),
                "{role:?} did not see each message twice: {counts:?}"
            );
            assert_eq!(counts.batches % 2, 0, "{role:?}: {counts:?}");
        }
        // And no notification went out twice.
        let notifications: Vec<_> = stack
            .notifications()
            .of(&execution.id)
            .into_iter()
            .map(|n| n.notification)
            .collect();
        for (index, notification) in notifications.iter().enumerate() {
            assert!(
                !notifications[..index].contains(notification),
                "sent twice: {notification:?}"
            );
        }
        stack.shutdown().await;
    })
    .await;
}

/// Case 8's checks once the fault fired: recovered (completed), the request that "crashed"
/// has exactly one job, adopted by the execution and recorded in the ledger, and the budget
/// was given back.
async fn assert_recovered_without_duplicates(
    what: &str,
    stack: &LocalStack,
    execution: &Execution,
    injected: &Injected,
) {
    let requests = injected.requests();
    assert_eq!(
        requests.len(),
        1,
        "{what}: the fault fired {} times",
        requests.len()
    );
    let request = &requests[0];
    assert_three_tier_completed(what, stack, execution);

    let jobs = launch_jobs(stack.sim());
    let mut per_request: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for job in &jobs {
        per_request
            .entry(job.request().unwrap_or("(untagged)"))
            .or_default()
            .push(&job.id);
    }
    assert!(
        per_request.values().all(|ids| ids.len() == 1),
        "{what}: a request (chunk) became several jobs: {per_request:?}"
    );
    let job = per_request
        .get(request.to_string().as_str())
        .and_then(|ids| ids.first())
        .unwrap_or_else(|| panic!("{what}: no drs-sim job for {request}: {per_request:?}"));
    let wave = &execution.report().waves[request.wave];
    assert!(
        wave.job_ids.iter().any(|id| id.as_str() == *job),
        "{what}: the execution does not know {job}: {:?}",
        wave.job_ids
    );
    let claim = stack
        .ledger()
        .claim_record(stack.scope(), request)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{what}: no ledger claim for {request}"));
    assert_eq!(
        claim.job_id.as_ref().map(|id| id.as_str()),
        Some(*job),
        "{what}: {claim:?}"
    );
    assert!(
        !claim.active,
        "{what}: the claim was never released: {claim:?}"
    );
    let budget = stack.ledger().budget(stack.scope()).await.unwrap();
    assert_eq!(budget.active_jobs, 0, "{what}: {budget:?}");
    let starter = stack.poller_stats()[&Role::Starter];
    assert!(
        starter.failures >= 1,
        "{what}: the failed record was not redelivered: {starter:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_08a_starter_dying_after_drs_accepted_the_start_is_recovered_by_adoption() {
    let what = "case 8a (crash after StartRecovery, before record_job)";
    within(what, CASE_LIMIT, async {
        let (injected_tx, injected_rx) = std::sync::mpsc::channel();
        let options = LocalOptions::new(scenario("three-tier.yaml", "210000000008"))
            .with_deps_layer(move |deps: Deps| {
                let (drs, injected) = CrashAfterStartRecovery::new(deps.drs.clone(), 1);
                injected_tx.send(injected).unwrap();
                Deps {
                    drs: Arc::new(drs),
                    ..deps
                }
            });
        let stack = start_stack(what, options).await;
        let injected = injected_rx.recv().unwrap();
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;
        assert_recovered_without_duplicates(what, &stack, &execution, &injected).await;
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_08b_record_job_failing_after_the_claim_is_recovered_without_a_second_job() {
    let what = "case 8b (record_job fails once)";
    within(what, CASE_LIMIT, async {
        let (injected_tx, injected_rx) = std::sync::mpsc::channel();
        let options = LocalOptions::new(scenario("three-tier.yaml", "210000000009"))
            .with_deps_layer(move |deps: Deps| {
                let (ledger, injected) = FailFirstRecordJob::new(deps.ledger.clone(), 1);
                injected_tx.send(injected).unwrap();
                Deps {
                    ledger: Arc::new(ledger),
                    ..deps
                }
            });
        let stack = start_stack(what, options).await;
        let injected = injected_rx.recv().unwrap();
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;
        assert_recovered_without_duplicates(what, &stack, &execution, &injected).await;
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_09_a_throttling_storm_slows_the_drill_down_but_loses_nothing() {
    let what = "case 9 (throttling storm)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("throttled.yaml", "210000000010")),
        )
        .await;
        let started = Instant::now();
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;
        let took = started.elapsed();
        assert_three_tier_completed(what, &stack, &execution);
        // One server per job (the scenario's quota).
        let jobs = launch_jobs(stack.sim());
        assert_eq!(jobs.len(), 8, "{jobs:#?}");

        let throttled = counter(stack.sim(), "throttled");
        assert!(
            throttled > 0,
            "drs-sim throttled nothing: {}",
            stack.sim().counters()
        );
        assert_eq!(
            errors(stack.sim(), "ThrottlingException"),
            throttled,
            "{}",
            stack.sim().counters()
        );
        for queue in QueueName::ALL {
            let dead = stack.dead_letters(queue, 10).await.unwrap();
            assert!(dead.is_empty(), "{}: {dead:?}", queue.as_str());
        }
        eprintln!(
            "{what}: {throttled} requests throttled, completed in {took:?}; counters {}",
            stack.sim().counters()
        );
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_10_with_30_percent_of_launch_events_dropped_the_delayed_checks_finish_the_drill() {
    let what = "case 10 (30% of events dropped)";
    within(what, CASE_LIMIT, async {
        let scenario = scenario("dropped-events.yaml", "210000000011");
        assert_eq!(scenario.events.as_ref().map(|e| e.drop_ratio), Some(0.3));
        let stack = start_stack(what, LocalOptions::new(scenario)).await;
        let execution = run_drill(what, &stack, &plan("three-tier.yaml"), RUN_LIMIT).await;
        assert_three_tier_completed(what, &stack, &execution);

        let events = stack.sim().events();
        let dropped: Vec<_> = events.iter().filter(|e| e.delivery == "dropped").collect();
        let queued = events.iter().filter(|e| e.delivery == "queued").count();
        assert_eq!(events.len(), 20, "one event per server: {events:#?}");
        assert!(!dropped.is_empty(), "no event was dropped: {events:#?}");
        assert!(queued > 0, "every event was dropped: {events:#?}");
        assert_eq!(counter(stack.sim(), "events_dropped"), dropped.len() as u64);
        // A job whose last event was dropped can only have been seen finished by a delayed
        // check (there is no job-completed event).
        let mut last_event: BTreeMap<&str, &drs_sim::events::EventRecord> = BTreeMap::new();
        for event in &events {
            let entry = last_event.entry(event.job_id.as_str()).or_insert(event);
            if event.time >= entry.time {
                *entry = event;
            }
        }
        let finished_by_checks: Vec<&str> = last_event
            .iter()
            .filter(|(_, e)| e.delivery == "dropped")
            .map(|(job, _)| *job)
            .collect();
        eprintln!(
            "{what}: {} of {} events dropped; jobs whose last event was dropped: {finished_by_checks:?}",
            dropped.len(),
            events.len()
        );
        assert!(
            !finished_by_checks.is_empty(),
            "the seed drops no job's last event: the case would not prove the delayed checks"
        );
        stack.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_11_malformed_messages_are_dead_lettered_with_a_reason_and_others_go_on() {
    let what = "case 11 (malformed messages)";
    within(what, CASE_LIMIT, async {
        let stack = start_stack(
            what,
            LocalOptions::new(scenario("three-tier.yaml", "210000000012")),
        )
        .await;
        let plan = plan("three-tier.yaml");

        // In the start queue, together with a real request.
        let mut future_version: serde_json::Value =
            serde_json::from_str(&encode(&Message::StartExecution {
                execution_id: Some("e2e-future".into()),
                plan: PlanSource::Inline { plan: plan.clone() },
                mode: Mode::Drill,
                confirm: None,
                requested_by: "e2e".to_owned(),
            }))
            .unwrap();
        future_version["v"] = 99.into();
        let mut bad_plan = plan.clone();
        bad_plan.name = "Not A Plan Name".to_owned();
        let malformed: Vec<(String, &str)> = vec![
            ("this is not JSON".to_owned(), "not a pipeline message"),
            (
                r#"{"v":1,"kind":"launch_everything_now","execution_id":"x"}"#.to_owned(),
                "not a pipeline message",
            ),
            (future_version.to_string(), "version 99"),
            (
                encode(&Message::StartExecution {
                    execution_id: Some("e2e-bad-plan".into()),
                    plan: PlanSource::Inline { plan: bad_plan },
                    mode: Mode::Drill,
                    confirm: None,
                    requested_by: "e2e".to_owned(),
                }),
                "name",
            ),
        ];
        for (body, _) in &malformed[..2] {
            stack.send_raw(QueueName::Start, body).await.unwrap();
        }
        let id = start_drill(what, &stack, &plan).await;
        for (body, _) in &malformed[2..] {
            stack.send_raw(QueueName::Start, body).await.unwrap();
        }

        // In the check queue, while the real execution's checks go through it.
        let deadline = Instant::now() + RUN_LIMIT;
        loop {
            let running = stack.execution(&id).await.unwrap();
            if running.is_some_and(|e| !e.waves[0].jobs.is_empty()) {
                break;
            }
            assert!(Instant::now() < deadline, "{what}: wave 1 never launched");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let garbage = "{\"v\":1,\"kind\":\"check\"}";
        stack.send_raw(QueueName::Check, garbage).await.unwrap();

        let execution = wait_for_end(what, &stack, &id, RUN_LIMIT).await;
        assert_three_tier_completed(what, &stack, &execution);

        // Each malformed body is in its queue's DLQ, with the reason.
        let dead = stack.dead_letters(QueueName::Start, 10).await.unwrap();
        assert_eq!(dead.len(), malformed.len(), "{dead:#?}");
        for (body, reason) in &malformed {
            let letter = dead
                .iter()
                .find(|m| &m.body == body)
                .unwrap_or_else(|| panic!("{body} is not in the start DLQ: {dead:#?}"));
            let given = letter.attributes.get("reason").cloned().unwrap_or_default();
            assert!(
                given.contains(reason),
                "{body}: reason `{given}` does not say `{reason}`"
            );
        }
        let dead = stack.dead_letters(QueueName::Check, 10).await.unwrap();
        assert_eq!(dead.len(), 1, "{dead:#?}");
        assert_eq!(dead[0].body, garbage);
        assert!(
            dead[0]
                .attributes
                .get("reason")
                .is_some_and(|r| r.contains("not a pipeline message")),
            "{dead:#?}"
        );
        assert!(
            stack
                .dead_letters(QueueName::Advance, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The malformed messages were acknowledged, not retried; nothing else failed.
        for (role, counts) in stack.poller_stats() {
            assert_eq!(counts.failures, 0, "{role:?}: {counts:?}");
        }
        // The bad requests created nothing.
        for bad in ["e2e-future", "e2e-bad-plan"] {
            assert_eq!(stack.execution(&bad.into()).await.unwrap(), None);
        }
        stack.shutdown().await;
    })
    .await;
}
