//! `drsctl plan apply|get|list|delete`: the plans stored in the orchestrator, through its API
//! (deployed, or run in-process on the tables: see [`crate::api`]).

use std::borrow::Cow;
use std::path::Path;

use clap::ValueEnum;
use saphyr::{EmitError, Mapping, Scalar, ScalarStyle, Yaml, YamlEmitter};
use serde_json::Value;

use super::remote::{
    self, TableOrJson, cell, print_json, print_text, report_error, table, time_cell,
};
use crate::api::options::ApiOptions;
use crate::api::{Request, Transport, segment};
use crate::outcome::Outcome;
use crate::plan_file::{self, ReadError};

/// `--output` of `plan get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// YAML, as plan files are written.
    Yaml,
    /// JSON.
    Json,
}

/// `drsctl plan apply FILE`: stores the plan under the name it carries (created or
/// replaced). The API validates it; its problems are printed as `FILE:LINE:COL: path: message`.
pub fn apply(file: &Path, options: &ApiOptions) -> Outcome {
    let name = display_name(file);
    let text = match plan_file::read(file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{name}: {error}");
            return match error {
                ReadError::Io(_) => Outcome::IoError,
                ReadError::Content(_) => Outcome::Invalid,
            };
        }
    };
    // The name decides the URL; an invalid plan is still sent (when its name can be read),
    // so that the API's verdict is the one shown.
    let parsed = plan::parse(&text);
    let plan_name = match &parsed {
        Ok(plan) => Some(plan.name.clone()),
        Err(_) => declared_name(&text),
    };
    let Some(plan_name) = plan_name else {
        if let Err(diagnostics) = parsed {
            for diagnostic in &diagnostics {
                if diagnostic.position.is_some() {
                    eprintln!("{name}:{diagnostic}");
                } else {
                    eprintln!("{name}: {diagnostic}");
                }
            }
        }
        eprintln!("drsctl plan apply: {name} has no readable `name`, so it was not sent");
        return Outcome::Invalid;
    };
    let content_type = if text.trim_start().starts_with('{') {
        "application/json"
    } else {
        "application/yaml"
    };
    let request = Request {
        content_type: Some(content_type),
        body: Some(text),
        ..Request::new("PUT", format!("/plans/{}", segment(&plan_name)))
    };
    remote::run("plan apply", options, |transport| async move {
        let response = transport.send(&request).await?;
        if !response.is_success() {
            return Ok(report_error(
                "plan apply",
                &response,
                &transport,
                Some(&name),
            ));
        }
        let body = response.json();
        let verb = if response.status == 201 {
            "created"
        } else {
            "replaced"
        };
        let waves = match body["waves"].as_u64() {
            Some(1) => "1 wave".to_owned(),
            Some(count) => format!("{count} waves"),
            None => "? waves".to_owned(),
        };
        Ok(print_text(&format!(
            "{}: {verb} ({waves}), stored by {} at {}\n",
            cell(&body["name"]),
            cell(&body["updated_by"]),
            time_cell(&body["updated_at"]),
        )))
    })
}

/// `drsctl plan get NAME`: the stored plan, as YAML (default) or JSON.
pub fn get(plan_name: &str, format: PlanFormat, options: &ApiOptions) -> Outcome {
    let request = Request::new("GET", format!("/plans/{}", segment(plan_name)));
    simple("plan get", options, request, move |body| {
        let plan = &body["plan"];
        match format {
            PlanFormat::Json => print_json(plan),
            PlanFormat::Yaml => match to_yaml(plan) {
                Ok(text) => print_text(&text),
                Err(error) => {
                    eprintln!("drsctl plan get: {error}");
                    Outcome::IoError
                }
            },
        }
    })
}

/// `value` (what the API answers as JSON) as a YAML document, in the form plan files are
/// written in, so that the plan parser reads it back. Ends with a newline.
fn to_yaml(value: &Value) -> Result<String, EmitError> {
    let mut text = String::new();
    YamlEmitter::new(&mut text).dump(&yaml_node(value))?;
    text.push('\n');
    Ok(text)
}

/// Keys a reader looks for first; the others follow in the JSON object's (alphabetical) order.
const FIRST_KEYS: [&str; 2] = ["name", "description"];

fn yaml_node(value: &Value) -> Yaml<'_> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            // A float or an integer beyond i64: JSON's own text, a YAML number as well.
            None => Yaml::Representation(Cow::Owned(n.to_string()), ScalarStyle::Plain, None),
        },
        Value::String(text) => yaml_string(text),
        Value::Array(items) => Yaml::Sequence(items.iter().map(yaml_node).collect()),
        Value::Object(map) => {
            let first = FIRST_KEYS.iter().filter_map(|key| map.get_key_value(*key));
            let rest = map
                .iter()
                .filter(|(key, _)| !FIRST_KEYS.contains(&key.as_str()));
            let mut mapping = Mapping::new();
            for (key, value) in first.chain(rest) {
                mapping.insert(yaml_string(key), yaml_node(value));
            }
            Yaml::Mapping(mapping)
        }
    }
}

fn yaml_string(text: &str) -> Yaml<'_> {
    Yaml::Value(Scalar::String(Cow::Borrowed(text)))
}

