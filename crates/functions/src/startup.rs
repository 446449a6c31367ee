//! Building the functions' adapters once per Lambda instance (during init, before the first
//! invocation): the SDK configuration, then the queue functions' [`Deps`] (through
//! [`aws_adapters::wiring`], as the local stack does) or the api function's [`ApiStores`].

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_adapters::sqs::MissingQueues;
use aws_adapters::wiring::{HostPorts, Wiring, WiringError};
use aws_adapters::{
    ApiStores, AwsSettings, ConfigError, ExecutionTable, PlanTable, QueueEndpoints, SqsQueues,
};
use pipeline::Deps;
use pipeline::message::QueueName;
use pipeline::ports::PortError;

use crate::actions::UnsupportedActions;
use crate::approvals::TopicApprovals;
use crate::clock::SystemClock;
use crate::environment::{ApiEnvironment, ORCHESTRATOR_ACCOUNT_ID};

/// Why the dependencies could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The AWS SDK configuration (region, endpoints).
    #[error("loading the AWS configuration: {0}")]
    AwsConfig(#[from] ConfigError),
    /// STS could not say which account this is.
    #[error(
        "finding the orchestrator's own account with STS GetCallerIdentity (set \
         {ORCHESTRATOR_ACCOUNT_ID} to skip this call): {0}"
    )]
    OwnAccount(PortError),
    /// The queues' URLs.
    #[error(transparent)]
    Queues(#[from] MissingQueues),
}

impl From<WiringError> for StartupError {
    fn from(error: WiringError) -> Self {
        match error {
            WiringError::Queues(missing) => Self::Queues(missing),
            WiringError::OwnAccount(error) => Self::OwnAccount(error),
        }
    }
}

/// The queue functions' dependencies for `wiring`; AWS settings (region, credentials,
/// `AWS_ENDPOINT_URL*`) come from the SDK's usual chain.
pub async fn build(wiring: &Wiring) -> Result<Deps, StartupError> {
    let config = AwsSettings::default().load().await?;
    let adapters = wiring.connect(&config).await?;
    let approvals = TopicApprovals::new(config.sns(), &wiring.topic_arn);
    Ok(adapters.deps(HostPorts {
        actions: Arc::new(UnsupportedActions),
        approvals: Arc::new(approvals),
        clock: Arc::new(SystemClock),
    }))
}

/// The HTTP API's adapters for `environment` (the `api` function): the plans and executions
/// tables and the queues. No STS call: the API needs no account ID.
pub async fn build_api(environment: &ApiEnvironment) -> Result<ApiStores, StartupError> {
    let config = AwsSettings::default().load().await?;
    let dynamodb = config.dynamodb();
    // The api never saves an execution, so the table's TTL setting does not matter here.
    let executions = ExecutionTable::new(dynamodb.clone(), &environment.executions_table);
    let plans = PlanTable::new(dynamodb, &environment.plans_table);
    let queues = SqsQueues::new(config.sqs(), api_queues(environment))?;
    Ok(ApiStores::new(plans, executions, queues))
}

/// The api's queues. [`SqsQueues`] wants every queue, but the API only sends to the start
/// queue (new executions) and the advance queue (cancels, approvals) and never dead-letters:
/// the rest stay empty, and SQS would refuse an empty URL were one ever used.
fn api_queues(environment: &ApiEnvironment) -> BTreeMap<QueueName, QueueEndpoints> {
    QueueName::ALL
        .into_iter()
        .map(|queue| {
            let url = match queue {
                QueueName::Start => environment.start_queue_url.clone(),
                QueueName::Advance => environment.advance_queue_url.clone(),
                QueueName::Check => String::new(),
            };
            let endpoints = QueueEndpoints {
                url,
                dead_letter_url: String::new(),
            };
            (queue, endpoints)
        })
        .collect()
}
