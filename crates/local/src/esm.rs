//! Lambda's SQS event source mapping, played by a poller: receive a batch, hand it to the
//! role's handler with [`pipeline::process_batch`], delete what succeeded, and let what failed
//! (`batchItemFailures`) reappear after the visibility timeout.
//!
//! Dead letters: moto applies the queues' redrive policy itself, as SQS does — a receive that
//! finds a message already received `maxReceiveCount` times moves it to the DLQ instead of
//! returning it (moto 5, `sqs/models.py` `receive_message`). So the poller never moves
//! messages itself; `tests/esm.rs` checks that a message failing every time ends up there.
//!
//! Time: the visibility timeout a failed record waits out is the queue's, divided by the
//! time scale (a 6-minute timeout is 6 simulated minutes). While a batch is handled its
//! messages stay invisible for the queue's full (real) visibility timeout, so a slow handler
//! never sees its own messages come back.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_adapters::resources::QueueDefinition;
use aws_adapters::{QueueRef, ReceiveOptions, ReceivedMessage, SqsQueues};
use pipeline::{Deps, Record, Role, process_batch};
use tokio::sync::watch;
use tracing::{debug, warn};

/// How the pollers poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerSettings {
    /// `WaitTimeSeconds` of each receive (0..=20). moto answers a long poll as soon as a
    /// message is sent; a delayed message becoming visible is seen up to this late.
    pub wait_seconds: u32,
    /// Pause after a receive that returned nothing.
    pub idle_sleep: Duration,
    /// Messages per batch (1..=10); `None` = the queue definition's `batch_size`.
    pub batch_size: Option<u32>,
    /// Pollers per queue: Lambda runs batches concurrently; more than one exercises the
    /// handlers' conditional writes.
    pub pollers_per_queue: usize,
    /// How long a failed record stays invisible; `None` = the queue's visibility timeout
    /// divided by the time scale (rounded up).
    pub failure_visibility: Option<Duration>,
    /// Hand every batch to the handler twice, as an at-least-once delivery may.
    pub duplicate_deliveries: bool,
}

impl Default for PollerSettings {
    /// One poller per queue, 1 s long polls, the queues' batch sizes.
    fn default() -> Self {
        Self {
            wait_seconds: 1,
            idle_sleep: Duration::from_millis(10),
            batch_size: None,
            pollers_per_queue: 1,
            failure_visibility: None,
            duplicate_deliveries: false,
        }
    }
}

/// What one queue's pollers did (shared, updated live).
#[derive(Debug, Default)]
pub struct PollerStats {
    receives: AtomicU64,
    receive_errors: AtomicU64,
    batches: AtomicU64,
    records: AtomicU64,
    failures: AtomicU64,
    deletes: AtomicU64,
}

/// A snapshot of [`PollerStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollerCounts {
    /// `ReceiveMessage` calls.
    pub receives: u64,
    /// `ReceiveMessage` calls that failed.
    pub receive_errors: u64,
    /// Handler invocations (one per batch, two with duplicate deliveries).
    pub batches: u64,
    /// Records handed to the handler (duplicates counted).
    pub records: u64,
    /// Records the handler failed (reported as batch item failures).
    pub failures: u64,
    /// Messages deleted after success.
    pub deletes: u64,
}

