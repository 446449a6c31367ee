//! YAML text to saphyr's marked nodes, without recursion and within a nesting limit.
//!
//! saphyr's `load_from_str` drives the parser with its recursive `load`, one call per level of
//! block nesting, so a 20 KB scenario of `- - - …` overflowed the stack and killed the server
//! (`POST /_sim/scenario`). Here the parser's events are pulled one by one and handed to saphyr's
//! own loader, which builds the tree on an explicit stack and bounds alias expansion ("billion
//! laughs") itself; only the depth is checked here. drs-sim does not depend on the plan crate,
//! whose loader does the same for plans.

use std::collections::HashMap;

use saphyr::{MarkedYamlOwned, Marker, ScanError, YamlLoader};
use saphyr_parser::{Event, Parser, SpannedEventReceiver};

/// Deepest nesting of lists and mappings, the top-level one being level 1. A scenario needs 4
/// (`servers[].launch.…` or `accounts.ID.regions[]`); the rest of the reader walks the tree
/// recursively, which this keeps within the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// Why the text could not be loaded, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl LoadError {
    fn at(marker: Marker, message: String) -> Self {
        LoadError {
            line: marker.line().max(1),
            column: marker.col() + 1,
            message,
        }
    }

    fn scan(error: &ScanError) -> Self {
        // The scanner reads ahead through brackets and stops at 255 levels on its own, before
        // the limit here is seen; its message alone would not say what is wrong.
        let message = if error.info() == "recursion limit exceeded" {
            format!(
                "invalid YAML: brackets are nested more than {} levels deep here, where the \
                 parser stops; a scenario may nest lists and mappings {MAX_DEPTH} levels deep",
                u8::MAX
            )
        } else {
            format!("invalid YAML: {}", error.info())
        };
        LoadError::at(*error.marker(), message)
    }
}

/// Every document of `text`.
pub(crate) fn load(text: &str) -> Result<Vec<MarkedYamlOwned>, LoadError> {
    let mut loader: YamlLoader<'_, MarkedYamlOwned> = YamlLoader::default();
    let mut depth = Depth::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| LoadError::scan(&error))?;
        depth
            .check(&event)
            .map_err(|message| LoadError::at(span.start, message))?;
        loader.on_event(event, span);
        if let Some(error) = loader.error() {
            return Err(LoadError::scan(error));
        }
    }
    Ok(loader.into_documents())
}

/// The lists and mappings open, and how many levels each anchored node holds: an alias is a
/// copy of its anchor, so it nests as deep as the anchor does.
#[derive(Debug, Default)]
struct Depth {
    /// Per open list or mapping: its anchor and the most levels held by one of its children.
    open: Vec<(usize, usize)>,
    anchors: HashMap<usize, usize>,
}

impl Depth {
    fn check(&mut self, event: &Event<'_>) -> Result<(), String> {
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.open.len() >= MAX_DEPTH {
                    return Err(format!(
                        "lists and mappings are nested more than {MAX_DEPTH} levels deep here; \
                         a scenario needs far fewer"
                    ));
                }
                self.open.push((*anchor, 0));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, inner)) = self.open.pop() {
                    self.completed(anchor, inner + 1);
                }
            }
            Event::Scalar(_, _, anchor, _) => self.completed(*anchor, 0),
            Event::Alias(anchor) => {
                let height = self.anchors.get(anchor).copied().unwrap_or(0);
                if self.open.len() + height > MAX_DEPTH {
                    return Err(format!(
                        "this alias puts its anchor's lists and mappings more than {MAX_DEPTH} \
                         levels deep; a scenario needs far fewer"
                    ));
                }
                self.completed(0, height);
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
        Ok(())
    }

    /// A node holding `height` levels is complete.
    fn completed(&mut self, anchor: usize, height: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, height);
        }
        if let Some((_, inner)) = self.open.last_mut() {
            *inner = (*inner).max(height);
        }
    }
}

#[cfg(test)]
mod tests {
    use saphyr::LoadableYamlNode;

    use super::*;

    fn error(text: &str) -> String {
        let error = load(text).unwrap_err();
        format!("{}:{}: {}", error.line, error.column, error.message)
    }

    #[test]
    fn documents_load_as_saphyr_loads_them() {
        let text = "seed: 7\nservers:\n  - { id: s-1, tags: { a: b } }\n---\nx: &a [1]\ny: *a\n";
        assert_eq!(
            load(text).unwrap(),
            MarkedYamlOwned::load_from_str(text).unwrap()
        );
    }

    #[test]
    fn deep_nesting_is_refused_where_it_passes_the_limit() {
        let text = format!("servers:\n{}x\n", "- ".repeat(10_000));
        assert_eq!(
            error(&text),
            format!(
                "2:{}: lists and mappings are nested more than 64 levels deep here; a scenario \
                 needs far fewer",
                1 + 2 * (MAX_DEPTH - 1)
            )
        );
        let n = 100_000;
        assert!(
            error(&format!("{}{}", "[".repeat(n), "]".repeat(n)))
                .starts_with("1:256: invalid YAML: brackets are nested more than 255 levels")
        );
    }

    #[test]
    fn aliases_count_as_deep_as_their_anchor() {
        let wrap = |inner: &str| format!("{}{inner}{}", "[".repeat(40), "]".repeat(40));
        let mut text = String::from("a0: &a0 x\n");
        for i in 1..100 {
            text.push_str(&format!("a{i}: &a{i} {}\n", wrap(&format!("*a{}", i - 1))));
        }
        assert!(
            error(&text).starts_with("3:49: this alias puts its anchor's lists and mappings"),
            "{}",
            error(&text)
        );
    }

    #[test]
    fn a_billion_laughs_is_stopped_by_saphyrs_budget() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let aliases = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
        }
        assert!(
            error(&text).contains("alias expansion exceeded the maximum node budget"),
            "{}",
            error(&text)
        );
    }
}
