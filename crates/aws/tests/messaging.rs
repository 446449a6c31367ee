//! SQS, SNS and the resource definitions against moto.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use aws_adapters::sqs::{REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE};
use aws_adapters::{
    CreatedResources, QueueRef, ReceiveOptions, Resources, SnsNotifier, SqsQueues, create_all,
};
use aws_sdk_sqs::types::QueueAttributeName;
use engine::{Notification, Token};
use pipeline::message::{Message, QueueName, decode};
use pipeline::ports::{Notifier, PortError, Queues};
use support::{at, config, plan, started, unique};

async fn stack() -> (Resources, CreatedResources, aws_adapters::AwsConfig) {
    let config = config(None).await;
    let resources = Resources::with_prefix(&unique("msg"));
    let created = create_all(&config, &resources).await.unwrap();
    (resources, created, config)
}

fn quick() -> ReceiveOptions {
    ReceiveOptions {
        max_messages: 10,
        wait_seconds: 1,
        visibility_timeout_seconds: None,
    }
}

fn check(token: u64) -> Message {
    Message::Check {
        execution_id: "exec-1".into(),
        wave: 0,
        attempt: 1,
        token: Token(token),
    }
}

#[tokio::test]
async fn resources_are_created_as_defined_and_creation_is_idempotent() {
    let config = config(None).await;
    let resources = Resources::with_prefix(&unique("res"));
    let first = create_all(&config, &resources).await.unwrap();
    let second = create_all(&config, &resources).await.unwrap();
    assert_eq!(first, second);

    let dynamodb = config.dynamodb();
    for table in resources.tables() {
        let described = dynamodb
            .describe_table()
            .table_name(&table.name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let keys: Vec<_> = described
            .key_schema()
            .iter()
            .map(|k| k.attribute_name().to_owned())
            .collect();
        let mut expected = vec![table.partition_key.name.clone()];
        expected.extend(table.sort_key.as_ref().map(|k| k.name.clone()));
        assert_eq!(keys, expected, "{}", table.name);
        let indexes: Vec<_> = described
            .global_secondary_indexes()
            .iter()
            .map(|i| i.index_name().unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<_> = table.indexes.iter().map(|i| i.name.clone()).collect();
        assert_eq!(indexes, expected, "{}", table.name);
        let ttl = dynamodb
            .describe_time_to_live()
            .table_name(&table.name)
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .and_then(|d| d.attribute_name);
        assert_eq!(ttl, table.ttl_attribute, "{}", table.name);
    }

    let sqs = config.sqs();
    for queue in &resources.queues {
        let endpoints = &first.queues[&queue.queue];
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&endpoints.url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(
            attributes[&QueueAttributeName::VisibilityTimeout],
            queue.visibility_timeout_seconds.to_string()
        );
        let redrive: serde_json::Value =
            serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy]).unwrap();
        assert_eq!(
            redrive["maxReceiveCount"].to_string().trim_matches('"'),
            queue.max_receive_count.to_string()
        );
        assert!(
            redrive["deadLetterTargetArn"]
                .as_str()
                .unwrap()
                .ends_with(&queue.dead_letter.name)
        );
        assert!(first.queue_arns[&queue.queue].ends_with(&queue.name));
    }
    assert!(first.topic_arn.ends_with(&resources.topic.name));
}

#[tokio::test]
async fn messages_go_through_and_can_be_deleted() {
    let (_, created, config) = stack().await;
    let queues = SqsQueues::new(config.sqs(), created.queues.clone()).unwrap();
    queues.send(QueueName::Check, &check(1), 0).await.unwrap();
    let received = queues
        .receive(QueueRef::Main(QueueName::Check), quick())
        .await
        .unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(decode(&received[0].body).unwrap(), check(1));
    assert_eq!(received[0].receive_count, 1);

    // Made visible again, it comes back with a higher receive count.
    queues
        .change_visibility(
            QueueRef::Main(QueueName::Check),
            &received[0].receipt_handle,
            0,
        )
        .await
        .unwrap();
    let again = queues
        .receive(QueueRef::Main(QueueName::Check), quick())
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
    queues
        .delete(QueueRef::Main(QueueName::Check), &again[0].receipt_handle)
        .await
        .unwrap();
    queues
        .change_visibility(
            QueueRef::Main(QueueName::Check),
            &again[0].receipt_handle,
            0,
        )
        .await
        .ok();
    let none = queues
        .receive(QueueRef::Main(QueueName::Check), quick())
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    // Other queues are untouched.
    let start = queues
        .receive(QueueRef::Main(QueueName::Start), quick())
        .await
        .unwrap();
    assert!(start.is_empty());
}

#[tokio::test]
async fn every_queue_needs_its_urls() {
    let (_, created, config) = stack().await;
    let mut partial = created.queues.clone();
    partial.remove(&QueueName::Advance);
    let error = SqsQueues::new(config.sqs(), partial).unwrap_err();
    assert!(error.to_string().contains("advance"), "{error}");
}

