//! The plan types: what a recovery plan says, as DESIGN.md §5 defines it.
//!
//! These types are the contract shared by the parser, the engine, the API and the JSON Schema
//! (`infra/plan.schema.json` is generated from them). Extend them; don't break them.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::formats::{
    ACCOUNT_ID_PATTERN, EXTERNAL_ID_PATTERN, LAMBDA_ARN_PATTERN, NAME_PATTERN, REGION_PATTERN,
    ROLE_ARN_PATTERN, SERVER_ID_PATTERN, SSM_DOCUMENT_PATTERN, SSM_DOCUMENT_VERSION_PATTERN,
};
use crate::limits::{
    CHECK_INTERVAL_SECONDS, DRILL_CLEANUP_AFTER_HOURS, LAMBDA_TIMEOUT_MINUTES, MAX_NAME_CHARS,
    MAX_WAVES, MINUTES, SSM_TIMEOUT_MINUTES, WAIT_MINUTES,
};
use crate::schema;

/// A recovery plan: ordered waves of DRS source servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Unique plan name: 1 to 63 lowercase letters, digits and `-`, not starting or ending
    /// with `-`.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = MAX_NAME_CHARS))]
    pub name: String,
    /// Free text for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Recovery time objective of the whole plan, in minutes (reported, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MINUTES.min, max = MINUTES.max))]
    pub rto_minutes: Option<u32>,
    /// Whether a new execution may start while another of this plan is still running
    /// (default: no — a second start is refused, as native DRS recovery plans do).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_concurrent_executions: bool,
    /// Whether the person who requested an execution may approve its paused waves (default:
    /// no — an approval is a second person's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_self_approval: bool,
    /// Settings every wave inherits unless it overrides them.
    #[serde(default)]
    pub defaults: Defaults,
    /// Where DRS runs, by name. Omitted: the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(transform = schema::names_as_keys)]
    pub targets: BTreeMap<String, Target>,
    /// Named sets of source servers, selected by ID and/or by tags.
    #[schemars(transform = schema::names_as_keys, transform = schema::at_least_one_key)]
    pub protection_groups: BTreeMap<String, ProtectionGroup>,
    /// The waves, in launch order.
    #[schemars(length(min = 1, max = MAX_WAVES))]
    pub waves: Vec<Wave>,
}

/// Plan-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Fallback delay between two checks of a wave's jobs when no DRS event arrives (1..=900).
    #[serde(default = "Defaults::default_check_interval_seconds")]
    #[schemars(range(min = CHECK_INTERVAL_SECONDS.min, max = CHECK_INTERVAL_SECONDS.max))]
    pub check_interval_seconds: u32,
    /// How long a wave may take, from its start to every server terminal.
    #[serde(default = "Defaults::default_wave_timeout_minutes")]
    #[schemars(range(min = MINUTES.min, max = MINUTES.max))]
    pub wave_timeout_minutes: u32,
    /// Drills only: terminate the drill instances this many hours after the end; 0 keeps them.
    #[serde(default = "Defaults::default_drill_cleanup_after_hours")]
    #[schemars(range(min = DRILL_CLEANUP_AFTER_HOURS.min, max = DRILL_CLEANUP_AFTER_HOURS.max))]
    pub drill_cleanup_after_hours: u32,
}

impl Defaults {
    /// Default of `check_interval_seconds`.
    pub const CHECK_INTERVAL_SECONDS: u32 = 30;
    /// Default of `wave_timeout_minutes`.
    pub const WAVE_TIMEOUT_MINUTES: u32 = 45;
    /// Default of `drill_cleanup_after_hours`.
    pub const DRILL_CLEANUP_AFTER_HOURS: u32 = 4;

    fn default_check_interval_seconds() -> u32 {
        Self::CHECK_INTERVAL_SECONDS
    }
    fn default_wave_timeout_minutes() -> u32 {
        Self::WAVE_TIMEOUT_MINUTES
    }
    fn default_drill_cleanup_after_hours() -> u32 {
        Self::DRILL_CLEANUP_AFTER_HOURS
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            check_interval_seconds: Self::CHECK_INTERVAL_SECONDS,
            wave_timeout_minutes: Self::WAVE_TIMEOUT_MINUTES,
            drill_cleanup_after_hours: Self::DRILL_CLEANUP_AFTER_HOURS,
        }
    }
}

