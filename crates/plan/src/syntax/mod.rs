//! From text to a [`Node`] tree: YAML 1.2 or JSON, told apart by content, never by file name.
//!
//! Text whose first non-blank character is `{` is JSON ([`json`]); anything else is YAML
//! ([`yaml`], saphyr's YAML 1.2 parser). Both produce [`RawNode`]s, which [`Finisher`] turns
//! into the [`Node`] tree the same way for both: scalars resolved by the YAML 1.2 core schema,
//! keys checked for duplicates, tags refused. So both formats get the same values, the same
//! positions and the same messages. Both refuse lists and mappings nested deeper than
//! [`MAX_DEPTH`], which is what keeps the recursive walks of the tree (here and in
//! [`crate::decode`]) within the stack.

mod json;
mod yaml;

use std::borrow::Cow;

use saphyr::Scalar;
use saphyr_parser::{ScalarStyle, Tag};

use crate::diagnostic::{Diagnostic, Position};
use crate::limits::{MAX_DEPTH, MAX_VALUES};
use crate::path::Path;
use crate::tree::{Entry, Node, Value};

/// What reading the text gave: the tree (none when the text holds no document or could not be
/// parsed) and the problems found on the way.
#[derive(Debug)]
pub(crate) struct Syntax {
    pub(crate) root: Option<Node>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Reads `text` as JSON (when its first non-blank character is `{`) or YAML.
pub(crate) fn read(text: &str) -> Syntax {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = if text.trim_start().starts_with('{') {
        json::read(text).map(Some)
    } else {
        yaml::read(text)
    };
    match raw {
        Err(diagnostic) => Syntax {
            root: None,
            diagnostics: vec![diagnostic],
        },
        Ok(raw) => {
            let mut finisher = Finisher::default();
            let root = raw.map(|raw| finisher.finish(raw, &Path::root()));
            Syntax {
                root,
                diagnostics: finisher.diagnostics,
            }
        }
    }
}

/// `!!int` for the core schema's tags, as written, rather than their long form.
fn tag_name(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        tag.to_string()
    }
}

/// A node as the parser gave it: scalars not yet resolved, keys not yet checked.
#[derive(Debug, Clone)]
struct RawNode {
    kind: RawKind,
    position: Position,
    tag: Option<Tag>,
}

#[derive(Debug, Clone)]
enum RawKind {
    Scalar { text: String, style: ScalarStyle },
    Sequence(Vec<RawNode>),
    Mapping(Vec<(RawNode, RawNode)>),
}

/// The error for a list or mapping that starts at `at`, [`MAX_DEPTH`] levels deep already.
fn too_deep(at: Position) -> Diagnostic {
    Diagnostic {
        position: Some(at),
        path: String::new(),
        message: format!(
            "lists and mappings are nested more than {MAX_DEPTH} levels deep here; \
             a plan needs far fewer"
        ),
    }
}

/// The error for a value beyond the [`MAX_VALUES`]th, at `at`; `through_alias` when an alias
/// copied it.
fn too_many_values(at: Position, through_alias: bool) -> Diagnostic {
    let what = if through_alias {
        "with its aliases expanded (each alias copies its anchor's values), the plan holds"
    } else {
        "the plan holds"
    };
    Diagnostic {
        position: Some(at),
        path: String::new(),
        message: format!("{what} more than {MAX_VALUES} values; a plan is much smaller"),
    }
}

/// Turns [`RawNode`]s into [`Node`]s: resolves scalars, checks keys and tags.
#[derive(Debug, Default)]
struct Finisher {
    diagnostics: Vec<Diagnostic>,
}

impl Finisher {
    fn report(&mut self, at: Position, path: &Path, message: String) {
        self.diagnostics.push(Diagnostic {
            position: Some(at),
            path: path.to_string(),
            message,
        });
    }

