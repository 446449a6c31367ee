//! The public API as its users see it: the example plans, YAML and JSON alike, every error at
//! once, validation of typed plans, round trips with serde.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use plan::{
    Action, Defaults, LambdaAction, OnFailure, Plan, ProtectionGroup, SsmAutomation, Target,
    WaitAction, Wave,
};
use serde_json::json;

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plans")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_example_plans_are_valid() {
    let billing = plan::parse(&example("billing.yaml")).unwrap();
    assert_eq!(
        billing.summary().to_string(),
        "plan \"billing\": 3 waves, 3 groups (1 by ID, 2 by tags), 2 server IDs, 1 target"
    );
    let wave_names: Vec<&str> = billing.waves.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(wave_names, ["database", "application", "web"]);
    assert!(billing.waves[1].pause_before);
    assert_eq!(billing.waves[1].optional_servers, ["s-00000000000000a0a"]);
    assert_eq!(billing.wave_timeout_minutes(1), 60);
    assert_eq!(billing.wave_timeout_minutes(2), 45);
    assert!(plan::validate(&billing).is_ok());

    let minimal = plan::parse(&example("minimal.yaml")).unwrap();
    assert_eq!(
        minimal.summary().to_string(),
        "plan \"minimal\": 1 wave, 1 group (1 by ID), 1 server ID, 0 targets"
    );
    assert_eq!(minimal.defaults, Defaults::default());
}

#[test]
fn the_json_example_is_the_yaml_example() {
    let yaml = plan::parse(&example("billing.yaml")).unwrap();
    let json = plan::parse(&example("billing.json")).unwrap();
    assert_eq!(yaml, json);
}

#[test]
fn every_problem_comes_out_at_once_in_text_order() {
    let text = "\
name: Billing
rto_minute: 60
defaults:
  check_interval_seconds: 0
protection_groups:
  db: {target: dr, servers: [s-1234567890abcdef0, s-1234567890abcdef0]}
  db: {}
  empty: {}
waves:
  - name: database
    groups: [db, nope]
  - name: database
    groups: db
";
    let errors = plan::parse(text).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let start = |line: &str| line.split(": ").next().unwrap().to_owned();
    assert_eq!(
        lines.iter().map(|l| start(l)).collect::<Vec<_>>(),
        [
            "1:7", "2:1", "4:27", "6:16", "6:51", "7:3", "8:3", "11:18", "12:11", "13:13"
        ],
        "{lines:#?}"
    );
    assert!(lines[0].contains("name: \"Billing\" is not a valid plan name"));
    assert!(lines[5].contains("duplicate key \"db\""));
    assert!(lines[9].contains("write a list, like [db]"));
    // Displaying the whole set gives one problem per line.
    assert_eq!(errors.to_string().lines().count(), errors.len());
}

fn full_plan() -> Plan {
    Plan {
        allow_self_approval: false,
        allow_concurrent_executions: false,
        name: "full".to_owned(),
        description: Some("every field set".to_owned()),
        rto_minutes: Some(90),
        defaults: Defaults {
            check_interval_seconds: 60,
            wave_timeout_minutes: 30,
            drill_cleanup_after_hours: 0,
        },
        targets: BTreeMap::from([(
            "dr".to_owned(),
            Target {
                account_id: "012345678901".to_owned(),
                region: "eu-central-2".to_owned(),
                role_arn: Some("arn:aws:iam::012345678901:role/ops/drs".to_owned()),
                external_id: Some("x-1".to_owned()),
            },
        )]),
        protection_groups: BTreeMap::from([(
            "db".to_owned(),
            ProtectionGroup {
                target: Some("dr".to_owned()),
                servers: vec!["s-1234567890abcdef0".to_owned()],
                tags: BTreeMap::from([("Tier".to_owned(), "db".to_owned())]),
            },
        )]),
        waves: vec![Wave {
            name: "one".to_owned(),
            groups: vec!["db".to_owned()],
            rto_minutes: Some(20),
            timeout_minutes: Some(25),
            pause_before: true,
            optional_servers: vec!["s-1234567890abcdef0".to_owned()],
            pre_actions: vec![
                Action::SsmAutomation(SsmAutomation {
                    document: "Check-DB".to_owned(),
                    document_version: Some("3".to_owned()),
                    parameters: BTreeMap::from([(
                        "Env".to_owned(),
                        vec!["dr".to_owned(), "{{execution_id}}".to_owned()],
                    )]),
                    timeout_minutes: Some(10),
                    on_failure: OnFailure::Continue,
                }),
                Action::Wait(WaitAction { minutes: 2 }),
            ],
            post_actions: vec![Action::Lambda(LambdaAction {
                function_arn: "arn:aws:lambda:eu-central-2:012345678901:function:smoke".to_owned(),
                payload: BTreeMap::from([
                    ("instances".to_owned(), json!("{{ec2_instance_ids}}")),
                    (
                        "checks".to_owned(),
                        json!([{"url": "https://{{wave}}.example.com", "retries": 3, "ratio": 0.5}, null, true]),
                    ),
                ]),
                timeout_minutes: Some(5),
                on_failure: OnFailure::Continue,
            })],
        }],
    }
}

/// The hand-written decoder reads what serde writes, field for field: a field added to the
/// types but not to the decoder fails here.
#[test]
fn parse_reads_what_serde_writes() {
    let plan = full_plan();
    assert!(plan::validate(&plan).is_ok());
    let json = serde_json::to_string_pretty(&plan).unwrap();
    assert_eq!(plan::parse(&json).unwrap(), plan);
    let compact = serde_json::to_string(&plan).unwrap();
    assert_eq!(plan::parse(&compact).unwrap(), plan);
    // And serde reads the example the same way the parser does.
    let from_serde: Plan = serde_json::from_str(&example("billing.json")).unwrap();
    assert_eq!(from_serde, plan::parse(&example("billing.yaml")).unwrap());
}

#[test]
fn validate_checks_typed_plans_without_positions() {
    let mut plan = full_plan();
    plan.name = "Full".to_owned();
    plan.waves[0].groups.push("missing".to_owned());
    plan.defaults.check_interval_seconds = 0;
    let errors = plan::validate(&plan).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(errors.iter().all(|e| e.position.is_none()));
    assert!(lines[0].starts_with("name: \"Full\" is not a valid plan name"));
    assert!(lines[1].starts_with("defaults.check_interval_seconds: 0 is out of range"));
    assert!(lines[2].starts_with(
        "waves[0].groups[1]: protection group `missing` is not defined; defined groups: `db`"
    ));
}

#[test]
fn positions_and_paths_are_public() {
    let errors = plan::parse("name: p\nprotection_groups: {}\nwaves: []\n").unwrap_err();
    let first = &errors[0];
    assert_eq!(first.position, Some(plan::Position::new(2, 1)));
    assert_eq!(first.path, "protection_groups");
    assert_eq!(errors.len(), 2);
}
