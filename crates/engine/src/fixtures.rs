//! Executions the unit tests start from.

use jiff::Timestamp;

use crate::decision::Decision;
use crate::input::ExecutionRequest;
use crate::limits::Limits;
use crate::mode::Mode;

/// A drill of two waves (`database`: s-…01, `application`: s-…02, paused first when
/// `pause_before_second`), as `start` decides it at `now`.
pub(crate) fn two_waves(pause_before_second: bool, now: Timestamp) -> Decision {
    let plan: plan::Plan = serde_json::from_str(&format!(
        r#"{{
            "name": "billing",
            "protection_groups": {{
                "db": {{ "servers": ["s-00000000000000001"] }},
                "app": {{ "servers": ["s-00000000000000002"] }}
            }},
            "waves": [
                {{ "name": "database", "groups": ["db"] }},
                {{ "name": "application", "groups": ["app"], "pause_before": {pause_before_second} }}
            ]
        }}"#
    ))
    .unwrap();
    let request = ExecutionRequest {
        execution_id: "exec-1".into(),
        plan,
        mode: Mode::Drill,
        limits: Limits::default(),
        requested_by: "test".into(),
    };
    crate::start(request, now).unwrap()
}
