//! What a schedule starts: the user's [`ScheduleRequest`], validated into a [`ScheduleSpec`]
//! whose target input is the start queue's message.

use engine::{ExecutionId, Mode, RECOVERY_CONFIRMATION};
use pipeline::message::{self, Message, PlanSource};

use super::expression::check_timezone;
use super::{InvalidSchedule, MAX_NAME_CHARS, ScheduleExpression, invalid};

/// A schedule may only name a plan the plans table could hold: the plan format's own rule.
fn check_plan_name(name: &str) -> Result<(), InvalidSchedule> {
    plan::check_name(name, "plan name").map_err(|message| invalid("PLAN", message))
}

/// A name Scheduler accepts for a schedule.
pub(super) fn check_schedule_name(name: &str) -> Result<(), InvalidSchedule> {
    let valid = (1..=MAX_NAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(invalid(
            "--name",
            format!(
                "`{name}` is not a schedule name (letters, digits, - _ and ., 1 to {MAX_NAME_CHARS} characters)"
            ),
        ))
    }
}

/// Scheduler's context attribute for the ID of one firing: the execution's ID is made of it,
/// so a firing delivered twice (Scheduler retries) starts one execution.
pub const FIRING_ID: &str = "<aws.scheduler.execution-id>";

/// Scheduler's context attribute for the schedule's ARN: who asked, as IAM knows it (only the
/// stack's Scheduler role may send to the start queue).
pub const SCHEDULE_ARN: &str = "<aws.scheduler.schedule-arn>";

/// What the user asks for, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRequest {
    /// The plan (stored in the plans table) to run.
    pub plan_name: String,
    /// When.
    pub expression: ScheduleExpression,
    /// IANA time zone of the expression; `None` = UTC.
    pub timezone: Option<String>,
    /// Drill or recovery.
    pub mode: Mode,
    /// Must be [`RECOVERY_CONFIRMATION`] for a recovery.
    pub confirm: Option<String>,
    /// The schedule's name; `None` = derived from the plan, mode and expression.
    pub name: Option<String>,
}

/// A validated schedule: what [`super::Schedules::create_scheduled_start`] creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    /// The schedule's name.
    pub name: String,
    /// When.
    pub expression: ScheduleExpression,
    /// IANA time zone of the expression; `None` = UTC.
    pub timezone: Option<String>,
    /// The request each firing sends to the start queue.
    pub message: Message,
}

impl ScheduleSpec {
    /// Validates `request`: plan and schedule names, time zone, and the recovery confirmation.
    pub fn new(request: ScheduleRequest) -> Result<Self, InvalidSchedule> {
        check_plan_name(&request.plan_name)?;
        if let Some(zone) = &request.timezone {
            check_timezone(zone)?;
        }
        request
            .mode
            .confirmed(request.confirm.as_deref())
            .map_err(|_| {
                invalid(
                    "--confirm",
                    format!(
                        "a scheduled recovery (not a drill) launches production instances: \
                         confirm it with --confirm {RECOVERY_CONFIRMATION}"
                    ),
                )
            })?;
        // The starter checks it again: a recovery carries the confirmation, a drill none.
        let confirm = (!request.mode.is_drill()).then(|| RECOVERY_CONFIRMATION.to_owned());
        let name = match request.name {
            Some(name) => {
                check_schedule_name(&name)?;
                name
            }
            None => derived_name(
                &request.plan_name,
                request.mode,
                &request.expression,
                request.timezone.as_deref(),
            ),
        };
        let message = Message::StartExecution {
            execution_id: Some(ExecutionId::new(format!("exec-sched-{FIRING_ID}"))),
            plan: PlanSource::Stored {
                plan_name: request.plan_name,
            },
            mode: request.mode,
            confirm,
            requested_by: SCHEDULE_ARN.to_owned(),
        };
        Ok(Self {
            name,
            expression: request.expression,
            timezone: request.timezone,
            message,
        })
    }

    /// The target input: the start queue's message body, with Scheduler's context
    /// attributes ([`FIRING_ID`], [`SCHEDULE_ARN`]) for it to fill in.
    pub fn input(&self) -> String {
        message::encode(&self.message)
    }

    /// The body Scheduler sends for firing `firing_id` of the schedule `schedule_arn`: the
    /// input with its context attributes replaced, as Scheduler does (and as a local
    /// scheduler must).
    pub fn input_as_fired(&self, firing_id: &str, schedule_arn: &str) -> String {
        self.input()
            .replace(FIRING_ID, firing_id)
            .replace(SCHEDULE_ARN, schedule_arn)
    }
}

