//! DRS quotas the engine keeps an execution within (DESIGN.md §2).

use serde::{Deserialize, Serialize};

/// The quotas one execution respects, per target (account and region).
///
/// Defaults are the current AWS defaults; accounts with raised quotas pass their own.
/// Several executions sharing an account share its quota: whoever runs them may pass each a
/// share, and DRS's quota rejections are retried with a backoff anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most source servers in one `StartRecovery` job.
    pub servers_per_job: u32,
    /// Most jobs of this execution active at once in one target.
    pub concurrent_jobs: u32,
    /// Most source servers in this execution's active jobs in one target.
    pub servers_in_active_jobs: u32,
}

impl Limits {
    /// DRS's default quota of source servers per job.
    pub const DEFAULT_SERVERS_PER_JOB: u32 = 100;
    /// The most source servers the `StartRecovery` API accepts in one call.
    pub const MAX_SERVERS_PER_JOB: u32 = 200;
    /// DRS's default quota of concurrent jobs per account and region.
    pub const DEFAULT_CONCURRENT_JOBS: u32 = 20;
    /// DRS's default quota of source servers in all active jobs per account and region.
    pub const DEFAULT_SERVERS_IN_ACTIVE_JOBS: u32 = 500;

    /// Everything wrong with these limits, as sentences; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=Self::MAX_SERVERS_PER_JOB).contains(&self.servers_per_job) {
            problems.push(format!(
                "limits.servers_per_job must be within 1..={}, got {}",
                Self::MAX_SERVERS_PER_JOB,
                self.servers_per_job
            ));
        }
        if self.concurrent_jobs == 0 {
            problems.push("limits.concurrent_jobs must be at least 1, got 0".to_owned());
        }
        if self.servers_in_active_jobs < self.servers_per_job {
            problems.push(format!(
                "limits.servers_in_active_jobs ({}) must be at least limits.servers_per_job ({}), \
                 or no full job could ever start",
                self.servers_in_active_jobs, self.servers_per_job
            ));
        }
        problems
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            servers_per_job: Self::DEFAULT_SERVERS_PER_JOB,
            concurrent_jobs: Self::DEFAULT_CONCURRENT_JOBS,
            servers_in_active_jobs: Self::DEFAULT_SERVERS_IN_ACTIVE_JOBS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_aws_quotas_and_are_usable() {
        let limits = Limits::default();
        assert_eq!(
            (
                limits.servers_per_job,
                limits.concurrent_jobs,
                limits.servers_in_active_jobs
            ),
            (100, 20, 500)
        );
        assert!(limits.problems().is_empty());
    }

    #[test]
    fn unusable_limits_are_explained() {
        let cases = [
            (
                Limits {
                    servers_per_job: 0,
                    ..Limits::default()
                },
                "servers_per_job",
            ),
            (
                Limits {
                    servers_per_job: 201,
                    ..Limits::default()
                },
                "servers_per_job",
            ),
            (
                Limits {
                    concurrent_jobs: 0,
                    ..Limits::default()
                },
                "concurrent_jobs",
            ),
            (
                Limits {
                    servers_per_job: 100,
                    servers_in_active_jobs: 99,
                    ..Limits::default()
                },
                "servers_in_active_jobs",
            ),
        ];
        for (limits, field) in cases {
            let problems = limits.problems();
            assert_eq!(problems.len(), 1, "{limits:?}: {problems:?}");
            assert!(problems[0].contains(field), "{problems:?}");
        }
    }

    #[test]
    fn missing_fields_take_the_defaults() {
        let limits: Limits = serde_json::from_str(r#"{"servers_per_job": 50}"#).unwrap();
        assert_eq!(
            limits,
            Limits {
                servers_per_job: 50,
                ..Limits::default()
            }
        );
    }
}
