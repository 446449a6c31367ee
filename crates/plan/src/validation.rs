//! The rules a typed [`Plan`] must follow beyond its types: well-formed names and IDs, references
//! that resolve, no server launched twice, numbers within [`crate::limits`].
//!
//! Every rule runs, so every problem is reported at once. A finding names the path it is about
//! and the paths it was concluded from, so that [`crate::parse`] can leave out findings about
//! values that could not be decoded (they hold placeholders).

use std::collections::{BTreeSet, HashMap};

use crate::formats::{
    check_account_id, check_external_id, check_lambda_arn, check_name, check_region,
    check_role_arn, check_server_id, check_ssm_document, check_ssm_document_version,
    check_ssm_parameter_name, check_ssm_parameter_value, check_ssm_parameter_values, check_tag_key,
    check_tag_value, role_arn_account,
};
use crate::limits::{
    Bounds, CHECK_INTERVAL_SECONDS, DRILL_CLEANUP_AFTER_HOURS, LAMBDA_TIMEOUT_MINUTES, MAX_WAVES,
    MINUTES, SSM_TIMEOUT_MINUTES, WAIT_MINUTES,
};
use crate::model::{Action, Plan, ProtectionGroup};
use crate::path::Path;
use crate::placeholder::{Piece, Placeholder, pieces, unclosed_message, unknown_message};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The value the finding is about.
    pub(crate) path: Path,
    /// Whether it is about the mapping key at `path` (a name) rather than its value.
    pub(crate) at_key: bool,
    pub(crate) message: String,
    /// Other values the finding was concluded from.
    pub(crate) depends_on: Vec<Path>,
}

/// Every broken rule of `plan`, in the order of the plan.
pub(crate) fn check(plan: &Plan) -> Vec<Finding> {
    let mut checker = Checker::new(plan);
    checker.plan_fields();
    checker.targets();
    checker.groups();
    checker.waves();
    checker.findings
}

fn targets_path() -> Path {
    Path::root().key("targets")
}

fn groups_path() -> Path {
    Path::root().key("protection_groups")
}

fn waves_path() -> Path {
    Path::root().key("waves")
}

/// Up to ten items, quoted with backticks, then "and N more".
fn listing<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.into_iter().collect();
    let mut shown: Vec<String> = items.iter().take(10).map(|i| format!("`{i}`")).collect();
    if items.len() > 10 {
        shown.push(format!("and {} more", items.len() - 10));
    }
    shown.join(", ")
}

struct Checker<'p> {
    plan: &'p Plan,
    findings: Vec<Finding>,
    /// The first wave (index) that launches each group.
    wave_of_group: HashMap<&'p str, usize>,
    /// The first group (name, index in `servers`) that lists each well-formed server ID.
    group_of_server: HashMap<&'p str, (&'p str, usize)>,
}

impl<'p> Checker<'p> {
    fn new(plan: &'p Plan) -> Self {
        let mut wave_of_group = HashMap::new();
        for (i, wave) in plan.waves.iter().enumerate() {
            for group in &wave.groups {
                wave_of_group.entry(group.as_str()).or_insert(i);
            }
        }
        let mut group_of_server = HashMap::new();
        for (name, group) in &plan.protection_groups {
            for (i, server) in group.servers.iter().enumerate() {
                if check_server_id(server).is_ok() {
                    group_of_server
                        .entry(server.as_str())
                        .or_insert((name.as_str(), i));
                }
            }
        }
        Self {
            plan,
            findings: Vec::new(),
            wave_of_group,
            group_of_server,
        }
    }

    fn push(&mut self, path: Path, at_key: bool, message: String, depends_on: Vec<Path>) {
        self.findings.push(Finding {
            path,
            at_key,
            message,
            depends_on,
        });
    }

    fn report(&mut self, path: Path, message: String) {
        self.push(path, false, message, Vec::new());
    }

    fn report_with(&mut self, path: Path, message: String, depends_on: Vec<Path>) {
        self.push(path, false, message, depends_on);
    }

