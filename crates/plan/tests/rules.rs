//! One broken plan per rule of the format: each must give exactly the expected problems, with
//! their position, path and the key part of their message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// A plan text and every problem it must give: (`LINE:COL` or `""` when no position, path,
/// part of the message).
struct Case {
    name: &'static str,
    text: String,
    expected: Vec<(&'static str, &'static str, &'static str)>,
}

fn case(
    name: &'static str,
    text: impl Into<String>,
    expected: &[(&'static str, &'static str, &'static str)],
) -> Case {
    Case {
        name,
        text: text.into(),
        expected: expected.to_vec(),
    }
}

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let found: Vec<(String, String, String)> = match plan::parse(&case.text) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| {
                    (
                        d.position.map(|p| p.to_string()).unwrap_or_default(),
                        d.path.clone(),
                        d.message.clone(),
                    )
                })
                .collect(),
        };
        let matches = found.len() == case.expected.len()
            && found.iter().zip(&case.expected).all(
                |((position, path, message), (want_position, want_path, part))| {
                    position == want_position && path == want_path && message.contains(part)
                },
            );
        if !matches {
            failures.push(format!(
                "case {:?}\n  expected: {:#?}\n  found: {:#?}",
                case.name, case.expected, found
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const GROUPS: &str = "protection_groups: {db: {servers: [s-1234567890abcdef0]}}\n";
const WAVES: &str = "waves: [{name: w, groups: [db]}]\n";

/// `name: p`, then `middle`, then a group `db` and a wave `w` launching it.
fn plan_with(middle: &str) -> String {
    format!("name: p\n{middle}{GROUPS}{WAVES}")
}

#[test]
fn valid_plans_give_no_problem() {
    run(vec![
        case("smallest plan", plan_with(""), &[]),
        case(
            "a target defined but unused is fine",
            plan_with("targets: {spare: {account_id: \"111122223333\", region: eu-west-1}}\n"),
            &[],
        ),
        case(
            "limits are inclusive",
            plan_with(
                "rto_minutes: 10080\ndefaults: {check_interval_seconds: 900, wave_timeout_minutes: 1, drill_cleanup_after_hours: 0}\n",
            ),
            &[],
        ),
        case(
            "same tags in different targets",
            "name: p
targets:
  east: {account_id: \"111122223333\", region: us-east-1}
  west: {account_id: \"111122223333\", region: us-west-2}
protection_groups:
  a: {target: east, tags: {App: x}}
  b: {target: west, tags: {App: x}}
waves: [{name: w, groups: [a, b]}]
",
            &[],
        ),
        case(
            "optional server of a wave that selects by tags is checked at run time",
            "name: p
protection_groups:
  app: {tags: {Tier: app}}
waves: [{name: w, groups: [app], optional_servers: [s-1234567890abcdef0]}]
",
            &[],
        ),
        case(
            "null means absent for optional fields",
            "name: p\ndescription:\nrto_minutes: ~\nprotection_groups: {db: {target: null, servers: [s-1234567890abcdef0]}}\nwaves: [{name: w, groups: [db], timeout_minutes: null}]\n",
            &[],
        ),
        case("99 waves, the most", hundred_waves(99), &[]),
    ]);
}

fn hundred_waves(n: usize) -> String {
    let mut text = String::from("name: p\nprotection_groups:\n");
    for i in 0..n {
        text.push_str(&format!("  g{i}: {{servers: [s-{i:017x}]}}\n"));
    }
    text.push_str("waves:\n");
    for i in 0..n {
        text.push_str(&format!("  - {{name: w{i}, groups: [g{i}]}}\n"));
    }
    text
}

#[test]
fn empty_plans() {
    let empty = "the plan is empty; a plan is a mapping with at least `name`, `protection_groups` and `waves`";
    run(vec![
        case("empty text", "", &[("", "", empty)]),
        case("blank text", "  \n\n", &[("", "", empty)]),
        case("only comments", "# nothing yet\n", &[("", "", empty)]),
        case("empty document", "---\n", &[("", "", empty)]),
        case("empty mapping", "{}", &[("1:1", "", empty)]),
        case("empty JSON object", "  {\n}\n", &[("1:3", "", empty)]),
        case(
            "no waves",
            format!("name: p\n{GROUPS}waves: []\n"),
            &[("3:1", "waves", "the plan has no waves; add at least one")],
        ),
        case(
            "no protection groups",
            format!("name: p\nprotection_groups: {{}}\n{WAVES}"),
            &[
                (
                    "2:1",
                    "protection_groups",
                    "the plan defines no protection groups; define at least one",
                ),
                (
                    "3:28",
                    "waves[0].groups[0]",
                    "protection group `db` is not defined: the plan has no `protection_groups`",
                ),
            ],
        ),
        case(
            "a wave with empty groups",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: []}}]\n"),
            &[(
                "3:19",
                "waves[0].groups",
                "a wave launches at least one protection group",
            )],
        ),
    ]);
}

#[test]
fn names() {
    let rule =
        "use 1 to 63 lowercase letters a-z, digits 0-9 and `-`, not starting or ending with `-`";
    run(vec![
        case(
            "plan name",
            format!("name: Billing\n{GROUPS}{WAVES}"),
            &[(
                "1:7",
                "name",
                "\"Billing\" is not a valid plan name: `B` is uppercase; use 1 to 63",
            )],
        ),
        case(
            "plan name too long",
            format!("name: {}\n{GROUPS}{WAVES}", "a".repeat(64)),
            &[("1:7", "name", "it is 64 characters long")],
        ),
        case(
            "wave name",
            format!("name: p\n{GROUPS}waves: [{{name: wave_1, groups: [db]}}]\n"),
            &[(
                "3:16",
                "waves[0].name",
                "\"wave_1\" is not a valid wave name: '_' is not allowed",
            )],
        ),
        case(
            "wave name ending with -",
            format!("name: p\n{GROUPS}waves: [{{name: db-, groups: [db]}}]\n"),
            &[("3:16", "waves[0].name", rule)],
        ),
        case(
            "target name",
            plan_with("targets:\n  DR_East: {account_id: \"111122223333\", region: us-east-1}\n"),
            &[(
                "3:3",
                "targets.DR_East",
                "\"DR_East\" is not a valid target name: `D` is uppercase",
            )],
        ),
        case(
            "group name",
            "name: p\nprotection_groups:\n  db.primary: {servers: [s-1234567890abcdef0]}\nwaves: [{name: w, groups: [db.primary]}]\n",
            &[(
                "3:3",
                "protection_groups[\"db.primary\"]",
                "is not a valid protection group name: '.' is not allowed",
            )],
        ),
        case(
            "duplicate wave names",
            "name: p\nprotection_groups: {a: {servers: [s-1234567890abcdef0]}, b: {servers: [s-1234567890abcdef1]}}\nwaves:\n  - name: w\n    groups: [a]\n  - name: w\n    groups: [b]\n",
            &[(
                "6:11",
                "waves[1].name",
                "wave name `w` is already used by waves[0]; wave names must be unique",
            )],
        ),
    ]);
}

#[test]
fn ids_arns_and_regions() {
    let target = |body: &str| {
        format!(
            "name: p\ntargets:\n  dr:\n{body}protection_groups: {{db: {{target: dr, servers: [s-1234567890abcdef0]}}}}\n{WAVES}"
        )
    };
    run(vec![
        case(
            "server ID",
            "name: p\nprotection_groups:\n  db:\n    servers:\n      - s-1234567890abcdef0\n      - s-1234567890ABCDEF1\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "6:9",
                "protection_groups.db.servers[1]",
                "\"s-1234567890ABCDEF1\" is not a valid source server ID: hex digits must be lowercase; expected `s-` and 17 lowercase hex digits",
            )],
        ),
        case(
            "server ID too short",
            "name: p\nprotection_groups: {db: {servers: [s-123]}}\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "2:36",
                "protection_groups.db.servers[0]",
                "it has 3 hex digits after `s-`, not 17",
            )],
        ),
        case(
            "account ID",
            target("    account_id: \"11112222333\"\n    region: us-east-1\n"),
            &[(
                "4:17",
                "targets.dr.account_id",
                "\"11112222333\" is not a valid AWS account ID: it has 11 digits; expected exactly 12 digits",
            )],
        ),
        case(
            "region",
            target("    account_id: \"111122223333\"\n    region: US-East-1\n"),
            &[(
                "5:13",
                "targets.dr.region",
                "\"US-East-1\" is not a valid AWS region: regions are lowercase; expected an AWS region like us-east-1",
            )],
        ),
        case(
            "region without a number",
            target("    account_id: \"111122223333\"\n    region: useast\n"),
            &[(
                "5:13",
                "targets.dr.region",
                "it does not have the shape <area>-<direction>-<number>",
            )],
        ),
        case(
            "role ARN",
            target(
                "    account_id: \"111122223333\"\n    region: us-east-1\n    role_arn: arn:aws:iam::111122223333:user/alice\n",
            ),
            &[(
                "6:15",
                "targets.dr.role_arn",
                "is not a valid IAM role ARN: it names a `user`, not a `role/`; expected arn:<partition>:iam::<12-digit account>:role/",
            )],
        ),
        case(
            "role ARN in another account",
            target(
                "    account_id: \"111122223333\"\n    region: us-east-1\n    role_arn: arn:aws:iam::444455556666:role/drs\n",
            ),
            &[(
                "6:15",
                "targets.dr.role_arn",
                "the role is in account 444455556666, but the target's account_id is 111122223333",
            )],
        ),
        case(
            "external ID",
            target(
                "    account_id: \"111122223333\"\n    region: us-east-1\n    role_arn: arn:aws:iam::111122223333:role/drs\n    external_id: \"has space\"\n",
            ),
            &[(
                "7:18",
                "targets.dr.external_id",
                "\"has space\" is not a valid external ID: ' ' is not allowed; expected 2 to 1224 characters",
            )],
        ),
        case(
            "external ID too short",
            target(
                "    account_id: \"111122223333\"\n    region: us-east-1\n    role_arn: arn:aws:iam::111122223333:role/drs\n    external_id: x\n",
            ),
            &[("7:18", "targets.dr.external_id", "it is 1 character long")],
        ),
        case(
            "external ID without a role",
            target(
                "    account_id: \"111122223333\"\n    region: us-east-1\n    external_id: billing-dr\n",
            ),
            &[(
                "6:18",
                "targets.dr.external_id",
                "external_id is only presented when assuming `role_arn`",
            )],
        ),
    ]);
}

