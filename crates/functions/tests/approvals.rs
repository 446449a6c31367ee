//! Approval requests reach the notification topic (moto) with the message that approves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use engine::{ExecutionRequest, Limits, Mode};
use lambda_functions::approvals::{APPROVAL_REQUEST_KIND, APPROVER_PLACEHOLDER, TopicApprovals};
use pipeline::message::{self, Message, QueueName};
use pipeline::ports::Approvals;

use support::{Stack, repo};

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_request_says_where_to_send_which_message() {
    let stack = Stack::start().await;
    let sqs = stack.config.sqs();
    let sns = stack.config.sns();

    // A subscriber of the topic: a queue receiving the raw messages.
    let inbox = format!("{}-inbox", stack.resources.topic.name);
    let inbox_url = sqs
        .create_queue()
        .queue_name(&inbox)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let inbox_arn = sqs
        .get_queue_attributes()
        .queue_url(&inbox_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&stack.created.topic_arn)
        .protocol("sqs")
        .endpoint(&inbox_arn)
        .attributes("RawMessageDelivery", "true")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap();

    let text = std::fs::read_to_string(repo().join("examples/plans/billing.yaml")).unwrap();
    let request = ExecutionRequest {
        execution_id: "exec-approval-test".into(),
        plan: plan::parse(&text).unwrap(),
        mode: Mode::Drill,
        limits: Limits::default(),
        requested_by: "tests".into(),
    };
    let execution = engine::start(request, jiff::Timestamp::now())
        .unwrap()
        .state;
    let advance_url = stack.created.queues[&QueueName::Advance].url.clone();
    let approvals = TopicApprovals::new(sns, &stack.created.topic_arn, &advance_url);
    approvals.request(&execution, 1).await.unwrap();

    let mut received = Vec::new();
    for _ in 0..5 {
        let output = sqs
            .receive_message()
            .queue_url(&inbox_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        received.extend(output.messages.unwrap_or_default());
        if !received.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(received.len(), 1, "{received:?}");
    let body: serde_json::Value =
        serde_json::from_str(received[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["notification"], APPROVAL_REQUEST_KIND);
    assert_eq!(body["execution_id"], "exec-approval-test");
    assert_eq!(body["wave"], 1);
    assert_eq!(body["wave_name"], "application");
    assert_eq!(body["approve"]["queue_url"], advance_url.as_str());
    let approve = message::decode(body["approve"]["message_body"].as_str().unwrap()).unwrap();
    assert_eq!(
        approve,
        Message::Approve {
            execution_id: "exec-approval-test".into(),
            wave: 1,
            by: APPROVER_PLACEHOLDER.to_owned(),
        }
    );
    let command = body["approve"]["command"].as_str().unwrap();
    assert!(
        command.starts_with(&format!("aws sqs send-message --queue-url {advance_url}")),
        "{command}"
    );
}
