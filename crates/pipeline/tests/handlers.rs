//! The handlers through a fake cloud: messages delivered as SQS would, DRS jobs launching on
//! the fake clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use engine::{
    ActionPhase, Event, Execution, ExecutionStatus, Input, LaunchEvent, LaunchResult, LaunchStatus,
    Limits, Mode, Notification, Rejection, WaveOutcome, WavePhase,
};
use pipeline::message::{self, Message, PlanSource, QueueName};
use pipeline::ports::{ExecutionStore, PortError};
use pipeline::testing::FakeCloud;
use pipeline::{Config, InlinePlans, Record, Role, checker, launch_event, process_batch, starter};
use plan::{Plan, ProtectionGroup, Wave};

const MAX_DELIVERIES: usize = 2_000;

fn sid(n: usize) -> String {
    format!("s-{n:017x}")
}

/// Three waves: `db` (2 servers), `app` (3 servers: two jobs at 2 per job), `web` (2).
fn three_waves() -> Plan {
    let waves = [
        ("db", vec![1, 2]),
        ("app", vec![3, 4, 5]),
        ("web", vec![6, 7]),
    ];
    let mut protection_groups = BTreeMap::new();
    let mut plan_waves = Vec::new();
    for (name, servers) in waves {
        protection_groups.insert(
            name.to_owned(),
            ProtectionGroup {
                target: None,
                servers: servers.into_iter().map(sid).collect(),
                tags: BTreeMap::new(),
            },
        );
        plan_waves.push(Wave {
            name: name.to_owned(),
            groups: vec![name.to_owned()],
            rto_minutes: None,
            timeout_minutes: None,
            pause_before: false,
            optional_servers: Vec::new(),
            pre_actions: Vec::new(),
            post_actions: Vec::new(),
        });
    }
    Plan {
        allow_self_approval: false,
        allow_concurrent_executions: false,
        name: "billing".to_owned(),
        description: None,
        rto_minutes: None,
        defaults: plan::Defaults::default(),
        targets: BTreeMap::new(),
        protection_groups,
        waves: plan_waves,
    }
}

fn wave_servers(plan: &Plan, wave: usize) -> Vec<String> {
    plan.waves[wave]
        .groups
        .iter()
        .flat_map(|g| plan.protection_groups[g].servers.clone())
        .collect()
}

fn all_servers(plan: &Plan) -> Vec<String> {
    (0..plan.waves.len())
        .flat_map(|w| wave_servers(plan, w))
        .collect()
}

/// Small quotas, so that waves need several jobs and the budget matters.
fn limits() -> Limits {
    Limits {
        servers_per_job: 2,
        concurrent_jobs: 2,
        servers_in_active_jobs: 4,
    }
}

fn cloud_with(plan: &Plan) -> FakeCloud {
    let cloud = FakeCloud::new(Config {
        limits: limits(),
        own_scope: FakeCloud::own_scope(),
        // Some cases send their plan whole.
        inline_plans: InlinePlans::Accepted,
    });
    cloud.plans.put(plan.clone());
    cloud.add_plan_servers(plan);
    cloud
}

fn start(execution_id: &str, plan: &Plan) -> Message {
    Message::StartExecution {
        execution_id: Some(execution_id.into()),
        plan: PlanSource::Stored {
            plan_name: plan.name.clone(),
        },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "test".to_owned(),
    }
}

fn outcomes(execution: &Execution) -> Vec<Option<WaveOutcome>> {
    execution
        .waves
        .iter()
        .map(|w| match w.phase {
            WavePhase::Ended { outcome } => Some(outcome),
            _ => None,
        })
        .collect()
}

/// Every server of the plan was launched by exactly one DRS job.
fn assert_each_server_started_once(cloud: &FakeCloud, plan: &Plan) {
    for server in all_servers(plan) {
        assert_eq!(
            cloud.drs.jobs_of_server(&server),
            1,
            "server {server} in jobs {:?}",
            cloud.drs.jobs()
        );
    }
}

