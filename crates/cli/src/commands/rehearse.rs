//! `drsctl rehearse --plan FILE --scenario FILE`: runs a plan through the whole pipeline on
//! this machine (moto and drs-sim play AWS, see the `local-stack` crate), shows its
//! progress, and prints the report.
//!
//! Exit status: 0 when the execution COMPLETED; 1 when it FAILED, TIMED_OUT, was CANCELLED,
//! stayed paused (`--approve never`), ran out of time (`--timeout`) or could not be run;
//! 2 when the plan or the scenario is invalid.

mod progress;
mod report_table;

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use drs_sim::Scenario;
use drs_sim::scenario::ClockMode;
use engine::{ExecutionStatus, WavePhase};
use local_stack::{
    ActionFailure, ActionSettings, ApprovalPolicy, Ending, LocalOptions, LocalStack, WatchOptions,
};
use plan::Plan;

use crate::outcome::Outcome;
use crate::plan_file;

/// The time scale when neither `--time-scale` nor the scenario (above 1) gives one: a
/// typical three-wave drill of a few simulated minutes per wave takes seconds.
pub const DEFAULT_TIME_SCALE: f64 = 60.0;

/// How often the execution is read while it runs.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// `drsctl rehearse` arguments.
#[derive(Debug, Args)]
pub struct RehearseArgs {
    /// The plan to rehearse (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The drs-sim scenario: the source servers and how their launches behave
    /// (docs/drs-sim.md; examples in examples/scenarios/).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,
    /// Simulated seconds per real second. Default: the scenario's `clock.time_scale` when it
    /// is above 1, else 60.
    #[arg(long, value_name = "N", value_parser = positive_number)]
    pub time_scale: Option<f64>,
    /// Print only the final execution report, as JSON, on standard output.
    #[arg(long)]
    pub json: bool,
    /// Approve paused waves (`pause_before`) at once, or never: the rehearsal then ends at
    /// the pause, not completed.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Approve::Auto)]
    pub approve: Approve,
    /// Use the moto server at this URL instead of starting one.
    #[arg(long, value_name = "URL")]
    pub moto_endpoint: Option<String>,
    /// Make a pre- or post-action fail ("what if this check fails?"): an SSM document name,
    /// a Lambda function ARN or function name. Repeatable.
    #[arg(long, value_name = "ACTION")]
    pub fail_action: Vec<String>,
    /// Simulated seconds each pre- or post-action takes.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = non_negative_number)]
    pub action_seconds: f64,
    /// Give up after this many real seconds. Default: the plan's wave timeouts at the time
    /// scale, plus a minute.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

/// `--approve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Approve {
    /// Approve every paused wave at once.
    Auto,
    /// Never approve.
    Never,
}

fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("expected a positive number, got `{text}`")),
    }
}

fn non_negative_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!(
            "expected a number of seconds (0 or more), got `{text}`"
        )),
    }
}

/// Runs `drsctl rehearse`.
pub fn run(args: RehearseArgs) -> Outcome {
    let mut err = io::stderr().lock();
    let plan = match read_plan(&args.plan, &mut err) {
        Ok(plan) => plan,
        Err(outcome) => return outcome,
    };
    let scenario = match Scenario::from_file(&args.scenario) {
        Ok(scenario) => scenario,
        Err(errors) => {
            for line in errors.lines() {
                let _ = writeln!(err, "{line}");
            }
            return Outcome::Invalid;
        }
    };
    if let Some(url) = &args.moto_endpoint {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            let _ = writeln!(
                err,
                "--moto-endpoint `{url}` is not an http:// URL (e.g. http://127.0.0.1:5000)"
            );
            return Outcome::Invalid;
        }
    }
    drop(err);
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("drsctl rehearse: cannot start the async runtime: {error}");
            return Outcome::IoError;
        }
    };
    runtime.block_on(rehearse(args, plan, scenario))
}

/// The plan, or the outcome of a plan that cannot be used (its problems printed as
/// `FILE:LINE:COL: path: message`).
fn read_plan(path: &Path, err: &mut dyn Write) -> Result<Plan, Outcome> {
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let text = plan_file::read(path).map_err(|error| {
        let _ = writeln!(err, "{name}: {error}");
        Outcome::Invalid
    })?;
    plan::parse(&text).map_err(|diagnostics| {
        for diagnostic in &diagnostics {
            let _ = if diagnostic.position.is_some() {
                writeln!(err, "{name}:{diagnostic}")
            } else {
                writeln!(err, "{name}: {diagnostic}")
            };
        }
        Outcome::Invalid
    })
}

