//! The recovery plan format (DESIGN.md §5): types, parsing of YAML and JSON with positions,
//! validation that reports every error at once, and the JSON Schema.
//!
//! ```
//! let text = "
//! name: billing
//! protection_groups:
//!   db: { servers: [s-1234567890abcdef0] }
//! waves:
//!   - { name: database, groups: [db] }
//! ";
//! let plan = plan::parse(text).unwrap();
//! assert_eq!(plan.waves[0].name, "database");
//!
//! let errors = plan::parse("name: Billing\nprotection_groups: {}\nwaves: []\n").unwrap_err();
//! assert_eq!(
//!     errors[0].to_string(),
//!     "1:7: name: \"Billing\" is not a valid plan name: `B` is uppercase; use 1 to 63 \
//!      lowercase letters a-z, digits 0-9 and `-`, not starting or ending with `-`"
//! );
//! ```
//!
//! # The API
//!
//! - [`parse`]: text → [`Plan`], or every problem as [`Diagnostics`] (syntax, types, rules).
//! - [`validate`]: the rules alone, on a [`Plan`] that came from elsewhere (the HTTP API).
//! - [`Plan::summary`]: what a plan launches, counted, for a one-line report.
//! - [`json_schema`]: the JSON Schema committed as `infra/plan.schema.json`.
//!
//! # Text
//!
//! YAML 1.2 or JSON, one schema. The content decides, not a file name: text whose first
//! non-blank character is `{` is JSON. One document per text; YAML tags (`!Ref`) are refused;
//! duplicate keys are errors. Scalars follow the YAML 1.2 core schema, so `yes` is a string
//! and `012345678901` a number: quote account IDs. Positions count lines and characters from 1.
//!
//! # Rules
//!
//! Each problem is reported with its path, its position, what is wrong and what is allowed:
//!
//! - Unknown keys (with the allowed ones), wrong types, missing required keys.
//! - Names of the plan, waves, targets and groups: 1 to 63 of `a-z`, `0-9`, `-`, not starting
//!   or ending with `-`.
//! - Source server IDs: `s-` and 17 lowercase hex digits. Account IDs: 12 digits. Regions:
//!   `us-east-1`, `eu-central-2`, `us-gov-west-1`. Role ARNs:
//!   `arn:<partition>:iam::<account>:role/<path/><name>`, in the target's own account.
//!   `external_id`: 2 to 1224 of `[A-Za-z0-9_+=,.@:/-]`, only with a `role_arn`.
//! - Tags: keys of 1 to 128 characters, values of 0 to 256 (DRS limits).
//! - References: a group's `target` and a wave's `groups` must be defined (the message lists
//!   the defined ones). A target defined but unused is fine.
//! - Nothing launched twice: a server in two groups (and so possibly two waves), a group in two
//!   waves, an ID twice in a list, two groups with the same tags in the same target.
//! - Something to launch: at least one group and one wave; no group without servers and tags;
//!   no wave with an empty `groups` or whose groups select nothing.
//! - `optional_servers` must be in their wave: always an error when another wave launches the
//!   server; when the wave selects by IDs only, the server must be one of them; when the wave
//!   also selects by tags, it can only be checked at run time and is accepted.
//! - Unique wave names; at most [`limits::MAX_WAVES`] waves.
//! - Numbers ([`limits`]): `check_interval_seconds` 1..=900; RTOs and timeouts 1..=10080
//!   minutes (7 days); `drill_cleanup_after_hours` 0..=720.
//! - Actions: SSM document names or ARNs of 3 to 128 of `[A-Za-z0-9_.:/-]`, document versions
//!   (`$LATEST`, `$DEFAULT` or a number), SSM parameters (names 1 to 50 characters, at most 50
//!   values of 1 to 512), Lambda function ARNs with an optional version or alias, a Lambda
//!   `payload` that is a mapping; `timeout_minutes` 1..=1440 for SSM (default 60), 1..=15 for
//!   Lambda (default 15, Lambda's maximum); `wait.minutes` 1..=1440; `on_failure` `fail`
//!   (default) or `continue`.
//! - Placeholders ([`Placeholder`]) in SSM parameter values and Lambda payload strings:
//!   `{{execution_id}}`, `{{plan}}`, `{{mode}}`, `{{wave}}`, `{{source_server_ids}}`,
//!   `{{recovery_instance_ids}}`, `{{ec2_instance_ids}}`. Another name, or a `{{` not closed,
//!   is an error; the instance IDs are refused in `pre_actions` (nothing is launched yet).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod decode;
mod diagnostic;
mod formats;
pub mod limits;
pub mod model;
mod path;
pub mod placeholder;
mod schema;
mod summary;
mod syntax;
mod tree;
mod validation;

pub use diagnostic::{Diagnostic, Diagnostics, Position};
pub use formats::check_name;
pub use model::{
    Action, Defaults, LambdaAction, OnFailure, Plan, ProtectionGroup, SsmAutomation, Target,
    WaitAction, Wave,
};
pub use placeholder::Placeholder;
pub use schema::{SCHEMA_PATH, json_schema};
pub use summary::Summary;

use tree::Value;
use validation::Finding;

/// Parses a plan from YAML or JSON text and checks it: every problem is returned at once,
/// each with its position in `text`.
pub fn parse(text: &str) -> Result<Plan, Diagnostics> {
    let syntax = syntax::read(text);
    let mut diagnostics = syntax.diagnostics;
    let root = match syntax.root {
        Some(root) if !is_empty(&root.value) => root,
        Some(root) => {
            // A null document has no content to point at; `{}` has.
            let position = (root.value != Value::Null).then_some(root.position);
            diagnostics.push(empty_plan(position));
            return Err(diagnostics.into());
        }
        None => {
            if diagnostics.is_empty() {
                diagnostics.push(empty_plan(None));
            }
            return Err(diagnostics.into());
        }
    };

    let decoded = decode::decode(&root);
    diagnostics.extend(decoded.diagnostics);
    let broken = decoded.broken;
    // A finding about (or drawn from) a value that could not be decoded would only repeat the
    // decoding error, or judge a placeholder.
    let hidden = |finding: &Finding| {
        broken
            .iter()
            .any(|b| b.contains(&finding.path) || finding.depends_on.iter().any(|d| b.contains(d)))
    };
    for finding in validation::check(&decoded.plan) {
        if !hidden(&finding) {
            diagnostics.push(Diagnostic {
                position: decoded.places.find(&finding.path, finding.at_key),
                path: finding.path.to_string(),
                message: finding.message,
            });
        }
    }
    if diagnostics.is_empty() {
        Ok(decoded.plan)
    } else {
        Err(diagnostics.into())
    }
}

/// Checks the rules of the format on a plan that is already typed (deserialized with serde, or
/// built in code). The diagnostics have paths but no positions.
pub fn validate(plan: &Plan) -> Result<(), Diagnostics> {
    let diagnostics: Vec<Diagnostic> = validation::check(plan)
        .into_iter()
        .map(|finding| Diagnostic {
            position: None,
            path: finding.path.to_string(),
            message: finding.message,
        })
        .collect();
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(diagnostics.into())
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Mapping(entries) => entries.is_empty(),
        _ => false,
    }
}

fn empty_plan(position: Option<Position>) -> Diagnostic {
    Diagnostic {
        position,
        path: String::new(),
        message: "the plan is empty; a plan is a mapping with at least `name`, \
                  `protection_groups` and `waves`"
            .to_owned(),
    }
}