#[tokio::test]
async fn a_three_wave_drill_runs_to_completed_with_and_without_launch_events() {
    for launch_events in [true, false] {
        let plan = three_waves();
        let mut cloud = cloud_with(&plan);
        cloud.delivery.launch_events = launch_events;
        cloud.send(&start("exec-1", &plan));
        cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

        let execution = cloud.execution("exec-1").unwrap();
        assert_eq!(
            execution.status,
            ExecutionStatus::Completed,
            "events {launch_events}"
        );
        assert_eq!(outcomes(&execution), vec![Some(WaveOutcome::Succeeded); 3]);
        for wave in &execution.waves {
            for server in &wave.servers {
                assert_eq!(server.launch_status, LaunchStatus::Launched, "{server:?}");
                assert!(server.recovery_instance_id.is_some(), "{server:?}");
            }
        }
        assert_each_server_started_once(&cloud, &plan);
        assert_eq!(
            cloud.drs.jobs().len(),
            4,
            "1 + 2 + 1 jobs of at most 2 servers"
        );
        // Waves run in order: no job of a wave starts before every job of the previous one
        // completed.
        let jobs = cloud.drs.jobs();
        for wave in 1..3 {
            let previous_end = jobs
                .iter()
                .filter(|j| j.request.wave == wave - 1)
                .map(|j| j.started_at.as_second() + pipeline::testing::FakeDrs::LAUNCH_SECONDS)
                .max()
                .unwrap();
            let first_start = jobs
                .iter()
                .filter(|j| j.request.wave == wave)
                .map(|j| j.started_at.as_second())
                .min()
                .unwrap();
            assert!(first_start >= previous_end, "wave {wave} started early");
        }
        let scope = FakeCloud::own_scope();
        assert_eq!(cloud.ledger.active_jobs(&scope), 0, "every claim released");
        assert!(
            cloud.ledger.peak_jobs(&scope) <= 2,
            "the budget of 2 jobs held"
        );
        assert!(
            cloud.executions.cleanup(&"exec-1".into()).is_some(),
            "drill cleanup recorded"
        );
        let notifications: Vec<Notification> =
            cloud.notifier.sent().into_iter().map(|(_, n)| n).collect();
        assert!(matches!(
            notifications.first(),
            Some(Notification::ExecutionStarted { .. })
        ));
        assert_eq!(
            notifications.last(),
            Some(&Notification::ExecutionFinished {
                status: ExecutionStatus::Completed
            })
        );
        assert!(
            cloud.queues.dead_letters().is_empty(),
            "{:?}",
            cloud.queues.dead_letters()
        );
        // Work is forwarded to its owner: the advancer hands the next wave's starts to the
        // starter.
        let resumes = cloud
            .queues
            .sent()
            .into_iter()
            .filter(|m| matches!(m.message, Message::Resume { .. }))
            .count();
        assert!(resumes >= 2, "one resume per later wave, got {resumes}");
        // Those forwarded starts never reached DRS (their claims were granted fresh): no
        // search for their jobs.
        assert_eq!(cloud.drs.reissue_lookups(), 0, "events {launch_events}");
    }
}

#[tokio::test]
async fn every_message_delivered_twice_starts_no_server_twice() {
    let plan = three_waves();
    let mut cloud = cloud_with(&plan);
    cloud.delivery.duplicate = true;
    cloud.send(&start("exec-1", &plan));
    let delivered = cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
    assert_eq!(cloud.drs.jobs().len(), 4);
    let sent = cloud.queues.sent().len() + 1;
    assert!(
        delivered >= 2 * sent,
        "{delivered} deliveries for {sent} messages"
    );
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
}

#[tokio::test]
async fn a_lost_version_race_reloads_and_decides_again() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.executions.conflict_on_next_saves(3);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    assert_eq!(cloud.executions.conflicts(), 3);
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
}

#[tokio::test]
async fn a_concurrent_cancel_wins_over_the_wave_start_it_raced() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let at = jiff::Timestamp::from_second(pipeline::testing::FakeClock::START_SECOND).unwrap();
    // The starter's first save (the wave's servers resolved) races with a cancel.
    cloud
        .executions
        .write_concurrently_on_next_save(Box::new(move |execution| {
            let cancel = Event::CancelRequested {
                by: "alice".into(),
                reason: "wrong plan".into(),
            };
            let input = Input::new(execution.id.clone(), cancel);
            *execution = engine::decide(execution.clone(), input, at).unwrap().state;
        }));
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    assert_eq!(cloud.executions.conflicts(), 1);
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Cancelled);
    assert_eq!(cloud.drs.start_calls(), 0, "{:?}", cloud.drs.jobs());
}

