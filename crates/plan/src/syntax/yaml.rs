//! YAML 1.2 text to a [`RawNode`], with saphyr's parser.
//!
//! The tree is built from saphyr-parser's events rather than from saphyr's own document type so
//! that keys keep their positions and every duplicate key can be reported, not only the first.
//! The events are pulled one by one and assembled on an explicit stack: saphyr's `load` recurses
//! once per level of block nesting, so 20 KB of `- - - …` overflowed the stack. Nesting deeper
//! than [`MAX_DEPTH`] and more than [`MAX_VALUES`] values (aliases expanded) are refused.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScanError, Span, Tag};

use super::{RawKind, RawNode, too_deep, too_many_values};
use crate::diagnostic::{Diagnostic, Position};
use crate::limits::{MAX_DEPTH, MAX_VALUES};

/// The document in `text`, or `None` when the text holds none (empty, blank, only comments).
pub(super) fn read(text: &str) -> Result<Option<RawNode>, Diagnostic> {
    let mut builder = TreeBuilder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| scan_error(&error))?;
        builder.event(event, span)?;
    }
    Ok(builder.root)
}

fn scan_error(error: &ScanError) -> Diagnostic {
    // The scanner reads ahead through brackets, so past its own limit of 255 levels it stops
    // before [`MAX_DEPTH`] is seen; its message alone would not say what is wrong.
    let message = if error.info() == "recursion limit exceeded" {
        format!(
            "invalid YAML: brackets are nested more than {} levels deep here, where the parser \
             stops; a plan may nest lists and mappings {MAX_DEPTH} levels deep",
            u8::MAX
        )
    } else {
        format!("invalid YAML: {}", error.info())
    };
    Diagnostic {
        position: Some(position(*error.marker())),
        path: String::new(),
        message,
    }
}

fn position(marker: Marker) -> Position {
    Position::new(marker.line(), marker.col() + 1)
}

fn fatal(at: Position, message: String) -> Diagnostic {
    Diagnostic {
        position: Some(at),
        path: String::new(),
        message,
    }
}

/// A list or mapping whose end has not been seen yet.
#[derive(Debug)]
struct Frame {
    node: RawNode,
    anchor: usize,
    pending_key: Option<RawNode>,
    /// The most levels of lists and mappings one of its children holds so far (0: scalars only).
    inner_height: usize,
    /// Values in this node so far, itself included.
    values: usize,
}

/// A completed node with an anchor, and what an alias to it costs.
#[derive(Debug)]
struct Anchored {
    node: RawNode,
    /// Levels of lists and mappings it holds (0 for a scalar).
    height: usize,
    values: usize,
}

/// Receives the parser's events and assembles [`RawNode`]s.
#[derive(Debug, Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    documents: usize,
    /// Values so far, aliases expanded.
    values: usize,
    root: Option<RawNode>,
}

impl TreeBuilder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let at = position(span.start);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(fatal(
                        at,
                        "a plan file holds one YAML document, but a second one starts here \
                         (after `---`); put each plan in its own file"
                            .to_owned(),
                    ));
                }
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(RawKind::Sequence(Vec::new()), at, anchor, tag)?;
            }
            Event::MappingStart(anchor, tag) => {
                self.open(RawKind::Mapping(Vec::new()), at, anchor, tag)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let height = frame.inner_height + 1;
                    self.complete(frame.node, frame.anchor, height, frame.values);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(at)?;
                let node = RawNode {
                    kind: RawKind::Scalar {
                        text: text.into_owned(),
                        style,
                    },
                    position: at,
                    tag: tag.map(Cow::into_owned),
                };
                self.complete(node, anchor, 0, 1);
            }
            Event::Alias(anchor) => self.alias(anchor, at)?,
        }
        Ok(())
    }

    /// Counts one more value, refused beyond [`MAX_VALUES`].
    fn count(&mut self, at: Position) -> Result<(), Diagnostic> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(too_many_values(at, false));
        }
        Ok(())
    }

    fn open(
        &mut self,
        kind: RawKind,
        at: Position,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
    ) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        self.count(at)?;
        self.stack.push(Frame {
            node: RawNode {
                kind,
                position: at,
                tag: tag.map(Cow::into_owned),
            },
            anchor,
            pending_key: None,
            inner_height: 0,
            values: 1,
        });
        Ok(())
    }

    /// An alias is a copy of its anchor's node, so it counts as every value and level in it:
    /// both are checked before copying.
    fn alias(&mut self, anchor: usize, at: Position) -> Result<(), Diagnostic> {
        let Some(target) = self.anchors.get(&anchor) else {
            return Err(fatal(
                at,
                "this alias refers to an anchor that is not complete yet \
                 (an anchor cannot contain an alias to itself)"
                    .to_owned(),
            ));
        };
        let (height, values) = (target.height, target.values);
        if self.stack.len() + height > MAX_DEPTH {
            return Err(fatal(
                at,
                format!(
                    "this alias puts its anchor's lists and mappings more than {MAX_DEPTH} levels \
                     deep; a plan needs far fewer (write the values without aliases)"
                ),
            ));
        }
        // Checked before the copy, so that a bomb is never built.
        let total = self.values.saturating_add(values);
        if total > MAX_VALUES {
            return Err(too_many_values(at, true));
        }
        let mut node = target.node.clone();
        self.values = total;
        node.position = at;
        self.complete(node, 0, height, values);
        Ok(())
    }

    fn complete(&mut self, node: RawNode, anchor: usize, height: usize, values: usize) {
        if anchor > 0 {
            let anchored = Anchored {
                node: node.clone(),
                height,
                values,
            };
            self.anchors.insert(anchor, anchored);
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        parent.inner_height = parent.inner_height.max(height);
        parent.values += values;
        match &mut parent.node.kind {
            RawKind::Sequence(items) => items.push(node),
            RawKind::Mapping(entries) => match parent.pending_key.take() {
                None => parent.pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
            RawKind::Scalar { .. } => {}
        }
    }
}
