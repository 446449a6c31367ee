//! Effects carried out before the save: delayed messages and ledger claim releases.

use engine::{BeforeSave, ClaimRelease, Delayed, Execution, ReleaseReason};
use tracing::{debug, warn};

use super::Executor;
use crate::error::HandlerError;
use crate::message::{Message, QueueName};

impl Executor<'_> {
    /// Carries out `effects` in order; the first failure stops them (the decision is not
    /// saved, and is taken again when the message is redelivered).
    pub(crate) async fn before_save(
        &self,
        state: &Execution,
        effects: &[BeforeSave],
    ) -> Result<(), HandlerError> {
        for effect in effects {
            match effect {
                BeforeSave::Check(delayed) => {
                    let message = Message::Check {
                        execution_id: state.id.clone(),
                        wave: delayed.wave,
                        attempt: delayed.attempt,
                        token: delayed.token,
                    };
                    self.send_delayed(QueueName::Check, &message, delayed)
                        .await?;
                }
                BeforeSave::RetryStart(delayed) => {
                    let Delayed {
                        wave,
                        attempt,
                        token,
                        ..
                    } = *delayed;
                    let execution_id = state.id.clone();
                    let message = Message::RetryStart {
                        execution_id,
                        wave,
                        attempt,
                        token,
                    };
                    self.send_delayed(QueueName::Start, &message, delayed)
                        .await?;
                }
                BeforeSave::ReleaseClaim(release) => self.release(state, release).await?,
            }
        }
        Ok(())
    }

    async fn send_delayed(
        &self,
        queue: QueueName,
        message: &Message,
        delayed: &Delayed,
    ) -> Result<(), HandlerError> {
        let delay = delayed.delay.get();
        self.deps
            .queues
            .send(queue, message, delay)
            .await
            .map_err(|e| self.port_error(Some(delayed.wave), "sending a delayed message", e))?;
        debug!(
            wave = delayed.wave,
            queue = queue.as_str(),
            delay,
            "delayed message sent"
        );
        Ok(())
    }

    /// Gives back one claim. Releases are idempotent, so one carried out for a decision that
    /// is then lost changes nothing; released after the save, a lost release would leak
    /// budget for good.
    async fn release(&self, state: &Execution, release: &ClaimRelease) -> Result<(), HandlerError> {
        let request = &release.request;
        let scope = match self.deps.target(state, release.target.as_deref()) {
            Ok((_, scope)) => scope,
            Err(error) => {
                warn!(%request, %error, "cannot release the claim");
                return Ok(());
            }
        };
        self.deps
            .ledger
            .release(&scope, request, ReleaseReason::Settled)
            .await
            .map_err(|e| self.port_error(Some(request.wave), "releasing a ledger claim", e))?;
        debug!(wave = request.wave, %request, %scope, "ledger claim released");
        Ok(())
    }
}
