//! Drill cleanup: drills with cleanup hours, never recoveries.

use super::*;

#[test]
fn only_drills_with_cleanup_hours_schedule_a_cleanup() {
    type End = fn(&mut Harness);
    let ends: [(&str, End); 4] = [
        ("completed", |h| {
            h.launch_wave();
        }),
        ("failed", |h| {
            h.resolve_plan().start_all();
            h.check(vec![job("job-0-0", Completed, &[(&sid(1), Failed)])])
                .advance();
        }),
        ("cancelled", |h| {
            h.resolve_plan().start_all().cancel();
        }),
        ("timed out", |h| {
            h.resolve_plan().start_all().at(45 * 60).check(vec![]);
        }),
    ];
    for (name, end) in ends {
        for (mode, hours, expected) in [
            (Mode::Drill, 4, true),
            (Mode::Drill, 0, false),
            (Mode::Recovery, 4, false),
        ] {
            let mut plan = one_wave(&sids(1, 1));
            plan.defaults.drill_cleanup_after_hours = hours;
            let mut h = Harness::with(plan, mode, Limits::default());
            end(&mut h);
            assert!(h.status().is_terminal(), "{name}");
            let cleanup = h
                .commands()
                .iter()
                .any(|c| matches!(c, Command::ScheduleDrillCleanup(_)));
            assert_eq!(cleanup, expected, "{name}, {mode:?}, {hours} h");
            let is_drill = h.history.iter().all(|c| match c {
                Command::StartRecovery(s) => s.is_drill == (mode == Mode::Drill),
                _ => true,
            });
            assert!(is_drill, "{name}: isDrill follows the mode");
        }
    }
}