#[test]
fn tags() {
    run(vec![
        case(
            "tag key too long",
            format!(
                "name: p\nprotection_groups:\n  app:\n    tags:\n      {}: x\nwaves: [{{name: w, groups: [app]}}]\n",
                "k".repeat(129)
            ),
            &[(
                "5:7",
                Box::leak(
                    format!("protection_groups.app.tags.{}", "k".repeat(129)).into_boxed_str(),
                ),
                "the tag key is 129 characters long; DRS tag keys have 1 to 128 characters",
            )],
        ),
        case(
            "empty tag key",
            "name: p\nprotection_groups:\n  app:\n    tags: {\"\": x}\nwaves: [{name: w, groups: [app]}]\n",
            &[(
                "4:12",
                "protection_groups.app.tags[\"\"]",
                "the tag key is 0 characters long",
            )],
        ),
        case(
            "tag value too long",
            format!(
                "name: p\nprotection_groups:\n  app:\n    tags:\n      App: {}\nwaves: [{{name: w, groups: [app]}}]\n",
                "v".repeat(257)
            ),
            &[(
                "5:12",
                "protection_groups.app.tags.App",
                "the tag value is 257 characters long; DRS tag values have 0 to 256 characters",
            )],
        ),
        case(
            "an empty tag value is fine",
            "name: p\nprotection_groups:\n  app: {tags: {App: \"\"}}\nwaves: [{name: w, groups: [app]}]\n",
            &[],
        ),
    ]);
}

