//! The AWS resources of the pipeline as plain data: three tables, three queues with their
//! dead-letter queues, one topic. This is the single source of truth: the local stack
//! creates them with [`create_all`], and the SAM template is checked against [`Resources`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use pipeline::message::QueueName;

use crate::config::AwsConfig;
use crate::dynamodb::{executions, ledger, plans};
use crate::sdk_error;
use crate::sqs::QueueEndpoints;

/// The prefix of every resource name unless told otherwise.
pub const DEFAULT_PREFIX: &str = "drs-orchestrator";

/// Every resource of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// Stored plans.
    pub plans: TableDefinition,
    /// Executions (state, waves, cleanup).
    pub executions: TableDefinition,
    /// The job ledger.
    pub ledger: TableDefinition,
    /// The start, check and advance queues, in that order.
    pub queues: Vec<QueueDefinition>,
    /// Notifications.
    pub topic: TopicDefinition,
    /// The EventBridge rule sending DRS launch results to the check queue. Data only:
    /// [`create_all`] does not create it (the local stack wires it with its EventBridge).
    pub launch_events: EventRuleDefinition,
}

/// An EventBridge rule with an SQS target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRuleDefinition {
    /// `Name`.
    pub name: String,
    /// `EventPattern`, as JSON.
    pub event_pattern: serde_json::Value,
    /// The queue it delivers to.
    pub target: QueueName,
}

/// The `EventPattern` of DRS "Source Server Launch Result" events (DESIGN.md §2).
pub fn launch_result_pattern() -> serde_json::Value {
    serde_json::json!({
        "source": ["aws.drs"],
        "detail-type": ["DRS Source Server Launch Result"],
    })
}

/// A DynamoDB table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// `TableName`.
    pub name: String,
    /// `HASH` key.
    pub partition_key: KeyAttribute,
    /// `RANGE` key.
    pub sort_key: Option<KeyAttribute>,
    /// Global secondary indexes.
    pub indexes: Vec<IndexDefinition>,
    /// `TimeToLiveSpecification.AttributeName` (enabled), if any.
    pub ttl_attribute: Option<String>,
    /// Always on-demand (`PAY_PER_REQUEST`): the load is bursty and small.
    pub billing_mode: BillingModeKind,
}

/// A key attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// Its name.
    pub name: String,
    /// Its type.
    pub kind: AttributeKind,
}

/// `S`, `N` or `B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    /// `S`.
    String,
    /// `N`.
    Number,
    /// `B`.
    Binary,
}

impl AttributeKind {
    /// `S`, `N` or `B`, as CloudFormation writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::String => "S",
            Self::Number => "N",
            Self::Binary => "B",
        }
    }
}

/// The billing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingModeKind {
    /// `PAY_PER_REQUEST`.
    PayPerRequest,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    /// `IndexName`.
    pub name: String,
    /// `HASH` key.
    pub partition_key: KeyAttribute,
    /// `RANGE` key.
    pub sort_key: Option<KeyAttribute>,
    /// Projection.
    pub projection: Projection,
}

/// What an index projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    /// `ALL`.
    All,
    /// `KEYS_ONLY`.
    KeysOnly,
    /// `INCLUDE` these non-key attributes.
    Include(Vec<String>),
}

/// An SQS queue with its dead-letter queue, and the Lambda consuming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDefinition {
    /// Which pipeline queue.
    pub queue: QueueName,
    /// `QueueName`.
    pub name: String,
    /// `VisibilityTimeout`: at least 6 × the consumer's timeout, as AWS advises for Lambda.
    pub visibility_timeout_seconds: u32,
    /// `MessageRetentionPeriod`.
    pub message_retention_seconds: u32,
    /// `ReceiveMessageWaitTimeSeconds` (long polling).
    pub receive_wait_seconds: u32,
    /// `RedrivePolicy.maxReceiveCount`: receives before SQS moves a message to the DLQ.
    /// Delays do not count (a delayed message is not received), so a chain of delayed
    /// checks is never dead-lettered; only repeated failures of one message are.
    pub max_receive_count: u32,
    /// The dead-letter queue.
    pub dead_letter: DeadLetterQueueDefinition,
    /// The consuming Lambda's timeout (SAM `Timeout`).
    pub consumer_timeout_seconds: u32,
    /// The event source mapping's `BatchSize` (with `ReportBatchItemFailures`).
    pub batch_size: u32,
}

/// A dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterQueueDefinition {
    /// `QueueName`.
    pub name: String,
    /// `MessageRetentionPeriod`: the longest SQS keeps, for people to look at.
    pub message_retention_seconds: u32,
}

/// The SNS topic of notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDefinition {
    /// `TopicName`.
    pub name: String,
}

