//! What the parser and the validator report: problems with a place in the text and a path in the
//! plan.

use std::collections::HashSet;
use std::fmt;

use crate::limits::MAX_DIAGNOSTICS;

/// A place in the plan text. Both numbers start at 1; columns count characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl Position {
    /// The position at `line`, `column` (both from 1).
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem in a plan: where it is, which field, what is wrong and what is allowed instead.
///
/// Displays as `LINE:COL: path: message`; the position is left out when unknown (a plan checked
/// with [`crate::validate`] has no text) and the path when the problem is about the whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Where in the text, when the plan came from text.
    pub position: Option<Position>,
    /// The field, like `waves[1].groups[0]` or `targets.dr-east.role_arn`; empty for the
    /// whole plan.
    pub path: String,
    /// What is wrong and what is allowed instead.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(position) = self.position {
            write!(f, "{position}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// The problems found in a plan, in the order of the text (problems without a position last):
/// the first [`MAX_DIAGNOSTICS`], then, when there were more, one without position or path
/// saying how many were left out, so that every consumer bounds what it prints or returns.
///
/// Displays one problem per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.problems))]
pub struct Diagnostics {
    problems: Vec<Diagnostic>,
    omitted: usize,
}

fn lines(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Diagnostics {
    /// The problems, in order, the "and N more" line included.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.problems
    }

    /// The problems, owned, the "and N more" line included.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.problems
    }

    /// How many problems were left out after the first [`MAX_DIAGNOSTICS`] (0 when none were).
    pub fn omitted(&self) -> usize {
        self.omitted
    }
}

impl std::ops::Deref for Diagnostics {
    type Target = [Diagnostic];

    fn deref(&self) -> &[Diagnostic] {
        &self.problems
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    /// Sorts by position (unknown positions last, in their given order), drops repeats and keeps
    /// the first [`MAX_DIAGNOSTICS`].
    fn from(mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by_key(|d| (d.position.is_none(), d.position));
        // A set rather than a scan of the kept ones: 12,000 problems made that quadratic.
        let mut seen = HashSet::with_capacity(diagnostics.len());
        let first: Vec<bool> = diagnostics.iter().map(|d| seen.insert(d)).collect();
        drop(seen);
        let mut problems: Vec<Diagnostic> = diagnostics
            .into_iter()
            .zip(first)
            .filter_map(|(diagnostic, first)| first.then_some(diagnostic))
            .collect();
        let omitted = problems.len().saturating_sub(MAX_DIAGNOSTICS);
        if omitted > 0 {
            problems.truncate(MAX_DIAGNOSTICS);
            problems.push(Diagnostic {
                position: None,
                path: String::new(),
                message: format!(
                    "and {omitted} more problem{}, not listed; fix the ones above first",
                    if omitted == 1 { "" } else { "s" }
                ),
            });
        }
        Self { problems, omitted }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.problems.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.problems.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(position: Option<(usize, usize)>, path: &str, message: &str) -> Diagnostic {
        Diagnostic {
            position: position.map(|(l, c)| Position::new(l, c)),
            path: path.to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn display_leaves_out_what_is_unknown() {
        assert_eq!(
            diagnostic(Some((3, 7)), "waves[0].name", "bad").to_string(),
            "3:7: waves[0].name: bad"
        );
        assert_eq!(diagnostic(None, "name", "bad").to_string(), "name: bad");
        assert_eq!(
            diagnostic(Some((1, 1)), "", "empty").to_string(),
            "1:1: empty"
        );
    }

    #[test]
    fn sorted_by_position_with_unknown_last_and_repeats_dropped() {
        let all = Diagnostics::from(vec![
            diagnostic(None, "z", "no position"),
            diagnostic(Some((9, 1)), "b", "late"),
            diagnostic(Some((2, 5)), "a", "early"),
            diagnostic(Some((9, 1)), "b", "late"),
        ]);
        let paths: Vec<&str> = all.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "z"]);
        assert_eq!(
            all.to_string(),
            "2:5: a: early\n9:1: b: late\nz: no position"
        );
    }

    #[test]
    fn only_the_first_problems_are_listed_then_how_many_more() {
        let many: Vec<Diagnostic> = (1..=MAX_DIAGNOSTICS + 250)
            .rev()
            .map(|line| diagnostic(Some((line, 1)), "servers", "twice"))
            .collect();
        let all = Diagnostics::from(many);
        assert_eq!(all.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(all.omitted(), 250);
        assert_eq!(all[0].position, Some(Position::new(1, 1)));
        assert_eq!(
            all[MAX_DIAGNOSTICS - 1].position,
            Some(Position::new(MAX_DIAGNOSTICS, 1))
        );
        assert_eq!(
            all.last().map(ToString::to_string).as_deref(),
            Some("and 250 more problems, not listed; fix the ones above first")
        );

        let exactly: Vec<Diagnostic> = (1..=MAX_DIAGNOSTICS)
            .map(|line| diagnostic(Some((line, 1)), "a", "bad"))
            .collect();
        let all = Diagnostics::from(exactly);
        assert_eq!((all.len(), all.omitted()), (MAX_DIAGNOSTICS, 0));
    }
}
