//! [`PlanStore`] on DynamoDB: one item per plan (`name`), the plan as JSON.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use jiff::Timestamp;
use pipeline::ports::{PlanStore, PortError, PortResult};
use plan::Plan;

use super::item::{Reader, s, timestamp};
use crate::sdk_error;

/// Partition key: the plan's name (S).
pub const PARTITION_KEY: &str = "name";

/// The plans table.
#[derive(Debug, Clone)]
pub struct PlanTable {
    client: Client,
    table: String,
}

/// A stored plan, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSummary {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// When it was last stored.
    pub updated_at: Timestamp,
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

    /// Stores `plan` (replacing one of the same name) after checking it.
    pub async fn put(&self, plan: &Plan, updated_at: Timestamp) -> PortResult<()> {
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
            .item("updated_at", s(timestamp(updated_at)));
        if let Some(description) = &plan.description {
            request = request.item("description", s(description.clone()));
        }
        request.send().await.map_err(|e| self.error("PutItem", e))?;
        Ok(())
    }

    /// Every stored plan, sorted by name.
    pub async fn list(&self) -> PortResult<Vec<PlanSummary>> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .projection_expression("#name, description, updated_at")
            .expression_attribute_names("#name", PARTITION_KEY)
            .into_paginator()
            .items()
            .send();
        let mut plans = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| self.error("Scan", e))?;
            let what = format!("plan item in table {}", self.table);
            let reader = Reader::new(&item, &what);
            plans.push(PlanSummary {
                name: reader.string(PARTITION_KEY)?.to_owned(),
                description: reader.opt_string("description")?.map(str::to_owned),
                updated_at: reader.timestamp("updated_at")?,
            });
        }
        plans.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(plans)
    }

    /// Deletes the plan `name`; whether it existed.
    pub async fn delete(&self, name: &str) -> PortResult<bool> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(name))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.error("DeleteItem", e))?;
        Ok(output.attributes.is_some_and(|a| !a.is_empty()))
    }

    fn error<E>(
        &self,
        operation: &str,
        error: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    ) -> PortError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        sdk_error::port_error(
            &format!("DynamoDB {operation} on table {}", self.table),
            error,
        )
    }
}

#[async_trait]
impl PlanStore for PlanTable {
    async fn get(&self, name: &str) -> PortResult<Option<Plan>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("GetItem", e))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let what = format!("plan `{name}` in table {}", self.table);
        let text = Reader::new(&item, &what).string("plan")?;
        serde_json::from_str(text).map(Some).map_err(|e| {
            PortError::Permanent(format!("{what}: the stored plan is unreadable: {e}"))
        })
    }
}
