//! The command line: `drsctl <group> <command> [args]`.
//!
//! Each group of commands (`plan`, `rehearse`, `schedule`, the execution commands `start`,
//! `status`, `executions`, `cancel`, `approve`, `reject`) is one variant of [`Command`] and one
//! module under [`crate::commands`].
//!
//! Exit status of the commands that talk to the orchestrator (`plan apply|get|list|delete`
//! and the execution commands): 0 on success; 2 when the request is invalid (an invalid plan,
//! a recovery without its `--confirm`, an HTTP 400); 1 when the orchestrator refused it
//! otherwise (not found, conflict, forbidden, an internal error) or could not be reached.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::api::options::ApiOptions;
use crate::commands;
use crate::commands::remote::TableOrJson;
use crate::commands::stored_plan::PlanFormat;
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
    /// Work with plans: check plan files; store, read, list and delete the orchestrator's
    /// plans.
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
    /// Start an execution of a stored plan: sends the start request (the starter Lambda runs
    /// it) and prints the new execution's ID.
    ///
    /// Exit status: 0 when the request was accepted; 2 if it is invalid (a recovery without
    /// its --confirm is refused before anything is sent); 1 if the plan is not stored or
    /// the orchestrator cannot be reached.
    Start(commands::execution::StartArgs),
    /// Show an execution: its status, each wave (status, times, RTO, DRS jobs) and each
    /// server (launch status, recovery instance), and why anything failed.
    Status {
        /// The execution's ID, as `start` or `executions` prints it.
        execution_id: String,
        #[command(flatten)]
        plan: PlanOption,
        /// `table` for people, `json` for the API's execution detail.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TableOrJson::Table)]
        output: TableOrJson,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// List the executions of a stored plan, newest first.
    Executions {
        /// The plan's name.
        plan: String,
        /// At most this many (1 to 100; the API's default is 50).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
        /// `table` or `json`.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TableOrJson::Table)]
        output: TableOrJson,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Cancel a running execution: sends the cancel to the advancer, which stops the
    /// execution and records who cancelled it (your IAM identity) and why (`status` shows
    /// both).
    Cancel {
        /// The execution's ID.
        execution_id: String,
        #[command(flatten)]
        plan: PlanOption,
        /// Why, recorded with the cancel and shown by `status`.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Approve a wave that waits for approval (`pause_before: true`), so that it starts. You
    /// are recorded as the approver; the execution's requester cannot approve it unless the
    /// plan sets `allow_self_approval: true` (HTTP 403, exit 1).
    Approve {
        /// The execution's ID.
        execution_id: String,
        #[command(flatten)]
        plan: PlanOption,
        /// The wave's index, counting from 0, as the WAVE column of `status` shows it.
        #[arg(long, value_name = "N")]
        wave: u32,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Reject the approval of a wave that waits for it: the execution is cancelled, recorded
    /// as that rejection, by you, with the reason.
    Reject {
        /// The execution's ID.
        execution_id: String,
        #[command(flatten)]
        plan: PlanOption,
        /// The wave's index, counting from 0.
        #[arg(long, value_name = "N")]
        wave: u32,
        /// Why, recorded with the cancel and shown by `status`.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        #[command(flatten)]
        api: ApiOptions,
    },
}

/// `--plan` of the commands on one execution.
#[derive(Debug, Args)]
struct PlanOption {
    /// The execution's plan (required): executions are reached under their plan
    /// (/plans/PLAN/executions/ID), which is what IAM policies allow per plan.
    #[arg(long, value_name = "PLAN")]
    plan: Option<String>,
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
    /// Store a plan in the orchestrator (create, or replace the plan of the same name): the
    /// name is the file's `name`. An invalid plan is refused with every problem as
    /// FILE:LINE:COL: path: message.
    ///
    /// Exit status: 0 if stored; 2 if the plan is invalid; 1 if the file cannot be read or
    /// the orchestrator cannot be reached.
    Apply {
        /// The plan file (YAML or JSON); `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Print a stored plan (YAML by default: `plan get NAME > NAME.yaml` gives a file that
    /// `plan apply` takes back; comments are not stored).
    Get {
        /// The plan's name.
        name: String,
        /// `yaml` or `json`.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t = PlanFormat::Yaml)]
        output: PlanFormat,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// List the stored plans: name, waves, when and by whom each was stored.
    List {
        /// `table` or `json`.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TableOrJson::Table)]
        output: TableOrJson,
        #[command(flatten)]
        api: ApiOptions,
    },
    /// Delete a stored plan (its executions are kept). Exit 1 if there is none.
    Delete {
        /// The plan's name.
        name: String,
        #[command(flatten)]
        api: ApiOptions,
    },
}

impl Cli {
    /// Runs the command, printing to stdout and stderr.
    pub fn run(self) -> Outcome {
        match self.command {
            Command::Plan(PlanCommand::Validate { files }) => commands::plan::validate(&files),
            Command::Plan(PlanCommand::Schema) => commands::plan::schema(),
            Command::Plan(PlanCommand::Apply { file, api }) => {
                commands::stored_plan::apply(&file, &api)
            }
            Command::Plan(PlanCommand::Get { name, output, api }) => {
                commands::stored_plan::get(&name, output, &api)
            }
            Command::Plan(PlanCommand::List { output, api }) => {
                commands::stored_plan::list(output, &api)
            }
            Command::Plan(PlanCommand::Delete { name, api }) => {
                commands::stored_plan::delete(&name, &api)
            }
            Command::Start(args) => commands::execution::start(&args),
            Command::Status {
                execution_id,
                plan,
                output,
                api,
            } => with_plan("status", &plan, |plan| {
                commands::execution::status(plan, &execution_id, output, &api)
            }),
            Command::Executions {
                plan,
                limit,
                output,
                api,
            } => commands::execution::list(&plan, limit, output, &api),
            Command::Cancel {
                execution_id,
                plan,
                reason,
                api,
            } => with_plan("cancel", &plan, |plan| {
                commands::execution::cancel(plan, &execution_id, reason.as_deref(), &api)
            }),
            Command::Approve {
                execution_id,
                plan,
                wave,
                api,
            } => with_plan("approve", &plan, |plan| {
                commands::execution::approve(plan, &execution_id, wave, &api)
            }),
            Command::Reject {
                execution_id,
                plan,
                wave,
                reason,
                api,
            } => with_plan("reject", &plan, |plan| {
                commands::execution::reject(plan, &execution_id, wave, reason.as_deref(), &api)
            }),
            Command::Rehearse(args) => commands::rehearse::run(args),
            Command::Schedule { command, stack } => commands::schedule::run(command, stack),
        }
    }
}

/// Runs `command` with the plan `--plan` names; exit 2, saying why, without one.
fn with_plan(name: &str, plan: &PlanOption, command: impl FnOnce(&str) -> Outcome) -> Outcome {
    match commands::execution::required_plan(name, plan.plan.as_deref()) {
        Ok(plan) => command(&plan),
        Err(outcome) => outcome,
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
