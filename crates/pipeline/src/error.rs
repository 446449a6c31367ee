//! Why a handler could not finish a message, and where it was.

use std::fmt;

use engine::{ExecutionId, WaveIndex};

use crate::message::QueueName;
use crate::ports::PortError;

/// Where a failure happened: enough to find the message and the execution in the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The queue the message came from.
    pub queue: QueueName,
    /// The SQS message ID.
    pub message_id: String,
    /// The execution, once known.
    pub execution_id: Option<ExecutionId>,
    /// The wave, when the failure concerns one.
    pub wave: Option<WaveIndex>,
}

impl Context {
    /// The context of message `message_id` of `queue`, before its execution is known.
    pub fn new(queue: QueueName, message_id: impl Into<String>) -> Self {
        Self {
            queue,
            message_id: message_id.into(),
            execution_id: None,
            wave: None,
        }
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} queue, message {}",
            self.queue.as_str(),
            self.message_id
        )?;
        if let Some(execution) = &self.execution_id {
            write!(f, ", execution {execution}")?;
        }
        if let Some(wave) = self.wave {
            write!(f, ", wave {wave}")?;
        }
        Ok(())
    }
}

/// A message a handler could not finish. Either way the SQS record is reported as a batch
/// item failure: SQS delivers it again, and moves it to the dead-letter queue after
/// `maxReceiveCount` deliveries.
///
/// A message that can never be processed (a body that does not parse, an invalid request) is
/// not an error: the handler sends it to the dead-letter queue with the reason and
/// acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: a port failed transiently, or the execution kept changing under us.
    #[error("{context}: {message} (will be retried)")]
    Transient {
        /// Where.
        context: Context,
        /// What went wrong.
        message: String,
    },
    /// Retrying will not help without someone fixing something (permissions, a missing
    /// table, a corrupted execution).
    #[error("{context}: {message}")]
    Permanent {
        /// Where.
        context: Context,
        /// What went wrong.
        message: String,
    },
}

impl HandlerError {
    /// A port's failure, in `context`; `doing` says what the handler was doing.
    pub fn from_port(context: Context, doing: &str, error: PortError) -> Self {
        match error {
            PortError::Transient(message) => Self::Transient {
                context,
                message: format!("{doing}: {message}"),
            },
            PortError::Permanent(message) => Self::Permanent {
                context,
                message: format!("{doing}: {message}"),
            },
        }
    }

    /// Whether retrying may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Where it happened.
    pub fn context(&self) -> &Context {
        match self {
            Self::Transient { context, .. } | Self::Permanent { context, .. } => context,
        }
    }
}
