//! [`LocalStack`]: moto, drs-sim, the resources, the handlers' dependencies and the pollers,
//! started together and stopped together.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_adapters::resources::{CreatedResources, Resources};
use aws_adapters::wiring::{Adapters, HostPorts, Wiring};
use aws_adapters::{
    AwsConfig, AwsSettings, DrsAdapter, ExecutionTable, JobLogEntry, LedgerTable, MotoServer,
    PlanTable, QueueRef, ReceiveOptions, ReceivedMessage, SqsQueues, TargetCredentials,
};
use drs_sim::scenario::{ClockMode, EventsConfig};
use drs_sim::{RunningSim, Scenario, SimConfig, SimControl};
use engine::{Execution, ExecutionId, JobId, Limits, Mode, ServerId};
use jiff::Timestamp;
use pipeline::message::{Message, PlanSource, QueueName};
use pipeline::ports::{Clock, ExecutionStore, Notifier, Queues, Scope};
use pipeline::{Deps, Role};
use plan::Plan;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::actions::SimulatedActions;
use crate::approvals::{ApprovalPolicy, RehearsalApprovals};
use crate::clock::SimulatedClock;
use crate::error::LocalError;
use crate::esm::{EventSourceMapping, PollerCounts, PollerStats};
use crate::event_rule;
use crate::identity;
use crate::notifications::{NotificationLog, RecordingNotifier};
use crate::options::{LocalOptions, MotoSource};
use crate::watch::{Ending, Observed, WatchOptions};

/// Who requests the executions a stack starts.
pub const REQUESTED_BY: &str = "drsctl rehearse";

/// How long shutting down waits for a poller to finish its batch before aborting it.
const POLLER_STOP_GRACE: Duration = Duration::from_secs(5);

/// The pipeline running on one machine. See the crate documentation.
#[derive(Debug)]
pub struct LocalStack {
    time_scale: f64,
    emulators: Emulators,
    deployment: Deployment,
    adapters: Adapters,
    /// The stack's own handle on the executions table, for watching: its reads must not
    /// disturb what the handlers' handle remembers of the waves it wrote.
    observer: ExecutionTable,
    rehearsal: Rehearsal,
    /// The handlers' dependencies, after [`LocalOptions::wrap_deps`].
    deps: Deps,
    pollers: Pollers,
}

/// moto and drs-sim, and where they listen.
#[derive(Debug)]
struct Emulators {
    /// `None` when moto was given ([`MotoSource::Endpoint`]) or is shut down.
    moto: Option<MotoServer>,
    moto_endpoint: String,
    sim: SimGuard,
    control: SimControl,
    sim_endpoint: String,
}

/// The orchestrator's resources in moto.
#[derive(Debug)]
struct Deployment {
    prefix: String,
    config: AwsConfig,
    resources: Resources,
    created: CreatedResources,
    rule_arn: String,
}

/// The stand-ins for what a rehearsal does not do for real, and what they saw.
#[derive(Debug)]
struct Rehearsal {
    actions: Arc<SimulatedActions>,
    approvals: Arc<RehearsalApprovals>,
    notifications: NotificationLog,
}

/// The event source mappings.
#[derive(Debug)]
struct Pollers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    stats: BTreeMap<Role, Arc<PollerStats>>,
}

impl LocalStack {
    /// Starts everything (see the crate documentation). On failure whatever was started is
    /// stopped again.
    pub async fn start(options: LocalOptions) -> Result<Self, LocalError> {
        let time_scale = options.effective_time_scale()?;
        let scope = orchestrator_scope(&options)?;
        let limits = orchestrator_limits(&options)?;
        let prefix = options.resource_prefix.clone().unwrap_or_else(|| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("drs-rehearsal-{}", &id[..8])
        });
        let LocalOptions {
            scenario,
            moto: moto_source,
            actions: action_settings,
            approvals: approval_policy,
            pollers: poller_settings,
            wrap_deps,
            ..
        } = options;

