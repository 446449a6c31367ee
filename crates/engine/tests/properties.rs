//! Property tests: random plans run against a small simulated DRS and pipeline (queues with
//! delays, duplicated and reordered deliveries, dropped events, Lambdas crashing before or
//! after saving, throttling, quota and conflict rejections, failing servers, cancels and
//! timeouts), checking the engine's safety and liveness properties on every decision.
//!
//! The simulated pipeline carries decisions out as the real one does, through the engine's
//! own rules: effects before the save, then the save, then the commands; a job-ledger claim
//! before each `StartRecovery` ([`StartRecovery::claimed`], [`claim::kept_after`]); a check
//! message described only when [`Execution::check_arrival`] says it is live.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{EXEC, request, sid, t};
use engine::check::Arrival;
use engine::{
    ActionResult, BeforeSave, Claim, ClaimRelease, Claimed, Command, Decision, Event, Execution,
    ExecutionStatus, Input, JobId, JobSnapshot, JobStatus, LaunchEvent, LaunchResult, LaunchStatus,
    Limits, Mode, Observation, PlanSource, Rejection, ResolutionOutcome, ResolvedTarget, ServerId,
    ServerSnapshot, StartRecovery, StartRequestId, Token, WaveOutcome, WavePhase, WaveResolution,
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
        token: Token,
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
struct Recorded {
    at: i64,
    input: Option<Event>,
    before_save: Vec<BeforeSave>,
    commands: Vec<Command>,
}

/// A check message: its wave, attempt and token.
type CheckKey = (usize, u32, Token);

/// What the check messages were, for the check-arrival properties.
#[derive(Debug, Default)]
struct Checks {
    /// Every check message sent, per wave: (attempt, token).
    sent: BTreeMap<usize, BTreeSet<(u32, Token)>>,
    /// Those sent by a decision that was saved.
    saved: BTreeSet<CheckKey>,
    /// Those found stale against a saved state: never live again.
    stale: BTreeSet<CheckKey>,
    /// Copies waiting in the queue.
    queued: BTreeMap<CheckKey, usize>,
    /// Arrivals ahead of their save (delivered again later).
    ahead_of_save: usize,
}

/// The job ledger: the claims held, with their servers (one scope: the default target).
#[derive(Debug, Default)]
struct Ledger {
    held: BTreeMap<StartRequestId, u32>,
    /// Requests whose claim a decision gave back as settled: a later claim is regranted.
    settled: BTreeSet<StartRequestId>,
    /// Another execution's claim in the same scope: its servers, held until then.
    foreign: Option<(u32, i64)>,
    /// Claims granted, kept after a rejection, refused for want of budget.
    granted: usize,
    kept: usize,
    exhausted: usize,
    /// Claims given back by a decision that ended a launch with their chunk's request
    /// unanswered or job running.
    released_at_launch_end: usize,
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
    decisions: Option<Vec<Recorded>>,
    ledger: Ledger,
    checks: Checks,
    /// Every request a `StartRecovery` was emitted for.
    requested: BTreeSet<StartRequestId>,
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
            ledger: Ledger::default(),
            checks: Checks::default(),
            requested: BTreeSet::new(),
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
        self.ledger.foreign = Some((u32::try_from(servers.len()).unwrap(), complete_at));
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
        if let Message::Check {
            wave,
            attempt,
            token,
        } = &message
        {
            *self
                .checks
                .queued
                .entry((*wave, *attempt, *token))
                .or_default() += 1;
        }
        self.queue.insert((at.max(self.now), self.seq), message);
    }

    /// Runs until the queue drains; returns the final state.
    fn run(&mut self) -> Result<Execution, TestCaseError> {
        while let Some(((at, _), message)) = self.queue.pop_first() {
            if let Message::Check {
                wave,
                attempt,
                token,
            } = &message
                && let Some(copies) = self.checks.queued.get_mut(&(*wave, *attempt, *token))
            {
                *copies -= 1;
            }
            self.now = at;
            self.steps += 1;
            prop_assert!(
                self.steps <= MAX_STEPS,
                "no end after {MAX_STEPS} deliveries"
            );
            self.deliver(message)?;
            self.check_saved_state()?;
        }
        let state = self.state.clone().expect("the request was never handled");
        prop_assert!(
            self.ledger.held.is_empty(),
            "claims outlive the execution: {:?}",
            self.ledger.held
        );
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
                let Some(event) = self.event_for(message, &state) else {
                    // A check ahead of its save: the checker fails the message, and SQS
                    // delivers it again after the visibility timeout.
                    self.checks.ahead_of_save += 1;
                    self.state = Some(state);
                    self.push(self.now + REDELIVERY_SECONDS, message.clone());
                    return Ok(());
                };
                let input = self.decisions.is_some().then(|| event.clone());
                (input, engine::decide(state, Input::new(EXEC, event), now))
            }
        };
        let Decision {
            state: after,
            before_save,
            after_save: commands,
        } = match decided {
            Ok(decided) => decided,
            Err(error) => return Err(TestCaseError::fail(format!("{input:?} rejected: {error}"))),
        };
        self.check_decision(
            was_terminal,
            progress.as_deref(),
            &after,
            &before_save,
            &commands,
        )?;
        if let Message::Event(Event::LaunchResult(_)) = &message {
            // An event is a hint: at most one check pulled in (what else it may lead to is the
            // deadline's doing).
            prop_assert!(
                scheduled_checks(&before_save) <= 1,
                "a launch event led to {:?}",
                before_save
            );
        }
        if let Some(decisions) = &mut self.decisions {
            decisions.push(Recorded {
                at: self.now,
                input,
                before_save: before_save.clone(),
                commands: commands.clone(),
            });
        }

        // Delayed messages go out and claims are given back before the save: a copy whose
        // token is not live is ignored, and a claim not held is given back for nothing.
        for effect in &before_save {
            match effect {
                BeforeSave::Check(check) => {
                    let at = self.now + i64::from(check.delay.get());
                    self.checks
                        .sent
                        .entry(check.wave)
                        .or_default()
                        .insert((check.attempt, check.token));
                    self.enqueue(
                        at,
                        Message::Check {
                            wave: check.wave,
                            attempt: check.attempt,
                            token: check.token,
                        },
                    );
                }
                BeforeSave::RetryStart(retry) => {
                    let at = self.now + i64::from(retry.delay.get());
                    let event = Event::RetryStart {
                        wave: retry.wave,
                        attempt: retry.attempt,
                        token: retry.token,
                    };
                    self.enqueue(at, Message::Event(event));
                }
                BeforeSave::ReleaseClaim(release) => {
                    if self.ledger.held.remove(&release.request).is_some() {
                        self.ledger.settled.insert(release.request.clone());
                    }
                    let wave = &after.waves[release.request.wave];
                    let completed = wave.chunks()[release.request.chunk]
                        .job_id()
                        .and_then(|id| wave.job(id))
                        .is_some_and(|job| job.status == JobStatus::Completed);
                    if wave.phase != WavePhase::Launching && !completed {
                        self.ledger.released_at_launch_end += 1;
                    }
                }
            }
        }
        if crash == Some(Crash::BeforeSave) {
            self.state = saved;
            self.push(self.now + REDELIVERY_SECONDS, redelivered);
            return Ok(());
        }
        if let Message::Event(Event::LaunchResult(_)) = &message {
            // Counted once saved: a decision lost with its Lambda is taken again.
            self.pulled_in += scheduled_checks(&before_save);
        }
        for effect in &before_save {
            if let BeforeSave::Check(check) = effect {
                self.checks
                    .saved
                    .insert((check.wave, check.attempt, check.token));
            }
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

    /// What the Lambda feeds the engine for `message`; `None` for a check message ahead of
    /// its save (not decided: delivered again later).
    fn event_for(&self, message: &Message, state: &Execution) -> Option<Event> {
        let event = match message {
            Message::Request => {
                // Half the runs name the stored plan, half give it inline.
                let plan = if self.scenario.seed % 2 == 0 {
                    PlanSource::Stored {
                        plan_name: self.plan.name.clone(),
                    }
                } else {
                    PlanSource::Inline {
                        plan: self.plan.clone(),
                    }
                };
                Event::ExecutionRequested {
                    mode: self.scenario.mode,
                    plan,
                }
            }
            Message::Event(event) | Message::Answer { event, .. } => event.clone(),
            Message::Check {
                wave,
                attempt,
                token,
            } => {
                // The checker describes the jobs of a live check only.
                let described: Option<Result<Vec<JobSnapshot>, std::convert::Infallible>> =
                    match state.check_arrival(*wave, *attempt, *token) {
                        Arrival::AheadOfSave => return None,
                        Arrival::Stale => None,
                        Arrival::Live { jobs } => Some(Ok(self.describe(&jobs))),
                    };
                Event::Check(Observation::described(*wave, *attempt, *token, described))
            }
        };
        Some(event)
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
                self.requested.insert(start.request.clone());
                let event = self.claim_and_start(start)?;
                if answers {
                    // Fed back in the same invocation, after whatever it raced with.
                    let at = now + self.rng.between(0, 2);
                    self.push(at, answer(event));
                }
            }
            Command::Advance { wave, attempt } => {
                let at = now + self.rng.between(0, 2);
                self.enqueue(at, Message::Event(Event::Advance { wave, attempt }));
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
            Command::Notify(_) => {}
        }
        Ok(())
    }

    /// The starter: claims the request's budget in the ledger, then calls `StartRecovery` or
    /// answers for DRS; gives the claim back at once when DRS's rejection says so.
    fn claim_and_start(&mut self, start: StartRecovery) -> Result<Event, TestCaseError> {
        let request = start.request.clone();
        let servers = u32::try_from(start.servers.len()).unwrap();
        let claim = self.claim(&request, servers);
        let start = match start.claimed(claim) {
            Claimed::Start(start) => start,
            Claimed::Rejected(answer) => return Ok(answer),
        };
        let answer = self.start_recovery(start)?;
        if let Event::StartRejected { rejection, .. } = &answer {
            if !engine::claim::kept_after(claim, rejection) {
                self.ledger.held.remove(&request);
            } else if matches!(claim, Claim::Held | Claim::Regranted)
                && !matches!(rejection, Rejection::Conflict { .. })
            {
                self.ledger.kept += 1;
            }
        }
        Ok(answer)
    }

    /// The ledger's claim for `request`, within the scenario's budget.
    fn claim(&mut self, request: &StartRequestId, servers: u32) -> Claim {
        let ledger = &mut self.ledger;
        if ledger.held.contains_key(request) {
            return Claim::Held;
        }
        let limits = self.scenario.limits;
        // Someone else's drill holds budget in the same scope until its job completes.
        let (foreign_jobs, foreign_servers) = match ledger.foreign {
            Some((servers, until)) if self.now < until => (1, servers),
            _ => (0, 0),
        };
        let held_servers: u32 = ledger.held.values().sum::<u32>() + foreign_servers;
        let fits = ledger.held.len() + foreign_jobs < limits.concurrent_jobs as usize
            && held_servers + servers <= limits.servers_in_active_jobs;
        if !fits {
            ledger.exhausted += 1;
            return Claim::Exhausted;
        }
        ledger.held.insert(request.clone(), servers);
        ledger.granted += 1;
        if ledger.settled.contains(request) {
            Claim::Regranted
        } else {
            Claim::Granted
        }
    }

    /// DRS's `StartRecovery`, with the adapter's idempotency and conflict handling.
    fn start_recovery(&mut self, start: StartRecovery) -> Result<Event, TestCaseError> {
        let request = start.request.clone();
        let behaviour = self.scenario.behaviour.clone();
        if start.reissue {
            // The adapter looks for a job tagged with the request ID before calling again;
            // that search (`DescribeJobs`) may be throttled too.
            if self.rng.chance(behaviour.throttled) {
                let rejection = Rejection::Throttled {
                    retry_after_seconds: None,
                };
                return Ok(Event::StartRejected { request, rejection });
            }
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
        before_save: &[BeforeSave],
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
            prop_assert!(
                before_save.is_empty(),
                "a terminal execution acts: {:?}",
                before_save
            );
        }
        self.check_releases(after, before_save)?;
        for effect in before_save {
            let wave = match effect {
                BeforeSave::Check(check) => {
                    prop_assert!((1..=900).contains(&check.delay.get()));
                    // The check chain never waits past the deadline, so a timeout is noticed
                    // on time however far the checks stretched.
                    if let Some(deadline) = after.waves[check.wave].deadline
                        && self.now < deadline.as_second() - t(0).as_second()
                    {
                        let due = self.now + i64::from(check.delay.get());
                        prop_assert!(
                            t(due) <= deadline,
                            "a check due at {} after the deadline {}",
                            t(due),
                            deadline
                        );
                    }
                    check.wave
                }
                BeforeSave::RetryStart(retry) => {
                    prop_assert!((1..=900).contains(&retry.delay.get()));
                    retry.wave
                }
                BeforeSave::ReleaseClaim(_) => continue,
            };
            for earlier in &after.waves[..wave] {
                prop_assert_eq!(
                    earlier.phase,
                    WavePhase::Ended {
                        outcome: WaveOutcome::Succeeded
                    },
                    "wave {} schedules before an earlier wave succeeded",
                    wave
                );
            }
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

    /// Properties of the claims a decision gives back (before its save).
    fn check_releases(
        &self,
        after: &Execution,
        before_save: &[BeforeSave],
    ) -> Result<(), TestCaseError> {
        let releases: Vec<&ClaimRelease> = before_save
            .iter()
            .filter_map(|e| match e {
                BeforeSave::ReleaseClaim(release) => Some(release),
                _ => None,
            })
            .collect();
        prop_assert!(
            releases.windows(2).all(|w| w[0] < w[1]),
            "claims given back sorted, each once: {:?}",
            releases
        );
        for release in releases {
            let request = &release.request;
            prop_assert_eq!(request.execution.as_str(), EXEC);
            prop_assert_eq!(&release.target, &None, "the plan has one target");
            prop_assert!(
                self.requested.contains(request),
                "the claim of {} given back, but it was never requested",
                request
            );
            let wave = &after.waves[request.wave];
            if wave.phase == WavePhase::Launching && wave.attempt == request.attempt {
                // While the launch goes on (and may start more), a claim is given back only
                // for a job DRS really completed.
                let chunk = &wave.chunks()[request.chunk];
                let completed = chunk
                    .job_id()
                    .and_then(|id| self.job_index.get(id))
                    .is_some_and(|&i| self.jobs[i].status(self.now) == JobStatus::Completed);
                prop_assert!(
                    completed,
                    "the claim of {} given back during the launch, its chunk {}",
                    request,
                    chunk.state.name()
                );
            }
        }
        Ok(())
    }

    /// Properties of the saved state after each delivery: the claims the ledger holds, the
    /// check chain, and what each check message sent so far would be if it arrived now.
    fn check_saved_state(&mut self) -> Result<(), TestCaseError> {
        let Some(state) = self.state.as_ref() else {
            prop_assert!(self.ledger.held.is_empty(), "claims before the execution");
            return Ok(());
        };
        // No claim outlives its chunk's need: a claim is held only by a chunk of a launch in
        // progress whose job is not known to be completed.
        for request in self.ledger.held.keys() {
            let wave = &state.waves[request.wave];
            prop_assert!(
                !state.is_terminal()
                    && wave.phase == WavePhase::Launching
                    && wave.attempt == request.attempt,
                "the claim of {} outlives its launch: wave {:?} at attempt {}, execution {}",
                request,
                wave.phase,
                wave.attempt,
                state.status
            );
            let chunk = &wave.chunks()[request.chunk];
            let completed = chunk
                .job_id()
                .and_then(|id| wave.job(id))
                .is_some_and(|job| job.status == JobStatus::Completed);
            prop_assert!(!completed, "the claim of {} outlives its job", request);
        }

        // The chain never breaks: while the servers are resolved, and from a wave's start to
        // the end of its launch, a check is live and its message is on its way.
        let current = state.current_wave;
        let wave = &state.waves[current];
        let terminal = state.is_terminal();
        if !terminal && (state.is_resolving() || wave.phase.has_deadline()) {
            let live = wave.live_check();
            prop_assert!(
                live.is_some(),
                "wave {} ({:?}) has no live check",
                current,
                wave.phase
            );
            let queued = live
                .and_then(|token| self.checks.queued.get(&(current, wave.attempt, token)))
                .copied()
                .unwrap_or(0);
            prop_assert!(
                queued > 0,
                "the live check {:?} of wave {} is not on its way",
                live,
                current
            );
        }

        // Every check message sent for the current wave or the one before: live only with the
        // live token of the wave attempt in progress, ahead of its save only with a token
        // later than the saved state's, stale otherwise, and never live again once stale.
        let mut stale = Vec::new();
        for index in current.saturating_sub(1)..=current {
            let Some(sent) = self.checks.sent.get(&index) else {
                continue;
            };
            let wave = &state.waves[index];
            for &(attempt, token) in sent {
                let key = (index, attempt, token);
                let live = !terminal
                    && index == current
                    && attempt == wave.attempt
                    && wave.live_check() == Some(token);
                let known_attempt = attempt == wave.attempt || attempt == wave.attempt + 1;
                // A past wave's check can never be made live by a save: it is stale.
                let ahead = !terminal
                    && index >= current
                    && known_attempt
                    && token > wave.last_check_token();
                match state.check_arrival(index, attempt, token) {
                    Arrival::Live { jobs } => {
                        prop_assert!(live, "{:?} live, but not the live check", key);
                        prop_assert!(
                            !self.checks.stale.contains(&key),
                            "{:?} stale, then live again",
                            key
                        );
                        prop_assert_eq!(jobs, wave.jobs_to_observe(), "{:?}", key);
                    }
                    Arrival::AheadOfSave => {
                        prop_assert!(ahead, "{:?} ahead of its save, but not ahead", key);
                        prop_assert!(
                            !self.checks.saved.contains(&key),
                            "{:?} was saved, yet is ahead of its save",
                            key
                        );
                    }
                    Arrival::Stale => {
                        prop_assert!(
                            !live && !ahead,
                            "{:?} stale (live {}, ahead {})",
                            key,
                            live,
                            ahead
                        );
                        stale.push(key);
                    }
                }
            }
        }
        self.checks.stale.extend(stale);
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

fn scheduled_checks(effects: &[BeforeSave]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, BeforeSave::Check(_)))
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

    /// Every ledger claim a start takes is given back: none is held by a chunk that no
    /// longer needs it (its job completed, its launch over), so none outlives the execution;
    /// a decision gives each claim back once, and only a completed job's while its launch
    /// goes on. Scenarios heavy in crashes, rejections and cancels, where claims are kept
    /// after rejections and launches end with requests in the air.
    #[test]
    fn every_ledger_claim_is_given_back(scenario in claim_heavy_scenario()) {
        let mut sim = Sim::new(scenario);
        sim.run()?;
        prop_assert!(sim.ledger.held.is_empty());
    }

    /// A check message is live only with the live token of the wave attempt in progress,
    /// ahead of its save only with a token the saved state has not handed out yet, stale
    /// otherwise (and for good); and the wave's check chain never breaks while it runs.
    /// Scenarios heavy in crashes and duplicated deliveries.
    #[test]
    fn check_messages_are_live_stale_or_ahead_and_the_chain_never_breaks(
        scenario in check_heavy_scenario(),
    ) {
        let mut sim = Sim::new(scenario);
        sim.run()?;
    }
}

/// Small scenarios where DRS rejects often, Lambdas crash often, operators cancel, and
/// another execution's job holds budget in the same scope, which is small.
fn claim_heavy_scenario() -> impl Strategy<Value = Scenario> {
    (
        scenario_of_at_most(60),
        (100u32..=400, 50u32..=300, 50u32..=200),
        prop::option::weighted(0.5, 0i64..=1_800),
        (prop::bool::weighted(0.5), 1u32..=4),
    )
        .prop_map(
            |(mut scenario, (throttled, conflict, crash), cancel_at, (foreign, concurrent))| {
                let behaviour = &mut scenario.behaviour;
                behaviour.throttled = behaviour.throttled.max(throttled);
                behaviour.conflict_job_unknown = behaviour.conflict_job_unknown.max(conflict);
                behaviour.crash = behaviour.crash.max(crash);
                behaviour.cancel_at = behaviour.cancel_at.or(cancel_at);
                behaviour.foreign_jobs |= foreign;
                let limits = &mut scenario.limits;
                limits.concurrent_jobs = limits.concurrent_jobs.min(concurrent);
                scenario
            },
        )
}

/// Small scenarios where Lambdas crash often and messages are delivered twice.
fn check_heavy_scenario() -> impl Strategy<Value = Scenario> {
    (scenario_of_at_most(60), 50u32..=200, 100u32..=500).prop_map(
        |(mut scenario, crash, duplicated)| {
            let behaviour = &mut scenario.behaviour;
            behaviour.crash = behaviour.crash.max(crash);
            behaviour.duplicated = behaviour.duplicated.max(duplicated);
            scenario
        },
    )
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
        let before_save = || sim.decisions.iter().flatten().flat_map(|d| &d.before_save);
        reissued +=
            usize::from(commands().any(|c| matches!(c, Command::StartRecovery(s) if s.reissue)));
        retried += usize::from(before_save().any(|e| matches!(e, BeforeSave::RetryStart(_))));
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

/// The claim-heavy and check-heavy scenarios reach the rare paths of the claims and the
/// check messages, so their properties are not checked on easy runs only.
#[test]
fn the_claim_and_check_scenarios_reach_their_rare_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let runs = 200;
    let (mut kept, mut exhausted, mut at_launch_end) = (0, 0, 0);
    for _ in 0..runs {
        let scenario = claim_heavy_scenario()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut sim = Sim::new(scenario);
        sim.run().unwrap();
        kept += usize::from(sim.ledger.kept > 0);
        exhausted += usize::from(sim.ledger.exhausted > 0);
        at_launch_end += usize::from(sim.ledger.released_at_launch_end > 0);
    }
    let (mut ahead, mut stale) = (0, 0);
    for _ in 0..runs {
        let scenario = check_heavy_scenario()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut sim = Sim::new(scenario);
        sim.run().unwrap();
        ahead += usize::from(sim.checks.ahead_of_save > 0);
        stale += usize::from(!sim.checks.stale.is_empty());
    }
    eprintln!(
        "claims kept after a rejection {kept}, ledger exhausted {exhausted}, claims given \
         back at a launch's end {at_launch_end}; checks ahead of their save {ahead}, stale \
         {stale} (of {runs} runs each)"
    );
    for (path, count) in [
        ("claim kept after a rejection", kept),
        ("ledger exhausted", exhausted),
        ("claim given back at a launch's end", at_launch_end),
        ("check ahead of its save", ahead),
        ("stale check", stale),
    ] {
        assert!(count >= runs / 50, "{path}: {count} of {runs} runs");
    }
}
