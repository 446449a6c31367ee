//! The handler loop shared by the three Lambdas: decide, save, carry out, feed the answers back.
//!
//! ```text
//! load → engine::decide → send delayed messages, release ledger claims → conditional save
//!      → carry out the commands (or forward them to their owner) → answers → decide again …
//! ```
//!
//! - Delayed messages (checks, start retries) are sent before the save, as the engine allows:
//!   a copy whose token is not live is ignored, so a crash never kills a chain.
//! - Ledger claims of jobs that became `COMPLETED` (and of a launch that ended without them,
//!   timed out or cancelled) are released before the save too: releases are idempotent, and
//!   a failed release leaves the decision unsaved, so the redelivered message computes it
//!   again. Released after the save, a lost release would leak budget for good.
//! - Everything else is carried out after the save. A version conflict reloads the execution
//!   and decides again (the engine recognises what was already done), a bounded number of
//!   times; then the record fails and SQS delivers it again.
//! - Answers of one round of commands are decided together and saved once, before any
//!   command they lead to is carried out.
//! - A port failure while carrying out a command does not stop the others; the record fails
//!   at the end so SQS delivers it again, and the engine re-issues what is still in flight.

use std::collections::{BTreeMap, BTreeSet};

use engine::chunk::ChunkState;
use engine::{
    Command, EngineError, Event, Execution, ExecutionId, Input, JobId, JobSnapshot, JobStatus,
    Rejection, ResolutionOutcome, ResolvedTarget, StartRecovery, StartRequestId, TargetSelection,
    WaveIndex, WavePhase, WaveResolution,
};
use tracing::{Span, debug, info, warn};

use crate::deps::Deps;
use crate::error::{Context, HandlerError};
use crate::message::{Message, QueueName};
use crate::ports::{Claim, JobOwner, PortError, Resolution, StartAnswer, Version};
use crate::role::Role;

/// Most conditional saves of one decision before the record is failed (and retried by SQS).
pub const MAX_SAVE_ATTEMPTS: u32 = 5;

/// Most rounds of answers one record may lead to; more means the engine does not settle.
pub const MAX_ROUNDS: usize = 64;

/// Most job IDs in one `DescribeJobs` call.
pub const DESCRIBE_JOBS_MAX: usize = 1000;

/// Why handling a message stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The message can never be processed: dead-letter it with this reason and acknowledge.
    Reject(String),
    /// Fail the record (SQS delivers it again).
    Fail(HandlerError),
}

impl From<HandlerError> for Stop {
    fn from(error: HandlerError) -> Self {
        Stop::Fail(error)
    }
}

/// A decision saved (or that changed nothing), with the commands still to carry out.
#[derive(Debug)]
pub(crate) struct Decided {
    pub(crate) state: Execution,
    pub(crate) version: Version,
    pub(crate) commands: Vec<Command>,
}

/// One message being handled by one role.
#[derive(Debug, Clone)]
pub(crate) struct Executor<'a> {
    pub(crate) deps: &'a Deps,
    pub(crate) role: Role,
    message_id: &'a str,
    execution_id: Option<ExecutionId>,
    span: Span,
}

impl<'a> Executor<'a> {
    pub(crate) fn new(deps: &'a Deps, role: Role, message_id: &'a str) -> Self {
        let span = tracing::info_span!(
            "record",
            queue = role.queue().as_str(),
            message_id,
            execution_id = tracing::field::Empty,
        );
        Self {
            deps,
            role,
            message_id,
            execution_id: None,
            span,
        }
    }

    /// The span every log line of this message goes into.
    pub(crate) fn span(&self) -> Span {
        self.span.clone()
    }

    /// The same, now that the message's execution is known.
    pub(crate) fn for_execution(&self, id: &ExecutionId) -> Self {
        self.span.record("execution_id", id.as_str());
        Self {
            execution_id: Some(id.clone()),
            ..self.clone()
        }
    }

