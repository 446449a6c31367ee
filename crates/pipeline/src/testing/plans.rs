//! Stored plans, in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use plan::Plan;

use super::{Faults, lock};
use crate::ports::{PlanStore, PlanSummary, PortResult, PutOutcome, StoredPlan};

/// Plans by name.
#[derive(Debug, Default)]
pub struct FakePlanStore {
    plans: Mutex<BTreeMap<String, StoredPlan>>,
    /// Failures of the next calls.
    pub faults: Faults,
}

impl FakePlanStore {
    /// Stores `plan` under its name (stored at the Unix epoch, by nobody: for tests that only
    /// need the plan; [`PlanStore::put`] records who and when).
    pub fn put(&self, plan: Plan) {
        let stored = StoredPlan {
            plan,
            updated_at: Timestamp::UNIX_EPOCH,
            updated_by: String::new(),
        };
        lock(&self.plans).insert(stored.plan.name.clone(), stored);
    }

    /// Deletes the plan `name`.
    pub fn remove(&self, name: &str) {
        lock(&self.plans).remove(name);
    }

    /// The stored plan `name`, with who stored it and when.
    pub fn stored(&self, name: &str) -> Option<StoredPlan> {
        lock(&self.plans).get(name).cloned()
    }
}

#[async_trait]
impl PlanStore for FakePlanStore {
    async fn get(&self, name: &str) -> PortResult<Option<Plan>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(lock(&self.plans).get(name).map(|s| s.plan.clone()))
    }

    async fn describe(&self, name: &str) -> PortResult<Option<StoredPlan>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(self.stored(name))
    }

    async fn put(
        &self,
        plan: &Plan,
        updated_at: Timestamp,
        updated_by: &str,
    ) -> PortResult<PutOutcome> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let stored = StoredPlan {
            plan: plan.clone(),
            updated_at,
            updated_by: updated_by.to_owned(),
        };
        Ok(match lock(&self.plans).insert(plan.name.clone(), stored) {
            Some(_) => PutOutcome::Replaced,
            None => PutOutcome::Created,
        })
    }

    async fn list(&self) -> PortResult<Vec<PlanSummary>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        // A BTreeMap iterates in name order, the order the port promises.
        Ok(lock(&self.plans)
            .values()
            .map(|s| PlanSummary {
                name: s.plan.name.clone(),
                description: s.plan.description.clone(),
                waves: s.plan.waves.len(),
                updated_at: s.updated_at,
                updated_by: s.updated_by.clone(),
            })
            .collect())
    }

    async fn delete(&self, name: &str) -> PortResult<bool> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(lock(&self.plans).remove(name).is_some())
    }
}