#[tokio::test]
async fn a_crash_after_drs_accepted_a_start_is_recovered_with_one_job_per_chunk() {
    // With the adapter's tag lookup, and without it (the running job adopted after DRS's
    // conflict).
    for tag_lookup in [true, false] {
        let plan = three_waves();
        let cloud = cloud_with(&plan);
        cloud.drs.set_tag_lookup(tag_lookup);
        cloud.drs.accept_then_fail(1);
        cloud.send(&start("exec-1", &plan));
        cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

        let execution = cloud.execution("exec-1").unwrap();
        assert_eq!(
            execution.status,
            ExecutionStatus::Completed,
            "tag lookup {tag_lookup}"
        );
        assert_each_server_started_once(&cloud, &plan);
        for wave in &execution.waves {
            for chunk in wave.chunks() {
                assert!(chunk.job_id().is_some(), "{chunk:?}");
            }
        }
        let adopted = execution.waves[0].jobs.iter().any(|j| j.adopted);
        assert_eq!(adopted, !tag_lookup, "{:?}", execution.waves[0].jobs);
        assert!(
            cloud.drs.start_calls() > cloud.drs.jobs().len(),
            "the start was re-issued"
        );
        assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
        assert!(cloud.queues.dead_letters().is_empty());
    }
}

#[tokio::test]
async fn a_throttled_search_for_a_reissued_starts_job_keeps_its_claim_and_searches_again() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    // The first start reaches DRS but its answer is lost; the re-issue's search for the job
    // is throttled: the retry must search again (its claim still held), not start afresh.
    cloud.drs.accept_then_fail(1);
    cloud.drs.throttle_lookups(1);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
    assert!(
        cloud.drs.reissue_lookups() >= 2,
        "searched again after the throttled search: {}",
        cloud.drs.reissue_lookups()
    );
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
    assert!(cloud.queues.dead_letters().is_empty());
}

#[tokio::test]
async fn an_unparseable_body_is_dead_lettered_and_the_rest_of_the_batch_processed() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let records = vec![
        Record::new("m-1", "{not json"),
        Record::new("m-2", message::encode(&start("exec-2", &plan))),
        Record::new("m-3", r#"{"v":7,"kind":"check"}"#),
    ];
    let failed = process_batch(&cloud.deps, Role::Starter, &records).await;

    assert!(failed.is_empty(), "{failed:?}");
    let dead = cloud.queues.dead_letters();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(
        (dead[0].queue, dead[0].body.as_str()),
        (QueueName::Start, "{not json")
    );
    assert!(
        dead[0].reason.contains("not a pipeline message"),
        "{}",
        dead[0].reason
    );
    assert!(dead[1].reason.contains("version 7"), "{}", dead[1].reason);
    assert!(
        cloud.execution("exec-2").is_some(),
        "the valid record was processed"
    );
}

