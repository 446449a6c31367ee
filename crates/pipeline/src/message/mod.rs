//! Queue messages: the versioned JSON bodies the Lambdas send each other through SQS.
//!
//! Every body is `{"v": 1, "kind": "...", ...}`. A body that does not parse is never dropped:
//! the handler sends it to the queue's dead-letter queue with the reason (see
//! [`crate::ports::Queues::dead_letter`]). The check queue also receives DRS "Source Server
//! Launch Result" events from the EventBridge rule, as EventBridge writes them (see
//! [`crate::launch_event`]).

use engine::{Attempt, Event, ExecutionId, Mode, Token, WaveIndex};

pub use engine::PlanSource;
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
        /// Must be [`engine::RECOVERY_CONFIRMATION`] when `mode` is recovery.
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

    /// What the message means for its execution, as the engine hears it: the table every
    /// handler reads. A start (the starter's [`engine::start`]) and a check (the checker's,
    /// described first when it is live: [`engine::Execution::check_arrival`]) are asked for
    /// by the handlers themselves.
    pub fn input(self) -> MessageInput {
        match self {
            Message::StartExecution { .. } => MessageInput::Start(self),
            Message::Check {
                execution_id,
                wave,
                attempt,
                token,
            } => MessageInput::Check {
                execution_id,
                wave,
                attempt,
                token,
            },
            Message::Resume {
                execution_id,
                wave,
                attempt,
            } => MessageInput::Event(execution_id, Event::Resume { wave, attempt }),
            Message::RetryStart {
                execution_id,
                wave,
                attempt,
                token,
            } => MessageInput::Event(
                execution_id,
                Event::RetryStart {
                    wave,
                    attempt,
                    token,
                },
            ),
            Message::Advance {
                execution_id,
                wave,
                attempt,
            } => MessageInput::Event(execution_id, Event::Advance { wave, attempt }),
            Message::Approve {
                execution_id,
                wave,
                by,
            } => MessageInput::Event(execution_id, Event::ApprovalGiven { wave, by }),
            Message::Cancel {
                execution_id,
                by,
                reason,
            } => MessageInput::Event(execution_id, Event::CancelRequested { by, reason }),
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

mod wire;

/// What a message means for the engine ([`Message::input`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageInput {
    /// A `start_execution`: the starter starts the execution, or decides the request again
    /// for the execution of that ID.
    Start(Message),
    /// A `check`: the checker asks the engine what it is, describes the jobs if it is live,
    /// and decides [`Event::Check`].
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
    /// Any other message: this event for this execution.
    Event(ExecutionId, Event),
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
mod tests;
