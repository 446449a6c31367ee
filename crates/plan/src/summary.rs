//! A one-line description of a valid plan, for `drsctl plan validate`.

use std::collections::BTreeSet;
use std::fmt;

use crate::model::Plan;

/// What a plan launches, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The plan's name.
    pub name: String,
    /// Number of waves.
    pub waves: usize,
    /// Number of protection groups.
    pub groups: usize,
    /// Groups that select by server IDs only.
    pub groups_by_id: usize,
    /// Groups that select by tags only.
    pub groups_by_tags: usize,
    /// Groups that select by both server IDs and tags.
    pub groups_by_id_and_tags: usize,
    /// Distinct source server IDs listed in groups.
    pub server_ids: usize,
    /// Distinct tag selectors (groups' tag sets).
    pub tag_selectors: usize,
    /// Number of targets; 0 means the orchestrator's own account and region.
    pub targets: usize,
}

impl Plan {
    /// Counts what the plan launches.
    pub fn summary(&self) -> Summary {
        let groups = self.protection_groups.values();
        let count = |by_id: bool, by_tags: bool| {
            self.protection_groups
                .values()
                .filter(|g| g.servers.is_empty() != by_id && g.tags.is_empty() != by_tags)
                .count()
        };
        let server_ids: BTreeSet<&str> = groups
            .clone()
            .flat_map(|g| g.servers.iter().map(String::as_str))
            .collect();
        let tag_selectors: BTreeSet<_> = groups
            .filter(|g| !g.tags.is_empty())
            .map(|g| (&g.target, &g.tags))
            .collect();
        Summary {
            name: self.name.clone(),
            waves: self.waves.len(),
            groups: self.protection_groups.len(),
            groups_by_id: count(true, false),
            groups_by_tags: count(false, true),
            groups_by_id_and_tags: count(true, true),
            server_ids: server_ids.len(),
            tag_selectors: tag_selectors.len(),
            targets: self.targets.len(),
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `plan "billing": 3 waves, 3 groups (1 by ID, 2 by tags), 1 server ID, 1 target`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds = Vec::new();
        if self.groups_by_id > 0 {
            kinds.push(format!("{} by ID", self.groups_by_id));
        }
        if self.groups_by_tags > 0 {
            kinds.push(format!("{} by tags", self.groups_by_tags));
        }
        if self.groups_by_id_and_tags > 0 {
            kinds.push(format!("{} by ID and tags", self.groups_by_id_and_tags));
        }
        write!(
            f,
            "plan {:?}: {}, {} ({}), {}, {}",
            self.name,
            plural(self.waves, "wave", "waves"),
            plural(self.groups, "group", "groups"),
            kinds.join(", "),
            plural(self.server_ids, "server ID", "server IDs"),
            plural(self.targets, "target", "targets"),
        )
    }
}
