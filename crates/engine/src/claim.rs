//! The job ledger's claims: the DRS budget a `StartRecovery` request holds, and when it is
//! given back.
//!
//! Before each `StartRecovery` the starter claims one job of the request's servers in the
//! target's scope (account and region, shared by every execution). The answer says what may
//! have happened before: [`Claim::Granted`] means nothing of this request can have reached
//! DRS (it never held a claim, or only claims given back after DRS rejected it), while
//! [`Claim::Held`] and [`Claim::Regranted`] mean a start may have gone out (by an invocation
//! that died before recording the answer, or before a lost decision gave the claim back). A
//! decision gives claims back (`released`, [`ReleaseReason::Settled`]) when its jobs
//! complete and when a launch ends with requests still in the air; the starter gives one
//! back ([`ReleaseReason::Rejected`]) when DRS rejected a start made under a fresh claim.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::chunk::ChunkState;
use crate::command::StartRecovery;
use crate::decision::ClaimRelease;
use crate::drs::JobStatus;
use crate::execution::{Execution, WavePhase};
use crate::id::{JobId, StartRequestId};
use crate::input::{Event, Rejection};

/// The ledger's answer to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// Granted now: no `StartRecovery` of this request can be running under an earlier claim.
    Granted,
    /// Granted again, to a request whose earlier claim was given back as settled (its job
    /// completed, or its launch ended — by a decision that may not have been saved) or
    /// whose job was recorded: a `StartRecovery` of it may have gone out before.
    Regranted,
    /// Already held by this request: a `StartRecovery` may have been sent under it.
    Held,
    /// The scope's concurrent jobs or servers in active jobs are used up: back off.
    Exhausted,
}

/// What to do with a `StartRecovery` once its claim is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// Call DRS with this request. A re-issue whose claim was granted fresh never reached
    /// DRS, so it is sent as a first request (no search for its job: the common case of a
    /// start the advancer asked for and forwarded to the starter).
    Start(StartRecovery),
    /// Do not call DRS: the engine's answer is this rejection (the budget is used up).
    Rejected(Event),
}

impl StartRecovery {
    /// What `claim` means for this request.
    pub fn claimed(mut self, claim: Claim) -> Claimed {
        match claim {
            Claim::Exhausted => Claimed::Rejected(Event::StartRejected {
                request: self.request,
                rejection: Rejection::QuotaExceeded,
            }),
            Claim::Granted => {
                self.reissue = false;
                Claimed::Start(self)
            }
            Claim::Regranted | Claim::Held => Claimed::Start(self),
        }
    }
}

/// Why a claim is given back: what it says about a later claim of the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// DRS rejected the start made under a fresh claim: nothing of the request reached DRS,
    /// and a later claim is [`Claim::Granted`].
    Rejected,
    /// Its job completed, or its launch ended with the request unanswered: a start may have
    /// gone out, and a later claim is [`Claim::Regranted`].
    Settled,
}

/// Whether a claim answered `claim` stays held after DRS answered `rejection`: when a start
/// may have gone out under it before (it was held already) and the rejection does not say
/// it did not (a throttled search for its job, someone else's conflict), so that the retry
/// searches for its job again rather than start afresh. An adopted job (a conflict with our
/// own running job) keeps its claim too: the job holds the budget. Otherwise the claim is
/// given back at once, before the engine hears of the rejection.
pub fn kept_after(claim: Claim, rejection: &Rejection) -> bool {
    match rejection {
        Rejection::Conflict {
            running_job: Some(_),
        } => true,
        Rejection::Validation { .. } => false,
        _ => matches!(claim, Claim::Held | Claim::Regranted),
    }
}

/// What `released` needs of the state a decision started from: per wave, whether it was
/// launching and which of its jobs were completed (not a copy of the whole execution, which
/// holds every server of every wave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimsBefore {
    waves: Vec<(bool, BTreeSet<JobId>)>,
}

impl ClaimsBefore {
    pub(crate) fn of(state: &Execution) -> Self {
        let waves = state
            .waves
            .iter()
            .map(|wave| {
                let completed = wave
                    .jobs
                    .iter()
                    .filter(|job| job.status == JobStatus::Completed)
                    .map(|job| job.id.clone())
                    .collect();
                (wave.phase == WavePhase::Launching, completed)
            })
            .collect();
        Self { waves }
    }
}

