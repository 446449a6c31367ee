//! `drsctl schedule create|list|delete`, run as a user runs them, against moto.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use aws_adapters::scheduler::Schedules;
use engine::Mode;
use pipeline::message::{Message, PlanSource, QueueName, decode};
use support::{Run, Stack, config, drsctl_at, moto, runtime, unique};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/drs-orchestrator/scheduler";
/// Nothing listens here: a command that reaches it fails with exit status 1, not 2.
const NOWHERE: &str = "http://127.0.0.1:9";

/// A stack of its own (queues, tables, topic and the schedule group).
fn stack(test: &str) -> Stack {
    let stack = Stack::create("cli", test);
    runtime().block_on(async {
        Schedules::new(&config().await, &stack.prefix)
            .ensure_group()
            .await
            .unwrap();
    });
    stack
}

/// `drsctl schedule ARGS` on the stack under `prefix` behind `endpoint`.
fn drsctl(endpoint: &str, prefix: &str, args: &[&str]) -> Run {
    drsctl_at(prefix, endpoint, &[&["schedule"], args].concat())
}

fn at_moto(stack: &Stack, args: &[&str]) -> Run {
    drsctl(&moto().endpoint_url(), &stack.prefix, args)
}

/// `NAME EXPRESSION TIMEZONE plan=P mode=M STATE` → its fields.
fn fields(line: &str) -> Vec<&str> {
    line.split('\t').collect()
}

/// The schedule as moto holds it: its target input, decoded.
fn stored_request(stack: &Stack, name: &str) -> (Message, aws_sdk_scheduler::types::Target) {
    runtime().block_on(async {
        let config = config().await;
        let client = aws_sdk_scheduler::Client::new(config.sdk());
        let schedule = client
            .get_schedule()
            .group_name(&stack.prefix)
            .name(name)
            .send()
            .await
            .unwrap();
        let target = schedule.target.unwrap();
        (decode(target.input.as_deref().unwrap()).unwrap(), target)
    })
}

