//! The options every command that talks to the orchestrator takes, and the choice of
//! [`Transport`] they make.

use aws_adapters::resources::DEFAULT_PREFIX;
use clap::Args;

use super::direct::{DirectSettings, DirectTransport};
use super::http::HttpTransport;
use super::{Transport, TransportError};

/// The environment variable that gives `--api-url`.
pub const API_URL_VARIABLE: &str = "DRSCTL_API_URL";

/// Where the orchestrator is: its deployed HTTP API, or (without `--api-url`) its tables and
/// queues, reached directly with the caller's AWS credentials.
#[derive(Debug, Clone, Args)]
pub struct ApiOptions {
    /// The deployed HTTP API: the stack's ApiUrl output, e.g.
    /// https://abc123.execute-api.eu-west-1.amazonaws.com. Requests are signed with SigV4 with
    /// your AWS credentials (IAM auth). Default: the DRSCTL_API_URL environment variable;
    /// without either, drsctl works on the stack's tables and queues directly.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// AWS region (default: the region in an execute-api URL, else AWS_REGION or the
    /// profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Direct mode: the stack's ResourcePrefix; the table and queue names derive from it.
    #[arg(long, value_name = "PREFIX", default_value = DEFAULT_PREFIX)]
    pub prefix: String,
    /// Direct mode: the plans table (default: PLANS_TABLE, else PREFIX-plans).
    #[arg(long, value_name = "TABLE")]
    pub plans_table: Option<String>,
    /// Direct mode: the executions table (default: EXECUTIONS_TABLE, else PREFIX-executions).
    #[arg(long, value_name = "TABLE")]
    pub executions_table: Option<String>,
    /// Direct mode: the start queue's URL (default: START_QUEUE_URL, else the URL of queue
    /// PREFIX-start).
    #[arg(long, value_name = "URL")]
    pub start_queue_url: Option<String>,
    /// Direct mode: the advance queue's URL (default: ADVANCE_QUEUE_URL, else the URL of
    /// queue PREFIX-advance).
    #[arg(long, value_name = "URL")]
    pub advance_queue_url: Option<String>,
    /// Direct mode: send every AWS call to this endpoint (e.g. moto) instead of AWS.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl ApiOptions {
    /// The transport these options (and the environment) choose.
    pub async fn connect(&self) -> Result<Transport, TransportError> {
        self.connect_with(|name| std::env::var(name).ok()).await
    }

    /// [`Self::connect`], reading environment variables through `lookup`.
    pub async fn connect_with(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Transport, TransportError> {
        let api_url = self
            .api_url
            .clone()
            .or_else(|| lookup(API_URL_VARIABLE).filter(|v| !v.trim().is_empty()));
        match api_url {
            Some(url) => {
                if let Some(option) = self.direct_only_option() {
                    return Err(TransportError::Config(format!(
                        "{option} is for direct mode (no --api-url); with --api-url \
                         ({url}) the deployed API decides which tables and queues it uses"
                    )));
                }
                Ok(Transport::Http(Box::new(
                    HttpTransport::new(&url, self.region.clone()).await?,
                )))
            }
            None => {
                let settings = DirectSettings::from_options(self, &lookup);
                Ok(Transport::Direct(Box::new(
                    DirectTransport::new(settings).await?,
                )))
            }
        }
    }

    /// The first direct-mode option given, if any.
    fn direct_only_option(&self) -> Option<&'static str> {
        [
            (self.plans_table.is_some(), "--plans-table"),
            (self.executions_table.is_some(), "--executions-table"),
            (self.start_queue_url.is_some(), "--start-queue-url"),
            (self.advance_queue_url.is_some(), "--advance-queue-url"),
            (self.endpoint_url.is_some(), "--endpoint-url"),
            (self.prefix != DEFAULT_PREFIX, "--prefix"),
        ]
        .into_iter()
        .find(|(given, _)| *given)
        .map(|(_, option)| option)
    }
}