#[tokio::test]
async fn an_sns_trigger_starts_the_stored_plan_and_anything_else_is_refused() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let records = vec![
        Record::new("sns-1", r#"{"plan":"billing","mode":"drill"}"#),
        Record::new("sns-2", r#"{"plan":"billing","mode":"drill","when":"now"}"#),
        Record::new("sns-3", r#"{"plan":"no-such-plan","mode":"drill"}"#),
    ];
    let failed = process_batch(&cloud.deps, Role::Starter, &records).await;

    assert!(failed.is_empty(), "{failed:?}");
    let execution = cloud
        .execution("exec-sns-1")
        .expect("the trigger started an execution");
    assert_eq!(execution.plan.name, "billing");
    assert_eq!(execution.mode, Mode::Drill);
    assert_eq!(execution.requested_by, pipeline::trigger::REQUESTED_BY);
    assert!(!cloud.drs.jobs().is_empty(), "its first wave was started");
    let dead = cloud.queues.dead_letters();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(
        dead[0].reason.contains("a trigger is"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[1].reason.contains("no-such-plan"),
        "{}",
        dead[1].reason
    );
    assert_eq!(
        cloud.executions.all().len(),
        1,
        "only the valid trigger started anything"
    );
}

#[tokio::test]
async fn a_recovery_needs_its_confirmation() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let request = |id: &str, confirm: Option<&str>| Message::StartExecution {
        execution_id: Some(id.into()),
        plan: PlanSource::Stored {
            plan_name: plan.name.clone(),
        },
        mode: Mode::Recovery,
        confirm: confirm.map(str::to_owned),
        requested_by: "test".to_owned(),
    };
    for (id, confirm) in [("exec-none", None), ("exec-yes", Some("yes"))] {
        let body = message::encode(&request(id, confirm));
        starter::handle_record(&cloud.deps, &body, id)
            .await
            .unwrap();
    }
    let dead = cloud.queues.dead_letters();
    assert_eq!(dead.len(), 2);
    assert!(
        dead[0].reason.contains("\"confirm\": \"RECOVERY\""),
        "{}",
        dead[0].reason
    );
    assert!(dead[1].reason.contains("\"yes\""), "{}", dead[1].reason);
    assert!(cloud.executions.all().is_empty(), "no execution created");

    let body = message::encode(&request("exec-confirmed", Some("RECOVERY")));
    starter::handle_record(&cloud.deps, &body, "m-3")
        .await
        .unwrap();
    let execution = cloud.execution("exec-confirmed").unwrap();
    assert_eq!(execution.mode, Mode::Recovery);
    assert!(cloud.drs.jobs().iter().all(|j| !j.is_drill));
    assert!(!cloud.drs.jobs().is_empty());
}

#[tokio::test]
async fn invalid_requests_are_dead_lettered_with_the_reason() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let mut broken = plan.clone();
    broken.name = "Not A Name".to_owned();
    let cases = [
        (
            Message::StartExecution {
                execution_id: Some("e-1".into()),
                plan: PlanSource::Stored {
                    plan_name: "nope".into(),
                },
                mode: Mode::Drill,
                confirm: None,
                requested_by: "t".into(),
            },
            "plan `nope` is not stored",
        ),
        (
            Message::StartExecution {
                execution_id: Some("e-2".into()),
                plan: PlanSource::Inline { plan: broken },
                mode: Mode::Drill,
                confirm: None,
                requested_by: "t".into(),
            },
            "name",
        ),
        (
            Message::Check {
                execution_id: "e-3".into(),
                wave: 0,
                attempt: 1,
                token: engine::Token(1),
            },
            "belongs on the check queue",
        ),
    ];
    for (message, reason) in &cases {
        starter::handle_record(&cloud.deps, &message::encode(message), "m")
            .await
            .unwrap();
        let dead = cloud.queues.dead_letters();
        let last = dead.last().unwrap();
        assert!(last.reason.contains(reason), "{reason}: {}", last.reason);
    }
    assert_eq!(cloud.queues.dead_letters().len(), cases.len());
    assert!(cloud.executions.all().is_empty());
}

#[tokio::test]
async fn a_request_without_an_id_gets_one_from_its_message_and_a_redelivery_starts_nothing_new() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let message = Message::StartExecution {
        execution_id: None,
        plan: PlanSource::Stored {
            plan_name: plan.name.clone(),
        },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "schedule".to_owned(),
    };
    let record = Record::new("3f1c2a9e", message::encode(&message));
    for _ in 0..2 {
        let failed = process_batch(&cloud.deps, Role::Starter, std::slice::from_ref(&record)).await;
        assert!(failed.is_empty());
    }
    let executions = cloud.executions.all();
    assert_eq!(executions.len(), 1);
    assert_eq!(executions[0].id.as_str(), "exec-3f1c2a9e");
    assert_eq!(cloud.drs.jobs().len(), 1, "wave 0 is one job of 2 servers");
}

#[tokio::test]
async fn a_transient_port_error_fails_only_its_record() {
    let mut plan = three_waves();
    // Two executions of one plan in one batch.
    plan.allow_concurrent_executions = true;
    let cloud = cloud_with(&plan);
    cloud.executions.faults.fail_next(PortError::Transient(
        "DynamoDB: ProvisionedThroughputExceeded".into(),
    ));
    let records = vec![
        Record::new("m-a", message::encode(&start("exec-a", &plan))),
        Record::new("m-b", message::encode(&start("exec-b", &plan))),
    ];
    let failed = process_batch(&cloud.deps, Role::Starter, &records).await;

    assert_eq!(failed, vec!["m-a".to_owned()]);
    assert!(cloud.execution("exec-a").is_none());
    assert!(cloud.execution("exec-b").is_some());
    assert!(cloud.queues.dead_letters().is_empty());
    // SQS delivers it again: now it goes through.
    let failed = process_batch(&cloud.deps, Role::Starter, &records[..1]).await;
    assert!(failed.is_empty());
    assert!(cloud.execution("exec-a").is_some());
}

#[tokio::test]
async fn a_failing_drs_call_is_retried_by_sqs_until_it_succeeds() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud
        .drs
        .describe_faults
        .fail_next_n(3, PortError::Transient("DescribeJobs: throttled".into()));
    cloud
        .drs
        .start_faults
        .fail_next(PortError::Transient("StartRecovery: timeout".into()));
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    assert_eq!(cloud.drs.describe_faults.pending(), 0);
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
}

