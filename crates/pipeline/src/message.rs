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
///
/// Read through a strict mirror (`wire::Message`): serde cannot refuse unknown fields of a
/// variant with a flattened field (`plan`), and a misspelt field must not be ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "wire::Message")]
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

    /// The `kind` of the body (`start_execution`, `check`...).
    pub fn kind(&self) -> &'static str {
        match self {
            Message::StartExecution { .. } => "start_execution",
            Message::Resume { .. } => "resume",
            Message::RetryStart { .. } => "retry_start",
            Message::Check { .. } => "check",
            Message::Advance { .. } => "advance",
            Message::Approve { .. } => "approve",
            Message::Cancel { .. } => "cancel",
        }
    }
}

/// The strict reading of [`Message`] bodies.
mod wire {
    use engine::{Attempt, ExecutionId, Mode, Token, WaveIndex};
    use plan::Plan;
    use serde::Deserialize;

    use super::PlanSource;

    /// [`super::Message`] as it is written, with the plan source spelt out.
    #[derive(Deserialize)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum Message {
        StartExecution {
            #[serde(default)]
            execution_id: Option<ExecutionId>,
            #[serde(default)]
            plan_name: Option<String>,
            #[serde(default)]
            plan: Option<Plan>,
            mode: Mode,
            #[serde(default)]
            confirm: Option<String>,
            requested_by: String,
        },
        Resume {
            execution_id: ExecutionId,
            wave: WaveIndex,
            attempt: Attempt,
        },
        RetryStart {
            execution_id: ExecutionId,
            wave: WaveIndex,
            attempt: Attempt,
            token: Token,
        },
        Check {
            execution_id: ExecutionId,
            wave: WaveIndex,
            attempt: Attempt,
            token: Token,
        },
        Advance {
            execution_id: ExecutionId,
            wave: WaveIndex,
            attempt: Attempt,
        },
        Approve {
            execution_id: ExecutionId,
            wave: WaveIndex,
            by: String,
        },
        Cancel {
            execution_id: ExecutionId,
            by: String,
            reason: String,
        },
    }

    impl TryFrom<Message> for super::Message {
        type Error = String;

        fn try_from(wire: Message) -> Result<Self, Self::Error> {
            use super::Message as M;
            Ok(match wire {
                Message::StartExecution {
                    execution_id,
                    plan_name,
                    plan,
                    mode,
                    confirm,
                    requested_by,
                } => {
                    let plan = match (plan_name, plan) {
                        (Some(plan_name), None) => PlanSource::Stored { plan_name },
                        (None, Some(plan)) => PlanSource::Inline { plan },
                        (Some(_), Some(_)) => {
                            return Err("give either `plan_name` or `plan`, not both".to_owned());
                        }
                        (None, None) => {
                            return Err("missing the plan: give `plan_name` or `plan`".to_owned());
                        }
                    };
                    M::StartExecution {
                        execution_id,
                        plan,
                        mode,
                        confirm,
                        requested_by,
                    }
                }
                Message::Resume {
                    execution_id,
                    wave,
                    attempt,
                } => M::Resume {
                    execution_id,
                    wave,
                    attempt,
                },
                Message::RetryStart {
                    execution_id,
                    wave,
                    attempt,
                    token,
                } => M::RetryStart {
                    execution_id,
                    wave,
                    attempt,
                    token,
                },
                Message::Check {
                    execution_id,
                    wave,
                    attempt,
                    token,
                } => M::Check {
                    execution_id,
                    wave,
                    attempt,
                    token,
                },
                Message::Advance {
                    execution_id,
                    wave,
                    attempt,
                } => M::Advance {
                    execution_id,
                    wave,
                    attempt,
                },
                Message::Approve {
                    execution_id,
                    wave,
                    by,
                } => M::Approve {
                    execution_id,
                    wave,
                    by,
                },
                Message::Cancel {
                    execution_id,
                    by,
                    reason,
                } => M::Cancel {
                    execution_id,
                    by,
                    reason,
                },
            })
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

/// Whether `body` is a JSON object carrying the envelope's version field `v` (a pipeline
/// message, well-formed or not), as opposed to some other JSON such as an SNS trigger.
pub fn has_envelope(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|value| value.get("v").is_some())
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
            let kind = format!("\"kind\":\"{}\"", message.kind());
            assert!(body.contains(&kind), "{body} lacks {kind}");
            assert_eq!(decode(&body).unwrap(), message);
        }
    }

    #[test]
    fn a_start_request_names_its_plan_once_and_misspelt_fields_are_refused() {
        let stored = r#"{"v":1,"kind":"start_execution","plan_name":"billing","mode":"recovery","confirm":"RECOVERY","requested_by":"cli"}"#;
        assert!(matches!(
            decode(stored).unwrap(),
            Message::StartExecution { plan: PlanSource::Stored { plan_name }, confirm: Some(c), .. }
                if plan_name == "billing" && c == RECOVERY_CONFIRMATION
        ));
        let inline = Message::StartExecution {
            execution_id: None,
            plan: PlanSource::Inline {
                plan: serde_json::from_str(
                    r#"{"name":"p","protection_groups":{"g":{"servers":["s-00000000000000001"]}},
                        "waves":[{"name":"w","groups":["g"]}]}"#,
                )
                .unwrap(),
            },
            mode: Mode::Drill,
            confirm: None,
            requested_by: "api".into(),
        };
        assert_eq!(decode(&encode(&inline)).unwrap(), inline);
        let misspelt = stored.replace("\"confirm\"", "\"confrim\"");
        assert!(
            decode(&misspelt)
                .unwrap_err()
                .to_string()
                .contains("confrim")
        );
        let both = stored.replace(
            "\"plan_name\":\"billing\"",
            "\"plan_name\":\"billing\",\"plan\":{}",
        );
        assert!(decode(&both).is_err());
        let neither = stored.replace("\"plan_name\":\"billing\",", "");
        assert!(
            decode(&neither)
                .unwrap_err()
                .to_string()
                .contains("missing the plan")
        );
    }

    #[test]
    fn rejects_other_versions_and_garbage() {
        let future = r#"{"v":2,"kind":"check","execution_id":"e","wave":0,"attempt":1,"token":1}"#;
        assert!(matches!(
            decode(future),
            Err(MessageError::UnsupportedVersion { found: 2 })
        ));
        assert!(matches!(
            decode("not json"),
            Err(MessageError::Malformed(_))
        ));
        let unknown = r#"{"v":1,"kind":"explode","execution_id":"e"}"#;
        assert!(decode(unknown).is_err());
    }
}
