//! [`Queues`] on SQS, plus what the local runner needs to play Lambda's event source
//! mapping: receive (with long polling and the receive count), delete, change visibility.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};
use pipeline::message::{Message, QueueName, encode};
use pipeline::ports::{PortError, PortResult, Queues};

use crate::sdk_error;

/// The longest delay SQS takes (DESIGN.md §2).
pub const MAX_DELAY_SECONDS: u32 = 900;
/// The `reason` message attribute of a dead-lettered body.
pub const REASON_ATTRIBUTE: &str = "reason";
/// The `source_queue` message attribute of a dead-lettered body (the queue's short name).
pub const SOURCE_QUEUE_ATTRIBUTE: &str = "source_queue";
/// The longest `reason` kept (the message attribute counts toward the 256 KiB message).
const MAX_REASON_CHARS: usize = 4096;

/// Queues without URLs given to [`SqsQueues::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no URL given for the queue(s): {0}")]
pub struct MissingQueues(pub String);

/// One queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEndpoints {
    /// The queue's URL.
    pub url: String,
    /// Its dead-letter queue's URL.
    pub dead_letter_url: String,
}

/// A queue of the pipeline or its dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueRef {
    /// The queue itself.
    Main(QueueName),
    /// Its dead-letter queue.
    DeadLetter(QueueName),
}

/// How to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiveOptions {
    /// 1..=10 messages.
    pub max_messages: u32,
    /// Long polling: 0..=20 seconds.
    pub wait_seconds: u32,
    /// The visibility timeout to apply; `None` = the queue's.
    pub visibility_timeout_seconds: Option<u32>,
}

impl Default for ReceiveOptions {
    /// Lambda's defaults: up to 10 messages, 20 s long polling, the queue's visibility.
    fn default() -> Self {
        Self {
            max_messages: 10,
            wait_seconds: 20,
            visibility_timeout_seconds: None,
        }
    }
}

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// SQS's message ID.
    pub message_id: String,
    /// The handle to delete it or change its visibility.
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// `ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// String message attributes (e.g. `reason` and `source_queue` on dead letters).
    pub attributes: BTreeMap<String, String>,
}

/// The pipeline's queues.
#[derive(Debug, Clone)]
pub struct SqsQueues {
    client: Client,
    queues: BTreeMap<QueueName, QueueEndpoints>,
    time_scale: f64,
}

impl SqsQueues {
    /// The queues at these URLs; every [`QueueName`] must have its endpoints.
    pub fn new(
        client: Client,
        queues: BTreeMap<QueueName, QueueEndpoints>,
    ) -> Result<Self, MissingQueues> {
        let missing: Vec<&str> = QueueName::ALL
            .iter()
            .filter(|q| !queues.contains_key(q))
            .map(|q| q.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(MissingQueues(missing.join(", ")));
        }
        Ok(Self {
            client,
            queues,
            time_scale: 1.0,
        })
    }

    /// Looks the queues up by name (`GetQueueUrl`): `names[queue]` is the queue's name and
    /// `dead_letter_names[queue]` its DLQ's (see [`crate::resources::Resources`]).
    pub async fn lookup(
        client: Client,
        names: &BTreeMap<QueueName, (String, String)>,
    ) -> PortResult<Self> {
        let mut queues = BTreeMap::new();
        for queue in QueueName::ALL {
            let (name, dead_letter_name) = names.get(&queue).ok_or_else(|| {
                PortError::Permanent(format!("no queue name for the {} queue", queue.as_str()))
            })?;
            let url = queue_url(&client, name).await?;
            let dead_letter_url = queue_url(&client, dead_letter_name).await?;
            queues.insert(
                queue,
                QueueEndpoints {
                    url,
                    dead_letter_url,
                },
            );
        }
        Self::new(client, queues).map_err(|e| PortError::Permanent(e.to_string()))
    }