#[tokio::test]
async fn delays_are_applied_and_scaled() {
    let (_, created, config) = stack().await;
    let queues = SqsQueues::new(config.sqs(), created.queues.clone()).unwrap();
    assert_eq!(queues.real_delay(900).unwrap(), 900);
    match queues.send(QueueName::Check, &check(1), 901).await {
        Err(PortError::Permanent(message)) => assert!(message.contains("901"), "{message}"),
        other => panic!("{other:?}"),
    }

    // 120 simulated seconds at 60x are 2 real seconds.
    let scaled = queues.clone().with_time_scale(60.0);
    assert_eq!(scaled.real_delay(120).unwrap(), 2);
    assert_eq!(
        scaled.real_delay(1).unwrap(),
        1,
        "rounded up, never 0 for a real delay"
    );
    assert_eq!(scaled.real_delay(0).unwrap(), 0);
    let sent = Instant::now();
    scaled.send(QueueName::Check, &check(2), 120).await.unwrap();
    let early = queues
        .receive(
            QueueRef::Main(QueueName::Check),
            ReceiveOptions {
                wait_seconds: 0,
                ..quick()
            },
        )
        .await
        .unwrap();
    assert!(early.is_empty(), "delivered before its delay: {early:?}");
    let mut received = Vec::new();
    while received.is_empty() && sent.elapsed() < Duration::from_secs(10) {
        received = queues
            .receive(QueueRef::Main(QueueName::Check), quick())
            .await
            .unwrap();
    }
    assert_eq!(received.len(), 1);
    assert!(
        sent.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(decode(&received[0].body).unwrap(), check(2));
}

#[tokio::test]
async fn dead_letters_carry_their_reason_and_source() {
    let (resources, created, config) = stack().await;
    let queues = SqsQueues::new(config.sqs(), created.queues.clone()).unwrap();
    queues
        .dead_letter(
            QueueName::Advance,
            "{not json",
            "not a pipeline message: expected ident",
        )
        .await
        .unwrap();
    queues.dead_letter(QueueName::Start, "", "").await.unwrap();

    let advance = queues
        .receive(QueueRef::DeadLetter(QueueName::Advance), quick())
        .await
        .unwrap();
    assert_eq!(advance.len(), 1);
    assert_eq!(advance[0].body, "{not json");
    assert_eq!(
        advance[0]
            .attributes
            .get(REASON_ATTRIBUTE)
            .map(String::as_str),
        Some("not a pipeline message: expected ident")
    );
    assert_eq!(
        advance[0]
            .attributes
            .get(SOURCE_QUEUE_ATTRIBUTE)
            .map(String::as_str),
        Some("advance")
    );
    let start = queues
        .receive(QueueRef::DeadLetter(QueueName::Start), quick())
        .await
        .unwrap();
    assert_eq!(start.len(), 1, "an empty body is dead-lettered too");
    assert!(!start[0].attributes[REASON_ATTRIBUTE].is_empty());
    // Nothing landed on the main queues.
    assert!(
        queues
            .receive(QueueRef::Main(QueueName::Advance), quick())
            .await
            .unwrap()
            .is_empty()
    );

    // The same queues, found by name.
    let found = SqsQueues::lookup(config.sqs(), &resources.queue_names())
        .await
        .unwrap();
    assert_eq!(found.endpoints(), &created.queues);
}

#[tokio::test]
async fn notifications_are_published_with_filterable_attributes() {
    let (_, created, config) = stack().await;
    // A queue subscribed to the topic, to read what was published.
    let sqs = config.sqs();
    let inbox = sqs
        .create_queue()
        .queue_name(unique("inbox"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let inbox_arn = sqs
        .get_queue_attributes()
        .queue_url(&inbox)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    config
        .sns()
        .subscribe()
        .topic_arn(&created.topic_arn)
        .protocol("sqs")
        .endpoint(inbox_arn)
        .send()
        .await
        .unwrap();

    let notifier = SnsNotifier::new(config.sns(), &created.topic_arn);
    let (execution, _) = started(
        "exec-notify",
        plan("billing", 1),
        at("2024-03-01T09:00:00Z"),
    );
    let notification = Notification::ServerFailed {
        wave: 0,
        server: "s-0123456789abcdef0".into(),
        critical: true,
        status: engine::LaunchStatus::Failed,
    };
    notifier.notify(&execution, &notification).await.unwrap();

    let received = sqs
        .receive_message()
        .queue_url(&inbox)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 1);
    let envelope: serde_json::Value =
        serde_json::from_str(received[0].body.as_deref().unwrap()).unwrap();
    let message: serde_json::Value =
        serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(message["execution_id"], "exec-notify");
    assert_eq!(message["plan"], "billing");
    assert_eq!(message["notification"]["notification"], "server_failed");
    assert_eq!(message["notification"]["server"], "s-0123456789abcdef0");
    let attributes = &envelope["MessageAttributes"];
    assert_eq!(attributes["notification"]["Value"], "server_failed");
    assert_eq!(attributes["plan"]["Value"], "billing");
    assert_eq!(attributes["mode"]["Value"], "drill");
}

#[tokio::test]
async fn a_missing_topic_is_an_error_naming_it() {
    let config = config(None).await;
    let notifier = SnsNotifier::new(config.sns(), "arn:aws:sns:us-east-1:123456789012:nope");
    let (execution, _) = started("exec-x", plan("billing", 1), at("2024-03-01T09:00:00Z"));
    let error = notifier
        .notify(
            &execution,
            &Notification::ExecutionFinished {
                status: engine::ExecutionStatus::Completed,
            },
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains(":nope"), "{error}");
}