    fn finish(&mut self, raw: RawNode, path: &Path) -> Node {
        if let Some(tag) = raw.tag.as_ref().filter(|t| !t.is_yaml_core_schema()) {
            self.report(
                raw.position,
                path,
                format!(
                    "YAML tags like `{}` are not supported here; write the value itself",
                    tag_name(tag)
                ),
            );
        }
        let value = match raw.kind {
            RawKind::Scalar { text, style } => {
                self.scalar(text, style, raw.tag, raw.position, path)
            }
            RawKind::Sequence(items) => Value::Sequence(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| self.finish(item, &path.index(i)))
                    .collect(),
            ),
            RawKind::Mapping(raw_entries) => {
                let mut entries: Vec<Entry> = Vec::with_capacity(raw_entries.len());
                for (key, value) in raw_entries {
                    let RawKind::Scalar { text: key_text, .. } = key.kind else {
                        self.report(
                            key.position,
                            path,
                            "a key must be a plain string, not a list or a mapping".to_owned(),
                        );
                        continue;
                    };
                    let key_path = path.key(&key_text);
                    if let Some(first) = entries.iter().find(|e| e.key == key_text) {
                        let first = first.key_position;
                        self.report(
                            key.position,
                            &key_path,
                            format!(
                                "duplicate key {key_text:?}: it is already set at line {}, column {}; each key may appear once in a mapping",
                                first.line, first.column
                            ),
                        );
                        continue;
                    }
                    let value = self.finish(value, &key_path);
                    entries.push(Entry {
                        key: key_text,
                        key_position: key.position,
                        value,
                    });
                }
                Value::Mapping(entries)
            }
        };
        Node {
            value,
            position: raw.position,
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: ScalarStyle,
        tag: Option<Tag>,
        at: Position,
        path: &Path,
    ) -> Value {
        let tag = tag.map(Cow::Owned);
        match Scalar::parse_from_cow_and_metadata(Cow::Borrowed(&text), style, tag.as_ref()) {
            Some(Scalar::Null) => Value::Null,
            Some(Scalar::Boolean(b)) => Value::Bool(b),
            Some(Scalar::Integer(value)) => Value::Integer { value, text },
            Some(Scalar::FloatingPoint(_)) => Value::Float { text },
            Some(Scalar::String(s)) => Value::String(s.into_owned()),
            None => {
                let tag = tag.map_or_else(String::new, |t| tag_name(&t));
                self.report(
                    at,
                    path,
                    format!(
                        "{text:?} is not a valid `{tag}` value; remove the tag or fix the value"
                    ),
                );
                Value::String(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        let syntax = read(text);
        assert!(syntax.diagnostics.is_empty(), "{:?}", syntax.diagnostics);
        syntax.root.unwrap()
    }

    fn problems(text: &str) -> Vec<String> {
        read(text)
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn entries(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Mapping(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    fn items(node: &Node) -> &[Node] {
        match &node.value {
            Value::Sequence(items) => items,
            other => panic!("not a list: {other:?}"),
        }
    }

    fn at(line: usize, column: usize) -> Position {
        Position::new(line, column)
    }

    #[test]
    fn yaml_positions_are_one_based_lines_and_columns() {
        let root = tree("name: billing\nwaves:\n  - name: db\n    groups: [db, app]\n");
        let top = entries(&root);
        assert_eq!(top[0].key, "name");
        assert_eq!(top[0].key_position, at(1, 1));
        assert_eq!(top[0].value.position, at(1, 7));
        assert_eq!(top[1].key_position, at(2, 1));
        let waves = items(&top[1].value);
        assert_eq!(waves[0].position, at(3, 5));
        let wave = entries(&waves[0]);
        assert_eq!(wave[0].value.position, at(3, 11));
        assert_eq!(wave[1].key_position, at(4, 5));
        let groups = items(&wave[1].value);
        assert_eq!(groups[0].position, at(4, 14));
        assert_eq!(groups[1].position, at(4, 18));
        assert_eq!(groups[1].value, Value::String("app".to_owned()));
    }

    #[test]
    fn json_positions_are_one_based_lines_and_columns() {
        let root =
            tree("{\n  \"name\": \"billing\",\n  \"waves\": [\n    {\"name\": \"db\"}\n  ]\n}\n");
        let top = entries(&root);
        assert_eq!(top[0].key_position, at(2, 3));
        assert_eq!(top[0].value.position, at(2, 11));
        assert_eq!(top[1].key_position, at(3, 3));
        let waves = items(&top[1].value);
        assert_eq!(waves[0].position, at(4, 5));
        assert_eq!(entries(&waves[0])[0].value.position, at(4, 14));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let root = tree("description: \"é€\"\nname: x\n");
        let top = entries(&root);
        assert_eq!(top[0].value.value, Value::String("é€".to_owned()));
        assert_eq!(top[1].value.position, at(2, 7));
        let root = tree("{\"description\": \"é€\", \"name\": \"x\"}");
        assert_eq!(entries(&root)[1].key_position, at(1, 23));
    }

    #[test]
    fn scalars_follow_the_yaml_1_2_core_schema() {
        let root =
            tree("a: 012\nb: '012'\nc: yes\nd: true\ne:\nf: 1.5\ng: ~\nh: !!str 60\ni: 0x1F\n");
        let values: Vec<&Value> = entries(&root).iter().map(|e| &e.value.value).collect();
        assert_eq!(
            values,
            [
                &Value::Integer {
                    value: 12,
                    text: "012".to_owned()
                },
                &Value::String("012".to_owned()),
                &Value::String("yes".to_owned()),
                &Value::Bool(true),
                &Value::Null,
                &Value::Float {
                    text: "1.5".to_owned()
                },
                &Value::Null,
                &Value::String("60".to_owned()),
                &Value::Integer {
                    value: 31,
                    text: "0x1F".to_owned()
                },
            ]
        );
    }

    #[test]
    fn every_duplicate_key_is_reported_with_both_places() {
        assert_eq!(
            problems("name: a\nwaves: []\nname: b\ntargets:\n  x: {}\n  x: {}\n"),
            [
                "3:1: name: duplicate key \"name\": it is already set at line 1, column 1; each key may appear once in a mapping",
                "6:3: targets.x: duplicate key \"x\": it is already set at line 5, column 3; each key may appear once in a mapping",
            ]
        );
        assert_eq!(
            problems("{\"name\": \"a\",\n \"name\": \"b\"}"),
            [
                "2:2: name: duplicate key \"name\": it is already set at line 1, column 2; each key may appear once in a mapping"
            ]
        );
    }

    #[test]
    fn the_first_duplicate_wins() {
        let syntax = read("name: a\nname: b\n");
        let root = syntax.root.unwrap();
        assert_eq!(entries(&root).len(), 1);
        assert_eq!(entries(&root)[0].value.value, Value::String("a".to_owned()));
    }

    #[test]
    fn json_syntax_errors_use_serde_json_messages_and_positions() {
        assert_eq!(
            problems("{\n  \"name\": \"a\",\n}\n"),
            ["3:1: invalid JSON: trailing comma"]
        );
        assert_eq!(
            problems("{\"name\": \"é\" \"waves\": []}"),
            ["1:14: invalid JSON: expected `,` or `}`"]
        );
    }

    #[test]
    fn yaml_syntax_errors_have_a_position() {
        let found = problems("name: a\nwaves: [db\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("3:1: invalid YAML: "), "{found:?}");
        let found = problems("name: a\n  bad: indent\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("2:6: invalid YAML: "), "{found:?}");
    }

    #[test]
    fn content_decides_the_format() {
        // Leading blanks, then `{`: JSON, so serde_json's message.
        assert_eq!(
            problems("  \n {\"a\": 1,}"),
            ["2:10: invalid JSON: trailing comma"]
        );
        // A flow mapping that is not JSON is still fine YAML when it does not start the text.
        assert!(problems("# a plan\n{a: 1}").is_empty());
    }

    #[test]
    fn one_document_per_file() {
        assert_eq!(
            problems("name: a\n---\nname: b\n"),
            [
                "2:1: a plan file holds one YAML document, but a second one starts here (after `---`); put each plan in its own file"
            ]
        );
        assert!(problems("---\nname: a\n...\n").is_empty());
    }

    #[test]
    fn empty_text_has_no_root() {
        for text in ["", "   \n", "# only a comment\n", "\u{feff}"] {
            let syntax = read(text);
            assert!(syntax.diagnostics.is_empty(), "{text:?}");
            assert!(syntax.root.is_none(), "{text:?}");
        }
        assert_eq!(read("---\n").root.unwrap().value, Value::Null);
    }

    #[test]
    fn aliases_expand_and_bombs_are_stopped() {
        let root = tree("a: &x [1, 2]\nb: *x\n");
        let top = entries(&root);
        assert_eq!(top[1].value.position, at(2, 4));
        assert_eq!(items(&top[1].value).len(), 2);

        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        let found = problems(&bomb);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("more than 100000 values"), "{found:?}");
    }

    #[test]
    fn tags_and_complex_keys_are_refused() {
        assert_eq!(
            problems("name: !Ref x\n"),
            ["1:7: name: YAML tags like `!Ref` are not supported here; write the value itself"]
        );
        assert_eq!(
            problems("? [a, b]\n: c\n"),
            ["1:3: a key must be a plain string, not a list or a mapping"]
        );
        assert_eq!(
            problems("n: !!int abc\n"),
            ["1:4: n: \"abc\" is not a valid `!!int` value; remove the tag or fix the value"]
        );
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let root = tree("\u{feff}name: a\n");
        assert_eq!(entries(&root)[0].key_position, at(1, 1));
        let root = tree("\u{feff}{\"name\": \"a\"}");
        assert_eq!(entries(&root)[0].key_position, at(1, 2));
    }

    #[test]
    fn json_the_yaml_parser_must_also_read() {
        let root = tree(
            "{\n\t\"a\": \"\\u00e9\\/\\ud83d\\ude00\",\n\t\"b\": [1e3, -0, 12345678901234567890],\n\t\"c\": {}}",
        );
        let top = entries(&root);
        assert_eq!(top[0].value.value, Value::String("é/😀".to_owned()));
        assert_eq!(top[2].key_position, at(4, 2));
    }
}
