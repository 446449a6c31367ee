//! `drs-sim --listen 127.0.0.1:PORT --scenario FILE`: the DRS emulator as a process.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use drs_sim::{Scenario, SimConfig};
use tracing_subscriber::EnvFilter;

/// AWS Elastic Disaster Recovery emulator (DRS REST-JSON API driven by a scenario file).
#[derive(Debug, Parser)]
#[command(name = "drs-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Scenario file (YAML); without it, one account 111122223333 in us-east-1, no servers.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_format);
    let scenario = match &args.scenario {
        Some(path) => match Scenario::from_file(path) {
            Ok(scenario) => scenario,
            Err(errors) => {
                for line in errors.lines() {
                    eprintln!("{line}");
                }
                return ExitCode::from(2);
            }
        },
        None => Scenario::default(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("drs-sim: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args, scenario)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("drs-sim: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, scenario: Scenario) -> Result<(), String> {
    let servers = scenario.servers.len();
    // Watch the signals before announcing the address, so a signal sent right after the
    // first line stops the server cleanly.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| format!("cannot watch SIGINT: {e}"))?;
    let sim = drs_sim::serve(SimConfig {
        listen: args.listen,
        scenario,
    })
    .await
    .map_err(|e| e.to_string())?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "drs-sim listening on {}", sim.endpoint_url())
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    tracing::info!(address = %sim.addr(), servers, "drs-sim started");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
    sim.shutdown().await.map_err(|e| e.to_string())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
