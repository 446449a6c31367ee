//! Executions in memory, with conditional writes and injectable conflicts.
//!
//! States are kept as JSON, as a real table keeps them: a state that does not round-trip
//! fails the save.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use engine::{DrillCleanup, Execution, ExecutionId};

use super::{Faults, lock};
use crate::ports::{Created, ExecutionStore, ExecutionSummary, PortError, PortResult, Version};

/// What another writer does to a stored execution just before a save (which then conflicts).
pub type ConcurrentWrite = Box<dyn FnOnce(&mut Execution) + Send>;

/// Executions by ID.
#[derive(Default)]
pub struct FakeExecutionStore {
    inner: Mutex<Inner>,
    /// Failures of the next calls (any method).
    pub faults: Faults,
}

#[derive(Default)]
struct Inner {
    items: BTreeMap<ExecutionId, (String, Version)>,
    cleanups: BTreeMap<ExecutionId, DrillCleanup>,
    /// Plan name → the execution holding it.
    holds: BTreeMap<String, ExecutionId>,
    saves: usize,
    conflicts: usize,
    concurrent: VecDeque<ConcurrentWrite>,
}

impl fmt::Debug for FakeExecutionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("FakeExecutionStore")
            .field("executions", &inner.items.len())
            .field("saves", &inner.saves)
            .finish_non_exhaustive()
    }
}

fn encode(execution: &Execution) -> PortResult<String> {
    serde_json::to_string(execution)
        .map_err(|e| PortError::Permanent(format!("execution does not serialise: {e}")))
}

fn decode(json: &str) -> PortResult<Execution> {
    serde_json::from_str(json)
        .map_err(|e| PortError::Permanent(format!("stored execution does not parse: {e}")))
}

impl FakeExecutionStore {
    /// The stored execution `id`.
    pub fn get(&self, id: &ExecutionId) -> Option<Execution> {
        let inner = lock(&self.inner);
        inner.items.get(id).and_then(|(json, _)| decode(json).ok())
    }

    /// The stored version of `id`.
    pub fn version(&self, id: &ExecutionId) -> Option<Version> {
        lock(&self.inner).items.get(id).map(|(_, version)| *version)
    }

    /// Every stored execution.
    pub fn all(&self) -> Vec<Execution> {
        let inner = lock(&self.inner);
        inner
            .items
            .values()
            .filter_map(|(json, _)| decode(json).ok())
            .collect()
    }

    /// The drill cleanup recorded for `id`.
    pub fn cleanup(&self, id: &ExecutionId) -> Option<DrillCleanup> {
        lock(&self.inner).cleanups.get(id).cloned()
    }

    /// Successful saves so far.
    pub fn saves(&self) -> usize {
        lock(&self.inner).saves
    }

    /// Saves that lost to a conflict so far.
    pub fn conflicts(&self) -> usize {
        lock(&self.inner).conflicts
    }

    /// The next `count` saves find that someone else saved first (the same state, a newer
    /// version).
    pub fn conflict_on_next_saves(&self, count: usize) {
        let mut inner = lock(&self.inner);
        for _ in 0..count {
            inner.concurrent.push_back(Box::new(|_| {}));
        }
    }

    /// Just before the next save, another writer changes the stored execution with `write`
    /// and saves it: the save conflicts.
    pub fn write_concurrently_on_next_save(&self, write: ConcurrentWrite) {
        lock(&self.inner).concurrent.push_back(write);
    }

    /// Deletes execution `id`.
    pub fn remove(&self, id: &ExecutionId) {
        lock(&self.inner).items.remove(id);
    }
}

#[async_trait]
impl ExecutionStore for FakeExecutionStore {
    async fn create(&self, execution: &Execution) -> PortResult<Created> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let json = encode(execution)?;
        let mut inner = lock(&self.inner);
        if inner.items.contains_key(&execution.id) {
            return Ok(Created::Exists);
        }
        if execution.holds_its_plan() {
            let plan = &execution.plan.name;
            match inner.holds.get(plan) {
                Some(holder) if *holder != execution.id => {
                    return Ok(Created::PlanHeld { by: holder.clone() });
                }
                _ => {
                    inner.holds.insert(plan.clone(), execution.id.clone());
                }
            }
        }
        inner.items.insert(execution.id.clone(), (json, 1));
        Ok(Created::New)
    }

    async fn release_plan(&self, plan_name: &str, holder: &ExecutionId) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let mut inner = lock(&self.inner);
        if inner.holds.get(plan_name) == Some(holder) {
            inner.holds.remove(plan_name);
        }
        Ok(())
    }

    async fn plan_holder(&self, plan_name: &str) -> PortResult<Option<ExecutionId>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(lock(&self.inner).holds.get(plan_name).cloned())
    }

    async fn load(&self, id: &ExecutionId) -> PortResult<Option<(Execution, Version)>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let inner = lock(&self.inner);
        match inner.items.get(id) {
            Some((json, version)) => Ok(Some((decode(json)?, *version))),
            None => Ok(None),
        }
    }

    async fn save(&self, execution: &Execution, expected: Version) -> PortResult<Option<Version>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let json = encode(execution)?;
        let mut inner = lock(&self.inner);
        if let Some(write) = inner.concurrent.pop_front() {
            if let Some((stored, version)) = inner.items.get(&execution.id).cloned() {
                let mut other = decode(&stored)?;
                write(&mut other);
                let other = encode(&other)?;
                inner
                    .items
                    .insert(execution.id.clone(), (other, version + 1));
            }
        }
        let Some((_, version)) = inner.items.get(&execution.id) else {
            return Err(PortError::Permanent(format!(
                "execution {} does not exist: it must be created first",
                execution.id
            )));
        };
        if *version != expected {
            inner.conflicts += 1;
            return Ok(None);
        }
        let next = expected + 1;
        inner.items.insert(execution.id.clone(), (json, next));
        inner.saves += 1;
        Ok(Some(next))
    }

    async fn record_cleanup(&self, id: &ExecutionId, cleanup: &DrillCleanup) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        lock(&self.inner)
            .cleanups
            .insert(id.clone(), cleanup.clone());
        Ok(())
    }

    async fn list_by_plan(
        &self,
        plan_name: &str,
        limit: usize,
    ) -> PortResult<Vec<ExecutionSummary>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let inner = lock(&self.inner);
        let mut summaries = Vec::new();
        for (json, version) in inner.items.values() {
            let execution = decode(json)?;
            if execution.plan.name == plan_name {
                summaries.push(ExecutionSummary {
                    execution_id: execution.id,
                    plan_name: execution.plan.name,
                    status: execution.status,
                    mode: execution.mode,
                    requested_by: execution.requested_by,
                    requested_at: execution.requested_at,
                    ended_at: execution.ended_at,
                    version: *version,
                });
            }
        }
        // Newest first, as the table's index (sorted by `requested_at`) lists them.
        summaries.sort_by(|a, b| {
            (b.requested_at, &b.execution_id).cmp(&(a.requested_at, &a.execution_id))
        });
        summaries.truncate(limit);
        Ok(summaries)
    }
}
