//! Placeholders in action parameters and payloads: `{{execution_id}}`, `{{wave}}`, ... stand for
//! the execution's context and are replaced when the action runs.
//!
//! This module is the one list of names: the validator refuses any other, and the runtime
//! replaces them with [`substitute`], so both read a string the same way.
//!
//! - `{{name}}` (spaces inside the braces allowed: `{{ wave }}`) is a placeholder; its name must
//!   be one of [`Placeholder::ALL`].
//! - `{{…}}` holding a `:` is not ours and stays as written, so that SSM's own references
//!   (`{{ssm:/billing/db-host}}`, `{{ssm-secure:…}}`) reach SSM unchanged.
//! - `{{` without a closing `}}` is an error: a placeholder cut short.
//! - The ID lists are known when the action runs: a value that is exactly one list placeholder
//!   gives the list (an SSM parameter gets one value per ID, a payload a JSON array); inside a
//!   longer string, the IDs are joined with commas. Recovery and EC2 instance IDs exist only
//!   once the wave is launched, so they are refused in `pre_actions`.

use std::fmt;

/// A name of the execution's context that an action's parameters or payload may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placeholder {
    /// `{{execution_id}}`: the execution's ID.
    ExecutionId,
    /// `{{plan}}`: the plan's name.
    Plan,
    /// `{{mode}}`: `drill` or `recovery`.
    Mode,
    /// `{{wave}}`: the name of the wave the action belongs to.
    Wave,
    /// `{{source_server_ids}}`: the DRS source server IDs the wave launches.
    SourceServerIds,
    /// `{{recovery_instance_ids}}`: the DRS recovery instance IDs of the wave's servers
    /// (`post_actions` only).
    RecoveryInstanceIds,
    /// `{{ec2_instance_ids}}`: the EC2 instance IDs of the wave's recovery instances
    /// (`post_actions` only).
    Ec2InstanceIds,
}

impl Placeholder {
    /// Every placeholder, in the order messages list them.
    pub const ALL: [Placeholder; 7] = [
        Self::ExecutionId,
        Self::Plan,
        Self::Mode,
        Self::Wave,
        Self::SourceServerIds,
        Self::RecoveryInstanceIds,
        Self::Ec2InstanceIds,
    ];

    /// The name written between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Self::ExecutionId => "execution_id",
            Self::Plan => "plan",
            Self::Mode => "mode",
            Self::Wave => "wave",
            Self::SourceServerIds => "source_server_ids",
            Self::RecoveryInstanceIds => "recovery_instance_ids",
            Self::Ec2InstanceIds => "ec2_instance_ids",
        }
    }

    /// The placeholder called `name`, exactly.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether it stands for a list of IDs rather than one string.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Self::SourceServerIds | Self::RecoveryInstanceIds | Self::Ec2InstanceIds
        )
    }

    /// Whether it is known only once the wave's servers are launched (so not in a pre-action).
    pub fn after_launch(self) -> bool {
        matches!(self, Self::RecoveryInstanceIds | Self::Ec2InstanceIds)
    }

    /// "`{{execution_id}}`, `{{plan}}`, ...", for messages.
    pub fn listing() -> String {
        Self::ALL
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `{{name}}`, as written in a plan.
impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{}}}}}", self.name())
    }
}

/// A part of a string, as [`pieces`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text kept as written (`{{ssm:…}}` references included).
    Text(&'a str),
    /// A known placeholder.
    Placeholder(Placeholder),
    /// `{{name}}` whose name is not a placeholder: the name, trimmed.
    Unknown(&'a str),
    /// `{{` with no `}}` after it: the rest of the string, from `{{`.
    Unclosed(&'a str),
}

/// `text` cut into text and placeholders, in order.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            if open > 0 {
                pieces.push(Piece::Text(&rest[..open]));
            }
            pieces.push(Piece::Unclosed(&rest[open..]));
            return pieces;
        };
        let inner = &after[..close];
        let end = open + 2 + close + 2;
        let name = inner.trim();
        if name.contains(':') {
            pieces.push(Piece::Text(&rest[..end]));
        } else {
            if open > 0 {
                pieces.push(Piece::Text(&rest[..open]));
            }
            pieces.push(match Placeholder::from_name(name) {
                Some(placeholder) => Piece::Placeholder(placeholder),
                None => Piece::Unknown(name),
            });
        }
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// The placeholder `text` is, when it is exactly one (spaces inside the braces allowed): where
/// a list placeholder gives a list rather than joined text.
pub fn whole(text: &str) -> Option<Placeholder> {
    match pieces(text).as_slice() {
        [Piece::Placeholder(placeholder)] => Some(*placeholder),
        _ => None,
    }
}

