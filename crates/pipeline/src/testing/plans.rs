//! Stored plans, in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use plan::Plan;

use super::{Faults, lock};
use crate::ports::{PlanStore, PortResult};

/// Plans by name.
#[derive(Debug, Default)]
pub struct FakePlanStore {
    plans: Mutex<BTreeMap<String, Plan>>,
    /// Failures of the next calls.
    pub faults: Faults,
}

impl FakePlanStore {
    /// Stores `plan` under its name.
    pub fn put(&self, plan: Plan) {
        lock(&self.plans).insert(plan.name.clone(), plan);
    }

    /// Deletes the plan `name`.
    pub fn remove(&self, name: &str) {
        lock(&self.plans).remove(name);
    }
}

#[async_trait]
impl PlanStore for FakePlanStore {
    async fn get(&self, name: &str) -> PortResult<Option<Plan>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(lock(&self.plans).get(name).cloned())
    }
}
