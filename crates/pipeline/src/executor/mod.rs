//! The handler loop shared by the three Lambdas: load, decide, save, carry out.
//!
//! ```text
//! load → engine::decide → carry out decision.before_save → conditional save
//!      → carry out decision.after_save (or hand it over to its carrier) → answers → decide …
//! ```
//!
//! The engine says what to do and when ([`engine::Decision`]); this loop only does it, in
//! that order, and knows nothing of the engine's internals:
//! - A version conflict on save reloads the execution and decides again (the engine
//!   recognises what was already done), a bounded number of times; then the record fails and
//!   SQS delivers it again. A failure before the save leaves the decision unsaved.
//! - Answers of one round of commands are decided together and saved once, before any
//!   command they lead to is carried out.
//! - A port failure while carrying out a command does not stop the others; the record fails
//!   at the end so SQS delivers it again, and the engine re-issues what is still in flight.
//!
//! One module per family of effects: [`before_save`] (delayed messages, claim releases),
//! [`commands`] (the dispatch, hand-overs, notifications and ends), [`resolve`],
//! [`start`] (`StartRecovery` under a ledger claim), [`describe`] (`DescribeJobs`).

mod before_save;
mod commands;
mod describe;
mod resolve;
mod start;

use engine::{
    BeforeSave, Command, Decision, EngineError, Event, Execution, ExecutionId, Input, WaveIndex,
};
use tracing::{Span, debug, info, warn};

use crate::deps::Deps;
use crate::error::{Context, HandlerError};
use crate::message::{self, Message, QueueName};
use crate::ports::{Created, PortError, Version};
use crate::role::Role;

pub use describe::DESCRIBE_JOBS_MAX;

/// Most conditional saves of one decision before the record is failed (and retried by SQS).
pub const MAX_SAVE_ATTEMPTS: u32 = 5;

/// Most rounds of answers one record may lead to; more means the engine does not settle.
pub const MAX_ROUNDS: usize = 64;

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

    fn permanent(&self, wave: Option<WaveIndex>, message: String) -> HandlerError {
        HandlerError::Permanent {
            context: self.context(wave),
            message,
        }
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

    /// The message `body`, if this role handles it; otherwise a rejection saying which
    /// queue it belongs on (it is dead-lettered).
    pub(crate) fn accept(&self, body: &str) -> Result<Message, Stop> {
        let message = message::decode(body).map_err(|e| Stop::Reject(e.to_string()))?;
        self.accepted(message)
    }

    /// `message`, if this role handles it.
    pub(crate) fn accepted(&self, message: Message) -> Result<Message, Stop> {
        if self.role.accepts(&message) {
            Ok(message)
        } else {
            Err(Stop::Reject(self.role.refusal(&message)))
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

    /// Creates a new execution from [`engine::start`]'s decision and carries out what
    /// follows; when it could not be created (an execution of that ID exists, or its plan is
    /// held by another), says so and does nothing else.
    pub(crate) async fn create(&self, decision: Decision) -> Result<Created, Stop> {
        self.before_save(&decision.state, &decision.before_save)
            .await?;
        let created = self
            .deps
            .executions
            .create(&decision.state)
            .await
            .map_err(|e| self.port_error(None, "creating the execution", e))?;
        if created != Created::New {
            return Ok(created);
        }
        info!(
            plan = %decision.state.plan.name,
            mode = %decision.state.mode,
            requested_by = %decision.state.requested_by,
            "execution started"
        );
        // A new execution is stored at version 1.
        let decided = Decided {
            state: decision.state,
            version: 1,
            commands: decision.after_save,
        };
        self.follow(decided).await.map(|()| Created::New)
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
        Err(Stop::Fail(self.permanent(
            None,
            format!(
                "the execution did not settle after {MAX_ROUNDS} rounds of answers to commands"
            ),
        )))
    }

    /// Decides `inputs` in order, carries out what comes before the save and saves; on a
    /// version conflict reloads and decides again. `None` when the execution disappeared
    /// meanwhile.
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
            let mut before_save: Vec<BeforeSave> = Vec::new();
            let mut commands = Vec::new();
            for event in &inputs {
                let input = Input::new(after.id.clone(), event.clone());
                match engine::decide(after, input, now) {
                    Ok(decision) => {
                        after = decision.state;
                        before_save.extend(decision.before_save);
                        commands.extend(decision.after_save);
                    }
                    // A stored state the engine cannot use is not the message's fault.
                    Err(error)
                        if from_message
                            && !matches!(error, EngineError::InconsistentState { .. }) =>
                    {
                        return Err(Stop::Reject(error.to_string()));
                    }
                    Err(error) => {
                        return Err(Stop::Fail(self.permanent(
                            Some(state.current_wave),
                            format!("the engine refused the input: {error}"),
                        )));
                    }
                }
            }
            self.before_save(&after, &before_save).await?;
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
}
