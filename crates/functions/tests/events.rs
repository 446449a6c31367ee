//! The sample events of `events/` are what they claim to be, and the READMEs document every
//! sample and every environment variable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use std::sync::Arc;

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_functions::environment::VARIABLES;
use lambda_functions::{http_api, sqs_event};
use pipeline::api::{ApiDeps, RouteId, routes};
use pipeline::launch_event::{self, EventBody};
use pipeline::message::{self, Message, QueueName};
use pipeline::testing::{FakeClock, FakeExecutionStore, FakePlanStore, FakeQueues};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each sample, the kind of its body (`None`: not a pipeline message) and its queue.
const SAMPLES: &[(&str, Option<&str>, QueueName)] = &[
    (
        "start-execution-stored-plan.json",
        Some("start_execution"),
        QueueName::Start,
    ),
    (
        "start-execution-inline-plan.json",
        Some("start_execution"),
        QueueName::Start,
    ),
    ("retry-start.json", Some("retry_start"), QueueName::Start),
    ("check.json", Some("check"), QueueName::Check),
    ("drs-launch-result.json", None, QueueName::Check),
    ("advance.json", Some("advance"), QueueName::Advance),
    ("resume.json", Some("resume"), QueueName::Advance),
    ("approve.json", Some("approve"), QueueName::Advance),
    ("cancel.json", Some("cancel"), QueueName::Advance),
    ("malformed-body.json", None, QueueName::Start),
    ("sns-trigger.json", None, QueueName::Start),
    (
        "scheduled-drill.json",
        Some("start_execution"),
        QueueName::Start,
    ),
];

/// The HTTP API samples (API Gateway HTTP API, payload 2.0) and the route each calls.
const API_SAMPLES: &[(&str, RouteId)] = &[
    ("api-put-plan.json", RouteId::PutPlan),
    ("api-start-drill.json", RouteId::StartDrill),
    ("api-get-execution.json", RouteId::GetExecution),
];

/// The execution the API samples start and read.
const API_EXECUTION: &str = "exec-billing-api-2025-09-30";

