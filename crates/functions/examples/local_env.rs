//! Creates the pipeline's tables, queues and topic in an AWS emulator (moto) and prints the
//! functions' environment as `KEY=VALUE` lines, for `cargo lambda watch --env-file`.
//!
//! ```text
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ENDPOINT_URL_DRS=http://127.0.0.1:7000 \
//!   cargo run -p lambda-functions --example local_env -- --plan examples/plans/billing.yaml > local.env
//! ```
//!
//! Options: `--plan FILE` (repeatable: stores the plan), `--prefix NAME` (resource names,
//! default `drs-orchestrator`). Safe to run again: existing resources are kept.

use std::process::ExitCode;

use aws_adapters::resources::{DEFAULT_PREFIX, Resources};
use aws_adapters::{AwsSettings, PlanTable, StaticCredentials};
use lambda_functions::environment as env;
use pipeline::message::QueueName;
use pipeline::ports::PlanStore;

struct Options {
    plans: Vec<String>,
    prefix: String,
    endpoint: String,
    drs_endpoint: String,
    region: String,
}

fn options() -> Result<Options, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let endpoint = var("AWS_ENDPOINT_URL")
        .ok_or("set AWS_ENDPOINT_URL to the emulator's URL (e.g. moto at http://127.0.0.1:5000)")?;
    let drs_endpoint = var("AWS_ENDPOINT_URL_DRS")
        .ok_or("set AWS_ENDPOINT_URL_DRS to drs-sim's URL (e.g. http://127.0.0.1:7000)")?;
    let region = var("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned());
    let mut plans = Vec::new();
    let mut prefix = DEFAULT_PREFIX.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--plan" => plans.push(args.next().ok_or("--plan needs a file")?),
            "--prefix" => prefix = args.next().ok_or("--prefix needs a name")?,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (use --plan FILE, --prefix NAME)"
                ));
            }
        }
    }
    Ok(Options {
        plans,
        prefix,
        endpoint,
        drs_endpoint,
        region,
    })
}

async fn run(options: Options) -> Result<(), String> {
    let credentials = StaticCredentials::local();
    let config = AwsSettings {
        region: Some(options.region.clone()),
        endpoint_url: Some(options.endpoint.clone()),
        drs_endpoint_url: Some(options.drs_endpoint.clone()),
        credentials: Some(credentials.clone()),
    }
    .load()
    .await
    .map_err(|e| e.to_string())?;
    let resources = Resources::with_prefix(&options.prefix);
    let created = aws_adapters::create_all(&config, &resources)
        .await
        .map_err(|e| e.to_string())?;
    let plans = PlanTable::new(config.dynamodb(), &resources.plans.name);
    for file in &options.plans {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let plan = plan::parse(&text).map_err(|e| format!("{file}:\n{e}"))?;
        plans
            .put(&plan, jiff::Timestamp::now(), "local_env")
            .await
            .map_err(|e| format!("storing {file}: {e}"))?;
        eprintln!("stored plan `{}`", plan.name);
    }

    let mut lines = vec![
        ("AWS_REGION", options.region),
        ("AWS_ACCESS_KEY_ID", credentials.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("AWS_ENDPOINT_URL", options.endpoint),
        ("AWS_ENDPOINT_URL_DRS", options.drs_endpoint),
        (env::PLANS_TABLE, resources.plans.name.clone()),
        (env::EXECUTIONS_TABLE, resources.executions.name.clone()),
        (env::LEDGER_TABLE, resources.ledger.name.clone()),
    ];
    for (queue, url, dead_letter_url) in [
        (QueueName::Start, env::START_QUEUE_URL, env::START_DLQ_URL),
        (QueueName::Check, env::CHECK_QUEUE_URL, env::CHECK_DLQ_URL),
        (
            QueueName::Advance,
            env::ADVANCE_QUEUE_URL,
            env::ADVANCE_DLQ_URL,
        ),
    ] {
        let endpoints = created
            .queues
            .get(&queue)
            .ok_or_else(|| format!("the {} queue was not created", queue.as_str()))?;
        lines.push((url, endpoints.url.clone()));
        lines.push((dead_letter_url, endpoints.dead_letter_url.clone()));
    }
    lines.push((env::NOTIFICATION_TOPIC_ARN, created.topic_arn));
    for (name, value) in lines {
        println!("{name}={value}");
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = match options() {
        Ok(options) => run(options).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("local_env: {error}");
            ExitCode::FAILURE
        }
    }
}