/// Four days, SQS's default retention.
const FOUR_DAYS: u32 = 4 * 24 * 3600;
/// Fourteen days, SQS's longest retention.
const FOURTEEN_DAYS: u32 = 14 * 24 * 3600;

fn key(name: &str, kind: AttributeKind) -> KeyAttribute {
    KeyAttribute {
        name: name.to_owned(),
        kind,
    }
}

impl Default for Resources {
    fn default() -> Self {
        Self::with_prefix(DEFAULT_PREFIX)
    }
}

impl Resources {
    /// Every resource, named `{prefix}-plans`, `{prefix}-start`, `{prefix}-start-dlq`, ….
    pub fn with_prefix(prefix: &str) -> Self {
        let summary: Vec<String> = executions::SUMMARY_ATTRIBUTES
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let mut active_summary = summary.clone();
        active_summary.push(executions::PLAN_NAME.to_owned());
        let queue = |queue: QueueName, consumer_timeout_seconds: u32, max_receive_count: u32| {
            let name = format!("{prefix}-{}", queue.as_str());
            QueueDefinition {
                queue,
                dead_letter: DeadLetterQueueDefinition {
                    name: format!("{name}-dlq"),
                    message_retention_seconds: FOURTEEN_DAYS,
                },
                name,
                visibility_timeout_seconds: 6 * consumer_timeout_seconds,
                message_retention_seconds: FOUR_DAYS,
                receive_wait_seconds: 20,
                max_receive_count,
                consumer_timeout_seconds,
                batch_size: 10,
            }
        };
        Self {
            plans: TableDefinition {
                name: format!("{prefix}-plans"),
                partition_key: key(plans::PARTITION_KEY, AttributeKind::String),
                sort_key: None,
                indexes: Vec::new(),
                ttl_attribute: None,
                billing_mode: BillingModeKind::PayPerRequest,
            },
            executions: TableDefinition {
                name: format!("{prefix}-executions"),
                partition_key: key(executions::PARTITION_KEY, AttributeKind::String),
                sort_key: Some(key(executions::SORT_KEY, AttributeKind::String)),
                indexes: vec![
                    IndexDefinition {
                        name: executions::BY_PLAN_INDEX.to_owned(),
                        partition_key: key(executions::PLAN_NAME, AttributeKind::String),
                        sort_key: Some(key(executions::REQUESTED_AT, AttributeKind::String)),
                        projection: Projection::Include(summary),
                    },
                    IndexDefinition {
                        name: executions::ACTIVE_INDEX.to_owned(),
                        partition_key: key(executions::ACTIVE_STATUS, AttributeKind::String),
                        sort_key: Some(key(executions::REQUESTED_AT, AttributeKind::String)),
                        projection: Projection::Include(active_summary),
                    },
                ],
                ttl_attribute: Some(executions::EXPIRES_AT.to_owned()),
                billing_mode: BillingModeKind::PayPerRequest,
            },
            ledger: TableDefinition {
                name: format!("{prefix}-ledger"),
                partition_key: key(ledger::PARTITION_KEY, AttributeKind::String),
                sort_key: Some(key(ledger::SORT_KEY, AttributeKind::String)),
                indexes: Vec::new(),
                ttl_attribute: Some(ledger::EXPIRES_AT.to_owned()),
                billing_mode: BillingModeKind::PayPerRequest,
            },
            queues: vec![
                // Resolving tags (all pages) and starting up to 20 jobs.
                queue(QueueName::Start, 120, 5),
                // One DescribeJobs per message; bursts of launch events share DRS's rate
                // limit, so a message may fail a few more times before it succeeds.
                queue(QueueName::Check, 60, 10),
                queue(QueueName::Advance, 120, 5),
            ],
            topic: TopicDefinition {
                name: format!("{prefix}-notifications"),
            },
            launch_events: EventRuleDefinition {
                name: format!("{prefix}-drs-launch-results"),
                event_pattern: launch_result_pattern(),
                target: QueueName::Check,
            },
        }
    }

    /// The three tables.
    pub fn tables(&self) -> [&TableDefinition; 3] {
        [&self.plans, &self.executions, &self.ledger]
    }

    /// The definition of `queue`.
    pub fn queue(&self, queue: QueueName) -> Option<&QueueDefinition> {
        self.queues.iter().find(|q| q.queue == queue)
    }

    /// Queue and DLQ names per queue (for [`crate::sqs::SqsQueues::lookup`]).
    pub fn queue_names(&self) -> BTreeMap<QueueName, (String, String)> {
        self.queues
            .iter()
            .map(|q| (q.queue, (q.name.clone(), q.dead_letter.name.clone())))
            .collect()
    }
}

/// What [`create_all`] created (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedResources {
    /// Queue and DLQ URLs.
    pub queues: BTreeMap<QueueName, QueueEndpoints>,
    /// Queue ARNs (e.g. the target of the EventBridge rule for the check queue).
    pub queue_arns: BTreeMap<QueueName, String>,
    /// The topic's ARN.
    pub topic_arn: String,
}

