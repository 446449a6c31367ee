//! A small DSL to drive the engine in tests: `Harness::new(plan).resolve(..).started(..)...`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use engine::{
    ActionPhase, ActionResult, BeforeSave, ClaimRelease, Command, Decision, Delayed, EngineError,
    Event, Execution, ExecutionRequest, ExecutionStatus, Input, JobSnapshot, JobStatus,
    LaunchEvent, LaunchResult, LaunchStatus, Limits, Mode, Observation, Rejection,
    ResolutionOutcome, ResolvedTarget, ServerId, ServerSnapshot, StartRecovery, StartRequestId,
    Token, WaveResolution, WaveState,
};
use jiff::{SignedDuration, Timestamp};
use plan::{Plan, ProtectionGroup, Wave};

/// The execution every harness runs.
pub const EXEC: &str = "exec-1";

/// `seconds` after the start of every test.
pub fn t(seconds: i64) -> Timestamp {
    // 2024-01-01T00:00:00Z
    Timestamp::from_second(1_704_067_200).unwrap() + SignedDuration::from_secs(seconds)
}

/// A well-formed source server ID.
pub fn sid(n: usize) -> String {
    format!("s-{n:017x}")
}

/// Server IDs `sid(from)..sid(from + count)`.
pub fn sids(from: usize, count: usize) -> Vec<String> {
    (from..from + count).map(sid).collect()
}

/// A plan with one wave per entry (`w0`, `w1`, …), each with its own group of these servers.
pub fn plan(waves: &[Vec<String>]) -> Plan {
    let mut protection_groups = BTreeMap::new();
    let mut plan_waves = Vec::new();
    for (i, servers) in waves.iter().enumerate() {
        protection_groups.insert(
            format!("g{i}"),
            ProtectionGroup {
                target: None,
                servers: servers.clone(),
                tags: BTreeMap::new(),
            },
        );
        plan_waves.push(Wave {
            name: format!("w{i}"),
            groups: vec![format!("g{i}")],
            rto_minutes: None,
            timeout_minutes: None,
            pause_before: false,
            optional_servers: Vec::new(),
            pre_actions: Vec::new(),
            post_actions: Vec::new(),
        });
    }
    Plan {
        allow_concurrent_executions: false,
        allow_self_approval: false,
        name: "test-plan".to_owned(),
        description: None,
        rto_minutes: None,
        defaults: plan::Defaults::default(),
        targets: BTreeMap::new(),
        protection_groups,
        waves: plan_waves,
    }
}

/// A plan of one wave with these servers.
pub fn one_wave(servers: &[String]) -> Plan {
    plan(&[servers.to_vec()])
}

/// A Lambda action, for pre/post-action tests.
pub fn lambda(name: &str) -> plan::Action {
    plan::Action::Lambda(plan::LambdaAction {
        function_arn: format!("arn:aws:lambda:us-east-1:111122223333:function:{name}"),
        ..Default::default()
    })
}

pub fn request(plan: Plan, mode: Mode, limits: Limits) -> ExecutionRequest {
    ExecutionRequest {
        execution_id: EXEC.into(),
        plan,
        mode,
        limits,
        requested_by: "tester".to_owned(),
    }
}

/// A job snapshot; launched servers get a recovery instance `i-<server>`.
pub fn job(id: &str, status: JobStatus, servers: &[(&str, LaunchStatus)]) -> JobSnapshot {
    JobSnapshot {
        job_id: id.into(),
        status,
        ended_at: None,
        servers: servers
            .iter()
            .map(|(server, launch_status)| ServerSnapshot {
                server_id: (*server).into(),
                launch_status: *launch_status,
                recovery_instance_id: (*launch_status == LaunchStatus::Launched)
                    .then(|| format!("i-{server}")),
            })
            .collect(),
    }
}

/// A completed job in which every one of `servers` launched.
pub fn launched(id: &str, servers: &[String]) -> JobSnapshot {
    let servers: Vec<(&str, LaunchStatus)> = servers
        .iter()
        .map(|s| (s.as_str(), LaunchStatus::Launched))
        .collect();
    job(id, JobStatus::Completed, &servers)
}

/// `servers` found in the default target.
pub fn in_default(servers: &[String]) -> Vec<ResolvedTarget> {
    vec![ResolvedTarget {
        target: None,
        servers: servers.iter().map(|s| ServerId::new(s.as_str())).collect(),
    }]
}

