//! `drsctl`: the command-line tool of drs-orchestrator.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod cli;
mod commands;
mod outcome;
mod plan_file;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    cli::Cli::parse().run().into()
}
