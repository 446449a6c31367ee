//! From the [`Node`] tree to a typed [`Plan`], reporting every unknown key, wrong type and
//! missing field with its path and position, not only the first.
//!
//! Where a value cannot be decoded a placeholder takes its place (an empty string, a default
//! wave) so that decoding goes on and list indices stay those of the text; the paths of those
//! values are kept in [`Decoded::broken`] so that validation can stay silent about them.

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, Position};
use crate::limits::{
    Bounds, CHECK_INTERVAL_SECONDS, DRILL_CLEANUP_AFTER_HOURS, LAMBDA_TIMEOUT_MINUTES, MINUTES,
    SSM_TIMEOUT_MINUTES, WAIT_MINUTES,
};
use crate::model::{
    Action, Defaults, LambdaAction, OnFailure, Plan, ProtectionGroup, SsmAutomation, Target,
    WaitAction, Wave,
};
use crate::path::Path;
use crate::tree::{Entry, Node, Value};

/// Keys of each mapping of the format, in the order the documentation gives them.
pub(crate) const PLAN_KEYS: &[&str] = &[
    "name",
    "description",
    "rto_minutes",
    "allow_concurrent_executions",
    "allow_self_approval",
    "defaults",
    "targets",
    "protection_groups",
    "waves",
];
pub(crate) const DEFAULTS_KEYS: &[&str] = &[
    "check_interval_seconds",
    "wave_timeout_minutes",
    "drill_cleanup_after_hours",
];
pub(crate) const TARGET_KEYS: &[&str] = &["account_id", "region", "role_arn", "external_id"];
pub(crate) const GROUP_KEYS: &[&str] = &["target", "servers", "tags"];
pub(crate) const WAVE_KEYS: &[&str] = &[
    "name",
    "groups",
    "rto_minutes",
    "timeout_minutes",
    "pause_before",
    "optional_servers",
    "pre_actions",
    "post_actions",
];
pub(crate) const ACTION_KINDS: &[&str] = &["ssm_automation", "lambda", "wait"];
pub(crate) const SSM_KEYS: &[&str] = &[
    "document",
    "document_version",
    "parameters",
    "timeout_minutes",
    "on_failure",
];
pub(crate) const LAMBDA_KEYS: &[&str] =
    &["function_arn", "payload", "timeout_minutes", "on_failure"];
pub(crate) const WAIT_KEYS: &[&str] = &["minutes"];

/// The plan as far as it could be decoded, and what stood in the way.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) plan: Plan,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Paths whose value could not be decoded and holds a placeholder.
    pub(crate) broken: Vec<Path>,
    pub(crate) places: Places,
}

/// Where each decoded value, and each mapping key, was written.
#[derive(Debug, Default)]
pub(crate) struct Places {
    values: HashMap<Path, Position>,
    keys: HashMap<Path, Position>,
}

impl Places {
    /// Where the value at `path` (or its key, when `key` is set and the value is under a key)
    /// was written; paths that were not written (a missing field) get their parent's place.
    pub(crate) fn find(&self, path: &Path, key: bool) -> Option<Position> {
        if key {
            if let Some(position) = self.keys.get(path) {
                return Some(*position);
            }
        }
        let mut path = path.clone();
        loop {
            if let Some(position) = self.values.get(&path) {
                return Some(*position);
            }
            let parent = path.parent();
            if parent == path {
                return None;
            }
            path = parent;
        }
    }
}

/// Decodes `root` into a plan.
pub(crate) fn decode(root: &Node) -> Decoded {
    let mut decoder = Decoder::default();
    let plan = decoder.plan(root);
    Decoded {
        plan,
        diagnostics: decoder.diagnostics,
        broken: decoder.broken,
        places: decoder.places,
    }
}

/// A mapping being decoded: its entries, once unknown keys have been reported.
struct Fields<'n> {
    entries: &'n [Entry],
    path: Path,
    position: Position,
}

