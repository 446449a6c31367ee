//! The handlers' [`pipeline::Deps`] on the AWS adapters, built in one place for the Lambdas
//! (`lambda-functions`) and the local stack (`local-stack`), so both run the handlers on the
//! same adapters wired the same way.
//!
//! [`Wiring`] says where a deployment's resources are; [`Wiring::connect`] builds the
//! [`Adapters`]; [`Adapters::deps`] adds the ports that are not AWS adapters and differ by host
//! ([`HostPorts`]: the clock, actions, approvals).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use engine::Limits;
use pipeline::message::QueueName;
use pipeline::ports::{ActionRunner, Approvals, Clock, PortError, Scope};
use pipeline::{Config, Deps, InlinePlans};

use crate::config::AwsConfig;
pub use crate::credentials::DESCRIBE_ONLY_SESSION_POLICY;
use crate::credentials::TargetCredentials;
use crate::drs::DrsAdapter;
use crate::dynamodb::{ExecutionTable, LedgerTable, PlanTable, executions, ledger};
use crate::resources::{CreatedResources, Resources};
use crate::sns::SnsNotifier;
use crate::sqs::{MissingQueues, QueueEndpoints, SqsQueues};

/// The names of the pipeline's DynamoDB tables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableNames {
    /// Stored plans.
    pub plans: String,
    /// Executions.
    pub executions: String,
    /// The job ledger.
    pub ledger: String,
}

impl TableNames {
    /// The tables of `resources`.
    pub fn of(resources: &Resources) -> Self {
        Self {
            plans: resources.plans.name.clone(),
            executions: resources.executions.name.clone(),
            ledger: resources.ledger.name.clone(),
        }
    }
}

/// Where a deployment's resources are, and how its adapters behave.
#[derive(Debug, Clone, PartialEq)]
pub struct Wiring {
    /// The tables.
    pub tables: TableNames,
    /// Every queue's URL and its dead-letter queue's URL.
    pub queues: BTreeMap<QueueName, QueueEndpoints>,
    /// The SNS topic of notifications.
    pub topic_arn: String,
    /// The orchestrator's own account; `None`: asked of STS (`GetCallerIdentity`).
    pub own_account_id: Option<String>,
    /// The DRS quotas.
    pub limits: Limits,
    /// Days finished executions are kept; `None` forever.
    pub execution_ttl_days: Option<u32>,
    /// Days released ledger claims are kept; `None` forever.
    pub ledger_ttl_days: Option<u32>,
    /// Simulated seconds per real second: queue delays are divided by it (1 in AWS).
    pub time_scale: f64,
    /// The session policy of roles assumed in targets (`None`: the role's own rights). The
    /// checker's is [`DESCRIBE_ONLY_SESSION_POLICY`]: it only ever describes.
    pub drs_session_policy: Option<&'static str>,
    /// Whether start requests may carry their plan whole: refused unless a host (the local
    /// stack) accepts them; no Lambda does.
    pub inline_plans: InlinePlans,
}

impl Wiring {
    /// These resources, with the defaults: the account asked of STS, AWS's default quotas,
    /// the tables' default TTLs, real time.
    pub fn new(
        tables: TableNames,
        queues: BTreeMap<QueueName, QueueEndpoints>,
        topic_arn: impl Into<String>,
    ) -> Self {
        Self {
            tables,
            queues,
            topic_arn: topic_arn.into(),
            own_account_id: None,
            limits: Limits::default(),
            execution_ttl_days: Some(executions::DEFAULT_TTL_DAYS),
            ledger_ttl_days: Some(ledger::DEFAULT_TTL_DAYS),
            time_scale: 1.0,
            drs_session_policy: None,
            inline_plans: InlinePlans::Refused,
        }
    }

    /// The resources [`crate::create_all`] made for `resources`.
    pub fn of_created(resources: &Resources, created: &CreatedResources) -> Self {
        Self::new(
            TableNames::of(resources),
            created.queues.clone(),
            created.topic_arn.clone(),
        )
    }