/// `drsctl plan list`: one line per stored plan.
pub fn list(format: TableOrJson, options: &ApiOptions) -> Outcome {
    let request = Request::new("GET", "/plans".to_owned());
    simple("plan list", options, request, move |body| match format {
        TableOrJson::Json => print_json(body),
        TableOrJson::Table => {
            let mut rows = vec![vec![
                "NAME".to_owned(),
                "WAVES".to_owned(),
                "UPDATED_AT".to_owned(),
                "UPDATED_BY".to_owned(),
            ]];
            for plan in body["plans"].as_array().into_iter().flatten() {
                rows.push(
                    ["name", "waves", "updated_at", "updated_by"]
                        .iter()
                        .map(|field| time_cell(&plan[*field]))
                        .collect(),
                );
            }
            print_text(&table(&rows))
        }
    })
}

/// `drsctl plan delete NAME`.
pub fn delete(plan_name: &str, options: &ApiOptions) -> Outcome {
    let request = Request::new("DELETE", format!("/plans/{}", segment(plan_name)));
    let plan_name = plan_name.to_owned();
    simple("plan delete", options, request, move |_| {
        print_text(&format!("deleted plan {plan_name}\n"))
    })
}

/// Sends `request`; on success, `show` prints the answer's body.
pub fn simple(
    name: &'static str,
    options: &ApiOptions,
    request: Request,
    show: impl FnOnce(&Value) -> Outcome,
) -> Outcome {
    remote::run(name, options, |transport: Transport| async move {
        let response = transport.send(&request).await?;
        if response.is_success() {
            Ok(show(response.json()))
        } else {
            Ok(report_error(name, &response, &transport, None))
        }
    })
}

/// The plan's top-level `name`, read without the plan parser (which refuses an invalid plan
/// whole): from a JSON object, or a YAML line `name: VALUE` at the left margin.
fn declared_name(text: &str) -> Option<String> {
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
        return map.get("name")?.as_str().map(str::to_owned);
    }
    text.lines().find_map(|line| {
        let value = line.strip_prefix("name:")?;
        let value = value.split(" #").next().unwrap_or(value).trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_owned())
    })
}

fn display_name(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        file.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_is_written_as_block_yaml_with_the_name_and_description_first() {
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
            "ratio": 1.5,
            "none": null,
            "nested": [[1, 2], {"a": {"b": "c"}}]
        });
        assert_eq!(
            to_yaml(&value).unwrap(),
            "---\n\
             name: billing\n\
             description: \"Billing: tier 1\"\n\
             count: \"42\"\n\
             defaults: {}\n\
             flag: \"yes\"\n\
             nested:\n  \
               - - 1\n    \
                 - 2\n  \
               - a:\n      \
                   b: c\n\
             none: ~\n\
             ratio: 1.5\n\
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

    /// The plan files of the repository: examples and end-to-end fixtures.
    fn plan_files() -> Vec<std::path::PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["examples/plans", "tests/fixtures/plans"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(entry.unwrap().path());
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_plan_written_as_yaml_reads_back_as_the_same_plan() {
        let files = plan_files();
        assert!(files.len() >= 8, "{files:?}");
        for file in files {
            let original = plan::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let yaml = to_yaml(&serde_json::to_value(&original).unwrap()).unwrap();
            assert!(yaml.starts_with("---\nname: "), "{yaml}");
            let back = plan::parse(&yaml).unwrap_or_else(|e| panic!("{file:?}: {e}\n{yaml}"));
            assert_eq!(back, original, "{file:?}");
        }
    }

    #[test]
    fn strings_yaml_would_read_as_something_else_come_back_as_the_same_strings() {
        let minimal = plan::parse(
            "name: p\nprotection_groups: {db: {servers: [s-1234567890abcdef0]}}\n\
             waves: [{name: w, groups: [db]}]\n",
        )
        .unwrap();
        for text in [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "True",
            "FALSE",
            "null",
            "Null",
            "~",
            "42",
            "-1",
            "+1",
            "0x1F",
            "0o17",
            "1e5",
            "1.5",
            ".inf",
            "-.inf",
            ".nan",
            "inf",
            "nan",
            "",
            " leading",
            "trailing ",
            "a: b",
            "a:b",
            "# not a comment",
            "a #b",
            "- item",
            "[a]",
            "{a: b}",
            "a, b",
            "two\nlines",
            "tab\there",
            "\"quoted\"",
            "it's",
            "back\\slash",
            "---",
            "...",
            "@at",
            "`tick",
            "!tag",
            "&anchor",
            "*alias",
            "|",
            ">",
            "%",
            "?",
            "2026-01-01",
            "ünïcode — ok",
            "\u{feff}bom",
            "\u{7f}del",
        ] {
            let plan = plan::Plan {
                description: Some(text.to_owned()),
                ..minimal.clone()
            };
            let yaml = to_yaml(&serde_json::to_value(&plan).unwrap()).unwrap();
            let back = plan::parse(&yaml).unwrap_or_else(|e| panic!("{text:?}: {e}\n{yaml}"));
            assert_eq!(back.description.as_deref(), Some(text), "{yaml}");
        }
    }

    #[test]
    fn the_name_of_an_invalid_plan_is_still_found() {
        assert_eq!(
            declared_name("# c\nname: billing  # the name\nwaves: 3\n").as_deref(),
            Some("billing")
        );
        assert_eq!(
            declared_name("name: \"billing\"\n").as_deref(),
            Some("billing")
        );
        assert_eq!(
            declared_name(r#"{"waves": 1, "name": "payroll"}"#).as_deref(),
            Some("payroll")
        );
        assert_eq!(declared_name("waves: []\n  name: nested\n"), None);
        assert_eq!(declared_name("name:\n"), None);
    }
}
