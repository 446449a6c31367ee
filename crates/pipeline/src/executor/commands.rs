//! Effects carried out after the save: the dispatch of commands to their families, work
//! handed over to the Lambda that must carry it out, notifications and the ends.

use std::collections::BTreeSet;

use engine::{Command, Event, Execution, Handover};
use tracing::{debug, info, warn};

use super::Executor;
use crate::error::HandlerError;
use crate::message::{Message, QueueName};
use crate::role::Role;

impl Executor<'_> {
    /// Carries out `commands`, handing over those another Lambda carries out; returns the
    /// answers to feed back. Failures are kept in `failure`.
    pub(super) async fn carry_out(
        &self,
        state: &Execution,
        commands: Vec<Command>,
        failure: &mut Option<HandlerError>,
    ) -> Vec<Event> {
        let mut answers = Vec::new();
        let mut handovers = BTreeSet::new();
        for command in commands {
            match command.handover() {
                Some(handover) if Role::of_carrier(handover.carrier) != self.role => {
                    handovers.insert(handover);
                    continue;
                }
                _ => {}
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
        for handover in handovers {
            if let Err(error) = self.hand_over(state, handover).await {
                warn!(%error, "hand-over failed; the message will be retried");
                failure.get_or_insert(error);
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
            Command::StartRecovery(start) => self.start_recovery(state, start).await.map(Some),
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
            Command::Notify(notification) => {
                // People not being told must never stop a recovery.
                if let Err(error) = self.deps.notifier.notify(state, &notification).await {
                    warn!(%error, ?notification, "notification failed (ignored)");
                }
                Ok(None)
            }
            Command::Finish { status } => {
                if state.holds_its_plan() {
                    self.deps
                        .executions
                        .release_plan(&state.plan.name, &state.id)
                        .await
                        .map_err(|e| self.port_error(None, "giving back the plan's hold", e))?;
                }
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
        }
    }

    /// Sends a `Resume` of the hand-over's wave attempt to its carrier's queue.
    async fn hand_over(&self, state: &Execution, handover: Handover) -> Result<(), HandlerError> {
        let Handover {
            carrier,
            wave,
            attempt,
        } = handover;
        let to = Role::of_carrier(carrier);
        let message = Message::Resume {
            execution_id: state.id.clone(),
            wave,
            attempt,
        };
        self.deps
            .queues
            .send(to.queue(), &message, 0)
            .await
            .map_err(|e| self.port_error(Some(wave), "handing work over to its Lambda", e))?;
        debug!(wave, to = to.as_str(), "work handed over to its Lambda");
        Ok(())
    }
}