        // Dropped (so stopped) by any `?` below.
        let emulators = Emulators::start(moto_source, scenario, time_scale).await?;
        let orchestrator = identity::orchestrator_credentials(
            &emulators.moto_endpoint,
            &scope.region,
            &scope.account_id,
        )
        .await?;
        let config = AwsSettings {
            region: Some(scope.region.clone()),
            endpoint_url: Some(emulators.moto_endpoint.clone()),
            drs_endpoint_url: Some(emulators.sim_endpoint.clone()),
            credentials: Some(orchestrator),
        }
        .load()
        .await?;
        let resources = Resources::with_prefix(&prefix);
        let created = aws_adapters::create_all(&config, &resources).await?;
        let check_arn = created
            .queue_arns
            .get(&QueueName::Check)
            .cloned()
            .ok_or_else(|| LocalError::Setup("the check queue was not created".to_owned()))?;
        let rule_arn = event_rule::install(&config, &prefix, &check_arn).await?;

        let mut wiring = Wiring::of_created(&resources, &created);
        wiring.own_account_id = Some(scope.account_id.clone());
        wiring.limits = limits;
        wiring.time_scale = time_scale;
        // Rehearsals and the e2e tests run plans from files.
        wiring.inline_plans = pipeline::InlinePlans::Accepted;
        let adapters = wiring.connect(&config).await?;
        let observer = ExecutionTable::new(config.dynamodb(), &resources.executions.name);
        let clock: Arc<dyn Clock> = Arc::new(SimulatedClock::new(emulators.control.clone()));
        let rehearsal = Rehearsal {
            actions: Arc::new(SimulatedActions::new(action_settings, time_scale)),
            approvals: Arc::new(RehearsalApprovals::new(
                approval_policy,
                Arc::clone(&adapters.queues) as Arc<dyn Queues>,
            )),
            notifications: NotificationLog::new(),
        };
        // Recorded for the rehearsal's report, and published to the topic as in AWS.
        let notifier = Arc::new(RecordingNotifier::new(
            rehearsal.notifications.clone(),
            Arc::clone(&clock),
            Some(Arc::clone(&adapters.notifier) as Arc<dyn Notifier>),
        ));
        let deps = Deps {
            notifier,
            ..adapters.deps(HostPorts {
                actions: Arc::clone(&rehearsal.actions) as _,
                approvals: Arc::clone(&rehearsal.approvals) as _,
                clock,
            })
        };
        let deps = match wrap_deps {
            Some(layer) => layer(deps),
            None => deps,
        };