#[tokio::test]
async fn a_check_chain_survives_describe_jobs_failing_more_often_than_sqs_redelivers() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    // More failures in a row than the fake queue's `max_receives` (5): if a failing
    // DescribeJobs failed the record, the live check would be dead-lettered and nothing would
    // watch the wave any more.
    cloud.drs.describe_faults.fail_next_n(
        12,
        PortError::Permanent("DescribeJobs: AccessDeniedException".into()),
    );
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    assert_eq!(
        cloud.drs.describe_faults.pending(),
        0,
        "every fault was hit"
    );
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert!(
        cloud.queues.dead_letters().is_empty(),
        "{:?}",
        cloud.queues.dead_letters()
    );
    assert_each_server_started_once(&cloud, &plan);
}

#[tokio::test]
async fn a_check_that_overtakes_the_save_of_its_token_is_delivered_again_not_dropped() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.send(&start("exec-1", &plan));
    cloud.deliver_due().await;
    let execution = cloud.execution("exec-1").unwrap();
    let current = execution.current_wave;
    // The current attempt's next check, and the first check of the next wave's first attempt
    // (the decision that begins a wave also sends its first check, before saving).
    let cases = [
        (current, execution.waves[current].attempt),
        (current + 1, execution.waves[current + 1].attempt + 1),
    ];
    for (wave, attempt) in cases {
        let issued = execution.waves[wave].last_check_token().0;
        let early = Message::Check {
            execution_id: "exec-1".into(),
            wave,
            attempt,
            token: engine::Token(issued + 1),
        };
        let result = checker::handle_record(&cloud.deps, &message::encode(&early), "m-early").await;

        let error = result.expect_err("a check from an unsaved decision must be retried");
        assert!(
            error.is_transient(),
            "wave {wave} attempt {attempt}: {error}"
        );
        assert_eq!(
            cloud.execution("exec-1").unwrap(),
            execution,
            "nothing changed"
        );
    }
    assert!(cloud.queues.dead_letters().is_empty());
}

#[tokio::test]
async fn a_permanent_resolution_error_rejects_the_execution_with_its_reason() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.drs.resolve_faults.fail_next(PortError::Permanent(
        "DescribeSourceServers: AccessDeniedException: not authorized".into(),
    ));
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    // The target cannot be read: every wave using it is named, before anything starts.
    for wave in &execution.waves {
        let failure = format!("{:?}", wave.failure);
        assert!(failure.contains("AccessDeniedException"), "{failure}");
    }
    assert!(cloud.drs.jobs().is_empty(), "nothing was started");
}

#[tokio::test]
async fn a_wave_that_selects_nothing_rejects_the_execution_before_anything_starts() {
    let mut plan = three_waves();
    // The last wave selects by a tag no source server carries.
    let web = plan.protection_groups.get_mut("web").unwrap();
    web.servers.clear();
    web.tags = [("Tier".to_owned(), "web".to_owned())].into();
    let cloud = cloud_with(&plan);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(
        outcomes(&execution),
        [None, None, Some(WaveOutcome::Failed)]
    );
    assert_eq!(
        execution.waves[2].failure,
        Some(engine::WaveFailure::NoServers)
    );
    assert!(cloud.drs.jobs().is_empty(), "nothing was started");
    assert_eq!(cloud.drs.start_calls(), 0);
    assert_eq!(
        cloud.drs.resolve_calls(),
        1,
        "one listing of the target for the three waves"
    );
    let notifications: Vec<Notification> =
        cloud.notifier.sent().into_iter().map(|(_, n)| n).collect();
    assert!(
        notifications.iter().any(|n| matches!(
            n,
            Notification::SelectionRejected { waves } if waves.len() == 1 && waves[0].wave == 2
        )),
        "{notifications:?}"
    );
    assert!(
        !notifications
            .iter()
            .any(|n| matches!(n, Notification::WaveStarted { .. })),
        "no wave started"
    );
    assert!(cloud.queues.dead_letters().is_empty());
    assert!(
        cloud.executions.cleanup(&"exec-1".into()).is_none(),
        "nothing to clean up"
    );
}

#[tokio::test]
async fn an_exhausted_ledger_backs_off_and_completes_once_the_budget_frees() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let scope = FakeCloud::own_scope();
    // Another execution holds the whole budget of 2 jobs.
    cloud.ledger.occupy(&scope, 2, 1);
    cloud.send(&start("exec-1", &plan));
    let retry_sent = |cloud: &FakeCloud| {
        cloud
            .queues
            .sent()
            .iter()
            .any(|m| matches!(m.message, Message::RetryStart { .. }))
    };
    cloud.run_until(MAX_DELIVERIES, retry_sent).await.unwrap();
    assert!(cloud.drs.jobs().is_empty(), "nothing starts without budget");
    assert!(cloud.ledger.exhausted_claims() > 0);
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Running);

    cloud.clock.advance(60);
    cloud.ledger.free_foreign();
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
    assert!(cloud.ledger.peak_jobs(&scope) <= 2);
}

