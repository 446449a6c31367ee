//! Reading a scenario from YAML: every unknown key, wrong type or bad value is reported with
//! its line, column and path, all of them in one pass.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use saphyr::{MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use super::load;
use super::{
    AccountConfig, ClockConfig, ClockMode, EventsConfig, FailPhase, LaunchProfile, Quotas,
    REPLICATION_STATES, Replication, Scenario, SecondsRange, ServerSpec, Throttling,
};
use crate::rng::{SERVER_GENERATION_STREAM, SeededRng, stable_hash};

type Node = MarkedYamlOwned;

/// One problem in a scenario, at a position of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Where in the document: `servers[2].launch.fail_phase`, `(root)` for the document.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioErrors {
    /// The file name (or other label) of the input, used as the prefix of each line.
    pub source_name: String,
    /// The problems, in document order.
    pub errors: Vec<ScenarioError>,
}

impl ScenarioErrors {
    pub(crate) fn single(source_name: &str, error: ScenarioError) -> ScenarioErrors {
        ScenarioErrors {
            source_name: source_name.to_owned(),
            errors: vec![error],
        }
    }

    /// One `FILE:LINE:COL: path: message` line per problem.
    pub fn lines(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|e| {
                format!(
                    "{}:{}:{}: {}: {}",
                    self.source_name, e.line, e.column, e.path, e.message
                )
            })
            .collect()
    }
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("\n"))
    }
}

const ROOT_KEYS: &[&str] = &[
    "seed",
    "clock",
    "accounts",
    "sts_endpoint",
    "quotas",
    "throttling",
    "events",
    "launch_defaults",
    "servers",
];
const CLOCK_KEYS: &[&str] = &["time_scale", "manual", "start"];
const ACCOUNT_KEYS: &[&str] = &["access_keys", "regions", "denied_actions"];
const QUOTA_KEYS: &[&str] = &[
    "max_servers_per_job",
    "max_concurrent_jobs",
    "max_servers_in_active_jobs",
];
const THROTTLING_KEYS: &[&str] = &["requests_per_second", "burst"];
const EVENTS_KEYS: &[&str] = &["endpoint", "drop_ratio", "event_bus_name"];
const LAUNCH_KEYS: &[&str] = &[
    "snapshot_seconds",
    "conversion_seconds",
    "launch_seconds",
    "terminate_seconds",
    "outcome",
    "fail_phase",
    "failure_probability",
    "error",
];
const LAUNCH_DEFAULT_KEYS: &[&str] = &[
    "pending_seconds",
    "snapshot_seconds",
    "conversion_seconds",
    "launch_seconds",
    "terminate_seconds",
    "outcome",
    "fail_phase",
    "failure_probability",
    "error",
];
const SERVER_KEYS: &[&str] = &[
    "id",
    "count",
    "hostname",
    "hostname_prefix",
    "fqdn",
    "os",
    "instance_type",
    "account",
    "region",
    "tags",
    "replication",
    "staging_account",
    "aws_instance_id",
    "vmware_uuid",
    "mac_address",
    "ip_address",
    "launch",
];
const SINGLE_SERVER_ONLY_KEYS: &[&str] = &[
    "id",
    "hostname",
    "fqdn",
    "aws_instance_id",
    "vmware_uuid",
    "mac_address",
    "ip_address",
];
const REPLICATION_KEYS: &[&str] = &["state", "lag_seconds"];
const MAX_BULK_COUNT: i64 = 100_000;

pub(crate) fn parse_scenario(text: &str, source_name: &str) -> Result<Scenario, ScenarioErrors> {
    let docs = match load::load(text) {
        Ok(docs) => docs,
        Err(err) => {
            return Err(ScenarioErrors::single(
                source_name,
                ScenarioError {
                    line: err.line,
                    column: err.column,
                    path: "(yaml)".to_owned(),
                    message: err.message,
                },
            ));
        }
    };
    let mut reader = Reader::default();
    let scenario = match docs.as_slice() {
        [] => Scenario::default(),
        [root] if root.data.is_null() => Scenario::default(),
        [root] => reader.scenario(root),
        [_, second, ..] => {
            reader.error(second, "(root)", "expected a single YAML document");
            Scenario::default()
        }
    };
    if reader.errors.is_empty() {
        Ok(scenario)
    } else {
        reader
            .errors
            .sort_by_key(|e| (e.line, e.column, e.path.clone()));
        Err(ScenarioErrors {
            source_name: source_name.to_owned(),
            errors: reader.errors,
        })
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

/// Looks through user-defined tags (`!foo value`).
fn untagged(node: &Node) -> &Node {
    match &node.data {
        YamlDataOwned::Tagged(_, inner) => untagged(inner),
        _ => node,
    }
}

fn kind_name(node: &Node) -> &'static str {
    match &untagged(node).data {
        YamlDataOwned::Value(ScalarOwned::Null) => "null",
        YamlDataOwned::Value(ScalarOwned::Boolean(_)) => "a boolean",
        YamlDataOwned::Value(ScalarOwned::Integer(_)) => "an integer",
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(_)) => "a number",
        YamlDataOwned::Value(ScalarOwned::String(_)) | YamlDataOwned::Representation(..) => {
            "a string"
        }
        YamlDataOwned::Sequence(_) => "a list",
        YamlDataOwned::Mapping(_) => "a mapping",
        YamlDataOwned::Alias(_) => "an alias",
        YamlDataOwned::Tagged(..) | YamlDataOwned::BadValue => "an invalid value",
    }
}

