//! Notifications, recorded.

use std::sync::Mutex;

use async_trait::async_trait;
use engine::{Execution, ExecutionId, Notification};

use super::{Faults, lock};
use crate::ports::{Notifier, PortResult};

/// Records every notification published.
#[derive(Debug, Default)]
pub struct FakeNotifier {
    sent: Mutex<Vec<(ExecutionId, Notification)>>,
    /// Failures of the next calls.
    pub faults: Faults,
}

impl FakeNotifier {
    /// Every notification published, in order.
    pub fn sent(&self) -> Vec<(ExecutionId, Notification)> {
        lock(&self.sent).clone()
    }
}

#[async_trait]
impl Notifier for FakeNotifier {
    async fn notify(&self, execution: &Execution, notification: &Notification) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        lock(&self.sent).push((execution.id.clone(), notification.clone()));
        Ok(())
    }
}