/// Launch events only time the checks: a wave's burst of events costs one `DescribeJobs`, and
/// the fallback checks stretch while events arrive, so a drill with events describes fewer
/// times than one without (which polls at the plan's interval).
#[tokio::test]
async fn launch_events_save_describes_instead_of_costing_one_each() {
    let mut describes = Vec::new();
    for launch_events in [true, false] {
        let plan = three_waves();
        let mut cloud = cloud_with(&plan);
        cloud.delivery.launch_events = launch_events;
        cloud.send(&start("exec-1", &plan));
        cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
        let execution = cloud.execution("exec-1").unwrap();
        assert_eq!(execution.status, ExecutionStatus::Completed);
        describes.push(cloud.drs.describe_calls());
    }
    // Launches take 100 s and the plan checks every 30 s. Without events: checks at 30, 60,
    // 90 and 120 s in each of the 3 waves. With events: wave 1 checks at 30, 60 and 90 s and
    // once when its events are in; wave 2 (stretched to 60 s) at 60 s and once; wave 3
    // (stretched to 120 s) only once. Seven events, one describe each, would be 7 more.
    assert_eq!(describes, [4 + 2 + 1, 4 * 3], "with and without events");
}

#[tokio::test]
async fn drs_rejections_back_off_and_the_claim_is_given_back() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.drs.reject_next(Rejection::Throttled {
        retry_after_seconds: Some(5),
    });
    cloud.drs.reject_next(Rejection::QuotaExceeded);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    assert_each_server_started_once(&cloud, &plan);
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
}

#[tokio::test]
async fn a_launch_event_for_a_job_that_is_not_ours_is_acknowledged_without_effect() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.drs.set_launch_seconds(None);
    cloud.send(&start("exec-1", &plan));
    cloud.deliver_due().await;
    let version = cloud.executions.version(&"exec-1".into()).unwrap();
    let describes = cloud.drs.describe_calls();

    let event = LaunchEvent {
        job_id: "drsjob-someone-else".into(),
        server_id: "s-99999999999999999".into(),
        result: LaunchResult::Succeeded,
    };
    let body = launch_event::to_json(&event, "111122223333", "us-east-1", true);
    checker::handle_record(&cloud.deps, &body, "m-event")
        .await
        .unwrap();

    assert_eq!(cloud.executions.version(&"exec-1".into()), Some(version));
    assert_eq!(cloud.drs.describe_calls(), describes);
    assert!(cloud.queues.dead_letters().is_empty());

    // An event of one of our jobs is a hint: recorded, and no DescribeJobs of its own.
    let job = cloud.drs.jobs()[0].clone();
    assert_eq!(job.servers.len(), 2);
    let report = |server: usize, message_id: &'static str| {
        let ours = LaunchEvent {
            job_id: job.id.clone(),
            server_id: job.servers[server].clone(),
            result: LaunchResult::Succeeded,
        };
        let body = launch_event::to_json(&ours, "111122223333", "us-east-1", true);
        let deps = &cloud.deps;
        async move { checker::handle_record(deps, &body, message_id).await }
    };
    report(0, "m-event-2").await.unwrap();
    assert_eq!(cloud.drs.describe_calls(), describes);
    let hinted = cloud.execution("exec-1").unwrap();
    assert_eq!(hinted.waves[0].hints.reported.len(), 1);
    assert_eq!(
        hinted.waves[0].servers[0].launch_status,
        LaunchStatus::Pending,
        "an event is not the truth"
    );
    // The same event again changes nothing.
    let version = cloud.executions.version(&"exec-1".into());
    report(0, "m-event-2-again").await.unwrap();
    assert_eq!(cloud.executions.version(&"exec-1".into()), version);

    // The job's last report pulls the check in: one DescribeJobs a second later.
    report(1, "m-event-3").await.unwrap();
    assert_eq!(cloud.drs.describe_calls(), describes);
    assert_eq!(
        cloud.deliver_due().await,
        0,
        "the pulled-in check is delayed"
    );
    cloud
        .clock
        .advance(i64::from(engine::check::REPORTED_CHECK_SECONDS));
    assert_eq!(cloud.deliver_due().await, 1);
    assert_eq!(cloud.drs.describe_calls(), describes + 1);
}

