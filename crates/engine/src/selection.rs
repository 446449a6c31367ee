//! The execution's servers: every wave's groups resolved once, when the execution starts.
//!
//! Before any approval is asked for, any action runs or any job starts, the groups of every
//! wave are resolved to source servers (one `DescribeSourceServers` listing per target serves
//! all the waves that use it). A selection that cannot run rejects the whole execution there,
//! with every wave's problem at once: a group that matches no server, an unknown server ID, a
//! target that cannot be read, a wave whose servers all belong to earlier waves. Nothing has
//! been launched by then, so nothing is left half done.
//!
//! Each wave then launches the servers resolved at the start, as DRS's own recovery plans and
//! AWS's sample fix their membership up front; a server removed from DRS since is DRS's to
//! reject when the wave starts it.
//!
//! The resolution has the first wave's timeout to be answered. A heartbeat (the first wave's
//! check chain, at attempt 0) asks for it again at most every 900 s — the answer may have been
//! lost with a Lambda — and times the execution out once that timeout has passed, so an
//! execution never waits forever on a target that keeps failing.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use crate::check;
use crate::command::{Command, Notification, TargetSelection, WaveSelection};
use crate::decide::{Disposition, Step};
use crate::error::EngineError;
use crate::execution::{Execution, ExecutionStatus, WaveFailure, WaveOutcome, WavePhase};
use crate::id::{ServerId, Token, WaveIndex};
use crate::input::{ResolutionOutcome, ResolvedTarget, WaveResolution};

/// What a resolution found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The servers selected (IDs that exist plus servers carrying a tag set), sorted.
    Servers(Vec<ServerId>),
    /// The selection cannot be satisfied (e.g. these server IDs do not exist in the target).
    Failed(String),
}

impl Resolution {
    /// What `selection` finds among a target's source servers (each ID with its tags): the
    /// listed IDs, which must all exist, and every server carrying all the tags of one of the
    /// tag sets. An empty tag set selects nothing (it would be the whole account).
    pub fn select(
        selection: &TargetSelection,
        servers: &BTreeMap<ServerId, BTreeMap<String, String>>,
    ) -> Self {
        let missing: Vec<&str> = selection
            .server_ids
            .iter()
            .filter(|id| !servers.contains_key(*id))
            .map(ServerId::as_str)
            .collect();
        if !missing.is_empty() {
            return Self::Failed(format!(
                "source server(s) not found: {}",
                missing.join(", ")
            ));
        }
        let tag_sets: Vec<_> = selection
            .tag_sets
            .iter()
            .filter(|set| !set.is_empty())
            .collect();
        let mut selected: BTreeSet<ServerId> = selection.server_ids.iter().cloned().collect();
        for (id, tags) in servers {
            if tag_sets
                .iter()
                .any(|set| set.iter().all(|(k, v)| tags.get(k) == Some(v)))
            {
                selected.insert(id.clone());
            }
        }
        Self::Servers(selected.into_iter().collect())
    }
}

/// The plan targets of wave `wave`'s groups.
fn wave_targets(state: &Execution, wave: WaveIndex) -> BTreeSet<Option<String>> {
    state.plan.waves[wave]
        .groups
        .iter()
        .filter_map(|name| state.plan.protection_groups.get(name))
        .map(|group| group.target.clone())
        .collect()
}

/// Rejects an answer that cannot be the execution's: a wave missing, out of range or answered
/// twice, a target none of a wave's groups uses, a server listed twice in a wave.
pub(crate) fn check_resolutions(
    state: &Execution,
    resolutions: &[WaveResolution],
) -> Result<(), EngineError> {
    let mut answered = BTreeSet::new();
    for resolution in resolutions {
        let wave = resolution.wave;
        let invalid = |problem: String| EngineError::InvalidResolution {
            execution: state.id.clone(),
            wave,
            problem,
        };
        if wave >= state.waves.len() {
            return Err(EngineError::WaveOutOfRange {
                execution: state.id.clone(),
                wave,
                waves: state.waves.len(),
            });
        }
        if !answered.insert(wave) {
            return Err(invalid("the wave is answered twice".to_owned()));
        }
        let ResolutionOutcome::Resolved { targets } = &resolution.outcome else {
            continue;
        };
        let allowed = wave_targets(state, wave);
        let mut seen = BTreeSet::new();
        for resolved in targets {
            if !allowed.contains(&resolved.target) {
                let target = resolved.target.as_deref().unwrap_or("(default)");
                return Err(invalid(format!(
                    "target {target} is not used by the wave's groups"
                )));
            }
            for server in &resolved.servers {
                if !seen.insert((&resolved.target, server)) {
                    return Err(invalid(format!("server {server} is listed twice")));
                }
            }
        }
    }
    if let Some(missing) = (0..state.waves.len()).find(|wave| !answered.contains(wave)) {
        return Err(EngineError::InvalidResolution {
            execution: state.id.clone(),
            wave: missing,
            problem: "the answer has no entry for the wave".to_owned(),
        });
    }
    Ok(())
}

impl Step {
    /// Asks for every wave's servers: the execution's first step, with a heartbeat.
    pub(crate) fn begin_selection(&mut self) {
        let command = self.resolve_command();
        self.push(command);
        self.arm_selection_heartbeat();
    }

    /// When the resolution must have been answered: the first wave's timeout after the request.
    fn selection_deadline(&self) -> Timestamp {
        let timeout = self.exec.plan.wave_timeout_minutes(0);
        let requested = self.exec.requested_at;
        requested
            .saturating_add(SignedDuration::from_mins(i64::from(timeout)))
            .unwrap_or(requested)
    }