/// `RUST_LOG=...` shows the pipeline's logs on standard error.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(io::stderr)
            .try_init();
    }
}

/// The time scale: `--time-scale`, else the scenario's when above 1, else
/// [`DEFAULT_TIME_SCALE`].
pub fn time_scale(requested: Option<f64>, scenario: &Scenario) -> f64 {
    match (requested, scenario.clock.mode) {
        (Some(scale), _) => scale,
        (None, ClockMode::Scaled { time_scale }) if time_scale > 1.0 => time_scale,
        _ => DEFAULT_TIME_SCALE,
    }
}

/// The real-time limit: every wave's timeout, every post-action and every `wait` action, at
/// the time scale, plus a minute for starting and stopping.
pub fn default_timeout(plan: &Plan, time_scale: f64, action_seconds: f64) -> Duration {
    let waves: f64 = (0..plan.waves.len())
        .map(|index| f64::from(plan.wave_timeout_minutes(index)) * 60.0)
        .sum();
    let post_actions: usize = plan.waves.iter().map(|wave| wave.post_actions.len()).sum();
    let waits: f64 = plan
        .waves
        .iter()
        .flat_map(|wave| wave.pre_actions.iter().chain(&wave.post_actions))
        .filter_map(|action| match action {
            plan::Action::Wait(wait) => Some(f64::from(wait.minutes) * 60.0),
            _ => None,
        })
        .sum();
    let simulated = waves + post_actions as f64 * action_seconds + waits;
    Duration::from_secs_f64((simulated / time_scale).min(86_400.0) + 60.0)
}

async fn rehearse(args: RehearseArgs, plan: Plan, scenario: Scenario) -> Outcome {
    let scale = time_scale(args.time_scale, &scenario);
    let limit = args.timeout.map_or_else(
        || default_timeout(&plan, scale, args.action_seconds),
        Duration::from_secs,
    );
    let hostnames: BTreeMap<String, String> = scenario
        .servers
        .iter()
        .map(|server| (server.id.clone(), server.hostname.clone()))
        .collect();
    let mut options = LocalOptions::new(scenario)
        .with_time_scale(scale)
        .with_approvals(match args.approve {
            Approve::Auto => ApprovalPolicy::Auto,
            Approve::Never => ApprovalPolicy::Never,
        })
        .with_actions(ActionSettings {
            duration_seconds: args.action_seconds,
            failures: args.fail_action.iter().map(ActionFailure::new).collect(),
        });
    if let Some(url) = &args.moto_endpoint {
        options = options.with_moto_endpoint(url.clone());
    }

    let starting = match &args.moto_endpoint {
        Some(url) => format!("starting drs-sim, using moto at {url}"),
        None => "starting moto and drs-sim".to_owned(),
    };
    eprintln!(
        "Rehearsing plan `{}` against {} (time x{scale}): {starting}...",
        plan.name,
        args.scenario.display()
    );
    let stack = tokio::select! {
        started = LocalStack::start(options) => match started {
            Ok(stack) => stack,
            Err(error) => {
                eprintln!("drsctl rehearse: cannot start the local stack: {error}");
                return Outcome::Unsuccessful;
            }
        },
        _ = tokio::signal::ctrl_c() => {
            eprintln!("Interrupted while starting; stopped what was started.");
            return Outcome::Unsuccessful;
        }
    };
    let id = match stack.start_drill(&plan).await {
        Ok(id) => id,
        Err(error) => {
            eprintln!("drsctl rehearse: cannot start the drill: {error}");
            stack.shutdown().await;
            return Outcome::Unsuccessful;
        }
    };
    eprintln!(
        "Drill {id} requested (moto {}, drs-sim {}).",
        stack.moto_endpoint(),
        stack.sim_endpoint()
    );

    let live = io::stderr().is_terminal();
    let mut view = progress::Progress::new(live, scale);
    let watched = tokio::select! {
        watched = stack.watch(&id, WatchOptions { limit, poll_interval: POLL_INTERVAL }, |observed| view.show(observed)) => Some(watched),
        _ = tokio::signal::ctrl_c() => None,
    };
    view.finish();
    let ending = match watched {
        Some(Ok(ending)) => ending,
        Some(Err(error)) => {
            eprintln!("drsctl rehearse: {error}");
            stack.shutdown().await;
            return Outcome::Unsuccessful;
        }
        None => {
            eprintln!("Interrupted: stopping moto and drs-sim.");
            stack.shutdown().await;
            return Outcome::Unsuccessful;
        }
    };
    let failures = match ending.execution() {
        Some(execution) => stack.launch_failures(execution).await,
        None => BTreeMap::new(),
    };
    stack.shutdown().await;

    let Some(execution) = ending.execution() else {
        eprintln!(
            "drsctl rehearse: the execution was never stored within {} s; is the starter failing? \
             Run again with RUST_LOG=warn to see the pipeline's logs.",
            limit.as_secs()
        );
        return Outcome::Unsuccessful;
    };
    let report = execution.report();
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("drsctl rehearse: cannot write the report as JSON: {error}");
                return Outcome::IoError;
            }
        }
    } else {
        let context = report_table::Context {
            hostnames: &hostnames,
            failures: &failures,
        };
        print!("{}", report_table::render(&report, &context));
    }
    conclude(&ending, limit)
}

