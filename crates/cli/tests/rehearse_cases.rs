//! `drsctl rehearse` gives the right final status for the end-to-end cases that a plan and a
//! scenario file express (tests/README.md): the real binary, run as a user runs it, on the
//! fixtures of `tests/fixtures/` (moto and drs-sim started by the command itself). The exit
//! status and the `--json` report are checked; the e2e package checks the same cases in depth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;

/// A rehearsal that runs longer than this (real seconds) fails: a hang ends fast.
const TIMEOUT_SECONDS: &str = "90";

/// `drsctl rehearse --plan tests/fixtures/plans/PLAN --scenario tests/fixtures/scenarios/SCENARIO
/// --json`: its exit code and its report.
fn rehearse(plan: &str, scenario: &str) -> (i32, Value) {
    let run = support::drsctl(&[
        "rehearse",
        "--plan",
        &format!("tests/fixtures/plans/{plan}"),
        "--scenario",
        &format!("tests/fixtures/scenarios/{scenario}"),
        "--timeout",
        TIMEOUT_SECONDS,
        "--json",
    ]);
    (run.code, run.json())
}

fn wave_statuses(report: &Value) -> Vec<&str> {
    report["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect()
}

fn servers(report: &Value) -> Vec<&Value> {
    report["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["servers"].as_array().unwrap())
        .collect()
}

#[test]
fn case_01_three_waves_launched_exit_0_completed() {
    let (code, report) = rehearse("three-tier.yaml", "three-tier.yaml");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(wave_statuses(&report), ["SUCCEEDED"; 3]);
    assert_eq!(report["totals"]["launched"], 8, "{}", report["totals"]);
    assert_eq!(report["totals"]["jobs"], 3, "{}", report["totals"]);
    for server in servers(&report) {
        assert_eq!(server["launch_status"], "LAUNCHED", "{server}");
        assert!(server["recovery_instance_id"].is_string(), "{server}");
    }
}

#[test]
fn case_02_a_critical_server_failing_exit_1_failed_before_wave_3() {
    let (code, report) = rehearse("three-tier.yaml", "critical-failure.yaml");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["status"], "FAILED");
    assert_eq!(wave_statuses(&report), ["SUCCEEDED", "FAILED", "PENDING"]);
    assert!(report["waves"][2]["job_ids"].as_array().unwrap().is_empty());
    let failed = servers(&report)
        .into_iter()
        .find(|s| s["id"] == "s-e2e00000000000a02")
        .unwrap();
    assert_eq!(failed["launch_status"], "FAILED", "{failed}");
    assert_eq!(failed["optional"], false, "{failed}");
}

#[test]
fn case_03_an_optional_server_failing_exit_0_completed_with_it_failed() {
    let (code, report) = rehearse("three-tier.yaml", "optional-failure.yaml");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(wave_statuses(&report), ["SUCCEEDED"; 3]);
    let batch = servers(&report)
        .into_iter()
        .find(|s| s["id"] == "s-e2e00000000000b0a")
        .unwrap();
    assert_eq!(batch["launch_status"], "FAILED", "{batch}");
    assert_eq!(batch["optional"], true, "{batch}");
    assert_eq!(report["totals"]["launched"], 7, "{}", report["totals"]);
}

#[test]
fn case_04_a_wave_over_its_timeout_exit_1_timed_out() {
    let (code, report) = rehearse("short-timeout.yaml", "slow-launch.yaml");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["status"], "TIMED_OUT");
    assert_eq!(wave_statuses(&report), ["TIMED_OUT", "PENDING"]);
}

#[test]
fn case_05_a_wave_of_250_servers_exit_0_in_at_least_3_jobs() {
    let (code, report) = rehearse("large-wave.yaml", "large-wave.yaml");
    assert_eq!(code, 0, "{}", report["totals"]);
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(report["totals"]["launched"], 250, "{}", report["totals"]);
    let jobs = report["waves"][0]["job_ids"].as_array().unwrap().len();
    assert!(jobs >= 3, "{jobs} jobs");
    let mut per_job = std::collections::BTreeMap::<&str, usize>::new();
    for server in servers(&report) {
        *per_job
            .entry(server["job_id"].as_str().unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_job.len(), jobs);
    assert!(per_job.values().all(|n| *n <= 100), "{per_job:?}");
}

#[test]
fn case_09_a_throttling_storm_exit_0_completed() {
    let (code, report) = rehearse("three-tier.yaml", "throttled.yaml");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(report["totals"]["launched"], 8, "{}", report["totals"]);
    assert_eq!(report["totals"]["jobs"], 8, "one server per job");
}

#[test]
fn case_10_dropped_launch_events_exit_0_completed() {
    let (code, report) = rehearse("three-tier.yaml", "dropped-events.yaml");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(report["totals"]["launched"], 20, "{}", report["totals"]);
}
