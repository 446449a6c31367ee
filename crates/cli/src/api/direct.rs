//! Direct mode: the API's router ([`pipeline::api::handle`]) run in this process on the
//! stack's tables and queues, with the caller's AWS credentials. The same code the `api`
//! Lambda runs, so a command behaves the same either way. The caller is who those credentials
//! are (STS `GetCallerIdentity`), as in API mode it is the ARN API Gateway authenticated:
//! never a name the user types or the environment holds.

use std::collections::BTreeMap;

use aws_adapters::api::ApiStores;
use aws_adapters::{AwsConfig, AwsSettings, ExecutionTable, PlanTable, QueueEndpoints, SqsQueues};
use aws_sdk_sqs::error::DisplayErrorContext;
use pipeline::api::{ApiRequest, handle};
use pipeline::message::QueueName;

use super::options::ApiOptions;
use super::{Request, Response, TransportError};

/// Where a setting came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line option.
    Option(&'static str),
    /// An environment variable.
    Variable(&'static str),
    /// Derived from `--prefix`.
    Prefix,
}

/// A table name or queue URL, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value; for a queue from [`Source::Prefix`], the queue's name (its URL is looked up).
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// What direct mode needs, resolved from options, environment variables and the prefix.
#[derive(Debug, Clone)]
pub struct DirectSettings {
    /// AWS region.
    pub region: Option<String>,
    /// Endpoint of every AWS call (moto).
    pub endpoint_url: Option<String>,
    /// The plans table.
    pub plans_table: Setting,
    /// The executions table.
    pub executions_table: Setting,
    /// The start queue (URL, or name to look up).
    pub start_queue: Setting,
    /// The advance queue (URL, or name to look up).
    pub advance_queue: Setting,
    /// The stack prefix (names of the queues the API never uses).
    pub prefix: String,
}

impl DirectSettings {
    /// Option, else environment variable (the Lambdas' names), else derived from `--prefix`.
    pub fn from_options(options: &ApiOptions, lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let prefix = &options.prefix;
        let pick = |given: &Option<String>, option, variable, derived: String| match given {
            Some(value) => Setting {
                value: value.clone(),
                source: Source::Option(option),
            },
            None => match lookup(variable).filter(|v| !v.trim().is_empty()) {
                Some(value) => Setting {
                    value: value.trim().to_owned(),
                    source: Source::Variable(variable),
                },
                None => Setting {
                    value: derived,
                    source: Source::Prefix,
                },
            },
        };
        Self {
            region: options.region.clone(),
            endpoint_url: options.endpoint_url.clone(),
            plans_table: pick(
                &options.plans_table,
                "--plans-table",
                "PLANS_TABLE",
                format!("{prefix}-plans"),
            ),
            executions_table: pick(
                &options.executions_table,
                "--executions-table",
                "EXECUTIONS_TABLE",
                format!("{prefix}-executions"),
            ),
            start_queue: pick(
                &options.start_queue_url,
                "--start-queue-url",
                "START_QUEUE_URL",
                format!("{prefix}-start"),
            ),
            advance_queue: pick(
                &options.advance_queue_url,
                "--advance-queue-url",
                "ADVANCE_QUEUE_URL",
                format!("{prefix}-advance"),
            ),
            prefix: prefix.clone(),
        }
    }
}

/// The router on the stack's adapters.
#[derive(Debug)]
pub struct DirectTransport {
    stores: ApiStores,
    caller: String,
    description: String,
}

impl DirectTransport {
    /// Loads the AWS configuration and finds the queues' URLs (GetQueueUrl) unless given.
    pub async fn new(settings: DirectSettings) -> Result<Self, TransportError> {
        let config = AwsSettings {
            region: settings.region.clone(),
            endpoint_url: settings.endpoint_url.clone(),
            ..AwsSettings::default()
        }
        .load()
        .await
        .map_err(|e| TransportError::Config(format!("direct mode (no --api-url): {e}")))?;
        let start = queue_url(&config, &settings.start_queue, "start", "--start-queue-url").await?;
        let advance = queue_url(
            &config,
            &settings.advance_queue,
            "advance",
            "--advance-queue-url",
        )
        .await?;
        let queues = SqsQueues::new(config.sqs(), endpoints(&start, &advance, &settings.prefix))
            .map_err(|e| TransportError::Config(e.to_string()))?;
        let caller = caller(&config).await?;
        let description = format!(
            "tables {} and {}, queues {start} and {advance} in {}{}",
            settings.plans_table.value,
            settings.executions_table.value,
            config.region(),
            settings
                .endpoint_url
                .as_deref()
                .map(|url| format!(" at {url}"))
                .unwrap_or_default(),
        );
        Ok(Self {
            stores: ApiStores::new(
                PlanTable::new(config.dynamodb(), &settings.plans_table.value),
                ExecutionTable::new(config.dynamodb(), &settings.executions_table.value),
                queues,
            ),
            caller,
            description,
        })
    }

    /// Serves `request` in this process.
    pub async fn send(&self, request: &Request) -> Response {
        let request = ApiRequest {
            method: request.method.to_owned(),
            path: request.path.clone(),
            query: request.query.clone(),
            content_type: request.content_type.map(str::to_owned),
            body: request.body.clone(),
            caller: self.caller.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let response = handle(&self.stores.deps(), request, jiff::Timestamp::now()).await;
        Response {
            status: response.status,
            body: response.body,
        }
    }

    /// Which tables and queues this works on.
    pub fn describe(&self) -> String {
        format!("direct mode ({})", self.description)
    }
}

/// Who calls, as recorded in `updated_by`, `requested_by`, the approver, the canceller: the
/// ARN of the AWS credentials in use (STS `GetCallerIdentity`, which needs no permission).
async fn caller(config: &AwsConfig) -> Result<String, TransportError> {
    let identity = config
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            TransportError::Config(format!(
                "direct mode records who you are from your AWS credentials, and STS \
                 GetCallerIdentity in {} failed: {}",
                config.region(),
                DisplayErrorContext(&e)
            ))
        })?;
    identity.arn.filter(|arn| !arn.is_empty()).ok_or_else(|| {
        TransportError::Connection("STS GetCallerIdentity answered without an ARN".to_owned())
    })
}

