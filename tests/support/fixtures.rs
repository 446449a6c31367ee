//! The plans and drs-sim scenarios of `tests/fixtures/` (also used by `drsctl rehearse` in
//! `crates/cli/tests/rehearse_cases.rs`).

use std::path::PathBuf;

use drs_sim::Scenario;
use plan::Plan;

/// `tests/fixtures/<relative>`.
pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative)
}

/// The plan `tests/fixtures/plans/<name>`, parsed and validated.
pub fn plan(name: &str) -> Plan {
    let path = fixture_path(&format!("plans/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    plan::parse(&text)
        .unwrap_or_else(|problems| panic!("{} is not a valid plan:\n{problems}", path.display()))
}

/// The scenario `tests/fixtures/scenarios/<name>`, moved into DRS account `account`.
///
/// Cases share one moto, and drs-sim sends each Launch Result event to its server's account,
/// where every stack's EventBridge rule (`source: aws.drs`) picks it up: cases in the same
/// account would receive each other's events. One account per case keeps them apart.
pub fn scenario(name: &str, account: &str) -> Scenario {
    let path = fixture_path(&format!("scenarios/{name}"));
    let mut scenario = Scenario::from_file(&path).unwrap_or_else(|errors| {
        panic!(
            "{} is not a valid scenario:\n{}",
            path.display(),
            errors.lines().join("\n")
        )
    });
    in_account(&mut scenario, account);
    scenario
}

/// Moves the scenario's first account, and every server in it, to `account`.
fn in_account(scenario: &mut Scenario, account: &str) {
    let Some(first) = scenario.accounts.first_mut() else {
        panic!("the scenario has no account to move");
    };
    let old = std::mem::replace(&mut first.id, account.to_owned());
    for server in &mut scenario.servers {
        if server.account == old {
            server.account = account.to_owned();
        }
    }
}
