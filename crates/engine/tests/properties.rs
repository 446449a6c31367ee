//! Property tests: random plans run against a small simulated DRS and pipeline (queues with
//! delays, duplicated and reordered deliveries, dropped events, Lambdas crashing before or
//! after saving, throttling, quota and conflict rejections, failing servers, cancels and
//! timeouts), checking the engine's safety and liveness properties on every decision.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{EXEC, request, sid, t};
use engine::chunk::split;
use engine::{
    ActionResult, Command, Event, Execution, ExecutionStatus, Input, JobId, JobSnapshot, JobStatus,
    LaunchEvent, LaunchResult, LaunchStatus, Limits, Mode, Observation, Rejection,
    ResolutionOutcome, ResolvedTarget, ServerId, ServerSnapshot, StartRecovery, StartRequestId,
    Wake, WaveOutcome, WavePhase, WaveResolution,
};
use plan::{Plan, ProtectionGroup, Wave};
use proptest::prelude::*;

/// Most deliveries one execution may take: far above what a run needs, so a run that does
/// not end is caught.
const MAX_STEPS: usize = 50_000;

/// SQS visibility timeout: when a message whose handler crashed comes back.
const REDELIVERY_SECONDS: i64 = 30;

// ---------------------------------------------------------------------------------------------
// Scenarios.

#[derive(Debug, Clone)]
struct WaveSpec {
    servers: usize,
    optional_percent: u32,
    timeout_minutes: u32,
    pause_before: bool,
    pre_actions: usize,
    post_actions: usize,
}

/// How the simulated world misbehaves, in chances per mille.
#[derive(Debug, Clone)]
struct Behaviour {
    server_fails: u32,
    throttled: u32,
    quota_exceeded: u32,
    invalid_request: u32,
    conflict_job_unknown: u32,
    duplicated: u32,
    event_dropped: u32,
    crash: u32,
    action_fails: u32,
    resolution_fails: u32,
    /// A later wave's selection (its tags) also matches servers of earlier waves.
    overlapping_selection: u32,
    cancel_at: Option<i64>,
    foreign_jobs: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    waves: Vec<WaveSpec>,
    limits: Limits,
    check_interval_seconds: u32,
    mode: Mode,
    cleanup_hours: u32,
    behaviour: Behaviour,
    seed: u64,
}

fn wave_spec(max_servers: usize) -> impl Strategy<Value = WaveSpec> {
    (
        // Mostly small waves (fast cases), up to the largest regularly.
        prop_oneof![3 => 1..=max_servers.min(20), 1 => 1..=max_servers],
        prop_oneof![Just(0u32), 0u32..=100],
        prop::sample::select(vec![5u32, 10, 20, 45]),
        prop::bool::weighted(0.2),
        0usize..=2,
        0usize..=2,
    )
        .prop_map(
            |(
                servers,
                optional_percent,
                timeout_minutes,
                pause_before,
                pre_actions,
                post_actions,
            )| {
                WaveSpec {
                    servers,
                    optional_percent,
                    timeout_minutes,
                    pause_before,
                    pre_actions,
                    post_actions,
                }
            },
        )
}

/// A chance per mille: usually zero, sometimes up to `max`.
fn chance(max: u32) -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(0u32), 1 => 1..=max]
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    (
        (
            chance(100),
            chance(300),
            chance(200),
            chance(5),
            chance(500),
            chance(300),
        ),
        (
            chance(500),
            chance(100),
            chance(50),
            chance(20),
            chance(1000),
        ),
        prop::option::weighted(0.2, 0i64..=3_600),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(
                (
                    server_fails,
                    throttled,
                    quota_exceeded,
                    invalid_request,
                    conflict_job_unknown,
                    duplicated,
                ),
                (event_dropped, crash, action_fails, resolution_fails, overlapping_selection),
                cancel_at,
                foreign_jobs,
            )| Behaviour {
                server_fails,
                throttled,
                quota_exceeded,
                invalid_request,
                conflict_job_unknown,
                duplicated,
                event_dropped,
                crash,
                action_fails,
                resolution_fails,
                overlapping_selection,
                cancel_at,
                foreign_jobs,
            },
        )
}

/// A scenario of 1-5 waves and up to 300 servers.
fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_of_at_most(300)
}

