//! The SNS trigger: the short message people and tools publish to the trigger topic to start a
//! drill, e.g. `{"plan":"billing","mode":"drill"}`.
//!
//! The trigger topic delivers to the start queue wrapped in SNS's notification JSON
//! (`{"Type":"Notification","MessageId":"…","TopicArn":"…","Message":"…"}`, the template's
//! subscription is not raw): the notification's `MessageId` names the execution, so a
//! duplicate delivery starts nothing twice, and its `TopicArn` is who asked — the identity
//! IAM vouches for (only those allowed to publish to the topic can), never a field of the
//! message. A raw body is accepted too (tools that send to the queue directly, the local
//! stack), as requested by [`REQUESTED_BY`]. Anything else is not a trigger: the starter
//! rejects it with the reason (dead-letter queue).

use engine::{ExecutionId, Mode, RECOVERY_CONFIRMATION};
use serde::Deserialize;

use crate::message::{Message, PlanSource};

/// Who the execution says requested it when the trigger came without SNS's notification.
pub const REQUESTED_BY: &str = "sns-trigger";

/// The trigger message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The name of a stored plan.
    pub plan: String,
    /// `drill` or `recovery`.
    pub mode: Mode,
    /// Must be [`RECOVERY_CONFIRMATION`] for a recovery.
    #[serde(default)]
    pub confirm: Option<String>,
    /// Optional: makes the trigger idempotent across publishes (same ID, one execution).
    #[serde(default)]
    pub execution_id: Option<ExecutionId>,
    /// Who asked: the topic the notification came through (`sns:<topic ARN>`), or
    /// [`REQUESTED_BY`]. Not read from the message: an identity comes from IAM.
    #[serde(skip)]
    pub requested_by: String,
}

impl Trigger {
    /// The start request this trigger stands for.
    pub fn into_message(self) -> Message {
        Message::StartExecution {
            execution_id: self.execution_id,
            plan: PlanSource::Stored {
                plan_name: self.plan,
            },
            mode: self.mode,
            confirm: self.confirm,
            requested_by: self.requested_by,
        }
    }
}

/// SNS's notification wrapper (non-raw delivery): only the fields we read.
#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "MessageId", default)]
    message_id: Option<String>,
    #[serde(rename = "TopicArn", default)]
    topic_arn: Option<String>,
}

/// Parses a trigger, raw or inside an SNS notification. The error says what a trigger is.
pub fn parse(body: &str) -> Result<Trigger, String> {
    let (inner, sns_message_id, topic_arn) = match serde_json::from_str::<Notification>(body) {
        Ok(notification) if notification.kind == "Notification" => (
            notification.message,
            notification.message_id,
            notification.topic_arn,
        ),
        _ => (body.to_owned(), None, None),
    };
    let mut trigger = serde_json::from_str::<Trigger>(&inner).map_err(|error| {
        format!(
            "not a trigger ({error}); a trigger is {{\"plan\": \"<stored plan name>\", \"mode\": \"drill\"|\"recovery\"}}, with \"confirm\": \"{RECOVERY_CONFIRMATION}\" for a recovery and optionally \"execution_id\" (who asked is the topic, not a field)"
        )
    })?;
    trigger.requested_by =
        topic_arn.map_or_else(|| REQUESTED_BY.to_owned(), |arn| format!("sns:{arn}"));
    // SNS delivers at least once, and each delivery is a new SQS message: without an ID of
    // its own, a wrapped trigger takes SNS's message ID, so one publish starts one execution.
    // (Raw delivery carries no SNS message ID: give `execution_id` for that guarantee.)
    if trigger.execution_id.is_none() {
        trigger.execution_id = sns_message_id.map(|id| ExecutionId::new(format!("exec-sns-{id}")));
    }
    Ok(trigger)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_trigger_becomes_a_start_request() {
        let trigger = parse(r#"{"plan":"billing","mode":"drill"}"#).unwrap();
        assert_eq!(
            trigger.into_message(),
            Message::StartExecution {
                execution_id: None,
                plan: PlanSource::Stored {
                    plan_name: "billing".into()
                },
                mode: Mode::Drill,
                confirm: None,
                requested_by: REQUESTED_BY.into(),
            }
        );
    }

    #[test]
    fn a_wrapped_trigger_is_read_from_the_notification() {
        let body = serde_json::json!({
            "Type": "Notification",
            "MessageId": "5f1c",
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:drs-orchestrator-triggers",
            "Message": r#"{"plan":"billing","mode":"recovery","confirm":"RECOVERY"}"#,
        })
        .to_string();
        let trigger = parse(&body).unwrap();
        assert_eq!(trigger.plan, "billing");
        assert_eq!(trigger.mode, Mode::Recovery);
        assert_eq!(trigger.confirm.as_deref(), Some("RECOVERY"));
        assert_eq!(
            trigger.requested_by,
            "sns:arn:aws:sns:us-east-1:111122223333:drs-orchestrator-triggers",
            "who asked is the topic IAM let publish"
        );
        assert_eq!(
            trigger.execution_id,
            Some(ExecutionId::new("exec-sns-5f1c")),
            "a redelivered notification names the same execution"
        );
    }

    #[test]
    fn anything_else_is_refused_with_what_a_trigger_is() {
        for body in [
            r#"{"plan":"billing"}"#,
            r#"{"plan":"billing","mode":"drill","extra":1}"#,
            r#"{"plan":"billing","mode":"party"}"#,
            // An identity never comes from the message.
            r#"{"plan":"billing","mode":"drill","requested_by":"the-boss"}"#,
            "start billing please",
        ] {
            let error = parse(body).unwrap_err();
            assert!(error.contains("a trigger is"), "{body}: {error}");
        }
    }
}
