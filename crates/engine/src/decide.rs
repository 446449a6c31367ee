//! The entry points: [`start`] an execution, [`decide`] what an input means for it.
//!
//! A decision in progress is a `Step`: the state, the clock reading it was given, and the
//! effects gathered so far; it ends as a [`Decision`]. The transitions live with their concept ([`crate::wave`],
//! [`crate::launch`], [`crate::observation`]); this module validates inputs, applies the
//! rules every input shares (terminal executions, deadlines, duplicates) and dispatches.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::action::ActionPhase;
use crate::admission::admit;
use crate::claim;
use crate::command::{Command, Notification};
use crate::decision::{BeforeSave, Decision};
use crate::error::EngineError;
use crate::execution::{Execution, WaveState};
use crate::id::{Attempt, WaveIndex};
use crate::input::{Event, ExecutionRequest, Input};

/// Starts a new execution: the state to create and its first effects.
///
/// `Err` when the request cannot run (an unusable plan or limits).
pub fn start(request: ExecutionRequest, now: Timestamp) -> Result<Decision, EngineError> {
    admit(&request)?;
    let mut step = Step::new(Execution::new(request, now), now);
    let notification = Notification::ExecutionStarted {
        plan: step.exec.plan.name.clone(),
        mode: step.exec.mode,
    };
    step.notify(notification);
    step.begin_selection();
    Ok(step.into_decision(None))
}

/// Decides what `input`, arriving at `now`, means for the execution: the new state, and the
/// effects to carry out before and after saving it.
///
/// `Err` only for inputs that can never be valid for this execution (another execution's,
/// a wave or chunk that does not exist, a conflicting request); the caller should not retry
/// them. A duplicate or stale input returns the state unchanged; its only commands are the
/// re-issue of requests still in flight (see the crate documentation), usually none.
pub fn decide(state: Execution, input: Input, now: Timestamp) -> Result<Decision, EngineError> {
    check_consistency(&state)?;
    check_input(&state, &input)?;
    let before = claim::ClaimsBefore::of(&state);
    let mut step = Step::new(state, now);
    if step.exec.is_terminal() {
        // Nothing changes a finished execution; a redelivered message may mean its end was
        // lost with a Lambda, so the end is asked for again.
        if may_be_redelivery(&input.event) {
            step.reissue_end();
        }
    } else {
        step.apply(input.event);
    }
    Ok(step.into_decision(Some(&before)))
}

/// Whether an input was news or a duplicate / stale one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// The input moved the execution on (or at least told it something new).
    Applied,
    /// The input changed nothing.
    Stale,
}

/// One decision in progress.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) exec: Execution,
    pub(crate) now: Timestamp,
    before_save: Vec<BeforeSave>,
    commands: Vec<Command>,
}

