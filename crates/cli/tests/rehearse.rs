//! `drsctl rehearse`, run as a user runs it: moto and drs-sim started by the command, the
//! example plan and scenarios, the exit status and the JSON report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::{Run, Scratch, drsctl};

fn rehearse_json(scenario: &str) -> (Run, Value) {
    let run = drsctl(&[
        "rehearse",
        "--plan",
        "examples/plans/billing.yaml",
        "--scenario",
        scenario,
        "--json",
    ]);
    let report = run.json();
    (run, report)
}

fn ids(wave: &Value) -> Vec<&str> {
    wave["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

#[test]
fn the_three_tier_drill_completes_with_a_full_json_report() {
    let (run, report) = rehearse_json("examples/scenarios/three-tier.yaml");
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(report["plan"], "billing");
    assert_eq!(report["mode"], "drill");
    assert_eq!(report["requested_by"], "drsctl rehearse");
    assert_eq!(report["rto_minutes"], 60);
    assert_eq!(report["rto_met"], true);
    assert!(
        report["execution_id"]
            .as_str()
            .unwrap()
            .starts_with("rehearsal-")
    );
    assert!(report["ended_at"].is_string());
    assert!(report["duration_seconds"].as_i64().unwrap() > 0);

    let waves = report["waves"].as_array().unwrap();
    let names: Vec<&str> = waves.iter().map(|w| w["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["database", "application", "web"]);
    assert_eq!(
        ids(&waves[0]),
        ["s-1234567890abcdef0", "s-1234567890abcdef1"]
    );
    assert_eq!(
        ids(&waves[1]),
        [
            "s-00000000000000a0a",
            "s-1234567890abcdea1",
            "s-1234567890abcdea2"
        ]
    );
    assert_eq!(
        ids(&waves[2]),
        [
            "s-1234567890abcdeb1",
            "s-1234567890abcdeb2",
            "s-1234567890abcdeb3",
            "s-1234567890abcdeb4"
        ]
    );
    let mut previous_end = String::new();
    for wave in waves {
        assert_eq!(wave["status"], "SUCCEEDED", "{wave}");
        let start = wave["started_at"].as_str().unwrap();
        let end = wave["ended_at"].as_str().unwrap();
        assert!(start < end, "{wave}");
        assert!(previous_end.as_str() <= start, "waves overlap: {wave}");
        previous_end = end.to_owned();
        let jobs = wave["job_ids"].as_array().unwrap();
        assert_eq!(jobs.len(), 1, "{wave}");
        assert!(jobs[0].as_str().unwrap().starts_with("drsjob-"));
        for server in wave["servers"].as_array().unwrap() {
            assert_eq!(server["launch_status"], "LAUNCHED", "{server}");
            assert_eq!(server["outcome"], "LAUNCHED", "{server}");
            assert_eq!(server["target"], "dr-east", "{server}");
            assert_eq!(server["job_id"], jobs[0], "{server}");
            assert!(
                server["recovery_instance_id"]
                    .as_str()
                    .unwrap()
                    .starts_with("i-"),
                "{server}"
            );
            assert!(
                server["seconds_to_launch"].as_i64().unwrap() > 0,
                "{server}"
            );
            let optional = server["id"] == "s-00000000000000a0a";
            assert_eq!(server["optional"], optional, "{server}");
        }
    }
    assert_eq!(waves[0]["rto_minutes"], 20);
    assert_eq!(waves[0]["rto_met"], true);
    assert_eq!(waves[1]["approved_by"], "drsctl rehearse (auto-approve)");
    assert_eq!(report["totals"]["launched"], 9);
    assert_eq!(report["totals"]["jobs"], 3);
    // Progress went to standard error, as plain lines (not a terminal here).
    assert!(run.stderr.contains("wave 3/3 web"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no terminal escapes in a pipe"
    );
}

#[test]
fn a_failing_critical_server_fails_the_drill_with_exit_1() {
    let (run, report) = rehearse_json("examples/scenarios/failing-server.yaml");
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert_eq!(report["status"], "FAILED");
    let waves = report["waves"].as_array().unwrap();
    let statuses: Vec<&str> = waves
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["SUCCEEDED", "FAILED", "PENDING"]);
    assert!(
        waves[1]["failure"]
            .as_str()
            .unwrap()
            .contains("s-1234567890abcdea2")
    );
    assert!(waves[2]["job_ids"].as_array().unwrap().is_empty());
    assert!(waves[2]["servers"].as_array().unwrap().is_empty());
    assert!(run.stderr.contains("ended FAILED"), "{}", run.stderr);
}

#[test]
fn the_report_table_explains_failures() {
    let run = drsctl(&[
        "rehearse",
        "--plan",
        "examples/plans/billing.yaml",
        "--scenario",
        "examples/scenarios/failing-server.yaml",
        "--time-scale",
        "120",
    ]);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let table = &run.stdout;
    assert!(table.contains("of plan billing (drill): FAILED"), "{table}");
    let wave_line = table
        .lines()
        .find(|l| l.starts_with("2 application  FAILED"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(wave_line.contains("drsjob-"), "{wave_line}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("3 web") && l.contains("NOT_STARTED")),
        "{table}"
    );
    let app_2 = table
        .lines()
        .find(|l| l.contains("s-1234567890abcdea2") && l.contains("billing-app-2"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        app_2.contains("FAILED") && app_2.contains("critical"),
        "{app_2}"
    );
    let batch = table
        .lines()
        .find(|l| l.contains("billing-batch"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        batch.contains("FAILED") && batch.contains("optional"),
        "{batch}"
    );
    assert!(
        table.contains("s-1234567890abcdea2: CONVERSION_FAIL: Failed to detach volume"),
        "{table}"
    );
}

#[test]
fn never_approving_ends_paused_with_exit_1() {
    let run = drsctl(&[
        "rehearse",
        "--plan",
        "examples/plans/billing.yaml",
        "--scenario",
        "examples/scenarios/three-tier.yaml",
        "--time-scale",
        "120",
        "--approve",
        "never",
        "--json",
    ]);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "AWAITING_APPROVAL");
    assert_eq!(report["waves"][1]["status"], "AWAITING_APPROVAL");
    assert!(
        run.stderr
            .contains("paused before wave 2 (application), waiting for an approval"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_exits_2_with_located_errors_before_starting_anything() {
    let dir = Scratch::new("rehearse");
    let plan = dir.write(
        "bad-plan.yaml",
        "name: Billing\nprotection_groups: {}\nwaves:\n  - name: db\n    groups: [nothing]\n",
    );
    let plan = plan.as_str();
    let run = drsctl(&[
        "rehearse",
        "--plan",
        plan,
        "--scenario",
        "examples/scenarios/three-tier.yaml",
    ]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.starts_with(&format!("{plan}:1:7: name: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!("{plan}:5:")), "{}", run.stderr);
    assert!(!run.stderr.contains("starting moto"), "{}", run.stderr);

    let scenario = dir.write("bad-scenario.yaml", "clock: { time_scale: fast }\n");
    let scenario = scenario.as_str();
    let run = drsctl(&[
        "rehearse",
        "--plan",
        "examples/plans/billing.yaml",
        "--scenario",
        scenario,
    ]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("{scenario}:1:22: clock.time_scale: ")),
        "{}",
        run.stderr
    );

    let run = drsctl(&[
        "rehearse",
        "--plan",
        "examples/plans/billing.yaml",
        "--scenario",
        "examples/scenarios/three-tier.yaml",
        "--time-scale",
        "0",
    ]);
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("expected a positive number"),
        "{}",
        run.stderr
    );
}