#[tokio::test]
async fn messages_for_an_execution_that_is_gone_are_acknowledged() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let messages = [
        (
            Role::Checker,
            Message::Check {
                execution_id: "gone".into(),
                wave: 0,
                attempt: 1,
                token: engine::Token(1),
            },
        ),
        (
            Role::Advancer,
            Message::Advance {
                execution_id: "gone".into(),
                wave: 0,
                attempt: 1,
            },
        ),
        (
            Role::Starter,
            Message::Resume {
                execution_id: "gone".into(),
                wave: 0,
                attempt: 1,
            },
        ),
    ];
    for (role, message) in messages {
        let record = Record::new("m", message::encode(&message));
        assert!(process_batch(&cloud.deps, role, &[record]).await.is_empty());
    }
    assert!(cloud.queues.dead_letters().is_empty());
    assert!(cloud.queues.sent().is_empty());
}

#[tokio::test]
async fn a_critical_failure_fails_the_execution_and_no_later_wave_starts() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    let failing = sid(4);
    cloud.drs.set_outcome(&failing, LaunchStatus::Failed);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(
        outcomes(&execution),
        vec![
            Some(WaveOutcome::Succeeded),
            Some(WaveOutcome::Failed),
            None
        ]
    );
    let wave_3: BTreeSet<String> = wave_servers(&plan, 2).into_iter().collect();
    for job in cloud.drs.jobs() {
        assert!(
            job.servers.iter().all(|s| !wave_3.contains(s.as_str())),
            "wave 3 server started in {job:?}"
        );
    }
    assert!(cloud.notifier.sent().iter().any(|(_, n)| matches!(
        n,
        Notification::ServerFailed { critical: true, server, .. } if server.as_str() == failing
    )));
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
}

#[tokio::test]
async fn approvals_and_actions_are_carried_out_by_the_advancer() {
    let mut plan = three_waves();
    let lambda = |name: &str| {
        plan::Action::Lambda(plan::LambdaAction {
            function_arn: format!("arn:aws:lambda:us-east-1:111122223333:function:{name}"),
            ..Default::default()
        })
    };
    plan.waves[0].pre_actions = vec![lambda("check-db")];
    plan.waves[1].pause_before = true;
    plan.waves[1].post_actions = vec![lambda("smoke")];
    let cloud = cloud_with(&plan);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::AwaitingApproval);
    // Asked for wave 1 only (perhaps more than once: a stale check re-issues what the wave
    // waits on, and approval requests are idempotent).
    let requested = cloud.approvals.requested();
    assert!(!requested.is_empty());
    assert!(
        requested.iter().all(|r| *r == ("exec-1".into(), 1)),
        "{requested:?}"
    );
    assert_eq!(cloud.drs.jobs().len(), 1, "only wave 0 ran");

    cloud.send(&Message::Approve {
        execution_id: "exec-1".into(),
        wave: 1,
        by: "alice".into(),
    });
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Completed);
    let runs: Vec<(usize, ActionPhase)> = cloud
        .actions
        .runs()
        .iter()
        .map(|r| (r.wave, r.phase))
        .collect();
    assert_eq!(runs, vec![(0, ActionPhase::Pre), (1, ActionPhase::Post)]);
    assert_each_server_started_once(&cloud, &plan);
}

#[tokio::test]
async fn failing_notifications_never_block_the_pipeline() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.notifier.faults.fail_next_n(
        1_000,
        PortError::Permanent("SNS: AuthorizationError".into()),
    );
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    assert_eq!(
        cloud.execution("exec-1").unwrap().status,
        ExecutionStatus::Completed
    );
    assert!(cloud.notifier.sent().is_empty());
}

#[tokio::test]
async fn a_cancel_stops_the_execution_and_gives_its_budget_back() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.drs.set_launch_seconds(None);
    cloud.send(&start("exec-1", &plan));
    cloud.deliver_due().await;
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 1);

    cloud.send(&Message::Cancel {
        execution_id: "exec-1".into(),
        by: "alice".into(),
        reason: "test over".into(),
    });
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Cancelled);
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
    assert_eq!(cloud.drs.jobs().len(), 1);
}

#[test]
fn handler_futures_can_run_on_a_multi_threaded_runtime() {
    fn assert_send<T: Send>(_: &T) {}
    let cloud = FakeCloud::default();
    let records = [Record::new("m", "{}")];
    let batch = process_batch(&cloud.deps, Role::Checker, &records);
    assert_send(&batch);
    let one = starter::handle_record(&cloud.deps, "{}", "m");
    assert_send(&one);
}