        let (stop, stopped) = watch::channel(false);
        let mut pollers = Pollers {
            stop,
            tasks: Vec::new(),
            stats: BTreeMap::new(),
        };
        for role in Role::ALL {
            let definition = resources.queue(role.queue()).ok_or_else(|| {
                LocalError::Setup(format!(
                    "no definition of the {} queue",
                    role.queue().as_str()
                ))
            })?;
            let stats = Arc::new(PollerStats::default());
            pollers.stats.insert(role, Arc::clone(&stats));
            for _ in 0..poller_settings.pollers_per_queue.max(1) {
                let mapping = EventSourceMapping::new(
                    role,
                    Arc::clone(&adapters.queues),
                    deps.clone(),
                    definition,
                    &poller_settings,
                    time_scale,
                    Arc::clone(&stats),
                );
                pollers
                    .tasks
                    .push(tokio::spawn(mapping.run(stopped.clone())));
            }
        }
        tracing::info!(
            moto = %emulators.moto_endpoint,
            drs = %emulators.sim_endpoint,
            account = %scope.account_id,
            region = %scope.region,
            prefix = %prefix,
            time_scale,
            "local stack started"
        );
        Ok(Self {
            time_scale,
            emulators,
            deployment: Deployment {
                prefix,
                config,
                resources,
                created,
                rule_arn,
            },
            adapters,
            observer,
            rehearsal,
            deps,
            pollers,
        })
    }

    /// Sends a `StartExecution` of `plan` (inline) to the start queue; the new execution's ID.
    /// A recovery carries the confirmation the starter asks for (this is a rehearsal).
    pub async fn start_execution(
        &self,
        plan: &Plan,
        mode: Mode,
    ) -> Result<ExecutionId, LocalError> {
        let id = ExecutionId::new(format!("rehearsal-{}", uuid::Uuid::new_v4().simple()));
        let message = Message::StartExecution {
            execution_id: Some(id.clone()),
            plan: PlanSource::Inline { plan: plan.clone() },
            mode,
            confirm: (mode == Mode::Recovery).then(|| engine::RECOVERY_CONFIRMATION.to_owned()),
            requested_by: REQUESTED_BY.to_owned(),
        };
        self.adapters
            .queues
            .send(QueueName::Start, &message, 0)
            .await
            .map_err(|e| LocalError::port("sending the StartExecution message", e))?;
        Ok(id)
    }

    /// [`Self::start_execution`] of a drill.
    pub async fn start_drill(&self, plan: &Plan) -> Result<ExecutionId, LocalError> {
        self.start_execution(plan, Mode::Drill).await
    }

    /// Starts an execution of `plan` and watches it to its end ([`Self::start_execution`]
    /// then [`Self::watch`] without an observer).
    pub async fn run(
        &self,
        plan: &Plan,
        mode: Mode,
        options: WatchOptions,
    ) -> Result<(ExecutionId, Ending), LocalError> {
        let id = self.start_execution(plan, mode).await?;
        let ending = self.watch(&id, options, |_| {}).await?;
        Ok((id, ending))
    }

    /// Sends `message` to `queue` after `delay_seconds` of simulated time.
    pub async fn send(
        &self,
        queue: QueueName,
        message: &Message,
        delay_seconds: u32,
    ) -> Result<(), LocalError> {
        self.adapters
            .queues
            .send(queue, message, delay_seconds)
            .await
            .map_err(|e| LocalError::port(format!("sending to the {} queue", queue.as_str()), e))
    }

    /// Sends a raw `body` (anything, e.g. a malformed message) to `queue`; its message ID.
    pub async fn send_raw(&self, queue: QueueName, body: &str) -> Result<String, LocalError> {
        self.adapters
            .queues
            .send_body(QueueRef::Main(queue), body, 0)
            .await
            .map_err(|e| LocalError::port(format!("sending to the {} queue", queue.as_str()), e))
    }

    /// The execution as stored now.
    pub async fn execution(&self, id: &ExecutionId) -> Result<Option<Execution>, LocalError> {
        self.observer
            .load(id)
            .await
            .map(|found| found.map(|(execution, _version)| execution))
            .map_err(|e| LocalError::port(format!("loading execution {id}"), e))
    }

    /// Follows execution `id` until it ends, is paused for an approval that
    /// [`ApprovalPolicy::Never`] never gives, or `options.limit` (real time) passes. Calls
    /// `observe` after every read of the execution.
    pub async fn watch(
        &self,
        id: &ExecutionId,
        options: WatchOptions,
        mut observe: impl FnMut(Observed<'_>),
    ) -> Result<Ending, LocalError> {
        let deadline = Instant::now() + options.limit;
        let mut last: Option<Execution> = None;
        loop {
            match self.execution(id).await {
                Ok(Some(execution)) => {
                    let changed = last.as_ref() != Some(&execution);
                    observe(Observed {
                        execution: &execution,
                        changed,
                        now: self.now(),
                    });
                    if execution.status.is_terminal() {
                        return Ok(Ending::Finished(execution));
                    }
                    if execution.status == engine::ExecutionStatus::AwaitingApproval
                        && self.rehearsal.approvals.policy() == ApprovalPolicy::Never
                    {
                        return Ok(Ending::AwaitingApproval(execution));
                    }
                    last = Some(execution);
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "reading the execution failed; retrying"),
            }
            if Instant::now() >= deadline {
                return Ok(Ending::LimitReached(last));
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }

    /// The handlers' dependencies (after [`LocalOptions::wrap_deps`]).
    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    /// drs-sim's in-process control (jobs, counters, events, clock).
    pub fn sim(&self) -> &SimControl {
        &self.emulators.control
    }

    /// drs-sim's endpoint (`http://127.0.0.1:PORT`).
    pub fn sim_endpoint(&self) -> &str {
        &self.emulators.sim_endpoint
    }

    /// moto's endpoint.
    pub fn moto_endpoint(&self) -> &str {
        &self.emulators.moto_endpoint
    }

    /// The moto server this stack started (`None` with [`MotoSource::Endpoint`]).
    pub fn moto(&self) -> Option<&MotoServer> {
        self.emulators.moto.as_ref()
    }

    /// The simulated time now.
    pub fn now(&self) -> Timestamp {
        self.emulators.control.now()
    }

    /// Simulated seconds per real second.
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// The orchestrator's account and region (where its resources live).
    pub fn scope(&self) -> &Scope {
        &self.adapters.config.own_scope
    }

    /// The prefix of every resource name.
    pub fn resource_prefix(&self) -> &str {
        &self.deployment.prefix
    }

    /// The AWS configuration of the orchestrator (moto, drs-sim, its credentials).
    pub fn aws_config(&self) -> &AwsConfig {
        &self.deployment.config
    }

    /// The resource definitions in use.
    pub fn resources(&self) -> &Resources {
        &self.deployment.resources
    }

    /// Queue URLs and ARNs, the topic's ARN.
    pub fn created_resources(&self) -> &CreatedResources {
        &self.deployment.created
    }

    /// The ARN of the EventBridge rule routing launch results to the check queue.
    pub fn event_rule_arn(&self) -> &str {
        &self.deployment.rule_arn
    }

    /// The queues (time-scaled delays; receive, delete, dead-letter queues).
    pub fn queues(&self) -> &Arc<SqsQueues> {
        &self.adapters.queues
    }

    /// The executions table the handlers use.
    pub fn executions(&self) -> &Arc<ExecutionTable> {
        &self.adapters.executions
    }

    /// The plans table.
    pub fn plans(&self) -> &Arc<PlanTable> {
        &self.adapters.plans
    }

    /// The job ledger table.
    pub fn ledger(&self) -> &Arc<LedgerTable> {
        &self.adapters.ledger
    }

    /// The DRS adapter (job logs, terminations).
    pub fn drs(&self) -> &Arc<DrsAdapter> {
        &self.adapters.drs
    }

    /// The per-target credentials (assumed roles).
    pub fn credentials(&self) -> &Arc<TargetCredentials> {
        &self.adapters.credentials
    }

    /// The simulated actions (what ran, with what result).
    pub fn actions(&self) -> &Arc<SimulatedActions> {
        &self.rehearsal.actions
    }

    /// The approvals (what was asked).
    pub fn approvals(&self) -> &Arc<RehearsalApprovals> {
        &self.rehearsal.approvals
    }

    /// The notifications emitted so far.
    pub fn notifications(&self) -> &NotificationLog {
        &self.rehearsal.notifications
    }

    /// What each queue's pollers did so far.
    pub fn poller_stats(&self) -> BTreeMap<Role, PollerCounts> {
        self.pollers
            .stats
            .iter()
            .map(|(role, stats)| (*role, stats.snapshot()))
            .collect()
    }

    /// The messages in `queue`'s dead-letter queue (read without consuming them: they stay
    /// visible), at most `max` (≤ 10 per receive; several receives are made).
    pub async fn dead_letters(
        &self,
        queue: QueueName,
        max: usize,
    ) -> Result<Vec<ReceivedMessage>, LocalError> {
        let mut found: BTreeMap<String, ReceivedMessage> = BTreeMap::new();
        // SQS returns a sample of the queue per receive; a few receives see them all.
        for _ in 0..5 {
            let batch = self
                .adapters
                .queues
                .receive(
                    QueueRef::DeadLetter(queue),
                    ReceiveOptions {
                        max_messages: 10,
                        wait_seconds: 0,
                        visibility_timeout_seconds: Some(0),
                    },
                )
                .await
                .map_err(|e| {
                    LocalError::port(
                        format!("reading the {} dead-letter queue", queue.as_str()),
                        e,
                    )
                })?;
            if batch.is_empty() {
                break;
            }
            for message in batch {
                found.entry(message.message_id.clone()).or_insert(message);
            }
            if found.len() >= max {
                break;
            }
        }
        Ok(found.into_values().take(max).collect())
    }

    /// Why each failed server of `execution` failed, as its job's log says (the failing event
    /// and DRS's `rawError`), for the servers whose job log could be read.
    pub async fn launch_failures(&self, execution: &Execution) -> BTreeMap<ServerId, String> {
        let mut logs: BTreeMap<JobId, Vec<JobLogEntry>> = BTreeMap::new();
        let mut failures = BTreeMap::new();
        for server in execution.waves.iter().flat_map(|wave| &wave.servers) {
            let Some(job) = server
                .job_id
                .as_ref()
                .filter(|_| server.launch_status.is_failure())
            else {
                continue;
            };
            if !logs.contains_key(job) {
                let Ok((target, _scope)) = self.deps.target(execution, server.target.as_deref())
                else {
                    continue;
                };
                match self.adapters.drs.describe_job_log_items(target, job).await {
                    Ok(entries) => {
                        logs.insert(job.clone(), entries);
                    }
                    Err(error) => {
                        tracing::warn!(%job, %error, "reading the job log failed");
                        continue;
                    }
                }
            }
            let entry = logs.get(job).and_then(|entries| {
                entries.iter().rev().find(|e| {
                    e.source_server_id.as_deref() == Some(server.id.as_str())
                        && (e.event.ends_with("_FAIL") || e.event.ends_with("_FAILED"))
                })
            });
            if let Some(entry) = entry {
                let text = match &entry.raw_error {
                    Some(error) => format!("{}: {error}", entry.event),
                    None => entry.event.clone(),
                };
                failures.insert(server.id.clone(), text);
            }
        }
        failures
    }

    /// Every launch job drs-sim ran (deleted ones included): its ID and its servers.
    pub fn launch_jobs(&self) -> Vec<(String, Vec<String>)> {
        let jobs = self.emulators.control.jobs();
        let list = jobs
            .get("jobs")
            .and_then(|j| j.as_array())
            .cloned()
            .unwrap_or_default();
        list.iter()
            .filter(|job| job.get("type").and_then(|t| t.as_str()) == Some("LAUNCH"))
            .map(|job| {
                let id = job
                    .get("jobID")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                let servers = job
                    .get("participatingServers")
                    .and_then(|s| s.as_array())
                    .map(|servers| {
                        servers
                            .iter()
                            .filter_map(|s| s.get("sourceServerID").and_then(|v| v.as_str()))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                (id, servers)
            })
            .collect()
    }

    /// Stops the pollers (a batch in progress is finished, within a few seconds), then
    /// drs-sim (its queued events are delivered), then moto if this stack started it.
    pub async fn shutdown(mut self) {
        let _ = self.pollers.stop.send(true);
        for mut poller in std::mem::take(&mut self.pollers.tasks) {
            if tokio::time::timeout(POLLER_STOP_GRACE, &mut poller)
                .await
                .is_err()
            {
                poller.abort();
            }
        }
        if let Some(sim) = self.emulators.sim.0.take() {
            if let Err(error) = sim.shutdown().await {
                tracing::warn!(%error, "drs-sim did not stop cleanly");
            }
        }
        if let Some(moto) = self.emulators.moto.take() {
            tokio::task::spawn_blocking(move || drop(moto)).await.ok();
        }
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let _ = self.pollers.stop.send(true);
        for poller in &self.pollers.tasks {
            poller.abort();
        }
        // `sim` and `moto` stop in their own drops.
    }
}

/// Stops drs-sim when dropped without an orderly shutdown (a failed start, a panic).
#[derive(Debug)]
struct SimGuard(Option<RunningSim>);

impl Drop for SimGuard {
    fn drop(&mut self) {
        if let Some(sim) = self.0.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = sim.shutdown().await;
                });
            }
        }
    }
}