/// A scenario of 1-5 waves and up to `servers` servers in all.
fn scenario_of_at_most(servers: usize) -> impl Strategy<Value = Scenario> {
    (1usize..=5)
        .prop_flat_map(move |waves| prop::collection::vec(wave_spec(servers / waves), waves))
        .prop_flat_map(|waves| {
            let largest = waves.iter().map(|w| w.servers).max().unwrap_or(1);
            // At most ~40 chunks per wave keeps a case fast; 1 server per job still happens.
            let smallest_job = u32::try_from(largest.div_ceil(40)).unwrap();
            (
                Just(waves),
                (smallest_job..=100u32, 1u32..=20, 0u32..=400),
                prop::sample::select(vec![5u32, 30, 120, 900]),
                prop::bool::weighted(0.8),
                0u32..=4,
                behaviour(),
                any::<u64>(),
            )
        })
        .prop_map(
            |(
                waves,
                (per_job, concurrent, extra),
                interval,
                drill,
                cleanup_hours,
                behaviour,
                seed,
            )| {
                Scenario {
                    waves,
                    limits: Limits {
                        servers_per_job: per_job,
                        concurrent_jobs: concurrent,
                        servers_in_active_jobs: per_job + extra,
                    },
                    check_interval_seconds: interval,
                    mode: if drill { Mode::Drill } else { Mode::Recovery },
                    cleanup_hours,
                    behaviour,
                    seed,
                }
            },
        )
}

impl Scenario {
    fn plan(&self) -> Plan {
        let mut plan = common::plan(&[]);
        plan.defaults.check_interval_seconds = self.check_interval_seconds;
        plan.defaults.drill_cleanup_after_hours = self.cleanup_hours;
        let mut next = 1;
        for (i, spec) in self.waves.iter().enumerate() {
            let servers: Vec<String> = (next..next + spec.servers).map(sid).collect();
            next += spec.servers;
            let optional = servers
                .iter()
                .enumerate()
                .filter(|(k, _)| (k * 37 % 100) < spec.optional_percent as usize)
                .map(|(_, s)| s.clone())
                .collect();
            plan.protection_groups.insert(
                format!("g{i}"),
                ProtectionGroup {
                    target: None,
                    servers,
                    tags: BTreeMap::new(),
                },
            );
            plan.waves.push(Wave {
                name: format!("w{i}"),
                groups: vec![format!("g{i}")],
                rto_minutes: None,
                timeout_minutes: Some(spec.timeout_minutes),
                pause_before: spec.pause_before,
                optional_servers: optional,
                pre_actions: vec![common::lambda("pre"); spec.pre_actions],
                post_actions: vec![common::lambda("post"); spec.post_actions],
            });
        }
        plan
    }
}

// ---------------------------------------------------------------------------------------------
// A deterministic random source for the simulated world.

#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn chance(&mut self, per_mille: u32) -> bool {
        self.next() % 1_000 < u64::from(per_mille)
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + i64::try_from(self.next() % u64::try_from(high - low + 1).unwrap()).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// The simulated DRS: jobs whose servers launch at planned times.

#[derive(Debug, Clone)]
struct SimServer {
    id: ServerId,
    launch_at: i64,
    outcome: LaunchStatus,
}

#[derive(Debug, Clone)]
struct SimJob {
    id: JobId,
    /// The request tag; `None` for a job someone else started.
    tag: Option<StartRequestId>,
    created: i64,
    complete_at: i64,
    servers: Vec<SimServer>,
}

impl SimJob {
    fn status(&self, now: i64) -> JobStatus {
        if now >= self.complete_at {
            JobStatus::Completed
        } else if now >= self.created + 2 {
            JobStatus::Started
        } else {
            JobStatus::Pending
        }
    }

    fn launch_status(&self, server: &SimServer, now: i64) -> LaunchStatus {
        if now >= server.launch_at {
            server.outcome
        } else if now >= self.created + 2 {
            LaunchStatus::InProgress
        } else {
            LaunchStatus::Pending
        }
    }

