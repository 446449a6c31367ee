//! What the handlers are given: the ports, and the configuration of the deployment.

use std::fmt;
use std::sync::Arc;

use engine::{Execution, Limits};

use crate::ports::{
    ActionRunner, Approvals, Clock, Drs, ExecutionStore, JobLedger, Notifier, PlanStore, Queues,
    Scope, TargetRef,
};

/// Everything a handler needs; built once per Lambda instance (or local runner) and shared.
#[derive(Clone)]
pub struct Deps {
    /// Executions (conditional writes on their version).
    pub executions: Arc<dyn ExecutionStore>,
    /// Stored plans.
    pub plans: Arc<dyn PlanStore>,
    /// DRS, in every target.
    pub drs: Arc<dyn Drs>,
    /// The shared DRS budget and job owners.
    pub ledger: Arc<dyn JobLedger>,
    /// The pipeline's queues.
    pub queues: Arc<dyn Queues>,
    /// Notifications to people.
    pub notifier: Arc<dyn Notifier>,
    /// Pre- and post-wave actions.
    pub actions: Arc<dyn ActionRunner>,
    /// Approvals of paused waves.
    pub approvals: Arc<dyn Approvals>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The deployment's settings.
    pub config: Config,
}

impl fmt::Debug for Deps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deps")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The deployment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DRS quotas of each account and region (the job ledger's budget, and the limits of
    /// every new execution).
    pub limits: Limits,
    /// The orchestrator's own account and region: where DRS runs for groups without a target.
    pub own_scope: Scope,
    /// Whether a start request may carry its plan whole (`"plan": {…}`) instead of naming a
    /// stored one. Refused by a deployed stack (a start runs only a plan stored through the
    /// API, where it was validated and who stored it recorded); accepted by the local stack
    /// and tests, which run plans from files.
    pub inline_plans: InlinePlans,
}

/// Whether start requests may carry their plan whole (see [`Config::inline_plans`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InlinePlans {
    /// Only stored plans run (every deployed Lambda).
    #[default]
    Refused,
    /// Plans given whole run too (the local stack, tests).
    Accepted,
}

impl Config {
    /// AWS's default quotas, in `own_scope`; stored plans only.
    pub fn new(own_scope: Scope) -> Self {
        Self {
            limits: Limits::default(),
            own_scope,
            inline_plans: InlinePlans::Refused,
        }
    }
}

/// A target name that the plan does not define (the engine admits no such plan; a stored
/// execution edited by hand could have one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target `{0}` is not defined in the plan")]
pub struct UnknownTarget(pub String);

impl Deps {
    /// Where `execution`'s DRS calls for its plan's target `name` go, and the scope of its
    /// quotas.
    pub fn target<'a>(
        &'a self,
        execution: &'a Execution,
        name: Option<&'a str>,
    ) -> Result<(TargetRef<'a>, Scope), UnknownTarget> {
        let plan = &execution.plan;
        match name {
            None => Ok((
                TargetRef {
                    name: None,
                    target: None,
                    execution: Some(&execution.id),
                },
                self.config.own_scope.clone(),
            )),
            Some(name) => {
                let target = plan
                    .targets
                    .get(name)
                    .ok_or_else(|| UnknownTarget(name.to_owned()))?;
                Ok((
                    TargetRef {
                        name: Some(name),
                        target: Some(target),
                        execution: Some(&execution.id),
                    },
                    Scope::of(target),
                ))
            }
        }
    }
}