#[derive(Debug, Default)]
struct Decoder {
    diagnostics: Vec<Diagnostic>,
    broken: Vec<Path>,
    places: Places,
}

impl Decoder {
    fn fail(&mut self, path: &Path, position: Position, message: String) {
        self.diagnostics.push(Diagnostic {
            position: Some(position),
            path: path.to_string(),
            message,
        });
        self.broken.push(path.clone());
    }

    fn wrong_type(&mut self, node: &Node, path: &Path, expected: &str) {
        let hint = match &node.value {
            Value::Integer { text, .. } | Value::Float { text } if expected.contains("string") => {
                format!("; quote it: \"{text}\"")
            }
            Value::Bool(b) if expected.contains("string") => format!("; quote it: \"{b}\""),
            Value::String(s) if expected.contains("whole number") && s.parse::<i64>().is_ok() => {
                "; remove the quotes".to_owned()
            }
            Value::String(s) if expected.starts_with("a list") && !s.is_empty() => {
                format!("; write a list, like [{s}]")
            }
            _ => String::new(),
        };
        // A scalar is pointed at; a list, a mapping or nothing at the key that holds it.
        let position = if node.value.is_scalar() && node.value != Value::Null {
            node.position
        } else {
            self.places.find(path, false).unwrap_or(node.position)
        };
        self.fail(
            path,
            position,
            format!("expected {expected}, found {}{hint}", node.value.describe()),
        );
    }

    /// Records where the value at `path` was written; the first place recorded wins, so that a
    /// mapping under a key is found at its key.
    fn place(&mut self, path: &Path, position: Position) {
        self.places.values.entry(path.clone()).or_insert(position);
    }

    /// A message about a scalar points at the value; about a list, a mapping or an empty value,
    /// at the key that names it.
    fn place_entry(&mut self, path: &Path, entry: &Entry) {
        self.places.keys.insert(path.clone(), entry.key_position);
        let value = &entry.value;
        let position = if value.value.is_scalar() && value.value != Value::Null {
            value.position
        } else {
            entry.key_position
        };
        self.place(path, position);
    }

    /// The mapping in `node`, after reporting its unknown keys; `None` (reported) when `node` is
    /// not a mapping.
    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &Path,
        expected: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        self.place(path, node.position);
        let Value::Mapping(entries) = &node.value else {
            self.wrong_type(node, path, expected);
            return None;
        };
        for entry in entries {
            if !allowed.contains(&entry.key.as_str()) {
                let suggestion = closest(&entry.key, allowed)
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                self.fail(
                    &path.key(&entry.key),
                    entry.key_position,
                    format!(
                        "unknown key {:?}; {suggestion}allowed keys here: {}",
                        entry.key,
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(Fields {
            entries,
            path: path.clone(),
            position: node.position,
        })
    }

    /// The value under `key`, null included; `None` when the key is absent.
    fn field<'n>(&mut self, fields: &Fields<'n>, key: &str) -> Option<(&'n Node, Path)> {
        let entry = fields.entries.iter().find(|e| e.key == key)?;
        let path = fields.path.key(key);
        self.place_entry(&path, entry);
        Some((&entry.value, path))
    }

    /// The value under `key`; reported when absent.
    fn required<'n>(&mut self, fields: &Fields<'n>, key: &str) -> Option<(&'n Node, Path)> {
        let found = self.field(fields, key);
        if found.is_none() {
            self.fail(
                &fields.path.key(key),
                fields.position,
                format!("missing required key `{key}`"),
            );
        }
        found
    }

    /// The value under `key`, absent and null alike giving `None` (for optional fields).
    fn optional<'n>(&mut self, fields: &Fields<'n>, key: &str) -> Option<(&'n Node, Path)> {
        self.field(fields, key)
            .filter(|(node, _)| node.value != Value::Null)
    }