    pub(crate) fn queue(&self) -> QueueName {
        self.role.queue()
    }

    pub(crate) fn context(&self, wave: Option<WaveIndex>) -> Context {
        Context {
            queue: self.queue(),
            message_id: self.message_id.to_owned(),
            execution_id: self.execution_id.clone(),
            wave,
        }
    }

    fn port_error(&self, wave: Option<WaveIndex>, doing: &str, error: PortError) -> HandlerError {
        HandlerError::from_port(self.context(wave), doing, error)
    }

    /// Ends the handling of a record: a rejected message goes to the dead-letter queue.
    pub(crate) async fn conclude(
        &self,
        body: &str,
        outcome: Result<(), Stop>,
    ) -> Result<(), HandlerError> {
        match outcome {
            Ok(()) => Ok(()),
            Err(Stop::Fail(error)) => Err(error),
            Err(Stop::Reject(reason)) => {
                self.span.in_scope(|| {
                    warn!(%reason, "message rejected: sent to the dead-letter queue");
                });
                self.deps
                    .queues
                    .dead_letter(self.queue(), body, &reason)
                    .await
                    .map_err(|e| self.port_error(None, "sending to the dead-letter queue", e))
            }
        }
    }

    /// The execution `id` and its version; `None` (logged) when it does not exist.
    pub(crate) async fn load(
        &self,
        id: &ExecutionId,
    ) -> Result<Option<(Execution, Version)>, Stop> {
        let loaded = self
            .deps
            .executions
            .load(id)
            .await
            .map_err(|e| self.port_error(None, "loading the execution", e))?;
        if loaded.is_none() {
            info!("execution not found (deleted, or never created): message acknowledged");
        }
        Ok(loaded)
    }

    /// Loads execution `id` and feeds it `event`, the message's input.
    pub(crate) async fn feed(&self, id: &ExecutionId, event: Event) -> Result<(), Stop> {
        let executor = self.for_execution(id);
        match executor.load(id).await? {
            Some((state, version)) => executor.drive(state, version, event).await,
            None => Ok(()),
        }
    }

    /// Decides `event`, the message's input, for the loaded `state`, and carries out what
    /// follows.
    pub(crate) async fn drive(
        &self,
        state: Execution,
        version: Version,
        event: Event,
    ) -> Result<(), Stop> {
        match self.decide(state, version, vec![event], true).await? {
            Some(decided) => self.follow(decided).await,
            None => Ok(()),
        }
    }

    /// Carries out the commands of a saved decision, and of every decision their answers
    /// lead to.
    pub(crate) async fn follow(&self, decided: Decided) -> Result<(), Stop> {
        let mut failure: Option<HandlerError> = None;
        let mut decided = decided;
        for _ in 0..MAX_ROUNDS {
            let answers = self
                .carry_out(&decided.state, decided.commands, &mut failure)
                .await;
            if answers.is_empty() {
                return failure.map_or(Ok(()), |error| Err(Stop::Fail(error)));
            }
            let next = self
                .decide(decided.state, decided.version, answers, false)
                .await;
            match (next, failure.take()) {
                (Ok(Some(next)), failure_so_far) => {
                    failure = failure_so_far;
                    decided = next;
                }
                (Ok(None), None) => return Ok(()),
                (Ok(None), Some(error)) | (Err(_), Some(error)) => return Err(Stop::Fail(error)),
                (Err(stop), None) => return Err(stop),
            }
        }
        Err(Stop::Fail(HandlerError::Permanent {
            context: self.context(None),
            message: format!(
                "the execution did not settle after {MAX_ROUNDS} rounds of answers to commands"
            ),
        }))
    }

