//! [`PlanStore`] on DynamoDB: one item per plan (`name`), the plan as JSON, with when and by
//! whom it was last stored (`updated_at`, `updated_by`).

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use jiff::Timestamp;
use pipeline::ports::{PlanStore, PlanSummary, PortError, PortResult, PutOutcome, StoredPlan};
use plan::Plan;

use super::item::{Item, Reader, s, timestamp};
use super::table_error;

/// Partition key: the plan's name (S).
pub const PARTITION_KEY: &str = "name";

/// The plans table.
#[derive(Debug, Clone)]
pub struct PlanTable {
    client: Client,
    table: String,
}

impl PlanTable {
    /// The table `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }
}

#[async_trait]
impl PlanStore for PlanTable {
    async fn get(&self, name: &str) -> PortResult<Option<Plan>> {
        Ok(self.describe(name).await?.map(|stored| stored.plan))
    }

    async fn describe(&self, name: &str) -> PortResult<Option<StoredPlan>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "GetItem", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("plan `{name}` in table {}", self.table);
        stored_plan(&item, &what).map(Some)
    }

    /// Checks `plan` again (a store never holds a plan the starter would refuse), then stores
    /// it; `Replaced` when an item of that name existed.
    async fn put(
        &self,
        plan: &Plan,
        updated_at: Timestamp,
        updated_by: &str,
    ) -> PortResult<PutOutcome> {
        plan::validate(plan).map_err(|diagnostics| {
            PortError::Permanent(format!("plan `{}` is not valid: {diagnostics}", plan.name))
        })?;
        let text = serde_json::to_string(plan)
            .map_err(|e| PortError::Permanent(format!("plan `{}`: {e}", plan.name)))?;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(plan.name.clone()))
            .item("plan", s(text))
            .item("updated_at", s(timestamp(updated_at)))
            .item("updated_by", s(updated_by))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld);
        if let Some(description) = &plan.description {
            request = request.item("description", s(description.clone()));
        }
        let output = request
            .send()
            .await
            .map_err(|e| table_error(&self.table, "PutItem", e))?;
        Ok(if output.attributes.is_some_and(|a| !a.is_empty()) {
            PutOutcome::Replaced
        } else {
            PutOutcome::Created
        })
    }

    /// Every stored plan, sorted by name. A scan reads whole items whatever it projects, so
    /// the wave count is taken from the stored plan itself.
    async fn list(&self) -> PortResult<Vec<PlanSummary>> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut plans = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| table_error(&self.table, "Scan", e))?;
            let what = format!("plan item in table {}", self.table);
            let stored = stored_plan(&item, &what)?;
            plans.push(PlanSummary {
                name: stored.plan.name,
                description: stored.plan.description,
                waves: stored.plan.waves.len(),
                updated_at: stored.updated_at,
                updated_by: stored.updated_by,
            });
        }
        plans.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(plans)
    }

    async fn delete(&self, name: &str) -> PortResult<bool> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(name))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| table_error(&self.table, "DeleteItem", e))?;
        Ok(output.attributes.is_some_and(|a| !a.is_empty()))
    }
}

/// A plan item read back; `updated_by` is empty on items stored before it was recorded.
fn stored_plan(item: &Item, what: &str) -> PortResult<StoredPlan> {
    let reader = Reader::new(item, what);
    let plan = serde_json::from_str(reader.string("plan")?)
        .map_err(|e| PortError::Permanent(format!("{what}: the stored plan is unreadable: {e}")))?;
    Ok(StoredPlan {
        plan,
        updated_at: reader.timestamp("updated_at")?,
        updated_by: reader
            .opt_string("updated_by")?
            .unwrap_or_default()
            .to_owned(),
    })
}
