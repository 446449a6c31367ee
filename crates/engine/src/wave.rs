//! A wave's life and the execution's end.
//!
//! ```text
//! pending ─▶ (pause_before: awaiting approval) ─▶ pre-actions, one at a time
//!         ─▶ launching (the servers resolved at the execution's start) ─▶ launch ended ─(advance)─▶ post-actions, one at a time
//!         ─▶ succeeded ─▶ next wave, or the execution COMPLETED
//! ```
//! A failed action or a failed launch fails the wave and the execution; the deadline (start +
//! the wave's timeout) times both out until the launch has ended; a cancel ends both at once.

use std::collections::{BTreeMap, BTreeSet};

use jiff::SignedDuration;

use crate::action::{ActionPhase, ActionResult, ActionRun};
use crate::chunk::{self, ChunkState};
use crate::command::{CleanupTarget, Command, DrillCleanup, Notification, RunAction};
use crate::decide::{Disposition, Step};
use crate::execution::{
    Approval, Cancellation, ExecutionStatus, WaveFailure, WaveOutcome, WavePhase,
};
use crate::hint::Hints;
use crate::id::{Attempt, JobId, WaveIndex};

impl Step {
    /// Makes wave `index` the current one: starts it, or pauses for an approval.
    pub(crate) fn begin_wave(&mut self, index: WaveIndex) {
        self.exec.current_wave = index;
        if self.exec.plan.waves[index].pause_before {
            let now = self.now;
            let wave = self.wave_mut();
            wave.phase = WavePhase::AwaitingApproval;
            wave.approval_requested_at = Some(now);
            let name = self.exec.wave_name(index).to_owned();
            self.push(Command::RequestApproval {
                wave: index,
                name: name.clone(),
            });
            self.notify(Notification::ApprovalRequired { wave: index, name });
        } else {
            self.start_wave();
        }
    }

    pub(crate) fn approval_given(&mut self, wave: WaveIndex, by: String) -> Disposition {
        if self.exec.check_approval(wave, &by).is_err() {
            return Disposition::Stale;
        }
        let now = self.now;
        self.wave_mut().approval = Some(Approval { by, at: now });
        self.start_wave();
        Disposition::Applied
    }

    /// Starts the current wave's next attempt: its clock, its deadline, its check chain.
    fn start_wave(&mut self) {
        let index = self.exec.current_wave;
        let timeout_minutes = self.exec.plan.wave_timeout_minutes(index);
        let now = self.now;
        // The events flowed for the previous wave: its fallback checks' stretch carries over.
        let previous = index.checked_sub(1).map(|i| &self.exec.waves[i].hints);
        let hints = Hints::carried_over(previous);
        let wave = self.wave_mut();
        wave.attempt += 1;
        wave.hints = hints;
        wave.started_at = Some(now);
        wave.deadline = Some(
            now.saturating_add(SignedDuration::from_mins(i64::from(timeout_minutes)))
                .unwrap_or(now),
        );
        let name = self.exec.wave_name(index).to_owned();
        self.notify(Notification::WaveStarted { wave: index, name });
        self.arm_deadline_check();
        self.run_pre_action(0);
    }

    fn run_pre_action(&mut self, index: usize) {
        let actions = self.exec.plan.waves[self.exec.current_wave]
            .pre_actions
            .len();
        if index < actions {
            self.wave_mut().phase = WavePhase::PreAction { index };
            self.run_action(ActionPhase::Pre, index);
        } else {
            self.begin_launch();
        }
    }

    fn run_post_action(&mut self, index: usize) {
        let actions = self.exec.plan.waves[self.exec.current_wave]
            .post_actions
            .len();
        if index < actions {
            self.wave_mut().phase = WavePhase::PostAction { index };
            self.run_action(ActionPhase::Post, index);
        } else {
            self.succeed_wave();
        }
    }

    fn run_action(&mut self, phase: ActionPhase, index: usize) {
        let now = self.now;
        self.wave_mut().actions.push(ActionRun {
            phase,
            index,
            started_at: now,
            ended_at: None,
            result: None,
        });
        let command = self.run_action_command(phase, index);
        self.push(command);
    }