    /// Decides `inputs` in order, sends the delayed messages, releases finished claims and
    /// saves; on a version conflict reloads and decides again. `None` when the execution
    /// disappeared meanwhile.
    ///
    /// `from_message`: the input is the message's own, and an input the engine refuses
    /// means the message can never be processed (it is dead-lettered); otherwise it is an
    /// answer to a command, and a refusal is a bug (the record fails).
    pub(crate) async fn decide(
        &self,
        state: Execution,
        version: Version,
        inputs: Vec<Event>,
        from_message: bool,
    ) -> Result<Option<Decided>, Stop> {
        let (mut state, mut version) = (state, version);
        for _ in 0..MAX_SAVE_ATTEMPTS {
            let now = self.deps.clock.now();
            let mut after = state.clone();
            let mut commands = Vec::new();
            for event in &inputs {
                let input = Input::new(after.id.clone(), event.clone());
                match engine::decide(after, input, now) {
                    Ok((next, more)) => {
                        after = next;
                        commands.extend(more);
                    }
                    // A stored state the engine cannot use is not the message's fault.
                    Err(error)
                        if from_message
                            && !matches!(error, EngineError::InconsistentState { .. }) =>
                    {
                        return Err(Stop::Reject(error.to_string()));
                    }
                    Err(error) => {
                        return Err(Stop::Fail(HandlerError::Permanent {
                            context: self.context(Some(state.current_wave)),
                            message: format!("the engine refused the input: {error}"),
                        }));
                    }
                }
            }
            self.send_delayed(&after, &commands).await?;
            self.release_claims(&state, &after).await?;
            if after == state {
                if commands.is_empty() {
                    debug!("duplicate or stale input: nothing to do");
                }
                return Ok(Some(Decided {
                    state: after,
                    version,
                    commands,
                }));
            }
            let saved = self
                .deps
                .executions
                .save(&after, version)
                .await
                .map_err(|e| {
                    self.port_error(Some(after.current_wave), "saving the execution", e)
                })?;
            match saved {
                Some(new_version) => {
                    return Ok(Some(Decided {
                        state: after,
                        version: new_version,
                        commands,
                    }));
                }
                None => {
                    info!(
                        version,
                        "version conflict on save: reloading and deciding again"
                    );
                    match self.load(&state.id).await? {
                        Some((reloaded, reloaded_version)) => {
                            state = reloaded;
                            version = reloaded_version;
                        }
                        None => return Ok(None),
                    }
                }
            }
        }
        Err(Stop::Fail(HandlerError::Transient {
            context: self.context(Some(state.current_wave)),
            message: format!(
                "the execution kept changing: {MAX_SAVE_ATTEMPTS} conditional saves in a row lost"
            ),
        }))
    }

    /// Sends the delayed messages among `commands` (allowed before the save).
    pub(crate) async fn send_delayed(
        &self,
        state: &Execution,
        commands: &[Command],
    ) -> Result<(), HandlerError> {
        for command in commands {
            let (queue, message, delay, wave) = match command {
                Command::ScheduleCheck {
                    wave,
                    attempt,
                    token,
                    delay,
                } => (
                    QueueName::Check,
                    Message::Check {
                        execution_id: state.id.clone(),
                        wave: *wave,
                        attempt: *attempt,
                        token: *token,
                    },
                    delay.get(),
                    *wave,
                ),
                Command::ScheduleRetry {
                    wave,
                    attempt,
                    token,
                    delay,
                } => (
                    QueueName::Start,
                    Message::RetryStart {
                        execution_id: state.id.clone(),
                        wave: *wave,
                        attempt: *attempt,
                        token: *token,
                    },
                    delay.get(),
                    *wave,
                ),
                _ => continue,
            };
            self.deps
                .queues
                .send(queue, &message, delay)
                .await
                .map_err(|e| self.port_error(Some(wave), "sending a delayed message", e))?;
            debug!(wave, queue = queue.as_str(), delay, "delayed message sent");
        }
        Ok(())
    }