#[test]
fn cron_rate_and_at_schedules_are_created_listed_and_deleted() {
    let stack = stack("crud");
    let cron = at_moto(
        &stack,
        &[
            "create",
            "billing",
            "--cron",
            "0 6 1 */3 ? *",
            "--timezone",
            "Europe/Paris",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(cron.code, 0, "{}", cron.stderr);
    let cron_line = fields(cron.stdout.trim_end());
    assert_eq!(
        cron_line[1..],
        [
            "cron(0 6 1 */3 ? *)",
            "Europe/Paris",
            "plan=billing",
            "mode=drill",
            "ENABLED"
        ]
    );
    let cron_name = cron_line[0].to_owned();
    assert!(cron_name.starts_with("billing-drill-"), "{cron_name}");

    let rate = at_moto(
        &stack,
        &[
            "create",
            "billing",
            "--rate",
            "7 days",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(rate.code, 0, "{}", rate.stderr);
    let at = at_moto(
        &stack,
        &[
            "create",
            "payroll",
            "--at",
            "2026-12-01T06:00:00",
            "--mode",
            "recovery",
            "--confirm",
            "RECOVERY",
            "--name",
            "payroll-cutover",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(at.code, 0, "{}", at.stderr);
    assert!(at.stdout.starts_with("payroll-cutover\t"), "{}", at.stdout);

    let list = at_moto(&stack, &["list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let mut lines: Vec<Vec<&str>> = list.stdout.lines().map(fields).collect();
    lines.sort();
    assert_eq!(lines.len(), 3, "{}", list.stdout);
    let by_expression = |expression: &str| {
        lines
            .iter()
            .find(|l| l[1] == expression)
            .unwrap_or_else(|| panic!("no {expression} in {}", list.stdout))
            .clone()
    };
    assert_eq!(
        by_expression("rate(7 days)")[2..5],
        ["UTC", "plan=billing", "mode=drill"]
    );
    assert_eq!(
        by_expression("at(2026-12-01T06:00:00)")[..5],
        [
            "payroll-cutover",
            "at(2026-12-01T06:00:00)",
            "UTC",
            "plan=payroll",
            "mode=recovery"
        ]
    );

    let billing = at_moto(&stack, &["list", "--plan", "billing"]);
    assert_eq!(billing.code, 0, "{}", billing.stderr);
    assert_eq!(billing.stdout.lines().count(), 2, "{}", billing.stdout);
    assert!(
        billing
            .stdout
            .lines()
            .all(|l| l.contains("\tplan=billing\t"))
    );

    // What the schedule will send is the start queue's own message, for the right queue.
    let (message, target) = stored_request(&stack, "payroll-cutover");
    assert_eq!(target.arn, stack.created.queue_arns[&QueueName::Start]);
    assert_eq!(target.role_arn, ROLE_ARN);
    let Message::StartExecution {
        plan,
        mode,
        confirm,
        ..
    } = message
    else {
        panic!("not a start request");
    };
    assert_eq!(
        plan,
        PlanSource::Stored {
            plan_name: "payroll".to_owned()
        }
    );
    assert_eq!(
        (mode, confirm.as_deref()),
        (Mode::Recovery, Some("RECOVERY"))
    );

    for name in [cron_name.as_str(), "payroll-cutover"] {
        let deleted = at_moto(&stack, &["delete", name]);
        assert_eq!(deleted.code, 0, "{}", deleted.stderr);
        assert_eq!(deleted.stdout.trim(), format!("deleted {name}"));
    }
    let left = at_moto(&stack, &["list"]);
    assert_eq!(left.stdout.lines().count(), 1, "{}", left.stdout);
    assert!(left.stdout.contains("rate(7 days)"), "{}", left.stdout);

    let again = at_moto(&stack, &["delete", "payroll-cutover"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("no schedule `payroll-cutover`"),
        "{}",
        again.stderr
    );
}

#[test]
fn the_same_schedule_twice_is_refused() {
    let stack = stack("twice");
    let args = [
        "create",
        "billing",
        "--rate",
        "1 day",
        "--role-arn",
        ROLE_ARN,
    ];
    assert_eq!(at_moto(&stack, &args).code, 0);
    let again = at_moto(&stack, &args);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(at_moto(&stack, &["list"]).stdout.lines().count(), 1);
}

#[test]
fn bad_input_exits_2_before_any_aws_call() {
    // NOWHERE would make any AWS call fail with exit status 1.
    let cases: [(&[&str], &str); 8] = [
        (&["--cron", "0 6 1 * *"], "6 fields"),
        (&["--cron", "0 6 1 * MON *"], "exactly one of day-of-month"),
        (&["--cron", "0 25 ? * MON *"], "hours field `25`"),
        (&["--rate", "7"], "VALUE UNIT"),
        (&["--rate", "2 weeks"], "unit `weeks`"),
        (&["--at", "2026-12-01 06:00"], "yyyy-mm-ddThh:mm:ss"),
        (
            &["--rate", "7 days", "--mode", "recovery"],
            "--confirm RECOVERY",
        ),
        (
            &["--rate", "7 days", "--timezone", "Mars/Olympus"],
            "--timezone",
        ),
    ];
    for (options, expected) in cases {
        if options.contains(&"--timezone") && jiff::tz::db().is_definitively_empty() {
            continue; // no time zone database here: the zone is left to Scheduler
        }
        let mut args = vec!["create", "billing", "--role-arn", ROLE_ARN];
        args.extend_from_slice(options);
        let run = drsctl(NOWHERE, "drs-orchestrator", &args);
        assert_eq!(run.code, 2, "{options:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{options:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{options:?}: {}", run.stdout);
    }
    let wrong_confirm = drsctl(
        NOWHERE,
        "drs-orchestrator",
        &[
            "create",
            "billing",
            "--rate",
            "7 days",
            "--mode",
            "recovery",
            "--confirm",
            "yes",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(wrong_confirm.code, 2, "{}", wrong_confirm.stderr);
    let bad_plan = drsctl(
        NOWHERE,
        "drs-orchestrator",
        &[
            "create",
            "Billing!",
            "--rate",
            "7 days",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(bad_plan.code, 2, "{}", bad_plan.stderr);
    assert!(bad_plan.stderr.contains("PLAN"), "{}", bad_plan.stderr);
    // Two expressions, or none: clap refuses them (exit status 2).
    for options in [
        &["--rate", "7 days", "--at", "2026-12-01T06:00:00"][..],
        &[][..],
    ] {
        let mut args = vec!["create", "billing", "--role-arn", ROLE_ARN];
        args.extend_from_slice(options);
        let run = drsctl(NOWHERE, "drs-orchestrator", &args);
        assert_eq!(run.code, 2, "{options:?}: {}", run.stderr);
    }
    // And the same valid command does reach AWS: NOWHERE makes it fail with 1.
    let valid = drsctl(
        NOWHERE,
        "drs-orchestrator",
        &[
            "create",
            "billing",
            "--rate",
            "7 days",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(valid.code, 1, "{}", valid.stderr);
}

#[test]
fn a_wrong_prefix_names_the_missing_group() {
    let prefix = format!("missing-{}", unique());
    let endpoint = moto().endpoint_url();
    let run = drsctl(&endpoint, &prefix, &["list"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("schedule group `{prefix}` not found")),
        "{}",
        run.stderr
    );
    let create = drsctl(
        &endpoint,
        &prefix,
        &[
            "create",
            "billing",
            "--rate",
            "7 days",
            "--role-arn",
            ROLE_ARN,
        ],
    );
    assert_eq!(create.code, 1);
    assert!(create.stderr.contains("not found"), "{}", create.stderr);
}

#[test]
fn create_requires_the_scheduler_role() {
    // The stack's Scheduler role has a generated name: there is no default to fall back on.
    let run = drsctl(
        NOWHERE,
        "drs-orchestrator",
        &["create", "billing", "--rate", "7 days"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--role-arn <ARN>"), "{}", run.stderr);
    let help = drsctl(NOWHERE, "drs-orchestrator", &["create", "--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(help.stdout.contains("SchedulerRoleArn"), "{}", help.stdout);
}