impl Emulators {
    /// Starts (or connects to) moto, then drs-sim with `scenario` as the stack runs it.
    async fn start(
        moto_source: MotoSource,
        scenario: Scenario,
        time_scale: f64,
    ) -> Result<Self, LocalError> {
        let (moto, moto_endpoint) = match moto_source {
            MotoSource::Endpoint(url) => (None, url.trim_end_matches('/').to_owned()),
            MotoSource::Start => {
                let server = tokio::task::spawn_blocking(MotoServer::start)
                    .await
                    .map_err(|e| LocalError::Setup(format!("starting moto: {e}")))??;
                let url = server.endpoint_url();
                (Some(server), url)
            }
        };
        let scenario = prepare_scenario(scenario, time_scale, &moto_endpoint);
        let running = drs_sim::serve(SimConfig::local(scenario)).await?;
        Ok(Self {
            moto,
            moto_endpoint,
            control: running.control(),
            sim_endpoint: running.endpoint_url(),
            sim: SimGuard(Some(running)),
        })
    }
}

/// The orchestrator's account and region: as given, else the scenario's first account and
/// its first region.
fn orchestrator_scope(options: &LocalOptions) -> Result<Scope, LocalError> {
    let scenario = &options.scenario;
    let first = scenario.accounts.first();
    let account_id = match (&options.account_id, first) {
        (Some(account), _) => account.clone(),
        (None, Some(account)) => account.id.clone(),
        (None, None) => {
            return Err(LocalError::Setup(
                "the scenario has no account: give the orchestrator's account".to_owned(),
            ));
        }
    };
    let region = match &options.region {
        Some(region) => region.clone(),
        None => scenario
            .account(&account_id)
            .and_then(|a| a.regions.first().cloned())
            .unwrap_or_else(|| drs_sim::scenario::DEFAULT_REGION.to_owned()),
    };
    Ok(Scope { account_id, region })
}

