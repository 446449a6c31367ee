//! Approval.

use super::*;

#[test]
fn a_paused_wave_waits_for_its_approval() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[1].pause_before = true;
    let mut h = Harness::new(plan);
    h.launch_wave();
    assert_eq!(
        h.commands()[1..],
        [
            Command::RequestApproval {
                wave: 1,
                name: "w1".into()
            },
            Command::Notify(Notification::ApprovalRequired {
                wave: 1,
                name: "w1".into()
            }),
        ]
    );
    assert_eq!(h.before_save(), [], "no check chain before the wave starts");
    assert_eq!(h.status(), ExecutionStatus::AwaitingApproval);
    assert_eq!(h.wave(1).phase, WavePhase::AwaitingApproval);

    h.at(500).assert_no_op(Event::ApprovalGiven {
        wave: 0,
        by: "x".into(),
    });
    h.approve(1);
    assert_eq!(h.status(), ExecutionStatus::Running);
    assert!(
        h.commands()
            .iter()
            .any(|c| matches!(c, Command::StartRecovery(s) if s.request.wave == 1))
    );
    assert_eq!(
        h.wave(1).approval.as_ref().map(|a| a.by.as_str()),
        Some("approver")
    );
    assert_eq!(
        h.wave(1).started_at,
        Some(t(500)),
        "the wave's clock starts at the approval"
    );

    h.at(501).assert_no_op(Event::ApprovalGiven {
        wave: 1,
        by: "again".into(),
    });
}

#[test]
fn approving_a_wave_not_yet_reached_does_nothing() {
    let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
    plan.waves[1].pause_before = true;
    let mut h = Harness::new(plan);
    h.assert_no_op(Event::ApprovalGiven {
        wave: 1,
        by: "early".into(),
    });
    h.launch_wave();
    assert_eq!(
        h.status(),
        ExecutionStatus::AwaitingApproval,
        "an early approval does not count"
    );
}

#[test]
fn a_first_wave_can_pause_too() {
    let mut plan = one_wave(&sids(1, 1));
    plan.waves[0].pause_before = true;
    let h = Harness::new(plan);
    assert_eq!(h.status(), ExecutionStatus::AwaitingApproval);
    assert!(
        h.commands()
            .iter()
            .any(|c| matches!(c, Command::RequestApproval { wave: 0, .. }))
    );
    assert!(
        !h.commands()
            .iter()
            .any(|c| matches!(c, Command::ResolveServers { .. }))
    );
}

#[test]
fn the_requester_cannot_approve_their_own_execution_unless_the_plan_allows() {
    for allow_self_approval in [false, true] {
        let mut plan = plan(&[sids(1, 1), sids(2, 1)]);
        plan.waves[1].pause_before = true;
        plan.allow_self_approval = allow_self_approval;
        let mut h = Harness::new(plan);
        h.launch_wave();
        let requester = h.state.requested_by.clone();
        assert_eq!(
            h.state.check_approval(1, &requester).is_ok(),
            allow_self_approval,
            "the API asks the same rule"
        );
        if allow_self_approval {
            h.send(Event::ApprovalGiven {
                wave: 1,
                by: requester.clone(),
            });
            assert_eq!(h.status(), ExecutionStatus::Running);
        } else {
            assert!(matches!(
                h.state.check_approval(1, &requester),
                Err(ApprovalRefused::SelfApproval { .. })
            ));
            // Even sent straight to the queue, the requester's approval changes nothing.
            h.assert_no_op(Event::ApprovalGiven {
                wave: 1,
                by: requester.clone(),
            });
            assert_eq!(h.status(), ExecutionStatus::AwaitingApproval);
            assert!(
                h.state
                    .check_approval(1, "arn:aws:iam::1:role/dr-lead")
                    .is_ok()
            );
        }
    }
}
