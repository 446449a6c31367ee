//! The recovery plan format (DESIGN.md §5): types, parsing of YAML and JSON with positions,
//! validation that reports every error at once, and the JSON Schema.

pub mod model;

pub use model::{
    Action, Defaults, LambdaAction, Plan, ProtectionGroup, SsmAutomation, Target, Wave,
};