#[tokio::test]
async fn a_wave_past_its_timeout_times_the_execution_out_and_frees_its_budget() {
    let mut plan = three_waves();
    plan.waves[0].timeout_minutes = Some(3);
    let cloud = cloud_with(&plan);
    cloud.drs.set_launch_seconds(None);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::TimedOut);
    assert_eq!(outcomes(&execution)[0], Some(WaveOutcome::TimedOut));
    assert!(cloud.clock.elapsed_seconds() >= 180);
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
    assert_eq!(cloud.drs.jobs().len(), 1, "no later wave started");
}

#[tokio::test]
async fn a_start_drs_refuses_as_invalid_fails_the_wave_and_gives_the_claim_back() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.drs.reject_next(Rejection::Validation {
        message: "source server is not replicating".into(),
    });
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();

    let execution = cloud.execution("exec-1").unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert!(cloud.drs.jobs().is_empty());
    assert_eq!(cloud.ledger.active_jobs(&FakeCloud::own_scope()), 0);
}

#[tokio::test]
async fn a_plan_runs_one_execution_at_a_time_unless_it_allows_more() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.send(&start("exec-1", &plan));
    cloud.deliver_due().await;
    assert!(cloud.execution("exec-1").is_some());
    // A second start while the first runs: dead-lettered, naming the live execution.
    starter::handle_record(
        &cloud.deps,
        &message::encode(&start("exec-2", &plan)),
        "m-2",
    )
    .await
    .unwrap();
    let dead = cloud.queues.dead_letters();
    let reason = &dead.last().unwrap().reason;
    assert!(
        reason.contains("`exec-1`") && reason.contains("allow_concurrent_executions"),
        "{reason}"
    );
    assert!(cloud.execution("exec-2").is_none());
    // The redelivered first request is still its own execution, not refused.
    starter::handle_record(
        &cloud.deps,
        &message::encode(&start("exec-1", &plan)),
        "m-1",
    )
    .await
    .unwrap();
    assert_eq!(cloud.queues.dead_letters().len(), 1);

    // Once the first has finished, the plan is free again.
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    assert!(cloud.execution("exec-1").unwrap().is_terminal());
    cloud.send(&start("exec-3", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    assert_eq!(
        cloud.execution("exec-3").map(|e| e.status),
        Some(ExecutionStatus::Completed)
    );

    // A plan that allows concurrent executions starts a second one beside the first.
    let mut open = three_waves();
    open.name = "open".to_owned();
    open.allow_concurrent_executions = true;
    cloud.plans.put(open.clone());
    for id in ["exec-open-1", "exec-open-2"] {
        starter::handle_record(&cloud.deps, &message::encode(&start(id, &open)), id)
            .await
            .unwrap();
        assert!(cloud.execution(id).is_some(), "{id}");
    }
    assert_eq!(cloud.queues.dead_letters().len(), 1);
}

#[tokio::test]
async fn a_hold_left_by_a_finished_execution_is_taken_over() {
    let plan = three_waves();
    let cloud = cloud_with(&plan);
    cloud.send(&start("exec-1", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    let finished = cloud.execution("exec-1").unwrap();
    assert!(finished.is_terminal());
    // As if the release at its end had been lost with a crash: the finished execution
    // holds its plan again.
    cloud.executions.remove(&"exec-1".into());
    cloud.executions.create(&finished).await.unwrap();
    assert_eq!(
        cloud.executions.plan_holder(&plan.name).await.unwrap(),
        Some("exec-1".into())
    );
    cloud.send(&start("exec-2", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    assert_eq!(
        cloud.execution("exec-2").map(|e| e.status),
        Some(ExecutionStatus::Completed)
    );
    assert!(cloud.queues.dead_letters().is_empty());
}

#[tokio::test]
async fn a_deployed_starter_runs_stored_plans_only() {
    let plan = three_waves();
    let cloud = FakeCloud::new(Config {
        limits: limits(),
        ..Config::new(FakeCloud::own_scope())
    });
    cloud.plans.put(plan.clone());
    cloud.add_plan_servers(&plan);
    let inline = Message::StartExecution {
        execution_id: Some("exec-inline".into()),
        plan: PlanSource::Inline { plan: plan.clone() },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "t".into(),
    };
    starter::handle_record(&cloud.deps, &message::encode(&inline), "m-inline")
        .await
        .unwrap();
    let dead = cloud.queues.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("stored plans only"),
        "{}",
        dead[0].reason
    );
    assert!(cloud.execution("exec-inline").is_none());
    // The same plan, stored and named, runs.
    cloud.send(&start("exec-stored", &plan));
    cloud.run_until_quiet(MAX_DELIVERIES).await.unwrap();
    assert_eq!(
        cloud.execution("exec-stored").map(|e| e.status),
        Some(ExecutionStatus::Completed)
    );
}
