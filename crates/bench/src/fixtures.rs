//! The benchmark's plans and DRS scenario (`crates/bench/fixtures/`).

use std::path::{Path, PathBuf};

use drs_sim::Scenario;
use plan::Plan;

use crate::error::BenchError;

/// The 1,000-server scenario: ten tagged groups of 100, every launch succeeds.
pub const FLEET_SCENARIO: &str = "fleet.yaml";
/// The same servers with launches of 5-11 s, for the scale-1 transition probe.
pub const FLEET_QUICK_SCENARIO: &str = "fleet-quick.yaml";
/// Ten waves of 100 servers.
pub const TEN_WAVES_PLAN: &str = "ten-waves.yaml";
/// One wave of 1,000 servers.
pub const ONE_WAVE_PLAN: &str = "one-wave.yaml";

/// The fixtures directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The plan in fixture `name`.
pub fn plan(name: &str) -> Result<Plan, BenchError> {
    let path = dir().join(name);
    let fixture = |message: String| BenchError::Fixture {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| fixture(e.to_string()))?;
    plan::parse(&text).map_err(|e| fixture(e.to_string()))
}

/// The scenario in fixture `name`.
pub fn scenario(name: &str) -> Result<Scenario, BenchError> {
    let path = dir().join(name);
    Scenario::from_file(&path).map_err(|e| BenchError::Fixture {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_parse_and_match_each_other() {
        let scenario = scenario(FLEET_SCENARIO).unwrap();
        assert_eq!(scenario.servers.len(), 1000);
        let wave_one = scenario
            .servers
            .iter()
            .filter(|s| s.tags.get("Wave").map(String::as_str) == Some("01"))
            .count();
        assert_eq!(wave_one, 100);
        let quick = super::scenario(FLEET_QUICK_SCENARIO).unwrap();
        let ids = |s: &Scenario| s.servers.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&quick), ids(&scenario), "the same servers");
        let ten = plan(TEN_WAVES_PLAN).unwrap();
        assert_eq!(ten.waves.len(), 10);
        assert_eq!(ten.defaults.check_interval_seconds, 30);
        let one = plan(ONE_WAVE_PLAN).unwrap();
        assert_eq!(one.waves.len(), 1);
    }
}