/// An account and region where DRS runs, and how the orchestrator reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// 12-digit AWS account ID (quote it in YAML: `"012345678901"`).
    #[schemars(regex(pattern = ACCOUNT_ID_PATTERN))]
    pub account_id: String,
    /// AWS region, e.g. `us-east-1`.
    #[schemars(regex(pattern = REGION_PATTERN))]
    pub region: String,
    /// Role the orchestrator assumes in that account; it must be in `account_id`. Omitted: its
    /// own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ROLE_ARN_PATTERN))]
    pub role_arn: Option<String>,
    /// `sts:ExternalId` to present when assuming `role_arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = EXTERNAL_ID_PATTERN))]
    pub external_id: Option<String>,
}

/// A named set of source servers: the listed IDs plus every server carrying all the tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionGroup {
    /// Name of a target in `targets`. Omitted: the orchestrator's own account and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub target: Option<String>,
    /// Source server IDs (`s-` + 17 lowercase hex characters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = SERVER_ID_PATTERN)), extend("uniqueItems" = true))]
    pub servers: Vec<String>,
    /// Tags a source server must all carry (exact key and value) to be selected.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(transform = schema::drs_tags)]
    pub tags: BTreeMap<String, String>,
}

/// One step of the plan: its groups are launched together and must all be up before the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// Unique wave name.
    #[schemars(regex(pattern = NAME_PATTERN), length(min = 1, max = MAX_NAME_CHARS))]
    pub name: String,
    /// Names of protection groups launched in this wave.
    #[schemars(
        length(min = 1),
        inner(regex(pattern = NAME_PATTERN)),
        extend("uniqueItems" = true)
    )]
    pub groups: Vec<String>,
    /// Recovery time objective of this wave, in minutes (reported, not enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MINUTES.min, max = MINUTES.max))]
    pub rto_minutes: Option<u32>,
    /// Overrides `defaults.wave_timeout_minutes` for this wave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = MINUTES.min, max = MINUTES.max))]
    pub timeout_minutes: Option<u32>,
    /// Wait for an approval before this wave starts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pause_before: bool,
    /// Servers of this wave whose failure does not fail the wave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = SERVER_ID_PATTERN)), extend("uniqueItems" = true))]
    pub optional_servers: Vec<String>,
    /// Run, in order, before the wave's servers are launched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_actions: Vec<Action>,
    /// Run, in order, after every server of the wave is up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_actions: Vec<Action>,
}

/// A hook run before or after a wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Start an SSM Automation document and wait for it to succeed.
    SsmAutomation(SsmAutomation),
    /// Invoke a Lambda function and wait for it to return without error.
    Lambda(LambdaAction),
    /// Wait a number of minutes (like a WAIT step of a DRS recovery plan).
    Wait(WaitAction),
}

/// What a failed (or timed-out) action does to its wave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The wave fails (the default).
    #[default]
    Fail,
    /// The failure is reported and the wave goes on.
    Continue,
}

impl OnFailure {
    /// Every value, as written in a plan.
    pub const NAMES: &[&str] = &["fail", "continue"];

    /// Whether this is the default, `fail`.
    pub fn is_fail(&self) -> bool {
        *self == Self::Fail
    }
}

/// An SSM Automation run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SsmAutomation {
    /// Document name or ARN.
    #[schemars(regex(pattern = SSM_DOCUMENT_PATTERN))]
    pub document: String,
    /// Version of the document to run: `$LATEST`, `$DEFAULT` or a version number (quoted, like
    /// `"3"`). Omitted: the document's default version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = SSM_DOCUMENT_VERSION_PATTERN))]
    pub document_version: Option<String>,
    /// Document parameters, as SSM takes them (each a list of strings). Values may hold
    /// placeholders, replaced when the action runs: `{{execution_id}}`, `{{plan}}`, `{{mode}}`,
    /// `{{wave}}`, `{{source_server_ids}}`, and in `post_actions` only
    /// `{{recovery_instance_ids}}` and `{{ec2_instance_ids}}`. A value that is exactly one ID
    /// list placeholder gives one value per ID. `{{ssm:…}}` references are passed to SSM as
    /// written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(transform = schema::ssm_parameters)]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// How long the automation may run before it is stopped and counts as failed, in minutes:
    /// 1 to 1440 (a day). Omitted: 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = SSM_TIMEOUT_MINUTES.min, max = SSM_TIMEOUT_MINUTES.max))]
    pub timeout_minutes: Option<u32>,
    /// `fail` (the default): a failure fails the wave; `continue`: it is reported and the wave
    /// goes on.
    #[serde(default, skip_serializing_if = "OnFailure::is_fail")]
    pub on_failure: OnFailure,
}

