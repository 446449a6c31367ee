//! JSON text to a [`RawNode`].
//!
//! `serde_json` checks the syntax first, so that JSON mistakes get the messages JSON authors
//! know ("trailing comma"). The tree is then read here rather than by the YAML parser: JSON is
//! YAML 1.2, but saphyr rejects escaped UTF-16 surrogate pairs (`"\ud83d\ude00"`), which tools
//! like Python's `json.dumps` write for every emoji. Strings are produced with the double-quoted
//! style and everything else as plain scalars, so [`super::Finisher`] resolves `true`, `null` and
//! numbers exactly as it does for YAML. The reader recurses once per level, which
//! [`check_depth`] bounds to [`MAX_DEPTH`] before anything else reads the text.

use saphyr_parser::ScalarStyle;

use super::{RawKind, RawNode, too_deep, too_many_values};
use crate::diagnostic::{Diagnostic, Position};
use crate::limits::{MAX_DEPTH, MAX_VALUES};

/// The JSON value in `text`.
pub(super) fn read(text: &str) -> Result<RawNode, Diagnostic> {
    check_depth(text)?;
    serde_json::from_str::<serde_json::Value>(text).map_err(|error| syntax_error(text, &error))?;
    let mut reader = Reader {
        text,
        offset: 0,
        line: 1,
        column: 1,
        values: 0,
    };
    reader.blank();
    reader.value()
}

/// Refuses nesting deeper than [`MAX_DEPTH`] before anything recurses. serde_json stops at 128
/// levels on its own, with its own message; this gives JSON the same limit and message as YAML.
/// Only brackets outside strings count; the text need not be valid JSON yet.
fn check_depth(text: &str) -> Result<(), Diagnostic> {
    let (mut depth, mut line, mut column) = (0_usize, 1, 1);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                '"' => in_string = true,
                '[' | '{' if depth == MAX_DEPTH => {
                    return Err(too_deep(Position::new(line, column)));
                }
                '[' | '{' => depth += 1,
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Ok(())
}

fn syntax_error(text: &str, error: &serde_json::Error) -> Diagnostic {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let message = full
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(&full);
    Diagnostic {
        position: Some(character_position(text, line, column)),
        path: String::new(),
        message: format!("invalid JSON: {message}"),
    }
}

/// serde_json counts columns in bytes, from 1, pointing at the last byte it read; positions here
/// count characters.
fn character_position(text: &str, line: usize, byte_column: usize) -> Position {
    let line = line.max(1);
    let column = text.split('\n').nth(line - 1).map_or(1, |content| {
        let mut end = byte_column.min(content.len());
        while !content.is_char_boundary(end) {
            end += 1;
        }
        content[..end].chars().count().max(1)
    });
    Position::new(line, column)
}

/// A cursor over text that serde_json already accepted.
struct Reader<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
    column: usize,
    /// Values read so far, keys included.
    values: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.offset..].chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.offset += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn position(&self) -> Position {
        Position::new(self.line, self.column)
    }

    fn unexpected(&self) -> Diagnostic {
        Diagnostic {
            position: Some(self.position()),
            path: String::new(),
            message: "invalid JSON: unexpected character".to_owned(),
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), Diagnostic> {
        self.blank();
        if self.peek() == Some(wanted) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Counts a value (keys too, as YAML does), refused beyond [`MAX_VALUES`].
    fn count(&mut self, at: Position) -> Result<(), Diagnostic> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(too_many_values(at, false));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<RawNode, Diagnostic> {
        self.blank();
        let position = self.position();
        self.count(position)?;
        let kind = match self.peek() {
            Some('{') => self.object()?,
            Some('[') => self.array()?,
            Some('"') => RawKind::Scalar {
                text: self.string()?,
                style: ScalarStyle::DoubleQuoted,
            },
            Some(_) => RawKind::Scalar {
                text: self.bare(),
                style: ScalarStyle::Plain,
            },
            None => return Err(self.unexpected()),
        };
        Ok(RawNode {
            kind,
            position,
            tag: None,
        })
    }

    fn object(&mut self) -> Result<RawKind, Diagnostic> {
        self.bump();
        let mut entries = Vec::new();
        self.blank();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(RawKind::Mapping(entries));
        }
        loop {
            self.blank();
            let key_position = self.position();
            self.count(key_position)?;
            let key = RawNode {
                kind: RawKind::Scalar {
                    text: self.string()?,
                    style: ScalarStyle::DoubleQuoted,
                },
                position: key_position,
                tag: None,
            };
            self.expect(':')?;
            let value = self.value()?;
            entries.push((key, value));
            self.blank();
            match self.peek() {
                Some(',') => self.bump(),
                Some('}') => {
                    self.bump();
                    return Ok(RawKind::Mapping(entries));
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    fn array(&mut self) -> Result<RawKind, Diagnostic> {
        self.bump();
        let mut items = Vec::new();
        self.blank();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(RawKind::Sequence(items));
        }
        loop {
            items.push(self.value()?);
            self.blank();
            match self.peek() {
                Some(',') => self.bump(),
                Some(']') => {
                    self.bump();
                    return Ok(RawKind::Sequence(items));
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    /// A string literal, escapes decoded by serde_json.
    fn string(&mut self) -> Result<String, Diagnostic> {
        let start = self.offset;
        if self.peek() != Some('"') {
            return Err(self.unexpected());
        }
        self.bump();
        loop {
            match self.peek() {
                Some('"') => break,
                Some('\\') => {
                    self.bump();
                    self.bump();
                }
                Some(_) => self.bump(),
                None => return Err(self.unexpected()),
            }
        }
        self.bump();
        serde_json::from_str(&self.text[start..self.offset]).map_err(|_| self.unexpected())
    }

    /// A number, `true`, `false` or `null`, as written.
    fn bare(&mut self) -> String {
        let start = self.offset;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            self.bump();
        }
        self.text[start..self.offset].to_owned()
    }
}
