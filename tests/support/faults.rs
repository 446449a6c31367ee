//! Fault injection for the handlers' ports (plugged in with `LocalOptions::with_deps_layer`):
//! the starter "dies" after its ledger claim, at the two points before the job is recorded.
//!
//! In the starter, one `StartRecovery` command is: claim the budget in the ledger → call
//! DRS → record the job in the ledger. A Lambda killed after DRS accepted the call but before
//! `record_job` leaves a claim without a job and a DRS job nobody knows. Both injectors make
//! the record fail there (a transient error: the SQS message is redelivered, as after a
//! crash), once, and remember which request it was.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use engine::{JobId, JobSnapshot, StartRecovery, StartRequestId, TargetSelection, WaveIndex};
use pipeline::ports::{
    Claim, Drs, JobLedger, JobOwner, PortError, PortResult, Resolution, Scope, StartAnswer,
    TargetRef,
};

/// The requests a fault was injected into (shared with the test).
#[derive(Debug, Clone, Default)]
pub struct Injected(Arc<Mutex<Vec<StartRequestId>>>);

impl Injected {
    /// The requests so far.
    pub fn requests(&self) -> Vec<StartRequestId> {
        self.lock().clone()
    }

    /// Records `request` if no fault was injected yet; whether this call is the one to fail.
    fn first(&self, request: &StartRequestId) -> bool {
        let mut injected = self.lock();
        let fire = injected.is_empty();
        if fire {
            injected.push(request.clone());
        }
        fire
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StartRequestId>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A DRS port whose first `StartRecovery` of wave `wave` reaches DRS (the job is created)
/// and then fails as if the Lambda died before hearing the answer.
pub struct CrashAfterStartRecovery {
    inner: Arc<dyn Drs>,
    wave: WaveIndex,
    injected: Injected,
}

impl CrashAfterStartRecovery {
    /// Wraps `inner`; the fault fires on the first start of wave `wave`.
    pub fn new(inner: Arc<dyn Drs>, wave: WaveIndex) -> (Self, Injected) {
        let injected = Injected::default();
        let port = Self {
            inner,
            wave,
            injected: injected.clone(),
        };
        (port, injected)
    }
}

impl std::fmt::Debug for CrashAfterStartRecovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrashAfterStartRecovery")
            .field("wave", &self.wave)
            .field("injected", &self.injected)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Drs for CrashAfterStartRecovery {
    async fn resolve(
        &self,
        target: TargetRef<'_>,
        selections: &[TargetSelection],
    ) -> PortResult<Vec<Resolution>> {
        self.inner.resolve(target, selections).await
    }

    async fn start_recovery(
        &self,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> PortResult<StartAnswer> {
        let answer = self.inner.start_recovery(target, start).await?;
        if start.request.wave == self.wave
            && matches!(answer, StartAnswer::Started(_))
            && self.injected.first(&start.request)
        {
            return Err(PortError::Transient(format!(
                "injected: the starter died after DRS accepted {} ({answer:?}), before recording the job",
                start.request
            )));
        }
        Ok(answer)
    }

    async fn describe_jobs(
        &self,
        target: TargetRef<'_>,
        jobs: &[JobId],
    ) -> PortResult<Vec<JobSnapshot>> {
        self.inner.describe_jobs(target, jobs).await
    }
}

/// A job ledger whose first `record_job` of wave `wave` fails, as if the Lambda died just
/// before writing it.
pub struct FailFirstRecordJob {
    inner: Arc<dyn JobLedger>,
    wave: WaveIndex,
    injected: Injected,
}

impl FailFirstRecordJob {
    /// Wraps `inner`; the fault fires on the first job recorded for wave `wave`.
    pub fn new(inner: Arc<dyn JobLedger>, wave: WaveIndex) -> (Self, Injected) {
        let injected = Injected::default();
        let port = Self {
            inner,
            wave,
            injected: injected.clone(),
        };
        (port, injected)
    }
}

impl std::fmt::Debug for FailFirstRecordJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailFirstRecordJob")
            .field("wave", &self.wave)
            .field("injected", &self.injected)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl JobLedger for FailFirstRecordJob {
    async fn claim(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        servers: u32,
        limits: &engine::Limits,
    ) -> PortResult<Claim> {
        self.inner.claim(scope, request, servers, limits).await
    }

    async fn record_job(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        job: &JobId,
        owner: &JobOwner,
    ) -> PortResult<()> {
        if request.wave == self.wave && self.injected.first(request) {
            return Err(PortError::Transient(format!(
                "injected: the starter died before recording job {job} of {request}"
            )));
        }
        self.inner.record_job(scope, request, job, owner).await
    }

    async fn release(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        reason: pipeline::ports::ReleaseReason,
    ) -> PortResult<()> {
        self.inner.release(scope, request, reason).await
    }

    async fn owner(&self, job: &JobId) -> PortResult<Option<JobOwner>> {
        self.inner.owner(job).await
    }
}