    /// Gives back the ledger claims that `before → after` finished.
    async fn release_claims(
        &self,
        before: &Execution,
        after: &Execution,
    ) -> Result<(), HandlerError> {
        for (target, request) in claims_to_release(before, after) {
            let (_, scope) = match self.deps.target(&after.plan, target.as_deref()) {
                Ok(found) => found,
                Err(error) => {
                    warn!(%request, %error, "cannot release the claim");
                    continue;
                }
            };
            self.deps
                .ledger
                .release(&scope, &request)
                .await
                .map_err(|e| self.port_error(Some(request.wave), "releasing a ledger claim", e))?;
            debug!(wave = request.wave, %request, %scope, "ledger claim released");
        }
        Ok(())
    }

    /// Carries out `commands` (the delayed messages were sent already), forwarding those
    /// another role owns; returns the answers to feed back. Failures are kept in `failure`.
    async fn carry_out(
        &self,
        state: &Execution,
        commands: Vec<Command>,
        failure: &mut Option<HandlerError>,
    ) -> Vec<Event> {
        let mut answers = Vec::new();
        let mut forwards = BTreeSet::new();
        for command in commands {
            if !self.role.carries_out(&command) {
                if let Some(forward) = forward_of(state, &command) {
                    forwards.insert(forward);
                }
                continue;
            }
            match self.execute(state, command).await {
                Ok(Some(answer)) => answers.push(answer),
                Ok(None) => {}
                Err(error) => {
                    warn!(%error, "command failed; the message will be retried");
                    failure.get_or_insert(error);
                }
            }
        }
        for (owner, wave, attempt) in forwards {
            let message = Message::Resume {
                execution_id: state.id.clone(),
                wave,
                attempt,
            };
            match self.deps.queues.send(owner.queue(), &message, 0).await {
                Ok(()) => debug!(wave, to = owner.as_str(), "work forwarded to its owner"),
                Err(e) => {
                    let error = self.port_error(Some(wave), "forwarding work to its owner", e);
                    warn!(%error, "forward failed; the message will be retried");
                    failure.get_or_insert(error);
                }
            }
        }
        answers
    }

    /// Carries out one command; its answer, if it has one.
    async fn execute(
        &self,
        state: &Execution,
        command: Command,
    ) -> Result<Option<Event>, HandlerError> {
        match command {
            Command::ResolveServers { waves } => self.resolve(state, &waves).await.map(Some),
            Command::StartRecovery(start) => self.start_recovery(state, start).await,
            Command::RunAction(run) => {
                info!(wave = run.wave, run_id = %run.run_id, "running action");
                let result = self
                    .deps
                    .actions
                    .run(state, &run)
                    .await
                    .map_err(|e| self.port_error(Some(run.wave), "running an action", e))?;
                Ok(Some(Event::ActionFinished {
                    wave: run.wave,
                    attempt: run.attempt,
                    phase: run.phase,
                    index: run.index,
                    result,
                }))
            }
            Command::RequestApproval { wave, name } => {
                self.deps
                    .approvals
                    .request(state, wave)
                    .await
                    .map_err(|e| self.port_error(Some(wave), "requesting an approval", e))?;
                info!(wave, %name, "approval requested");
                Ok(None)
            }
            Command::Notify(notification) => {
                // People not being told must never stop a recovery.
                if let Err(error) = self.deps.notifier.notify(state, &notification).await {
                    warn!(%error, ?notification, "notification failed (ignored)");
                }
                Ok(None)
            }
            Command::Finish { status } => {
                info!(%status, plan = %state.plan.name, "execution finished");
                Ok(None)
            }
            Command::ScheduleDrillCleanup(cleanup) => {
                self.deps
                    .executions
                    .record_cleanup(&state.id, &cleanup)
                    .await
                    .map_err(|e| self.port_error(None, "recording the drill cleanup", e))?;
                info!(at = %cleanup.at, "drill cleanup recorded");
                Ok(None)
            }
            Command::Advance { wave, attempt } => {
                let message = Message::Advance {
                    execution_id: state.id.clone(),
                    wave,
                    attempt,
                };
                self.deps
                    .queues
                    .send(QueueName::Advance, &message, 0)
                    .await
                    .map_err(|e| self.port_error(Some(wave), "sending the advance message", e))?;
                info!(wave, "wave launch ended: advance sent");
                Ok(None)
            }
            // Sent before the save.
            Command::ScheduleCheck { .. } | Command::ScheduleRetry { .. } => Ok(None),
        }
    }

