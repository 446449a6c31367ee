//! Pre- and post-wave actions in a rehearsal: no SSM or Lambda here, so each action takes a
//! simulated duration and succeeds — or fails, when a rehearsal asks "what if this check
//! fails?". A `wait` takes its own minutes, in simulated time, and always succeeds.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use engine::{ActionPhase, ActionResult, Execution, ExecutionId, RunAction, WaveIndex};
use pipeline::ports::{ActionRunner, PortResult};
use plan::Action;

/// How actions behave.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSettings {
    /// How long each action takes, in simulated seconds (slept as real seconds divided by
    /// the time scale).
    pub duration_seconds: f64,
    /// Actions made to fail.
    pub failures: Vec<ActionFailure>,
}

impl Default for ActionSettings {
    /// 30 simulated seconds, every action succeeds.
    fn default() -> Self {
        Self {
            duration_seconds: 30.0,
            failures: Vec::new(),
        }
    }
}

/// An action that fails, chosen by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFailure {
    /// The SSM document name (or ARN), the Lambda function ARN, or the Lambda function's
    /// name (the ARN's `function:NAME` part, with or without its qualifier).
    pub action: String,
    /// The failure message reported for it.
    pub message: String,
}

impl ActionFailure {
    /// `action` fails with a message saying it was made to.
    pub fn new(action: impl Into<String>) -> Self {
        let action = action.into();
        let message = format!("{action} failed (failure injected by the rehearsal)");
        Self { action, message }
    }

    /// Whether this failure is about `action`.
    pub fn matches(&self, action: &Action) -> bool {
        names_of(action).iter().any(|name| *name == self.action)
    }
}

/// The names an action answers to: the SSM document, or the Lambda ARN and function name
/// (with and without its qualifier); a wait has none.
fn names_of(action: &Action) -> Vec<&str> {
    match action {
        Action::Wait(_) => Vec::new(),
        Action::SsmAutomation(ssm) => vec![ssm.document.as_str()],
        Action::Lambda(lambda) => {
            let arn = lambda.function_arn.as_str();
            let mut names = vec![arn];
            if let Some((_, rest)) = arn.split_once(":function:") {
                names.push(rest);
                if let Some((name, _qualifier)) = rest.split_once(':') {
                    names.push(name);
                }
            }
            names
        }
    }
}

/// One action run, as the rehearsal saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    /// The execution.
    pub execution_id: ExecutionId,
    /// The wave.
    pub wave: WaveIndex,
    /// Before or after the launch.
    pub phase: ActionPhase,
    /// Position in the wave's actions.
    pub index: usize,
    /// The run's idempotency key.
    pub run_id: String,
    /// What it answered.
    pub result: ActionResult,
}

/// [`ActionRunner`] that sleeps the simulated duration and succeeds unless told otherwise;
/// idempotent on the run ID (a repeated run answers the first result without waiting).
#[derive(Debug)]
pub struct SimulatedActions {
    settings: ActionSettings,
    time_scale: f64,
    runs: Mutex<BTreeMap<String, ActionResult>>,
    records: Mutex<Vec<ActionRecord>>,
}

impl SimulatedActions {
    /// Actions under `settings`, at `time_scale` simulated seconds per real second.
    pub fn new(settings: ActionSettings, time_scale: f64) -> Self {
        Self {
            settings,
            time_scale,
            runs: Mutex::new(BTreeMap::new()),
            records: Mutex::new(Vec::new()),
        }
    }

    /// Every distinct run, in the order they finished.
    pub fn records(&self) -> Vec<ActionRecord> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How long `action` takes, in real time: a wait its minutes, any other action the
    /// configured duration, both divided by the time scale.
    fn real_duration(&self, action: &Action) -> Duration {
        let simulated = match action {
            Action::Wait(wait) => f64::from(wait.minutes) * 60.0,
            _ => self.settings.duration_seconds,
        };
        let seconds = simulated / self.time_scale;
        if seconds.is_finite() && seconds > 0.0 {
            Duration::from_secs_f64(seconds.min(3600.0))
        } else {
            Duration::ZERO
        }
    }

    fn result_for(&self, action: &Action) -> ActionResult {
        match self.settings.failures.iter().find(|f| f.matches(action)) {
            Some(failure) => ActionResult::Failed {
                message: failure.message.clone(),
            },
            None => ActionResult::Succeeded,
        }
    }
}

#[async_trait]
impl ActionRunner for SimulatedActions {
    async fn run(&self, execution: &Execution, run: &RunAction) -> PortResult<ActionResult> {
        let known = self
            .runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&run.run_id)
            .cloned();
        if let Some(result) = known {
            return Ok(result);
        }
        tokio::time::sleep(self.real_duration(&run.action)).await;
        let result = self.result_for(&run.action);
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(first) = runs.get(&run.run_id) {
            // Another delivery of the same run finished while this one slept.
            return Ok(first.clone());
        }
        runs.insert(run.run_id.clone(), result.clone());
        drop(runs);
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(ActionRecord {
                execution_id: execution.id.clone(),
                wave: run.wave,
                phase: run.phase,
                index: run.index,
                run_id: run.run_id.clone(),
                result: result.clone(),
            });
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda(arn: &str) -> Action {
        Action::Lambda(plan::LambdaAction {
            function_arn: arn.to_owned(),
            ..Default::default()
        })
    }

    #[test]
    fn failures_match_documents_arns_and_function_names() {
        let ssm = Action::SsmAutomation(plan::SsmAutomation {
            document: "Check-DB".to_owned(),
            parameters: BTreeMap::new(),
            ..Default::default()
        });
        let smoke =
            lambda("arn:aws:lambda:us-east-1:111122223333:function:billing-smoke-test:live");
        assert!(ActionFailure::new("Check-DB").matches(&ssm));
        assert!(!ActionFailure::new("Check").matches(&ssm));
        assert!(ActionFailure::new("billing-smoke-test").matches(&smoke));
        assert!(ActionFailure::new("billing-smoke-test:live").matches(&smoke));
        assert!(
            ActionFailure::new(
                "arn:aws:lambda:us-east-1:111122223333:function:billing-smoke-test:live"
            )
            .matches(&smoke)
        );
        assert!(!ActionFailure::new("Check-DB").matches(&smoke));
        let wait = Action::Wait(plan::WaitAction { minutes: 5 });
        assert!(!ActionFailure::new("wait").matches(&wait));
    }

    #[test]
    fn the_simulated_duration_is_scaled() {
        let actions = SimulatedActions::new(
            ActionSettings {
                duration_seconds: 120.0,
                failures: Vec::new(),
            },
            60.0,
        );
        let ssm = Action::SsmAutomation(plan::SsmAutomation {
            document: "Check-DB".to_owned(),
            ..Default::default()
        });
        assert_eq!(actions.real_duration(&ssm), Duration::from_secs(2));
        let wait = Action::Wait(plan::WaitAction { minutes: 5 });
        assert_eq!(actions.real_duration(&wait), Duration::from_secs(5));
        let instant = SimulatedActions::new(
            ActionSettings {
                duration_seconds: 0.0,
                failures: Vec::new(),
            },
            60.0,
        );
        assert_eq!(instant.real_duration(&ssm), Duration::ZERO);
    }
}
