//! EventBridge Scheduler schedules of scheduled drills, against moto.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use aws_adapters::scheduler::{
    MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS, SCHEDULE_ARN, ScheduleError, ScheduleExpression,
    ScheduleRequest, ScheduleSpec, ScheduleTarget, Schedules,
};
use aws_adapters::{AwsConfig, Resources, create_all};
use aws_sdk_scheduler::types::FlexibleTimeWindowMode;
use engine::{ExecutionId, Mode};
use pipeline::message::{Message, PlanSource, decode};
use support::{config, unique};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/drs-orchestrator/scheduler";

struct Stack {
    config: AwsConfig,
    schedules: Schedules,
    target: ScheduleTarget,
    created: aws_adapters::CreatedResources,
}

async fn stack() -> Stack {
    let config = config(None).await;
    let prefix = unique("sched");
    let resources = Resources::with_prefix(&prefix);
    let created = create_all(&config, &resources).await.unwrap();
    let schedules = Schedules::new(&config, &prefix);
    schedules.ensure_group().await.unwrap();
    let target = ScheduleTarget::of_stack(&config, &resources, ROLE_ARN)
        .await
        .unwrap();
    Stack {
        config,
        schedules,
        target,
        created,
    }
}

fn request(plan: &str, expression: ScheduleExpression) -> ScheduleRequest {
    ScheduleRequest {
        plan_name: plan.to_owned(),
        expression,
        timezone: None,
        mode: Mode::Drill,
        confirm: None,
        name: None,
    }
}

#[tokio::test]
async fn the_target_is_the_start_queue_and_its_dead_letter_queue() {
    let stack = stack().await;
    let start = &stack.created.queue_arns[&pipeline::message::QueueName::Start];
    assert_eq!(&stack.target.start_queue_arn, start);
    assert!(
        stack.target.dead_letter_arn.ends_with("-start-dlq"),
        "{}",
        stack.target.dead_letter_arn
    );
    assert_ne!(stack.target.dead_letter_arn, stack.target.start_queue_arn);
}

#[tokio::test]
async fn cron_rate_and_at_schedules_are_created_listed_and_deleted() {
    let stack = stack().await;
    let mut cron = request(
        "billing",
        ScheduleExpression::cron("0 6 1 */3 ? *").unwrap(),
    );
    cron.timezone = Some("Europe/Paris".to_owned());
    let rate = request("billing", ScheduleExpression::rate("7 days").unwrap());
    let mut at = request(
        "payroll",
        ScheduleExpression::at("2026-12-01T06:00:00").unwrap(),
    );
    at.mode = Mode::Recovery;
    at.confirm = Some("RECOVERY".to_owned());
    at.name = Some("payroll-cutover".to_owned());
    let specs: Vec<ScheduleSpec> = [cron, rate, at]
        .into_iter()
        .map(|r| ScheduleSpec::new(r).unwrap())
        .collect();
    for spec in &specs {
        let arn = stack
            .schedules
            .create_scheduled_start(spec, &stack.target)
            .await
            .unwrap();
        assert!(
            arn.ends_with(&format!(
                "schedule/{}/{}",
                stack.schedules.group(),
                spec.name
            )),
            "{arn}"
        );
    }

    let listed = stack.schedules.scheduled_starts(None).await.unwrap();
    let mut names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    let mut expected: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    expected.sort();
    assert_eq!(names, expected);
    for spec in &specs {
        let info = listed.iter().find(|s| s.name == spec.name).unwrap();
        assert_eq!(info.expression, spec.expression.to_aws());
        assert_eq!(
            info.timezone,
            spec.timezone.clone().unwrap_or_else(|| "UTC".to_owned())
        );
        assert_eq!(info.target_arn, stack.target.start_queue_arn);
        let Message::StartExecution {
            plan: PlanSource::Stored { plan_name },
            mode,
            ..
        } = &spec.message
        else {
            panic!("not a start request");
        };
        assert_eq!(info.request, Some((plan_name.clone(), *mode)));
    }
    let payroll = listed.iter().find(|s| s.name == "payroll-cutover").unwrap();
    assert_eq!(
        payroll.request,
        Some(("payroll".to_owned(), Mode::Recovery))
    );
    assert_eq!(payroll.expression, "at(2026-12-01T06:00:00)");

    let billing = stack
        .schedules
        .scheduled_starts(Some("billing"))
        .await
        .unwrap();
    assert_eq!(billing.len(), 2);
    assert!(
        billing
            .iter()
            .all(|s| s.request.as_ref().unwrap().0 == "billing")
    );

    for spec in &specs {
        stack
            .schedules
            .delete_scheduled_start(&spec.name)
            .await
            .unwrap();
    }
    assert!(
        stack
            .schedules
            .scheduled_starts(None)
            .await
            .unwrap()
            .is_empty()
    );
    let again = stack
        .schedules
        .delete_scheduled_start(&specs[0].name)
        .await
        .unwrap_err();
    assert!(
        matches!(again, ScheduleError::NotFound { ref name, .. } if *name == specs[0].name),
        "{again}"
    );
}

