//! Approvals of paused waves (`pause_before`) in this deployment: an approval request
//! published to the notification topic, saying exactly how to approve.
//!
//! The engine also notifies `approval_required`; this request is the actionable part: the
//! advance queue's URL and the `approve` message to send there (e.g. with
//! `aws sqs send-message`). An approval UI or chat bot subscribed to the topic can filter on
//! the `notification` message attribute `approval_request`.

use async_trait::async_trait;
use aws_adapters::sns::{EXECUTION_ATTRIBUTE, KIND_ATTRIBUTE, MODE_ATTRIBUTE, PLAN_ATTRIBUTE};
use aws_sdk_sns::types::MessageAttributeValue;
use engine::{Execution, WaveIndex};
use pipeline::message::{Message, encode};
use pipeline::ports::{Approvals, PortError, PortResult};
use serde_json::json;

/// The `notification` message attribute of approval requests.
pub const APPROVAL_REQUEST_KIND: &str = "approval_request";
/// The placeholder for the approver's name in the message to send.
pub const APPROVER_PLACEHOLDER: &str = "YOUR-NAME";

/// [`Approvals`] publishing approval requests to an SNS topic.
#[derive(Debug, Clone)]
pub struct TopicApprovals {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    advance_queue_url: String,
}

impl TopicApprovals {
    /// Requests go to `topic_arn`; approvals are to be sent to `advance_queue_url`.
    pub fn new(
        client: aws_sdk_sns::Client,
        topic_arn: impl Into<String>,
        advance_queue_url: impl Into<String>,
    ) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
            advance_queue_url: advance_queue_url.into(),
        }
    }
}

/// The request's body: who waits, and the message that approves.
pub fn request_body(
    execution: &Execution,
    wave: WaveIndex,
    advance_queue_url: &str,
) -> serde_json::Value {
    let approve = encode(&Message::Approve {
        execution_id: execution.id.clone(),
        wave,
        by: APPROVER_PLACEHOLDER.to_owned(),
    });
    let wave_name = execution
        .plan
        .waves
        .get(wave)
        .map(|w| w.name.clone())
        .unwrap_or_default();
    json!({
        "v": 1,
        "notification": APPROVAL_REQUEST_KIND,
        "execution_id": execution.id,
        "plan": execution.plan.name,
        "mode": execution.mode,
        "wave": wave,
        "wave_name": wave_name,
        "approve": {
            "queue_url": advance_queue_url,
            "message_body": approve,
            "command": format!(
                "aws sqs send-message --queue-url {advance_queue_url} --message-body '{approve}'"
            ),
        },
    })
}

fn attribute(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::Permanent(format!("SNS message attribute: {e}")))
}

#[async_trait]
impl Approvals for TopicApprovals {
    async fn request(&self, execution: &Execution, wave: WaveIndex) -> PortResult<()> {
        let body = request_body(execution, wave, &self.advance_queue_url);
        // SNS subjects: ASCII without control characters, at most 100 characters.
        let subject: String = format!(
            "drs-orchestrator: {} wave {} awaits approval",
            execution.plan.name, wave
        )
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(100)
        .collect();
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(body.to_string())
            .message_attributes(KIND_ATTRIBUTE, attribute(APPROVAL_REQUEST_KIND)?)
            .message_attributes(PLAN_ATTRIBUTE, attribute(&execution.plan.name)?)
            .message_attributes(MODE_ATTRIBUTE, attribute(execution.mode.as_str())?)
            .message_attributes(EXECUTION_ATTRIBUTE, attribute(execution.id.as_str())?)
            .send()
            .await
            .map_err(|e| {
                PortError::Transient(format!(
                    "SNS Publish of an approval request to {}: {}",
                    self.topic_arn,
                    aws_sdk_sns::error::DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}