#[test]
fn references() {
    run(vec![
        case(
            "group target not defined",
            "name: p
targets:
  dr-east: {account_id: \"111122223333\", region: us-east-1}
protection_groups:
  db: {target: dr-west, servers: [s-1234567890abcdef0]}
waves: [{name: w, groups: [db]}]
",
            &[(
                "5:16",
                "protection_groups.db.target",
                "target `dr-west` is not defined; defined targets: `dr-east`",
            )],
        ),
        case(
            "group target without any targets",
            "name: p\nprotection_groups:\n  db: {target: dr, servers: [s-1234567890abcdef0]}\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "3:16",
                "protection_groups.db.target",
                "target `dr` is not defined: the plan has no `targets`; define it under `targets`, or remove `target`",
            )],
        ),
        case(
            "wave group not defined",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: [db, web]}}]\n"),
            &[(
                "3:32",
                "waves[0].groups[1]",
                "protection group `web` is not defined; defined groups: `db`",
            )],
        ),
    ]);
}

#[test]
fn nothing_is_launched_twice() {
    run(vec![
        case(
            "a server in two groups of one wave",
            "name: p
protection_groups:
  a: {servers: [s-1234567890abcdef0]}
  b: {servers: [s-1234567890abcdef1, s-1234567890abcdef0]}
waves: [{name: w, groups: [a, b]}]
",
            &[(
                "4:38",
                "protection_groups.b.servers[1]",
                "s-1234567890abcdef0 is already in group `a` (protection_groups.a.servers[0]); a source server can be in one group only",
            )],
        ),
        case(
            "a server in two waves",
            "name: p
protection_groups:
  a: {servers: [s-1234567890abcdef0]}
  b: {servers: [s-1234567890abcdef1, s-1234567890abcdef0]}
waves: [{name: one, groups: [a]}, {name: two, groups: [b]}]
",
            &[(
                "4:38",
                "protection_groups.b.servers[1]",
                "launched by wave `one`, while this group is launched by wave `two`: the server would be launched twice",
            )],
        ),
        case(
            "a group in two waves",
            "name: p
protection_groups: {db: {servers: [s-1234567890abcdef0]}}
waves: [{name: w1, groups: [db]}, {name: w2, groups: [db]}]
",
            &[(
                "3:55",
                "waves[1].groups[0]",
                "group `db` is already launched by wave `w1` (waves[0]); a group can be in one wave only",
            )],
        ),
        case(
            "a server twice in a group",
            "name: p\nprotection_groups: {db: {servers: [s-1234567890abcdef0, s-1234567890abcdef0]}}\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "2:57",
                "protection_groups.db.servers[1]",
                "s-1234567890abcdef0 is listed twice in this group (first at servers[0])",
            )],
        ),
        case(
            "a group twice in a wave",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: [db, db]}}]\n"),
            &[(
                "3:32",
                "waves[0].groups[1]",
                "group `db` is listed twice in this wave (first at groups[0])",
            )],
        ),
        case(
            "an optional server twice",
            format!(
                "name: p\n{GROUPS}waves: [{{name: w, groups: [db], optional_servers: [s-1234567890abcdef0, s-1234567890abcdef0]}}]\n"
            ),
            &[(
                "3:73",
                "waves[0].optional_servers[1]",
                "s-1234567890abcdef0 is listed twice in optional_servers",
            )],
        ),
        case(
            "two groups with the same tags in the same target",
            "name: p
protection_groups:
  app: {tags: {App: billing, Tier: app}}
  app2: {tags: {Tier: app, App: billing}}
waves: [{name: w, groups: [app, app2]}]
",
            &[(
                "4:10",
                "protection_groups.app2.tags",
                "group `app2` selects by the same tags as group `app` in the same target",
            )],
        ),
    ]);
}

