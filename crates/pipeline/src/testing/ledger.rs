//! The job ledger in memory: a budget per account and region, claims per request, owners per
//! job. Same rules as the DynamoDB ledger (`.team/pipeline.md`): a claim is granted while the
//! scope has a job and the servers to spare, is idempotent per request, and is released once.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use engine::{JobId, Limits, StartRequestId};

use super::{Faults, lock};
use crate::ports::{Claim, JobLedger, JobOwner, PortResult, ReleaseReason, Scope};

/// Budgets, claims and job owners.
#[derive(Debug, Default)]
pub struct FakeLedger {
    inner: Mutex<Inner>,
    /// Failures of the next calls (any method).
    pub faults: Faults,
}

#[derive(Debug, Default)]
struct Inner {
    budgets: BTreeMap<Scope, Budget>,
    claims: BTreeMap<String, ClaimEntry>,
    owners: BTreeMap<JobId, JobOwner>,
    exhausted: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct Budget {
    jobs: u32,
    servers: u32,
    peak_jobs: u32,
}

#[derive(Debug, Clone)]
struct ClaimEntry {
    scope: Scope,
    servers: u32,
    job: Option<JobId>,
    active: bool,
    /// Given back as settled (a start may have gone out under it).
    settled: bool,
}

/// The request ID of the claims [`FakeLedger::occupy`] makes.
const FOREIGN: &str = "foreign/";

impl FakeLedger {
    /// Jobs holding a claim in `scope` now.
    pub fn active_jobs(&self, scope: &Scope) -> u32 {
        lock(&self.inner).budgets.get(scope).map_or(0, |b| b.jobs)
    }

    /// Servers in claimed jobs in `scope` now.
    pub fn active_servers(&self, scope: &Scope) -> u32 {
        lock(&self.inner)
            .budgets
            .get(scope)
            .map_or(0, |b| b.servers)
    }

    /// The most jobs that ever held a claim in `scope` at once.
    pub fn peak_jobs(&self, scope: &Scope) -> u32 {
        lock(&self.inner)
            .budgets
            .get(scope)
            .map_or(0, |b| b.peak_jobs)
    }

    /// How many claims were refused so far.
    pub fn exhausted_claims(&self) -> usize {
        lock(&self.inner).exhausted
    }

    /// Whether the claim of `request` is held.
    pub fn is_held(&self, request: &StartRequestId) -> bool {
        lock(&self.inner)
            .claims
            .get(&request.to_string())
            .is_some_and(|c| c.active)
    }

    /// Claims `jobs` jobs of `servers_each` servers in `scope` for someone else (another
    /// execution): they hold the budget until [`Self::free_foreign`].
    pub fn occupy(&self, scope: &Scope, jobs: u32, servers_each: u32) {
        let mut inner = lock(&self.inner);
        let start = inner.claims.len();
        for n in 0..jobs {
            let key = format!("{FOREIGN}{}", start + n as usize);
            inner.claims.insert(
                key,
                ClaimEntry {
                    scope: scope.clone(),
                    servers: servers_each,
                    job: None,
                    active: true,
                    settled: false,
                },
            );
            let budget = inner.budgets.entry(scope.clone()).or_default();
            budget.jobs += 1;
            budget.servers += servers_each;
            budget.peak_jobs = budget.peak_jobs.max(budget.jobs);
        }
    }

    /// Releases every claim made with [`Self::occupy`].
    pub fn free_foreign(&self) {
        let mut inner = lock(&self.inner);
        let Inner {
            claims, budgets, ..
        } = &mut *inner;
        for (key, claim) in claims.iter_mut() {
            if key.starts_with(FOREIGN) && claim.active {
                claim.active = false;
                if let Some(budget) = budgets.get_mut(&claim.scope) {
                    budget.jobs = budget.jobs.saturating_sub(1);
                    budget.servers = budget.servers.saturating_sub(claim.servers);
                }
            }
        }
    }

    /// The job recorded for `request`.
    pub fn job_of(&self, request: &StartRequestId) -> Option<JobId> {
        lock(&self.inner)
            .claims
            .get(&request.to_string())
            .and_then(|c| c.job.clone())
    }
}

#[async_trait]
impl JobLedger for FakeLedger {
    async fn claim(
        &self,
        scope: &Scope,
        request: &StartRequestId,
        servers: u32,
        limits: &Limits,
    ) -> PortResult<Claim> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let mut inner = lock(&self.inner);
        let key = request.to_string();
        let earlier = inner.claims.get(&key).cloned();
        if earlier.as_ref().is_some_and(|c| c.active) {
            return Ok(Claim::Held);
        }
        let budget = inner.budgets.entry(scope.clone()).or_default();
        let fits = budget.jobs < limits.concurrent_jobs
            && budget.servers + servers <= limits.servers_in_active_jobs;
        if !fits {
            inner.exhausted += 1;
            return Ok(Claim::Exhausted);
        }
        budget.jobs += 1;
        budget.servers += servers;
        budget.peak_jobs = budget.peak_jobs.max(budget.jobs);
        let regranted = earlier
            .as_ref()
            .is_some_and(|c| c.settled || c.job.is_some());
        inner.claims.insert(
            key,
            ClaimEntry {
                scope: scope.clone(),
                servers,
                job: earlier.and_then(|c| c.job),
                active: true,
                settled: false,
            },
        );
        Ok(if regranted {
            Claim::Regranted
        } else {
            Claim::Granted
        })
    }

    async fn record_job(
        &self,
        _scope: &Scope,
        request: &StartRequestId,
        job: &JobId,
        owner: &JobOwner,
    ) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let mut inner = lock(&self.inner);
        if let Some(claim) = inner.claims.get_mut(&request.to_string()) {
            claim.job = Some(job.clone());
        }
        inner.owners.insert(job.clone(), owner.clone());
        Ok(())
    }

    async fn release(
        &self,
        _scope: &Scope,
        request: &StartRequestId,
        reason: ReleaseReason,
    ) -> PortResult<()> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        let mut inner = lock(&self.inner);
        let Inner {
            claims, budgets, ..
        } = &mut *inner;
        if let Some(claim) = claims.get_mut(&request.to_string()) {
            if claim.active {
                claim.active = false;
                claim.settled = reason == ReleaseReason::Settled;
                if let Some(budget) = budgets.get_mut(&claim.scope) {
                    budget.jobs = budget.jobs.saturating_sub(1);
                    budget.servers = budget.servers.saturating_sub(claim.servers);
                }
            }
        }
        Ok(())
    }

    async fn owner(&self, job: &JobId) -> PortResult<Option<JobOwner>> {
        if let Some(error) = self.faults.take() {
            return Err(error);
        }
        Ok(lock(&self.inner).owners.get(job).cloned())
    }
}
