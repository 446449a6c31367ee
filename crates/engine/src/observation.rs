//! Observations: what `DescribeJobs` says about a wave's jobs, and the check chain that asks.
//!
//! `DescribeJobs` is the truth; launch events only time the checks ([`crate::hint`]). What is
//! known never moves backwards: a job's status and a server's launch status only advance, and
//! a server's first terminal status is kept (with `now` as the time it was first seen).

use crate::check;
use crate::command::Notification;
use crate::decide::{Disposition, Step};
use crate::decision::{BeforeSave, Delayed};
use crate::drs::{JobStatus, LaunchStatus};
use crate::execution::{WaveFailure, WavePhase};
use crate::id::{JobId, ServerId};
use crate::input::{JobSnapshot, Observation, ServerSnapshot};

impl Step {
    pub(crate) fn check_due(&mut self, observation: Observation) -> Disposition {
        let Observation {
            wave,
            attempt,
            token,
            jobs,
        } = observation;
        if !self.is_current(wave, attempt) {
            return Disposition::Stale;
        }
        if self.exec.is_resolving() {
            return self.selection_heartbeat(token);
        }
        let launching = self.wave().phase == WavePhase::Launching;
        let learned = launching && self.record_jobs(&jobs);
        let woke_chain = self.wave_mut().check.consume(token);
        if woke_chain {
            if launching {
                self.reissue_stalled_requests();
            } else {
                // A heartbeat before the launch: whatever the wave waits on may have been
                // lost with a Lambda; asking again is idempotent and rare (≤ 1 per 900 s).
                self.reissue_in_flight();
            }
        }
        if learned {
            self.fill_budget();
            self.maybe_end_launch();
        }
        if woke_chain && self.wave().phase.has_deadline() {
            if self.wave().phase == WavePhase::Launching {
                self.arm_launch_check();
            } else {
                self.arm_deadline_check();
            }
        }
        if learned || woke_chain {
            Disposition::Applied
        } else {
            Disposition::Stale
        }
    }

    /// Records what the snapshots say about the current wave's jobs; `true` if anything new.
    pub(crate) fn record_jobs(&mut self, jobs: &[JobSnapshot]) -> bool {
        let now = self.now;
        let mut learned = false;
        for snapshot in jobs {
            let Some(job) = self.wave_mut().job_mut(&snapshot.job_id) else {
                continue;
            };
            if job.ended_at.is_none() && snapshot.ended_at.is_some() {
                job.ended_at = snapshot.ended_at;
                learned = true;
            }
            if snapshot.status > job.status {
                job.status = snapshot.status;
                if snapshot.status == JobStatus::Completed {
                    job.completed_at = Some(now);
                }
                learned = true;
            }
            let completed = job.status == JobStatus::Completed;
            for server in &snapshot.servers {
                learned |= self.record_server(&snapshot.job_id, server);
            }
            if completed {
                learned |= self.settle_completed_job(&snapshot.job_id);
            }
        }
        learned
    }

    fn record_server(&mut self, job_id: &JobId, snapshot: &ServerSnapshot) -> bool {
        let now = self.now;
        let Some(server) = self.wave_mut().server_mut(&snapshot.server_id) else {
            return false;
        };
        if server.job_id.as_ref() != Some(job_id) {
            return false;
        }
        let mut learned = false;
        if server.recovery_instance_id.is_none() && snapshot.recovery_instance_id.is_some() {
            server.recovery_instance_id = snapshot.recovery_instance_id.clone();
            learned = true;
        }
        let status = snapshot.launch_status;
        if status.rank() <= server.launch_status.rank() {
            return learned;
        }
        server.launch_status = status;
        if status.is_terminal() {
            server.ended_at = Some(now);
        }
        if status.is_failure() {
            let id = server.id.clone();
            self.server_failed(&id, status);
        }
        true
    }

    /// A completed job launches nothing more: its servers still not terminal never launched.
    pub(crate) fn settle_completed_job(&mut self, job_id: &JobId) -> bool {
        let now = self.now;
        let mut unlaunched = Vec::new();
        for server in &mut self.wave_mut().servers {
            if server.job_id.as_ref() == Some(job_id) && !server.launch_status.is_terminal() {
                server.launch_status = LaunchStatus::Failed;
                server.ended_at = Some(now);
                server.failure = Some(format!("job {job_id} completed without launching it"));
                unlaunched.push(server.id.clone());
            }
        }
        for id in &unlaunched {
            self.server_failed(id, LaunchStatus::Failed);
        }
        !unlaunched.is_empty()
    }

    /// Tells people at once; a critical failure also fails the wave.
    fn server_failed(&mut self, id: &ServerId, status: LaunchStatus) {
        let critical = self.wave().server(id).is_some_and(|s| !s.optional);
        self.notify(Notification::ServerFailed {
            wave: self.exec.current_wave,
            server: id.clone(),
            critical,
            status,
        });
        if critical {
            self.fail_launch(WaveFailure::CriticalServer {
                server: id.clone(),
                status,
            });
        }
    }

    /// Schedules the next check of a wave with nothing launching: at its deadline (in steps
    /// of at most 900 s).
    pub(crate) fn arm_deadline_check(&mut self) {
        let now = self.now;
        let deadline = self.wave().deadline.unwrap_or(now);
        self.arm_check(check::deadline_delay(now, deadline));
    }

    pub(crate) fn arm_check(&mut self, delay: crate::delay::DelaySeconds) {
        let now = self.now;
        let (wave, state) = (self.exec.current_wave, self.wave_mut());
        let token = state.check.arm(now, delay);
        let attempt = state.attempt;
        self.before_save(BeforeSave::Check(Delayed {
            wave,
            attempt,
            token,
            delay,
        }));
    }
}