impl SsmAutomation {
    /// Timeout of an automation whose `timeout_minutes` is omitted.
    pub const DEFAULT_TIMEOUT_MINUTES: u32 = 60;

    /// `timeout_minutes`, or its default.
    pub fn effective_timeout_minutes(&self) -> u32 {
        self.timeout_minutes
            .unwrap_or(Self::DEFAULT_TIMEOUT_MINUTES)
    }
}

/// A Lambda invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdaAction {
    /// ARN of the function to invoke.
    #[schemars(regex(pattern = LAMBDA_ARN_PATTERN))]
    pub function_arn: String,
    /// Fields of your own for the function's event, a mapping of any JSON values; the
    /// execution's context is sent with them. Strings may hold placeholders, replaced when the
    /// action runs: `{{execution_id}}`, `{{plan}}`, `{{mode}}`, `{{wave}}`,
    /// `{{source_server_ids}}`, and in `post_actions` only `{{recovery_instance_ids}}` and
    /// `{{ec2_instance_ids}}`. A string that is exactly one ID list placeholder becomes a
    /// JSON array.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub payload: BTreeMap<String, serde_json::Value>,
    /// How long the invocation may take before it counts as failed, in minutes: 1 to 15
    /// (Lambda's own maximum). Omitted: 15.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = LAMBDA_TIMEOUT_MINUTES.min, max = LAMBDA_TIMEOUT_MINUTES.max))]
    pub timeout_minutes: Option<u32>,
    /// `fail` (the default): a failure fails the wave; `continue`: it is reported and the wave
    /// goes on.
    #[serde(default, skip_serializing_if = "OnFailure::is_fail")]
    pub on_failure: OnFailure,
}

impl LambdaAction {
    /// Timeout of an invocation whose `timeout_minutes` is omitted: Lambda's maximum.
    pub const DEFAULT_TIMEOUT_MINUTES: u32 = 15;

    /// `timeout_minutes`, or its default.
    pub fn effective_timeout_minutes(&self) -> u32 {
        self.timeout_minutes
            .unwrap_or(Self::DEFAULT_TIMEOUT_MINUTES)
    }
}

/// A pause of a fixed length.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitAction {
    /// How long to wait, in minutes: 1 to 1440 (a day).
    #[schemars(range(min = WAIT_MINUTES.min, max = WAIT_MINUTES.max))]
    pub minutes: u32,
}

impl Action {
    /// The action's key in a plan: `ssm_automation`, `lambda` or `wait`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SsmAutomation(_) => "ssm_automation",
            Self::Lambda(_) => "lambda",
            Self::Wait(_) => "wait",
        }
    }

    /// What a failure does; a wait does not fail.
    pub fn on_failure(&self) -> OnFailure {
        match self {
            Self::SsmAutomation(ssm) => ssm.on_failure,
            Self::Lambda(lambda) => lambda.on_failure,
            Self::Wait(_) => OnFailure::Fail,
        }
    }

    /// How long the action may take, in minutes (a wait: its length).
    pub fn timeout_minutes(&self) -> u32 {
        match self {
            Self::SsmAutomation(ssm) => ssm.effective_timeout_minutes(),
            Self::Lambda(lambda) => lambda.effective_timeout_minutes(),
            Self::Wait(wait) => wait.minutes,
        }
    }
}

/// "SSM Automation `Check-DB`", "Lambda `arn:…`", "wait 5 minutes": the action, for messages.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SsmAutomation(ssm) => write!(f, "SSM Automation `{}`", ssm.document),
            Self::Lambda(lambda) => write!(f, "Lambda `{}`", lambda.function_arn),
            Self::Wait(WaitAction { minutes: 1 }) => f.write_str("wait 1 minute"),
            Self::Wait(wait) => write!(f, "wait {} minutes", wait.minutes),
        }
    }
}

impl Plan {
    /// The effective timeout of wave `index`, in minutes.
    pub fn wave_timeout_minutes(&self, index: usize) -> u32 {
        self.waves
            .get(index)
            .and_then(|w| w.timeout_minutes)
            .unwrap_or(self.defaults.wave_timeout_minutes)
    }
}
