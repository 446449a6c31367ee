//! Pre- and post-actions, recorded; they succeed unless told otherwise.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use engine::{ActionPhase, ActionResult, Execution, RunAction, WaveIndex};

use super::{Faults, lock};
use crate::ports::{ActionRunner, PortResult};

/// Runs actions instantly.
#[derive(Debug, Default)]
pub struct FakeActionRunner {
    runs: Mutex<Vec<RunAction>>,
    results: Mutex<BTreeMap<(WaveIndex, ActionPhase, usize), ActionResult>>,
    /// Failures of the next calls.
    pub faults: Faults,
}

impl FakeActionRunner {
    /// Action `index` of `phase` of wave `wave` ends with `result` (default: success).
    pub fn set_result(
        &self,
        wave: WaveIndex,
        phase: ActionPhase,
        index: usize,
        result: ActionResult,
    ) {
        lock(&self.results).insert((wave, phase, index), result);
    }

    /// Every run, in order (re-runs included).
    pub fn runs(&self) -> Vec<RunAction> {
        lock(&self.runs).clone()
    }
}

#[async_trait]
impl ActionRunner for FakeActionRunner {
    async fn run(&self, _execution: &Execution, run: &RunAction) -> PortResult<ActionResult> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        lock(&self.runs).push(run.clone());
        let result = lock(&self.results)
            .get(&(run.wave, run.phase, run.index))
            .cloned()
            .unwrap_or(ActionResult::Succeeded);
        Ok(result)
    }
}
