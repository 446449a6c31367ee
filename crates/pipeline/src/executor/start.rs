//! `StartRecovery` under a job-ledger claim: claim, call DRS, record the job or give the
//! claim back. What a claim answer means is the engine's ([`engine::claim`]).

use engine::{
    Claimed, Event, Execution, JobId, Rejection, ReleaseReason, StartRecovery, StartRequestId,
    claim,
};
use tracing::{debug, info};

use super::Executor;
use crate::error::HandlerError;
use crate::ports::{JobOwner, Scope, StartAnswer};

impl Executor<'_> {
    /// Claims the budget, calls `StartRecovery`, records or releases; the engine's answer.
    pub(super) async fn start_recovery(
        &self,
        state: &Execution,
        start: StartRecovery,
    ) -> Result<Event, HandlerError> {
        let wave = start.request.wave;
        let target_name = start.target.clone();
        let (target, scope) = self
            .deps
            .target(state, target_name.as_deref())
            .map_err(|e| self.permanent(Some(wave), e.to_string()))?;
        let request = start.request.clone();
        let servers = u32::try_from(start.servers.len()).unwrap_or(u32::MAX);
        let was_reissue = start.reissue;
        let claim = self
            .deps
            .ledger
            .claim(&scope, &request, servers, &self.deps.config.limits)
            .await
            .map_err(|e| self.port_error(Some(wave), "claiming DRS budget", e))?;
        let start = match start.claimed(claim) {
            Claimed::Start(start) => start,
            Claimed::Rejected(answer) => {
                info!(wave, %request, %scope, "DRS budget used up by running jobs: backing off");
                return Ok(answer);
            }
        };
        if was_reissue && !start.reissue {
            debug!(wave, %request, "no earlier claim: the re-issued start never reached DRS");
        }
        // On failure the claim stays held: DRS may have accepted the request, and the re-issue
        // finds its job (same request ID) under the same claim.
        let answer = self
            .deps
            .drs
            .start_recovery(target, &start)
            .await
            .map_err(|e| self.port_error(Some(wave), "calling StartRecovery", e))?;
        let job = match &answer {
            StartAnswer::Started(job_id)
            | StartAnswer::Rejected(Rejection::Conflict {
                running_job: Some(job_id),
            }) => Some(job_id.clone()),
            StartAnswer::Rejected(_) => None,
        };
        if let Some(job_id) = &job {
            self.record_job(state, &scope, &request, job_id).await?;
        }
        match answer {
            StartAnswer::Started(job_id) => {
                info!(wave, job_id = %job_id, %request, servers, "recovery job started");
                Ok(Event::JobStarted { request, job_id })
            }
            StartAnswer::Rejected(rejection) => {
                if job.is_some() {
                    info!(wave, %request, "servers already recovering: job adopted");
                } else if claim::kept_after(claim, &rejection) {
                    info!(wave, %request, ?rejection, "DRS rejected the re-issued StartRecovery; the claim stays held");
                } else {
                    // Released before the engine hears of it: a failed release leaves the
                    // chunk requested, and its re-issue claims and releases again.
                    self.deps
                        .ledger
                        .release(&scope, &request, ReleaseReason::Rejected)
                        .await
                        .map_err(|e| self.port_error(Some(wave), "releasing a ledger claim", e))?;
                    info!(wave, %request, ?rejection, "DRS rejected StartRecovery");
                }
                Ok(Event::StartRejected { request, rejection })
            }
        }
    }

    async fn record_job(
        &self,
        state: &Execution,
        scope: &Scope,
        request: &StartRequestId,
        job_id: &JobId,
    ) -> Result<(), HandlerError> {
        let owner = JobOwner {
            execution_id: state.id.clone(),
            wave: request.wave,
        };
        self.deps
            .ledger
            .record_job(scope, request, job_id, &owner)
            .await
            .map_err(|e| self.port_error(Some(request.wave), "recording the job in the ledger", e))
    }
}
