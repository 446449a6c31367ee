//! DRS Launch Result events as hints: they time the check chain, they never say what happened.
//!
//! DRS's "Source Server Launch Result" events are best effort: they may be lost, duplicated,
//! reordered, late, or name a job or a server of another execution. So an event is never taken
//! as a server's status (`DescribeJobs` is the truth); the engine only records that a server
//! of the launching wave was *reported* done by its own job, and uses the reports to decide
//! when to describe (DESIGN.md §2: events wake the checker early, a delayed check is the
//! fallback):
//!
//! - **One describe per burst.** A report issues nothing by itself. The report that completes
//!   a running job's reports (each of its servers reported, or already seen terminal) pulls
//!   the live check in to [`crate::check::REPORTED_CHECK_SECONDS`] — unless it is due sooner,
//!   so reports of several jobs coalesce into one check. A wave of one 100-server job costs one
//!   `DescribeJobs` for its 100 events instead of 100.
//! - **A short follow-up.** A check that finds a fully reported job still running (DRS marks the
//!   job `COMPLETED` a little after its last launch) follows up after
//!   [`crate::check::LAUNCH_EVENT_FOLLOW_UP_SECONDS`], doubling each time, never later than the
//!   fallback interval.
//! - **A stretching fallback.** Each live check that finds new reports since the previous one
//!   doubles the fallback interval (the plan's `check_interval_seconds`), up to 900 s and the
//!   wave's deadline; a check with no new report keeps it. The next wave starts with the
//!   stretch the previous one reached (counting the reports that ended it): the events are
//!   known to flow in this execution. Without events nothing stretches: the plan's interval
//!   stays.
//!
//! A lost event therefore never stalls a wave: the fallback check still comes (within 900 s and
//! never past the deadline, which still times the wave out), and a wave whose events all get
//! lost is checked at the plan's interval.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::check;
use crate::decide::{Disposition, Step};
use crate::drs::JobStatus;
use crate::execution::{WavePhase, WaveState};
use crate::id::{JobId, ServerId};
use crate::input::LaunchEvent;

/// Most doublings of the fallback interval (far beyond the 900 s any delay is capped at).
pub const MAX_STRETCH: u32 = 16;

/// What the launch events of a wave attempt told the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hints {
    /// Servers an event of their own job reported done (not their status: the describe says
    /// that).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub reported: BTreeSet<ServerId>,
    /// A server was reported since the last live check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fresh: bool,
    /// Doublings of the plan's check interval for the fallback check.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stretch: u32,
    /// Follow-up checks made in a row while a fully reported job was still running.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub follow_ups: u32,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

impl Hints {
    /// The hints a new wave attempt starts with: only the stretch the previous wave reached,
    /// counting the reports its last check had not counted yet.
    pub fn carried_over(previous: Option<&Hints>) -> Self {
        let stretch = previous.map_or(0, |hints| {
            hints
                .stretch
                .saturating_add(u32::from(hints.fresh))
                .min(MAX_STRETCH)
        });
        Self {
            stretch,
            ..Self::default()
        }
    }
}

impl WaveState {
    /// Whether every server of job `job_id` was reported by an event or seen terminal.
    pub fn job_fully_reported(&self, job_id: &JobId) -> bool {
        let mut servers = self
            .servers
            .iter()
            .filter(|server| server.job_id.as_ref() == Some(job_id))
            .peekable();
        servers.peek().is_some()
            && servers.all(|server| {
                server.launch_status.is_terminal() || self.hints.reported.contains(&server.id)
            })
    }

    /// Whether a job not seen `COMPLETED` yet has every server reported: its end is near.
    pub fn running_job_fully_reported(&self) -> bool {
        self.jobs
            .iter()
            .any(|job| job.status != JobStatus::Completed && self.job_fully_reported(&job.id))
    }
}

impl Step {
    /// A Launch Result event: records the report; the one that completes a running job's
    /// reports pulls the check in. Anything else about it (another execution's job, a server
    /// not in the wave or not in that job, a duplicate, a server already seen terminal, a job
    /// already seen completed) changes nothing.
    pub(crate) fn launch_result(&mut self, event: LaunchEvent) -> Disposition {
        let wave = self.wave();
        if wave.phase != WavePhase::Launching {
            return Disposition::Stale;
        }
        let running = wave
            .job(&event.job_id)
            .is_some_and(|job| job.status != JobStatus::Completed);
        let news = wave.server(&event.server_id).is_some_and(|server| {
            server.job_id.as_ref() == Some(&event.job_id)
                && !server.launch_status.is_terminal()
                && !wave.hints.reported.contains(&server.id)
        });
        if !running || !news {
            return Disposition::Stale;
        }
        let hints = &mut self.wave_mut().hints;
        hints.reported.insert(event.server_id);
        hints.fresh = true;
        if self.wave().job_fully_reported(&event.job_id) {
            self.pull_check_in();
        }
        Disposition::Applied
    }

    /// Brings the live check forward to [`check::REPORTED_CHECK_SECONDS`] from now, unless it
    /// is due by then anyway.
    fn pull_check_in(&mut self) {
        let now = self.now;
        let wave = self.wave();
        let deadline = wave.deadline.unwrap_or(now);
        if let Some(delay) = check::reported_delay(now, deadline, wave.check.due_at()) {
            self.arm_check(delay);
        }
    }

    /// Schedules the next check of a launching wave after a live check: a short follow-up when
    /// a fully reported job is still running, else the fallback interval, stretched while
    /// reports arrive.
    pub(crate) fn arm_launch_check(&mut self) {
        let now = self.now;
        let interval = self.exec.plan.defaults.check_interval_seconds;
        let near_end = self.wave().running_job_fully_reported();
        let wave = self.wave_mut();
        let deadline = wave.deadline.unwrap_or(now);
        let hints = &mut wave.hints;
        if hints.fresh {
            hints.stretch = (hints.stretch + 1).min(MAX_STRETCH);
            hints.fresh = false;
        }
        let fallback = check::launch_delay(interval, hints.stretch, now, deadline);
        let delay = if near_end {
            let delay = check::near_end_delay(hints.follow_ups, fallback);
            hints.follow_ups = hints.follow_ups.saturating_add(1);
            delay
        } else {
            hints.follow_ups = 0;
            fallback
        };
        self.arm_check(delay);
    }
}
