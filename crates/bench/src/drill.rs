//! One benchmark drill: a plan run to its end on a fresh [`LocalStack`] (its own moto, its
//! own drs-sim), with the handlers' ports counted and drs-sim's view of the jobs collected.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use std::sync::Arc;

use aws_adapters::MotoServer;
use drs_sim::Scenario;
use drs_sim::scenario::EventsConfig;
use engine::{ExecutionReport, ExecutionStatus, WavePhase};
use local_stack::{Ending, LocalOptions, LocalStack, Observed, PollerCounts, WatchOptions};
use pipeline::Role;
use plan::Plan;
use serde_json::Value;

use crate::counting::{self, CallCounter, CallCounts};
use crate::error::BenchError;
use crate::handler_timing::{HandlerTimings, Latencies};
use crate::moto_front::MotoFront;
use crate::transitions::{self, Transition, WaveTimes};

/// What to run.
#[derive(Debug, Clone)]
pub struct DrillSpec {
    /// A short name for the output.
    pub label: String,
    /// The plan (run as a drill).
    pub plan: Plan,
    /// The DRS scenario.
    pub scenario: Scenario,
    /// Share of Launch Result events drs-sim drops (1.0 = no events at all).
    pub drop_ratio: f64,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Give up after this much real time.
    pub limit: Duration,
}

/// What one drill measured.
#[derive(Debug, Clone)]
pub struct DrillRun {
    /// The spec's label.
    pub label: String,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Share of events dropped.
    pub drop_ratio: f64,
    /// The execution's final report.
    pub report: ExecutionReport,
    /// Real seconds from the start message to the end.
    pub real_seconds: f64,
    /// DRS requests per operation (drs-sim's counters).
    pub drs_requests: BTreeMap<String, u64>,
    /// DRS errors per error type (drs-sim's counters).
    pub drs_errors: BTreeMap<String, u64>,
    /// Launch Result events drs-sim delivered with `PutEvents` (to the pass-through in front
    /// of moto, which sends each to the check queue: see [`crate::moto_front`]).
    pub events_sent: u64,
    /// Launch Result events dropped on purpose.
    pub events_dropped: u64,
    /// Launch Result events drs-sim could not deliver (moto refused or timed out).
    pub events_failed: u64,
    /// The handlers' DynamoDB and SQS calls, by purpose.
    pub calls: CallCounts,
    /// Every AWS request of the drill by `service.Operation` (from the start message to the
    /// end; the benchmark's own progress reads excluded: `dynamodb.Query` counts them, see
    /// [`DrillRun::progress_reads`]).
    pub aws_requests: BTreeMap<String, u64>,
    /// The benchmark's own reads of the execution (each one `dynamodb.Query`).
    pub progress_reads: u64,
    /// Launch Result events delivered to the check queue (see [`crate::moto_front`]).
    pub routed_events: u64,
    /// What each queue's poller did (one batch = one Lambda invocation).
    pub pollers: BTreeMap<Role, PollerCounts>,
    /// Each wave as DRS saw it.
    pub waves: Vec<WaveTimes>,
    /// The transitions between waves.
    pub transitions: Vec<Transition>,
    /// Handler latencies.
    pub latencies: Latencies,
}

impl DrillRun {
    /// Servers in the plan's waves.
    pub fn servers(&self) -> u64 {
        self.report.totals.servers as u64
    }

    /// The drill's simulated duration in hours (request to end).
    pub fn drill_hours(&self) -> f64 {
        self.report.duration_seconds.unwrap_or(0) as f64 / 3600.0
    }

    /// Every DRS request.
    pub fn drs_calls(&self) -> u64 {
        self.drs_requests.values().sum()
    }

    /// DRS requests of `operation`.
    pub fn drs(&self, operation: &str) -> u64 {
        self.drs_requests.get(operation).copied().unwrap_or(0)
    }

    /// Lambda invocations (batches) of every role.
    pub fn invocations(&self) -> u64 {
        self.pollers.values().map(|p| p.batches).sum()
    }

    /// AWS requests of `operation` (`sqs.SendMessage`…).
    pub fn aws(&self, operation: &str) -> u64 {
        self.aws_requests.get(operation).copied().unwrap_or(0)
    }

    /// SQS messages sent: by the handlers, by the rule (one per delivered event), and the
    /// one start request (`SendMessage` requests; nothing sends batches).
    pub fn sqs_messages(&self) -> u64 {
        self.aws("sqs.SendMessage") + self.aws("sqs.SendMessageBatch")
    }

    /// DynamoDB write requests.
    pub fn dynamo_writes(&self) -> u64 {
        [
            "dynamodb.TransactWriteItems",
            "dynamodb.PutItem",
            "dynamodb.UpdateItem",
            "dynamodb.DeleteItem",
            "dynamodb.BatchWriteItem",
        ]
        .iter()
        .map(|op| self.aws(op))
        .sum()
    }
}

