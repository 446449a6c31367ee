//! The [`Drs`] port of [`FakeDrs`].

use std::collections::BTreeMap;

use async_trait::async_trait;
use engine::{JobId, JobSnapshot, Rejection, ServerId, StartRecovery, TargetSelection};

use super::{FakeDrs, FakeJob, completion, target_name};
use crate::ports::{Clock, Drs, PortError, PortResult, Resolution, StartAnswer, TargetRef};
use crate::testing::lock;

#[async_trait]
impl Drs for FakeDrs {
    async fn resolve(
        &self,
        target: TargetRef<'_>,
        selections: &[TargetSelection],
    ) -> PortResult<Vec<Resolution>> {
        if let Some(error) = self.resolve_faults.take() {
            return Err(error);
        }
        let name = target_name(target);
        let mut inner = lock(&self.inner);
        inner.resolve_calls += 1;
        let servers: BTreeMap<ServerId, BTreeMap<String, String>> = inner
            .servers
            .iter()
            .filter(|((server_target, _), _)| *server_target == name)
            .map(|((_, id), tags)| (id.clone(), tags.clone()))
            .collect();
        Ok(selections
            .iter()
            .map(|selection| Resolution::select(selection, &servers))
            .collect())
    }

    async fn start_recovery(
        &self,
        target: TargetRef<'_>,
        start: &StartRecovery,
    ) -> PortResult<StartAnswer> {
        let now = self.clock.now();
        let name = target_name(target);
        let mut inner = lock(&self.inner);
        inner.start_calls += 1;
        if let Some(error) = self.start_faults.take() {
            return Err(error);
        }
        if start.reissue && inner.tag_lookup {
            inner.reissue_lookups += 1;
            if inner.throttled_lookups > 0 {
                inner.throttled_lookups -= 1;
                return Ok(StartAnswer::Rejected(Rejection::Throttled {
                    retry_after_seconds: None,
                }));
            }
            if let Some(job) = inner.jobs.iter().find(|j| j.request == start.request) {
                return Ok(StartAnswer::Started(job.id.clone()));
            }
        }
        if let Some(rejection) = inner.rejections.pop_front() {
            return Ok(StartAnswer::Rejected(rejection));
        }
        let unknown: Vec<&str> = start
            .servers
            .iter()
            .filter(|id| !inner.servers.contains_key(&(name.clone(), (*id).clone())))
            .map(ServerId::as_str)
            .collect();
        if !unknown.is_empty() {
            return Ok(StartAnswer::Rejected(Rejection::Validation {
                message: format!("unknown source servers: {}", unknown.join(", ")),
            }));
        }
        let running =
            |job: &&FakeJob| completion(job, inner.launch_seconds).is_none_or(|at| at > now);
        let conflict = inner
            .jobs
            .iter()
            .filter(running)
            .find(|job| job.servers.iter().any(|s| start.servers.contains(s)));
        if let Some(job) = conflict {
            // As the real adapter: only a job started for this very request is adopted; any
            // other conflicting job makes the engine back off and retry.
            let own = job.request == start.request && job.servers == start.servers;
            return Ok(StartAnswer::Rejected(Rejection::Conflict {
                running_job: own.then(|| job.id.clone()),
            }));
        }
        let active = inner
            .jobs
            .iter()
            .filter(running)
            .filter(|job| job.target == name)
            .count();
        if active >= inner.max_active_jobs {
            return Ok(StartAnswer::Rejected(Rejection::QuotaExceeded));
        }
        let id = JobId::new(format!("drsjob-{:017x}", inner.jobs.len() + 1));
        inner.jobs.push(FakeJob {
            id: id.clone(),
            target: name,
            request: start.request.clone(),
            servers: start.servers.clone(),
            is_drill: start.is_drill,
            started_at: now,
            completed_at: None,
        });
        if inner.accept_then_fail > 0 {
            inner.accept_then_fail -= 1;
            return Err(PortError::Transient(
                "connection reset after StartRecovery was sent".to_owned(),
            ));
        }
        Ok(StartAnswer::Started(id))
    }

    async fn describe_jobs(
        &self,
        target: TargetRef<'_>,
        jobs: &[JobId],
    ) -> PortResult<Vec<JobSnapshot>> {
        if let Some(error) = self.describe_faults.take() {
            return Err(error);
        }
        let now = self.clock.now();
        let name = target_name(target);
        let mut inner = lock(&self.inner);
        inner.describe_calls += 1;
        let inner = &*inner;
        Ok(inner
            .jobs
            .iter()
            .filter(|job| job.target == name && jobs.contains(&job.id))
            .map(|job| Self::snapshot(inner, job, now))
            .collect())
    }
}