/// The answer to the start's resolution: each wave's servers, per target.
pub fn resolved(waves: Vec<Vec<ResolvedTarget>>) -> Event {
    Event::ServersResolved {
        waves: waves
            .into_iter()
            .enumerate()
            .map(|(wave, targets)| WaveResolution {
                wave,
                outcome: ResolutionOutcome::Resolved { targets },
            })
            .collect(),
    }
}

/// Drives one execution; every call decides one input at the harness's clock.
#[derive(Debug)]
pub struct Harness {
    pub state: Execution,
    pub now: Timestamp,
    /// The last decision's effects after the save.
    commands: Vec<Command>,
    /// The last decision's effects before the save.
    before_save: Vec<BeforeSave>,
    /// Every command (effect after the save) emitted so far, in order.
    pub history: Vec<Command>,
    /// Every effect before the save emitted so far, in order.
    pub before_save_history: Vec<BeforeSave>,
}

impl Harness {
    /// A drill of `plan` with the default limits, requested at `t(0)`, every wave resolved at
    /// once to the servers its plan lists (as most tests need).
    pub fn new(plan: Plan) -> Self {
        Self::with(plan, Mode::Drill, Limits::default())
    }

    /// [`Harness::new`] with a mode and limits.
    pub fn with(plan: Plan, mode: Mode, limits: Limits) -> Self {
        let mut h = Self::unresolved_with(plan, mode, limits);
        let waves: Vec<Vec<String>> = (0..h.state.waves.len())
            .map(|wave| h.plan_servers(wave))
            .collect();
        h.resolve_waves(&waves);
        h
    }

    /// A drill of `plan` requested at `t(0)`, still waiting for its servers to be resolved.
    pub fn unresolved(plan: Plan) -> Self {
        Self::unresolved_with(plan, Mode::Drill, Limits::default())
    }

    /// [`Harness::unresolved`] with a mode and limits.
    pub fn unresolved_with(plan: Plan, mode: Mode, limits: Limits) -> Self {
        let Decision {
            state,
            before_save,
            after_save,
        } = engine::start(request(plan, mode, limits), t(0)).unwrap();
        Self {
            state,
            now: t(0),
            history: after_save.clone(),
            commands: after_save,
            before_save_history: before_save.clone(),
            before_save,
        }
    }

    /// Moves the clock to `t(seconds)`.
    pub fn at(&mut self, seconds: i64) -> &mut Self {
        self.now = t(seconds);
        self
    }

    /// Decides `event`; panics if the engine rejects it.
    pub fn send(&mut self, event: Event) -> &mut Self {
        if let Err(error) = self.try_send(event) {
            panic!("the engine rejected an input: {error}");
        }
        self
    }

    pub fn try_send(&mut self, event: Event) -> Result<(), EngineError> {
        let Decision {
            state,
            before_save,
            after_save,
        } = engine::decide(self.state.clone(), Input::new(EXEC, event), self.now)?;
        self.state = state;
        self.history.extend(after_save.iter().cloned());
        self.before_save_history.extend(before_save.iter().cloned());
        self.commands = after_save;
        self.before_save = before_save;
        Ok(())
    }

    /// Sends `event` and asserts it changed nothing and asked for nothing, before or after
    /// the save.
    pub fn assert_no_op(&mut self, event: Event) {
        let before = self.state.clone();
        self.send(event.clone());
        assert_eq!(self.state, before, "{event:?} changed the state");
        assert_eq!(self.commands, [], "{event:?} emitted commands");
        assert_eq!(
            self.before_save,
            [],
            "{event:?} emitted effects before the save"
        );
    }

    /// The commands (effects after the save) of the last decision.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }

    /// The effects before the save of the last decision.
    pub fn before_save(&self) -> &[BeforeSave] {
        &self.before_save
    }

    /// The checks the last decision scheduled.
    pub fn checks(&self) -> Vec<Delayed> {
        checks_of(&self.before_save)
    }

    /// The start retries the last decision scheduled.
    pub fn retries(&self) -> Vec<Delayed> {
        retries_of(&self.before_save)
    }

