//! The real function binaries, started as Lambda starts them (`AWS_LAMBDA_RUNTIME_API` and
//! the Lambda variables) against a fixture Runtime API, with AWS played by moto and DRS by
//! drs-sim, served the sample events of `events/`.
//!
//! Each test prints how long a binary took from process spawn to its first
//! `/invocation/next` and to its first answer (a cold start here, without Lambda's own
//! sandbox set-up), for docs/performance.md; nothing asserts on them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_adapters::QueueRef;
use engine::{ExecutionId, ExecutionStatus, Mode};
use lambda_functions::environment as env;
use pipeline::Role;
use pipeline::message::{self, Message, PlanSource, QueueName};
use pipeline::ports::PlanStore;

use support::runtime_api::Outcome;
use support::{Function, Stack, body_of, message_id_of, sample, sqs_event, with_body};

const STORED_EXECUTION: &str = "exec-billing-drill-2025-09-30";

/// The one message the start queue's dead-letter queue holds.
async fn the_one_start_dead_letter(stack: &Stack) -> aws_adapters::ReceivedMessage {
    let mut dead = stack
        .drain(
            QueueRef::DeadLetter(QueueName::Start),
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    dead.remove(0)
}

/// Why that message was dead-lettered.
fn reason_of(dead: &aws_adapters::ReceivedMessage) -> &str {
    &dead.attributes[aws_adapters::sqs::REASON_ATTRIBUTE]
}

fn no_failures() -> Vec<String> {
    Vec::new()
}

/// A complete environment pointing at nothing: for failures found before any call.
fn offline_environment() -> BTreeMap<String, String> {
    let queue = |name: &str| format!("http://127.0.0.1:9/111122223333/{name}");
    let mut vars = BTreeMap::new();
    for (name, value) in [
        ("AWS_REGION", "us-east-1".to_owned()),
        (
            env::AWS_LAMBDA_FUNCTION_NAME,
            "drs-orchestrator-starter".to_owned(),
        ),
        (env::AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "128".to_owned()),
        (env::AWS_LAMBDA_FUNCTION_VERSION, "$LATEST".to_owned()),
        (env::PLANS_TABLE, "drs-orchestrator-plans".to_owned()),
        (
            env::EXECUTIONS_TABLE,
            "drs-orchestrator-executions".to_owned(),
        ),
        (env::LEDGER_TABLE, "drs-orchestrator-ledger".to_owned()),
        (env::START_QUEUE_URL, queue("start")),
        (env::START_DLQ_URL, queue("start-dlq")),
        (env::CHECK_QUEUE_URL, queue("check")),
        (env::CHECK_DLQ_URL, queue("check-dlq")),
        (env::ADVANCE_QUEUE_URL, queue("advance")),
        (env::ADVANCE_DLQ_URL, queue("advance-dlq")),
        (
            env::NOTIFICATION_TOPIC_ARN,
            "arn:aws:sns:us-east-1:111122223333:drs-orchestrator-notifications".to_owned(),
        ),
    ] {
        vars.insert(name.to_owned(), value);
    }
    vars
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_is_reported_to_lambda_as_an_init_error_naming_it() {
    let mut vars = offline_environment();
    vars.remove(env::PLANS_TABLE);
    vars.remove(env::CHECK_QUEUE_URL);
    let spawned = Instant::now();
    let mut starter = Function::spawn(Role::Starter, &vars).await;

    let outcome = starter.api.init_error(Duration::from_secs(30)).await;
    let reported = spawned.elapsed();
    let Some(Outcome::InitError { error_type, body }) = outcome else {
        panic!("no init error: {outcome:?}; log:\n{}", starter.log_text());
    };
    assert_eq!(error_type.as_deref(), Some("Runtime.InitError"));
    assert_eq!(body["errorType"], "InvalidConfiguration");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("the starter function's configuration is incomplete"),
        "{message}"
    );
    assert!(message.contains("PLANS_TABLE: is not set"), "{message}");
    assert!(message.contains("CHECK_QUEUE_URL: is not set"), "{message}");
    assert!(!message.contains("START_QUEUE_URL"), "{message}");

    let status = starter.wait_exit(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| !s.success()),
        "exit status {status:?}"
    );
    assert!(
        starter.api.first_next_at().is_none(),
        "it asked for events anyway"
    );
    let log = starter.log_text();
    assert!(
        log.contains("\"message\":\"init failed\""),
        "no JSON log of the failure:\n{log}"
    );
    println!(
        "starter: process spawn → init error reported {} ms",
        reported.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_plan_events_run_through_the_starter_and_the_advancer() {
    let stack = Stack::start().await;
    stack.store_plan("billing").await;
    let mut starter = Function::spawn(
        Role::Starter,
        &stack.environment("drs-orchestrator-starter"),
    )
    .await;

    // Start: the execution is stored, and the wave's first step (its pre-action, the
    // advancer's) is handed on as the resume message of events/resume.json.
    let start = sample("start-execution-stored-plan.json");
    assert_eq!(starter.invoke_batch(&start).await, no_failures());
    let (execution, version) = stack.execution(STORED_EXECUTION).await.expect("stored");
    assert_eq!(execution.plan.name, "billing");
    assert_eq!(execution.mode, Mode::Drill);
    assert_eq!(execution.status, ExecutionStatus::Running);
    assert_eq!(
        execution.requested_by,
        "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice"
    );
    let handed_on = stack
        .drain(QueueRef::Main(QueueName::Advance), Duration::from_secs(3))
        .await;
    let expected = message::decode(&body_of(&sample("resume.json"))).unwrap();
    let bodies: Vec<_> = handed_on
        .iter()
        .map(|m| message::decode(&m.body).unwrap())
        .collect();
    assert_eq!(bodies, vec![expected]);

    // The same request delivered again changes nothing.
    assert_eq!(starter.invoke_batch(&start).await, no_failures());
    let (_, again) = stack.execution(STORED_EXECUTION).await.unwrap();
    assert_eq!(again, version);

    // The advancer runs the pre-action: not supported in this deployment, so the wave and
    // the execution fail, saying why.
    let mut advancer = Function::spawn(
        Role::Advancer,
        &stack.environment("drs-orchestrator-advancer"),
    )
    .await;
    assert_eq!(
        advancer.invoke_batch(&sample("resume.json")).await,
        no_failures()
    );
    let (failed, failed_version) = stack.execution(STORED_EXECUTION).await.unwrap();
    assert_eq!(failed.status, ExecutionStatus::Failed);
    let failure = format!("{:?}", failed.waves[0].failure);
    assert!(
        failure.contains("actions are not supported yet in this deployment"),
        "{failure}"
    );
    assert!(failure.contains("Billing-CheckReplicationLag"), "{failure}");

    // Approving or advancing a finished execution is acknowledged and changes nothing.
    for name in ["approve.json", "advance.json"] {
        assert_eq!(
            advancer.invoke_batch(&sample(name)).await,
            no_failures(),
            "{name}"
        );
    }
    // So is a retry of its starts (the starter's delayed timer).
    assert_eq!(
        starter.invoke_batch(&sample("retry-start.json")).await,
        no_failures()
    );
    let mut checker = Function::spawn(
        Role::Checker,
        &stack.environment("drs-orchestrator-checker"),
    )
    .await;
    assert_eq!(
        checker.invoke_batch(&sample("check.json")).await,
        no_failures()
    );
    let (_, unchanged) = stack.execution(STORED_EXECUTION).await.unwrap();
    assert_eq!(unchanged, failed_version);

    // Cancel: a second execution of the plan, cancelled by events/cancel.json's message.
    let second = "exec-billing-drill-2025-09-30-second";
    let retarget = |event: &serde_json::Value| {
        with_body(event, &body_of(event).replace(STORED_EXECUTION, second))
    };
    assert_eq!(starter.invoke_batch(&retarget(&start)).await, no_failures());
    assert_eq!(
        advancer
            .invoke_batch(&retarget(&sample("cancel.json")))
            .await,
        no_failures()
    );
    let (cancelled, _) = stack.execution(second).await.unwrap();
    assert_eq!(cancelled.status, ExecutionStatus::Cancelled);
    let cancellation = cancelled.cancellation.expect("cancellation recorded");
    assert_eq!(
        cancellation.by,
        "arn:aws:sts::111122223333:assumed-role/DrLead/alice"
    );
    assert_eq!(
        cancellation.reason,
        "drill window closed before the web tier"
    );

    for queue in QueueName::ALL {
        let dead = stack
            .drain(QueueRef::DeadLetter(queue), Duration::from_secs(1))
            .await;
        assert!(dead.is_empty(), "{} DLQ: {dead:?}", queue.as_str());
    }
    for function in [&starter, &advancer, &checker] {
        println!("{}", function.startup_report());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_runs_to_completion_through_the_three_binaries_and_an_inline_plan_is_refused() {
    let stack = Stack::start().await;
    let mut functions = BTreeMap::new();
    for role in Role::ALL {
        let name = format!("drs-orchestrator-{}", role.as_str());
        let mut vars = stack.environment(&name);
        if role != Role::Starter {
            // The others skip STS GetCallerIdentity; the starter asks it (moto's account).
            vars.insert(
                env::ORCHESTRATOR_ACCOUNT_ID.to_owned(),
                "123456789012".to_owned(),
            );
        }
        functions.insert(role, Function::spawn(role, &vars).await);
    }
    let starter = functions.get_mut(&Role::Starter).unwrap();

    // A deployed starter runs stored plans only: the inline sample is dead-lettered, saying so.
    let inline = sample("start-execution-inline-plan.json");
    assert_eq!(starter.invoke_batch(&inline).await, no_failures());
    let id = format!("exec-{}", message_id_of(&inline));
    assert!(stack.execution(&id).await.is_none());
    let dead = the_one_start_dead_letter(&stack).await;
    let reason = reason_of(&dead);
    assert!(reason.contains("stored plans only"), "{reason}");

    // Stored, the same plan starts by name: servers resolved and started in drs-sim.
    let Message::StartExecution {
        plan: PlanSource::Inline { plan },
        ..
    } = message::decode(&body_of(&inline)).unwrap()
    else {
        panic!("the sample carries its plan whole");
    };
    stack
        .plans()
        .put(&plan, jiff::Timestamp::now(), "runtime_api test")
        .await
        .unwrap();
    let stored = Message::StartExecution {
        execution_id: Some(ExecutionId::new(id.clone())),
        plan: PlanSource::Stored {
            plan_name: plan.name.clone(),
        },
        mode: Mode::Drill,
        confirm: None,
        requested_by: "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice".to_owned(),
    };
    let start = with_body(&inline, &message::encode(&stored));
    assert_eq!(starter.invoke_batch(&start).await, no_failures());
    let (execution, _) = stack.execution(&id).await.expect("stored");
    assert_eq!(execution.plan.name, "billing-db-web");
    let jobs = stack.sim_jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let servers = |job: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = job["participatingServers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["sourceServerID"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        servers(&jobs[0]),
        vec!["s-1234567890abcdef0", "s-1234567890abcdef1"]
    );
    assert_eq!(jobs[0]["isDrill"], true);

    // A DRS launch-result event about that job, as EventBridge delivers it: the checker
    // finds the job's owner and looks at the wave.
    let job_id = jobs[0]["jobID"].as_str().unwrap();
    let event = sample("drs-launch-result.json");
    let launch = with_body(
        &event,
        &body_of(&event).replace("drsjob-0a1b2c3d4e5f67890", job_id),
    );
    let checker = functions.get_mut(&Role::Checker).unwrap();
    assert_eq!(checker.invoke_batch(&launch).await, no_failures());

    // Then Lambda's part: deliver each queue's messages to its function until the end.
    let queues = stack.queues();
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut delivered: BTreeMap<Role, usize> = BTreeMap::new();
    let status = loop {
        let (execution, _) = stack.execution(&id).await.unwrap();
        if execution.status.is_terminal() {
            break execution.status;
        }
        assert!(
            Instant::now() < deadline,
            "not finished in time: {execution:#?}"
        );
        for role in Role::ALL {
            let queue = QueueRef::Main(role.queue());
            let options = aws_adapters::ReceiveOptions {
                max_messages: 10,
                wait_seconds: 1,
                visibility_timeout_seconds: None,
            };
            let messages = queues.receive(queue, options).await.unwrap();
            if messages.is_empty() {
                continue;
            }
            let event = sqs_event(&stack.queue_arn(role.queue()), &messages);
            let function = functions.get_mut(&role).unwrap();
            assert_eq!(function.invoke_batch(&event).await, no_failures());
            for message in &messages {
                queues.delete(queue, &message.receipt_handle).await.unwrap();
            }
            *delivered.entry(role).or_default() += messages.len();
        }
    };
    let (execution, _) = stack.execution(&id).await.unwrap();
    assert_eq!(status, ExecutionStatus::Completed, "{execution:#?}");
    let launched: usize = execution.waves.iter().map(|w| w.servers.len()).sum();
    assert_eq!(launched, 6, "{execution:#?}");
    let jobs = stack.sim_jobs();
    let mut started: Vec<String> = jobs.iter().flat_map(servers).collect();
    started.sort();
    assert_eq!(
        started,
        vec![
            "s-1234567890abcdeb1",
            "s-1234567890abcdeb2",
            "s-1234567890abcdeb3",
            "s-1234567890abcdeb4",
            "s-1234567890abcdef0",
            "s-1234567890abcdef1",
        ],
        "each server started once: {jobs:?}"
    );
    println!("messages delivered per function: {delivered:?}");
    for function in functions.values() {
        println!("{}", function.startup_report());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_bodies_are_dead_lettered_and_malformed_events_fail_the_invocation() {
    let stack = Stack::start().await;
    let mut starter = Function::spawn(
        Role::Starter,
        &stack.environment("drs-orchestrator-starter"),
    )
    .await;
    let event = sample("malformed-body.json");
    assert_eq!(starter.invoke_batch(&event).await, no_failures());

    let dead = the_one_start_dead_letter(&stack).await;
    assert_eq!(dead.body, body_of(&event));
    let reason = reason_of(&dead);
    assert!(reason.contains("not a pipeline message"), "{reason}");
    assert!(reason.contains("`v`"), "{reason}");
    assert_eq!(
        dead.attributes[aws_adapters::sqs::SOURCE_QUEUE_ATTRIBUTE],
        "start"
    );

    // Not an SQS event at all, or a record without its message ID: the invocation fails
    // (SQS would redeliver the batch), and the function serves the next one.
    let outcome = starter
        .invoke(&serde_json::json!({ "hello": "world" }))
        .await;
    assert!(matches!(outcome, Outcome::Error { .. }), "{outcome:?}");
    let mut anonymous = event.clone();
    anonymous["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("messageId");
    let Outcome::Error { body, .. } = starter.invoke(&anonymous).await else {
        panic!("a record without messageId was accepted");
    };
    assert_eq!(body["errorType"], "SqsEventError");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("record 0"),
        "{body}"
    );
    assert_eq!(starter.invoke_batch(&event).await, no_failures());

    // The rejection is logged as JSON, with the invocation's request ID and the message ID.
    let log = starter.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("message rejected"))
        .unwrap_or_else(|| panic!("no rejection logged:\n{log}"));
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["level"], "WARN");
    let spans = line["spans"].as_array().unwrap();
    assert!(spans.iter().any(|s| s["requestId"].is_string()), "{line}");
    assert!(
        spans
            .iter()
            .any(|s| s["message_id"] == message_id_of(&event)),
        "{line}"
    );
    println!("{}", starter.startup_report());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_that_fails_is_reported_alone_and_the_rest_of_the_batch_is_handled() {
    let stack = Stack::start().await;
    let mut vars = stack.environment("drs-orchestrator-checker");
    // A table that does not exist: every load fails.
    vars.insert(
        env::EXECUTIONS_TABLE.to_owned(),
        "fn-no-such-table".to_owned(),
    );
    let mut checker = Function::spawn(Role::Checker, &vars).await;

    let malformed = sample("malformed-body.json");
    let check = sample("check.json");
    let mut batch = check.clone();
    let records = batch["Records"].as_array_mut().unwrap();
    records.insert(0, malformed["Records"][0].clone());
    assert_eq!(
        checker.invoke_batch(&batch).await,
        vec![message_id_of(&check)]
    );

    let dead = stack
        .drain(
            QueueRef::DeadLetter(QueueName::Check),
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].body, body_of(&malformed));
    let log = checker.log_text();
    assert!(
        log.contains("fn-no-such-table"),
        "the failure's reason is not logged:\n{log}"
    );
}

/// The payload 2.0 answer of the api function: status and parsed JSON body.
fn http_answer(outcome: &Outcome) -> (u64, serde_json::Value) {
    let Outcome::Response(answer) = outcome else {
        panic!("expected a response, got {outcome:?}");
    };
    assert_eq!(answer["headers"]["content-type"], "application/json");
    let body = answer["body"]
        .as_str()
        .map(|text| serde_json::from_str(text).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (answer["statusCode"].as_u64().unwrap(), body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_samples_store_a_plan_start_it_through_the_starter_and_show_it() {
    const API_EXECUTION: &str = "exec-billing-api-2025-09-30";
    let stack = Stack::start().await;
    let mut api = Function::spawn_named("api", &stack.environment("drs-orchestrator-api")).await;

    // PUT the plan (YAML, base64): stored with who stored it.
    let (status, body) = http_answer(&api.invoke(&sample("api-put-plan.json")).await);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["waves"], 3);
    let stored = stack.plans().describe("billing").await.unwrap().unwrap();
    assert_eq!(
        stored.updated_by,
        "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice"
    );

    // An invalid plan: 400 with every problem and its position.
    let mut invalid = sample("api-put-plan.json");
    invalid["isBase64Encoded"] = serde_json::json!(false);
    invalid["body"] = serde_json::json!("name: billing\nprotection_groups: {}\nwaves: []\n");
    let (status, body) = http_answer(&api.invoke(&invalid).await);
    assert_eq!(
        (status, &body["error"]),
        (400, &serde_json::json!("invalid_plan"))
    );
    assert!(body["errors"][0]["line"].is_number(), "{body}");

    // POST /plans/billing/drills: the request reaches the start queue, and the starter runs it.
    let (status, body) = http_answer(&api.invoke(&sample("api-start-drill.json")).await);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["execution_id"], API_EXECUTION);
    let (status, _) = http_answer(&api.invoke(&sample("api-get-execution.json")).await);
    assert_eq!(status, 404, "not stored before the starter takes it");
    let requests = stack
        .drain(QueueRef::Main(QueueName::Start), Duration::from_secs(3))
        .await;
    assert_eq!(requests.len(), 1);
    let mut starter = Function::spawn(
        Role::Starter,
        &stack.environment("drs-orchestrator-starter"),
    )
    .await;
    let event = sqs_event(&stack.queue_arn(QueueName::Start), &requests);
    assert_eq!(starter.invoke_batch(&event).await, no_failures());

    // GET shows it, per wave.
    let (status, body) = http_answer(&api.invoke(&sample("api-get-execution.json")).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["plan"], "billing");
    assert_eq!(body["mode"], "drill");
    assert_eq!(
        body["requested_by"],
        "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice"
    );
    let waves = body["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 3);
    assert_eq!(waves[0]["name"], "database");

    // An event without an IAM caller is refused, and the function keeps serving.
    let mut anonymous = sample("api-get-execution.json");
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, body) = http_answer(&api.invoke(&anonymous).await);
    assert_eq!(status, 500);
    assert!(body["message"].as_str().unwrap().contains("IAM"), "{body}");
    println!("{}", api.startup_report());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_starts_without_the_variables_it_does_not_use_and_names_a_missing_one() {
    let stack = Stack::start().await;
    stack.store_plan("billing").await;
    let mut vars = stack.environment("drs-orchestrator-api");
    for unused in [
        env::LEDGER_TABLE,
        env::START_DLQ_URL,
        env::CHECK_QUEUE_URL,
        env::CHECK_DLQ_URL,
        env::ADVANCE_DLQ_URL,
        env::NOTIFICATION_TOPIC_ARN,
    ] {
        vars.remove(unused);
    }
    // Not read by the api, so not checked either.
    vars.insert(
        env::DRS_MAX_SERVERS_PER_JOB.to_owned(),
        "not a number".to_owned(),
    );
    let mut api = Function::spawn_named("api", &vars).await;
    let (status, body) = http_answer(&api.invoke(&sample("api-get-execution.json")).await);
    assert_eq!(status, 404, "{body}; log:\n{}", api.log_text());
    let (status, body) = http_answer(&api.invoke(&sample("api-start-drill.json")).await);
    assert_eq!(status, 202, "{body}; log:\n{}", api.log_text());
    let requests = stack
        .drain(QueueRef::Main(QueueName::Start), Duration::from_secs(3))
        .await;
    assert_eq!(requests.len(), 1, "the request reached the start queue");

    // A variable it does use, missing: an init error naming it and the function, and none
    // of the variables it does not use.
    vars.remove(env::EXECUTIONS_TABLE);
    let mut broken = Function::spawn_named("api", &vars).await;
    let outcome = broken.api.init_error(Duration::from_secs(30)).await;
    let Some(Outcome::InitError { body, .. }) = outcome else {
        panic!("no init error: {outcome:?}; log:\n{}", broken.log_text());
    };
    assert_eq!(body["errorType"], "InvalidConfiguration");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the api function's configuration is incomplete: 1 environment variable is missing"
        ),
        "{message}"
    );
    assert!(
        message.contains("EXECUTIONS_TABLE: is not set"),
        "{message}"
    );
    for unused in [
        env::LEDGER_TABLE,
        env::NOTIFICATION_TOPIC_ARN,
        env::DRS_MAX_SERVERS_PER_JOB,
    ] {
        assert!(!message.contains(unused), "{message}");
    }
    let status = broken.wait_exit(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| !s.success()),
        "exit status {status:?}"
    );
    println!("{}", api.startup_report());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sns_trigger_and_a_schedule_firing_start_executions_and_a_bad_trigger_starts_none() {
    let stack = Stack::start().await;
    let mut billing = stack.store_plan("billing").await;
    // Both samples start `billing`: its executions may run side by side here.
    billing.allow_concurrent_executions = true;
    stack
        .plans()
        .put(&billing, jiff::Timestamp::now(), "runtime_api test")
        .await
        .unwrap();
    let mut starter = Function::spawn(
        Role::Starter,
        &stack.environment("drs-orchestrator-starter"),
    )
    .await;

    // The trigger topic's notification names the execution after SNS's MessageId, a
    // schedule's firing after Scheduler's execution ID; who asked is the topic, the schedule.
    // Each delivered twice (as SNS and Scheduler may): one execution each.
    for (name, id, requested_by) in [
        (
            "sns-trigger.json",
            "exec-sns-2c5e8a1f-6b3d-4f90-8e27-1d4c9b7a3e65",
            "sns:arn:aws:sns:us-east-1:111122223333:drs-orchestrator-triggers",
        ),
        (
            "scheduled-drill.json",
            "exec-sched-d32c5kddcf5bb8c3",
            "arn:aws:scheduler:us-east-1:111122223333:schedule/drs-orchestrator/billing-drill-4e1042c8",
        ),
    ] {
        let event = sample(name);
        assert_eq!(starter.invoke_batch(&event).await, no_failures(), "{name}");
        let mut again = event.clone();
        again["Records"][0]["messageId"] = "1b2c3d4e-0000-4000-8000-00000000dup1".into();
        assert_eq!(starter.invoke_batch(&again).await, no_failures(), "{name}");
        let (execution, _) = stack
            .execution(id)
            .await
            .unwrap_or_else(|| panic!("{name}: no execution {id}"));
        assert_eq!(execution.plan.name, "billing", "{name}");
        assert_eq!(execution.mode, Mode::Drill, "{name}");
        assert_eq!(execution.requested_by, requested_by, "{name}");
    }

    // A message on the trigger topic that is not a trigger (a recovery without its
    // confirmation): dead-lettered with the reason, and no execution.
    let sample_event = sample("sns-trigger.json");
    let mut refused = with_body(&sample_event, r#"{"plan":"billing","mode":"recovery"}"#);
    refused["Records"][0]["messageId"] = "0d9c4b1e-2a7f-4c3e-8b5d-6f1a9e2c7b40".into();
    let refused_id = format!("exec-{}", message_id_of(&refused));
    assert_eq!(starter.invoke_batch(&refused).await, no_failures());
    assert!(stack.execution(&refused_id).await.is_none());
    let dead = the_one_start_dead_letter(&stack).await;
    let reason = reason_of(&dead);
    assert!(reason.contains("RECOVERY"), "{reason}");
    println!("{}", starter.startup_report());
}
