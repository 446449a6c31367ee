//! Queue messages: the versioned JSON bodies the Lambdas send each other through SQS.
//!
//! Every body is `{"v": 1, "kind": "...", ...}`. A body that does not parse is never dropped:
//! the handler sends it to the queue's dead-letter queue with the reason (see
//! [`crate::ports::Queues::dead_letter`]). The check queue also receives DRS "Source Server
//! Launch Result" events from the EventBridge rule, as EventBridge writes them (see
//! [`crate::launch_event`]).

use engine::{Attempt, ExecutionId, Mode, Token, WaveIndex};
use plan::Plan;
use serde::{Deserialize, Serialize};

/// The message format version this code writes and reads.
pub const VERSION: u32 = 1;

/// The queues of the pipeline, by the Lambda that consumes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueName {
    /// Consumed by the starter: execution requests, wave starts, start retries.
    Start,
    /// Consumed by the checker: delayed checks and DRS launch-result events.
    Check,
    /// Consumed by the advancer: wave advances, actions, approvals, cancels.
    Advance,
}

impl QueueName {
    /// Every queue, in pipeline order.
    pub const ALL: [QueueName; 3] = [QueueName::Start, QueueName::Check, QueueName::Advance];

    /// The short name used in resource names and logs (`start`, `check`, `advance`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Start => "start",
            QueueName::Check => "check",
            QueueName::Advance => "advance",
        }
    }
}

/// Where the plan of a new execution comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlanSource {
    /// A plan stored in the plans table, by name.
    Stored {
        /// The plan's name.
        plan_name: String,
    },
    /// A plan given whole (validated before anything starts).
    Inline {
        /// The plan.
        plan: Plan,
    },
}

/// The confirmation a recovery (not a drill) request must carry.
pub const RECOVERY_CONFIRMATION: &str = "RECOVERY";

/// A message body, without its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Message {
    /// Start queue: run a plan. Idempotent on `execution_id`; when it is absent the starter
    /// derives it from the SQS message ID, so a redelivered request starts nothing twice.
    StartExecution {
        /// The new execution's ID, chosen by the caller (API, schedule, CLI).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        execution_id: Option<ExecutionId>,
        /// The plan.
        #[serde(flatten)]
        plan: PlanSource,
        /// Drill or recovery.
        mode: Mode,
        /// Must be [`RECOVERY_CONFIRMATION`] when `mode` is recovery.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirm: Option<String>,
        /// Who asked.
        requested_by: String,
    },
    /// Any queue: carry on with what wave `wave` waits on (resolution, starts, an action...).
    /// Sent by a Lambda to the queue whose Lambda owns the pending work.
    Resume {
        /// The execution.
        execution_id: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
    },
    /// Start queue (delayed): retry the wave's rejected starts.
    RetryStart {
        /// The execution.
        execution_id: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
        /// The retry timer's token.
        token: Token,
    },
    /// Check queue (delayed): describe the wave's jobs.
    Check {
        /// The execution.
        execution_id: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
        /// The check timer's token.
        token: Token,
    },
    /// Advance queue: the wave's launch ended.
    Advance {
        /// The execution.
        execution_id: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Its attempt.
        attempt: Attempt,
    },
    /// Advance queue: a person approved a paused wave.
    Approve {
        /// The execution.
        execution_id: ExecutionId,
        /// The wave.
        wave: WaveIndex,
        /// Who approved.
        by: String,
    },
    /// Advance queue: a person asked to cancel the execution.
    Cancel {
        /// The execution.
        execution_id: ExecutionId,
        /// Who asked.
        by: String,
        /// Why.
        reason: String,
    },
}

impl Message {
    /// The queue this message belongs on, when it has one fixed queue (`Resume` has none).
    pub fn queue(&self) -> Option<QueueName> {
        match self {
            Message::StartExecution { .. } | Message::RetryStart { .. } => Some(QueueName::Start),
            Message::Check { .. } => Some(QueueName::Check),
            Message::Advance { .. } | Message::Approve { .. } | Message::Cancel { .. } => {
                Some(QueueName::Advance)
            }
            Message::Resume { .. } => None,
        }
    }
}

/// The envelope: `{"v": 1, ...message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Format version; only [`VERSION`] is accepted.
    pub v: u32,
    /// The message.
    #[serde(flatten)]
    pub message: Message,
}

/// Why a body is not a message of this pipeline (it goes to the DLQ with this reason).
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Not JSON, or not a known message.
    #[error("not a pipeline message: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A version this code does not read.
    #[error("message version {found} is not supported (this pipeline reads version {VERSION})")]
    UnsupportedVersion {
        /// The version in the body.
        found: u32,
    },
}

/// Serialises `message` in its envelope.
pub fn encode(message: &Message) -> String {
    let envelope = Envelope {
        v: VERSION,
        message: message.clone(),
    };
    // Serialising these plain types cannot fail: no maps with non-string keys, no I/O.
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// Parses a body written by [`encode`].
pub fn decode(body: &str) -> Result<Message, MessageError> {
    #[derive(Deserialize)]
    struct VersionOnly {
        v: u32,
    }
    let version: VersionOnly = serde_json::from_str(body)?;
    if version.v != VERSION {
        return Err(MessageError::UnsupportedVersion { found: version.v });
    }
    let envelope: Envelope = serde_json::from_str(body)?;
    Ok(envelope.message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let messages = vec![
            Message::StartExecution {
                execution_id: Some("exec-1".into()),
                plan: PlanSource::Stored {
                    plan_name: "billing".into(),
                },
                mode: Mode::Drill,
                confirm: None,
                requested_by: "cli".into(),
            },
            Message::Resume {
                execution_id: "exec-1".into(),
                wave: 1,
                attempt: 1,
            },
            Message::Check {
                execution_id: "exec-1".into(),
                wave: 0,
                attempt: 1,
                token: Token(3),
            },
            Message::Cancel {
                execution_id: "exec-1".into(),
                by: "alice".into(),
                reason: "wrong plan".into(),
            },
        ];
        for message in messages {
            let body = encode(&message);
            assert!(body.starts_with("{\"v\":1,"), "{body}");
            assert_eq!(decode(&body).unwrap(), message);
        }
    }

    #[test]
    fn rejects_other_versions_and_garbage() {
        let future = r#"{"v":2,"kind":"check","execution_id":"e","wave":0,"attempt":1,"token":1}"#;
        assert!(matches!(
            decode(future),
            Err(MessageError::UnsupportedVersion { found: 2 })
        ));
        assert!(matches!(decode("not json"), Err(MessageError::Malformed(_))));
        let unknown = r#"{"v":1,"kind":"explode","execution_id":"e"}"#;
        assert!(decode(unknown).is_err());
    }
}