/// The entries of one mapping, null values left out (a key with no value is absent).
struct Entries<'n> {
    node: &'n Node,
    items: Vec<(String, &'n Node)>,
}

impl<'n> Entries<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

#[derive(Default)]
struct Reader {
    errors: Vec<ScenarioError>,
}

impl Reader {
    fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            line: node.span.start.line().max(1),
            column: node.span.start.col() + 1,
            path: display_path(path).to_owned(),
            message: message.into(),
        });
    }

    fn expected(&mut self, node: &Node, path: &str, what: &str) {
        let message = format!("expected {what}, found {}", kind_name(node));
        self.error(node, path, message);
    }

    fn mapping<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> Option<Entries<'n>> {
        let node = untagged(node);
        let YamlDataOwned::Mapping(map) = &node.data else {
            self.expected(node, path, "a mapping");
            return None;
        };
        let mut items = Vec::with_capacity(map.len());
        for (key_node, value) in map {
            let key = match &untagged(key_node).data {
                YamlDataOwned::Value(ScalarOwned::String(s)) => s.clone(),
                YamlDataOwned::Value(ScalarOwned::Integer(i)) => i.to_string(),
                _ => {
                    self.expected(key_node, path, "a string key");
                    continue;
                }
            };
            if !allowed.is_empty() && !allowed.contains(&key.as_str()) {
                let message = format!(
                    "unknown key `{key}` (expected one of: {})",
                    allowed.join(", ")
                );
                self.error(key_node, &child(path, &key), message);
                continue;
            }
            if untagged(value).data.is_null() {
                continue;
            }
            items.push((key, value));
        }
        Some(Entries { node, items })
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &untagged(node).data {
            YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
            YamlDataOwned::Representation(s, ..) => Some(s.clone()),
            _ => {
                self.expected(node, path, "a string");
                None
            }
        }
    }

    fn nonempty_string(&mut self, node: &Node, path: &str) -> Option<String> {
        let value = self.string(node, path)?;
        if value.trim().is_empty() {
            self.error(node, path, "must not be empty");
            return None;
        }
        Some(value)
    }

    /// Any scalar as text (tag values such as `Tier: 1`).
    fn scalar_text(&mut self, node: &Node, path: &str) -> Option<String> {
        match &untagged(node).data {
            YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
            YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
            YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
            YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
            YamlDataOwned::Value(ScalarOwned::Null) => Some(String::new()),
            _ => {
                self.expected(node, path, "a string");
                None
            }
        }
    }

    fn integer(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        let YamlDataOwned::Value(ScalarOwned::Integer(value)) = &untagged(node).data else {
            self.expected(node, path, "an integer");
            return None;
        };
        if *value < min || *value > max {
            self.error(
                node,
                path,
                format!("must be between {min} and {max}, found {value}"),
            );
            return None;
        }
        Some(*value)
    }

    fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        match &untagged(node).data {
            YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(*i as f64),
            YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) if f.into_inner().is_finite() => {
                Some(f.into_inner())
            }
            _ => {
                self.expected(node, path, "a number");
                None
            }
        }
    }

    fn ratio(&mut self, node: &Node, path: &str) -> Option<f64> {
        let value = self.number(node, path)?;
        if !(0.0..=1.0).contains(&value) {
            self.error(
                node,
                path,
                format!("must be between 0 and 1, found {value}"),
            );
            return None;
        }
        Some(value)
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        if let YamlDataOwned::Value(ScalarOwned::Boolean(b)) = &untagged(node).data {
            Some(*b)
        } else {
            self.expected(node, path, "true or false");
            None
        }
    }

    fn sequence<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        if let YamlDataOwned::Sequence(items) = &untagged(node).data {
            Some(items.as_slice())
        } else {
            self.expected(node, path, "a list");
            None
        }
    }

    fn string_list(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        let items = self.sequence(node, path)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.nonempty_string(item, &format!("{path}[{i}]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A duration: a number of seconds, or `[min, max]`.
    fn seconds(&mut self, node: &Node, path: &str) -> Option<SecondsRange> {
        let bound = |r: &mut Reader, n: &Node, p: &str| {
            let v = r.number(n, p)?;
            if v < 0.0 {
                r.error(n, p, format!("must not be negative, found {v}"));
                return None;
            }
            Some(v)
        };
        match &untagged(node).data {
            YamlDataOwned::Sequence(items) => {
                let [min_node, max_node] = items.as_slice() else {
                    self.error(
                        node,
                        path,
                        "expected a number of seconds or a [min, max] pair",
                    );
                    return None;
                };
                let min = bound(self, min_node, &format!("{path}[0]"));
                let max = bound(self, max_node, &format!("{path}[1]"));
                let (min, max) = (min?, max?);
                if min > max {
                    self.error(
                        node,
                        path,
                        format!("min ({min}) must not exceed max ({max})"),
                    );
                    return None;
                }
                Some(SecondsRange::between(min, max))
            }
            _ => bound(self, node, path).map(SecondsRange::fixed),
        }
    }

    fn timestamp(&mut self, node: &Node, path: &str) -> Option<jiff::Timestamp> {
        let text = self.string(node, path)?;
        match text.parse::<jiff::Timestamp>() {
            Ok(ts) => Some(ts),
            Err(err) => {
                self.error(
                    node,
                    path,
                    format!("expected an RFC 3339 time such as 2025-01-01T00:00:00Z: {err}"),
                );
                None
            }
        }
    }

    fn account_id(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = match &untagged(node).data {
            YamlDataOwned::Value(ScalarOwned::Integer(i)) => format!("{i:012}"),
            _ => self.string(node, path)?,
        };
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            Some(text)
        } else {
            self.error(
                node,
                path,
                format!("expected a 12-digit account ID, found `{text}`"),
            );
            None
        }
    }

    fn http_endpoint(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.nonempty_string(node, path)?;
        if crate::http_client::HttpEndpoint::parse(&text).is_err() {
            self.error(
                node,
                path,
                format!("expected an http://host:port URL, found `{text}`"),
            );
            return None;
        }
        Some(text)
    }

    fn region_name(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.nonempty_string(node, path)?;
        let valid = text.split('-').count() >= 3
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            self.error(
                node,
                path,
                format!("expected a region name such as us-east-1, found `{text}`"),
            );
            return None;
        }
        Some(text)
    }

    fn scenario(&mut self, root: &Node) -> Scenario {
        let mut scenario = Scenario::default();
        let Some(entries) = self.mapping(root, "", ROOT_KEYS) else {
            return scenario;
        };
        if let Some(node) = entries.get("seed") {
            if let Some(seed) = self.integer(node, "seed", 0, i64::MAX) {
                scenario.seed = seed as u64;
            }
        }
        if let Some(node) = entries.get("clock") {
            scenario.clock = self.clock(node);
        }
        if let Some(node) = entries.get("accounts") {
            scenario.accounts = self.accounts(node);
        }
        if let Some(node) = entries.get("sts_endpoint") {
            scenario.sts_endpoint = self.http_endpoint(node, "sts_endpoint");
        }
        if let Some(node) = entries.get("quotas") {
            scenario.quotas = self.quotas(node);
        }
        if let Some(node) = entries.get("throttling") {
            scenario.throttling = self.throttling(node);
        }
        if let Some(node) = entries.get("events") {
            scenario.events = self.events(node);
        }
        if let Some(node) = entries.get("launch_defaults") {
            let overrides = self.launch(node, "launch_defaults", LAUNCH_DEFAULT_KEYS);
            scenario.launch_defaults = overrides.apply(&LaunchProfile::default());
        }
        if let Some(node) = entries.get("servers") {
            scenario.servers = self.servers(node, &scenario);
        }
        scenario
    }

    fn clock(&mut self, node: &Node) -> ClockConfig {
        let mut clock = ClockConfig::default();
        let Some(entries) = self.mapping(node, "clock", CLOCK_KEYS) else {
            return clock;
        };
        let manual = entries
            .get("manual")
            .and_then(|n| self.boolean(n, "clock.manual"))
            .unwrap_or(false);
        let scale_node = entries.get("time_scale");
        let scale = scale_node.and_then(|n| {
            let v = self.number(n, "clock.time_scale")?;
            if v <= 0.0 {
                self.error(
                    n,
                    "clock.time_scale",
                    format!("must be positive, found {v}"),
                );
                return None;
            }
            Some(v)
        });
        clock.mode = match (manual, scale) {
            (true, _) if scale_node.is_some() => {
                self.error(
                    entries.node,
                    "clock",
                    "`manual: true` and `time_scale` exclude each other",
                );
                ClockMode::Manual
            }
            (true, _) => ClockMode::Manual,
            (false, Some(time_scale)) => ClockMode::Scaled { time_scale },
            (false, None) => ClockMode::default(),
        };
        if let Some(n) = entries.get("start") {
            clock.start = self.timestamp(n, "clock.start");
        }
        clock
    }

    fn accounts(&mut self, node: &Node) -> Vec<AccountConfig> {
        let Some(entries) = self.mapping(node, "accounts", &[]) else {
            return vec![AccountConfig::default_account()];
        };
        if entries.items.is_empty() {
            self.error(node, "accounts", "must list at least one account");
        }
        let mut accounts: Vec<AccountConfig> = Vec::new();
        let mut key_owner: HashMap<String, String> = HashMap::new();
        let YamlDataOwned::Mapping(map) = &untagged(node).data else {
            return accounts;
        };
        for (key_node, value) in map {
            let Some(id) = self.account_id(key_node, "accounts") else {
                continue;
            };
            let path = format!("accounts.{id}");
            let mut account = AccountConfig {
                id: id.clone(),
                access_keys: Vec::new(),
                regions: vec![super::DEFAULT_REGION.to_owned()],
                denied_actions: Vec::new(),
            };
            if !untagged(value).data.is_null() {
                if let Some(fields) = self.mapping(value, &path, ACCOUNT_KEYS) {
                    if let Some(n) = fields.get("access_keys") {
                        let key_path = child(&path, "access_keys");
                        account.access_keys = self.string_list(n, &key_path).unwrap_or_default();
                        for key in &account.access_keys {
                            if let Some(other) = key_owner.insert(key.clone(), id.clone()) {
                                if other != id {
                                    self.error(
                                        n,
                                        &key_path,
                                        format!(
                                            "access key `{key}` already belongs to account {other}"
                                        ),
                                    );
                                }
                            }
                        }
                    }
                    if let Some(n) = fields.get("regions") {
                        let region_path = child(&path, "regions");
                        if let Some(items) = self.sequence(n, &region_path) {
                            let regions: Vec<String> = items
                                .iter()
                                .enumerate()
                                .filter_map(|(i, r)| {
                                    self.region_name(r, &format!("{region_path}[{i}]"))
                                })
                                .collect();
                            if items.is_empty() {
                                self.error(n, &region_path, "must list at least one region");
                            }
                            account.regions = regions;
                        }
                    }
                    if let Some(n) = fields.get("denied_actions") {
                        let action_path = child(&path, "denied_actions");
                        let actions = self.string_list(n, &action_path).unwrap_or_default();
                        for action in &actions {
                            if !action.starts_with("drs:") {
                                self.error(
                                    n,
                                    &action_path,
                                    format!("expected an IAM action such as drs:TagResource, found `{action}`"),
                                );
                            }
                        }
                        account.denied_actions = actions;
                    }
                }
            }
            if accounts.iter().any(|a| a.id == id) {
                self.error(key_node, &path, "account listed twice");
                continue;
            }
            accounts.push(account);
        }
        if accounts.is_empty() {
            accounts.push(AccountConfig::default_account());
        }
        accounts
    }

    fn quotas(&mut self, node: &Node) -> Quotas {
        let mut quotas = Quotas::default();
        let Some(entries) = self.mapping(node, "quotas", QUOTA_KEYS) else {
            return quotas;
        };
        let max = i64::from(u32::MAX);
        let read = |r: &mut Reader, key: &str, slot: &mut u32| {
            if let Some(n) = entries.get(key) {
                if let Some(v) = r.integer(n, &child("quotas", key), 1, max) {
                    *slot = v as u32;
                }
            }
        };
        read(self, "max_servers_per_job", &mut quotas.max_servers_per_job);
        read(self, "max_concurrent_jobs", &mut quotas.max_concurrent_jobs);
        read(
            self,
            "max_servers_in_active_jobs",
            &mut quotas.max_servers_in_active_jobs,
        );
        quotas
    }

    fn throttling(&mut self, node: &Node) -> Option<Throttling> {
        let entries = self.mapping(node, "throttling", THROTTLING_KEYS)?;
        let rate_node = entries.get("requests_per_second");
        let rate = match rate_node {
            Some(n) => {
                let v = self.number(n, "throttling.requests_per_second")?;
                if v <= 0.0 {
                    self.error(
                        n,
                        "throttling.requests_per_second",
                        format!("must be positive, found {v}"),
                    );
                    return None;
                }
                v
            }
            None => {
                self.error(entries.node, "throttling", "missing `requests_per_second`");
                return None;
            }
        };
        let burst = match entries.get("burst") {
            Some(n) => self.integer(n, "throttling.burst", 1, i64::from(u32::MAX))? as u32,
            None => rate.ceil().max(1.0) as u32,
        };
        Some(Throttling {
            requests_per_second: rate,
            burst,
        })
    }

    fn events(&mut self, node: &Node) -> Option<EventsConfig> {
        let entries = self.mapping(node, "events", EVENTS_KEYS)?;
        let endpoint = match entries.get("endpoint") {
            Some(n) => self.http_endpoint(n, "events.endpoint"),
            None => {
                self.error(entries.node, "events", "missing `endpoint`");
                None
            }
        };
        let drop_ratio = match entries.get("drop_ratio") {
            Some(n) => self.ratio(n, "events.drop_ratio"),
            None => Some(0.0),
        };
        let event_bus_name = entries
            .get("event_bus_name")
            .and_then(|n| self.nonempty_string(n, "events.event_bus_name"));
        Some(EventsConfig {
            endpoint: endpoint?,
            drop_ratio: drop_ratio?,
            event_bus_name,
        })
    }

    fn launch(&mut self, node: &Node, path: &str, allowed: &[&str]) -> LaunchOverrides {
        let mut out = LaunchOverrides::default();
        let Some(entries) = self.mapping(node, path, allowed) else {
            return out;
        };
        let seconds = |r: &mut Reader, key: &str| {
            entries
                .get(key)
                .and_then(|n| r.seconds(n, &child(path, key)))
        };
        out.pending_seconds = seconds(self, "pending_seconds");
        out.snapshot_seconds = seconds(self, "snapshot_seconds");
        out.conversion_seconds = seconds(self, "conversion_seconds");
        out.launch_seconds = seconds(self, "launch_seconds");
        out.terminate_seconds = seconds(self, "terminate_seconds");
        let outcome = entries.get("outcome").and_then(|n| {
            let p = child(path, "outcome");
            match self.string(n, &p)?.as_str() {
                "launched" => Some(0.0),
                "failed" => Some(1.0),
                other => {
                    self.error(
                        n,
                        &p,
                        format!("expected `launched` or `failed`, found `{other}`"),
                    );
                    None
                }
            }
        });
        let probability = entries
            .get("failure_probability")
            .and_then(|n| self.ratio(n, &child(path, "failure_probability")));
        if entries.get("outcome").is_some() && entries.get("failure_probability").is_some() {
            self.error(
                entries.node,
                path,
                "`outcome` and `failure_probability` exclude each other",
            );
        }
        out.failure_probability = outcome.or(probability);
        out.fail_phase = entries.get("fail_phase").and_then(|n| {
            let p = child(path, "fail_phase");
            match self.string(n, &p)?.as_str() {
                "snapshot" => Some(FailPhase::Snapshot),
                "conversion" => Some(FailPhase::Conversion),
                "launch" => Some(FailPhase::Launch),
                other => {
                    self.error(
                        n,
                        &p,
                        format!("expected `snapshot`, `conversion` or `launch`, found `{other}`"),
                    );
                    None
                }
            }
        });
        out.error = entries
            .get("error")
            .and_then(|n| self.nonempty_string(n, &child(path, "error")));
        out
    }

    fn tags(&mut self, node: &Node, path: &str) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let YamlDataOwned::Mapping(map) = &untagged(node).data else {
            self.expected(node, path, "a mapping of tag keys to values");
            return tags;
        };
        for (key_node, value) in map {
            let Some(key) = self.scalar_text(key_node, path) else {
                continue;
            };
            let key_path = child(path, &key);
            if key.is_empty() || key.chars().count() > 128 {
                self.error(key_node, &key_path, "tag keys have 1 to 128 characters");
                continue;
            }
            let Some(value) = self.scalar_text(value, &key_path) else {
                continue;
            };
            if value.chars().count() > 256 {
                self.error(node, &key_path, "tag values have at most 256 characters");
                continue;
            }
            tags.insert(key, value);
        }
        tags
    }

    fn replication(&mut self, node: &Node, path: &str) -> Replication {
        let mut replication = Replication::default();
        let Some(entries) = self.mapping(node, path, REPLICATION_KEYS) else {
            return replication;
        };
        if let Some(n) = entries.get("state") {
            let p = child(path, "state");
            if let Some(state) = self.string(n, &p) {
                if REPLICATION_STATES.contains(&state.as_str()) {
                    replication.state = state;
                } else {
                    self.error(
                        n,
                        &p,
                        format!(
                            "unknown replication state `{state}` (expected one of: {})",
                            REPLICATION_STATES.join(", ")
                        ),
                    );
                }
            }
        }
        if let Some(n) = entries.get("lag_seconds") {
            if let Some(lag) = self.integer(n, &child(path, "lag_seconds"), 0, i64::MAX) {
                replication.lag_seconds = lag as u64;
            }
        }
        replication
    }

    fn servers(&mut self, node: &Node, scenario: &Scenario) -> Vec<ServerSpec> {
        let Some(items) = self.sequence(node, "servers") else {
            return Vec::new();
        };
        let mut id_rng = SeededRng::new(scenario.seed, SERVER_GENERATION_STREAM);
        let explicit_ids: Vec<String> = items
            .iter()
            .filter_map(|item| match &untagged(item).data {
                YamlDataOwned::Mapping(map) => map.iter().find_map(|(k, v)| {
                    (k.data.as_str() == Some("id")).then(|| v.data.as_str().map(str::to_owned))?
                }),
                _ => None,
            })
            .collect();
        let mut servers: Vec<ServerSpec> = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("servers[{index}]");
            let Some(entries) = self.mapping(item, &path, SERVER_KEYS) else {
                continue;
            };
            let Some(template) = self.server_template(&entries, &path, scenario) else {
                continue;
            };
            if let Some(count_node) = entries.get("count") {
                for key in SINGLE_SERVER_ONLY_KEYS {
                    if let Some(n) = entries.get(key) {
                        self.error(
                            n,
                            &child(&path, key),
                            format!("`{key}` cannot be used with `count` (it differs per server)"),
                        );
                    }
                }
                let Some(count) =
                    self.integer(count_node, &child(&path, "count"), 1, MAX_BULK_COUNT)
                else {
                    continue;
                };
                let prefix = entries
                    .get("hostname_prefix")
                    .and_then(|n| self.nonempty_string(n, &child(&path, "hostname_prefix")))
                    .unwrap_or_else(|| "server-".to_owned());
                let width = count.to_string().len().max(2);
                for n in 0..count {
                    let id = loop {
                        let candidate = id_rng.source_server_id();
                        if !seen.contains_key(&candidate) && !explicit_ids.contains(&candidate) {
                            break candidate;
                        }
                    };
                    let hostname = format!("{prefix}{:0width$}", n + 1);
                    let server =
                        self.finish_server(&template, id, hostname, scenario, servers.len());
                    seen.insert(server.id.clone(), path.clone());
                    servers.push(server);
                }
            } else {
                if let Some(n) = entries.get("hostname_prefix") {
                    self.error(
                        n,
                        &child(&path, "hostname_prefix"),
                        "`hostname_prefix` needs `count`",
                    );
                }
                let Some(id_node) = entries.get("id") else {
                    self.error(
                        entries.node,
                        &path,
                        "missing `id` (or `count` for a group of servers)",
                    );
                    continue;
                };
                let id_path = child(&path, "id");
                let Some(id) = self.string(id_node, &id_path) else {
                    continue;
                };
                if !crate::requests::is_source_server_id(&id) {
                    self.error(
                        id_node,
                        &id_path,
                        format!("`{id}` is not a source server ID (s- and 17 letters or digits)"),
                    );
                    continue;
                }
                if let Some(first) = seen.get(&id) {
                    self.error(
                        id_node,
                        &id_path,
                        format!("duplicate server ID `{id}` (first in {first})"),
                    );
                    continue;
                }
                let hostname = entries
                    .get("hostname")
                    .and_then(|n| self.nonempty_string(n, &child(&path, "hostname")))
                    .unwrap_or_else(|| format!("server-{}", servers.len() + 1));
                let mut server =
                    self.finish_server(&template, id.clone(), hostname, scenario, servers.len());
                if let Some(n) = entries.get("fqdn") {
                    if let Some(fqdn) = self.nonempty_string(n, &child(&path, "fqdn")) {
                        server.fqdn = fqdn;
                    }
                }
                if let Some(n) = entries.get("aws_instance_id") {
                    let p = child(&path, "aws_instance_id");
                    if let Some(v) = self.string(n, &p) {
                        if crate::requests::is_ec2_instance_id(&v) {
                            server.aws_instance_id = Some(v);
                        } else {
                            self.error(n, &p, format!("`{v}` is not an EC2 instance ID"));
                        }
                    }
                }
                if let Some(n) = entries.get("vmware_uuid") {
                    server.vmware_uuid = self.nonempty_string(n, &child(&path, "vmware_uuid"));
                }
                if let Some(n) = entries.get("mac_address") {
                    if let Some(mac) = self.nonempty_string(n, &child(&path, "mac_address")) {
                        server.mac_address = mac;
                    }
                }
                if let Some(n) = entries.get("ip_address") {
                    if let Some(ip) = self.nonempty_string(n, &child(&path, "ip_address")) {
                        server.ip_address = ip;
                    }
                }
                seen.insert(id, path.clone());
                servers.push(server);
            }
        }
        servers
    }

    /// The fields a single server and a bulk group share.
    fn server_template(
        &mut self,
        entries: &Entries<'_>,
        path: &str,
        scenario: &Scenario,
    ) -> Option<ServerTemplate> {
        let mut ok = true;
        let account = match entries.get("account") {
            Some(n) => {
                let p = child(path, "account");
                match self.account_id(n, &p) {
                    Some(id) if scenario.account(&id).is_some() => Some((id, n)),
                    Some(id) => {
                        self.error(
                            n,
                            &p,
                            format!("account {id} is not listed under `accounts`"),
                        );
                        ok = false;
                        None
                    }
                    None => {
                        ok = false;
                        None
                    }
                }
            }
            None => None,
        };
        let account_config = match &account {
            Some((id, _)) => scenario.account(id),
            None => scenario.accounts.first(),
        };
        let account_id = account_config
            .map(|a| a.id.clone())
            .unwrap_or_else(|| super::DEFAULT_ACCOUNT.to_owned());
        let region = match entries.get("region") {
            Some(n) => {
                let p = child(path, "region");
                match self.region_name(n, &p) {
                    Some(region) => {
                        if let Some(acc) = account_config {
                            if !acc.regions.contains(&region) {
                                self.error(
                                    n,
                                    &p,
                                    format!(
                                        "region {region} is not among the regions of account {} ({})",
                                        acc.id,
                                        acc.regions.join(", ")
                                    ),
                                );
                                ok = false;
                            }
                        }
                        region
                    }
                    None => {
                        ok = false;
                        String::new()
                    }
                }
            }
            None => account_config
                .and_then(|a| a.regions.first().cloned())
                .unwrap_or_else(|| super::DEFAULT_REGION.to_owned()),
        };
        let tags = entries
            .get("tags")
            .map(|n| self.tags(n, &child(path, "tags")))
            .unwrap_or_default();
        let replication = entries
            .get("replication")
            .map(|n| self.replication(n, &child(path, "replication")))
            .unwrap_or_default();
        let staging_account = entries.get("staging_account").and_then(|n| {
            let v = self.account_id(n, &child(path, "staging_account"));
            if v.is_none() {
                ok = false;
            }
            v
        });
        let os = entries
            .get("os")
            .and_then(|n| self.nonempty_string(n, &child(path, "os")));
        let instance_type = entries
            .get("instance_type")
            .and_then(|n| self.nonempty_string(n, &child(path, "instance_type")));
        let launch = entries
            .get("launch")
            .map(|n| self.launch(n, &child(path, "launch"), LAUNCH_KEYS))
            .unwrap_or_default()
            .apply(&scenario.launch_defaults);
        ok.then(|| ServerTemplate {
            account: account_id,
            region,
            tags,
            replication,
            staging_account,
            os: os.unwrap_or_else(|| {
                "Ubuntu 22.04.4 LTS (Linux 5.15.0-105-generic x86_64)".to_owned()
            }),
            instance_type: instance_type.unwrap_or_else(|| "m5.large".to_owned()),
            launch,
        })
    }

    fn finish_server(
        &mut self,
        template: &ServerTemplate,
        id: String,
        hostname: String,
        scenario: &Scenario,
        index: usize,
    ) -> ServerSpec {
        let mut mac_rng = SeededRng::new(scenario.seed, stable_hash(&["mac", &id]));
        let n = index + 16;
        ServerSpec {
            account: template.account.clone(),
            region: template.region.clone(),
            fqdn: format!("{hostname}.example.internal"),
            hostname,
            os: template.os.clone(),
            instance_type: template.instance_type.clone(),
            tags: template.tags.clone(),
            replication: template.replication.clone(),
            staging_account: template.staging_account.clone(),
            aws_instance_id: None,
            vmware_uuid: None,
            mac_address: mac_rng.mac_address(),
            ip_address: format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff),
            launch: template.launch.clone(),
            id,
        }
    }
}