    fn string(&mut self, node: &Node, path: &Path, expected: &str) -> Option<String> {
        match &node.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, path, expected);
                None
            }
        }
    }

    fn number(&mut self, node: &Node, path: &Path, bounds: &Bounds) -> Option<u32> {
        match &node.value {
            Value::Integer { value, .. } => match u32::try_from(*value) {
                Ok(n) => Some(n),
                Err(_) => {
                    let message = bounds.check(*value).err().unwrap_or_default();
                    self.fail(path, node.position, message);
                    None
                }
            },
            _ => {
                self.wrong_type(node, path, &bounds.to_string());
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &Path) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    /// Each item decoded by `item`, in order; empty (reported) when `node` is not a list.
    fn list<T>(
        &mut self,
        node: &Node,
        path: &Path,
        expected: &str,
        mut item: impl FnMut(&mut Self, &Node, &Path) -> T,
    ) -> Vec<T> {
        let Value::Sequence(items) = &node.value else {
            self.wrong_type(node, path, expected);
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let path = path.index(i);
                self.place(&path, node.position);
                item(self, node, &path)
            })
            .collect()
    }

    /// A list of strings; an item of another type becomes an empty string (reported).
    fn strings(&mut self, node: &Node, path: &Path, expected: &str, item: &str) -> Vec<String> {
        self.list(node, path, expected, |d, node, path| {
            d.string(node, path, item).unwrap_or_default()
        })
    }

    /// Each value of a mapping decoded by `value`; empty (reported) when `node` is not a mapping.
    fn map<T>(
        &mut self,
        node: &Node,
        path: &Path,
        expected: &str,
        mut value: impl FnMut(&mut Self, &Node, &Path) -> T,
    ) -> BTreeMap<String, T> {
        self.place(path, node.position);
        let Value::Mapping(entries) = &node.value else {
            self.wrong_type(node, path, expected);
            return BTreeMap::new();
        };
        entries
            .iter()
            .map(|entry| {
                let path = path.key(&entry.key);
                self.place_entry(&path, entry);
                (entry.key.clone(), value(self, &entry.value, &path))
            })
            .collect()
    }

    fn plan(&mut self, root: &Node) -> Plan {
        let path = Path::root();
        let mut plan = Plan {
            name: String::new(),
            description: None,
            rto_minutes: None,
            allow_concurrent_executions: false,
            allow_self_approval: false,
            defaults: Defaults::default(),
            targets: BTreeMap::new(),
            protection_groups: BTreeMap::new(),
            waves: Vec::new(),
        };
        let Some(fields) = self.mapping(
            root,
            &path,
            "a plan: a mapping with `name`, `protection_groups` and `waves`",
            PLAN_KEYS,
        ) else {
            return plan;
        };
        if let Some((node, path)) = self.required(&fields, "name") {
            plan.name = self.string(node, &path, "a string").unwrap_or_default();
        }
        if let Some((node, path)) = self.optional(&fields, "description") {
            plan.description = self.string(node, &path, "a string");
        }
        if let Some((node, path)) = self.optional(&fields, "rto_minutes") {
            plan.rto_minutes = self.number(node, &path, &MINUTES);
        }
        if let Some((node, path)) = self.field(&fields, "allow_concurrent_executions") {
            plan.allow_concurrent_executions = self.boolean(node, &path).unwrap_or_default();
        }
        if let Some((node, path)) = self.field(&fields, "allow_self_approval") {
            plan.allow_self_approval = self.boolean(node, &path).unwrap_or_default();
        }
        if let Some((node, path)) = self.field(&fields, "defaults") {
            plan.defaults = self.defaults(node, &path);
        }
        if let Some((node, path)) = self.field(&fields, "targets") {
            plan.targets = self.map(
                node,
                &path,
                "a mapping of target names to targets",
                Self::target,
            );
        }
        if let Some((node, path)) = self.required(&fields, "protection_groups") {
            plan.protection_groups = self.map(
                node,
                &path,
                "a mapping of protection group names to groups",
                Self::group,
            );
        }
        if let Some((node, path)) = self.required(&fields, "waves") {
            plan.waves = self.list(node, &path, "a list of waves", Self::wave);
        }
        plan
    }

    fn defaults(&mut self, node: &Node, path: &Path) -> Defaults {
        let mut defaults = Defaults::default();
        let Some(fields) = self.mapping(node, path, "a mapping of default settings", DEFAULTS_KEYS)
        else {
            return defaults;
        };
        if let Some((node, path)) = self.field(&fields, "check_interval_seconds") {
            if let Some(n) = self.number(node, &path, &CHECK_INTERVAL_SECONDS) {
                defaults.check_interval_seconds = n;
            }
        }
        if let Some((node, path)) = self.field(&fields, "wave_timeout_minutes") {
            if let Some(n) = self.number(node, &path, &MINUTES) {
                defaults.wave_timeout_minutes = n;
            }
        }
        if let Some((node, path)) = self.field(&fields, "drill_cleanup_after_hours") {
            if let Some(n) = self.number(node, &path, &DRILL_CLEANUP_AFTER_HOURS) {
                defaults.drill_cleanup_after_hours = n;
            }
        }
        defaults
    }

    fn target(&mut self, node: &Node, path: &Path) -> Target {
        let mut target = Target {
            account_id: String::new(),
            region: String::new(),
            role_arn: None,
            external_id: None,
        };
        let Some(fields) = self.mapping(
            node,
            path,
            "a target: a mapping with `account_id` and `region`",
            TARGET_KEYS,
        ) else {
            return target;
        };
        if let Some((node, path)) = self.required(&fields, "account_id") {
            target.account_id = self
                .string(node, &path, "a string of 12 digits")
                .unwrap_or_default();
        }
        if let Some((node, path)) = self.required(&fields, "region") {
            target.region = self.string(node, &path, "a string").unwrap_or_default();
        }
        if let Some((node, path)) = self.optional(&fields, "role_arn") {
            target.role_arn = self.string(node, &path, "a string");
        }
        if let Some((node, path)) = self.optional(&fields, "external_id") {
            target.external_id = self.string(node, &path, "a string");
        }
        target
    }

    fn group(&mut self, node: &Node, path: &Path) -> ProtectionGroup {
        let mut group = ProtectionGroup {
            target: None,
            servers: Vec::new(),
            tags: BTreeMap::new(),
        };
        let Some(fields) = self.mapping(
            node,
            path,
            "a protection group: a mapping with `servers` and/or `tags`",
            GROUP_KEYS,
        ) else {
            return group;
        };
        if let Some((node, path)) = self.optional(&fields, "target") {
            group.target = self.string(node, &path, "a string");
        }
        if let Some((node, path)) = self.field(&fields, "servers") {
            group.servers = self.strings(
                node,
                &path,
                "a list of source server IDs",
                "a source server ID string",
            );
        }
        if let Some((node, path)) = self.field(&fields, "tags") {
            group.tags = self.map(node, &path, "a mapping of tag keys to values", |d, n, p| {
                d.string(n, p, "a string tag value").unwrap_or_default()
            });
        }
        group
    }

    fn wave(&mut self, node: &Node, path: &Path) -> Wave {
        let mut wave = Wave {
            name: String::new(),
            groups: Vec::new(),
            rto_minutes: None,
            timeout_minutes: None,
            pause_before: false,
            optional_servers: Vec::new(),
            pre_actions: Vec::new(),
            post_actions: Vec::new(),
        };
        let Some(fields) = self.mapping(
            node,
            path,
            "a wave: a mapping with `name` and `groups`",
            WAVE_KEYS,
        ) else {
            return wave;
        };
        if let Some((node, path)) = self.required(&fields, "name") {
            wave.name = self.string(node, &path, "a string").unwrap_or_default();
        }
        if let Some((node, path)) = self.required(&fields, "groups") {
            wave.groups = self.strings(
                node,
                &path,
                "a list of protection group names",
                "a protection group name",
            );
        }
        if let Some((node, path)) = self.optional(&fields, "rto_minutes") {
            wave.rto_minutes = self.number(node, &path, &MINUTES);
        }
        if let Some((node, path)) = self.optional(&fields, "timeout_minutes") {
            wave.timeout_minutes = self.number(node, &path, &MINUTES);
        }
        if let Some((node, path)) = self.field(&fields, "pause_before") {
            wave.pause_before = self.boolean(node, &path).unwrap_or_default();
        }
        if let Some((node, path)) = self.field(&fields, "optional_servers") {
            wave.optional_servers = self.strings(
                node,
                &path,
                "a list of source server IDs",
                "a source server ID string",
            );
        }
        if let Some((node, path)) = self.field(&fields, "pre_actions") {
            wave.pre_actions = self.list(node, &path, "a list of actions", Self::action);
        }
        if let Some((node, path)) = self.field(&fields, "post_actions") {
            wave.post_actions = self.list(node, &path, "a list of actions", Self::action);
        }
        wave
    }

    fn action(&mut self, node: &Node, path: &Path) -> Action {
        let placeholder = Action::Lambda(LambdaAction::default());
        let expected = "an action: a mapping with one key, `ssm_automation`, `lambda` or `wait`";
        let Some(fields) = self.mapping(node, path, expected, ACTION_KINDS) else {
            return placeholder;
        };
        let kinds: Vec<&Entry> = fields
            .entries
            .iter()
            .filter(|e| ACTION_KINDS.contains(&e.key.as_str()))
            .collect();
        match kinds.as_slice() {
            [] => {
                if fields.entries.is_empty() {
                    self.fail(
                        path,
                        node.position,
                        format!("expected {expected}, found an empty mapping"),
                    );
                } else {
                    // The unknown keys are already reported.
                    self.broken.push(path.clone());
                }
                placeholder
            }
            [kind] => {
                let (node, path) = match self.field(&fields, &kind.key) {
                    Some(found) => found,
                    None => return placeholder,
                };
                match kind.key.as_str() {
                    "lambda" => Action::Lambda(self.lambda(node, &path)),
                    "wait" => Action::Wait(self.wait(node, &path)),
                    _ => Action::SsmAutomation(self.ssm_automation(node, &path)),
                }
            }
            [_, second, ..] => {
                self.broken.push(path.clone());
                self.fail(
                    &path.key(&second.key),
                    second.key_position,
                    format!(
                        "an action has one kind, but this one has `{}` and `{}`; write two actions",
                        kinds[0].key, second.key
                    ),
                );
                placeholder
            }
        }
    }

    fn ssm_automation(&mut self, node: &Node, path: &Path) -> SsmAutomation {
        let mut ssm = SsmAutomation::default();
        let Some(fields) = self.mapping(
            node,
            path,
            "an SSM Automation run: a mapping with `document` and optional `document_version`, \
             `parameters`, `timeout_minutes` and `on_failure`",
            SSM_KEYS,
        ) else {
            return ssm;
        };
        if let Some((node, path)) = self.required(&fields, "document") {
            ssm.document = self.string(node, &path, "a string").unwrap_or_default();
        }
        if let Some((node, path)) = self.optional(&fields, "document_version") {
            ssm.document_version = self.string(node, &path, "a string");
        }
        if let Some((node, path)) = self.field(&fields, "parameters") {
            ssm.parameters = self.map(
                node,
                &path,
                "a mapping of parameter names to lists of strings",
                |d, n, p| d.strings(n, p, "a list of strings, like [dr]", "a string"),
            );
        }
        if let Some((node, path)) = self.optional(&fields, "timeout_minutes") {
            ssm.timeout_minutes = self.number(node, &path, &SSM_TIMEOUT_MINUTES);
        }
        if let Some((node, path)) = self.field(&fields, "on_failure") {
            ssm.on_failure = self.on_failure(node, &path);
        }
        ssm
    }

    fn lambda(&mut self, node: &Node, path: &Path) -> LambdaAction {
        let mut lambda = LambdaAction::default();
        let Some(fields) = self.mapping(
            node,
            path,
            "a Lambda invocation: a mapping with `function_arn` and optional `payload`, \
             `timeout_minutes` and `on_failure`",
            LAMBDA_KEYS,
        ) else {
            return lambda;
        };
        if let Some((node, path)) = self.required(&fields, "function_arn") {
            lambda.function_arn = self.string(node, &path, "a string").unwrap_or_default();
        }
        if let Some((node, path)) = self.field(&fields, "payload") {
            lambda.payload = self.map(
                node,
                &path,
                "a mapping of field names to values, like { check: full }",
                |d, n, p| d.json(n, p),
            );
        }
        if let Some((node, path)) = self.optional(&fields, "timeout_minutes") {
            lambda.timeout_minutes = self.number(node, &path, &LAMBDA_TIMEOUT_MINUTES);
        }
        if let Some((node, path)) = self.field(&fields, "on_failure") {
            lambda.on_failure = self.on_failure(node, &path);
        }
        lambda
    }

    fn wait(&mut self, node: &Node, path: &Path) -> WaitAction {
        let mut wait = WaitAction::default();
        let Some(fields) = self.mapping(node, path, "a wait: a mapping with `minutes`", WAIT_KEYS)
        else {
            return wait;
        };
        if let Some((node, path)) = self.required(&fields, "minutes") {
            if let Some(minutes) = self.number(node, &path, &WAIT_MINUTES) {
                wait.minutes = minutes;
            }
        }
        wait
    }

    fn on_failure(&mut self, node: &Node, path: &Path) -> OnFailure {
        let expected = "`fail` or `continue`";
        match &node.value {
            Value::String(s) if s == "fail" => OnFailure::Fail,
            Value::String(s) if s == "continue" => OnFailure::Continue,
            Value::String(s) => {
                let suggestion = closest(s, OnFailure::NAMES)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                self.fail(
                    path,
                    node.position,
                    format!("expected {expected}, found the string {s:?}{suggestion}"),
                );
                OnFailure::default()
            }
            _ => {
                self.wrong_type(node, path, expected);
                OnFailure::default()
            }
        }
    }

    /// Any value, as JSON (a Lambda payload); where each value was written is recorded, so that
    /// a finding about a string deep inside points at it.
    fn json(&mut self, node: &Node, path: &Path) -> serde_json::Value {
        use serde_json::Value as Json;
        match &node.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Integer { value, .. } => Json::from(*value),
            Value::Float { text } => {
                let number = text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64);
                match number {
                    Some(number) => Json::Number(number),
                    None => {
                        self.fail(
                            path,
                            node.position,
                            format!(
                                "the number {text} has no JSON form (JSON has no infinity or NaN); \
                                 quote it: \"{text}\""
                            ),
                        );
                        Json::Null
                    }
                }
            }
            Value::String(s) => Json::String(s.clone()),
            Value::Sequence(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let path = path.index(i);
                        self.place(&path, item.position);
                        self.json(item, &path)
                    })
                    .collect(),
            ),
            Value::Mapping(entries) => Json::Object(
                entries
                    .iter()
                    .map(|entry| {
                        let path = path.key(&entry.key);
                        self.place_entry(&path, entry);
                        (entry.key.clone(), self.json(&entry.value, &path))
                    })
                    .collect(),
            ),
        }
    }
}

/// The allowed key `key` was most likely meant to be: same letters in another case, or at most
/// two edits away.
pub(crate) fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let lowered = key.to_lowercase().replace(['-', ' '], "_");
    allowed
        .iter()
        .map(|candidate| (edit_distance(&lowered, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_key_suggestions() {
        assert_eq!(closest("rto_minute", WAVE_KEYS), Some("rto_minutes"));
        assert_eq!(closest("Groups", WAVE_KEYS), Some("groups"));
        assert_eq!(closest("pause-before", WAVE_KEYS), Some("pause_before"));
        assert_eq!(closest("colour", WAVE_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