#[test]
fn something_to_launch() {
    run(vec![
        case(
            "a group with no servers and no tags",
            "name: p\nprotection_groups:\n  db: {servers: [s-1234567890abcdef0]}\n  empty: {servers: []}\nwaves: [{name: w, groups: [db, empty]}]\n",
            &[(
                "4:3",
                "protection_groups.empty",
                "group `empty` selects no server: list source server IDs under `servers`, tags under `tags`, or both",
            )],
        ),
        case(
            "a wave that can select no server",
            "name: p\nprotection_groups:\n  a: {}\n  b: {tags: {}}\nwaves: [{name: w, groups: [a, b]}]\n",
            &[
                ("3:3", "protection_groups.a", "group `a` selects no server"),
                ("4:3", "protection_groups.b", "group `b` selects no server"),
                (
                    "5:9",
                    "waves[0]",
                    "wave `w` can select no server: its groups (`a`, `b`) list no servers and no tags",
                ),
            ],
        ),
        case(
            "more than 99 waves",
            hundred_waves(100),
            &[(
                "103:1",
                "waves",
                "the plan has 100 waves; at most 99 are allowed",
            )],
        ),
    ]);
}

#[test]
fn optional_servers() {
    run(vec![
        case(
            "not a server of its wave (IDs only)",
            format!(
                "name: p\n{GROUPS}waves: [{{name: w, groups: [db], optional_servers: [s-1234567890abcdef1]}}]\n"
            ),
            &[(
                "3:52",
                "waves[0].optional_servers[0]",
                "s-1234567890abcdef1 is not one of the servers this wave launches (`s-1234567890abcdef0`)",
            )],
        ),
        case(
            "launched by another wave, even when this one selects by tags",
            "name: p
protection_groups:
  db: {servers: [s-1234567890abcdef0]}
  app: {tags: {Tier: app}}
waves:
  - {name: one, groups: [db]}
  - {name: two, groups: [app], optional_servers: [s-1234567890abcdef0]}
",
            &[(
                "7:51",
                "waves[1].optional_servers[0]",
                "s-1234567890abcdef0 is launched by wave `one` (group `db`), not by this one",
            )],
        ),
        case(
            "not a server ID",
            format!(
                "name: p\n{GROUPS}waves: [{{name: w, groups: [db], optional_servers: [web-1]}}]\n"
            ),
            &[(
                "3:52",
                "waves[0].optional_servers[0]",
                "\"web-1\" is not a valid source server ID",
            )],
        ),
    ]);
}

#[test]
fn numbers() {
    let defaults = |body: &str| plan_with(&format!("defaults:\n  {body}\n"));
    run(vec![
        case(
            "check interval 0",
            defaults("check_interval_seconds: 0"),
            &[(
                "3:27",
                "defaults.check_interval_seconds",
                "0 is out of range; use a whole number of seconds from 1 to 900",
            )],
        ),
        case(
            "check interval 901",
            defaults("check_interval_seconds: 901"),
            &[(
                "3:27",
                "defaults.check_interval_seconds",
                "901 is out of range; use a whole number of seconds from 1 to 900",
            )],
        ),
        case(
            "wave timeout 0",
            defaults("wave_timeout_minutes: 0"),
            &[(
                "3:25",
                "defaults.wave_timeout_minutes",
                "use a whole number of minutes from 1 to 10080",
            )],
        ),
        case(
            "wave timeout over 7 days",
            defaults("wave_timeout_minutes: 10081"),
            &[(
                "3:25",
                "defaults.wave_timeout_minutes",
                "10081 is out of range",
            )],
        ),
        case(
            "drill cleanup over 30 days",
            defaults("drill_cleanup_after_hours: 721"),
            &[(
                "3:30",
                "defaults.drill_cleanup_after_hours",
                "use a whole number of hours from 0 to 720",
            )],
        ),
        case(
            "plan RTO 0",
            plan_with("rto_minutes: 0\n"),
            &[(
                "2:14",
                "rto_minutes",
                "0 is out of range; use a whole number of minutes from 1 to 10080",
            )],
        ),
        case(
            "wave RTO and timeout 0",
            format!(
                "name: p\n{GROUPS}waves: [{{name: w, groups: [db], rto_minutes: 0, timeout_minutes: 0}}]\n"
            ),
            &[
                ("3:46", "waves[0].rto_minutes", "0 is out of range"),
                ("3:66", "waves[0].timeout_minutes", "0 is out of range"),
            ],
        ),
        case(
            "negative",
            plan_with("rto_minutes: -5\n"),
            &[(
                "2:14",
                "rto_minutes",
                "-5 is out of range; use a whole number of minutes from 1 to 10080",
            )],
        ),
        case(
            "beyond 32 bits",
            plan_with("rto_minutes: 99999999999\n"),
            &[("2:14", "rto_minutes", "99999999999 is out of range")],
        ),
        case(
            "quoted number",
            plan_with("rto_minutes: \"60\"\n"),
            &[(
                "2:14",
                "rto_minutes",
                "expected a whole number of minutes from 1 to 10080, found the string \"60\"; remove the quotes",
            )],
        ),
        case(
            "fraction",
            plan_with("rto_minutes: 1.5\n"),
            &[(
                "2:14",
                "rto_minutes",
                "expected a whole number of minutes from 1 to 10080, found the number 1.5",
            )],
        ),
    ]);
}