    fn run_action_command(&self, phase: ActionPhase, index: usize) -> Command {
        let wave = self.exec.current_wave;
        let attempt = self.wave().attempt;
        let plan_wave = &self.exec.plan.waves[wave];
        let actions = match phase {
            ActionPhase::Pre => &plan_wave.pre_actions,
            ActionPhase::Post => &plan_wave.post_actions,
        };
        Command::RunAction(RunAction {
            wave,
            attempt,
            phase,
            index,
            action: actions[index].clone(),
            run_id: format!("{}/{wave}/{attempt}/{phase}/{index}", self.exec.id),
        })
    }

    pub(crate) fn action_finished(
        &mut self,
        wave: WaveIndex,
        attempt: Attempt,
        phase: ActionPhase,
        index: usize,
        result: ActionResult,
    ) -> Disposition {
        let running = match (phase, self.wave().phase) {
            (ActionPhase::Pre, WavePhase::PreAction { index: running })
            | (ActionPhase::Post, WavePhase::PostAction { index: running }) => running == index,
            _ => false,
        };
        if !self.is_current(wave, attempt) || !running {
            return Disposition::Stale;
        }
        let now = self.now;
        let run = self
            .wave_mut()
            .actions
            .iter_mut()
            .rev()
            .find(|run| run.phase == phase && run.index == index);
        if let Some(run) = run {
            run.ended_at = Some(now);
            run.result = Some(result.clone());
        }
        match (result, phase) {
            (ActionResult::Succeeded, ActionPhase::Pre) => self.run_pre_action(index + 1),
            (ActionResult::Succeeded, ActionPhase::Post) => self.run_post_action(index + 1),
            (ActionResult::Failed { message }, _) => {
                self.wave_mut().failure = Some(WaveFailure::Action {
                    phase,
                    index,
                    message,
                });
                self.end_wave(WaveOutcome::Failed);
                self.finish(ExecutionStatus::Failed);
            }
        }
        Disposition::Applied
    }

    /// The advancer's turn: a failed launch ends the execution, a successful one goes on to
    /// the post-actions.
    pub(crate) fn advance(&mut self, wave: WaveIndex, attempt: Attempt) -> Disposition {
        if !self.is_current(wave, attempt) || self.wave().phase != WavePhase::LaunchEnded {
            return Disposition::Stale;
        }
        if self.wave().failure.is_some() {
            self.end_wave(WaveOutcome::Failed);
            self.finish(ExecutionStatus::Failed);
        } else {
            self.run_post_action(0);
        }
        Disposition::Applied
    }

    fn succeed_wave(&mut self) {
        self.end_wave(WaveOutcome::Succeeded);
        let next = self.exec.current_wave + 1;
        if next < self.exec.waves.len() {
            self.begin_wave(next);
        } else {
            self.finish(ExecutionStatus::Completed);
        }
    }

    /// Ends the current wave: nothing of it starts any more, its chains stop.
    pub(crate) fn end_wave(&mut self, outcome: WaveOutcome) {
        let index = self.exec.current_wave;
        let now = self.now;
        let wave = self.wave_mut();
        wave.phase = WavePhase::Ended { outcome };
        wave.ended_at = Some(now);
        wave.check.disarm();
        wave.retry.disarm();
        chunk::abandon_unstarted(&mut wave.chunks);
        if wave.started_at.is_some() {
            let name = self.exec.wave_name(index).to_owned();
            self.notify(Notification::WaveFinished {
                wave: index,
                name,
                outcome,
            });
        }
    }

    /// Whether the current wave's deadline is in force and has passed.
    pub(crate) fn deadline_passed(&self) -> bool {
        let wave = self.wave();
        wave.phase.has_deadline() && wave.deadline.is_some_and(|deadline| self.now >= deadline)
    }

    pub(crate) fn time_out(&mut self) {
        self.end_wave(WaveOutcome::TimedOut);
        self.finish(ExecutionStatus::TimedOut);
    }

