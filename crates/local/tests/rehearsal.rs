//! The local stack running example plans end to end: moto, drs-sim, the real queues, tables,
//! EventBridge rule and handlers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use engine::{
    ActionResult, Execution, ExecutionId, ExecutionStatus, LaunchStatus, Notification,
    ServerOutcome, WaveStatus,
};
use local_stack::{
    ActionFailure, ActionSettings, ApprovalPolicy, Ending, LocalOptions, LocalStack,
    PollerSettings, WatchOptions,
};
use pipeline::message::QueueName;
use pipeline::ports::{Created, ExecutionStore, PortError, PortResult, Version};
use pipeline::{Deps, Role};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scenario(name: &str) -> drs_sim::Scenario {
    drs_sim::Scenario::from_file(&root().join("examples/scenarios").join(name)).unwrap()
}

fn plan(name: &str) -> plan::Plan {
    let text = std::fs::read_to_string(root().join("examples/plans").join(name)).unwrap();
    plan::parse(&text).unwrap()
}

fn limit(seconds: u64) -> WatchOptions {
    WatchOptions {
        limit: Duration::from_secs(seconds),
        ..WatchOptions::default()
    }
}

async fn run(stack: &LocalStack, plan: &plan::Plan, seconds: u64) -> Ending {
    let id = stack.start_drill(plan).await.unwrap();
    stack.watch(&id, limit(seconds), |_| {}).await.unwrap()
}