#[test]
fn actions() {
    let wave = |actions: &str| {
        format!("name: p\n{GROUPS}waves:\n  - name: w\n    groups: [db]\n{actions}")
    };
    run(vec![
        case(
            "SSM document name",
            wave("    pre_actions:\n      - ssm_automation: {document: Check DB}\n"),
            &[(
                "7:36",
                "waves[0].pre_actions[0].ssm_automation.document",
                "\"Check DB\" is not a valid SSM document name: ' ' is not allowed",
            )],
        ),
        case(
            "SSM parameters",
            format!(
                "{}          parameters:\n            {}: [x]\n            Many: [{}]\n            Empty: [\"\"]\n",
                wave("    pre_actions:\n      - ssm_automation:\n          document: Check-DB\n"),
                "P".repeat(51),
                vec!["v"; 51].join(", ")
            ),
            &[
                (
                    "10:13",
                    Box::leak(
                        format!(
                            "waves[0].pre_actions[0].ssm_automation.parameters.{}",
                            "P".repeat(51)
                        )
                        .into_boxed_str(),
                    ),
                    "the parameter name is 51 characters long; SSM allows 1 to 50",
                ),
                (
                    "11:13",
                    "waves[0].pre_actions[0].ssm_automation.parameters.Many",
                    "the parameter has 51 values; SSM allows at most 50",
                ),
                (
                    "12:21",
                    "waves[0].pre_actions[0].ssm_automation.parameters.Empty[0]",
                    "the value is 0 characters long",
                ),
            ],
        ),
        case(
            "Lambda function ARN",
            wave(
                "    post_actions:\n      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:layer:x\"}\n",
            ),
            &[(
                "7:32",
                "waves[0].post_actions[0].lambda.function_arn",
                "it names a `layer`, not a `function`; expected arn:<partition>:lambda:<region>",
            )],
        ),
        case(
            "two kinds in one action",
            wave(
                "    post_actions:\n      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\"}\n        ssm_automation: {document: Check-DB}\n",
            ),
            &[(
                "8:9",
                "waves[0].post_actions[0].ssm_automation",
                "an action has one kind, but this one has `lambda` and `ssm_automation`; write two actions",
            )],
        ),
        case(
            "no kind",
            wave("    post_actions:\n      - {}\n"),
            &[(
                "7:9",
                "waves[0].post_actions[0]",
                "expected an action: a mapping with one key, `ssm_automation`, `lambda` or `wait`, found an empty mapping",
            )],
        ),
        case(
            "unknown kind",
            wave("    post_actions:\n      - step_function: {arn: x}\n"),
            &[(
                "7:9",
                "waves[0].post_actions[0].step_function",
                "unknown key \"step_function\"; allowed keys here: ssm_automation, lambda, wait",
            )],
        ),
        case(
            "missing document",
            wave("    post_actions:\n      - ssm_automation: {parameters: {}}\n"),
            &[(
                "7:25",
                "waves[0].post_actions[0].ssm_automation.document",
                "missing required key `document`",
            )],
        ),
        case(
            "every action key, limits inclusive, placeholders known",
            wave(concat!(
                "    pre_actions:\n",
                "      - ssm_automation:\n",
                "          document: Check-DB\n",
                "          document_version: \"$DEFAULT\"\n",
                "          parameters: {Run: [\"{{execution_id}}\", \"{{ wave }}/{{plan}}/{{mode}}\", \"{{ssm:/db/host}}\", \"{{source_server_ids}}\"]}\n",
                "          timeout_minutes: 1440\n",
                "          on_failure: continue\n",
                "      - wait: {minutes: 1440}\n",
                "    post_actions:\n",
                "      - wait: {minutes: 1}\n",
                "      - ssm_automation: {document: Check-DB, timeout_minutes: 1, parameters: {Ids: [\"{{ec2_instance_ids}}\"]}}\n",
                "      - lambda:\n",
                "          function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\"\n",
                "          payload: {ids: \"{{ec2_instance_ids}}\", deep: [{r: \"{{recovery_instance_ids}}\"}], n: 1.5, on: true, none: null}\n",
                "          timeout_minutes: 15\n",
                "          on_failure: fail\n",
            )),
            &[],
        ),
        case(
            "action timeouts and waits out of range",
            wave(concat!(
                "    pre_actions:\n",
                "      - ssm_automation: {document: Check-DB, timeout_minutes: 1441}\n",
                "      - wait: {minutes: 0}\n",
                "    post_actions:\n",
                "      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\", timeout_minutes: 16}\n",
            )),
            &[
                (
                    "7:63",
                    "waves[0].pre_actions[0].ssm_automation.timeout_minutes",
                    "1441 is out of range; use a whole number of minutes from 1 to 1440",
                ),
                (
                    "8:25",
                    "waves[0].pre_actions[1].wait.minutes",
                    "0 is out of range; use a whole number of minutes from 1 to 1440",
                ),
                (
                    "10:101",
                    "waves[0].post_actions[0].lambda.timeout_minutes",
                    "16 is out of range; use a whole number of minutes from 1 to 15",
                ),
            ],
        ),
        case(
            "unknown placeholder in an SSM parameter",
            wave(
                "    post_actions:\n      - ssm_automation:\n          document: Check-DB\n          parameters: {Run: [ok, \"id={{execution}}\"]}\n",
            ),
            &[(
                "9:34",
                "waves[0].post_actions[0].ssm_automation.parameters.Run[1]",
                "`{{execution}}` is not a placeholder; did you mean `{{execution_id}}`? placeholders: \
                 `{{execution_id}}`, `{{plan}}`, `{{mode}}`, `{{wave}}`, `{{source_server_ids}}`, \
                 `{{recovery_instance_ids}}`, `{{ec2_instance_ids}}`",
            )],
        ),
        case(
            "unknown placeholder deep in a Lambda payload",
            wave(
                "    post_actions:\n      - lambda:\n          function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\"\n          payload: {checks: [{url: \"https://{{ wav }}.example.com\"}]}\n",
            ),
            &[(
                "9:36",
                "waves[0].post_actions[0].lambda.payload.checks[0].url",
                "`{{wav}}` is not a placeholder; did you mean `{{wave}}`?",
            )],
        ),
        case(
            "instance IDs in pre-actions",
            wave(concat!(
                "    pre_actions:\n",
                "      - ssm_automation: {document: Check-DB, parameters: {Ids: [\"{{ec2_instance_ids}}\"]}}\n",
                "      - lambda:\n",
                "          function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\"\n",
                "          payload:\n",
                "            servers: \"{{source_server_ids}}\"\n",
                "            instances: \"{{recovery_instance_ids}}\"\n",
            )),
            &[
                (
                    "7:65",
                    "waves[0].pre_actions[0].ssm_automation.parameters.Ids[0]",
                    "`{{ec2_instance_ids}}` is not known in a pre-action: pre-actions run before \
                     the wave's servers are launched, so there are no instances yet; use it in \
                     `post_actions`",
                ),
                (
                    "12:24",
                    "waves[0].pre_actions[1].lambda.payload.instances",
                    "`{{recovery_instance_ids}}` is not known in a pre-action",
                ),
            ],
        ),
        case(
            "unclosed placeholder",
            wave(
                "    post_actions:\n      - ssm_automation: {document: Check-DB, parameters: {Plan: [\"{{plan\"]}}\n",
            ),
            &[(
                "7:66",
                "waves[0].post_actions[0].ssm_automation.parameters.Plan[0]",
                "`{{plan` opens a placeholder with `{{` but does not close it with `}}`",
            )],
        ),
        case(
            "on_failure",
            wave(concat!(
                "    post_actions:\n",
                "      - ssm_automation: {document: Check-DB, on_failure: contnue}\n",
                "      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\", on_failure: true}\n",
            )),
            &[
                (
                    "7:58",
                    "waves[0].post_actions[0].ssm_automation.on_failure",
                    "expected `fail` or `continue`, found the string \"contnue\"; did you mean `continue`?",
                ),
                (
                    "8:96",
                    "waves[0].post_actions[1].lambda.on_failure",
                    "expected `fail` or `continue`, found the boolean true",
                ),
            ],
        ),
        case(
            "wait without minutes",
            wave("    post_actions:\n      - wait: {seconds: 30}\n      - wait: 5\n"),
            &[
                (
                    "7:15",
                    "waves[0].post_actions[0].wait.minutes",
                    "missing required key `minutes`",
                ),
                (
                    "7:16",
                    "waves[0].post_actions[0].wait.seconds",
                    "unknown key \"seconds\"; allowed keys here: minutes",
                ),
                (
                    "8:15",
                    "waves[0].post_actions[1].wait",
                    "expected a wait: a mapping with `minutes`, found the number 5",
                ),
            ],
        ),
        case(
            "document versions",
            wave(concat!(
                "    pre_actions:\n",
                "      - ssm_automation: {document: Check-DB, document_version: 3}\n",
                "      - ssm_automation: {document: Check-DB, document_version: latest}\n",
            )),
            &[
                (
                    "7:64",
                    "waves[0].pre_actions[0].ssm_automation.document_version",
                    "expected a string, found the number 3; quote it: \"3\"",
                ),
                (
                    "8:64",
                    "waves[0].pre_actions[1].ssm_automation.document_version",
                    "\"latest\" is not a valid SSM document version; expected $LATEST, $DEFAULT or a version number",
                ),
            ],
        ),
        case(
            "payloads",
            wave(concat!(
                "    post_actions:\n",
                "      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\", payload: [x]}\n",
                "      - lambda: {function_arn: \"arn:aws:lambda:us-east-1:111122223333:function:x\", payload: {ratio: .inf}, timeout_minute: 5}\n",
            )),
            &[
                (
                    "7:84",
                    "waves[0].post_actions[0].lambda.payload",
                    "expected a mapping of field names to values, like { check: full }, found a list",
                ),
                (
                    "8:101",
                    "waves[0].post_actions[1].lambda.payload.ratio",
                    "the number .inf has no JSON form",
                ),
                (
                    "8:108",
                    "waves[0].post_actions[1].lambda.timeout_minute",
                    "unknown key \"timeout_minute\"; did you mean `timeout_minutes`? allowed keys here: \
                     function_arn, payload, timeout_minutes, on_failure",
                ),
            ],
        ),
    ]);
}

