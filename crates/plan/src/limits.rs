//! The numeric limits a plan must stay within, and why each one is what it is.

use std::fmt;

/// An inclusive range of whole numbers, with the unit used in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Smallest value allowed.
    pub min: u32,
    /// Largest value allowed.
    pub max: u32,
    /// What the number counts, plural: "seconds", "minutes", "hours".
    pub unit: &'static str,
}

impl Bounds {
    /// Whether `value` is within the bounds.
    pub fn contains(&self, value: i64) -> bool {
        i64::from(self.min) <= value && value <= i64::from(self.max)
    }

    /// Ok, or a message saying what is allowed instead of `value`.
    pub fn check(&self, value: i64) -> Result<(), String> {
        if self.contains(value) {
            Ok(())
        } else {
            Err(format!("{value} is out of range; use {self}"))
        }
    }
}

/// "a whole number of seconds from 1 to 900".
impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a whole number of {} from {} to {}",
            self.unit, self.min, self.max
        )
    }
}

/// Seven days, in minutes: the longest RTO or wave timeout that is not a typo. A DRS launch
/// takes minutes to an hour; a wave stuck for a week needs a person, not a longer timeout.
pub const MAX_MINUTES: u32 = 7 * 24 * 60;

/// `defaults.check_interval_seconds`: SQS delays a message by at most 900 seconds (DESIGN.md §2),
/// and 0 would poll DRS in a loop.
pub const CHECK_INTERVAL_SECONDS: Bounds = Bounds {
    min: 1,
    max: 900,
    unit: "seconds",
};

/// `rto_minutes` (plan and wave), `defaults.wave_timeout_minutes` and `timeout_minutes`: zero
/// would fail every wave at once.
pub const MINUTES: Bounds = Bounds {
    min: 1,
    max: MAX_MINUTES,
    unit: "minutes",
};

/// `defaults.drill_cleanup_after_hours`: 0 keeps the drill instances; at most 30 days, beyond
/// which forgotten drill instances cost more than they prove.
pub const DRILL_CLEANUP_AFTER_HOURS: Bounds = Bounds {
    min: 0,
    max: 30 * 24,
    unit: "hours",
};

/// Most waves in a plan. Real plans have a handful; each wave costs at least one DRS job and one
/// round of checks, so a hundred is far beyond any useful launch order. 99, not 100: an
/// execution is saved in one DynamoDB transaction (at most 100 items), its header plus one item
/// per wave, and resolving its servers at the start writes every wave's.
pub const MAX_WAVES: usize = 99;

/// Longest name of a plan, wave, target or protection group: a DNS label, so names fit in
/// resource names, tags and URLs.
pub const MAX_NAME_CHARS: usize = 63;

/// Longest tag key DRS accepts.
pub const MAX_TAG_KEY_CHARS: usize = 128;

/// Longest tag value DRS accepts (an empty value is allowed).
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// `sts:ExternalId` length, as STS defines it.
pub const EXTERNAL_ID_CHARS: (usize, usize) = (2, 1224);

/// Deepest nesting of lists and mappings in a plan text, the top-level mapping being level 1.
/// A plan needs 8 (`waves[].post_actions[].ssm_automation.parameters.NAME[]`); without a limit,
/// 20 KB of `- - - …` overflowed the stack of everything that walks the tree.
pub const MAX_DEPTH: usize = 64;

/// Most values (scalars, lists, mappings) a plan text may hold, aliases expanded: a few lines of
/// nested aliases ("billion laughs") would otherwise expand to billions. A plan listing every
/// server a DRS account may replicate holds a few thousand.
pub const MAX_VALUES: usize = 100_000;

/// Most problems listed for one plan; one more line says how many were left out. 12,000 copies
/// of a server ID (240 KB) produced 1.9 MB of messages, and a Lambda response holds 6 MB.
pub const MAX_DIAGNOSTICS: usize = 100;

/// SSM Automation document names (or ARNs), as `StartAutomationExecution` defines them.
pub const SSM_DOCUMENT_CHARS: (usize, usize) = (3, 128);

/// SSM Automation parameter names, as `StartAutomationExecution` defines them.
pub const MAX_SSM_PARAMETER_NAME_CHARS: usize = 50;

/// Values one SSM Automation parameter may hold.
pub const MAX_SSM_PARAMETER_VALUES: usize = 50;

/// Length of one SSM Automation parameter value.
pub const SSM_PARAMETER_VALUE_CHARS: (usize, usize) = (1, 512);

/// `ssm_automation.timeout_minutes`: at most a day. An automation that checks or prepares a
/// recovery takes minutes; one still running after a day is stuck, and is stopped.
pub const SSM_TIMEOUT_MINUTES: Bounds = Bounds {
    min: 1,
    max: 24 * 60,
    unit: "minutes",
};

/// `lambda.timeout_minutes`: a Lambda invocation runs for at most 15 minutes, Lambda's own
/// maximum, so waiting longer would wait for nothing.
pub const LAMBDA_TIMEOUT_MINUTES: Bounds = Bounds {
    min: 1,
    max: 15,
    unit: "minutes",
};

/// `wait.minutes`: at most a day. Zero would be no wait; a longer pause between waves is an
/// approval (`pause_before`), not a timer.
pub const WAIT_MINUTES: Bounds = Bounds {
    min: 1,
    max: 24 * 60,
    unit: "minutes",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_say_what_is_allowed() {
        assert!(CHECK_INTERVAL_SECONDS.contains(1));
        assert!(CHECK_INTERVAL_SECONDS.contains(900));
        assert!(!CHECK_INTERVAL_SECONDS.contains(0));
        assert!(!CHECK_INTERVAL_SECONDS.contains(901));
        assert_eq!(
            CHECK_INTERVAL_SECONDS.check(901),
            Err("901 is out of range; use a whole number of seconds from 1 to 900".to_owned())
        );
        assert_eq!(MINUTES.max, 10_080);
        assert!(DRILL_CLEANUP_AFTER_HOURS.contains(0));
        assert!(!DRILL_CLEANUP_AFTER_HOURS.contains(721));
    }
}
