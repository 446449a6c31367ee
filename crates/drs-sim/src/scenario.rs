//! The scenario: which accounts, regions and source servers the emulated DRS holds, how their
//! launches behave, and the service-level knobs (clock, quotas, throttling, event delivery).
//!
//! The YAML format is read by [`parse`]; this module holds the resolved, validated values.

mod load;
pub mod parse;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

pub use parse::{ScenarioError, ScenarioErrors};

/// The account used when a scenario lists none.
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// The region used when a scenario lists none.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The access-key entry that matches every key not listed by another account.
pub const ANY_ACCESS_KEY: &str = "*";

/// A fully resolved scenario. Build one with [`Scenario::from_yaml_str`],
/// [`Scenario::from_file`] or start from [`Scenario::default`].
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Seed of every random draw (generated IDs, phase durations, failures).
    pub seed: u64,
    /// How simulated time passes.
    pub clock: ClockConfig,
    /// Accounts in the order the scenario lists them; the first is the default placement.
    pub accounts: Vec<AccountConfig>,
    /// STS endpoint used to resolve access keys no account lists (`GetCallerIdentity`).
    pub sts_endpoint: Option<String>,
    /// Service quotas, per account and region.
    pub quotas: Quotas,
    /// Request rate limit per account and region; `None` means unlimited.
    pub throttling: Option<Throttling>,
    /// Where Launch Result events go; `None` means they are not sent.
    pub events: Option<EventsConfig>,
    /// Job timing and outcome used by servers that do not override them.
    pub launch_defaults: LaunchProfile,
    /// Every source server, bulk groups expanded.
    pub servers: Vec<ServerSpec>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 0,
            clock: ClockConfig::default(),
            accounts: vec![AccountConfig::default_account()],
            sts_endpoint: None,
            quotas: Quotas::default(),
            throttling: None,
            events: None,
            launch_defaults: LaunchProfile::default(),
            servers: Vec::new(),
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario; `source_name` names the input in error messages.
    pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Scenario, ScenarioErrors> {
        parse::parse_scenario(text, source_name)
    }

    /// Reads, parses and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioErrors> {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Scenario::from_yaml_str(&text, &name),
            Err(err) => Err(ScenarioErrors::single(
                &name,
                ScenarioError {
                    line: 1,
                    column: 1,
                    path: "(file)".to_owned(),
                    message: format!("cannot read the scenario file: {err}"),
                },
            )),
        }
    }

    /// The account that lists `access_key` itself.
    pub fn account_for_access_key(&self, access_key: &str) -> Option<&AccountConfig> {
        self.accounts
            .iter()
            .find(|a| a.access_keys.iter().any(|k| k == access_key))
    }

    /// The account that takes every key no account lists (`access_keys: ["*"]`).
    pub fn wildcard_account(&self) -> Option<&AccountConfig> {
        self.accounts
            .iter()
            .find(|a| a.access_keys.iter().any(|k| k == ANY_ACCESS_KEY))
    }

    /// The account with this ID, if the scenario lists it.
    pub fn account(&self, account_id: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|a| a.id == account_id)
    }
}

/// How simulated time passes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClockConfig {
    /// Scaled real time or a manual clock.
    pub mode: ClockMode,
    /// Simulated wall-clock time at start (and after each reset); `None` means the real time
    /// at which the scenario is loaded.
    pub start: Option<jiff::Timestamp>,
}

/// How the simulated clock moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Simulated seconds per real second (`1.0` is real time).
    Scaled {
        /// Simulated seconds per real second.
        time_scale: f64,
    },
    /// Time stands still until the admin API advances it.
    Manual,
}

impl Default for ClockMode {
    fn default() -> Self {
        ClockMode::Scaled { time_scale: 1.0 }
    }
}

/// One AWS account and the regions where DRS is initialized in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// 12-digit account ID.
    pub id: String,
    /// Access key IDs that belong to this account; `*` matches any key not listed elsewhere.
    pub access_keys: Vec<String>,
    /// Regions where DRS is initialized; calls to other regions get
    /// `UninitializedAccountException`.
    pub regions: Vec<String>,
    /// IAM actions (`drs:StartRecovery`, `drs:TagResource`, ...) refused with
    /// `AccessDeniedException`, to rehearse missing permissions.
    pub denied_actions: Vec<String>,
}

impl AccountConfig {
    /// The account a scenario without `accounts` gets: every access key, `us-east-1`.
    pub fn default_account() -> AccountConfig {
        AccountConfig {
            id: DEFAULT_ACCOUNT.to_owned(),
            access_keys: vec![ANY_ACCESS_KEY.to_owned()],
            regions: vec![DEFAULT_REGION.to_owned()],
            denied_actions: Vec::new(),
        }
    }
}

/// Service quotas, enforced per account and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Source servers in one `StartRecovery` (the API itself accepts up to 200).
    pub max_servers_per_job: u32,
    /// Jobs not yet `COMPLETED`.
    pub max_concurrent_jobs: u32,
    /// Source servers across all jobs not yet `COMPLETED`.
    pub max_servers_in_active_jobs: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            max_servers_per_job: 100,
            max_concurrent_jobs: 20,
            max_servers_in_active_jobs: 500,
        }
    }
}

/// A token bucket per account and region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttling {
    /// Sustained rate: tokens added per real second.
    pub requests_per_second: f64,
    /// Bucket size: requests allowed in a burst.
    pub burst: u32,
}

