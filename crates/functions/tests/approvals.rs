//! Approval requests reach the notification topic (moto) with the API route and the drsctl
//! command that approve or reject, and nothing that lets an approver declare who they are.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use engine::{ExecutionRequest, Limits, Mode};
use lambda_functions::approvals::{APPROVAL_REQUEST_KIND, TopicApprovals};
use pipeline::api::routes::{self, RouteId};
use pipeline::ports::Approvals;

use support::{Stack, repo};

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_request_names_the_route_and_the_command_that_approve() {
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
    let approvals = TopicApprovals::new(sns, &stack.created.topic_arn);
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
    assert_eq!(body["requested_by"], "tests");
    for (action, route) in [
        ("approve", RouteId::ApproveWave),
        ("reject", RouteId::RejectWave),
    ] {
        let path = body[action]["path"].as_str().unwrap();
        assert_eq!(
            path,
            format!("/plans/billing/executions/exec-approval-test/waves/1/{action}")
        );
        assert_eq!(body[action]["method"], "POST");
        let (found, params) = routes::resolve("POST", path).unwrap();
        assert_eq!(found, route);
        assert_eq!(params.get("name").unwrap(), "billing");
        let command = body[action]["command"].as_str().unwrap();
        assert!(
            command.starts_with(&format!(
                "drsctl {action} exec-approval-test --plan billing --wave 1"
            )),
            "{command}"
        );
    }
    // No queue to write to, no approver to fill in.
    let text = body.to_string();
    for gone in [
        "sqs",
        "send-message",
        "queue_url",
        "YOUR-NAME",
        "message_body",
    ] {
        assert!(!text.contains(gone), "{gone} in {text}");
    }
}
