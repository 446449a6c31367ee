//! The sample events of `events/` are what they claim to be, and the READMEs document every
//! sample and every environment variable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_functions::environment::VARIABLES;
use lambda_functions::sqs_event;
use pipeline::launch_event::{self, EventBody};
use pipeline::message::{self, Message, QueueName};

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
    ("check.json", Some("check"), QueueName::Check),
    ("drs-launch-result.json", None, QueueName::Check),
    ("advance.json", Some("advance"), QueueName::Advance),
    ("resume.json", Some("resume"), QueueName::Advance),
    ("approve.json", Some("approve"), QueueName::Advance),
    ("cancel.json", Some("cancel"), QueueName::Advance),
    ("malformed-body.json", None, QueueName::Start),
];

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