fn load_api(name: &str) -> ApiGatewayV2httpRequest {
    let path = repo().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(name: &str) -> SqsEvent {
    let path = repo().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_sample_is_an_sqs_event_of_its_queue_with_the_body_it_claims() {
    for (name, kind, queue) in SAMPLES {
        let event = load(name);
        let records = sqs_event::records(&event).unwrap();
        assert_eq!(records.len(), 1, "{name}");
        let record = &records[0];
        assert_eq!(record.receive_count, 1, "{name}");
        let source = event.records[0].event_source_arn.as_deref().unwrap();
        let queue_name = format!(":drs-orchestrator-{}", queue.as_str());
        assert!(source.ends_with(&queue_name), "{name}: {source}");
        match kind {
            Some(kind) => {
                let decoded =
                    message::decode(&record.body).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(decoded.kind(), *kind, "{name}");
                if let Some(expected) = decoded.queue() {
                    assert_eq!(expected, *queue, "{name}");
                }
            }
            None => assert!(message::decode(&record.body).is_err(), "{name} decodes"),
        }
    }
}

#[test]
fn the_launch_result_sample_is_the_event_the_checker_reads() {
    let event = load("drs-launch-result.json");
    let body = event.records[0].body.as_deref().unwrap();
    assert!(launch_event::is_event(body));
    let EventBody::Launch(launch) = launch_event::parse(body).unwrap() else {
        panic!("not a launch result");
    };
    assert_eq!(launch.job_id.as_str(), "drsjob-0a1b2c3d4e5f67890");
    assert_eq!(launch.server_id.as_str(), "s-1234567890abcdef0");
}

#[test]
fn the_inline_plan_sample_is_a_valid_drill() {
    let event = load("start-execution-inline-plan.json");
    let body = event.records[0].body.as_deref().unwrap();
    let Message::StartExecution { plan, mode, .. } = message::decode(body).unwrap() else {
        panic!("not a start request");
    };
    assert_eq!(mode, engine::Mode::Drill);
    let pipeline::message::PlanSource::Inline { plan } = plan else {
        panic!("not an inline plan");
    };
    plan::validate(&plan).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn the_events_readme_lists_every_sample_and_no_other() {
    let readme = std::fs::read_to_string(repo().join("events/README.md")).unwrap();
    let mut files: Vec<String> = std::fs::read_dir(repo().join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    let mut samples: Vec<String> = SAMPLES
        .iter()
        .map(|(name, ..)| (*name).to_owned())
        .chain(API_SAMPLES.iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    samples.sort();
    assert_eq!(files, samples, "events/ and this test disagree");
    for name in &files {
        assert!(
            readme.contains(&format!("`{name}`")),
            "events/README.md lacks {name}"
        );
    }
}

#[test]
fn the_functions_readme_documents_every_variable() {
    let readme = std::fs::read_to_string(repo().join("crates/functions/README.md")).unwrap();
    for variable in VARIABLES {
        assert!(
            readme.contains(&format!("`{}`", variable.name)),
            "crates/functions/README.md lacks {}",
            variable.name
        );
    }
}

#[test]
fn every_api_sample_is_a_signed_http_api_request_of_its_route() {
    for (name, route) in API_SAMPLES {
        let request =
            http_api::request_of(load_api(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (found, _) = routes::resolve(&request.method, &request.path)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        assert_eq!(found, *route, "{name}");
        assert_eq!(
            request.caller, "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice",
            "{name}"
        );
        assert!(!request.request_id.is_empty(), "{name}");
    }
}

#[test]
fn the_put_plan_sample_carries_the_billing_example_base64_encoded() {
    let event = load_api("api-put-plan.json");
    assert!(event.is_base64_encoded);
    let request = http_api::request_of(event).unwrap();
    let example = std::fs::read_to_string(repo().join("examples/plans/billing.yaml")).unwrap();
    assert_eq!(request.body.as_deref(), Some(example.as_str()));
    assert_eq!(request.content_type.as_deref(), Some("application/yaml"));
}

#[tokio::test]
async fn the_api_samples_run_through_the_handler() {
    let plans = FakePlanStore::default();
    let executions = FakeExecutionStore::default();
    let queues = FakeQueues::new(Arc::new(FakeClock::at_start()));
    let deps = ApiDeps {
        plans: &plans,
        executions: &executions,
        queues: &queues,
    };
    let now: jiff::Timestamp = "2025-09-30T10:00:00Z".parse().unwrap();
    let serve = |name: &str| {
        let request = http_api::request_of(load_api(name)).unwrap();
        pipeline::api::handle(&deps, request, now)
    };

    let put = serve("api-put-plan.json").await;
    assert_eq!(put.status, 201, "{:?}", put.body);
    assert_eq!(plans.stored("billing").unwrap().plan.waves.len(), 3);

    // Not stored until the starter takes the request.
    assert_eq!(serve("api-get-execution.json").await.status, 404);
    let start = serve("api-start-drill.json").await;
    assert_eq!(start.status, 202, "{:?}", start.body);
    let sent = queues.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].queue, QueueName::Start);
    let Message::StartExecution {
        execution_id: Some(id),
        mode,
        requested_by,
        ..
    } = &sent[0].message
    else {
        panic!("{:?}", sent[0].message);
    };
    assert_eq!((id.as_str(), *mode), (API_EXECUTION, engine::Mode::Drill));
    // The requester is the IAM caller API Gateway authenticated, not anything in the body.
    assert_eq!(
        requested_by,
        "arn:aws:sts::111122223333:assumed-role/DrEngineer/alice"
    );

    // What the starter stores, the get sample shows.
    let request = engine::ExecutionRequest {
        execution_id: id.clone(),
        plan: plans.stored("billing").unwrap().plan,
        mode: *mode,
        limits: engine::Limits::default(),
        requested_by: "alice".into(),
    };
    let state = engine::start(request, now).unwrap().state;
    use pipeline::ports::ExecutionStore;
    executions.create(&state).await.unwrap();
    let got = serve("api-get-execution.json").await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    let body = got.body.unwrap();
    assert_eq!(body["execution_id"], API_EXECUTION);
    assert_eq!(body["waves"].as_array().unwrap().len(), 3);
}

#[test]
fn the_sns_trigger_sample_is_the_trigger_of_the_stored_plan() {
    let event = load("sns-trigger.json");
    let body = event.records[0].body.as_deref().unwrap();
    let trigger = pipeline::trigger::parse(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trigger.plan, "billing");
    assert_eq!(trigger.mode, engine::Mode::Drill);
    // SNS's notification: its MessageId names the execution (every delivery of one publish
    // is the same execution), its topic is who asked.
    assert_eq!(
        trigger
            .execution_id
            .as_ref()
            .map(engine::ExecutionId::as_str),
        Some("exec-sns-2c5e8a1f-6b3d-4f90-8e27-1d4c9b7a3e65")
    );
    assert_eq!(
        trigger.requested_by,
        "sns:arn:aws:sns:us-east-1:111122223333:drs-orchestrator-triggers"
    );
}

#[test]
fn the_scheduled_drill_sample_is_what_drsctl_schedule_create_makes_the_schedule_send() {
    use aws_adapters::scheduler::{ScheduleExpression, ScheduleRequest, ScheduleSpec};
    let spec = ScheduleSpec::new(ScheduleRequest {
        plan_name: "billing".to_owned(),
        expression: ScheduleExpression::cron("0 6 1 */3 ? *").unwrap(),
        timezone: Some("Europe/Paris".to_owned()),
        mode: engine::Mode::Drill,
        confirm: None,
        name: None,
    })
    .unwrap();
    let event = load("scheduled-drill.json");
    // As Scheduler sends it: its context attributes filled in.
    assert_eq!(
        event.records[0].body.as_deref(),
        Some(
            spec.input_as_fired(
                "d32c5kddcf5bb8c3",
                "arn:aws:scheduler:us-east-1:111122223333:schedule/drs-orchestrator/billing-drill-4e1042c8"
            )
            .as_str()
        )
    );
}