/// Runs `spec` to its end; `timings` must be fed by the installed tracing subscriber.
pub async fn run(spec: DrillSpec, timings: &HandlerTimings) -> Result<DrillRun, BenchError> {
    let DrillSpec {
        label,
        plan,
        mut scenario,
        drop_ratio,
        time_scale,
        limit,
    } = spec;
    let failed = |message: String| BenchError::Run {
        run: label.clone(),
        message,
    };
    // The local stack points the events at its moto and keeps the drop ratio.
    scenario.events = Some(EventsConfig {
        endpoint: "http://127.0.0.1:9".to_owned(),
        drop_ratio,
        event_bus_name: None,
    });
    let moto = tokio::task::spawn_blocking(MotoServer::start)
        .await
        .map_err(|e| failed(format!("starting moto: {e}")))?
        .map_err(local_stack::LocalError::from)?;
    let front = MotoFront::start(&moto.endpoint_url())
        .await
        .map_err(|e| failed(format!("starting the pass-through in front of moto: {e}")))?;
    let counter = CallCounter::default();
    let layer_counter = counter.clone();
    let options = LocalOptions::new(scenario)
        .with_time_scale(time_scale)
        .with_moto_endpoint(front.endpoint_url())
        .with_deps_layer(move |deps| counting::instrument(deps, &layer_counter));
    let stack = LocalStack::start(options).await?;
    front.route_launch_results(Arc::clone(stack.queues()));
    timings.take();
    front.take_counts();

    let started = Instant::now();
    let id = stack.start_drill(&plan).await?;
    let mut progress = Progress::new(&label, plan.waves.len(), started);
    let watch = WatchOptions {
        limit,
        // Reading the execution competes with the handlers for moto: not too often.
        poll_interval: Duration::from_millis(500),
    };
    let ending = stack
        .watch(&id, watch, |observed| progress.observe(observed))
        .await;
    let real_seconds = started.elapsed().as_secs_f64();
    let latencies = timings.take();
    let aws_requests = front.take_counts();
    let routed_events = front.routed_events();
    let progress_reads = progress.reads;
    let collected = collect(&stack);
    stack.shutdown().await;
    drop(front);
    tokio::task::spawn_blocking(move || drop(moto)).await.ok();
    let execution = match ending? {
        Ending::Finished(execution) => execution,
        other => {
            return Err(failed(format!(
                "the drill did not finish within {limit:?}: {:?}",
                other.execution().map(|e| e.status)
            )));
        }
    };
    let report = execution.report();
    if report.status != ExecutionStatus::Completed {
        return Err(failed(format!(
            "the drill ended {:?}, not COMPLETED: {:?}",
            report.status,
            report
                .waves
                .iter()
                .filter_map(|w| w.failure.clone())
                .collect::<Vec<_>>()
        )));
    }
    let (counters, jobs_overview, events, pollers) = collected;
    let jobs = transitions::launch_jobs(&jobs_overview)?;
    let last_results = transitions::last_results(&events)?;
    let waves = transitions::wave_times(&report, &jobs, &last_results)?;
    let transitions = transitions::transitions(&waves);
    Ok(DrillRun {
        label,
        time_scale,
        drop_ratio,
        real_seconds,
        drs_requests: counter_map(&counters, "requests"),
        drs_errors: counter_map(&counters, "errors"),
        events_sent: counters["events_sent"].as_u64().unwrap_or(0),
        events_dropped: counters["events_dropped"].as_u64().unwrap_or(0),
        events_failed: counters["events_failed"].as_u64().unwrap_or(0),
        calls: counter.snapshot(),
        aws_requests,
        progress_reads,
        routed_events,
        pollers,
        waves,
        transitions,
        latencies,
        report,
    })
}

type Collected = (
    Value,
    Value,
    Vec<drs_sim::EventRecord>,
    BTreeMap<Role, PollerCounts>,
);

fn collect(stack: &LocalStack) -> Collected {
    let sim = stack.sim();
    (
        sim.counters(),
        sim.jobs(),
        sim.events(),
        stack.poller_stats(),
    )
}

fn counter_map(counters: &Value, key: &str) -> BTreeMap<String, u64> {
    counters
        .get(key)
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(name, n)| (name.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Prints a line when a wave ends, and a heartbeat every 15 s of real time.
struct Progress<'a> {
    label: &'a str,
    waves: usize,
    started: Instant,
    ended: usize,
    last_line: Instant,
    reads: u64,
}

impl<'a> Progress<'a> {
    fn new(label: &'a str, waves: usize, started: Instant) -> Self {
        Self {
            label,
            waves,
            started,
            ended: 0,
            last_line: started,
            reads: 0,
        }
    }

    fn observe(&mut self, observed: Observed<'_>) {
        self.reads += 1;
        let execution = observed.execution;
        let ended = execution
            .waves
            .iter()
            .filter(|w| matches!(w.phase, WavePhase::Ended { .. }))
            .count();
        let heartbeat = self.last_line.elapsed() >= Duration::from_secs(15);
        if ended == self.ended && !heartbeat {
            return;
        }
        self.ended = ended;
        self.last_line = Instant::now();
        let simulated = observed
            .now
            .duration_since(execution.requested_at)
            .as_secs_f64();
        let current = execution.waves.get(execution.current_wave);
        let terminal = current.map_or(0, |w| {
            w.servers
                .iter()
                .filter(|s| s.launch_status.is_terminal())
                .count()
        });
        let servers = current.map_or(0, |w| w.servers.len());
        println!(
            "  [{}] {:>5.1} s real, {:>6.0} s simulated: {ended}/{} waves ended; wave {} {:?}, {terminal}/{servers} servers terminal",
            self.label,
            self.started.elapsed().as_secs_f64(),
            simulated,
            self.waves,
            execution.current_wave + 1,
            current.map(|w| w.phase),
        );
    }
}