    /// The ledger claims the last decision gave back.
    pub fn releases(&self) -> Vec<ClaimRelease> {
        releases_of(&self.before_save)
    }

    pub fn status(&self) -> ExecutionStatus {
        self.state.status
    }

    pub fn wave(&self, index: usize) -> &WaveState {
        &self.state.waves[index]
    }

    pub fn current(&self) -> usize {
        self.state.current_wave
    }

    pub fn attempt(&self) -> u32 {
        self.wave(self.current()).attempt
    }

    /// The `StartRecovery` commands of the last decision.
    pub fn starts(&self) -> Vec<StartRecovery> {
        self.commands
            .iter()
            .filter_map(|c| match c {
                Command::StartRecovery(start) => Some(start.clone()),
                _ => None,
            })
            .collect()
    }

    /// Answers the execution's start: the current wave (0) is resolved to `servers`, every
    /// other wave to the servers its plan lists, all in the default target.
    ///
    /// Once past the start (a later wave), the servers were resolved then: asserts that the
    /// current wave launched exactly `servers`, changes nothing, and makes the wave's starts
    /// still unanswered the last commands, for `start_all` and `starts` to see.
    pub fn resolve(&mut self, servers: &[String]) -> &mut Self {
        if !self.state.is_resolving() {
            let mut expected: Vec<String> = servers.to_vec();
            expected.sort();
            let mut selected: Vec<String> = self
                .wave(self.current())
                .selection
                .iter()
                .flatten()
                .flat_map(|target| target.servers.iter().map(|s| s.as_str().to_owned()))
                .collect();
            selected.sort();
            assert_eq!(
                selected,
                expected,
                "wave {} was resolved at the start to other servers: use resolve_waves",
                self.current()
            );
            self.commands = self.unanswered_starts();
            return self;
        }
        let mut waves: Vec<Vec<String>> = (0..self.state.waves.len())
            .map(|wave| self.plan_servers(wave))
            .collect();
        waves[self.current()] = servers.to_vec();
        self.resolve_waves(&waves)
    }

    /// The current wave's starts requested and not answered yet, as first asked for.
    pub fn unanswered_starts(&self) -> Vec<Command> {
        self.wave(self.current())
            .chunks()
            .iter()
            .filter(|chunk| chunk.state.name() == "requested")
            .map(|chunk| {
                Command::StartRecovery(StartRecovery {
                    request: self.request_id(chunk.index),
                    target: chunk.target.clone(),
                    servers: chunk.servers.clone(),
                    is_drill: self.state.mode.is_drill(),
                    reissue: false,
                    first_requested_at: chunk.first_requested_at.unwrap(),
                })
            })
            .collect()
    }

    /// Answers the execution's start with these servers for each wave, in the default target.
    pub fn resolve_waves(&mut self, waves: &[Vec<String>]) -> &mut Self {
        self.send(resolved(waves.iter().map(|s| in_default(s)).collect()))
    }

    /// Resolves the current wave to the servers its plan lists (see [`Harness::resolve`]).
    pub fn resolve_plan(&mut self) -> &mut Self {
        let servers = self.plan_servers(self.current());
        self.resolve(&servers)
    }

    /// The servers wave `wave`'s groups list in the plan.
    pub fn plan_servers(&self, wave: usize) -> Vec<String> {
        self.state.plan.waves[wave]
            .groups
            .iter()
            .flat_map(|g| self.state.plan.protection_groups[g].servers.clone())
            .collect()
    }

    pub fn request_id(&self, chunk: usize) -> StartRequestId {
        StartRequestId {
            execution: EXEC.into(),
            wave: self.current(),
            attempt: self.attempt(),
            chunk,
        }
    }

    /// DRS started `job` for chunk `chunk` of the current wave.
    pub fn started(&mut self, chunk: usize, job: &str) -> &mut Self {
        let request = self.request_id(chunk);
        self.send(Event::JobStarted {
            request,
            job_id: job.into(),
        })
    }

    /// Answers every `StartRecovery` of the last decision with job `job-<wave>-<chunk>`.
    pub fn start_all(&mut self) -> &mut Self {
        for start in self.starts() {
            let job = format!("job-{}-{}", start.request.wave, start.request.chunk);
            self.send(Event::JobStarted {
                request: start.request,
                job_id: job.into(),
            });
        }
        self
    }