/// A resource that could not be created.
#[derive(Debug, thiserror::Error)]
#[error("creating {resource}: {message}")]
pub struct ResourceError {
    /// Which resource (e.g. "DynamoDB table drs-orchestrator-plans").
    pub resource: String,
    /// What went wrong.
    pub message: String,
}

/// Creates every resource that does not exist yet (tables with their TTL, DLQs then queues
/// with their redrive policy, the topic). Safe to run again.
pub async fn create_all(
    config: &AwsConfig,
    resources: &Resources,
) -> Result<CreatedResources, ResourceError> {
    let dynamodb = config.dynamodb();
    for table in resources.tables() {
        create_table(&dynamodb, table).await?;
    }
    let sqs = config.sqs();
    let mut queues = BTreeMap::new();
    let mut queue_arns = BTreeMap::new();
    for queue in &resources.queues {
        let (endpoints, arn) = create_queue(&sqs, queue).await?;
        queues.insert(queue.queue, endpoints);
        queue_arns.insert(queue.queue, arn);
    }
    let topic = &resources.topic;
    let topic_arn = config
        .sns()
        .create_topic()
        .name(&topic.name)
        .send()
        .await
        .map_err(|e| {
            failure(
                &format!("SNS topic {}", topic.name),
                &sdk_error::describe(&e),
            )
        })?
        .topic_arn
        .ok_or_else(|| failure(&format!("SNS topic {}", topic.name), "no ARN returned"))?;
    Ok(CreatedResources {
        queues,
        queue_arns,
        topic_arn,
    })
}

fn failure(resource: &str, message: &str) -> ResourceError {
    ResourceError {
        resource: resource.to_owned(),
        message: message.to_owned(),
    }
}

fn scalar(kind: AttributeKind) -> ScalarAttributeType {
    match kind {
        AttributeKind::String => ScalarAttributeType::S,
        AttributeKind::Number => ScalarAttributeType::N,
        AttributeKind::Binary => ScalarAttributeType::B,
    }
}

fn key_schema(
    partition: &KeyAttribute,
    sort: Option<&KeyAttribute>,
) -> Result<Vec<KeySchemaElement>, String> {
    let mut schema = vec![
        KeySchemaElement::builder()
            .attribute_name(&partition.name)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|e| e.to_string())?,
    ];
    if let Some(sort) = sort {
        schema.push(
            KeySchemaElement::builder()
                .attribute_name(&sort.name)
                .key_type(KeyType::Range)
                .build()
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(schema)
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &TableDefinition,
) -> Result<(), ResourceError> {
    let resource = format!("DynamoDB table {}", table.name);
    let fail = |message: String| failure(&resource, &message);
    let mut attributes: HashMap<String, AttributeKind> = HashMap::new();
    let mut keys = vec![&table.partition_key];
    keys.extend(table.sort_key.as_ref());
    for index in &table.indexes {
        keys.push(&index.partition_key);
        keys.extend(index.sort_key.as_ref());
    }
    for key in keys {
        attributes.insert(key.name.clone(), key.kind);
    }
    let mut definitions = Vec::new();
    let mut names: Vec<_> = attributes.into_iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in names {
        definitions.push(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(scalar(kind))
                .build()
                .map_err(|e| fail(e.to_string()))?,
        );
    }
    let mut request = client
        .create_table()
        .table_name(&table.name)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(
            key_schema(&table.partition_key, table.sort_key.as_ref()).map_err(fail)?,
        ))
        .billing_mode(match table.billing_mode {
            BillingModeKind::PayPerRequest => BillingMode::PayPerRequest,
        });
    for index in &table.indexes {
        let projection = match &index.projection {
            Projection::All => aws_sdk_dynamodb::types::Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
            Projection::KeysOnly => aws_sdk_dynamodb::types::Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
            Projection::Include(attributes) => aws_sdk_dynamodb::types::Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(attributes.clone()))
                .build(),
        };
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(
                    key_schema(&index.partition_key, index.sort_key.as_ref()).map_err(fail)?,
                ))
                .projection(projection)
                .build()
                .map_err(|e| fail(e.to_string()))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(error) if sdk_error::code(&error) == Some("ResourceInUseException") => {}
        Err(error) => return Err(fail(sdk_error::describe(&error))),
    }
    wait_until_active(client, &table.name).await.map_err(fail)?;
    if let Some(attribute) = &table.ttl_attribute {
        enable_ttl(client, &table.name, attribute)
            .await
            .map_err(fail)?;
    }
    Ok(())
}

async fn wait_until_active(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    for _ in 0..240 {
        let output = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_error::describe(&e))?;
        let status = output.table.and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err("the table did not become ACTIVE within 2 minutes".to_owned())
}