    pub(crate) fn cancel(&mut self, by: String, reason: String) {
        let now = self.now;
        self.exec.cancellation = Some(Cancellation {
            by,
            reason,
            at: now,
        });
        if !matches!(self.wave().phase, WavePhase::Ended { .. }) {
            self.end_wave(WaveOutcome::Cancelled);
        }
        self.finish(ExecutionStatus::Cancelled);
    }

    /// Ends the execution: final status, notification, drill cleanup.
    pub(crate) fn finish(&mut self, status: ExecutionStatus) {
        self.exec.status = status;
        self.exec.ended_at = Some(self.now);
        self.notify(Notification::ExecutionFinished { status });
        self.reissue_end();
    }

    /// The commands that carry out a finished execution's end (the notification is sent once
    /// and not repeated: people are not told twice).
    pub(crate) fn reissue_end(&mut self) {
        if let Some(cleanup) = self.drill_cleanup() {
            self.push(Command::ScheduleDrillCleanup(cleanup));
        }
        let status = self.exec.status;
        self.push(Command::Finish { status });
    }

    /// What a drill leaves behind to terminate later; `None` for recoveries, when the plan
    /// keeps drill instances, or when no job ever started.
    fn drill_cleanup(&self) -> Option<DrillCleanup> {
        let hours = self.exec.plan.defaults.drill_cleanup_after_hours;
        if !self.exec.mode.is_drill() || hours == 0 {
            return None;
        }
        let mut targets: BTreeMap<Option<String>, (BTreeSet<String>, BTreeSet<JobId>)> =
            BTreeMap::new();
        for wave in &self.exec.waves {
            for job in &wave.jobs {
                let entry = targets.entry(job.target.clone()).or_default();
                entry.1.insert(job.id.clone());
            }
            for server in &wave.servers {
                if let Some(instance) = &server.recovery_instance_id {
                    let entry = targets.entry(server.target.clone()).or_default();
                    entry.0.insert(instance.clone());
                }
            }
        }
        if targets.is_empty() {
            return None;
        }
        let ended = self.exec.ended_at.unwrap_or(self.now);
        let at = ended
            .saturating_add(SignedDuration::from_hours(i64::from(hours)))
            .unwrap_or(ended);
        let targets = targets
            .into_iter()
            .map(|(target, (instances, jobs))| CleanupTarget {
                target,
                recovery_instance_ids: instances.into_iter().collect(),
                job_ids: jobs.into_iter().collect(),
            })
            .collect();
        Some(DrillCleanup { at, targets })
    }

    /// Asks again for what the current wave waits on: the answer may have been lost with a
    /// Lambda that died between saving and acting. Every such request is idempotent.
    pub(crate) fn reissue_in_flight(&mut self) {
        if self.exec.is_resolving() {
            let command = self.resolve_command();
            self.push(command);
            return;
        }
        let index = self.exec.current_wave;
        let wave = self.wave();
        let commands: Vec<Command> = match wave.phase {
            WavePhase::AwaitingApproval => vec![Command::RequestApproval {
                wave: index,
                name: self.exec.wave_name(index).to_owned(),
            }],
            WavePhase::PreAction { index } => {
                vec![self.run_action_command(ActionPhase::Pre, index)]
            }
            WavePhase::Launching if wave.failure.is_none() => wave
                .chunks
                .iter()
                .filter(|chunk| matches!(chunk.state, ChunkState::Requested { .. }))
                .map(|chunk| Command::StartRecovery(self.start_command(chunk, true)))
                .collect(),
            WavePhase::LaunchEnded => vec![Command::Advance {
                wave: index,
                attempt: wave.attempt,
            }],
            WavePhase::PostAction { index } => {
                vec![self.run_action_command(ActionPhase::Post, index)]
            }
            WavePhase::Pending | WavePhase::Launching | WavePhase::Ended { .. } => Vec::new(),
        };
        for command in commands {
            self.push(command);
        }
    }
}
