//! YAML 1.2 text to a [`RawNode`], with saphyr's parser.
//!
//! The tree is built from saphyr-parser's events rather than from saphyr's own document type so
//! that keys keep their positions and every duplicate key can be reported, not only the first.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScanError, Span, SpannedEventReceiver, Tag};

use super::{RawKind, RawNode};
use crate::diagnostic::{Diagnostic, Position};

/// Most values a document may expand to, aliases included: a guard against "billion laughs".
const MAX_NODES: usize = 100_000;

/// The document in `text`, or `None` when the text holds none (empty, blank, only comments).
pub(super) fn read(text: &str) -> Result<Option<RawNode>, Diagnostic> {
    let mut builder = TreeBuilder::default();
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|error| scan_error(&error))?;
    match builder.fatal {
        Some(fatal) => Err(fatal),
        None => Ok(builder.root),
    }
}

fn scan_error(error: &ScanError) -> Diagnostic {
    Diagnostic {
        position: Some(position(*error.marker())),
        path: String::new(),
        message: format!("invalid YAML: {}", error.info()),
    }
}

fn position(marker: Marker) -> Position {
    Position::new(marker.line(), marker.col() + 1)
}

#[derive(Debug)]
struct Frame {
    node: RawNode,
    anchor: usize,
    pending_key: Option<RawNode>,
}

/// Receives the parser's events and assembles [`RawNode`]s.
#[derive(Debug, Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, RawNode>,
    documents: usize,
    nodes: usize,
    root: Option<RawNode>,
    /// A problem after which the rest of the events are ignored.
    fatal: Option<Diagnostic>,
}

impl<'input> SpannedEventReceiver<'input> for TreeBuilder {
    fn on_event(&mut self, event: Event<'input>, span: Span) {
        if self.fatal.is_some() {
            return;
        }
        let at = position(span.start);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(
                        at,
                        "a plan file holds one YAML document, but a second one starts here \
                         (after `---`); put each plan in its own file"
                            .to_owned(),
                    );
                }
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(RawKind::Sequence(Vec::new()), at, anchor, tag);
            }
            Event::MappingStart(anchor, tag) => {
                self.open(RawKind::Mapping(Vec::new()), at, anchor, tag);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    self.complete(frame.node, frame.anchor);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                let node = RawNode {
                    kind: RawKind::Scalar {
                        text: text.into_owned(),
                        style,
                    },
                    position: at,
                    tag: tag.map(Cow::into_owned),
                };
                self.complete(node, anchor);
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some(target) => {
                    let mut node = target.clone();
                    self.nodes += node.count();
                    node.position = at;
                    self.complete(node, 0);
                }
                None => self.fail(
                    at,
                    "this alias refers to an anchor that is not complete yet \
                     (an anchor cannot contain an alias to itself)"
                        .to_owned(),
                ),
            },
        }
        if self.nodes > MAX_NODES {
            self.fail(
                at,
                format!(
                    "the document expands to more than {MAX_NODES} values (through aliases?); \
                     a plan is much smaller"
                ),
            );
        }
    }
}

impl TreeBuilder {
    fn fail(&mut self, at: Position, message: String) {
        if self.fatal.is_none() {
            self.fatal = Some(Diagnostic {
                position: Some(at),
                path: String::new(),
                message,
            });
        }
    }

    fn open(&mut self, kind: RawKind, at: Position, anchor: usize, tag: Option<Cow<'_, Tag>>) {
        self.nodes += 1;
        self.stack.push(Frame {
            node: RawNode {
                kind,
                position: at,
                tag: tag.map(Cow::into_owned),
            },
            anchor,
            pending_key: None,
        });
    }

    fn complete(&mut self, node: RawNode, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
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
