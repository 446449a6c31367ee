//! `ResolveServers`: every wave's selectors, with one listing per target.

use std::collections::BTreeMap;

use engine::{
    Event, Execution, Resolution, ResolutionOutcome, ResolvedTarget, TargetSelection, WaveIndex,
    WaveResolution, WaveSelection,
};
use tracing::{info, warn};

use super::Executor;
use crate::error::HandlerError;
use crate::ports::PortError;

impl Executor<'_> {
    /// Resolves every wave's selectors with one listing per target; the engine's answer.
    ///
    /// A target that cannot be read for good (access denied, a role that cannot be assumed)
    /// fails the waves that use it, with the reason: the engine rejects the execution before
    /// anything starts, rather than the message going round until its dead-letter queue.
    pub(super) async fn resolve(
        &self,
        state: &Execution,
        waves: &[WaveSelection],
    ) -> Result<Event, HandlerError> {
        let mut by_target: BTreeMap<Option<&str>, Vec<(WaveIndex, &TargetSelection)>> =
            BTreeMap::new();
        for wave in waves {
            for selection in &wave.targets {
                by_target
                    .entry(selection.target.as_deref())
                    .or_default()
                    .push((wave.wave, selection));
            }
        }
        // Per wave, the servers found per target, or the first failure.
        let mut found: BTreeMap<WaveIndex, Result<Vec<ResolvedTarget>, String>> = waves
            .iter()
            .map(|wave| (wave.wave, Ok(Vec::new())))
            .collect();
        for (name, selections) in by_target {
            let place = name.unwrap_or("(default target)");
            let answers = self.list_target(state, name, &selections, place).await?;
            for ((wave, selection), answer) in selections.into_iter().zip(answers) {
                let Some(entry) = found.get_mut(&wave) else {
                    continue;
                };
                match (entry, answer) {
                    (Ok(targets), Resolution::Servers(servers)) => targets.push(ResolvedTarget {
                        target: selection.target.clone(),
                        servers,
                    }),
                    (entry @ Ok(_), Resolution::Failed(message)) => {
                        warn!(wave, %message, target = place, "the wave's servers cannot be resolved");
                        *entry = Err(message);
                    }
                    (Err(_), _) => {}
                }
            }
        }
        let waves = found
            .into_iter()
            .map(|(wave, outcome)| WaveResolution {
                wave,
                outcome: match outcome {
                    Ok(targets) => {
                        let servers: usize = targets.iter().map(|t| t.servers.len()).sum();
                        info!(wave, servers, "servers resolved");
                        ResolutionOutcome::Resolved { targets }
                    }
                    Err(message) => ResolutionOutcome::Failed { message },
                },
            })
            .collect();
        Ok(Event::ServersResolved { waves })
    }

    /// One answer per selection of target `name`: what its listing found, or, when the
    /// target cannot be read for good, the reason for each.
    async fn list_target(
        &self,
        state: &Execution,
        name: Option<&str>,
        selections: &[(WaveIndex, &TargetSelection)],
        place: &str,
    ) -> Result<Vec<Resolution>, HandlerError> {
        let failed = |message: String| vec![Resolution::Failed(message); selections.len()];
        let target = match self.deps.target(state, name) {
            Ok((target, _)) => target,
            Err(e) => return Ok(failed(e.to_string())),
        };
        let only: Vec<TargetSelection> = selections.iter().map(|(_, s)| (*s).clone()).collect();
        match self.deps.drs.resolve(target, &only).await {
            Ok(answers) if answers.len() == only.len() => Ok(answers),
            Ok(answers) => Err(self.permanent(
                None,
                format!(
                    "the resolver answered {} of {} selections in {place}",
                    answers.len(),
                    only.len()
                ),
            )),
            Err(PortError::Permanent(message)) => Ok(failed(message)),
            Err(error) => Err(self.port_error(None, "resolving servers", error)),
        }
    }
}
