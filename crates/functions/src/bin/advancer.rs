//! The advancer Lambda (advance queue): moves executions on after a wave's launch, an
//! approval or a cancel: the next wave, or the execution's end.
//!
//! Configuration: environment variables, see `crates/functions/README.md`.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    lambda_functions::function::run(pipeline::Role::Advancer).await
}