#[test]
fn keys_and_types() {
    run(vec![
        case(
            "unknown key, with a suggestion",
            plan_with("rto_minute: 60\n"),
            &[(
                "2:1",
                "rto_minute",
                "unknown key \"rto_minute\"; did you mean `rto_minutes`? allowed keys here: name, description, rto_minutes, allow_concurrent_executions, allow_self_approval, defaults, targets, protection_groups, waves",
            )],
        ),
        case(
            "unknown key in a wave",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: [db], pause: true}}]\n"),
            &[(
                "3:33",
                "waves[0].pause",
                "unknown key \"pause\"; allowed keys here: name, groups, rto_minutes, timeout_minutes, pause_before, optional_servers, pre_actions, post_actions",
            )],
        ),
        case(
            "unknown key in a group and a target",
            "name: p
targets: {dr: {account_id: \"111122223333\", region: us-east-1, profile: x}}
protection_groups: {db: {servers: [s-1234567890abcdef0], tag: {a: b}}}
waves: [{name: w, groups: [db]}]
",
            &[
                (
                    "2:63",
                    "targets.dr.profile",
                    "allowed keys here: account_id, region, role_arn, external_id",
                ),
                (
                    "3:58",
                    "protection_groups.db.tag",
                    "did you mean `tags`? allowed keys here: target, servers, tags",
                ),
            ],
        ),
        case(
            "unknown key in defaults",
            plan_with("defaults: {check_interval: 30}\n"),
            &[(
                "2:12",
                "defaults.check_interval",
                "allowed keys here: check_interval_seconds, wave_timeout_minutes, drill_cleanup_after_hours",
            )],
        ),
        case(
            "a number where a string is expected",
            plan_with("targets: {dr: {account_id: 012345678901, region: us-east-1}}\n"),
            &[(
                "2:28",
                "targets.dr.account_id",
                "expected a string of 12 digits, found the number 012345678901; quote it: \"012345678901\"",
            )],
        ),
        case(
            "a string where true or false is expected",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: [db], pause_before: yes}}]\n"),
            &[(
                "3:47",
                "waves[0].pause_before",
                "expected true or false, found the string \"yes\"",
            )],
        ),
        case(
            "a string where a list is expected",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: db}}]\n"),
            &[(
                "3:27",
                "waves[0].groups",
                "expected a list of protection group names, found the string \"db\"; write a list, like [db]",
            )],
        ),
        case(
            "nothing where a list is expected",
            "name: p\nprotection_groups:\n  db:\n    servers:\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "4:5",
                "protection_groups.db.servers",
                "expected a list of source server IDs, found nothing (null)",
            )],
        ),
        case(
            "a list where a mapping is expected",
            "name: p\nprotection_groups: [db]\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "2:1",
                "protection_groups",
                "expected a mapping of protection group names to groups, found a list",
            )],
        ),
        case(
            "a list item of the wrong type",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: [db, [x]]}}]\n"),
            &[(
                "3:32",
                "waves[0].groups[1]",
                "expected a protection group name, found a list",
            )],
        ),
        case(
            "the plan is not a mapping",
            "- name: p\n",
            &[(
                "1:1",
                "",
                "expected a plan: a mapping with `name`, `protection_groups` and `waves`, found a list",
            )],
        ),
        case(
            "missing required keys",
            "description: nothing else\n",
            &[
                ("1:1", "name", "missing required key `name`"),
                (
                    "1:1",
                    "protection_groups",
                    "missing required key `protection_groups`",
                ),
                ("1:1", "waves", "missing required key `waves`"),
            ],
        ),
        case(
            "missing required keys of a wave and a target",
            "name: p\ntargets:\n  dr: {region: us-east-1}\nprotection_groups: {db: {target: dr, servers: [s-1234567890abcdef0]}}\nwaves:\n  - groups: [db]\n",
            &[
                (
                    "3:7",
                    "targets.dr.account_id",
                    "missing required key `account_id`",
                ),
                ("6:5", "waves[0].name", "missing required key `name`"),
            ],
        ),
        case(
            "duplicate keys",
            "name: p\nname: q\nprotection_groups:\n  db: {servers: [s-1234567890abcdef0]}\n  db: {servers: [s-1234567890abcdef1]}\nwaves: [{name: w, groups: [db]}]\n",
            &[
                (
                    "2:1",
                    "name",
                    "duplicate key \"name\": it is already set at line 1, column 1",
                ),
                (
                    "5:3",
                    "protection_groups.db",
                    "duplicate key \"db\": it is already set at line 4, column 3",
                ),
            ],
        ),
        case(
            "YAML syntax error",
            "name: p\nwaves: [\n",
            &[("3:1", "", "invalid YAML: ")],
        ),
    ]);
}