    /// Resolves every wave's selectors with one listing per target; the engine's answer.
    ///
    /// A target that cannot be read for good (access denied, a role that cannot be assumed)
    /// fails the waves that use it, with the reason: the engine rejects the execution before
    /// anything starts, rather than the message going round until its dead-letter queue.
    async fn resolve(
        &self,
        state: &Execution,
        waves: &[engine::WaveSelection],
    ) -> Result<Event, HandlerError> {
        let mut by_target: BTreeMap<Option<&str>, Vec<(WaveIndex, &TargetSelection)>> =
            BTreeMap::new();
        for wave in waves {
            for selection in &wave.targets {
                by_target
                    .entry(selection.target.as_deref())
                    .or_default()
                    .push((wave.wave, selection));
            }
        }
        // Per wave, the servers found per target, or the first failure.
        let mut found: BTreeMap<WaveIndex, Result<Vec<ResolvedTarget>, String>> = waves
            .iter()
            .map(|wave| (wave.wave, Ok(Vec::new())))
            .collect();
        for (name, selections) in by_target {
            let place = name.unwrap_or("(default target)");
            let answers = match self.deps.target(&state.plan, name) {
                Err(e) => Err(e.to_string()),
                Ok((target, _)) => {
                    let only: Vec<TargetSelection> =
                        selections.iter().map(|(_, s)| (*s).clone()).collect();
                    match self.deps.drs.resolve(target, &only).await {
                        Ok(answers) if answers.len() == only.len() => Ok(answers),
                        Ok(answers) => {
                            return Err(self.permanent(
                                None,
                                format!(
                                    "the resolver answered {} of {} selections in {place}",
                                    answers.len(),
                                    only.len()
                                ),
                            ));
                        }
                        Err(PortError::Permanent(message)) => Err(message),
                        Err(error) => {
                            return Err(self.port_error(None, "resolving servers", error));
                        }
                    }
                }
            };
            let answers: Vec<Resolution> = match answers {
                Ok(answers) => answers,
                Err(message) => vec![Resolution::Failed(message); selections.len()],
            };
            for ((wave, selection), answer) in selections.into_iter().zip(answers) {
                let Some(entry) = found.get_mut(&wave) else {
                    continue;
                };
                match (entry, answer) {
                    (Ok(targets), Resolution::Servers(servers)) => targets.push(ResolvedTarget {
                        target: selection.target.clone(),
                        servers,
                    }),
                    (entry @ Ok(_), Resolution::Failed(message)) => {
                        warn!(wave, %message, target = place, "the wave's servers cannot be resolved");
                        *entry = Err(message);
                    }
                    (Err(_), _) => {}
                }
            }
        }
        let waves = found
            .into_iter()
            .map(|(wave, outcome)| WaveResolution {
                wave,
                outcome: match outcome {
                    Ok(targets) => {
                        let servers: usize = targets.iter().map(|t| t.servers.len()).sum();
                        info!(wave, servers, "servers resolved");
                        ResolutionOutcome::Resolved { targets }
                    }
                    Err(message) => ResolutionOutcome::Failed { message },
                },
            })
            .collect();
        Ok(Event::ServersResolved { waves })
    }

    fn permanent(&self, wave: Option<WaveIndex>, message: String) -> HandlerError {
        HandlerError::Permanent {
            context: self.context(wave),
            message,
        }
    }

