//! The state is stored between invocations: it round-trips through JSON at every step.

use super::*;

#[test]
fn the_state_round_trips_through_json_at_every_step() {
    let servers = sids(1, 3);
    let limits = Limits {
        servers_per_job: 1,
        ..Limits::default()
    };
    let mut plan = plan(&[servers.clone(), sids(10, 1)]);
    plan.waves[1].pause_before = true;
    plan.waves[1].pre_actions = vec![lambda("pre")];
    let mut h = Harness::with(plan, Mode::Drill, limits);
    let mut states = vec![h.state.clone()];
    h.resolve(&servers);
    states.push(h.state.clone());
    h.started(0, "job-a").reject(
        1,
        Rejection::Throttled {
            retry_after_seconds: Some(3),
        },
    );
    h.reject(
        2,
        Rejection::Conflict {
            running_job: Some("job-c".into()),
        },
    );
    states.push(h.state.clone());
    h.retry_due().started(1, "job-b");
    h.check(vec![
        launched("job-a", &servers[..1]),
        launched("job-b", &servers[1..2]),
        launched("job-c", &servers[2..]),
    ]);
    h.advance();
    states.push(h.state.clone());
    h.approve(1).cancel();
    states.push(h.state.clone());
    for state in states {
        let json = serde_json::to_string(&state).unwrap();
        let back: engine::Execution = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state, "{json}");
    }
}