/// The claims that `before → after` finished: those of jobs that became `COMPLETED`, and,
/// when a wave's launch ended (or the wave timed out or was cancelled) with jobs still
/// running or requests unanswered, those of their chunks. Sorted, each once.
pub(crate) fn released(before: &ClaimsBefore, after: &Execution) -> Vec<ClaimRelease> {
    let mut releases = BTreeSet::new();
    for (index, ((was_launching, completed), now)) in
        before.waves.iter().zip(&after.waves).enumerate()
    {
        let release = |target: &Option<String>, chunk: usize| ClaimRelease {
            target: target.clone(),
            request: StartRequestId {
                execution: after.id.clone(),
                wave: index,
                attempt: now.attempt,
                chunk,
            },
        };
        for job in &now.jobs {
            if job.status == JobStatus::Completed && !completed.contains(&job.id) {
                for &chunk in &job.chunks {
                    releases.insert(release(&job.target, chunk));
                }
            }
        }
        let launch_left = *was_launching && now.phase != WavePhase::Launching;
        if launch_left {
            for chunk in &now.chunks {
                // Every claim the launch may still hold: a job not seen completed, a request
                // unanswered, or a re-issue rejected while its claim stayed held (backing off,
                // then abandoned). Giving back a claim not held changes nothing.
                let holding = match &chunk.state {
                    ChunkState::Requested { .. }
                    | ChunkState::BackingOff { .. }
                    | ChunkState::Abandoned => chunk.requests > 0,
                    ChunkState::Started { job_id } => now
                        .job(job_id)
                        .is_some_and(|job| job.status != JobStatus::Completed),
                    ChunkState::Queued => false,
                };
                if holding {
                    releases.insert(release(&chunk.target, chunk.index));
                }
            }
        }
    }
    releases.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::id::ServerId;

    fn start(reissue: bool) -> StartRecovery {
        StartRecovery {
            request: StartRequestId {
                execution: "exec-1".into(),
                wave: 0,
                attempt: 1,
                chunk: 2,
            },
            target: Some("east".into()),
            servers: vec![ServerId::new("s-00000000000000001")],
            is_drill: true,
            reissue,
            first_requested_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_claim_answer_says_whether_to_call_drs_and_whether_to_search_first() {
        for reissue in [false, true] {
            let request = start(reissue);
            // No budget: DRS is not called; the engine hears of a quota rejection.
            assert_eq!(
                request.clone().claimed(Claim::Exhausted),
                Claimed::Rejected(Event::StartRejected {
                    request: request.request.clone(),
                    rejection: Rejection::QuotaExceeded,
                }),
                "reissue {reissue}"
            );
            // Granted now: nothing of it can be running, so it goes out as a first request.
            let fresh = StartRecovery {
                reissue: false,
                ..request.clone()
            };
            assert_eq!(
                request.clone().claimed(Claim::Granted),
                Claimed::Start(fresh),
                "reissue {reissue}"
            );
            // Held already, or regranted after a settled release: a start may have gone out
            // under it; the request is unchanged (a re-issue still looks for its job).
            for claim in [Claim::Held, Claim::Regranted] {
                assert_eq!(
                    request.clone().claimed(claim),
                    Claimed::Start(request.clone()),
                    "{claim:?} reissue {reissue}"
                );
            }
        }
    }

    #[test]
    fn a_claim_stays_held_after_a_rejection_only_when_a_start_may_be_under_it() {
        let throttled = Rejection::Throttled {
            retry_after_seconds: Some(5),
        };
        let adopted = Rejection::Conflict {
            running_job: Some("drsjob-1".into()),
        };
        let unknown_conflict = Rejection::Conflict { running_job: None };
        let validation = Rejection::Validation {
            message: "not replicating".into(),
        };
        #[rustfmt::skip]
        let cases = [
            // (claim answer, rejection, kept)
            (Claim::Granted, &throttled,               false),
            (Claim::Held,    &throttled,               true),
            (Claim::Granted, &Rejection::QuotaExceeded, false),
            (Claim::Held,    &Rejection::QuotaExceeded, true),
            (Claim::Granted, &unknown_conflict,        false),
            (Claim::Held,    &unknown_conflict,        true),
            // An adopted job holds the budget, whatever the claim said.
            (Claim::Granted, &adopted,                 true),
            (Claim::Held,    &adopted,                 true),
            // A request that can never succeed started nothing.
            (Claim::Granted, &validation,              false),
            (Claim::Held,    &validation,              false),
            // Regranted after a settled release: like a held claim.
            (Claim::Regranted, &throttled,             true),
            (Claim::Regranted, &unknown_conflict,      true),
            (Claim::Regranted, &validation,            false),
        ];
        for (claim, rejection, kept) in cases {
            assert_eq!(
                kept_after(claim, rejection),
                kept,
                "{claim:?} {rejection:?}"
            );
        }
    }
}
