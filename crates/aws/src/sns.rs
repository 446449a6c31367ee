//! [`Notifier`] on SNS: one JSON message per notification, with message attributes so
//! subscriptions can filter by kind, plan or mode.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use engine::{Execution, Notification};
use pipeline::ports::{Notifier, PortError, PortResult};
use serde_json::json;

use crate::sdk_error;

/// Message attribute: the notification's kind (`execution_started`, `server_failed`, …).
pub const KIND_ATTRIBUTE: &str = "notification";
/// Message attribute: the plan's name.
pub const PLAN_ATTRIBUTE: &str = "plan";
/// Message attribute: `drill` or `recovery`.
pub const MODE_ATTRIBUTE: &str = "mode";
/// Message attribute: the execution's ID.
pub const EXECUTION_ATTRIBUTE: &str = "execution_id";

/// Publishes notifications to one topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// Publishes to `topic_arn`.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// The topic.
    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }
}

/// The message body: `{"v":1, "execution_id", "plan", "mode", "status", "notification":
/// {...}}` where `notification` is the engine's [`Notification`] as JSON.
pub fn message_body(execution: &Execution, notification: &Notification) -> serde_json::Value {
    json!({
        "v": 1,
        "execution_id": execution.id,
        "plan": execution.plan.name,
        "mode": execution.mode,
        "status": execution.status,
        "notification": notification,
    })
}

/// The notification's kind, as its JSON tag says it.
pub fn kind(notification: &Notification) -> String {
    serde_json::to_value(notification)
        .ok()
        .and_then(|v| {
            v.get("notification")
                .and_then(|k| k.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn subject(execution: &Execution, kind: &str) -> String {
    // SNS subjects: ASCII, no line breaks, at most 100 characters.
    let text = format!(
        "drs-orchestrator: {} {}",
        execution.plan.name,
        kind.replace('_', " ")
    );
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(100)
        .collect()
}

fn attribute(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::Permanent(format!("SNS message attribute: {e}")))
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, execution: &Execution, notification: &Notification) -> PortResult<()> {
        let kind = kind(notification);
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(execution, &kind))
            .message(message_body(execution, notification).to_string())
            .message_attributes(KIND_ATTRIBUTE, attribute(&kind)?)
            .message_attributes(PLAN_ATTRIBUTE, attribute(&execution.plan.name)?)
            .message_attributes(MODE_ATTRIBUTE, attribute(execution.mode.as_str())?)
            .message_attributes(EXECUTION_ATTRIBUTE, attribute(execution.id.as_str())?)
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&format!("SNS Publish to {}", self.topic_arn), e))?;
        Ok(())
    }
}