#[tokio::test]
async fn the_schedule_fires_exactly_retries_and_dead_letters_into_the_start_dlq() {
    let stack = stack().await;
    let mut recovery = request("billing", ScheduleExpression::rate("1 day").unwrap());
    recovery.mode = Mode::Recovery;
    recovery.confirm = Some("RECOVERY".to_owned());
    let spec = ScheduleSpec::new(recovery).unwrap();
    stack
        .schedules
        .create_scheduled_start(&spec, &stack.target)
        .await
        .unwrap();

    // Read back with the SDK, not through the adapter, so the adapter cannot hide a field.
    let client = aws_sdk_scheduler::Client::new(stack.config.sdk());
    let schedule = client
        .get_schedule()
        .group_name(stack.schedules.group())
        .name(&spec.name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        schedule.flexible_time_window.unwrap().mode,
        FlexibleTimeWindowMode::Off
    );
    let target = schedule.target.unwrap();
    assert_eq!(target.arn, stack.target.start_queue_arn);
    assert_eq!(target.role_arn, ROLE_ARN);
    assert_eq!(
        target.dead_letter_config.unwrap().arn.as_deref(),
        Some(stack.target.dead_letter_arn.as_str())
    );
    let retry = target.retry_policy.unwrap();
    assert_eq!(retry.maximum_retry_attempts, Some(MAX_RETRY_ATTEMPTS));
    assert_eq!(
        retry.maximum_event_age_in_seconds,
        Some(MAX_EVENT_AGE_SECONDS)
    );
    let message = decode(target.input.as_deref().unwrap()).unwrap();
    let Message::StartExecution {
        execution_id,
        plan,
        mode,
        confirm,
        requested_by,
    } = message
    else {
        panic!("not a start request: {message:?}");
    };
    assert_eq!(
        execution_id.as_ref().map(ExecutionId::as_str),
        Some("exec-sched-<aws.scheduler.execution-id>"),
        "every firing names its own execution after Scheduler's firing ID"
    );
    assert_eq!(
        plan,
        PlanSource::Stored {
            plan_name: "billing".to_owned()
        }
    );
    assert_eq!(mode, Mode::Recovery);
    assert_eq!(confirm.as_deref(), Some("RECOVERY"));
    assert_eq!(
        requested_by, SCHEDULE_ARN,
        "who asked is the schedule, as Scheduler names it"
    );
}

#[tokio::test]
async fn creating_the_same_schedule_twice_is_refused() {
    let stack = stack().await;
    let spec = ScheduleSpec::new(request(
        "billing",
        ScheduleExpression::rate("7 days").unwrap(),
    ))
    .unwrap();
    stack
        .schedules
        .create_scheduled_start(&spec, &stack.target)
        .await
        .unwrap();
    let error = stack
        .schedules
        .create_scheduled_start(&spec, &stack.target)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ScheduleError::AlreadyExists { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_group_is_named() {
    let config = config(None).await;
    let schedules = Schedules::new(&config, unique("nogroup"));
    let error = schedules.scheduled_starts(None).await.unwrap_err();
    assert!(
        matches!(error, ScheduleError::GroupNotFound { ref group } if group == schedules.group()),
        "{error}"
    );
    let error = schedules
        .delete_scheduled_start("anything")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ScheduleError::GroupNotFound { .. }),
        "{error}"
    );
}

/// Scheduler delivers at least once and retries: two SQS messages of one firing (the same
/// `<aws.scheduler.execution-id>`) start one execution, requested by the schedule.
#[tokio::test]
async fn one_firing_delivered_twice_starts_one_execution() {
    use pipeline::testing::FakeCloud;
    let plan = plan::parse(
        r#"{ "name": "billing", "protection_groups": { "db": { "servers": ["s-00000000000000001"] } },
             "waves": [ { "name": "database", "groups": ["db"] } ] }"#,
    )
    .unwrap();
    let cloud = FakeCloud::new(pipeline::Config::new(FakeCloud::own_scope()));
    cloud.plans.put(plan.clone());
    cloud.add_plan_servers(&plan);
    let spec = ScheduleSpec::new(ScheduleRequest {
        plan_name: "billing".to_owned(),
        expression: ScheduleExpression::rate("7 days").unwrap(),
        timezone: None,
        mode: Mode::Drill,
        confirm: None,
        name: Some("weekly".to_owned()),
    })
    .unwrap();
    let arn = "arn:aws:scheduler:us-east-1:111122223333:schedule/drs-orchestrator/weekly";
    let body = spec.input_as_fired("d32c5kddcf5bb8c3", arn);
    for message_id in ["sqs-first", "sqs-retry"] {
        pipeline::starter::handle_record(&cloud.deps, &body, message_id)
            .await
            .unwrap();
    }
    let executions = cloud.executions.all();
    assert_eq!(executions.len(), 1, "one firing, one execution");
    assert_eq!(executions[0].id.as_str(), "exec-sched-d32c5kddcf5bb8c3");
    assert_eq!(executions[0].requested_by, arn, "who asked is the schedule");
    assert!(cloud.queues.dead_letters().is_empty());
    // The next firing is another execution (refused while the first runs: one per plan).
    let next = spec.input_as_fired("e41d6leedg6cc9d4", arn);
    pipeline::starter::handle_record(&cloud.deps, &next, "sqs-next")
        .await
        .unwrap();
    let dead = cloud.queues.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.contains("exec-sched-d32c5kddcf5bb8c3"),
        "{}",
        dead[0].reason
    );
}