async fn enable_ttl(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    attribute: &str,
) -> Result<(), String> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error::describe(&e))?
        .time_to_live_description;
    let enabled = current.as_ref().is_some_and(|d| {
        d.attribute_name.as_deref() == Some(attribute)
            && matches!(
                d.time_to_live_status.as_ref().map(|s| s.as_str()),
                Some("ENABLED" | "ENABLING")
            )
    });
    if enabled {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(true)
        .build()
        .map_err(|e| e.to_string())?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(|e| format!("enabling TTL on `{attribute}`: {}", sdk_error::describe(&e)))?;
    Ok(())
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    queue: &QueueDefinition,
) -> Result<(QueueEndpoints, String), ResourceError> {
    let dead_letter = &queue.dead_letter;
    let dead_letter_url = ensure_queue(
        client,
        &dead_letter.name,
        HashMap::from([(
            QueueAttributeName::MessageRetentionPeriod,
            dead_letter.message_retention_seconds.to_string(),
        )]),
    )
    .await?;
    let dead_letter_arn = queue_arn(client, &dead_letter.name, &dead_letter_url).await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_letter_arn,
        "maxReceiveCount": queue.max_receive_count,
    });
    let url = ensure_queue(
        client,
        &queue.name,
        HashMap::from([
            (
                QueueAttributeName::VisibilityTimeout,
                queue.visibility_timeout_seconds.to_string(),
            ),
            (
                QueueAttributeName::MessageRetentionPeriod,
                queue.message_retention_seconds.to_string(),
            ),
            (
                QueueAttributeName::ReceiveMessageWaitTimeSeconds,
                queue.receive_wait_seconds.to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ]),
    )
    .await?;
    let arn = queue_arn(client, &queue.name, &url).await?;
    Ok((
        QueueEndpoints {
            url,
            dead_letter_url,
        },
        arn,
    ))
}

/// Creates the queue, or brings an existing one to these attributes; its URL.
async fn ensure_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<String, ResourceError> {
    let resource = format!("SQS queue {name}");
    let created = client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes.clone()))
        .send()
        .await;
    match created {
        Ok(output) => output
            .queue_url
            .ok_or_else(|| failure(&resource, "no URL returned")),
        Err(error)
            if matches!(
                sdk_error::code(&error),
                Some("QueueAlreadyExists" | "QueueNameExists")
            ) =>
        {
            let url = client
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|e| failure(&resource, &sdk_error::describe(&e)))?
                .queue_url
                .ok_or_else(|| failure(&resource, "no URL returned"))?;
            client
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| failure(&resource, &sdk_error::describe(&e)))?;
            Ok(url)
        }
        Err(error) => Err(failure(&resource, &sdk_error::describe(&error))),
    }
}

async fn queue_arn(
    client: &aws_sdk_sqs::Client,
    name: &str,
    url: &str,
) -> Result<String, ResourceError> {
    let resource = format!("SQS queue {name}");
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| failure(&resource, &sdk_error::describe(&e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failure(&resource, "no QueueArn attribute"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_prefix() {
        let resources = Resources::with_prefix("rehearsal-1");
        assert_eq!(resources.plans.name, "rehearsal-1-plans");
        assert_eq!(resources.executions.name, "rehearsal-1-executions");
        assert_eq!(resources.ledger.name, "rehearsal-1-ledger");
        assert_eq!(resources.topic.name, "rehearsal-1-notifications");
        assert_eq!(
            resources.launch_events.name,
            "rehearsal-1-drs-launch-results"
        );
        assert_eq!(resources.launch_events.target, QueueName::Check);
        let names = resources.queue_names();
        assert_eq!(
            names.get(&QueueName::Check),
            Some(&(
                "rehearsal-1-check".to_owned(),
                "rehearsal-1-check-dlq".to_owned()
            ))
        );
        assert_eq!(names.len(), 3);
    }

    #[test]
    fn queues_follow_lambda_advice() {
        for queue in &Resources::default().queues {
            assert!(
                queue.visibility_timeout_seconds >= 6 * queue.consumer_timeout_seconds,
                "{queue:?}"
            );
            assert!(queue.max_receive_count >= 5, "{queue:?}");
            assert!(queue.dead_letter.message_retention_seconds > queue.message_retention_seconds);
            assert!((1..=10).contains(&queue.batch_size));
        }
    }

    #[test]
    fn the_active_index_can_list_summaries() {
        let resources = Resources::default();
        let active = resources
            .executions
            .indexes
            .iter()
            .find(|i| i.name == executions::ACTIVE_INDEX)
            .unwrap();
        let Projection::Include(attributes) = &active.projection else {
            panic!("{active:?}");
        };
        assert!(attributes.iter().any(|a| a == executions::PLAN_NAME));
        assert!(attributes.iter().any(|a| a == "status"));
    }
}
