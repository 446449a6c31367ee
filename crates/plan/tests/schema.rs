//! The committed JSON Schema is the generated one, and it says what the validator says where
//! JSON Schema can say it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::{Value, json};

fn repository_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn the_committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(repository_file(plan::SCHEMA_PATH)).unwrap_or_default();
    assert!(
        committed == plan::json_schema(),
        "{} differs from the schema generated from the plan types; regenerate it with\n\n    \
         cargo run -p drsctl -- plan schema > {}\n",
        plan::SCHEMA_PATH,
        plan::SCHEMA_PATH
    );
}

fn schema() -> Value {
    serde_json::from_str(&plan::json_schema()).unwrap()
}

/// A small JSON Schema checker for the keywords the plan schema uses. It refuses keywords it
/// does not know, so that a schema change cannot silently go unchecked here.
fn check(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if *schema == Value::Bool(true) {
        return;
    }
    let Value::Object(keywords) = schema else {
        panic!("not a schema at {path}: {schema}");
    };
    for (keyword, expected) in keywords {
        match keyword.as_str() {
            "$schema" | "title" | "description" | "default" | "format" | "$defs" => {}
            "$ref" => {
                let name = expected.as_str().unwrap().strip_prefix("#/$defs/").unwrap();
                check(root, &root["$defs"][name], value, path, errors);
            }
            "type" => {
                let types: Vec<&str> = match expected {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => panic!("bad type {expected}"),
                };
                let actual = match value {
                    Value::Null => "null",
                    Value::Bool(_) => "boolean",
                    Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                    Value::Number(_) => "number",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                };
                let integer_as_number = actual == "integer" && types.contains(&"number");
                if !types.contains(&actual) && !integer_as_number {
                    errors.push(format!("{path}: {actual} is not {types:?}"));
                }
            }
            "properties" => {
                if let Value::Object(object) = value {
                    for (key, property) in expected.as_object().unwrap() {
                        if let Some(v) = object.get(key) {
                            check(root, property, v, &format!("{path}.{key}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let Value::Object(object) = value {
                    for key in expected.as_array().unwrap() {
                        if !object.contains_key(key.as_str().unwrap()) {
                            errors.push(format!("{path}: missing {key}"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Value::Object(object) = value {
                    let known = keywords.get("properties").and_then(Value::as_object);
                    for (key, v) in object {
                        if known.is_some_and(|k| k.contains_key(key)) {
                            continue;
                        }
                        match expected {
                            Value::Bool(false) => errors.push(format!("{path}: unknown key {key}")),
                            Value::Bool(true) => {}
                            Value::Object(_) => {
                                check(root, expected, v, &format!("{path}.{key}"), errors);
                            }
                            _ => panic!("bad additionalProperties {expected}"),
                        }
                    }
                }
            }
            "propertyNames" => {
                if let Value::Object(object) = value {
                    for key in object.keys() {
                        check(
                            root,
                            expected,
                            &json!(key),
                            &format!("{path}[{key:?}]"),
                            errors,
                        );
                    }
                }
            }
            "minProperties" => {
                if let Value::Object(object) = value {
                    if (object.len() as u64) < expected.as_u64().unwrap() {
                        errors.push(format!("{path}: fewer than {expected} keys"));
                    }
                }
            }
            "items" => {
                if let Value::Array(items) = value {
                    for (i, item) in items.iter().enumerate() {
                        check(root, expected, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Value::Array(items) = value {
                    let n = items.len() as u64;
                    let bound = expected.as_u64().unwrap();
                    if (keyword == "minItems" && n < bound) || (keyword == "maxItems" && n > bound)
                    {
                        errors.push(format!("{path}: {n} items breaks {keyword} {bound}"));
                    }
                }
            }
            "uniqueItems" => {
                if let Value::Array(items) = value {
                    for (i, item) in items.iter().enumerate() {
                        if items[..i].contains(item) {
                            errors.push(format!("{path}: {item} is repeated"));
                        }
                    }
                }
            }
            "pattern" => {
                if let Value::String(s) = value {
                    let regex = regex_lite::Regex::new(expected.as_str().unwrap()).unwrap();
                    if !regex.is_match(s) {
                        errors.push(format!("{path}: {s:?} does not match {expected}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let Value::String(s) = value {
                    let n = s.chars().count() as u64;
                    let bound = expected.as_u64().unwrap();
                    if (keyword == "minLength" && n < bound)
                        || (keyword == "maxLength" && n > bound)
                    {
                        errors.push(format!("{path}: length {n} breaks {keyword} {bound}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let Some(n) = value.as_f64() {
                    let bound = expected.as_f64().unwrap();
                    if (keyword == "minimum" && n < bound) || (keyword == "maximum" && n > bound) {
                        errors.push(format!("{path}: {n} breaks {keyword} {bound}"));
                    }
                }
            }
            "const" => {
                if value != expected {
                    errors.push(format!("{path}: {value} is not {expected}"));
                }
            }
            "oneOf" => {
                let passing = expected
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|option| {
                        let mut option_errors = Vec::new();
                        check(root, option, value, path, &mut option_errors);
                        option_errors.is_empty()
                    })
                    .count();
                if passing != 1 {
                    errors.push(format!("{path}: {passing} of the oneOf options match"));
                }
            }
            other => panic!("the test checker does not know the keyword {other:?}; teach it"),
        }
    }
}

fn schema_errors(value: &Value) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    check(&schema, &schema, value, "plan", &mut errors);
    errors
}

fn example(name: &str) -> String {
    std::fs::read_to_string(repository_file(&format!("examples/plans/{name}"))).unwrap()
}

#[test]
fn the_examples_follow_the_schema() {
    let raw_json: Value = serde_json::from_str(&example("billing.json")).unwrap();
    assert_eq!(schema_errors(&raw_json), Vec::<String>::new());
    for name in ["billing.yaml", "minimal.yaml"] {
        let plan = plan::parse(&example(name)).unwrap();
        let value = serde_json::to_value(&plan).unwrap();
        assert_eq!(schema_errors(&value), Vec::<String>::new(), "{name}");
    }
}

/// Each mistake JSON Schema can express is caught by the schema too, not only by the validator.
#[test]
fn the_schema_catches_what_it_can_express() {
    let valid = json!({
        "name": "p",
        "targets": {"dr": {"account_id": "111122223333", "region": "us-east-1",
                           "role_arn": "arn:aws:iam::111122223333:role/x", "external_id": "ab"}},
        "protection_groups": {"db": {"target": "dr", "servers": ["s-1234567890abcdef0"], "tags": {"App": "x"}}},
        "waves": [{"name": "w", "groups": ["db"], "optional_servers": ["s-1234567890abcdef0"],
                   "pre_actions": [{"ssm_automation": {"document": "Check-DB", "document_version": "$LATEST",
                                                       "parameters": {"Env": ["dr"]}, "timeout_minutes": 60,
                                                       "on_failure": "fail"}},
                                   {"wait": {"minutes": 5}}],
                   "post_actions": [{"lambda": {"function_arn": "arn:aws:lambda:us-east-1:111122223333:function:f",
                                                "payload": {"ids": "{{ec2_instance_ids}}", "n": [1, 2.5, null]},
                                                "timeout_minutes": 15, "on_failure": "continue"}}]}]
    });
    assert_eq!(schema_errors(&valid), Vec::<String>::new());
    assert!(plan::parse(&valid.to_string()).is_ok());

    let broken: [(&str, Value); 31] = [
        ("/name", json!("Billing")),
        ("/colour", json!("red")),
        ("/rto_minutes", json!(0)),
        ("/defaults", json!({"check_interval_seconds": 901})),
        ("/defaults", json!({"drill_cleanup_after_hours": 721})),
        ("/defaults", json!({"wave_timeout_minutes": 0})),
        (
            "/targets/DR",
            json!({"account_id": "111122223333", "region": "us-east-1"}),
        ),
        ("/targets/dr/account_id", json!("11112222333")),
        ("/targets/dr/account_id", json!(111122223333_u64)),
        ("/targets/dr/region", json!("US-EAST-1")),
        (
            "/targets/dr/role_arn",
            json!("arn:aws:iam::111122223333:user/x"),
        ),
        ("/targets/dr/external_id", json!("a")),
        (
            "/protection_groups/db/servers",
            json!(["s-1234567890ABCDEF0"]),
        ),
        (
            "/protection_groups/db/servers",
            json!(["s-1234567890abcdef0", "s-1234567890abcdef0"]),
        ),
        (
            "/protection_groups/db/tags",
            json!({"App": "v".repeat(257)}),
        ),
        ("/protection_groups/db/tags", json!({"": "x"})),
        ("/protection_groups", json!({})),
        ("/waves", json!([])),
        ("/waves/0/groups", json!([])),
        (
            "/waves/0/pre_actions/0",
            json!({"ssm_automation": {"document": "Check DB"}}),
        ),
        (
            "/waves/0/post_actions/0",
            json!({"lambda": {"function_arn": "f"}, "ssm_automation": {"document": "Check-DB"}}),
        ),
        ("/waves/0/pause_before", json!("yes")),
        (
            "/waves/0/pre_actions/0/ssm_automation/timeout_minutes",
            json!(0),
        ),
        (
            "/waves/0/pre_actions/0/ssm_automation/timeout_minutes",
            json!(1441),
        ),
        (
            "/waves/0/pre_actions/0/ssm_automation/document_version",
            json!("latest"),
        ),
        (
            "/waves/0/pre_actions/0/ssm_automation/on_failure",
            json!("ignore"),
        ),
        ("/waves/0/pre_actions/1/wait", json!({"minutes": 0})),
        ("/waves/0/pre_actions/1/wait", json!({"seconds": 5})),
        ("/waves/0/post_actions/0/lambda/timeout_minutes", json!(16)),
        ("/waves/0/post_actions/0/lambda/payload", json!(["x"])),
        ("/waves/0/post_actions/0/lambda/on_failure", json!(true)),
    ];
    for (pointer, replacement) in broken {
        let mut plan = valid.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = plan.pointer_mut(parent).unwrap();
        match parent {
            Value::Object(object) => {
                object.insert(key.to_owned(), replacement.clone());
                if key == "DR" {
                    object.remove("dr");
                    plan["protection_groups"]["db"]["target"] = json!("DR");
                }
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = replacement.clone(),
            _ => unreachable!(),
        }
        assert!(
            !schema_errors(&plan).is_empty(),
            "the schema accepts {pointer} = {replacement}"
        );
        assert!(
            plan::parse(&plan.to_string()).is_err(),
            "the validator accepts {pointer} = {replacement}"
        );
    }
}