    fn snapshot(&self, now: i64) -> JobSnapshot {
        JobSnapshot {
            job_id: self.id.clone(),
            status: self.status(now),
            ended_at: (now >= self.complete_at).then(|| t(self.complete_at)),
            servers: self
                .servers
                .iter()
                .map(|s| {
                    let launch_status = self.launch_status(s, now);
                    ServerSnapshot {
                        server_id: s.id.clone(),
                        launch_status,
                        recovery_instance_id: (launch_status == LaunchStatus::Launched)
                            .then(|| format!("i-{}", s.id)),
                    }
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pipeline: queues, Lambdas that crash, and the checks of every property.

#[derive(Debug, Clone, PartialEq)]
enum Message {
    Request,
    Event(Event),
    /// A check message: the checker describes the wave's jobs when it arrives.
    Check {
        wave: usize,
        attempt: u32,
        token: engine::Token,
    },
    /// What a Lambda got back from a command it carried out for `origin` (a job ID, a
    /// rejection, a snapshot), fed back in the same invocation: if that invocation dies, SQS
    /// redelivers `origin`, not the answer.
    Answer {
        event: Event,
        origin: Box<Message>,
    },
}

/// Where a Lambda dies.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Crash {
    BeforeSave,
    /// After the save, having carried out this many commands.
    AfterSave(usize),
}

/// One decision, for comparing two runs.
#[derive(Debug, Clone, PartialEq)]
struct Decision {
    at: i64,
    input: Option<Event>,
    commands: Vec<Command>,
}

struct Sim {
    scenario: Scenario,
    plan: Plan,
    rng: Rng,
    now: i64,
    state: Option<Execution>,
    queue: BTreeMap<(i64, u64), Message>,
    seq: u64,
    jobs: Vec<SimJob>,
    /// Position of each job in `jobs`.
    job_index: BTreeMap<JobId, usize>,
    action_results: BTreeMap<String, ActionResult>,
    /// Every decision, when asked to keep them.
    decisions: Option<Vec<Decision>>,
    finishes: usize,
    /// Checks that launch events pulled in.
    pulled_in: usize,
    steps: usize,
}

impl Sim {
    /// A simulation that keeps every decision, to compare runs.
    fn recording(scenario: Scenario) -> Self {
        let mut sim = Self::new(scenario);
        sim.decisions = Some(Vec::new());
        sim
    }

    fn new(scenario: Scenario) -> Self {
        let plan = scenario.plan();
        let rng = Rng(scenario.seed);
        let mut sim = Self {
            scenario,
            plan,
            rng,
            now: 0,
            state: None,
            queue: BTreeMap::new(),
            seq: 0,
            jobs: Vec::new(),
            job_index: BTreeMap::new(),
            action_results: BTreeMap::new(),
            decisions: None,
            finishes: 0,
            pulled_in: 0,
            steps: 0,
        };
        sim.enqueue(0, Message::Request);
        if let Some(at) = sim.scenario.behaviour.cancel_at {
            sim.enqueue(
                at,
                Message::Event(Event::CancelRequested {
                    by: "operator".into(),
                    reason: "random cancel".into(),
                }),
            );
        }
        if sim.scenario.behaviour.foreign_jobs {
            sim.start_foreign_job();
        }
        sim
    }

    /// Someone else's drill holds some servers of a random wave for a while.
    fn start_foreign_job(&mut self) {
        let wave = usize::try_from(self.rng.next()).unwrap() % self.plan.waves.len();
        let group = &self.plan.protection_groups[&format!("g{wave}")];
        let servers: Vec<ServerId> = group
            .servers
            .iter()
            .filter(|_| self.rng.chance(300))
            .map(|s| ServerId::new(s.as_str()))
            .collect();
        if servers.is_empty() {
            return;
        }
        let complete_at = self.rng.between(30, 900);
        let servers = servers
            .into_iter()
            .map(|id| SimServer {
                id,
                launch_at: complete_at - 5,
                outcome: LaunchStatus::Launched,
            })
            .collect();
        self.job_index
            .insert("drsjob-foreign".into(), self.jobs.len());
        self.jobs.push(SimJob {
            id: "drsjob-foreign".into(),
            tag: None,
            created: 0,
            complete_at,
            servers,
        });
    }

    /// Queues `message` at `at`, sometimes twice (SQS delivers at least once).
    fn enqueue(&mut self, at: i64, message: Message) {
        if self.rng.chance(self.scenario.behaviour.duplicated) {
            let later = at + self.rng.between(0, 10);
            self.push(later, message.clone());
        }
        self.push(at, message);
    }

    fn push(&mut self, at: i64, message: Message) {
        self.seq += 1;
        self.queue.insert((at.max(self.now), self.seq), message);
    }

    /// Runs until the queue drains; returns the final state.
    fn run(&mut self) -> Result<Execution, TestCaseError> {
        while let Some(((at, _), message)) = self.queue.pop_first() {
            self.now = at;
            self.steps += 1;
            prop_assert!(
                self.steps <= MAX_STEPS,
                "no end after {MAX_STEPS} deliveries"
            );
            self.deliver(message)?;
        }
        let state = self.state.clone().expect("the request was never handled");
        prop_assert!(
            state.is_terminal(),
            "the queues drained but the execution is {} ({:?})",
            state.status,
            state.current().map(|w| w.phase)
        );
        Ok(state)
    }

    /// One Lambda invocation: load, decide, send delayed messages, save, carry out.
    fn deliver(&mut self, message: Message) -> Result<(), TestCaseError> {
        let crash = if self.rng.chance(self.scenario.behaviour.crash) {
            Some(if self.rng.chance(300) {
                Crash::BeforeSave
            } else {
                Crash::AfterSave(usize::try_from(self.rng.between(0, 3)).unwrap())
            })
        } else {
            None
        };
        // The message SQS gives again if this invocation dies.
        let redelivered = match &message {
            Message::Answer { origin, .. } => (**origin).clone(),
            message => message.clone(),
        };
        let now = t(self.now);
        let was_terminal = self.state.as_ref().is_some_and(Execution::is_terminal);
        let loaded = self.state.take();
        let progress = loaded.as_ref().map(launch_progress);
        // Only a crash before the save needs the state as it was.
        let saved = if crash == Some(Crash::BeforeSave) {
            loaded.clone()
        } else {
            None
        };
        let (input, decided) = match (&message, loaded) {
            (Message::Request, None) => {
                let request = request(self.plan.clone(), self.scenario.mode, self.scenario.limits);
                (None, engine::start(request, now))
            }
            (message, None) => {
                // Nothing to act on before the execution exists: retried later.
                self.push(self.now + REDELIVERY_SECONDS, message.clone());
                return Ok(());
            }
            (message, Some(state)) => {
                let event = self.event_for(message, &state);
                let input = self.decisions.is_some().then(|| event.clone());
                (input, engine::decide(state, Input::new(EXEC, event), now))
            }
        };
        let (after, commands) = match decided {
            Ok(decided) => decided,
            Err(error) => return Err(TestCaseError::fail(format!("{input:?} rejected: {error}"))),
        };
        self.check_decision(was_terminal, progress.as_deref(), &after, &commands)?;
        if let Message::Event(Event::LaunchResult(_)) = &message {
            // An event is a hint: at most one check pulled in (what else it may lead to is the
            // deadline's doing).
            prop_assert!(
                scheduled_checks(&commands) <= 1,
                "a launch event led to {:?}",
                commands
            );
        }
        if let Some(decisions) = &mut self.decisions {
            decisions.push(Decision {
                at: self.now,
                input,
                commands: commands.clone(),
            });
        }

        // Delayed messages go out before the save: a copy whose token is not live is ignored.
        for command in &commands {
            match command {
                Command::ScheduleCheck {
                    wave,
                    attempt,
                    token,
                    delay,
                } => {
                    let at = self.now + i64::from(delay.get());
                    self.enqueue(
                        at,
                        Message::Check {
                            wave: *wave,
                            attempt: *attempt,
                            token: *token,
                        },
                    );
                }
                Command::ScheduleRetry {
                    wave,
                    attempt,
                    token,
                    delay,
                } => {
                    let at = self.now + i64::from(delay.get());
                    let event = Event::RetryDue {
                        wave: *wave,
                        attempt: *attempt,
                        token: *token,
                    };
                    self.enqueue(at, Message::Event(event));
                }
                _ => {}
            }
        }
        if crash == Some(Crash::BeforeSave) {
            self.state = saved;
            self.push(self.now + REDELIVERY_SECONDS, redelivered);
            return Ok(());
        }
        if let Message::Event(Event::LaunchResult(_)) = &message {
            // Counted once saved: a decision lost with its Lambda is taken again.
            self.pulled_in += scheduled_checks(&commands);
        }
        self.state = Some(after);
        let carried = match crash {
            Some(Crash::AfterSave(carried)) => carried,
            _ => usize::MAX,
        };
        for (i, command) in commands.into_iter().enumerate() {
            // The commands carried out before a crash happened; their answers are lost.
            let answers = i < carried;
            self.carry_out(command, &redelivered, answers)?;
        }
        if crash.is_some() {
            self.push(self.now + REDELIVERY_SECONDS, redelivered);
        }
        Ok(())
    }

    /// What the Lambda feeds the engine for `message`.
    fn event_for(&self, message: &Message, state: &Execution) -> Event {
        match message {
            Message::Request => Event::ExecutionRequested(request(
                self.plan.clone(),
                self.scenario.mode,
                self.scenario.limits,
            )),
            Message::Event(event) | Message::Answer { event, .. } => event.clone(),
            Message::Check {
                wave,
                attempt,
                token,
            } => Event::JobsObserved(Observation {
                wave: *wave,
                attempt: *attempt,
                wake: Wake::Check { token: *token },
                jobs: self.describe(&state.waves[*wave].jobs_to_observe()),
            }),
        }
    }

    /// `DescribeJobs`.
    fn describe(&self, ids: &[JobId]) -> Vec<JobSnapshot> {
        ids.iter()
            .filter_map(|id| self.job_index.get(id))
            .map(|&i| self.jobs[i].snapshot(self.now))
            .collect()
    }

    /// Carries out `command` for `origin`; `answers`: whether the invocation lives to feed
    /// back what the command returned.
    fn carry_out(
        &mut self,
        command: Command,
        origin: &Message,
        answers: bool,
    ) -> Result<(), TestCaseError> {
        let now = self.now;
        let answer = |event: Event| Message::Answer {
            event,
            origin: Box::new(origin.clone()),
        };
        match command {
            Command::ResolveServers { waves } => {
                let waves = waves
                    .iter()
                    .map(|selection| {
                        let wave = selection.wave;
                        let outcome = if self.rng.chance(self.scenario.behaviour.resolution_fails) {
                            ResolutionOutcome::Failed {
                                message: "unknown server".into(),
                            }
                        } else {
                            let mut servers: Vec<ServerId> = self.plan.protection_groups
                                [&format!("g{wave}")]
                                .servers
                                .iter()
                                .map(|s| ServerId::new(s.as_str()))
                                .collect();
                            let overlap = self.scenario.behaviour.overlapping_selection;
                            if wave > 0 && overlap > 0 {
                                // A tag selection also matching some of the earlier waves'
                                // servers.
                                for earlier in 0..wave {
                                    let group =
                                        &self.plan.protection_groups[&format!("g{earlier}")];
                                    for id in &group.servers {
                                        if self.rng.chance(overlap) {
                                            servers.push(ServerId::new(id.as_str()));
                                        }
                                    }
                                }
                            }
                            ResolutionOutcome::Resolved {
                                targets: vec![ResolvedTarget {
                                    target: None,
                                    servers,
                                }],
                            }
                        };
                        WaveResolution { wave, outcome }
                    })
                    .collect();
                let at = now + self.rng.between(0, 2);
                self.enqueue(at, Message::Event(Event::ServersResolved { waves }));
            }
            Command::StartRecovery(start) => {
                let event = self.start_recovery(start)?;
                if answers {
                    // Fed back in the same invocation, after whatever it raced with.
                    let at = now + self.rng.between(0, 2);
                    self.push(at, answer(event));
                }
            }
            Command::Advance { wave, attempt } => {
                let at = now + self.rng.between(0, 2);
                self.enqueue(at, Message::Event(Event::WaveAdvance { wave, attempt }));
            }
            Command::RunAction(run) => {
                let fails = self.rng.chance(self.scenario.behaviour.action_fails);
                // The action runner is idempotent by run ID: a re-issue gets the same result.
                let result = self
                    .action_results
                    .entry(run.run_id.clone())
                    .or_insert(if fails {
                        ActionResult::Failed {
                            message: "exit 1".into(),
                        }
                    } else {
                        ActionResult::Succeeded
                    })
                    .clone();
                let at = now + self.rng.between(1, 120);
                let event = Event::ActionFinished {
                    wave: run.wave,
                    attempt: run.attempt,
                    phase: run.phase,
                    index: run.index,
                    result,
                };
                self.enqueue(at, Message::Event(event));
            }
            Command::RequestApproval { wave, .. } => {
                let at = now + self.rng.between(1, 600);
                let event = Event::ApprovalGiven {
                    wave,
                    by: "approver".into(),
                };
                self.enqueue(at, Message::Event(event));
            }
            Command::ScheduleDrillCleanup(cleanup) => {
                prop_assert_eq!(
                    self.scenario.mode,
                    Mode::Drill,
                    "a recovery is never cleaned up"
                );
                prop_assert!(self.scenario.cleanup_hours > 0);
                prop_assert!(!cleanup.targets.is_empty());
            }
            Command::Finish { status } => {
                prop_assert!(status.is_terminal());
                self.finishes += 1;
            }
            Command::ScheduleCheck { .. } | Command::ScheduleRetry { .. } | Command::Notify(_) => {}
        }
        Ok(())
    }

    /// DRS's `StartRecovery`, with the adapter's idempotency and conflict handling.
    fn start_recovery(&mut self, start: StartRecovery) -> Result<Event, TestCaseError> {
        let request = start.request.clone();
        let behaviour = self.scenario.behaviour.clone();
        if start.reissue {
            // The adapter looks for a job tagged with the request ID before calling again.
            if let Some(job) = self
                .jobs
                .iter()
                .find(|job| job.tag.as_ref() == Some(&request))
            {
                return Ok(Event::JobStarted {
                    request,
                    job_id: job.id.clone(),
                });
            }
        }
        if self.rng.chance(behaviour.throttled) {
            let retry_after_seconds = self.rng.chance(300).then(|| self.rng.between(1, 60) as u32);
            let rejection = Rejection::Throttled {
                retry_after_seconds,
            };
            return Ok(Event::StartRejected { request, rejection });
        }
        if self.rng.chance(behaviour.quota_exceeded) {
            return Ok(Event::StartRejected {
                request,
                rejection: Rejection::QuotaExceeded,
            });
        }
        if self.rng.chance(behaviour.invalid_request) {
            let rejection = Rejection::Validation {
                message: "not replicating".into(),
            };
            return Ok(Event::StartRejected { request, rejection });
        }
        let now = self.now;
        let requested: BTreeSet<&ServerId> = start.servers.iter().collect();
        let conflicting = self
            .jobs
            .iter()
            .find(|job| {
                job.status(now) != JobStatus::Completed
                    && job.servers.iter().any(|s| requested.contains(&s.id))
            })
            .map(|job| job.id.clone());
        if let Some(running) = conflicting {
            let running_job = (!self.rng.chance(behaviour.conflict_job_unknown)).then_some(running);
            return Ok(Event::StartRejected {
                request,
                rejection: Rejection::Conflict { running_job },
            });
        }
        self.check_new_job(&start)?;
        let job_id = JobId::new(format!("drsjob-{}", self.jobs.len()));
        let mut complete_at = now;
        let servers: Vec<SimServer> = start
            .servers
            .iter()
            .map(|id| {
                let launch_at = now + self.rng.between(10, 240);
                complete_at = complete_at.max(launch_at);
                let outcome = if self.rng.chance(behaviour.server_fails) {
                    if self.rng.chance(200) {
                        LaunchStatus::Terminated
                    } else {
                        LaunchStatus::Failed
                    }
                } else {
                    LaunchStatus::Launched
                };
                SimServer {
                    id: id.clone(),
                    launch_at,
                    outcome,
                }
            })
            .collect();
        for server in &servers {
            if self.rng.chance(behaviour.event_dropped) {
                continue;
            }
            let event = LaunchEvent {
                job_id: job_id.clone(),
                server_id: server.id.clone(),
                result: if server.outcome == LaunchStatus::Launched {
                    LaunchResult::Succeeded
                } else {
                    LaunchResult::Failed
                },
            };
            let at = server.launch_at + self.rng.between(0, 3);
            self.enqueue(at, Message::Event(Event::LaunchResult(event)));
        }
        complete_at += self.rng.between(0, 10);
        self.job_index.insert(job_id.clone(), self.jobs.len());
        self.jobs.push(SimJob {
            id: job_id.clone(),
            tag: Some(request.clone()),
            created: now,
            complete_at,
            servers,
        });
        Ok(Event::JobStarted { request, job_id })
    }

    /// Properties of every job the engine makes DRS start.
    fn check_new_job(&self, start: &StartRecovery) -> Result<(), TestCaseError> {
        let limits = self.scenario.limits;
        let now = self.now;
        let ours: Vec<&SimJob> = self
            .jobs
            .iter()
            .filter(|job| job.tag.is_some() && job.status(now) != JobStatus::Completed)
            .collect();
        let active_servers: usize = ours.iter().map(|job| job.servers.len()).sum();
        prop_assert!(
            ours.len() < limits.concurrent_jobs as usize,
            "{} jobs already active with a budget of {}",
            ours.len(),
            limits.concurrent_jobs
        );
        prop_assert!(
            active_servers + start.servers.len() <= limits.servers_in_active_jobs as usize,
            "{} + {} servers in active jobs with a budget of {}",
            active_servers,
            start.servers.len(),
            limits.servers_in_active_jobs
        );
        let requested: BTreeSet<&ServerId> = start.servers.iter().collect();
        for job in &self.jobs {
            let Some(tag) = &job.tag else { continue };
            if tag.wave < start.request.wave {
                let again: Vec<&ServerId> = job
                    .servers
                    .iter()
                    .map(|s| &s.id)
                    .filter(|id| requested.contains(id))
                    .collect();
                prop_assert!(
                    again.is_empty(),
                    "servers {again:?} of wave {} started again by wave {}",
                    tag.wave,
                    start.request.wave
                );
            }
            if (tag.wave, tag.attempt) != (start.request.wave, start.request.attempt) {
                continue;
            }
            let twice: Vec<&ServerId> = job
                .servers
                .iter()
                .map(|s| &s.id)
                .filter(|id| requested.contains(id))
                .collect();
            prop_assert!(
                twice.is_empty(),
                "servers {twice:?} in two jobs of one wave attempt"
            );
        }
        Ok(())
    }

    /// Properties of every decision.
    fn check_decision(
        &self,
        was_terminal: bool,
        before: Option<&[Progress]>,
        after: &Execution,
        commands: &[Command],
    ) -> Result<(), TestCaseError> {
        if let Some(before) = before {
            for (was, now) in before.iter().zip(launch_progress(after)) {
                prop_assert!(
                    was.1 <= now.1 && was.2 <= now.2,
                    "{}: what is known went backwards: {:?} -> {:?}",
                    was.0,
                    was,
                    now
                );
            }
        }
        if was_terminal {
            let only_its_end = commands
                .iter()
                .all(|c| matches!(c, Command::Finish { .. } | Command::ScheduleDrillCleanup(_)));
            prop_assert!(only_its_end, "a terminal execution acts: {:?}", commands);
        }
        for command in commands {
            let wave = match command {
                Command::StartRecovery(start) => {
                    prop_assert!(
                        !after.is_terminal(),
                        "StartRecovery from a terminal execution"
                    );
                    prop_assert!(
                        start.servers.len() <= self.scenario.limits.servers_per_job as usize
                    );
                    prop_assert!(!start.servers.is_empty());
                    prop_assert!(start.servers.windows(2).all(|w| w[0] < w[1]), "sorted");
                    prop_assert_eq!(start.is_drill, self.scenario.mode == Mode::Drill);
                    Some(start.request.wave)
                }
                Command::ScheduleCheck { delay, wave, .. } => {
                    prop_assert!((1..=900).contains(&delay.get()));
                    // The check chain never waits past the deadline, so a timeout is noticed
                    // on time however far the checks stretched.
                    if let Some(deadline) = after.waves[*wave].deadline
                        && self.now < deadline.as_second() - t(0).as_second()
                    {
                        let due = self.now + i64::from(delay.get());
                        prop_assert!(
                            t(due) <= deadline,
                            "a check due at {} after the deadline {}",
                            t(due),
                            deadline
                        );
                    }
                    Some(*wave)
                }
                Command::ScheduleRetry { delay, wave, .. } => {
                    prop_assert!((1..=900).contains(&delay.get()));
                    Some(*wave)
                }
                Command::RequestApproval { wave, .. } | Command::Advance { wave, .. } => {
                    Some(*wave)
                }
                Command::RunAction(run) => Some(run.wave),
                _ => None,
            };
            if let Some(wave) = wave {
                for earlier in &after.waves[..wave] {
                    prop_assert_eq!(
                        earlier.phase,
                        WavePhase::Ended {
                            outcome: WaveOutcome::Succeeded
                        },
                        "wave {} acts before an earlier wave succeeded",
                        wave
                    );
                }
            }
        }
        Ok(())
    }

    /// Properties of the final state, against what the simulated DRS really did.
    fn check_outcome(&self, state: &Execution) -> Result<(), TestCaseError> {
        let mut stopped = false;
        for wave in &state.waves {
            if stopped {
                prop_assert_eq!(wave.attempt, 0, "a wave after a stop started");
                continue;
            }
            match wave.phase {
                WavePhase::Ended {
                    outcome: WaveOutcome::Succeeded,
                } => {
                    for server in &wave.servers {
                        if !server.optional {
                            prop_assert_eq!(server.launch_status, LaunchStatus::Launched);
                        }
                    }
                }
                _ => stopped = true,
            }
            for server in &wave.servers {
                if server.launch_status == LaunchStatus::Launched {
                    let job = server
                        .job_id
                        .as_ref()
                        .and_then(|id| self.job_index.get(id))
                        .map(|&i| &self.jobs[i])
                        .expect("a launched server has a job");
                    let truth = job
                        .servers
                        .iter()
                        .find(|s| s.id == server.id)
                        .map(|s| s.outcome);
                    prop_assert_eq!(
                        truth,
                        Some(LaunchStatus::Launched),
                        "{} reported launched",
                        server.id
                    );
                }
            }
        }
        let all_succeeded = state.waves.iter().all(|w| {
            w.phase
                == WavePhase::Ended {
                    outcome: WaveOutcome::Succeeded,
                }
        });
        prop_assert_eq!(state.status == ExecutionStatus::Completed, all_succeeded);
        prop_assert!(self.finishes >= 1, "the end was announced");
        let ours = self.jobs.iter().filter(|job| job.tag.is_some()).count();
        prop_assert!(
            self.pulled_in <= ours,
            "{} checks pulled in by events for {} jobs",
            self.pulled_in,
            ours
        );
        Ok(())
    }
}

fn scheduled_checks(commands: &[Command]) -> usize {
    commands
        .iter()
        .filter(|c| matches!(c, Command::ScheduleCheck { .. }))
        .count()
}

/// What is known of each server of each wave: (server, launch rank, job status).
type Progress = (ServerId, u8, Option<JobStatus>);

fn launch_progress(state: &Execution) -> Vec<Progress> {
    state
        .waves
        .iter()
        .flat_map(|wave| {
            wave.servers.iter().map(|server| {
                let rank = match server.launch_status {
                    LaunchStatus::Pending => 0,
                    LaunchStatus::InProgress => 1,
                    _ => 2,
                };
                let job = server
                    .job_id
                    .as_ref()
                    .and_then(|id| wave.job(id))
                    .map(|job| job.status);
                (server.id.clone(), rank, job)
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Waves in order, no duplicate jobs, quotas and budget, delays in range, nothing after the
    /// end, and every execution ends once DRS does.
    #[test]
    fn executions_are_safe_and_always_end(scenario in scenario()) {
        let mut sim = Sim::new(scenario);
        let state = sim.run()?;
        sim.check_outcome(&state)?;
    }

    /// The same inputs give the same outputs (smaller plans: every decision is compared).
    #[test]
    fn the_same_inputs_give_the_same_outputs(scenario in scenario_of_at_most(60)) {
        let mut first = Sim::recording(scenario.clone());
        let mut second = Sim::recording(scenario);
        let (a, b) = (first.run()?, second.run()?);
        prop_assert_eq!(a, b);
        prop_assert_eq!(first.decisions, second.decisions);
    }

    /// Chunks partition a wave's servers within the per-job quota, in order.
    #[test]
    fn chunks_partition_servers_within_the_quota(
        counts in prop::collection::vec(0usize..=450, 1..=3),
        per_job in 1u32..=200,
    ) {
        let mut next = 0;
        let targets: Vec<(Option<String>, Vec<ServerId>)> = counts
            .iter()
            .enumerate()
            .map(|(i, count)| {
                let servers = (next..next + count).map(|n| ServerId::new(sid(n))).collect();
                next += count;
                (Some(format!("t{i}")), servers)
            })
            .collect();
        let chunks = split(&targets, per_job);
        let flattened: Vec<ServerId> = chunks.iter().flat_map(|c| c.servers.clone()).collect();
        let all: Vec<ServerId> = targets.iter().flat_map(|(_, s)| s.clone()).collect();
        prop_assert_eq!(flattened, all);
        for (i, chunk) in chunks.iter().enumerate() {
            prop_assert_eq!(chunk.index, i);
            prop_assert!(!chunk.servers.is_empty() && chunk.servers.len() <= per_job as usize);
        }
        for (target, servers) in &targets {
            let sizes: BTreeSet<usize> = chunks
                .iter()
                .filter(|c| &c.target == target)
                .map(|c| c.servers.len())
                .collect();
            let expected = servers.len().div_ceil(per_job as usize);
            prop_assert_eq!(chunks.iter().filter(|c| &c.target == target).count(), expected);
            prop_assert!(sizes.len() <= 2, "balanced: {sizes:?}");
        }
    }
}

/// The scenarios reach every outcome and every recovery path, so the properties above are not
/// checked on easy runs only.
#[test]
fn the_simulation_covers_every_outcome_and_recovery_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let (mut adopted, mut reissued, mut retried, mut skipped) = (0, 0, 0, 0);
    let runs = 200;
    for _ in 0..runs {
        let scenario = scenario().new_tree(&mut runner).unwrap().current();
        let mut sim = Sim::recording(scenario);
        let state = sim.run().unwrap();
        *statuses.entry(state.status.to_string()).or_default() += 1;
        adopted += usize::from(state.waves.iter().flat_map(|w| &w.jobs).any(|j| j.adopted));
        let commands = || sim.decisions.iter().flatten().flat_map(|d| &d.commands);
        reissued +=
            usize::from(commands().any(|c| matches!(c, Command::StartRecovery(s) if s.reissue)));
        retried += usize::from(commands().any(|c| matches!(c, Command::ScheduleRetry { .. })));
        skipped += usize::from(state.waves.iter().any(|w| !w.skipped_servers.is_empty()));
    }
    for status in ["COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"] {
        let count = statuses.get(status).copied().unwrap_or(0);
        assert!(
            count >= runs / 50,
            "{status}: {count} of {runs} runs: {statuses:?}"
        );
    }
    for (path, count) in [
        ("adoption", adopted),
        ("re-issue", reissued),
        ("retry", retried),
        ("overlapping selection", skipped),
    ] {
        assert!(count >= runs / 50, "{path}: {count} of {runs} runs");
    }
    eprintln!(
        "{statuses:?}, adopted {adopted}, re-issued {reissued}, retried {retried}, \
         skipped {skipped}"
    );
}
