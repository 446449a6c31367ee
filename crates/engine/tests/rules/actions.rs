//! Pre- and post-actions run one at a time, in order; a failure fails the wave.

use super::*;

#[test]
fn actions_run_one_at_a_time_in_order() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[0].pre_actions = vec![lambda("pre-a"), lambda("pre-b")];
    plan.waves[0].post_actions = vec![lambda("post-a")];
    let mut h = Harness::new(plan);
    let runs = |h: &Harness| -> Vec<String> {
        h.commands()
            .iter()
            .filter_map(|c| match c {
                Command::RunAction(run) => Some(run.run_id.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(runs(&h), ["exec-1/0/1/pre/0"]);
    assert!(
        !h.commands()
            .iter()
            .any(|c| matches!(c, Command::ResolveServers { .. }))
    );
    // An answer for an action not running changes nothing; being a message, it re-issues the
    // running action (idempotent by run ID).
    let state = h.state.clone();
    h.action(PRE, 1, OK);
    assert_eq!(h.state, state);
    assert_eq!(runs(&h), ["exec-1/0/1/pre/0"]);
    h.action(PRE, 0, OK);
    assert_eq!(runs(&h), ["exec-1/0/1/pre/1"]);
    h.action(PRE, 1, OK);
    assert!(
        matches!(h.commands(), [Command::StartRecovery(s)] if s.request.wave == 0),
        "{:?}",
        h.commands()
    );
    assert!(
        matches!(h.before_save(), [BeforeSave::Check(check)] if check.wave == 0),
        "{:?}",
        h.before_save()
    );
    h.start_all()
        .check(vec![launched("job-0-0", &sids(1, 1))])
        .advance();
    assert_eq!(runs(&h), ["exec-1/0/1/post/0"]);
    assert_eq!(h.current(), 0, "the next wave waits for the post-actions");
    h.action(POST, 0, OK);
    assert_eq!(h.current(), 1);
    assert_eq!(h.wave(0).actions.len(), 3);
}

#[test]
fn a_failed_action_fails_the_wave_and_the_execution() {
    let cases = [(PRE, "before the launch"), (POST, "after the launch")];
    for (phase, name) in cases {
        let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
        plan.waves[0].pre_actions = vec![lambda("pre")];
        plan.waves[0].post_actions = vec![lambda("post")];
        let mut h = Harness::new(plan);
        if phase == ActionPhase::Post {
            h.action(PRE, 0, OK);
            h.resolve_plan()
                .start_all()
                .check(vec![launched("job-0-0", &sids(1, 1))])
                .advance();
        }
        h.action(
            phase,
            0,
            ActionResult::Failed {
                message: "exit 1".into(),
            },
        );
        assert_eq!(h.status(), ExecutionStatus::Failed, "{name}");
        assert!(finishes(h.commands(), ExecutionStatus::Failed), "{name}");
        assert_eq!(h.wave(1).phase, WavePhase::Pending, "{name}");
        let failure = h.state.report().waves[0].failure.clone().unwrap();
        assert!(failure.contains("exit 1"), "{name}: {failure}");
    }
}