/// `PLAN-MODE-HASH`: the same plan, mode, expression and zone always give the same name, so
/// creating a schedule twice is refused instead of doubling the drills.
fn derived_name(
    plan: &str,
    mode: Mode,
    expression: &ScheduleExpression,
    zone: Option<&str>,
) -> String {
    let mode = mode.as_str();
    let key = format!("{}|{}", expression.to_aws(), zone.unwrap_or("UTC"));
    let hash = fnv1a(key.as_bytes());
    let room = MAX_NAME_CHARS - mode.len() - 10;
    let plan = plan.get(..room).unwrap_or(plan).trim_end_matches('-');
    format!("{plan}-{mode}-{hash:08x}")
}

/// FNV-1a, 32 bits: stable across releases, unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(mode: Mode, confirm: Option<&str>) -> ScheduleRequest {
        ScheduleRequest {
            plan_name: "billing".to_owned(),
            expression: ScheduleExpression::rate("7 days").unwrap(),
            timezone: None,
            mode,
            confirm: confirm.map(str::to_owned),
            name: None,
        }
    }

    #[test]
    fn the_input_is_the_start_queue_message() {
        let spec = ScheduleSpec::new(request(Mode::Drill, None)).unwrap();
        let decoded = message::decode(&spec.input()).unwrap();
        assert_eq!(decoded, spec.message);
        let Message::StartExecution {
            execution_id,
            plan,
            mode,
            confirm,
            ..
        } = decoded
        else {
            panic!("not a start request");
        };
        assert_eq!(
            execution_id,
            Some(ExecutionId::new(format!("exec-sched-{FIRING_ID}"))),
            "each firing names its execution"
        );
        assert_eq!(
            plan,
            PlanSource::Stored {
                plan_name: "billing".to_owned()
            }
        );
        assert_eq!((mode, confirm), (Mode::Drill, None));
    }

    #[test]
    fn a_firing_fills_in_its_id_and_the_schedule_as_who_asked() {
        let spec = ScheduleSpec::new(request(Mode::Drill, None)).unwrap();
        let arn = "arn:aws:scheduler:us-east-1:111122223333:schedule/drs-orchestrator/weekly";
        let fired = message::decode(&spec.input_as_fired("d32c5kddcf5bb8c3", arn)).unwrap();
        let Message::StartExecution {
            execution_id,
            requested_by,
            ..
        } = fired
        else {
            panic!("not a start request");
        };
        assert_eq!(
            execution_id.as_ref().map(ExecutionId::as_str),
            Some("exec-sched-d32c5kddcf5bb8c3")
        );
        assert_eq!(requested_by, arn);
    }

    #[test]
    fn a_recovery_needs_the_confirmation() {
        let error = ScheduleSpec::new(request(Mode::Recovery, None)).unwrap_err();
        assert_eq!(error.option, "--confirm");
        assert!(ScheduleSpec::new(request(Mode::Recovery, Some("yes"))).is_err());
        let spec = ScheduleSpec::new(request(Mode::Recovery, Some("RECOVERY"))).unwrap();
        assert!(
            spec.input().contains(r#""confirm":"RECOVERY""#),
            "{}",
            spec.input()
        );
    }

    #[test]
    fn derived_names_are_stable_distinct_and_short_enough() {
        let a = ScheduleSpec::new(request(Mode::Drill, None)).unwrap().name;
        let again = ScheduleSpec::new(request(Mode::Drill, None)).unwrap().name;
        assert_eq!(a, again);
        assert!(a.starts_with("billing-drill-"), "{a}");
        let mut other = request(Mode::Drill, None);
        other.timezone = Some("Europe/Paris".to_owned());
        assert_ne!(ScheduleSpec::new(other).unwrap().name, a);
        let mut long = request(Mode::Recovery, Some("RECOVERY"));
        long.plan_name = "a".repeat(63);
        let name = ScheduleSpec::new(long).unwrap().name;
        assert!(name.len() <= MAX_NAME_CHARS, "{name}");
        assert!(check_schedule_name(&name).is_ok());
    }

    #[test]
    fn names_and_zones_are_checked() {
        let mut bad_plan = request(Mode::Drill, None);
        bad_plan.plan_name = "Billing".to_owned();
        let error = ScheduleSpec::new(bad_plan).unwrap_err();
        assert_eq!(error.option, "PLAN");
        // The plan format's rule, with its reason.
        assert!(error.message.contains("`B` is uppercase"), "{error}");
        let mut bad_name = request(Mode::Drill, None);
        bad_name.name = Some("has space".to_owned());
        assert_eq!(ScheduleSpec::new(bad_name).unwrap_err().option, "--name");
        if !jiff::tz::db().is_definitively_empty() {
            let mut bad_zone = request(Mode::Drill, None);
            bad_zone.timezone = Some("Mars/Olympus".to_owned());
            assert_eq!(
                ScheduleSpec::new(bad_zone).unwrap_err().option,
                "--timezone"
            );
        }
    }
}