    /// Claims the budget, calls `StartRecovery`, records or releases; the engine's answer.
    async fn start_recovery(
        &self,
        state: &Execution,
        mut start: StartRecovery,
    ) -> Result<Option<Event>, HandlerError> {
        let wave = start.request.wave;
        let (target, scope) = self
            .deps
            .target(&state.plan, start.target.as_deref())
            .map_err(|e| self.permanent(Some(wave), e.to_string()))?;
        let request = start.request.clone();
        let servers = u32::try_from(start.servers.len()).unwrap_or(u32::MAX);
        let claim = self
            .deps
            .ledger
            .claim(&scope, &request, servers, &self.deps.config.limits)
            .await
            .map_err(|e| self.port_error(Some(wave), "claiming DRS budget", e))?;
        if claim == Claim::Exhausted {
            info!(wave, %request, %scope, "DRS budget used up by running jobs: backing off");
            return Ok(Some(Event::StartRejected {
                request,
                rejection: Rejection::QuotaExceeded,
            }));
        }
        // On failure the claim stays held: DRS may have accepted the request, and the re-issue
        // finds its job (same request ID) under the same claim. A claim granted now proves the
        // opposite — nothing of this request reached DRS since its last claim was given back
        // (after a rejection) — so a re-issue skips the search for its job: the common case of
        // a start first asked for by the advancer and forwarded here.
        if claim == Claim::Granted && start.reissue {
            debug!(wave, %request, "no earlier claim: the re-issued start never reached DRS");
            start.reissue = false;
        }
        let answer = self
            .deps
            .drs
            .start_recovery(target, &start)
            .await
            .map_err(|e| self.port_error(Some(wave), "calling StartRecovery", e))?;
        let owner = JobOwner {
            execution_id: state.id.clone(),
            wave,
        };
        match answer {
            StartAnswer::Started(job_id) => {
                self.record_job(&scope, &request, &job_id, &owner).await?;
                info!(wave, job_id = %job_id, %request, servers, "recovery job started");
                Ok(Some(Event::JobStarted { request, job_id }))
            }
            StartAnswer::Rejected(Rejection::Conflict {
                running_job: Some(job_id),
            }) => {
                self.record_job(&scope, &request, &job_id, &owner).await?;
                info!(wave, job_id = %job_id, %request, "servers already recovering: job adopted");
                Ok(Some(Event::StartRejected {
                    request,
                    rejection: Rejection::Conflict {
                        running_job: Some(job_id),
                    },
                }))
            }
            StartAnswer::Rejected(rejection)
                if claim == Claim::Held && !matches!(rejection, Rejection::Validation { .. }) =>
            {
                // A start may have gone out under this claim before (it was held already) and
                // this answer does not say it did not (a throttled search for its job, someone
                // else's conflict): the claim stays held, so the retry searches again rather
                // than start afresh. It is given back once the wave's launch ends.
                info!(wave, %request, ?rejection, "DRS rejected the re-issued StartRecovery; the claim stays held");
                Ok(Some(Event::StartRejected { request, rejection }))
            }
            StartAnswer::Rejected(rejection) => {
                // Released before the engine hears of it: a failed release leaves the chunk
                // requested, and its re-issue claims and releases again.
                self.deps
                    .ledger
                    .release(&scope, &request)
                    .await
                    .map_err(|e| self.port_error(Some(wave), "releasing a ledger claim", e))?;
                info!(wave, %request, ?rejection, "DRS rejected StartRecovery");
                Ok(Some(Event::StartRejected { request, rejection }))
            }
        }
    }

    async fn record_job(
        &self,
        scope: &crate::ports::Scope,
        request: &StartRequestId,
        job_id: &JobId,
        owner: &JobOwner,
    ) -> Result<(), HandlerError> {
        self.deps
            .ledger
            .record_job(scope, request, job_id, owner)
            .await
            .map_err(|e| self.port_error(Some(request.wave), "recording the job in the ledger", e))
    }