    /// The next heartbeat: the first wave's check chain, at attempt 0.
    fn arm_selection_heartbeat(&mut self) {
        let delay = check::deadline_delay(self.now, self.selection_deadline());
        self.arm_check(delay);
    }

    /// A heartbeat while the servers are being resolved: asks for them again, or times the
    /// execution out once the first wave's timeout has passed.
    pub(crate) fn selection_heartbeat(&mut self, token: Token) -> Disposition {
        if !self.exec.waves[0].check.consume(token) {
            return Disposition::Stale;
        }
        if self.now >= self.selection_deadline() {
            let timeout = self.exec.plan.wave_timeout_minutes(0);
            self.exec.waves[0].failure = Some(WaveFailure::ResolutionFailed {
                message: format!(
                    "no answer within {timeout} minutes (the first wave's timeout); the \
                     starter's logs say why"
                ),
            });
            self.time_out();
        } else {
            let command = self.resolve_command();
            self.push(command);
            self.arm_selection_heartbeat();
        }
        Disposition::Applied
    }

    /// The resolution of every wave's groups.
    pub(crate) fn resolve_command(&self) -> Command {
        let waves = (0..self.exec.waves.len())
            .map(|wave| WaveSelection {
                wave,
                targets: self.wave_selection(wave),
            })
            .collect();
        Command::ResolveServers { waves }
    }

    /// Wave `wave`'s selectors, merged per target.
    fn wave_selection(&self, wave: WaveIndex) -> Vec<TargetSelection> {
        let mut targets: BTreeMap<Option<String>, TargetSelection> = BTreeMap::new();
        for name in &self.exec.plan.waves[wave].groups {
            let Some(group) = self.exec.plan.protection_groups.get(name) else {
                continue;
            };
            let selection =
                targets
                    .entry(group.target.clone())
                    .or_insert_with(|| TargetSelection {
                        target: group.target.clone(),
                        server_ids: Vec::new(),
                        tag_sets: Vec::new(),
                    });
            selection
                .server_ids
                .extend(group.servers.iter().map(|s| ServerId::new(s.as_str())));
            if !group.tags.is_empty() && !selection.tag_sets.contains(&group.tags) {
                selection.tag_sets.push(group.tags.clone());
            }
        }
        targets
            .into_values()
            .map(|mut selection| {
                selection.server_ids.sort();
                selection.server_ids.dedup();
                selection
            })
            .collect()
    }

    /// Takes every wave's servers; starts the first wave, or rejects the execution when a
    /// wave's selection cannot run.
    ///
    /// A server an earlier wave also selects belongs to the earlier wave (see
    /// [`crate::execution::SkippedServer`]); a wave left with no server of its own cannot run.
    pub(crate) fn servers_resolved(&mut self, mut resolutions: Vec<WaveResolution>) -> Disposition {
        if !self.exec.is_resolving() {
            return Disposition::Stale;
        }
        resolutions.sort_by_key(|resolution| resolution.wave);
        let mut owners: BTreeSet<(Option<String>, ServerId)> = BTreeSet::new();
        let mut problems: Vec<(WaveIndex, WaveFailure)> = Vec::new();
        for resolution in resolutions {
            let wave = resolution.wave;
            let targets = match resolution.outcome {
                ResolutionOutcome::Resolved { targets } => targets,
                ResolutionOutcome::Failed { message } => {
                    problems.push((wave, WaveFailure::ResolutionFailed { message }));
                    self.exec.waves[wave].selection = Some(Vec::new());
                    continue;
                }
            };
            let mut earlier: Vec<ServerId> = Vec::new();
            let mut own: Vec<(Option<String>, ServerId)> = Vec::new();
            for resolved in &targets {
                for server in &resolved.servers {
                    let key = (resolved.target.clone(), server.clone());
                    if owners.contains(&key) {
                        earlier.push(server.clone());
                    } else {
                        own.push(key);
                    }
                }
            }
            if own.is_empty() {
                let failure = if earlier.is_empty() {
                    WaveFailure::NoServers
                } else {
                    earlier.sort();
                    WaveFailure::OnlyEarlierWavesServers { servers: earlier }
                };
                problems.push((wave, failure));
            }
            owners.extend(own);
            self.exec.waves[wave].selection = Some(targets);
        }
        // The heartbeat ends with the resolution.
        self.exec.waves[0].check.disarm();
        if problems.is_empty() {
            self.begin_wave(0);
        } else {
            self.reject_selection(problems);
        }
        Disposition::Applied
    }

    /// Ends the execution before anything started: each wave that cannot run fails with its
    /// reason, the others stay pending.
    fn reject_selection(&mut self, problems: Vec<(WaveIndex, WaveFailure)>) {
        let now = self.now;
        let mut rejected = Vec::new();
        for (wave, failure) in problems {
            let name = self.exec.wave_name(wave).to_owned();
            let state = &mut self.exec.waves[wave];
            state.phase = WavePhase::Ended {
                outcome: WaveOutcome::Failed,
            };
            state.ended_at = Some(now);
            state.failure = Some(failure.clone());
            rejected.push(crate::command::RejectedWave {
                wave,
                name: name.clone(),
                failure,
            });
        }
        self.exec.current_wave = rejected.first().map_or(0, |r| r.wave);
        self.notify(Notification::SelectionRejected { waves: rejected });
        self.finish(ExecutionStatus::Failed);
    }

    /// Wave `wave`'s servers as resolved at the start.
    pub(crate) fn selected_servers(&self, wave: WaveIndex) -> Vec<ResolvedTarget> {
        self.exec.waves[wave].selection.clone().unwrap_or_default()
    }
}