/// Delivery of `DRS Source Server Launch Result` events with EventBridge `PutEvents`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsConfig {
    /// EventBridge endpoint, `http://host:port` (moto's server, or a test receiver).
    pub endpoint: String,
    /// Share of events silently dropped (0.0 ..= 1.0), as best-effort delivery may do.
    pub drop_ratio: f64,
    /// `EventBusName` of each entry; `None` means the default bus.
    pub event_bus_name: Option<String>,
}

/// A duration in simulated seconds: fixed, or drawn uniformly from `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondsRange {
    /// Shortest duration.
    pub min: f64,
    /// Longest duration.
    pub max: f64,
}

impl SecondsRange {
    /// A fixed duration.
    pub const fn fixed(seconds: f64) -> SecondsRange {
        SecondsRange {
            min: seconds,
            max: seconds,
        }
    }

    /// A duration drawn from `min..=max`.
    pub const fn between(min: f64, max: f64) -> SecondsRange {
        SecondsRange { min, max }
    }
}

impl fmt::Display for SecondsRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}s", self.min)
        } else {
            write!(f, "{}s..{}s", self.min, self.max)
        }
    }
}

/// The phase of a launch in which a failure happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPhase {
    /// Taking the on-demand snapshot (or using the chosen recovery snapshot).
    Snapshot,
    /// Converting the volumes on the conversion server.
    Conversion,
    /// Launching the EC2 instance.
    Launch,
}

impl FailPhase {
    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            FailPhase::Snapshot => "snapshot",
            FailPhase::Conversion => "conversion",
            FailPhase::Launch => "launch",
        }
    }

    /// The `rawError` a failure in this phase reports when the scenario gives none.
    pub fn default_error(self) -> &'static str {
        match self {
            FailPhase::Snapshot => {
                "Failed to take snapshot: replication server did not respond (simulated failure)"
            }
            FailPhase::Conversion => {
                "Conversion failed: You are not authorized to perform ec2:DetachVolume (simulated failure)"
            }
            FailPhase::Launch => {
                "Failed to launch instance: InsufficientInstanceCapacity (simulated failure)"
            }
        }
    }
}

/// Timing and outcome of launches, resolved for one server (or the defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchProfile {
    /// From `StartRecovery` to `JOB_START` (the job is `PENDING` meanwhile).
    pub pending_seconds: SecondsRange,
    /// `SNAPSHOT_START` to `SNAPSHOT_END`.
    pub snapshot_seconds: SecondsRange,
    /// `CONVERSION_START` to `CONVERSION_END`.
    pub conversion_seconds: SecondsRange,
    /// `LAUNCH_START` to `LAUNCHED` (or `LAUNCH_FAILED`).
    pub launch_seconds: SecondsRange,
    /// Duration of one instance's termination in a `TERMINATE` job.
    pub terminate_seconds: SecondsRange,
    /// Probability that a launch fails (0 = `outcome: launched`, 1 = `outcome: failed`).
    pub failure_probability: f64,
    /// Where a failure happens.
    pub fail_phase: FailPhase,
    /// The `rawError` of a failure; `None` uses [`FailPhase::default_error`].
    pub error: Option<String>,
}

impl Default for LaunchProfile {
    fn default() -> Self {
        LaunchProfile {
            pending_seconds: SecondsRange::fixed(5.0),
            snapshot_seconds: SecondsRange::between(30.0, 90.0),
            conversion_seconds: SecondsRange::between(120.0, 300.0),
            launch_seconds: SecondsRange::between(60.0, 180.0),
            terminate_seconds: SecondsRange::between(30.0, 90.0),
            failure_probability: 0.0,
            fail_phase: FailPhase::Launch,
            error: None,
        }
    }
}

impl LaunchProfile {
    /// The `rawError` reported when this launch fails.
    pub fn failure_message(&self) -> &str {
        self.error
            .as_deref()
            .unwrap_or_else(|| self.fail_phase.default_error())
    }
}

/// Values of `DataReplicationState` in the DRS model.
pub const REPLICATION_STATES: &[&str] = &[
    "STOPPED",
    "INITIATING",
    "INITIAL_SYNC",
    "BACKLOG",
    "CREATING_SNAPSHOT",
    "CONTINUOUS",
    "PAUSED",
    "RESCAN",
    "STALLED",
    "DISCONNECTED",
];

/// Replication state of a source server as `DescribeSourceServers` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    /// One of [`REPLICATION_STATES`].
    pub state: String,
    /// Replication lag in seconds (reported as an ISO 8601 duration).
    pub lag_seconds: u64,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            state: "CONTINUOUS".to_owned(),
            lag_seconds: 0,
        }
    }
}

/// One source server, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// `s-` and 17 alphanumerics.
    pub id: String,
    /// Account that holds it.
    pub account: String,
    /// Region where it replicates to.
    pub region: String,
    /// Reported hostname.
    pub hostname: String,
    /// Reported fully qualified domain name.
    pub fqdn: String,
    /// Reported operating system (`os.fullString`).
    pub os: String,
    /// `recommendedInstanceType`.
    pub instance_type: String,
    /// Tags of the source server.
    pub tags: BTreeMap<String, String>,
    /// Replication state and lag.
    pub replication: Replication,
    /// Staging account of an extended source server (`stagingArea.stagingAccountID`).
    pub staging_account: Option<String>,
    /// EC2 instance ID of a source that runs in AWS (matched by the `hardwareId` filter).
    pub aws_instance_id: Option<String>,
    /// VMware UUID of the source (matched by the `hardwareId` filter).
    pub vmware_uuid: Option<String>,
    /// MAC address of the primary interface (matched by the `hardwareId` filter).
    pub mac_address: String,
    /// Primary IPv4 address.
    pub ip_address: String,
    /// Launch timing and outcome.
    pub launch: LaunchProfile,
}