    /// Reports the error of a shape check on a value.
    fn shape(&mut self, path: Path, result: Result<(), String>) {
        if let Err(message) = result {
            self.report(path, message);
        }
    }

    /// Reports the error of a shape check on a mapping key.
    fn key_shape(&mut self, path: Path, result: Result<(), String>) {
        if let Err(message) = result {
            self.push(path, true, message, Vec::new());
        }
    }

    fn bounds(&mut self, path: Path, value: u32, bounds: &Bounds) {
        self.shape(path, bounds.check(i64::from(value)));
    }

    fn plan_fields(&mut self) {
        let plan = self.plan;
        let root = Path::root();
        self.shape(root.key("name"), check_name(&plan.name, "plan name"));
        if let Some(rto) = plan.rto_minutes {
            self.bounds(root.key("rto_minutes"), rto, &MINUTES);
        }
        let defaults = root.key("defaults");
        self.bounds(
            defaults.key("check_interval_seconds"),
            plan.defaults.check_interval_seconds,
            &CHECK_INTERVAL_SECONDS,
        );
        self.bounds(
            defaults.key("wave_timeout_minutes"),
            plan.defaults.wave_timeout_minutes,
            &MINUTES,
        );
        self.bounds(
            defaults.key("drill_cleanup_after_hours"),
            plan.defaults.drill_cleanup_after_hours,
            &DRILL_CLEANUP_AFTER_HOURS,
        );
        if plan.protection_groups.is_empty() {
            self.report(
                groups_path(),
                "the plan defines no protection groups; define at least one, \
                 like `db: { servers: [s-1234567890abcdef0] }`"
                    .to_owned(),
            );
        }
        if plan.waves.is_empty() {
            self.report(
                waves_path(),
                "the plan has no waves; add at least one, like `- { name: database, groups: [db] }`"
                    .to_owned(),
            );
        } else if plan.waves.len() > MAX_WAVES {
            self.report(
                waves_path(),
                format!(
                    "the plan has {} waves; at most {MAX_WAVES} are allowed",
                    plan.waves.len()
                ),
            );
        }
    }

    fn targets(&mut self) {
        for (name, target) in &self.plan.targets {
            let path = targets_path().key(name);
            self.key_shape(path.clone(), check_name(name, "target name"));
            self.shape(path.key("account_id"), check_account_id(&target.account_id));
            self.shape(path.key("region"), check_region(&target.region));
            if let Some(arn) = &target.role_arn {
                self.shape(path.key("role_arn"), check_role_arn(arn));
                if let Some(account) = role_arn_account(arn) {
                    if check_account_id(&target.account_id).is_ok() && account != target.account_id
                    {
                        self.report_with(
                            path.key("role_arn"),
                            format!(
                                "the role is in account {account}, but the target's account_id is {}; \
                                 the orchestrator assumes a role in the target's own account",
                                target.account_id
                            ),
                            vec![path.key("account_id")],
                        );
                    }
                }
            }
            if let Some(external_id) = &target.external_id {
                self.shape(path.key("external_id"), check_external_id(external_id));
                if target.role_arn.is_none() {
                    self.report_with(
                        path.key("external_id"),
                        "external_id is only presented when assuming `role_arn`, which this \
                         target does not set; add `role_arn` or remove `external_id`"
                            .to_owned(),
                        vec![path.key("role_arn")],
                    );
                }
            }
        }
    }

    fn groups(&mut self) {
        let plan = self.plan;
        for (name, group) in &plan.protection_groups {
            let path = groups_path().key(name);
            self.key_shape(path.clone(), check_name(name, "protection group name"));
            if let Some(target) = &group.target {
                if !plan.targets.contains_key(target) {
                    self.report_with(
                        path.key("target"),
                        undefined_target(target, plan),
                        vec![targets_path()],
                    );
                }
            }
            self.group_servers(name, group, &path);
            for (key, value) in &group.tags {
                let tag = path.key("tags").key(key);
                self.key_shape(tag.clone(), check_tag_key(key));
                self.shape(tag, check_tag_value(value));
            }
            if group.servers.is_empty() && group.tags.is_empty() {
                self.push(
                    path.clone(),
                    true,
                    format!(
                        "group `{name}` selects no server: list source server IDs under \
                         `servers`, tags under `tags`, or both"
                    ),
                    vec![path.key("servers"), path.key("tags")],
                );
            }
        }
        self.same_tags();
    }

