//! `make bench` (`cargo bench -p bench --bench pipeline`): the pipeline's figures of issue 4
//! §5, printed as Markdown tables. See docs/performance.md for what each figure means.
//!
//! Runs, each on a fresh local stack (moto + drs-sim + the real handlers):
//! 1. `events`: fixtures/ten-waves.yaml (10 waves × 100 servers, fixtures/fleet.yaml) with
//!    every Launch Result event delivered;
//! 2. `no events`: the same with every event dropped (`drop_ratio: 1.0`): the 30 s checks
//!    alone — also the AWS sample's policy replayed in this harness;
//! 3. `1,000 in one wave`: fixtures/one-wave.yaml (1 wave × 1,000 servers), events delivered;
//! 4. `events, scale 1`: the ten-wave plan on fixtures/fleet-quick.yaml (launches of 5-11 s)
//!    in real time, so the transition overhead is measured without a time scale;
//!
//! then each Lambda binary serving one batch, for its peak RSS.
//!
//! Time scales (simulated seconds per real second): `BENCH_EVENTS_TIME_SCALE` (run 1,
//! default 15), `BENCH_POLLING_TIME_SCALE` (run 2, default 30), `BENCH_THOUSAND_TIME_SCALE`
//! (run 3, default 10); run 4 is always 1. Every real millisecond the pipeline spends counts
//! `scale` simulated milliseconds, and events arrive `scale` times faster than in AWS: the
//! runs with events use lower scales so that the one checker poller keeps up comfortably.
//!
//! `BENCH_RUNS`: comma-separated subset of `events,no-events,thousand,probe,lambdas`
//! (default all). `BENCH_RUN_LIMIT_SECONDS`: real-time limit per drill (default 900).
//! `BENCH_LOG`: a tracing filter for stderr (default `warn`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use bench::baseline::{self, BaselineCounts};
use bench::drill::{self, DrillRun, DrillSpec};
use bench::handler_timing::HandlerTimings;
use bench::lambda_memory::LambdaMemory;
use bench::stats::Summary;
use bench::table::Table;
use bench::{BenchError, fixtures, lambda_memory};
use pipeline::Role;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The check interval of the plans (and of the AWS sample).
const CHECK_INTERVAL_SECONDS: f64 = 30.0;
/// Target: transition overhead p50 with events.
const TARGET_TRANSITION_WITH_EVENTS_SECONDS: f64 = 2.0;
/// Target: our DRS calls over the baseline's.
const TARGET_DRS_RATIO: f64 = 0.1;
/// Target: peak RSS of each Lambda binary.
const TARGET_LAMBDA_RSS_MIB: f64 = 30.0;

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .unwrap_or(default)
}