    /// `DescribeJobs` for `jobs` of wave `wave`: one call per target (per 1000 jobs).
    pub(crate) async fn describe(
        &self,
        state: &Execution,
        wave: WaveIndex,
        jobs: &[JobId],
    ) -> Result<Vec<JobSnapshot>, HandlerError> {
        let Some(wave_state) = state.waves.get(wave) else {
            return Ok(Vec::new());
        };
        let mut by_target: BTreeMap<Option<&str>, Vec<JobId>> = BTreeMap::new();
        for id in jobs {
            match wave_state.job(id) {
                Some(job) => by_target
                    .entry(job.target.as_deref())
                    .or_default()
                    .push(id.clone()),
                None => debug!(wave, job_id = %id, "not a job of this wave: not described"),
            }
        }
        let mut snapshots = Vec::new();
        for (name, ids) in by_target {
            let (target, _) = self
                .deps
                .target(&state.plan, name)
                .map_err(|e| self.permanent(Some(wave), e.to_string()))?;
            for batch in ids.chunks(DESCRIBE_JOBS_MAX) {
                let found = self
                    .deps
                    .drs
                    .describe_jobs(target, batch)
                    .await
                    .map_err(|e| self.port_error(Some(wave), "calling DescribeJobs", e))?;
                snapshots.extend(found);
            }
        }
        Ok(snapshots)
    }
}

/// The role, wave and attempt to send a `Resume` to for a command this role does not own.
fn forward_of(state: &Execution, command: &Command) -> Option<(Role, WaveIndex, engine::Attempt)> {
    let owner = Role::owner_of(command)?;
    let (wave, attempt) = match command {
        Command::ResolveServers { .. } => {
            let wave = state.current_wave;
            (wave, state.waves.get(wave)?.attempt)
        }
        Command::StartRecovery(start) => (start.request.wave, start.request.attempt),
        Command::RunAction(run) => (run.wave, run.attempt),
        Command::RequestApproval { wave, .. } => (*wave, state.waves.get(*wave)?.attempt),
        _ => return None,
    };
    Some((owner, wave, attempt))
}

/// The claims `before → after` finished, with their targets: the chunks of jobs that became
/// `COMPLETED`, and, when a wave's launch ended (or the wave was timed out or cancelled)
/// while jobs were still running or requested, the chunks of those.
pub(crate) fn claims_to_release(
    before: &Execution,
    after: &Execution,
) -> Vec<(Option<String>, StartRequestId)> {
    let mut releases = BTreeSet::new();
    for (index, (was, now)) in before.waves.iter().zip(&after.waves).enumerate() {
        let request = |chunk: usize| StartRequestId {
            execution: after.id.clone(),
            wave: index,
            attempt: now.attempt,
            chunk,
        };
        for job in &now.jobs {
            let completed_before = was
                .job(&job.id)
                .is_some_and(|old| old.status == JobStatus::Completed);
            if job.status == JobStatus::Completed && !completed_before {
                for &chunk in &job.chunks {
                    releases.insert((job.target.clone(), request(chunk)));
                }
            }
        }
        let launch_left = was.phase == WavePhase::Launching && now.phase != WavePhase::Launching;
        if launch_left {
            for chunk in &now.chunks {
                // Every claim the launch may still hold: a job not seen completed, a request
                // unanswered, or a re-issue rejected while its claim stayed held (backing off,
                // then abandoned). Giving back a claim not held changes nothing.
                let running = match &chunk.state {
                    ChunkState::Requested { .. }
                    | ChunkState::BackingOff { .. }
                    | ChunkState::Abandoned => chunk.requests > 0,
                    ChunkState::Started { job_id } => now
                        .job(job_id)
                        .is_some_and(|job| job.status != JobStatus::Completed),
                    ChunkState::Queued => false,
                };
                if running {
                    releases.insert((chunk.target.clone(), request(chunk.index)));
                }
            }
        }
    }
    releases.into_iter().collect()
}
