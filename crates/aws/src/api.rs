//! The HTTP API's adapters in one place ([`pipeline::api::ApiDeps`] borrows them): the plans
//! and executions tables and the queues. Built by the `api` Lambda from its environment and by
//! `drsctl` (direct mode) from a stack's prefix, so both call [`pipeline::api::handle`] on the
//! same adapters.

use pipeline::api::ApiDeps;
use pipeline::ports::PortResult;

use crate::config::AwsConfig;
use crate::dynamodb::{ExecutionTable, PlanTable};
use crate::resources::Resources;
use crate::sqs::SqsQueues;

/// The adapters the HTTP API uses.
#[derive(Debug)]
pub struct ApiStores {
    /// Stored plans.
    pub plans: PlanTable,
    /// Executions.
    pub executions: ExecutionTable,
    /// The pipeline's queues.
    pub queues: SqsQueues,
}

impl ApiStores {
    /// From adapters already built (the Lambda, from its environment's names and URLs).
    pub fn new(plans: PlanTable, executions: ExecutionTable, queues: SqsQueues) -> Self {
        Self {
            plans,
            executions,
            queues,
        }
    }

    /// The adapters of the stack whose resources are `resources` (e.g.
    /// `Resources::with_prefix("drs-orchestrator")`): table names from it, queue URLs looked
    /// up by name (`GetQueueUrl`). For drsctl talking to the tables directly.
    pub async fn of_stack(config: &AwsConfig, resources: &Resources) -> PortResult<Self> {
        let queues = SqsQueues::lookup(config.sqs(), &resources.queue_names()).await?;
        Ok(Self {
            plans: PlanTable::new(config.dynamodb(), &resources.plans.name),
            executions: ExecutionTable::new(config.dynamodb(), &resources.executions.name),
            queues,
        })
    }

    /// What [`pipeline::api::handle`] takes.
    pub fn deps(&self) -> ApiDeps<'_> {
        ApiDeps {
            plans: &self.plans,
            executions: &self.executions,
            queues: &self.queues,
        }
    }
}