/// The closing message (standard error) and the outcome.
fn conclude(ending: &Ending, limit: Duration) -> Outcome {
    match ending {
        Ending::Finished(execution) if execution.status == ExecutionStatus::Completed => {
            Outcome::Success
        }
        Ending::Finished(execution) => {
            eprintln!("The execution ended {}: not completed.", execution.status);
            Outcome::Unsuccessful
        }
        Ending::AwaitingApproval(execution) => {
            let wave = execution
                .waves
                .iter()
                .position(|w| w.phase == WavePhase::AwaitingApproval)
                .unwrap_or(execution.current_wave);
            let name = execution
                .plan
                .waves
                .get(wave)
                .map_or("?", |w| w.name.as_str());
            eprintln!(
                "The execution is paused before wave {} ({name}), waiting for an approval; \
                 --approve never leaves it paused, so the rehearsal ends here, not completed.",
                wave + 1
            );
            Outcome::Unsuccessful
        }
        Ending::LimitReached(execution) => {
            let status = execution
                .as_ref()
                .map_or_else(|| "not stored".to_owned(), |e| e.status.to_string());
            eprintln!(
                "Gave up after {} s of real time (--timeout); the execution is still {status}.",
                limit.as_secs()
            );
            Outcome::Unsuccessful
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(yaml: &str) -> Scenario {
        Scenario::from_yaml_str(yaml, "test.yaml").unwrap()
    }

    #[test]
    fn the_time_scale_comes_from_the_flag_then_the_scenario_then_the_default() {
        let fast = scenario("clock: { time_scale: 120 }\n");
        let real_time = scenario("seed: 1\n");
        let manual = scenario("clock: { manual: true }\n");
        assert_eq!(time_scale(Some(5.0), &fast), 5.0);
        assert_eq!(time_scale(None, &fast), 120.0);
        assert_eq!(time_scale(None, &real_time), DEFAULT_TIME_SCALE);
        assert_eq!(time_scale(None, &manual), DEFAULT_TIME_SCALE);
    }

    #[test]
    fn the_default_timeout_covers_every_wave_at_the_time_scale() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plans/billing.yaml"),
        )
        .unwrap();
        let plan = plan::parse(&text).unwrap();
        // Waves of 45 + 60 + 45 minutes and two post-actions of 30 s, at x60, plus 60 s.
        assert_eq!(
            default_timeout(&plan, 60.0, 30.0),
            Duration::from_secs_f64((150.0 * 60.0 + 60.0) / 60.0 + 60.0)
        );
    }

    #[test]
    fn numbers_are_checked() {
        assert!(positive_number("0").is_err());
        assert!(positive_number("-3").is_err());
        assert!(positive_number("inf").is_err());
        assert_eq!(positive_number("2.5"), Ok(2.5));
        assert_eq!(non_negative_number("0"), Ok(0.0));
        assert!(non_negative_number("x").is_err());
    }
}
