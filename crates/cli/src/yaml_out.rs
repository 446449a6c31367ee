//! JSON values written as YAML (block style), for `drsctl plan get --output yaml`: what the
//! API returns as JSON, in the form plan files are written in, readable back by the plan
//! parser. Strings are written bare only when YAML cannot read them as anything else;
//! otherwise double-quoted with JSON escapes (valid YAML). Keys come `name` first, then
//! `description`, then the others in alphabetical order (JSON objects here keep no order).

use serde_json::Value;

/// `value` as a YAML document (ends with a newline).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// `name` and `description` first: what a reader looks for.
const FIRST_KEYS: [&str; 2] = ["name", "description"];

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    let first = FIRST_KEYS.iter().filter_map(|key| map.get_key_value(*key));
    let rest = map
        .iter()
        .filter(|(key, _)| !FIRST_KEYS.contains(&key.as_str()));
    for (index, (key, value)) in first.chain(rest).enumerate() {
        // The first key of a sequence item follows its `- `.
        if index > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string(key));
        out.push(':');
        nested(out, value, indent);
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => mapping(out, map, indent + 2),
            Value::Array(inner) if !inner.is_empty() => sequence(out, inner, indent + 2),
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// After `key:`: a scalar on the same line, a collection on the next lines.
fn nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Bare when it can only be read back as this string, else double-quoted.
fn string(text: &str) -> String {
    let mut chars = text.chars();
    let plain_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/');
    let plain_rest = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@'));
    let reserved = matches!(
        text.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    );
    if plain_start && plain_rest && !reserved {
        text.to_owned()
    } else {
        Value::String(text.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_values_are_written_in_block_style() {
        let value = json!({
            "description": "Billing: tier 1",
            "name": "billing",
            "waves": [
                {"name": "db", "groups": ["db"], "pause_before": true},
                {"name": "app", "groups": [], "rto_minutes": 30}
            ],
            "defaults": {},
            "flag": "yes",
            "count": "42",
            "none": null
        });
        assert_eq!(
            to_yaml(&value),
            "name: billing\n\
             description: \"Billing: tier 1\"\n\
             count: \"42\"\n\
             defaults: {}\n\
             flag: \"yes\"\n\
             none: null\n\
             waves:\n  \
               - name: db\n    \
                 groups:\n      \
                   - db\n    \
                 pause_before: true\n  \
               - name: app\n    \
                 groups: []\n    \
                 rto_minutes: 30\n"
        );
    }

    #[test]
    fn a_plan_written_as_yaml_reads_back_as_the_same_plan() {
        for file in ["billing.yaml", "billing.json", "minimal.yaml"] {
            let path = format!("{}/../../examples/plans/{file}", env!("CARGO_MANIFEST_DIR"));
            let original = plan::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
            let yaml = to_yaml(&serde_json::to_value(&original).unwrap());
            assert!(yaml.starts_with("name: "), "{yaml}");
            let back = plan::parse(&yaml).unwrap_or_else(|e| panic!("{file}: {e}\n{yaml}"));
            assert_eq!(back, original, "{file}");
        }
    }

    #[test]
    fn scalars_and_nested_sequences() {
        assert_eq!(to_yaml(&json!("x y")), "\"x y\"\n");
        assert_eq!(to_yaml(&json!([[1, 2], "a"])), "- - 1\n  - 2\n- a\n");
        assert_eq!(
            to_yaml(&json!([{"a": 1, "b": {"c": "d"}}])),
            "- a: 1\n  b:\n    c: d\n"
        );
    }
}