impl PollerStats {
    /// The counts now.
    pub fn snapshot(&self) -> PollerCounts {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PollerCounts {
            receives: get(&self.receives),
            receive_errors: get(&self.receive_errors),
            batches: get(&self.batches),
            records: get(&self.records),
            failures: get(&self.failures),
            deletes: get(&self.deletes),
        }
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// One poller of one queue, calling one role's handler.
#[derive(Debug, Clone)]
pub struct EventSourceMapping {
    role: Role,
    queues: Arc<SqsQueues>,
    deps: Deps,
    receive: ReceiveOptions,
    idle_sleep: Duration,
    failure_visibility_seconds: u32,
    duplicate_deliveries: bool,
    stats: Arc<PollerStats>,
}

impl EventSourceMapping {
    /// A poller of `role`'s queue (defined by `definition`) calling `role`'s handler with
    /// `deps`, at `time_scale` simulated seconds per real second; counts into `stats`.
    pub fn new(
        role: Role,
        queues: Arc<SqsQueues>,
        deps: Deps,
        definition: &QueueDefinition,
        settings: &PollerSettings,
        time_scale: f64,
        stats: Arc<PollerStats>,
    ) -> Self {
        let failure_visibility_seconds = match settings.failure_visibility {
            Some(visibility) => u32::try_from(visibility.as_secs()).unwrap_or(u32::MAX),
            None => scaled_seconds(definition.visibility_timeout_seconds, time_scale),
        };
        Self {
            role,
            queues,
            deps,
            receive: ReceiveOptions {
                max_messages: settings
                    .batch_size
                    .unwrap_or(definition.batch_size)
                    .clamp(1, 10),
                wait_seconds: settings.wait_seconds.min(20),
                visibility_timeout_seconds: Some(definition.visibility_timeout_seconds),
            },
            idle_sleep: settings.idle_sleep,
            failure_visibility_seconds,
            duplicate_deliveries: settings.duplicate_deliveries,
            stats,
        }
    }

    /// The role whose handler this poller calls.
    pub fn role(&self) -> Role {
        self.role
    }

    /// How long a failed record stays invisible, in real seconds.
    pub fn failure_visibility_seconds(&self) -> u32 {
        self.failure_visibility_seconds
    }

    /// Receives once and handles what came; the number of messages received.
    pub async fn poll_once(&self) -> Result<usize, pipeline::ports::PortError> {
        let messages = self.receive().await?;
        let count = messages.len();
        if count > 0 {
            self.handle(messages).await;
        }
        Ok(count)
    }

    /// Polls until `shutdown` turns true (or its sender is dropped). A receive in progress
    /// is abandoned; a batch being handled is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let received = tokio::select! {
                received = self.receive() => received,
                _ = shutdown.changed() => return,
            };
            let pause = match received {
                Ok(messages) if messages.is_empty() => self.idle_sleep,
                Ok(messages) => {
                    self.handle(messages).await;
                    Duration::ZERO
                }
                Err(error) => {
                    warn!(queue = self.role.queue().as_str(), %error, "receiving failed; retrying");
                    Duration::from_millis(250)
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }

    async fn receive(&self) -> Result<Vec<ReceivedMessage>, pipeline::ports::PortError> {
        bump(&self.stats.receives, 1);
        let queue = QueueRef::Main(self.role.queue());
        self.queues
            .receive(queue, self.receive)
            .await
            .inspect_err(|_| {
                bump(&self.stats.receive_errors, 1);
            })
    }

    async fn handle(&self, messages: Vec<ReceivedMessage>) {
        let queue = self.role.queue();
        let records: Vec<Record> = messages
            .iter()
            .map(|m| Record {
                message_id: m.message_id.clone(),
                body: m.body.clone(),
                receive_count: m.receive_count,
            })
            .collect();
        let deliveries = if self.duplicate_deliveries { 2 } else { 1 };
        let mut failed = BTreeSet::new();
        for _ in 0..deliveries {
            bump(&self.stats.batches, 1);
            bump(&self.stats.records, records.len() as u64);
            failed.extend(process_batch(&self.deps, self.role, &records).await);
        }
        bump(&self.stats.failures, failed.len() as u64);
        debug!(
            queue = queue.as_str(),
            records = records.len(),
            failed = failed.len(),
            "batch handled"
        );
        for message in messages {
            let result = if failed.contains(&message.message_id) {
                self.queues
                    .change_visibility(
                        QueueRef::Main(queue),
                        &message.receipt_handle,
                        self.failure_visibility_seconds,
                    )
                    .await
            } else {
                let deleted = self
                    .queues
                    .delete(QueueRef::Main(queue), &message.receipt_handle)
                    .await;
                if deleted.is_ok() {
                    bump(&self.stats.deletes, 1);
                }
                deleted
            };
            if let Err(error) = result {
                // The message comes back after its visibility timeout and is handled again:
                // the handlers take duplicates in their stride.
                warn!(queue = queue.as_str(), message_id = %message.message_id, %error, "acknowledging the message failed");
            }
        }
    }
}

/// `seconds` of simulated time in real seconds, rounded up.
pub fn scaled_seconds(seconds: u32, time_scale: f64) -> u32 {
    let scaled = (f64::from(seconds) / time_scale).ceil();
    if scaled.is_finite() && scaled >= 0.0 {
        // Bounded by `seconds` for scales ≥ 1; the cast saturates otherwise.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let real = scaled as u32;
        real
    } else {
        seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_is_scaled_and_rounded_up() {
        assert_eq!(scaled_seconds(360, 60.0), 6);
        assert_eq!(scaled_seconds(720, 100.0), 8);
        assert_eq!(scaled_seconds(360, 1.0), 360);
        assert_eq!(scaled_seconds(0, 60.0), 0);
    }
}
