//! The JSON Schema of a plan, generated from the types in [`crate::model`].
//!
//! It is committed as `infra/plan.schema.json` so that editors (VS Code's YAML extension,
//! JetBrains IDEs) check plans as users type. It holds what JSON Schema can say: types, required
//! and unknown keys, the patterns of names, IDs and ARNs, number ranges, list lengths. What needs
//! the whole plan (a group referenced but not defined, a server in two waves) only
//! [`crate::validate`] checks.

use schemars::Schema;
use serde_json::{Value, json};

use crate::formats::NAME_PATTERN;
use crate::limits::{
    MAX_NAME_CHARS, MAX_SSM_PARAMETER_NAME_CHARS, MAX_SSM_PARAMETER_VALUES, MAX_TAG_KEY_CHARS,
    MAX_TAG_VALUE_CHARS, SSM_PARAMETER_VALUE_CHARS,
};
use crate::model::Plan;

/// Where the schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "infra/plan.schema.json";

/// The JSON Schema of [`Plan`], pretty-printed, ending with a newline: the exact content of
/// `infra/plan.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Plan);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Map keys that are names (targets, protection groups).
pub(crate) fn names_as_keys(schema: &mut Schema) {
    schema.insert(
        "propertyNames".to_owned(),
        json!({
            "pattern": NAME_PATTERN,
            "minLength": 1,
            "maxLength": MAX_NAME_CHARS,
        }),
    );
}

/// A map that must not be empty.
pub(crate) fn at_least_one_key(schema: &mut Schema) {
    schema.insert("minProperties".to_owned(), json!(1));
}

/// DRS tags: keys of 1 to 128 characters, values of 0 to 256.
pub(crate) fn drs_tags(schema: &mut Schema) {
    schema.insert(
        "propertyNames".to_owned(),
        json!({ "minLength": 1, "maxLength": MAX_TAG_KEY_CHARS }),
    );
    extend_values(schema, json!({ "maxLength": MAX_TAG_VALUE_CHARS }));
}

/// SSM Automation parameters: names of 1 to 50 characters, each at most 50 values of 1 to 512
/// characters.
pub(crate) fn ssm_parameters(schema: &mut Schema) {
    let (min, max) = SSM_PARAMETER_VALUE_CHARS;
    schema.insert(
        "propertyNames".to_owned(),
        json!({ "minLength": 1, "maxLength": MAX_SSM_PARAMETER_NAME_CHARS }),
    );
    extend_values(
        schema,
        json!({
            "maxItems": MAX_SSM_PARAMETER_VALUES,
            "items": { "type": "string", "minLength": min, "maxLength": max },
        }),
    );
}

/// Merges `extra` into the schema of the map's values.
fn extend_values(schema: &mut Schema, extra: Value) {
    let Some(Value::Object(values)) = schema.get_mut("additionalProperties") else {
        return;
    };
    if let Value::Object(extra) = extra {
        values.extend(extra);
    }
}