const DB: [&str; 2] = ["s-1234567890abcdef0", "s-1234567890abcdef1"];
const APP: [&str; 3] = [
    "s-00000000000000a0a",
    "s-1234567890abcdea1",
    "s-1234567890abcdea2",
];
const WEB: [&str; 4] = [
    "s-1234567890abcdeb1",
    "s-1234567890abcdeb2",
    "s-1234567890abcdeb3",
    "s-1234567890abcdeb4",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_tier_drill_completes_through_queues_events_and_tables() {
    let started = Instant::now();
    let stack = LocalStack::start(LocalOptions::new(scenario("three-tier.yaml")))
        .await
        .unwrap();
    assert_eq!(stack.time_scale(), 60.0, "the scenario's own time scale");
    assert_eq!(stack.scope().account_id, "111122223333");
    assert_eq!(stack.scope().region, "us-east-1");

    let ending = run(&stack, &plan("billing.yaml"), 120).await;
    let Ending::Finished(execution) = &ending else {
        panic!("not finished: {ending:?}")
    };
    let report = execution.report();
    assert_eq!(report.status, ExecutionStatus::Completed);
    assert!(ending.is_completed());
    assert_eq!(report.rto_met, Some(true));
    let expected = [&DB[..], &APP[..], &WEB[..]];
    for (wave, servers) in report.waves.iter().zip(expected) {
        assert_eq!(wave.status, WaveStatus::Succeeded, "{wave:?}");
        assert_eq!(wave.job_ids.len(), 1, "{wave:?}");
        let ids: Vec<&str> = wave.servers.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, servers);
        for server in &wave.servers {
            assert_eq!(server.launch_status, LaunchStatus::Launched);
            assert_eq!(server.outcome, ServerOutcome::Launched);
            assert!(
                server
                    .recovery_instance_id
                    .as_deref()
                    .is_some_and(|i| i.starts_with("i-")),
                "{server:?}"
            );
            assert!(
                server.seconds_to_launch.is_some_and(|s| s > 0),
                "{server:?}"
            );
            assert_eq!(server.optional, server.id.as_str() == "s-00000000000000a0a");
        }
    }
    // The paused wave was approved through the advance queue.
    assert_eq!(
        report.waves[1].approved_by.as_deref(),
        Some(local_stack::approvals::REHEARSAL_APPROVER)
    );
    assert_eq!(
        stack.approvals().requested(),
        vec![(execution.id.clone(), 1)]
    );

    // drs-sim saw the jobs of the three waves, with the wave's servers each.
    let jobs = stack.launch_jobs();
    let job_servers: Vec<BTreeSet<String>> = jobs
        .iter()
        .map(|(_, servers)| servers.iter().cloned().collect())
        .collect();
    for servers in expected {
        let wanted: BTreeSet<String> = servers.iter().map(|s| (*s).to_owned()).collect();
        assert!(job_servers.contains(&wanted), "{jobs:?}");
    }
    assert_eq!(jobs.len(), 3, "{jobs:?}");

    // Launch results went drs-sim → moto's EventBridge → rule → check queue → checker.
    let counters = stack.sim().counters();
    assert_eq!(counters["events_sent"], 9, "{counters}");
    assert_eq!(counters["events_failed"], 0, "{counters}");
    let checker = stack.poller_stats()[&Role::Checker];
    assert!(checker.records >= 9, "{checker:?}");

    // Every action ran once and succeeded; notifications were recorded.
    let actions = stack.actions().records();
    assert_eq!(actions.len(), 4, "{actions:?}");
    assert!(actions.iter().all(|a| a.result == ActionResult::Succeeded));
    // The end is saved before it is announced: give the advancer a moment to publish it.
    let finished = |n: &Notification| matches!(n, Notification::ExecutionFinished { .. });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !stack
        .notifications()
        .of(&execution.id)
        .iter()
        .any(|n| finished(&n.notification))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let notifications = stack.notifications().of(&execution.id);
    assert!(matches!(
        notifications.first().map(|n| &n.notification),
        Some(Notification::ExecutionStarted { .. })
    ));
    assert!(matches!(
        notifications.last().map(|n| &n.notification),
        Some(Notification::ExecutionFinished {
            status: ExecutionStatus::Completed
        })
    ));
    // Nothing failed on the way.
    for (role, counts) in stack.poller_stats() {
        assert_eq!(counts.failures, 0, "{role:?}: {counts:?}");
    }
    for queue in QueueName::ALL {
        assert!(stack.dead_letters(queue, 10).await.unwrap().is_empty());
    }
    eprintln!("three-tier drill: {:?} of real time", started.elapsed());
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_server_failing_fails_the_drill_before_the_next_wave() {
    let stack = LocalStack::start(
        LocalOptions::new(scenario("failing-server.yaml")).with_time_scale(120.0),
    )
    .await
    .unwrap();
    let ending = run(&stack, &plan("billing.yaml"), 120).await;
    let Ending::Finished(execution) = &ending else {
        panic!("not finished: {ending:?}")
    };
    let report = execution.report();
    assert_eq!(report.status, ExecutionStatus::Failed);
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
    let status_of = |id: &str| {
        app.servers
            .iter()
            .find(|s| s.id.as_str() == id)
            .map(|s| (s.launch_status, s.optional))
    };
    // billing-app-2 (critical) failed at conversion; billing-batch (optional) at launch.
    assert_eq!(
        status_of("s-1234567890abcdea2"),
        Some((LaunchStatus::Failed, false))
    );
    assert_eq!(
        status_of("s-00000000000000a0a"),
        Some((LaunchStatus::Failed, true))
    );
    assert_eq!(
        status_of("s-1234567890abcdea1"),
        Some((LaunchStatus::Launched, false))
    );
    assert!(report.waves[2].job_ids.is_empty());

    // No job of drs-sim contains a server of the web wave.
    let jobs = stack.launch_jobs();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    for (job, servers) in &jobs {
        assert!(
            servers.iter().all(|s| !WEB.contains(&s.as_str())),
            "{job} launched a web server: {servers:?}"
        );
    }

    // The job logs say why.
    let failures = stack.launch_failures(execution).await;
    let app_2 = failures.get(&"s-1234567890abcdea2".into()).unwrap();
    assert!(app_2.starts_with("CONVERSION_FAIL: "), "{app_2}");
    assert!(app_2.contains("ec2:DetachVolume"), "{app_2}");
    assert!(
        failures
            .get(&"s-00000000000000a0a".into())
            .is_some_and(|f| f.starts_with("LAUNCH_FAILED")),
        "{failures:?}"
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_action_fails_its_wave_and_never_approving_leaves_it_paused() {
    // The post-action of the application wave fails: wave 2 fails, wave 3 never starts.
    let options = LocalOptions::new(scenario("three-tier.yaml"))
        .with_time_scale(120.0)
        .with_actions(ActionSettings {
            duration_seconds: 10.0,
            failures: vec![ActionFailure::new("billing-smoke-test")],
        });
    let stack = LocalStack::start(options).await.unwrap();
    let ending = run(&stack, &plan("billing.yaml"), 120).await;
    let execution = ending.execution().unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed, "{ending:?}");
    let report = execution.report();
    assert_eq!(report.waves[1].status, WaveStatus::Failed);
    let failure = report.waves[1].failure.clone().unwrap();
    assert!(failure.contains("billing-smoke-test failed"), "{failure}");
    assert_eq!(report.waves[2].status, WaveStatus::Pending);
    stack.shutdown().await;

    // Without approvals the drill waits before the application wave.
    let options = LocalOptions::new(scenario("three-tier.yaml"))
        .with_time_scale(120.0)
        .with_approvals(ApprovalPolicy::Never);
    let stack = LocalStack::start(options).await.unwrap();
    let ending = run(&stack, &plan("billing.yaml"), 120).await;
    let Ending::AwaitingApproval(execution) = &ending else {
        panic!("expected a pause: {ending:?}")
    };
    assert_eq!(execution.status, ExecutionStatus::AwaitingApproval);
    assert_eq!(
        execution.waves[0].phase,
        engine::WavePhase::Ended {
            outcome: engine::WaveOutcome::Succeeded
        }
    );
    assert_eq!(
        execution.waves[1].phase,
        engine::WavePhase::AwaitingApproval
    );
    assert!(!ending.is_completed());
    let jobs = stack.launch_jobs();
    assert!(
        jobs.iter()
            .flat_map(|(_, s)| s)
            .all(|s| DB.contains(&s.as_str())),
        "{jobs:?}"
    );
    stack.shutdown().await;
}

/// An execution store whose `create` always fails (transiently), counting the attempts.
struct UnavailableStore {
    inner: Arc<dyn ExecutionStore>,
    creates: Arc<AtomicU64>,
}

#[async_trait]
impl ExecutionStore for UnavailableStore {
    async fn create(&self, _execution: &Execution) -> PortResult<Created> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        Err(PortError::Transient(
            "injected: DynamoDB unavailable".to_owned(),
        ))
    }
    async fn load(&self, id: &ExecutionId) -> PortResult<Option<(Execution, Version)>> {
        self.inner.load(id).await
    }
    async fn release_plan(&self, plan_name: &str, holder: &ExecutionId) -> PortResult<()> {
        self.inner.release_plan(plan_name, holder).await
    }
    async fn plan_holder(&self, plan_name: &str) -> PortResult<Option<ExecutionId>> {
        self.inner.plan_holder(plan_name).await
    }
    async fn save(&self, execution: &Execution, expected: Version) -> PortResult<Option<Version>> {
        self.inner.save(execution, expected).await
    }
    async fn record_cleanup(
        &self,
        id: &ExecutionId,
        cleanup: &engine::DrillCleanup,
    ) -> PortResult<()> {
        self.inner.record_cleanup(id, cleanup).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_failing_every_time_are_redriven_to_the_dlq_and_garbage_is_dead_lettered() {
    let creates = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&creates);
    let options = LocalOptions::new(scenario("three-tier.yaml"))
        .with_time_scale(120.0)
        .with_pollers(PollerSettings {
            failure_visibility: Some(Duration::ZERO),
            ..PollerSettings::default()
        })
        .with_deps_layer(move |deps: Deps| Deps {
            executions: Arc::new(UnavailableStore {
                inner: deps.executions.clone(),
                creates: counter,
            }),
            ..deps
        });
    let stack = LocalStack::start(options).await.unwrap();
    let id = stack.start_drill(&plan("billing.yaml")).await.unwrap();
    let garbage = stack
        .send_raw(QueueName::Check, "not a message")
        .await
        .unwrap();

    let max_receives = stack
        .resources()
        .queue(QueueName::Start)
        .unwrap()
        .max_receive_count;
    let deadline = Instant::now() + Duration::from_secs(60);
    let dead = loop {
        let dead = stack.dead_letters(QueueName::Start, 10).await.unwrap();
        if !dead.is_empty() || Instant::now() > deadline {
            break dead;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // moto moved it after `maxReceiveCount` failed receives; the poller never deletes it.
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].body.contains("start_execution"), "{}", dead[0].body);
    assert_eq!(
        creates.load(Ordering::SeqCst),
        u64::from(max_receives),
        "one handler call per receive"
    );
    let starter = stack.poller_stats()[&Role::Starter];
    assert_eq!(starter.failures, u64::from(max_receives), "{starter:?}");
    assert_eq!(starter.deletes, 0, "{starter:?}");
    assert_eq!(stack.execution(&id).await.unwrap(), None);

    // A body that is no message goes to the check DLQ at once, with the reason.
    let dead = stack.dead_letters(QueueName::Check, 10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].body, "not a message");
    assert_ne!(
        dead[0].message_id, garbage,
        "the handler sent a new message"
    );
    let reason = dead[0]
        .attributes
        .get("reason")
        .cloned()
        .unwrap_or_default();
    assert!(reason.contains("not a pipeline message"), "{reason}");
    stack.shutdown().await;
}
