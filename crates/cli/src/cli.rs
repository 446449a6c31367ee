//! The command line: `drsctl <group> <command> [args]`.
//!
//! Each group of commands (`plan`, `rehearse`, `schedule`; `start`, `watch`... later) is one
//! variant of [`Command`] and one module under [`crate::commands`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::outcome::Outcome;

/// Orchestrates AWS Elastic Disaster Recovery drills: ordered waves, checks, reports.
#[derive(Debug, Parser)]
#[command(name = "drsctl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with recovery plan files.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Rehearse a plan on this machine: the whole pipeline (queues, delays, tables, the
    /// Lambda handlers) against moto and drs-sim, with live progress and a final report.
    ///
    /// Exit status: 0 if the execution COMPLETED; 1 if it FAILED, TIMED_OUT, was CANCELLED,
    /// stayed paused (--approve never) or could not run; 2 if the plan or scenario is invalid.
    Rehearse(commands::rehearse::RehearseArgs),
    /// Scheduled drills: EventBridge Scheduler schedules in the stack's schedule group that
    /// start an execution of a stored plan.
    ///
    /// Exit status: 0 on success; 2 if the input is invalid (nothing is sent to AWS); 1 if
    /// AWS refused or could not be reached (a missing schedule, group or queue included).
    Schedule {
        #[command(subcommand)]
        command: commands::schedule::ScheduleCommand,
        #[command(flatten)]
        stack: commands::schedule::StackOptions,
    },
}

#[derive(Debug, Subcommand)]
enum PlanCommand {
    /// Check plan files (YAML or JSON) and print every problem as FILE:LINE:COL: path: message.
    ///
    /// Exit status: 0 if every plan is valid, 2 if any is invalid, 1 if a file cannot be read.
    Validate {
        /// Plan files; `-` reads standard input. The content decides between YAML and JSON,
        /// not the file name.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of plans (committed as infra/plan.schema.json).
    Schema,
}

impl Cli {
    /// Runs the command, printing to stdout and stderr.
    pub fn run(self) -> Outcome {
        match self.command {
            Command::Plan(PlanCommand::Validate { files }) => commands::plan::validate(&files),
            Command::Plan(PlanCommand::Schema) => commands::plan::schema(),
            Command::Rehearse(args) => commands::rehearse::run(args),
            Command::Schedule { command, stack } => commands::schedule::run(command, stack),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