/// The queue's URL: given, or looked up by name.
async fn queue_url(
    config: &AwsConfig,
    setting: &Setting,
    which: &str,
    option: &str,
) -> Result<String, TransportError> {
    if setting.source != Source::Prefix {
        return Ok(setting.value.clone());
    }
    let variable = format!("{}_QUEUE_URL", which.to_ascii_uppercase());
    let output = config
        .sqs()
        .get_queue_url()
        .queue_name(&setting.value)
        .send()
        .await;
    match output {
        Ok(output) => output.queue_url.ok_or_else(|| {
            TransportError::Connection(format!(
                "SQS GetQueueUrl for `{}` answered without a URL",
                setting.value
            ))
        }),
        Err(error) => {
            let not_found = error
                .as_service_error()
                .is_some_and(|e| e.is_queue_does_not_exist());
            let message = if not_found {
                format!(
                    "the {which} queue `{}` does not exist in {}: give the stack's prefix \
                     (--prefix, its ResourcePrefix parameter), or the queue's URL with \
                     {option} or {variable}, or use --api-url",
                    setting.value,
                    config.region()
                )
            } else {
                format!(
                    "cannot find the {which} queue `{}` (SQS GetQueueUrl in {}): {}; give \
                     its URL with {option} or {variable}, or use --api-url",
                    setting.value,
                    config.region(),
                    DisplayErrorContext(&error)
                )
            };
            Err(TransportError::Config(message))
        }
    }
}

/// Every queue's endpoints. The API only sends to the start and advance queues; the check
/// queue and the dead-letter queues, which the adapter wants too, get the URLs their names
/// would have next to the start queue (never called by the API).
fn endpoints(start: &str, advance: &str, prefix: &str) -> BTreeMap<QueueName, QueueEndpoints> {
    let sibling = |name: &str| match start.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => name.to_owned(),
    };
    let dead_letter = |url: &str| format!("{url}-dlq");
    let check = sibling(&format!("{prefix}-check"));
    BTreeMap::from([
        (
            QueueName::Start,
            QueueEndpoints {
                url: start.to_owned(),
                dead_letter_url: dead_letter(start),
            },
        ),
        (
            QueueName::Check,
            QueueEndpoints {
                dead_letter_url: dead_letter(&check),
                url: check,
            },
        ),
        (
            QueueName::Advance,
            QueueEndpoints {
                url: advance.to_owned(),
                dead_letter_url: dead_letter(advance),
            },
        ),
    ])
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        options: ApiOptions,
    }

    fn options(args: &[&str]) -> ApiOptions {
        let mut argv = vec!["drsctl"];
        argv.extend_from_slice(args);
        Harness::parse_from(argv).options
    }

    #[test]
    fn options_win_over_variables_which_win_over_the_prefix() {
        let variables = |name: &str| match name {
            "EXECUTIONS_TABLE" => Some("from-env-executions".to_owned()),
            "START_QUEUE_URL" => Some("https://sqs.eu-west-1.amazonaws.com/1/env-start".to_owned()),
            "PLANS_TABLE" => Some("from-env-plans".to_owned()),
            _ => None,
        };
        let settings = DirectSettings::from_options(
            &options(&["--prefix", "dr", "--plans-table", "opt-plans"]),
            &variables,
        );
        assert_eq!(
            settings.plans_table,
            Setting {
                value: "opt-plans".into(),
                source: Source::Option("--plans-table")
            }
        );
        assert_eq!(
            settings.executions_table,
            Setting {
                value: "from-env-executions".into(),
                source: Source::Variable("EXECUTIONS_TABLE")
            }
        );
        assert_eq!(
            settings.start_queue.source,
            Source::Variable("START_QUEUE_URL")
        );
        assert_eq!(
            settings.advance_queue,
            Setting {
                value: "dr-advance".into(),
                source: Source::Prefix
            }
        );
    }

    #[test]
    fn unused_queues_sit_next_to_the_start_queue() {
        let map = endpoints(
            "https://sqs.eu-west-1.amazonaws.com/111122223333/dr-start",
            "https://sqs.eu-west-1.amazonaws.com/111122223333/dr-advance",
            "dr",
        );
        assert_eq!(
            map[&QueueName::Check].url,
            "https://sqs.eu-west-1.amazonaws.com/111122223333/dr-check"
        );
        assert_eq!(
            map[&QueueName::Advance].dead_letter_url,
            "https://sqs.eu-west-1.amazonaws.com/111122223333/dr-advance-dlq"
        );
    }
}
