//! `DescribeJobs` for a live check: one call per target (per 1000 jobs).

use std::collections::BTreeMap;

use engine::{Execution, JobId, JobSnapshot, WaveIndex};
use tracing::debug;

use super::Executor;
use crate::error::HandlerError;

/// Most job IDs in one `DescribeJobs` call.
pub const DESCRIBE_JOBS_MAX: usize = 1000;

impl Executor<'_> {
    /// `DescribeJobs` for `jobs` of wave `wave`.
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
                .target(state, name)
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