/// A value that cannot be decoded holds a placeholder: the rules stay silent about it, and
/// about what was drawn from it, rather than repeat the error or judge the placeholder.
#[test]
fn broken_values_are_reported_once() {
    run(vec![
        case(
            "groups of the wrong type: no 'selects no server' on top",
            format!("name: p\n{GROUPS}waves: [{{name: w, groups: {{db: 1}}}}]\n"),
            &[(
                "3:19",
                "waves[0].groups",
                "expected a list of protection group names, found a mapping",
            )],
        ),
        case(
            "protection groups missing: no 'not defined' for every wave",
            "name: p\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "1:1",
                "protection_groups",
                "missing required key `protection_groups`",
            )],
        ),
        case(
            "a group's servers of the wrong type: the wave is not said to select nothing",
            "name: p\nprotection_groups: {db: {servers: s-1234567890abcdef0}}\nwaves: [{name: w, groups: [db]}]\n",
            &[(
                "2:35",
                "protection_groups.db.servers",
                "expected a list of source server IDs, found the string \"s-1234567890abcdef0\"; write a list, like [s-1234567890abcdef0]",
            )],
        ),
        case(
            "an account of the wrong type: the role's account is not compared with it",
            plan_with(
                "targets: {dr: {account_id: 444455556666, region: us-east-1, role_arn: \"arn:aws:iam::111122223333:role/x\"}}\n",
            ),
            &[(
                "2:28",
                "targets.dr.account_id",
                "quote it: \"444455556666\"",
            )],
        ),
        case(
            "a wave that is not a mapping",
            format!("name: p\n{GROUPS}waves: [database]\n"),
            &[(
                "3:9",
                "waves[0]",
                "expected a wave: a mapping with `name` and `groups`, found the string \"database\"",
            )],
        ),
    ]);
}

