//! Approvals of paused waves (`pause_before`) in this deployment: an approval request
//! published to the notification topic, saying exactly how to approve or reject.
//!
//! The engine also notifies `approval_required`; this request is the actionable part: the
//! HTTP API route to call (relative to the stack's `ApiUrl` output) and the `drsctl` command
//! that calls it. Whoever approves does so with their own IAM identity, which is what the
//! advancer records; nothing in the request lets anyone declare who they are, and the
//! execution's requester cannot approve it unless the plan allows. An approval UI or chat bot
//! subscribed to the topic can filter on the `notification` message attribute
//! `approval_request`.

use async_trait::async_trait;
use aws_adapters::sns::{EXECUTION_ATTRIBUTE, KIND_ATTRIBUTE, MODE_ATTRIBUTE, PLAN_ATTRIBUTE};
use aws_sdk_sns::types::MessageAttributeValue;
use engine::{Execution, WaveIndex};
use pipeline::ports::{Approvals, PortError, PortResult};
use serde_json::json;

/// The `notification` message attribute of approval requests.
pub const APPROVAL_REQUEST_KIND: &str = "approval_request";

/// [`Approvals`] publishing approval requests to an SNS topic.
#[derive(Debug, Clone)]
pub struct TopicApprovals {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl TopicApprovals {
    /// Requests go to `topic_arn`.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

/// The request's body: who waits, and the route and command that approve or reject it.
pub fn request_body(execution: &Execution, wave: WaveIndex) -> serde_json::Value {
    let (id, plan) = (execution.id.as_str(), execution.plan.name.as_str());
    let wave_name = execution
        .plan
        .waves
        .get(wave)
        .map(|w| w.name.clone())
        .unwrap_or_default();
    // Plan names and execution IDs are made of characters a path and a shell take as they are.
    let path = format!("/plans/{plan}/executions/{id}/waves/{wave}");
    json!({
        "v": 1,
        "notification": APPROVAL_REQUEST_KIND,
        "execution_id": id,
        "plan": plan,
        "mode": execution.mode,
        "wave": wave,
        "wave_name": wave_name,
        "requested_by": execution.requested_by,
        "approve": {
            "method": "POST",
            "path": format!("{path}/approve"),
            "command": format!("drsctl approve {id} --plan {plan} --wave {wave}"),
        },
        "reject": {
            "method": "POST",
            "path": format!("{path}/reject"),
            "command": format!("drsctl reject {id} --plan {plan} --wave {wave} --reason \"...\""),
        },
        "how": "Call the route on the stack's HTTP API (its ApiUrl output; IAM authorization, \
                execute-api:Invoke on the route) or run the command: you are recorded as the \
                approver with your IAM identity. The requester of the execution cannot approve \
                it unless the plan sets allow_self_approval.",
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
        let body = request_body(execution, wave);
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
