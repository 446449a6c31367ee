//! Approval requests, recorded.

use std::sync::Mutex;

use async_trait::async_trait;
use engine::{Execution, ExecutionId, WaveIndex};

use super::{Faults, lock};
use crate::ports::{Approvals, PortResult};

/// Records every approval asked for.
#[derive(Debug, Default)]
pub struct FakeApprovals {
    requested: Mutex<Vec<(ExecutionId, WaveIndex)>>,
    /// Failures of the next calls.
    pub faults: Faults,
}

impl FakeApprovals {
    /// Every approval asked for, in order (re-issues included).
    pub fn requested(&self) -> Vec<(ExecutionId, WaveIndex)> {
        lock(&self.requested).clone()
    }
}

#[async_trait]
impl Approvals for FakeApprovals {
    async fn request(&self, execution: &Execution, wave: WaveIndex) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        lock(&self.requested).push((execution.id.clone(), wave));
        Ok(())
    }
}