    fn group_servers(&mut self, name: &str, group: &ProtectionGroup, path: &Path) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, server) in group.servers.iter().enumerate() {
            let item = path.key("servers").index(i);
            if let Err(message) = check_server_id(server) {
                self.report(item, message);
                continue;
            }
            if let Some(first) = seen.get(server.as_str()) {
                self.report(
                    item,
                    format!("{server} is listed twice in this group (first at servers[{first}]); list each server once"),
                );
                continue;
            }
            seen.insert(server, i);
            let Some(&(owner, at)) = self.group_of_server.get(server.as_str()) else {
                continue;
            };
            if owner == name {
                continue;
            }
            let first = groups_path().key(owner).key("servers").index(at);
            let message = match (self.wave_of_group.get(owner), self.wave_of_group.get(name)) {
                (Some(&wave_a), Some(&wave_b)) if wave_a != wave_b => format!(
                    "{server} is already in group `{owner}` ({first}), launched by wave `{}`, \
                     while this group is launched by wave `{}`: the server would be launched \
                     twice; a source server can be in one group, and so in one wave, only",
                    self.plan.waves[wave_a].name, self.plan.waves[wave_b].name
                ),
                _ => format!(
                    "{server} is already in group `{owner}` ({first}); a source server can be \
                     in one group only"
                ),
            };
            self.report_with(item, message, vec![first]);
        }
    }

    /// Two groups selecting by the same tags in the same target would launch the same servers.
    fn same_tags(&mut self) {
        let groups: Vec<(&String, &ProtectionGroup)> = self.plan.protection_groups.iter().collect();
        for (i, (name, group)) in groups.iter().enumerate() {
            if group.tags.is_empty() {
                continue;
            }
            let earlier = groups[..i]
                .iter()
                .find(|(_, other)| other.tags == group.tags && other.target == group.target);
            if let Some((other, _)) = earlier {
                self.report_with(
                    groups_path().key(name).key("tags"),
                    format!(
                        "group `{name}` selects by the same tags as group `{other}` in the same \
                         target, so both would launch the same servers; merge the two groups or \
                         make their tags differ"
                    ),
                    vec![
                        groups_path().key(other).key("tags"),
                        groups_path().key(other).key("target"),
                        groups_path().key(name).key("target"),
                    ],
                );
            }
        }
    }

    fn waves(&mut self) {
        let plan = self.plan;
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, wave) in plan.waves.iter().enumerate() {
            let path = waves_path().index(i);
            let name_result = check_name(&wave.name, "wave name");
            if name_result.is_ok() {
                if let Some(first) = names.get(wave.name.as_str()) {
                    self.report(
                        path.key("name"),
                        format!(
                            "wave name `{}` is already used by waves[{first}]; wave names must be unique",
                            wave.name
                        ),
                    );
                } else {
                    names.insert(&wave.name, i);
                }
            }
            self.shape(path.key("name"), name_result);
            if let Some(rto) = wave.rto_minutes {
                self.bounds(path.key("rto_minutes"), rto, &MINUTES);
            }
            if let Some(timeout) = wave.timeout_minutes {
                self.bounds(path.key("timeout_minutes"), timeout, &MINUTES);
            }
            self.wave_groups(i, &path);
            self.optional_servers(i, &path);
            for (kind, actions, pre) in [
                ("pre_actions", &wave.pre_actions, true),
                ("post_actions", &wave.post_actions, false),
            ] {
                for (k, action) in actions.iter().enumerate() {
                    self.action(action, &path.key(kind).index(k), pre);
                }
            }
        }
    }

    fn wave_groups(&mut self, i: usize, path: &Path) {
        let plan = self.plan;
        let wave = &plan.waves[i];
        if wave.groups.is_empty() {
            self.report(
                path.key("groups"),
                "a wave launches at least one protection group; list their names, like [db]"
                    .to_owned(),
            );
            return;
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (k, group) in wave.groups.iter().enumerate() {
            let item = path.key("groups").index(k);
            if !plan.protection_groups.contains_key(group) {
                self.report_with(item, undefined_group(group, plan), vec![groups_path()]);
                continue;
            }
            if let Some(first) = seen.get(group.as_str()) {
                self.report(
                    item,
                    format!("group `{group}` is listed twice in this wave (first at groups[{first}]); list it once"),
                );
                continue;
            }
            seen.insert(group, k);
            if let Some(&first) = self.wave_of_group.get(group.as_str()) {
                if first != i {
                    self.report(
                        item,
                        format!(
                            "group `{group}` is already launched by wave `{}` (waves[{first}]); \
                             a group can be in one wave only",
                            plan.waves[first].name
                        ),
                    );
                }
            }
        }
        let defined: Vec<&ProtectionGroup> = wave
            .groups
            .iter()
            .filter_map(|g| plan.protection_groups.get(g))
            .collect();
        if defined.len() == wave.groups.len()
            && defined
                .iter()
                .all(|g| g.servers.is_empty() && g.tags.is_empty())
        {
            let mut depends_on = vec![path.key("groups")];
            for group in &wave.groups {
                depends_on.push(groups_path().key(group).key("servers"));
                depends_on.push(groups_path().key(group).key("tags"));
            }
            self.report_with(
                path.clone(),
                format!(
                    "wave `{}` can select no server: its groups ({}) list no servers and no tags",
                    wave.name,
                    listing(wave.groups.iter().map(String::as_str))
                ),
                depends_on,
            );
        }
    }

    fn optional_servers(&mut self, i: usize, path: &Path) {
        let plan = self.plan;
        let wave = &plan.waves[i];
        let defined: Vec<&ProtectionGroup> = wave
            .groups
            .iter()
            .filter_map(|g| plan.protection_groups.get(g))
            .collect();
        let all_defined = defined.len() == wave.groups.len();
        let by_tags = defined.iter().any(|g| !g.tags.is_empty());
        let mut explicit: Vec<&str> = Vec::new();
        for group in &defined {
            for server in &group.servers {
                if !explicit.contains(&server.as_str()) {
                    explicit.push(server);
                }
            }
        }
        let mut depends_on = vec![path.key("groups")];
        for group in &wave.groups {
            depends_on.push(groups_path().key(group).key("servers"));
        }

        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (k, server) in wave.optional_servers.iter().enumerate() {
            let item = path.key("optional_servers").index(k);
            if let Err(message) = check_server_id(server) {
                self.report(item, message);
                continue;
            }
            if !seen.insert(server) {
                self.report(
                    item,
                    format!("{server} is listed twice in optional_servers; list it once"),
                );
                continue;
            }
            if explicit.contains(&server.as_str()) {
                continue;
            }
            let elsewhere = self
                .group_of_server
                .get(server.as_str())
                .and_then(|(owner, _)| Some((*owner, *self.wave_of_group.get(owner)?)))
                .filter(|(_, wave)| *wave != i);
            if let Some((owner, other)) = elsewhere {
                self.report(
                    item,
                    format!(
                        "{server} is launched by wave `{}` (group `{owner}`), not by this one; \
                         list it under that wave's optional_servers",
                        plan.waves[other].name
                    ),
                );
                continue;
            }
            // With tags, the wave's servers are known only when DRS is asked, at run time.
            if by_tags || !all_defined || explicit.is_empty() {
                continue;
            }
            self.report_with(
                item,
                format!(
                    "{server} is not one of the servers this wave launches ({}); \
                     optional_servers must be servers of the wave's groups",
                    listing(explicit.iter().copied())
                ),
                depends_on.clone(),
            );
        }
    }

    fn action(&mut self, action: &Action, path: &Path, pre: bool) {
        match action {
            Action::SsmAutomation(ssm) => {
                let path = path.key("ssm_automation");
                self.shape(path.key("document"), check_ssm_document(&ssm.document));
                if let Some(version) = &ssm.document_version {
                    self.shape(
                        path.key("document_version"),
                        check_ssm_document_version(version),
                    );
                }
                for (name, values) in &ssm.parameters {
                    let parameter = path.key("parameters").key(name);
                    self.key_shape(parameter.clone(), check_ssm_parameter_name(name));
                    self.shape(parameter.clone(), check_ssm_parameter_values(values));
                    for (v, value) in values.iter().enumerate() {
                        self.shape(parameter.index(v), check_ssm_parameter_value(value));
                        self.placeholders(parameter.index(v), value, pre);
                    }
                }
                if let Some(timeout) = ssm.timeout_minutes {
                    self.bounds(path.key("timeout_minutes"), timeout, &SSM_TIMEOUT_MINUTES);
                }
            }
            Action::Lambda(lambda) => {
                let path = path.key("lambda");
                self.shape(
                    path.key("function_arn"),
                    check_lambda_arn(&lambda.function_arn),
                );
                for (key, value) in &lambda.payload {
                    self.json_placeholders(path.key("payload").key(key), value, pre);
                }
                if let Some(timeout) = lambda.timeout_minutes {
                    self.bounds(
                        path.key("timeout_minutes"),
                        timeout,
                        &LAMBDA_TIMEOUT_MINUTES,
                    );
                }
            }
            Action::Wait(wait) => {
                self.bounds(path.key("wait").key("minutes"), wait.minutes, &WAIT_MINUTES);
            }
        }
    }

    /// The placeholders of every string in a Lambda payload value.
    fn json_placeholders(&mut self, path: Path, value: &serde_json::Value, pre: bool) {
        match value {
            serde_json::Value::String(s) => self.placeholders(path, s, pre),
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.json_placeholders(path.index(i), item, pre);
                }
            }
            serde_json::Value::Object(entries) => {
                for (key, item) in entries {
                    self.json_placeholders(path.key(key), item, pre);
                }
            }
            _ => {}
        }
    }

    /// Unknown or unclosed placeholders in `text`, and, in a pre-action, those known only
    /// after the launch.
    fn placeholders(&mut self, path: Path, text: &str, pre: bool) {
        if !text.contains("{{") {
            return;
        }
        for piece in pieces(text) {
            match piece {
                Piece::Text(_) => {}
                Piece::Unknown(name) => self.report(path.clone(), unknown_message(name)),
                Piece::Unclosed(rest) => self.report(path.clone(), unclosed_message(rest)),
                Piece::Placeholder(placeholder) if pre && placeholder.after_launch() => {
                    let usable: Vec<String> = Placeholder::ALL
                        .iter()
                        .filter(|p| !p.after_launch())
                        .map(|p| format!("`{p}`"))
                        .collect();
                    self.report(
                        path.clone(),
                        format!(
                            "`{placeholder}` is not known in a pre-action: pre-actions run \
                             before the wave's servers are launched, so there are no instances \
                             yet; use it in `post_actions`, or use {} here",
                            usable.join(", ")
                        ),
                    );
                }
                Piece::Placeholder(_) => {}
            }
        }
    }
}

fn undefined_target(target: &str, plan: &Plan) -> String {
    if plan.targets.is_empty() {
        format!(
            "target `{target}` is not defined: the plan has no `targets`; define it under \
             `targets`, or remove `target` to use the orchestrator's own account and region"
        )
    } else {
        format!(
            "target `{target}` is not defined; defined targets: {}",
            listing(plan.targets.keys().map(String::as_str))
        )
    }
}

fn undefined_group(group: &str, plan: &Plan) -> String {
    if plan.protection_groups.is_empty() {
        format!("protection group `{group}` is not defined: the plan has no `protection_groups`")
    } else {
        format!(
            "protection group `{group}` is not defined; defined groups: {}",
            listing(plan.protection_groups.keys().map(String::as_str))
        )
    }
}