fn wanted(run: &str) -> bool {
    match std::env::var("BENCH_RUNS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|r| r.trim() == run),
        _ => true,
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; this program takes no arguments.
    let timings = HandlerTimings::default();
    let warnings = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            EnvFilter::try_from_env("BENCH_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        );
    if let Err(error) = tracing_subscriber::registry()
        .with(timings.layer())
        .with(warnings)
        .try_init()
    {
        eprintln!("bench: cannot install the tracing subscriber: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: cannot start the Tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_all(&timings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run_all(timings: &HandlerTimings) -> Result<(), BenchError> {
    let events_scale = env_f64("BENCH_EVENTS_TIME_SCALE", 15.0);
    let polling_scale = env_f64("BENCH_POLLING_TIME_SCALE", 30.0);
    let thousand_scale = env_f64("BENCH_THOUSAND_TIME_SCALE", 10.0);
    let limit = Duration::from_secs_f64(env_f64("BENCH_RUN_LIMIT_SECONDS", 900.0));
    let started = Instant::now();
    println!("# drs-orchestrator pipeline benchmark\n");
    println!(
        "date {} · {} · fixtures {}\n",
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC"),
        machine(),
        fixtures::dir().display()
    );

    let scenario = fixtures::scenario(fixtures::FLEET_SCENARIO)?;
    let quick = fixtures::scenario(fixtures::FLEET_QUICK_SCENARIO)?;
    let ten_waves = fixtures::plan(fixtures::TEN_WAVES_PLAN)?;
    let one_wave = fixtures::plan(fixtures::ONE_WAVE_PLAN)?;
    let mut runs: Vec<DrillRun> = Vec::new();
    let specs = [
        ("events", "events", &ten_waves, &scenario, 0.0, events_scale),
        (
            "no-events",
            "no events",
            &ten_waves,
            &scenario,
            1.0,
            polling_scale,
        ),
        (
            "thousand",
            "1,000 in one wave",
            &one_wave,
            &scenario,
            0.0,
            thousand_scale,
        ),
        ("probe", "events, scale 1", &ten_waves, &quick, 0.0, 1.0),
    ];
    for (key, label, plan, scenario, drop_ratio, time_scale) in specs {
        if !wanted(key) {
            continue;
        }
        println!(
            "running `{label}`: plan {} ({} waves), drop ratio {drop_ratio}, time scale {time_scale} …",
            plan.name,
            plan.waves.len()
        );
        let run = drill::run(
            DrillSpec {
                label: label.to_owned(),
                plan: plan.clone(),
                scenario: scenario.clone(),
                drop_ratio,
                time_scale,
                limit,
            },
            timings,
        )
        .await?;
        println!(
            "  done: {:?} in {:.0} s real, {:.0} s simulated\n",
            run.report.status,
            run.real_seconds,
            run.drill_hours() * 3600.0
        );
        runs.push(run);
    }

    if !runs.is_empty() {
        print_runs(&runs);
        print_transitions(&runs);
    }
    let baseline = runs
        .iter()
        .find(|r| r.label == "events")
        .map(|r| baseline::sample_policy(&r.waves, CHECK_INTERVAL_SECONDS));
    if !runs.is_empty() {
        print_counts(&runs, baseline.as_ref());
        print_ratio(&runs, baseline.as_ref());
        print_latencies(&runs);
    }
    let lambdas = if wanted("lambdas") {
        print_lambda_memory(&ten_waves, &scenario).await?
    } else {
        Vec::new()
    };
    print_targets(&runs, baseline.as_ref(), &lambdas);
    println!("total real time: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    format!("{cores} cores ({model}), load average {load} at start")
}

fn print_runs(runs: &[DrillRun]) {
    println!("## Runs\n");
    let mut table = Table::new(&[
        "run",
        "status",
        "waves",
        "servers",
        "jobs",
        "simulated",
        "real",
        "scale",
        "events sent / dropped / failed",
    ]);
    for run in runs {
        table.row([
            run.label.clone(),
            format!("{:?}", run.report.status),
            run.report.waves.len().to_string(),
            run.servers().to_string(),
            run.report.totals.jobs.to_string(),
            format!("{:.1} h", run.drill_hours()),
            format!("{:.0} s", run.real_seconds),
            format!("{}", run.time_scale),
            format!(
                "{} / {} / {}",
                run.events_sent, run.events_dropped, run.events_failed
            ),
        ]);
    }
    println!("{}\n", table.render());
    for run in runs {
        let launches: Vec<f64> = run.waves.iter().map(|w| w.launch_seconds()).collect();
        if let Some(summary) = Summary::of(&launches) {
            println!(
                "- `{}`: wave launch time (first StartRecovery → last server terminal), simulated s: {summary}",
                run.label
            );
        }
    }
    println!();
}

fn print_transitions(runs: &[DrillRun]) {
    println!("## Wave-transition overhead\n");
    println!(
        "Simulated seconds from wave N's last terminal server to wave N+1's StartRecovery \
         (drs-sim's records). At time scale S every real second of processing is S simulated \
         seconds; wall-clock = simulated ÷ S. The target with events is judged at scale 1 \
         (simulated = real time); the target without events (≤ the 30 s check interval) in \
         simulated time.\n"
    );
    let mut table = Table::new(&[
        "run",
        "scale",
        "transitions",
        "p50 (sim s)",
        "p99 (sim s)",
        "max (sim s)",
        "p50 wall-clock",
        "p99 wall-clock",
        "target (p50)",
        "verdict",
    ]);
    for run in runs {
        let overheads: Vec<f64> = run.transitions.iter().map(|t| t.overhead_seconds).collect();
        let Some(summary) = Summary::of(&overheads) else {
            continue;
        };
        let (target, verdict) = if run.drop_ratio >= 1.0 {
            (
                format!("≤ {CHECK_INTERVAL_SECONDS} s (interval)"),
                verdict(summary.p50 <= CHECK_INTERVAL_SECONDS),
            )
        } else if run.time_scale <= 1.0 {
            (
                format!("≤ {TARGET_TRANSITION_WITH_EVENTS_SECONDS} s"),
                verdict(summary.p50 <= TARGET_TRANSITION_WITH_EVENTS_SECONDS),
            )
        } else {
            (
                format!("≤ {TARGET_TRANSITION_WITH_EVENTS_SECONDS} s at scale 1"),
                "see scale 1".to_owned(),
            )
        };
        table.row([
            run.label.clone(),
            format!("{}", run.time_scale),
            summary.count.to_string(),
            format!("{:.1}", summary.p50),
            format!("{:.1}", summary.p99),
            format!("{:.1}", summary.max),
            format!("{:.2} s", summary.p50 / run.time_scale),
            format!("{:.2} s", summary.p99 / run.time_scale),
            target,
            verdict,
        ]);
        let each: Vec<String> = overheads.iter().map(|o| format!("{o:.1}")).collect();
        println!("- `{}`: {}", run.label, each.join(", "));
    }
    println!("\n{}\n", table.render());
    if let Some(run) = runs.iter().find(|r| r.label == "events") {
        let delays = baseline::detection_delays(&run.waves, CHECK_INTERVAL_SECONDS);
        if let Some(summary) = Summary::of(&delays) {
            println!(
                "Baseline model (30 s poll from each wave's start, waves of `events`): the poll that sees a wave done comes {summary} simulated s after its last server (processing excluded).\n"
            );
        }
    }
}

fn verdict(met: bool) -> String {
    if met { "met" } else { "MISSED" }.to_owned()
}

fn per(value: u64, by: f64) -> String {
    if by > 0.0 {
        format!("{:.2}", value as f64 / by)
    } else {
        "–".to_owned()
    }
}

fn print_counts(runs: &[DrillRun], baseline: Option<&BaselineCounts>) {
    println!("## Calls\n");
    println!(
        "Totals, per server and per simulated drill-hour. DRS: drs-sim's request counters. \
         SQS messages: `SendMessage` requests (handlers, one per Launch Result event through \
         the rule, the start request). DynamoDB writes: write requests (`TransactWriteItems`, \
         `PutItem`, `UpdateItem`…) counted in front of moto. DynamoDB reads: the handlers' \
         loads and lookups. Lambda invocations: handler batches.\n"
    );
    let mut table = Table::new(&["run", "what", "total", "per server", "per drill-hour"]);
    // The scale-1 probe's drill lasts two minutes: its counts say nothing per drill-hour.
    for run in runs.iter().filter(|r| r.time_scale > 1.0) {
        let servers = run.servers() as f64;
        let hours = run.drill_hours();
        let mut line = |what: String, total: u64| {
            table.row([
                run.label.clone(),
                what,
                total.to_string(),
                per(total, servers),
                per(total, hours),
            ]);
        };
        line("DRS API calls".to_owned(), run.drs_calls());
        for (operation, n) in &run.drs_requests {
            line(format!("· {operation}"), *n);
        }
        line("SQS messages sent".to_owned(), run.sqs_messages());
        line("· by the handlers".to_owned(), run.calls.sqs_sends());
        line("· Launch Result events".to_owned(), run.routed_events);
        line("DynamoDB writes".to_owned(), run.dynamo_writes());
        for (operation, n) in &run.aws_requests {
            let write = [
                "TransactWriteItems",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "BatchWriteItem",
            ]
            .iter()
            .any(|w| operation.strip_prefix("dynamodb.") == Some(w));
            if write {
                line(
                    format!("· {}", operation.trim_start_matches("dynamodb.")),
                    *n,
                );
            }
        }
        line(
            "DynamoDB reads (handlers)".to_owned(),
            run.calls.dynamo_reads(),
        );
        line("Lambda invocations".to_owned(), run.invocations());
        for (role, counts) in &run.pollers {
            line(format!("· {}", role_name(*role)), counts.batches);
        }
    }
    if let (Some(baseline), Some(run)) = (baseline, runs.iter().find(|r| r.label == "events")) {
        let servers = run.servers() as f64;
        let hours = run.drill_hours();
        for (what, total) in [
            ("DRS API calls", baseline.drs_calls()),
            ("· StartRecovery", baseline.start_recovery),
            ("· DescribeJobs", baseline.describe_jobs),
            ("Lambda invocations", baseline.invocations),
        ] {
            table.row([
                "baseline model".to_owned(),
                what.to_owned(),
                total.to_string(),
                per(total, servers),
                per(total, hours),
            ]);
        }
    }
    println!("{}\n", table.render());
    for run in runs.iter().filter(|r| r.time_scale > 1.0) {
        let details: Vec<String> = run
            .calls
            .0
            .iter()
            .map(|(call, n)| format!("{call}: {n}"))
            .collect();
        println!(
            "- `{}` handler port calls: {}",
            run.label,
            details.join("; ")
        );
        let requests: Vec<String> = run
            .aws_requests
            .iter()
            .map(|(op, n)| format!("{op}: {n}"))
            .collect();
        println!(
            "- `{}` every AWS request (incl. the pollers' receives and deletes, and {} progress reads of the benchmark): {}",
            run.label,
            run.progress_reads,
            requests.join("; ")
        );
        if !run.drs_errors.is_empty() {
            println!("- `{}` DRS errors: {:?}", run.label, run.drs_errors);
        }
    }
    println!();
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Starter => "starter",
        Role::Checker => "checker",
        Role::Advancer => "advancer",
    }
}

fn print_ratio(runs: &[DrillRun], baseline: Option<&BaselineCounts>) {
    let (Some(baseline), Some(ours)) = (baseline, runs.iter().find(|r| r.label == "events")) else {
        return;
    };
    println!("## DRS API calls against the baseline\n");
    let ratio = ours.drs_calls() as f64 / baseline.drs_calls() as f64;
    let verdict = verdict(ratio <= TARGET_DRS_RATIO);
    println!(
        "- ours (`events`): {} DRS calls; baseline model: {}; ratio {ratio:.2} (target ≤ {TARGET_DRS_RATIO}): {verdict}",
        ours.drs_calls(),
        baseline.drs_calls()
    );
    if let Some(replay) = runs.iter().find(|r| r.label == "no events") {
        println!(
            "- baseline replayed (`no events`: 30 s checks only): {} DRS calls; ours / replay = {:.2}",
            replay.drs_calls(),
            ours.drs_calls() as f64 / replay.drs_calls() as f64
        );
    }
    println!(
        "- ours: {} DescribeJobs for {} launch events delivered and {} check messages sent\n",
        ours.drs("DescribeJobs"),
        ours.events_sent,
        ours.calls.sqs_sends_of("check")
    );
}

fn print_latencies(runs: &[DrillRun]) {
    println!("## Handler latency (wall-clock, includes moto and drs-sim)\n");
    let mut table = Table::new(&[
        "run",
        "queue",
        "records",
        "record p50 ms",
        "record p99 ms",
        "batches",
        "batch p50 ms",
        "batch p99 ms",
    ]);
    for run in runs {
        for (queue, records) in &run.latencies.records {
            let record = Summary::of(records);
            let batch = run
                .latencies
                .batches
                .get(queue)
                .and_then(|b| Summary::of(b));
            let cell = |s: Option<Summary>, f: fn(&Summary) -> f64| {
                s.map_or_else(|| "–".to_owned(), |s| format!("{:.1}", f(&s)))
            };
            table.row([
                run.label.clone(),
                queue.clone(),
                records.len().to_string(),
                cell(record, |s| s.p50),
                cell(record, |s| s.p99),
                batch.map_or(0, |b| b.count).to_string(),
                cell(batch, |s| s.p50),
                cell(batch, |s| s.p99),
            ]);
        }
    }
    println!("{}\n", table.render());
}

async fn print_lambda_memory(
    plan: &plan::Plan,
    scenario: &drs_sim::Scenario,
) -> Result<Vec<LambdaMemory>, BenchError> {
    println!("## Lambda binaries: peak RSS serving one batch\n");
    let Some(dir) = lambda_memory::binary_dir() else {
        return Err(BenchError::Lambda {
            function: "all".to_owned(),
            message: "cannot tell where the release binaries are".to_owned(),
        });
    };
    println!("binaries: {}\n", dir.display());
    let measured = lambda_memory::measure(&dir, plan, scenario.clone()).await?;
    let mut table = Table::new(&[
        "binary",
        "records in the batch",
        "peak RSS (VmHWM)",
        "init (spawn → first /next)",
        "invocation",
        "target",
        "verdict",
    ]);
    for lambda in &measured {
        let verdict = verdict(lambda.peak_rss_mib() < TARGET_LAMBDA_RSS_MIB);
        table.row([
            lambda.function.to_owned(),
            lambda.records.to_string(),
            format!("{:.1} MiB", lambda.peak_rss_mib()),
            format!("{} ms", lambda.init.as_millis()),
            format!("{} ms", lambda.invocation.as_millis()),
            format!("< {TARGET_LAMBDA_RSS_MIB} MiB"),
            verdict,
        ]);
    }
    println!("{}\n", table.render());
    Ok(measured)
}

fn print_targets(runs: &[DrillRun], baseline: Option<&BaselineCounts>, lambdas: &[LambdaMemory]) {
    println!("## Targets\n");
    let mut table = Table::new(&["target", "measured", "verdict"]);
    let p50 = |label: &str| {
        runs.iter().find(|r| r.label == label).and_then(|run| {
            let overheads: Vec<f64> = run.transitions.iter().map(|t| t.overhead_seconds).collect();
            Summary::of(&overheads).map(|s| s.p50)
        })
    };
    if let Some(p50) = p50("events, scale 1") {
        table.row([
            format!(
                "transition overhead p50 ≤ {TARGET_TRANSITION_WITH_EVENTS_SECONDS} s with events"
            ),
            format!("{p50:.2} s (scale 1)"),
            verdict(p50 <= TARGET_TRANSITION_WITH_EVENTS_SECONDS),
        ]);
    }
    if let Some(p50) = p50("no events") {
        table.row([
            format!("transition overhead p50 ≤ the check interval ({CHECK_INTERVAL_SECONDS} s) without events"),
            format!("{p50:.1} s"),
            verdict(p50 <= CHECK_INTERVAL_SECONDS),
        ]);
    }
    if let (Some(baseline), Some(ours)) = (baseline, runs.iter().find(|r| r.label == "events")) {
        let ratio = ours.drs_calls() as f64 / baseline.drs_calls() as f64;
        table.row([
            format!("DRS API calls ≤ {TARGET_DRS_RATIO} × the baseline's"),
            format!(
                "{} / {} = {ratio:.2}",
                ours.drs_calls(),
                baseline.drs_calls()
            ),
            verdict(ratio <= TARGET_DRS_RATIO),
        ]);
    }
    for lambda in lambdas {
        table.row([
            format!("{} peak RSS < {TARGET_LAMBDA_RSS_MIB} MiB", lambda.function),
            format!("{:.1} MiB", lambda.peak_rss_mib()),
            verdict(lambda.peak_rss_mib() < TARGET_LAMBDA_RSS_MIB),
        ]);
    }
    println!("{}\n", table.render());
}
