//! The plan text as a tree of values that remember where they were written.
//!
//! Built by [`crate::syntax`] from YAML or JSON, read by [`crate::decode`]. Keeping positions on
//! every node is what lets every later error point at a line and column.

use crate::diagnostic::Position;

/// A value and where it starts in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) position: Position,
}

/// The kinds of value a plan text can hold (YAML 1.2 core schema; JSON is a subset).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// `text` is the number as written (`012`, `0x1F`), for messages.
    Integer {
        value: i64,
        text: String,
    },
    /// Only its text matters: no plan field is a fractional number.
    Float {
        text: String,
    },
    String(String),
    Sequence(Vec<Node>),
    /// Entries in the order written, keys unique.
    Mapping(Vec<Entry>),
}

/// A key and its value in a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_position: Position,
    pub(crate) value: Node,
}

impl Value {
    /// How a message names this value: "the integer 5", "a list", ...
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Null => "nothing (null)".to_owned(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Integer { text, .. } => format!("the number {text}"),
            Value::Float { text } => format!("the number {text}"),
            Value::String(s) => format!("the string {s:?}"),
            Value::Sequence(_) => "a list".to_owned(),
            Value::Mapping(_) => "a mapping".to_owned(),
        }
    }

    /// Whether this is a single value rather than a list or a mapping.
    pub(crate) fn is_scalar(&self) -> bool {
        !matches!(self, Value::Sequence(_) | Value::Mapping(_))
    }
}