impl Step {
    fn new(exec: Execution, now: Timestamp) -> Self {
        Self {
            exec,
            now,
            before_save: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// The decision, given the state it started from (`None` for a new execution): the
    /// claims it finished are given back before the save.
    fn into_decision(mut self, before: Option<&claim::ClaimsBefore>) -> Decision {
        self.exec.refresh_status();
        // A check superseded by a later one in the same decision (a wave that starts and
        // launches at once arms its deadline check, then its launch check) is stale before it
        // is sent: leave it out.
        let mut later = BTreeSet::new();
        let mut before_save: Vec<BeforeSave> = self
            .before_save
            .into_iter()
            .rev()
            .filter(|effect| match effect {
                BeforeSave::Check(check) => later.insert((check.wave, check.attempt)),
                _ => true,
            })
            .collect();
        before_save.reverse();
        if let Some(before) = before {
            before_save.extend(
                claim::released(before, &self.exec)
                    .into_iter()
                    .map(BeforeSave::ReleaseClaim),
            );
        }
        Decision {
            state: self.exec,
            before_save,
            after_save: self.commands,
        }
    }

    fn apply(&mut self, event: Event) {
        if self.deadline_passed() {
            // The truth a late observation carries still goes into the report, and may show
            // that the launch had in fact ended in time.
            match &event {
                Event::Check(observation)
                    if self.is_current(observation.wave, observation.attempt) =>
                {
                    self.record_jobs(&observation.jobs);
                }
                _ => {}
            }
            if self.launch_ended_in_time() {
                self.end_launch();
            } else {
                self.time_out();
            }
            return;
        }
        let may_be_redelivery = may_be_redelivery(&event);
        let disposition = match event {
            Event::ExecutionRequested { .. } => Disposition::Stale,
            Event::ServersResolved { waves } => self.servers_resolved(waves),
            Event::JobStarted { request, job_id } => self.job_started(&request, job_id, false),
            Event::StartRejected { request, rejection } => self.start_rejected(&request, rejection),
            Event::Check(observation) => self.check_due(observation),
            Event::LaunchResult(event) => self.launch_result(event),
            Event::Advance { wave, attempt } => self.advance(wave, attempt),
            Event::ActionFinished {
                wave,
                attempt,
                phase,
                index,
                result,
            } => self.action_finished(wave, attempt, phase, index, result),
            Event::ApprovalGiven { wave, by } => self.approval_given(wave, by),
            Event::CancelRequested { by, reason } => {
                self.cancel(by, reason);
                Disposition::Applied
            }
            Event::RetryStart {
                wave,
                attempt,
                token,
            } => self.retry_start_due(wave, attempt, token),
            Event::Resume { wave, attempt } => {
                if self.is_current(wave, attempt) {
                    self.reissue_in_flight();
                }
                Disposition::Stale
            }
        };
        if disposition == Disposition::Stale && may_be_redelivery {
            // A redelivered message may mean the Lambda that first handled it died after
            // saving, before carrying out the commands: ask again for what is in flight.
            self.reissue_in_flight();
        }
    }

    /// The wave in progress.
    pub(crate) fn wave(&self) -> &WaveState {
        &self.exec.waves[self.exec.current_wave]
    }

    /// The wave in progress.
    pub(crate) fn wave_mut(&mut self) -> &mut WaveState {
        &mut self.exec.waves[self.exec.current_wave]
    }

    /// Whether `(wave, attempt)` is the attempt in progress.
    pub(crate) fn is_current(&self, wave: WaveIndex, attempt: Attempt) -> bool {
        wave == self.exec.current_wave && attempt == self.wave().attempt
    }

    /// An effect for after the save.
    pub(crate) fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// An effect for before the save.
    pub(crate) fn before_save(&mut self, effect: BeforeSave) {
        self.before_save.push(effect);
    }

    pub(crate) fn notify(&mut self, notification: Notification) {
        self.push(Command::Notify(notification));
    }
}

/// Whether `event` may be a message delivered again after the Lambda that first handled it
/// died between saving and acting (SQS redelivers it; a person retries a cancel). Answers to
/// commands are fed by the Lambda that carried them out, DRS events are only wake-ups, and an
/// approval is covered by the wave's deadline checks: none of those is.
fn may_be_redelivery(event: &Event) -> bool {
    match event {
        Event::ExecutionRequested { .. }
        | Event::ServersResolved { .. }
        | Event::Check(_)
        | Event::Advance { .. }
        | Event::ActionFinished { .. }
        | Event::RetryStart { .. }
        | Event::CancelRequested { .. } => true,
        Event::JobStarted { .. }
        | Event::StartRejected { .. }
        | Event::LaunchResult(_)
        | Event::ApprovalGiven { .. }
        // Re-issues by itself, and only for the wave it names.
        | Event::Resume { .. } => false,
    }
}

/// A stored state must hold the invariants every transition relies on.
fn check_consistency(state: &Execution) -> Result<(), EngineError> {
    let waves = state.plan.waves.len();
    if state.waves.len() != waves || state.current_wave >= waves {
        return Err(EngineError::InconsistentState {
            execution: state.id.clone(),
            problem: format!(
                "{} wave states and current wave {} for a plan of {waves} waves",
                state.waves.len(),
                state.current_wave
            ),
        });
    }
    Ok(())
}

/// Rejects inputs that can never be valid for `state`.
fn check_input(state: &Execution, input: &Input) -> Result<(), EngineError> {
    let mismatch = |id: &crate::id::ExecutionId| EngineError::ExecutionMismatch {
        state: state.id.clone(),
        input: id.clone(),
    };
    if input.execution_id != state.id {
        return Err(mismatch(&input.execution_id));
    }
    match &input.event {
        Event::ExecutionRequested { mode, plan } => {
            if !state.is_same_request(*mode, plan) {
                return Err(EngineError::ConflictingRequest {
                    execution: state.id.clone(),
                });
            }
        }
        Event::ServersResolved { waves } => crate::selection::check_resolutions(state, waves)?,
        Event::Advance { wave, attempt } | Event::RetryStart { wave, attempt, .. } => {
            check_attempt(state, *wave, *attempt, false)?
        }
        Event::JobStarted { request, .. } | Event::StartRejected { request, .. } => {
            if request.execution != state.id {
                return Err(mismatch(&request.execution));
            }
            check_attempt(state, request.wave, request.attempt, false)?;
            let wave = &state.waves[request.wave];
            if request.attempt == wave.attempt && request.chunk >= wave.chunks.len() {
                return Err(EngineError::UnknownChunk {
                    execution: state.id.clone(),
                    wave: request.wave,
                    attempt: request.attempt,
                    chunk: request.chunk,
                    chunks: wave.chunks.len(),
                });
            }
        }
        Event::Check(observation) => {
            check_attempt(state, observation.wave, observation.attempt, true)?;
        }
        Event::ActionFinished {
            wave,
            attempt,
            phase,
            index,
            ..
        } => {
            check_attempt(state, *wave, *attempt, false)?;
            let plan_wave = &state.plan.waves[*wave];
            let actions = match phase {
                ActionPhase::Pre => plan_wave.pre_actions.len(),
                ActionPhase::Post => plan_wave.post_actions.len(),
            };
            if *index >= actions {
                return Err(EngineError::UnknownAction {
                    execution: state.id.clone(),
                    wave: *wave,
                    phase: *phase,
                    index: *index,
                    actions,
                });
            }
        }
        Event::ApprovalGiven { wave, .. } => check_wave(state, *wave)?,
        Event::Resume { wave, attempt } => {
            // Attempt 0 is a wave awaiting its approval: its request may be forwarded too.
            check_wave(state, *wave)?;
            let current = state.waves[*wave].attempt;
            if *attempt > current {
                return Err(EngineError::UnknownAttempt {
                    execution: state.id.clone(),
                    wave: *wave,
                    attempt: *attempt,
                    current,
                });
            }
        }
        Event::LaunchResult(_) | Event::CancelRequested { .. } => {}
    }
    Ok(())
}

fn check_wave(state: &Execution, wave: WaveIndex) -> Result<(), EngineError> {
    if wave < state.waves.len() {
        Ok(())
    } else {
        Err(EngineError::WaveOutOfRange {
            execution: state.id.clone(),
            wave,
            waves: state.waves.len(),
        })
    }
}

/// Whether the attempt named by an input can exist: the wave's current one or an earlier one
/// (stale, not an error). A check message may also name attempt 0 (the heartbeat of the
/// execution's resolution, stale once the first wave started) or the next attempt: checks are
/// sent before the save, so the save that began that attempt may have been lost (a stale copy,
/// not an error: the decision taken again sends the same tokens).
fn check_attempt(
    state: &Execution,
    wave: WaveIndex,
    attempt: Attempt,
    from_a_check: bool,
) -> Result<(), EngineError> {
    check_wave(state, wave)?;
    let current = state.waves[wave].attempt;
    let known = if from_a_check {
        attempt <= current.saturating_add(1)
    } else {
        attempt != 0 && attempt <= current
    };
    if known {
        Ok(())
    } else {
        Err(EngineError::UnknownAttempt {
            execution: state.id.clone(),
            wave,
            attempt,
            current,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::execution::{ExecutionStatus, WaveOutcome, WavePhase};
    use crate::input::{ResolutionOutcome, ResolvedTarget, WaveResolution};

    fn now() -> Timestamp {
        "2024-03-01T09:00:00Z".parse().unwrap()
    }

    /// Wave 0 launches one server; wave 1 pauses for an approval first.
    fn started() -> Decision {
        crate::fixtures::two_waves(true, now())
    }

    fn resume(state: &Execution, wave: WaveIndex, attempt: Attempt) -> Vec<Command> {
        let input = Input::new("exec-1", Event::Resume { wave, attempt });
        let decision = decide(state.clone(), input, now()).unwrap();
        assert_eq!(&decision.state, state, "a resume never changes the state");
        decision.after_save
    }

    #[test]
    fn resume_reissues_what_the_named_wave_waits_on_and_nothing_once_it_is_past() {
        let state = started().state;
        // Before anything starts, every wave's servers are being resolved.
        let commands = resume(&state, 0, 0);
        assert!(
            matches!(commands.as_slice(), [Command::ResolveServers { waves }] if waves.len() == 2),
            "{commands:?}"
        );
        assert!(resume(&state, 1, 0).is_empty(), "wave 1 is not reached yet");

        let resolved = Event::ServersResolved {
            waves: ["s-00000000000000001", "s-00000000000000002"]
                .into_iter()
                .enumerate()
                .map(|(wave, server)| WaveResolution {
                    wave,
                    outcome: ResolutionOutcome::Resolved {
                        targets: vec![ResolvedTarget {
                            target: None,
                            servers: vec![server.into()],
                        }],
                    },
                })
                .collect(),
        };
        let state = decide(state, Input::new("exec-1", resolved), now())
            .unwrap()
            .state;
        let commands = resume(&state, 0, 1);
        assert!(
            matches!(commands.as_slice(), [Command::StartRecovery(s)] if s.reissue),
            "{commands:?}"
        );

        // Wave 0 done: wave 1 awaits its approval (attempt 0), wave 0 is past.
        let mut state = state;
        state.waves[0].phase = WavePhase::Ended {
            outcome: WaveOutcome::Succeeded,
        };
        state.current_wave = 1;
        state.waves[1].phase = WavePhase::AwaitingApproval;
        state.status = ExecutionStatus::AwaitingApproval;
        assert!(resume(&state, 0, 1).is_empty());
        assert!(matches!(
            resume(&state, 1, 0).as_slice(),
            [Command::RequestApproval { wave: 1, .. }]
        ));
    }

    #[test]
    fn resume_of_an_attempt_that_never_existed_is_an_error() {
        let state = started().state;
        let input = Input::new(
            "exec-1",
            Event::Resume {
                wave: 0,
                attempt: 2,
            },
        );
        assert!(matches!(
            decide(state.clone(), input, now()),
            Err(EngineError::UnknownAttempt { attempt: 2, .. })
        ));
        let input = Input::new(
            "exec-1",
            Event::Resume {
                wave: 5,
                attempt: 1,
            },
        );
        assert!(matches!(
            decide(state, input, now()),
            Err(EngineError::WaveOutOfRange { wave: 5, .. })
        ));
    }
}
