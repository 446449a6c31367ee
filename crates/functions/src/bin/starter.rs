//! The starter Lambda (start queue): starts executions from a stored or inline plan, and
//! waves: resolves their servers, calls DRS `StartRecovery`, sends the first delayed check.
//!
//! Configuration: environment variables, see `crates/functions/README.md`.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    lambda_functions::function::run(pipeline::Role::Starter).await
}