    pub fn reject(&mut self, chunk: usize, rejection: Rejection) -> &mut Self {
        let request = self.request_id(chunk);
        self.send(Event::StartRejected { request, rejection })
    }

    /// The live check token of the current wave.
    pub fn live_check(&self) -> Token {
        self.wave(self.current())
            .live_check()
            .expect("no live check")
    }

    /// The live retry token of the current wave.
    pub fn live_retry(&self) -> Token {
        self.wave(self.current())
            .live_retry()
            .expect("no live retry")
    }

    /// A check message with the live token, seeing `jobs`.
    pub fn check(&mut self, jobs: Vec<JobSnapshot>) -> &mut Self {
        let token = self.live_check();
        self.check_with(token, jobs)
    }

    /// A check message with `token`, seeing `jobs`.
    pub fn check_with(&mut self, token: Token, jobs: Vec<JobSnapshot>) -> &mut Self {
        let (wave, attempt) = (self.current(), self.attempt());
        self.send(Event::Check(Observation {
            wave,
            attempt,
            token,
            jobs,
        }))
    }

    pub fn retry_due(&mut self) -> &mut Self {
        let (wave, attempt, token) = (self.current(), self.attempt(), self.live_retry());
        self.send(Event::RetryStart {
            wave,
            attempt,
            token,
        })
    }

    pub fn advance(&mut self) -> &mut Self {
        let (wave, attempt) = (self.current(), self.attempt());
        self.send(Event::Advance { wave, attempt })
    }

    pub fn action(&mut self, phase: ActionPhase, index: usize, result: ActionResult) -> &mut Self {
        let (wave, attempt) = (self.current(), self.attempt());
        self.send(Event::ActionFinished {
            wave,
            attempt,
            phase,
            index,
            result,
        })
    }

    pub fn approve(&mut self, wave: usize) -> &mut Self {
        self.send(Event::ApprovalGiven {
            wave,
            by: "approver".to_owned(),
        })
    }

    pub fn cancel(&mut self) -> &mut Self {
        self.send(Event::CancelRequested {
            by: "operator".to_owned(),
            reason: "testing".to_owned(),
        })
    }

    /// Runs the current wave's launch to success: resolve, start, everything launched, advance.
    pub fn launch_wave(&mut self) -> &mut Self {
        self.resolve_plan().start_all();
        let wave = self.wave(self.current());
        let snapshots: Vec<JobSnapshot> = wave
            .jobs
            .iter()
            .map(|job| {
                let servers: Vec<String> = wave
                    .servers
                    .iter()
                    .filter(|s| s.job_id.as_ref() == Some(&job.id))
                    .map(|s| s.id.to_string())
                    .collect();
                launched(job.id.as_str(), &servers)
            })
            .collect();
        self.check(snapshots).advance()
    }
}

pub fn launch_event(job: &str, server: &str) -> LaunchEvent {
    LaunchEvent {
        job_id: job.into(),
        server_id: server.into(),
        result: LaunchResult::Succeeded,
    }
}

/// The checks among `effects`.
pub fn checks_of(effects: &[BeforeSave]) -> Vec<Delayed> {
    effects
        .iter()
        .filter_map(|e| match e {
            BeforeSave::Check(check) => Some(*check),
            _ => None,
        })
        .collect()
}

/// The start retries among `effects`.
pub fn retries_of(effects: &[BeforeSave]) -> Vec<Delayed> {
    effects
        .iter()
        .filter_map(|e| match e {
            BeforeSave::RetryStart(retry) => Some(*retry),
            _ => None,
        })
        .collect()
}

/// The claim releases among `effects`.
pub fn releases_of(effects: &[BeforeSave]) -> Vec<ClaimRelease> {
    effects
        .iter()
        .filter_map(|e| match e {
            BeforeSave::ReleaseClaim(release) => Some(release.clone()),
            _ => None,
        })
        .collect()
}

/// Whether `commands` hold a `Finish` with `status`.
pub fn finishes(commands: &[Command], status: ExecutionStatus) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::Finish { status: s } if *s == status))
}

/// The pre/post phase shorthand.
pub const PRE: ActionPhase = ActionPhase::Pre;
pub const POST: ActionPhase = ActionPhase::Post;
pub const OK: ActionResult = ActionResult::Succeeded;