/// `text` with each placeholder replaced by `value` of it; an unknown or unclosed one is an
/// error (a valid plan has none).
pub fn substitute(
    text: &str,
    mut value: impl FnMut(Placeholder) -> String,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(p) => out.push_str(&value(p)),
            Piece::Unknown(name) => return Err(unknown_message(name)),
            Piece::Unclosed(rest) => return Err(unclosed_message(rest)),
        }
    }
    Ok(out)
}

/// What is wrong with `{{name}}` when `name` is not a placeholder.
pub(crate) fn unknown_message(name: &str) -> String {
    let names: Vec<&str> = Placeholder::ALL.iter().map(|p| p.name()).collect();
    let lowered = name.to_lowercase().replace(['-', ' '], "_");
    // `{{execution}}` means `{{execution_id}}`, `{{wave_name}}` means `{{wave}}`.
    let suggestion = crate::decode::closest(name, &names)
        .or_else(|| {
            names
                .iter()
                .copied()
                .find(|n| lowered.len() >= 3 && (n.starts_with(&lowered) || lowered.starts_with(n)))
        })
        .map(|n| format!("did you mean `{{{{{n}}}}}`? "))
        .unwrap_or_default();
    format!(
        "`{{{{{name}}}}}` is not a placeholder; {suggestion}placeholders: {} (a `{{{{…}}}}` \
         holding a `:`, like `{{{{ssm:/my/parameter}}}}`, is passed on as written)",
        Placeholder::listing()
    )
}

/// What is wrong with a `{{` that is not closed.
pub(crate) fn unclosed_message(rest: &str) -> String {
    let shown: String = rest.chars().take(40).collect();
    format!(
        "`{shown}` opens a placeholder with `{{{{` but does not close it with `}}}}`; \
         placeholders: {}",
        Placeholder::listing()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_display_in_braces() {
        for placeholder in Placeholder::ALL {
            assert_eq!(
                Placeholder::from_name(placeholder.name()),
                Some(placeholder)
            );
        }
        assert_eq!(Placeholder::Wave.to_string(), "{{wave}}");
        assert_eq!(Placeholder::from_name("Wave"), None);
        assert!(Placeholder::Ec2InstanceIds.after_launch());
        assert!(!Placeholder::SourceServerIds.after_launch());
        assert!(Placeholder::SourceServerIds.is_list());
        assert!(!Placeholder::Mode.is_list());
    }

    #[test]
    fn strings_are_cut_into_pieces() {
        assert_eq!(
            pieces("run {{ execution_id }} of {{plan}}"),
            vec![
                Piece::Text("run "),
                Piece::Placeholder(Placeholder::ExecutionId),
                Piece::Text(" of "),
                Piece::Placeholder(Placeholder::Plan),
            ]
        );
        assert_eq!(
            pieces("{{ssm:/db/host}}:{{wave}}"),
            vec![
                Piece::Text("{{ssm:/db/host}}"),
                Piece::Text(":"),
                Piece::Placeholder(Placeholder::Wave),
            ]
        );
        assert_eq!(
            pieces("a {{wav}} b {{plan"),
            vec![
                Piece::Text("a "),
                Piece::Unknown("wav"),
                Piece::Text(" b "),
                Piece::Unclosed("{{plan"),
            ]
        );
        assert_eq!(pieces(""), Vec::new());
        assert_eq!(pieces("no braces } {"), vec![Piece::Text("no braces } {")]);
    }

    #[test]
    fn substitution_replaces_known_names_only() {
        let value = |p: Placeholder| match p {
            Placeholder::Wave => "database".to_owned(),
            Placeholder::SourceServerIds => "s-1,s-2".to_owned(),
            other => other.name().to_uppercase(),
        };
        assert_eq!(
            substitute("{{wave}}: {{source_server_ids}} {{ssm:x}}", value).as_deref(),
            Ok("database: s-1,s-2 {{ssm:x}}")
        );
        let error = substitute("{{execution-id}}", value).unwrap_err();
        assert!(
            error.contains("did you mean `{{execution_id}}`?"),
            "{error}"
        );
        assert!(substitute("{{plan", value).is_err());
        for (written, meant) in [("execution", "execution_id"), ("wave_name", "wave")] {
            let error = substitute(&format!("{{{{{written}}}}}"), value).unwrap_err();
            assert!(
                error.contains(&format!("did you mean `{{{{{meant}}}}}`?")),
                "{error}"
            );
        }
        let error = substitute("{{colour}}", value).unwrap_err();
        assert!(!error.contains("did you mean"), "{error}");
        assert_eq!(whole(" {{ ec2_instance_ids }}"), None);
        assert_eq!(
            whole("{{ ec2_instance_ids }}"),
            Some(Placeholder::Ec2InstanceIds)
        );
        assert_eq!(whole("x{{wave}}"), None);
    }
}
