//! What a [`crate::LocalStack`] is started with.

use std::fmt;

use drs_sim::Scenario;
use drs_sim::scenario::ClockMode;
use engine::Limits;
use pipeline::Deps;

use crate::actions::ActionSettings;
use crate::approvals::ApprovalPolicy;
use crate::error::LocalError;
use crate::esm::PollerSettings;

/// Where moto comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MotoSource {
    /// Start `moto_server` on a free loopback port; stopped with the stack.
    #[default]
    Start,
    /// Use the moto server already listening at this `http://host:port` URL (left running).
    Endpoint(String),
}

/// Replaces ports of the handlers' [`Deps`] before the pollers start: the hook for fault
/// injection (wrap the execution store, the ledger, DRS... in something that fails on cue).
pub type DepsLayer = Box<dyn FnOnce(Deps) -> Deps + Send>;

/// How to start a [`crate::LocalStack`]. `LocalOptions::new(scenario)` gives the defaults.
pub struct LocalOptions {
    /// The drs-sim scenario. Its `events` endpoint is replaced by moto's (keeping its
    /// `drop_ratio`), its `sts_endpoint` (if any) by moto's, and its clock by
    /// [`Self::time_scale`] when that is set.
    pub scenario: Scenario,
    /// Simulated seconds per real second; `None` keeps the scenario's `clock.time_scale`
    /// (a scenario with a manual clock needs one).
    pub time_scale: Option<f64>,
    /// Start moto, or use a running one.
    pub moto: MotoSource,
    /// The orchestrator's account; `None` = the scenario's first account (where drs-sim
    /// sends the events of its servers).
    pub account_id: Option<String>,
    /// The orchestrator's region; `None` = the first region of that account.
    pub region: Option<String>,
    /// Prefix of every resource name; `None` = `drs-rehearsal-` and a random suffix, so
    /// several stacks can share one moto.
    pub resource_prefix: Option<String>,
    /// The DRS quotas the orchestrator is configured with; `None` = the scenario's quotas.
    pub limits: Option<Limits>,
    /// How pre- and post-wave actions behave.
    pub actions: ActionSettings,
    /// Whether paused waves are approved.
    pub approvals: ApprovalPolicy,
    /// How the event source mappings poll.
    pub pollers: PollerSettings,
    /// Replaces ports of the handlers' dependencies (fault injection).
    pub wrap_deps: Option<DepsLayer>,
}

impl LocalOptions {
    /// The defaults for `scenario`: start moto, the scenario's time scale, actions that take
    /// 30 simulated seconds and succeed, approvals given at once.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            scenario,
            time_scale: None,
            moto: MotoSource::Start,
            account_id: None,
            region: None,
            resource_prefix: None,
            limits: None,
            actions: ActionSettings::default(),
            approvals: ApprovalPolicy::Auto,
            pollers: PollerSettings::default(),
            wrap_deps: None,
        }
    }

    /// With this time scale (simulated seconds per real second).
    pub fn with_time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = Some(time_scale);
        self
    }

    /// With a moto server already running at `endpoint_url`.
    pub fn with_moto_endpoint(mut self, endpoint_url: impl Into<String>) -> Self {
        self.moto = MotoSource::Endpoint(endpoint_url.into());
        self
    }

    /// With this approval policy.
    pub fn with_approvals(mut self, approvals: ApprovalPolicy) -> Self {
        self.approvals = approvals;
        self
    }

    /// With these action settings.
    pub fn with_actions(mut self, actions: ActionSettings) -> Self {
        self.actions = actions;
        self
    }

    /// With these poller settings.
    pub fn with_pollers(mut self, pollers: PollerSettings) -> Self {
        self.pollers = pollers;
        self
    }

    /// With `layer` applied to the handlers' dependencies.
    pub fn with_deps_layer(mut self, layer: impl FnOnce(Deps) -> Deps + Send + 'static) -> Self {
        self.wrap_deps = Some(Box::new(layer));
        self
    }

    /// The time scale the stack will run at: [`Self::time_scale`], else the scenario's.
    pub fn effective_time_scale(&self) -> Result<f64, LocalError> {
        let scale = match (self.time_scale, self.scenario.clock.mode) {
            (Some(scale), _) => scale,
            (None, ClockMode::Scaled { time_scale }) => time_scale,
            (None, ClockMode::Manual) => {
                return Err(LocalError::Setup(
                    "the scenario's clock is manual (`clock.manual: true`): the local stack runs \
                     on a scaled clock, so give it a time scale"
                        .to_owned(),
                ));
            }
        };
        if scale.is_finite() && scale > 0.0 {
            Ok(scale)
        } else {
            Err(LocalError::Setup(format!(
                "the time scale must be a positive number of simulated seconds per real second, got {scale}"
            )))
        }
    }
}

impl fmt::Debug for LocalOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalOptions")
            .field("time_scale", &self.time_scale)
            .field("moto", &self.moto)
            .field("account_id", &self.account_id)
            .field("region", &self.region)
            .field("resource_prefix", &self.resource_prefix)
            .field("limits", &self.limits)
            .field("actions", &self.actions)
            .field("approvals", &self.approvals)
            .field("pollers", &self.pollers)
            .field("wrap_deps", &self.wrap_deps.as_ref().map(|_| "<layer>"))
            .finish_non_exhaustive()
    }
}
