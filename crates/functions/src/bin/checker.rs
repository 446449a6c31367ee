//! The checker Lambda (check queue): on a delayed check or a DRS launch-result event, one
//! `DescribeJobs` for the wave's jobs; checks again later until the wave's launch has ended.
//!
//! Configuration: environment variables, see `crates/functions/README.md`.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    lambda_functions::function::run(pipeline::Role::Checker).await
}
