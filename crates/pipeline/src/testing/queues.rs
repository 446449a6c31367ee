//! The three queues in memory: messages wait until their delay has passed, are received in
//! batches, and come back after a visibility timeout when their record fails.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{FakeClock, Faults, lock};
use crate::message::{self, Message, QueueName};
use crate::ports::{Clock, PortResult, Queues};
use crate::sqs::Record;

/// A message a handler sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// Where to.
    pub queue: QueueName,
    /// What.
    pub message: Message,
    /// Its delay.
    pub delay_seconds: u32,
    /// When it was sent.
    pub sent_at: Timestamp,
}

/// A body in a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The queue whose DLQ it is in.
    pub queue: QueueName,
    /// The body.
    pub body: String,
    /// Why (the handler's reason, or the redrive after too many receives).
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Waiting {
    id: String,
    queue: QueueName,
    body: String,
    visible_at: Timestamp,
    receives: u32,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    waiting: Vec<Waiting>,
    sent: Vec<SentMessage>,
    dead: Vec<DeadLetter>,
}

/// The start, check and advance queues and their dead-letter queues.
#[derive(Debug)]
pub struct FakeQueues {
    clock: Arc<FakeClock>,
    inner: Mutex<Inner>,
    /// Failures of the next `send`/`dead_letter` calls.
    pub faults: Faults,
}

impl FakeQueues {
    /// Queues on `clock`'s time.
    pub fn new(clock: Arc<FakeClock>) -> Self {
        Self {
            clock,
            inner: Mutex::new(Inner::default()),
            faults: Faults::default(),
        }
    }

    /// Puts `body` on `queue`, visible after `delay_seconds` (as an outside sender does: the
    /// API, EventBridge); returns its message ID.
    pub fn push(&self, queue: QueueName, body: impl Into<String>, delay_seconds: u32) -> String {
        let visible_at = self.after(i64::from(delay_seconds));
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let id = format!("msg-{:06}", inner.next_id);
        inner.waiting.push(Waiting {
            id: id.clone(),
            queue,
            body: body.into(),
            visible_at,
            receives: 0,
        });
        id
    }

    fn after(&self, seconds: i64) -> Timestamp {
        let now = self.clock.now();
        now.saturating_add(SignedDuration::from_secs(seconds))
            .unwrap_or(now)
    }

    /// Receives up to `max` visible messages of `queue`, oldest first; they leave the queue
    /// (in flight) until [`Self::return_later`] brings one back.
    pub fn receive(&self, queue: QueueName, max: usize) -> Vec<Record> {
        let now = self.clock.now();
        let mut inner = lock(&self.inner);
        let mut records = Vec::new();
        let mut kept = Vec::with_capacity(inner.waiting.len());
        for mut waiting in std::mem::take(&mut inner.waiting) {
            if records.len() < max && waiting.queue == queue && waiting.visible_at <= now {
                waiting.receives += 1;
                records.push(Record {
                    message_id: waiting.id,
                    body: waiting.body,
                    receive_count: waiting.receives,
                });
            } else {
                kept.push(waiting);
            }
        }
        inner.waiting = kept;
        records
    }

    /// Puts a received record back on `queue`, visible after `seconds` (a failed record after
    /// its visibility timeout, or a duplicate delivery).
    pub fn return_later(&self, queue: QueueName, record: &Record, seconds: i64) {
        let visible_at = self.after(seconds);
        lock(&self.inner).waiting.push(Waiting {
            id: record.message_id.clone(),
            queue,
            body: record.body.clone(),
            visible_at,
            receives: record.receive_count,
        });
    }

    /// Moves a received record to `queue`'s dead-letter queue (SQS's redrive).
    pub fn redrive(&self, queue: QueueName, record: &Record, reason: impl Into<String>) {
        lock(&self.inner).dead.push(DeadLetter {
            queue,
            body: record.body.clone(),
            reason: reason.into(),
        });
    }

    /// When the next waiting message becomes visible.
    pub fn next_visible_at(&self) -> Option<Timestamp> {
        lock(&self.inner).waiting.iter().map(|w| w.visible_at).min()
    }

    /// Messages waiting (visible or not), per queue or all.
    pub fn waiting(&self, queue: Option<QueueName>) -> usize {
        lock(&self.inner)
            .waiting
            .iter()
            .filter(|w| queue.is_none_or(|q| q == w.queue))
            .count()
    }

    /// Every message the handlers sent, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        lock(&self.inner).sent.clone()
    }

    /// Every dead letter, in order.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        lock(&self.inner).dead.clone()
    }
}

#[async_trait]
impl Queues for FakeQueues {
    async fn send(
        &self,
        queue: QueueName,
        message: &Message,
        delay_seconds: u32,
    ) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let sent_at = self.clock.now();
        self.push(queue, message::encode(message), delay_seconds.min(900));
        lock(&self.inner).sent.push(SentMessage {
            queue,
            message: message.clone(),
            delay_seconds,
            sent_at,
        });
        Ok(())
    }

    async fn dead_letter(&self, queue: QueueName, body: &str, reason: &str) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        lock(&self.inner).dead.push(DeadLetter {
            queue,
            body: body.to_owned(),
            reason: reason.to_owned(),
        });
        Ok(())
    }
}
