//! Notifications in a rehearsal: recorded (for the progress view and tests), and also
//! published to the stack's SNS topic so that path runs too.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use engine::{Execution, ExecutionId, Notification};
use jiff::Timestamp;
use pipeline::ports::{Clock, Notifier, PortResult};

/// One notification, as the handlers emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Simulated time of emission.
    pub at: Timestamp,
    /// The execution.
    pub execution_id: ExecutionId,
    /// The plan's name.
    pub plan: String,
    /// What happened.
    pub notification: Notification,
}

/// The notifications emitted so far; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct NotificationLog {
    records: Arc<Mutex<Vec<NotificationRecord>>>,
}

impl NotificationLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every notification so far, in emission order.
    pub fn all(&self) -> Vec<NotificationRecord> {
        self.lock().clone()
    }

    /// The notifications about `execution`, in emission order.
    pub fn of(&self, execution: &ExecutionId) -> Vec<NotificationRecord> {
        self.lock()
            .iter()
            .filter(|r| &r.execution_id == execution)
            .cloned()
            .collect()
    }

    /// The notifications from position `from` on (for a reader following the log), and the
    /// position after them.
    pub fn since(&self, from: usize) -> (Vec<NotificationRecord>, usize) {
        let records = self.lock();
        let new = records.get(from..).map(<[_]>::to_vec).unwrap_or_default();
        (new, records.len())
    }

    fn push(&self, record: NotificationRecord) {
        self.lock().push(record);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<NotificationRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// [`Notifier`] recording into a [`NotificationLog`], then publishing with `forward` (SNS).
pub struct RecordingNotifier {
    log: NotificationLog,
    clock: Arc<dyn Clock>,
    forward: Option<Arc<dyn Notifier>>,
}

impl RecordingNotifier {
    /// Records into `log` at `clock`'s time, then hands each notification to `forward`.
    pub fn new(
        log: NotificationLog,
        clock: Arc<dyn Clock>,
        forward: Option<Arc<dyn Notifier>>,
    ) -> Self {
        Self {
            log,
            clock,
            forward,
        }
    }
}

impl std::fmt::Debug for RecordingNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingNotifier")
            .field("forward", &self.forward.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(&self, execution: &Execution, notification: &Notification) -> PortResult<()> {
        if let Some(forward) = &self.forward {
            forward.notify(execution, notification).await?;
        }
        self.log.push(NotificationRecord {
            at: self.clock.now(),
            execution_id: execution.id.clone(),
            plan: execution.plan.name.clone(),
            notification: notification.clone(),
        });
        Ok(())
    }
}