#[test]
fn json_plans_get_the_same_problems_with_json_positions() {
    run(vec![
        case(
            "valid JSON",
            r#"{"name": "p", "protection_groups": {"db": {"servers": ["s-1234567890abcdef0"]}}, "waves": [{"name": "w", "groups": ["db"]}]}"#,
            &[],
        ),
        case(
            "rules, types and keys",
            r#"{
  "name": "P",
  "protection_groups": {
    "db": {"servers": ["s-1234567890abcdef0", "s-12"]}
  },
  "waves": [
    {"name": "w", "groups": ["db", "web"], "pause_before": "yes", "colour": 1}
  ],
  "rto_minutes": "60"
}
"#,
            &[
                ("2:11", "name", "\"P\" is not a valid plan name"),
                (
                    "4:47",
                    "protection_groups.db.servers[1]",
                    "it has 2 hex digits after `s-`, not 17",
                ),
                (
                    "7:36",
                    "waves[0].groups[1]",
                    "protection group `web` is not defined; defined groups: `db`",
                ),
                (
                    "7:60",
                    "waves[0].pause_before",
                    "expected true or false, found the string \"yes\"",
                ),
                ("7:67", "waves[0].colour", "unknown key \"colour\""),
                ("9:18", "rto_minutes", "remove the quotes"),
            ],
        ),
        case(
            "duplicate keys",
            "{\"name\": \"p\", \"name\": \"q\"}",
            &[
                (
                    "1:1",
                    "protection_groups",
                    "missing required key `protection_groups`",
                ),
                ("1:1", "waves", "missing required key `waves`"),
                (
                    "1:15",
                    "name",
                    "duplicate key \"name\": it is already set at line 1, column 2",
                ),
            ],
        ),
        case(
            "syntax error",
            "{\n  \"name\": \"p\",\n  \"waves\": [1, 2,]\n}",
            &[("3:18", "", "invalid JSON: trailing comma")],
        ),
        case(
            "the file name does not matter, the first character does",
            "\n\n   {\"name\": 1}",
            &[
                ("3:4", "protection_groups", "missing required key"),
                ("3:4", "waves", "missing required key"),
                ("3:13", "name", "expected a string, found the number 1"),
            ],
        ),
    ]);
}
