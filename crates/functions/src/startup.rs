//! Building the handlers' dependencies once per Lambda instance (during init, before the
//! first invocation): the SDK configuration, the adapters, the orchestrator's own scope.

use std::sync::Arc;

use aws_adapters::{
    ApiStores, AwsSettings, ConfigError, DrsAdapter, ExecutionTable, LedgerTable, PlanTable,
    SnsNotifier, SqsQueues, TargetCredentials,
};
use pipeline::message::QueueName;
use pipeline::ports::{PortError, Scope};
use pipeline::{Config, Deps};

use crate::actions::UnsupportedActions;
use crate::approvals::TopicApprovals;
use crate::clock::SystemClock;
use crate::environment::{Environment, ORCHESTRATOR_ACCOUNT_ID};

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
    Queues(#[from] aws_adapters::sqs::MissingQueues),
}

/// The handlers' dependencies for `environment`; AWS settings (region, credentials,
/// `AWS_ENDPOINT_URL*`) come from the SDK's usual chain.
pub async fn build(environment: &Environment) -> Result<Deps, StartupError> {
    let config = AwsSettings::default().load().await?;
    let mut credentials = TargetCredentials::new(&config);
    if let Some(account) = &environment.own_account_id {
        credentials = credentials.with_own_account_id(account.clone());
    }
    let account_id = credentials
        .own_account_id()
        .await
        .map_err(StartupError::OwnAccount)?;
    let own_scope = Scope {
        account_id,
        region: config.region().to_owned(),
    };
    let credentials = Arc::new(credentials);

    let dynamodb = config.dynamodb();
    let tables = &environment.tables;
    let executions = ExecutionTable::new(dynamodb.clone(), &tables.executions)
        .with_ttl_days(environment.execution_ttl_days);
    let ledger = LedgerTable::new(dynamodb.clone(), &tables.ledger)
        .with_ttl_days(environment.ledger_ttl_days);
    let plans = PlanTable::new(dynamodb, &tables.plans);
    let queues = SqsQueues::new(config.sqs(), environment.queues.clone())?;
    let advance_queue_url = environment
        .queues
        .get(&QueueName::Advance)
        .map(|q| q.url.clone())
        .unwrap_or_default();
    let sns = config.sns();
    let notifier = SnsNotifier::new(sns.clone(), &environment.notification_topic_arn);
    let approvals =
        TopicApprovals::new(sns, &environment.notification_topic_arn, advance_queue_url);

    Ok(Deps {
        executions: Arc::new(executions),
        plans: Arc::new(plans),
        drs: Arc::new(DrsAdapter::new(&config, credentials)),
        ledger: Arc::new(ledger),
        queues: Arc::new(queues),
        notifier: Arc::new(notifier),
        actions: Arc::new(UnsupportedActions),
        approvals: Arc::new(approvals),
        clock: Arc::new(SystemClock),
        config: Config {
            limits: environment.limits,
            own_scope,
        },
    })
}

/// The HTTP API's adapters for `environment` (the `api` function): the plans and executions
/// tables and the queues. No STS call: the API needs no account ID.
pub async fn build_api(environment: &Environment) -> Result<ApiStores, StartupError> {
    let config = AwsSettings::default().load().await?;
    let dynamodb = config.dynamodb();
    let tables = &environment.tables;
    let executions = ExecutionTable::new(dynamodb.clone(), &tables.executions)
        .with_ttl_days(environment.execution_ttl_days);
    let plans = PlanTable::new(dynamodb, &tables.plans);
    let queues = SqsQueues::new(config.sqs(), environment.queues.clone())?;
    Ok(ApiStores::new(plans, executions, queues))
}