struct ServerTemplate {
    account: String,
    region: String,
    tags: BTreeMap<String, String>,
    replication: Replication,
    staging_account: Option<String>,
    os: String,
    instance_type: String,
    launch: LaunchProfile,
}

/// Launch settings given at one level (defaults or a server); unset fields inherit.
#[derive(Debug, Default)]
struct LaunchOverrides {
    pending_seconds: Option<SecondsRange>,
    snapshot_seconds: Option<SecondsRange>,
    conversion_seconds: Option<SecondsRange>,
    launch_seconds: Option<SecondsRange>,
    terminate_seconds: Option<SecondsRange>,
    failure_probability: Option<f64>,
    fail_phase: Option<FailPhase>,
    error: Option<String>,
}

impl LaunchOverrides {
    fn apply(&self, base: &LaunchProfile) -> LaunchProfile {
        LaunchProfile {
            pending_seconds: self.pending_seconds.unwrap_or(base.pending_seconds),
            snapshot_seconds: self.snapshot_seconds.unwrap_or(base.snapshot_seconds),
            conversion_seconds: self.conversion_seconds.unwrap_or(base.conversion_seconds),
            launch_seconds: self.launch_seconds.unwrap_or(base.launch_seconds),
            terminate_seconds: self.terminate_seconds.unwrap_or(base.terminate_seconds),
            failure_probability: self.failure_probability.unwrap_or(base.failure_probability),
            fail_phase: self.fail_phase.unwrap_or(base.fail_phase),
            error: self.error.clone().or_else(|| base.error.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{ANY_ACCESS_KEY, DEFAULT_ACCOUNT};

    fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
        parse_scenario(text, "test.yaml")
    }

    #[test]
    fn empty_input_is_the_default_scenario() {
        let scenario = parse("").unwrap();
        assert_eq!(scenario, Scenario::default());
        assert_eq!(scenario.accounts[0].id, DEFAULT_ACCOUNT);
        assert_eq!(scenario.accounts[0].access_keys, vec![ANY_ACCESS_KEY]);
    }

    #[test]
    fn full_scenario_resolves_every_section() {
        let text = r#"
seed: 42
clock: { time_scale: 60, start: "2025-01-01T00:00:00Z" }
accounts:
  "111122223333": { access_keys: [AKIAONE], regions: [us-east-1, us-west-2] }
  "444455556666": { access_keys: [AKIATWO], denied_actions: [drs:TagResource] }
sts_endpoint: http://127.0.0.1:5000
quotas: { max_servers_per_job: 10, max_concurrent_jobs: 2, max_servers_in_active_jobs: 30 }
throttling: { requests_per_second: 5, burst: 10 }
events: { endpoint: "http://127.0.0.1:5000", drop_ratio: 0.25 }
launch_defaults: { snapshot_seconds: 30, conversion_seconds: [60, 180], launch_seconds: 60, pending_seconds: 2 }
servers:
  - { id: s-1234567890abcdef0, hostname: db-1, tags: { App: billing, Tier: db }, replication: { state: CONTINUOUS, lag_seconds: 3 } }
  - { id: s-0000000000000000a, hostname: app-2, region: us-west-2, launch: { outcome: failed, fail_phase: conversion } }
  - { count: 3, hostname_prefix: web-, account: "444455556666", tags: { Tier: web }, launch: { failure_probability: 0.5 } }
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.seed, 42);
        assert_eq!(s.clock.mode, ClockMode::Scaled { time_scale: 60.0 });
        assert!(s.clock.start.is_some());
        assert_eq!(s.accounts.len(), 2);
        assert_eq!(s.accounts[1].regions, vec!["us-east-1"]);
        assert_eq!(s.accounts[1].denied_actions, vec!["drs:TagResource"]);
        assert_eq!(s.quotas.max_concurrent_jobs, 2);
        assert_eq!(s.throttling.unwrap().burst, 10);
        assert_eq!(s.events.as_ref().unwrap().drop_ratio, 0.25);
        assert_eq!(
            s.launch_defaults.conversion_seconds,
            SecondsRange::between(60.0, 180.0)
        );
        assert_eq!(s.launch_defaults.pending_seconds, SecondsRange::fixed(2.0));
        assert_eq!(s.servers.len(), 5);
        assert_eq!(s.servers[0].tags["Tier"], "db");
        assert_eq!(s.servers[0].replication.lag_seconds, 3);
        assert_eq!(s.servers[0].account, "111122223333");
        assert_eq!(s.servers[1].region, "us-west-2");
        assert_eq!(s.servers[1].launch.failure_probability, 1.0);
        assert_eq!(s.servers[1].launch.fail_phase, FailPhase::Conversion);
        assert_eq!(
            s.servers[1].launch.snapshot_seconds,
            SecondsRange::fixed(30.0)
        );
        assert_eq!(s.servers[2].hostname, "web-01");
        assert_eq!(s.servers[4].hostname, "web-03");
        assert_eq!(s.servers[4].account, "444455556666");
        assert_eq!(s.servers[3].launch.failure_probability, 0.5);
        assert!(crate::requests::is_source_server_id(&s.servers[3].id));
    }

    #[test]
    fn generated_ids_follow_the_seed() {
        let text = |seed: u64| format!("seed: {seed}\nservers:\n  - {{ count: 5 }}\n");
        let a = parse(&text(1)).unwrap();
        let b = parse(&text(1)).unwrap();
        let c = parse(&text(2)).unwrap();
        let ids = |s: &Scenario| s.servers.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn every_error_is_reported_with_line_column_and_path() {
        let text = "seed: 1\nclok: {}\nquotas:\n  max_concurrent_jobs: many\nservers:\n  - id: s-123\n  - { id: s-1234567890abcdef0, launch: { fail_phase: boot } }\n";
        let errors = parse(text).unwrap_err();
        let lines = errors.lines();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert!(
            lines[0].starts_with("test.yaml:2:1: clok: unknown key `clok`"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("test.yaml:4:24: quotas.max_concurrent_jobs: expected an integer"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("test.yaml:6:9: servers[0].id:"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].contains("servers[1].launch.fail_phase: expected `snapshot`"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn cross_references_are_checked() {
        let text = "accounts:\n  \"111122223333\": { regions: [us-east-1] }\nservers:\n  - { id: s-1234567890abcdef0, account: \"999999999999\" }\n  - { id: s-1234567890abcdef1, region: eu-west-1 }\n  - { id: s-1234567890abcdef2 }\n  - { id: s-1234567890abcdef2 }\n";
        let errors = parse(text).unwrap_err();
        let messages: Vec<&str> = errors.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(messages[0].contains("not listed under `accounts`"));
        assert!(messages[1].contains("not among the regions"));
        assert!(messages[2].contains("duplicate server ID"));
    }

    #[test]
    fn invalid_yaml_reports_the_scanner_position() {
        let errors = parse("servers: [\n  - a\n").unwrap_err();
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].path, "(yaml)");
        assert!(errors.errors[0].line >= 2);
    }

    #[test]
    fn exclusive_options_are_rejected() {
        let errors = parse("clock: { manual: true, time_scale: 3 }\nlaunch_defaults: { outcome: failed, failure_probability: 0.1 }\nservers:\n  - { count: 2, id: s-1234567890abcdef0 }\n").unwrap_err();
        let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["clock", "launch_defaults", "servers[0].id"]);
    }
}