    /// Divides every delay by `scale` (simulated seconds per real second, rounded up): in a
    /// rehearsal the engine's delays are in drs-sim's simulated time.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        self
    }

    /// The queues' URLs.
    pub fn endpoints(&self) -> &BTreeMap<QueueName, QueueEndpoints> {
        &self.queues
    }

    /// The URL of `queue`.
    pub fn url(&self, queue: QueueRef) -> PortResult<&str> {
        let (name, endpoints) = match queue {
            QueueRef::Main(name) | QueueRef::DeadLetter(name) => (name, self.queues.get(&name)),
        };
        let endpoints = endpoints.ok_or_else(|| {
            PortError::Permanent(format!("no URL for the {} queue", name.as_str()))
        })?;
        Ok(match queue {
            QueueRef::Main(_) => &endpoints.url,
            QueueRef::DeadLetter(_) => &endpoints.dead_letter_url,
        })
    }

    /// The real delay for a delay of `seconds` (validated, time-scaled).
    pub fn real_delay(&self, seconds: u32) -> PortResult<u32> {
        if seconds > MAX_DELAY_SECONDS {
            return Err(PortError::Permanent(format!(
                "a message delay of {seconds} s is longer than SQS's {MAX_DELAY_SECONDS} s"
            )));
        }
        let scaled = (f64::from(seconds) / self.time_scale).ceil();
        // In 0..=900 by construction; the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok((scaled as u32).min(MAX_DELAY_SECONDS))
    }

    /// Sends a raw `body` to `queue` after `delay_seconds` (time-scaled); its message ID.
    pub async fn send_body(
        &self,
        queue: QueueRef,
        body: &str,
        delay_seconds: u32,
    ) -> PortResult<String> {
        let delay = self.real_delay(delay_seconds)?;
        let url = self.url(queue)?;
        let output = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .delay_seconds(i32::try_from(delay).unwrap_or(0))
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&format!("SQS SendMessage to {url}"), e))?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Receives up to `options.max_messages` messages from `queue`.
    pub async fn receive(
        &self,
        queue: QueueRef,
        options: ReceiveOptions,
    ) -> PortResult<Vec<ReceivedMessage>> {
        let url = self.url(queue)?;
        let to_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(to_i32(options.max_messages.clamp(1, 10)))
            .wait_time_seconds(to_i32(options.wait_seconds.min(20)))
            .set_visibility_timeout(options.visibility_timeout_seconds.map(to_i32))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&format!("SQS ReceiveMessage from {url}"), e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                let receive_count = message
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1);
                let attributes = message
                    .message_attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(name, value)| value.string_value.map(|v| (name, v)))
                    .collect();
                ReceivedMessage {
                    message_id: message.message_id.unwrap_or_default(),
                    receipt_handle: message.receipt_handle.unwrap_or_default(),
                    body: message.body.unwrap_or_default(),
                    receive_count,
                    attributes,
                }
            })
            .collect())
    }

    /// Deletes a received message.
    pub async fn delete(&self, queue: QueueRef, receipt_handle: &str) -> PortResult<()> {
        let url = self.url(queue)?;
        self.client
            .delete_message()
            .queue_url(url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&format!("SQS DeleteMessage from {url}"), e))?;
        Ok(())
    }

    /// Makes a received message visible again after `seconds` (0 = now).
    pub async fn change_visibility(
        &self,
        queue: QueueRef,
        receipt_handle: &str,
        seconds: u32,
    ) -> PortResult<()> {
        let url = self.url(queue)?;
        self.client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| {
                sdk_error::port_error(&format!("SQS ChangeMessageVisibility on {url}"), e)
            })?;
        Ok(())
    }
}

async fn queue_url(client: &Client, name: &str) -> PortResult<String> {
    let output = client
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| sdk_error::port_error(&format!("SQS GetQueueUrl of queue {name}"), e))?;
    output
        .queue_url
        .ok_or_else(|| PortError::Permanent(format!("SQS GetQueueUrl of queue {name}: no URL")))
}

fn string_attribute(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::Permanent(format!("SQS message attribute: {e}")))
}

#[async_trait]
impl Queues for SqsQueues {
    async fn send(
        &self,
        queue: QueueName,
        message: &Message,
        delay_seconds: u32,
    ) -> PortResult<()> {
        self.send_body(QueueRef::Main(queue), &encode(message), delay_seconds)
            .await
            .map(|_| ())
    }

    async fn dead_letter(&self, queue: QueueName, body: &str, reason: &str) -> PortResult<()> {
        let url = self.url(QueueRef::DeadLetter(queue))?;
        // SQS refuses empty bodies and attribute values.
        let body = if body.is_empty() {
            "(empty message body)"
        } else {
            body
        };
        let reason: String = if reason.is_empty() {
            "(no reason given)".to_owned()
        } else {
            reason.chars().take(MAX_REASON_CHARS).collect()
        };
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_attributes(REASON_ATTRIBUTE, string_attribute(&reason)?)
            .message_attributes(SOURCE_QUEUE_ATTRIBUTE, string_attribute(queue.as_str())?)
            .send()
            .await
            .map_err(|e| sdk_error::port_error(&format!("SQS SendMessage to {url}"), e))?;
        tracing::warn!(queue = queue.as_str(), %reason, "message sent to the dead-letter queue");
        Ok(())
    }
}