    /// Builds the adapters on `config` (whose region is the orchestrator's), asking STS for
    /// the orchestrator's account unless [`Self::own_account_id`] gives it.
    pub async fn connect(&self, config: &AwsConfig) -> Result<Adapters, WiringError> {
        let queues =
            SqsQueues::new(config.sqs(), self.queues.clone())?.with_time_scale(self.time_scale);
        let mut credentials = TargetCredentials::new(config);
        if let Some(policy) = self.drs_session_policy {
            credentials = credentials.with_session_policy(policy);
        }
        if let Some(account) = &self.own_account_id {
            credentials = credentials.with_own_account_id(account.clone());
        }
        let account_id = credentials
            .own_account_id()
            .await
            .map_err(WiringError::OwnAccount)?;
        let credentials = Arc::new(credentials);
        let dynamodb = config.dynamodb();
        Ok(Adapters {
            executions: Arc::new(
                ExecutionTable::new(dynamodb.clone(), &self.tables.executions)
                    .with_ttl_days(self.execution_ttl_days),
            ),
            plans: Arc::new(PlanTable::new(dynamodb.clone(), &self.tables.plans)),
            ledger: Arc::new(
                LedgerTable::new(dynamodb, &self.tables.ledger).with_ttl_days(self.ledger_ttl_days),
            ),
            queues: Arc::new(queues),
            drs: Arc::new(DrsAdapter::new(config, Arc::clone(&credentials))),
            credentials,
            notifier: Arc::new(SnsNotifier::new(config.sns(), &self.topic_arn)),
            config: Config {
                limits: self.limits,
                inline_plans: self.inline_plans,
                own_scope: Scope {
                    account_id,
                    region: config.region().to_owned(),
                },
            },
        })
    }
}

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    /// A queue without its URLs.
    #[error(transparent)]
    Queues(#[from] MissingQueues),
    /// STS could not say which account this is.
    #[error("finding the orchestrator's own account with STS GetCallerIdentity: {0}")]
    OwnAccount(PortError),
}

/// A deployment's AWS adapters, typed (for what a host does besides handling messages: the
/// local stack reads job logs and the ledger's budget), and its settings.
#[derive(Debug, Clone)]
pub struct Adapters {
    /// Executions.
    pub executions: Arc<ExecutionTable>,
    /// Stored plans.
    pub plans: Arc<PlanTable>,
    /// The job ledger.
    pub ledger: Arc<LedgerTable>,
    /// The pipeline's queues.
    pub queues: Arc<SqsQueues>,
    /// DRS in every target.
    pub drs: Arc<DrsAdapter>,
    /// The per-target credentials DRS calls use.
    pub credentials: Arc<TargetCredentials>,
    /// Notifications on the topic.
    pub notifier: Arc<SnsNotifier>,
    /// The limits and the orchestrator's own scope.
    pub config: Config,
}

/// The ports that are not AWS adapters: each host brings its own.
pub struct HostPorts {
    /// Pre- and post-wave actions.
    pub actions: Arc<dyn ActionRunner>,
    /// Approvals of paused waves.
    pub approvals: Arc<dyn Approvals>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for HostPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPorts").finish_non_exhaustive()
    }
}

impl Adapters {
    /// The handlers' dependencies: these adapters and the host's ports.
    pub fn deps(&self, host: HostPorts) -> Deps {
        Deps {
            executions: Arc::clone(&self.executions) as _,
            plans: Arc::clone(&self.plans) as _,
            drs: Arc::clone(&self.drs) as _,
            ledger: Arc::clone(&self.ledger) as _,
            queues: Arc::clone(&self.queues) as _,
            notifier: Arc::clone(&self.notifier) as _,
            actions: host.actions,
            approvals: host.approvals,
            clock: host.clock,
            config: self.config.clone(),
        }
    }
}