/// The orchestrator's DRS quotas: as given, else the scenario's.
fn orchestrator_limits(options: &LocalOptions) -> Result<Limits, LocalError> {
    let limits = options.limits.unwrap_or_else(|| {
        let quotas = options.scenario.quotas;
        Limits {
            servers_per_job: quotas.max_servers_per_job.min(Limits::MAX_SERVERS_PER_JOB),
            concurrent_jobs: quotas.max_concurrent_jobs,
            servers_in_active_jobs: quotas.max_servers_in_active_jobs,
        }
    });
    let problems = limits.problems();
    if problems.is_empty() {
        Ok(limits)
    } else {
        Err(LocalError::Setup(format!(
            "the orchestrator's DRS limits are unusable: {}",
            problems.join("; ")
        )))
    }
}

/// The scenario as the stack runs it: its clock at `time_scale`, its events sent to moto,
/// its STS (if it resolves accounts with one) at moto.
fn prepare_scenario(mut scenario: Scenario, time_scale: f64, moto_endpoint: &str) -> Scenario {
    scenario.clock.mode = ClockMode::Scaled { time_scale };
    let drop_ratio = scenario.events.as_ref().map_or(0.0, |e| e.drop_ratio);
    scenario.events = Some(EventsConfig {
        endpoint: moto_endpoint.to_owned(),
        drop_ratio,
        event_bus_name: None,
    });
    if scenario.sts_endpoint.is_some() {
        scenario.sts_endpoint = Some(moto_endpoint.to_owned());
    }
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
clock: { manual: true }
accounts:
  "444455556666": { access_keys: ["*"], regions: [eu-west-1, us-east-1] }
sts_endpoint: http://127.0.0.1:5000
quotas: { max_servers_per_job: 50, max_concurrent_jobs: 4, max_servers_in_active_jobs: 120 }
events: { endpoint: "http://127.0.0.1:9", drop_ratio: 0.3 }
"#;

    fn options() -> LocalOptions {
        LocalOptions::new(Scenario::from_yaml_str(SCENARIO, "test.yaml").unwrap())
    }

    #[test]
    fn the_orchestrator_lives_in_the_scenarios_first_account_and_region() {
        let scope = orchestrator_scope(&options()).unwrap();
        assert_eq!(scope.account_id, "444455556666");
        assert_eq!(scope.region, "eu-west-1");
        let mut given = options();
        given.account_id = Some("111122223333".into());
        given.region = Some("us-west-2".into());
        let scope = orchestrator_scope(&given).unwrap();
        assert_eq!(
            (scope.account_id.as_str(), scope.region.as_str()),
            ("111122223333", "us-west-2")
        );
    }

    #[test]
    fn the_limits_follow_the_scenarios_quotas() {
        let limits = orchestrator_limits(&options()).unwrap();
        assert_eq!(
            (
                limits.servers_per_job,
                limits.concurrent_jobs,
                limits.servers_in_active_jobs
            ),
            (50, 4, 120)
        );
        let mut unusable = options();
        unusable.limits = Some(Limits {
            servers_per_job: 100,
            concurrent_jobs: 0,
            servers_in_active_jobs: 500,
        });
        assert!(orchestrator_limits(&unusable).is_err());
    }

    #[test]
    fn the_scenario_runs_scaled_with_events_and_sts_at_moto() {
        let options = options();
        assert!(
            options.effective_time_scale().is_err(),
            "a manual clock needs a time scale"
        );
        let options = options.with_time_scale(90.0);
        assert_eq!(options.effective_time_scale().unwrap(), 90.0);
        let scenario = prepare_scenario(options.scenario, 90.0, "http://127.0.0.1:4242");
        assert_eq!(scenario.clock.mode, ClockMode::Scaled { time_scale: 90.0 });
        let events = scenario.events.unwrap();
        assert_eq!(events.endpoint, "http://127.0.0.1:4242");
        assert_eq!(events.drop_ratio, 0.3);
        assert_eq!(
            scenario.sts_endpoint.as_deref(),
            Some("http://127.0.0.1:4242")
        );
    }
}
