//! The api Lambda (API Gateway HTTP API, IAM authorization): plans and executions over HTTP
//! (`pipeline::api`, `infra/openapi.yaml`).
//!
//! Configuration: environment variables, see `crates/functions/README.md`.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    lambda_functions::http_api::run().await
}
