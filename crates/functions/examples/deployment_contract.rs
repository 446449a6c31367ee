//! Prints, as one JSON document, what `infra/template.yaml` must agree with: the pipeline's
//! resources ([`aws_adapters::Resources`], the single source of truth the local stack creates),
//! which queue each function consumes, the HTTP API's routes (`pipeline::api::ROUTES`, which
//! the `api` function's events and `infra/openapi.yaml` must list), and the functions'
//! environment variables (with the functions that read each).
//!
//! `make infra-test` runs it (`cargo run -q -p lambda-functions --example deployment_contract`)
//! and compares the SAM template with its output, so the template cannot drift from the code
//! without a failing test. Reading the Rust values through the compiler is sturdier than
//! parsing `resources.rs` as text: a renamed field fails to compile here, loudly.

use std::process::ExitCode;

use aws_adapters::resources::{
    BillingModeKind, DEFAULT_PREFIX, IndexDefinition, KeyAttribute, Projection, QueueDefinition,
    Resources, TableDefinition,
};
use lambda_functions::environment::{Source, VARIABLES};
use pipeline::Role;
use serde_json::{Value, json};

fn main() -> ExitCode {
    let resources = Resources::with_prefix(DEFAULT_PREFIX);
    let contract = json!({
        "prefix": DEFAULT_PREFIX,
        "tables": {
            "plans": table(&resources.plans),
            "executions": table(&resources.executions),
            "ledger": table(&resources.ledger),
        },
        "queues": resources.queues.iter().map(queue).collect::<Vec<_>>(),
        "topic": { "name": resources.topic.name },
        "launch_events": {
            "name": resources.launch_events.name,
            "event_pattern": resources.launch_events.event_pattern,
            "target": resources.launch_events.target.as_str(),
        },
        "functions": Role::ALL.iter().map(|role| json!({
            "name": role.as_str(),
            "queue": role.queue().as_str(),
        })).collect::<Vec<_>>(),
        "api": {
            "binary": "api",
            "routes": pipeline::api::ROUTES.iter().map(|route| json!({
                "method": route.method,
                "path": route.path,
            })).collect::<Vec<_>>(),
        },
        "environment": VARIABLES.iter().map(|variable| json!({
            "name": variable.name,
            "required": variable.required,
            "source": match variable.source {
                Source::Deployment => "deployment",
                Source::Lambda => "lambda",
            },
            // `required` holds for these functions only; the others do not read it.
            "read_by": variable.read_by.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    match serde_json::to_string_pretty(&contract) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("deployment_contract: {error}");
            ExitCode::FAILURE
        }
    }
}

fn key(attribute: &KeyAttribute) -> Value {
    json!({ "name": attribute.name, "type": attribute.kind.code() })
}

fn table(table: &TableDefinition) -> Value {
    json!({
        "name": table.name,
        "partition_key": key(&table.partition_key),
        "sort_key": table.sort_key.as_ref().map(key),
        "indexes": table.indexes.iter().map(index).collect::<Vec<_>>(),
        "ttl_attribute": table.ttl_attribute,
        "billing_mode": match table.billing_mode {
            BillingModeKind::PayPerRequest => "PAY_PER_REQUEST",
        },
    })
}

fn index(index: &IndexDefinition) -> Value {
    let projection = match &index.projection {
        Projection::All => json!({ "type": "ALL" }),
        Projection::KeysOnly => json!({ "type": "KEYS_ONLY" }),
        Projection::Include(attributes) => {
            json!({ "type": "INCLUDE", "non_key_attributes": attributes })
        }
    };
    json!({
        "name": index.name,
        "partition_key": key(&index.partition_key),
        "sort_key": index.sort_key.as_ref().map(key),
        "projection": projection,
    })
}

fn queue(queue: &QueueDefinition) -> Value {
    json!({
        "queue": queue.queue.as_str(),
        "name": queue.name,
        "visibility_timeout_seconds": queue.visibility_timeout_seconds,
        "message_retention_seconds": queue.message_retention_seconds,
        "receive_wait_seconds": queue.receive_wait_seconds,
        "max_receive_count": queue.max_receive_count,
        "consumer_timeout_seconds": queue.consumer_timeout_seconds,
        "batch_size": queue.batch_size,
        "dead_letter": {
            "name": queue.dead_letter.name,
            "message_retention_seconds": queue.dead_letter.message_retention_seconds,
        },
    })
}
