//! Scheduled drills: EventBridge Scheduler schedules that send a `start_execution` request to
//! the start queue (DESIGN.md §3, issue 5 §3).
//!
//! Every schedule lives in the stack's schedule group (named after the resource prefix), fires
//! exactly at its time (flexible time window off), retries a failed delivery a few times, and
//! leaves what it could not deliver in the start dead-letter queue. Its input is the start
//! queue's message, written by [`pipeline::message::encode`] so that the two cannot drift. It
//! carries no `execution_id`: the starter derives one from each firing's SQS message ID, so
//! every firing starts its own execution and a redelivered one starts nothing twice.

use std::fmt;

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, ScheduleState,
    Target,
};
use aws_sdk_sqs::types::QueueAttributeName;
use engine::Mode;
use pipeline::message::{self, Message, PlanSource, QueueName, RECOVERY_CONFIRMATION};

use crate::config::AwsConfig;
use crate::resources::Resources;
use crate::sdk_error;

/// Delivery attempts Scheduler makes after the first failed one.
pub const MAX_RETRY_ATTEMPTS: i32 = 3;
/// How long Scheduler keeps trying to deliver one firing: a drill an hour late is still
/// wanted, one a day late is not.
pub const MAX_EVENT_AGE_SECONDS: i32 = 3600;
/// The longest schedule name Scheduler accepts.
pub const MAX_NAME_CHARS: usize = 64;

/// What is wrong with a schedule request, found before any AWS call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {message}")]
pub struct InvalidSchedule {
    /// The option at fault (`--cron`, `--timezone`, `PLAN`...).
    pub option: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(option: &'static str, message: impl Into<String>) -> InvalidSchedule {
    InvalidSchedule {
        option,
        message: message.into(),
    }
}

/// Why a schedule operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The request is invalid (no AWS call was made).
    #[error(transparent)]
    Invalid(#[from] InvalidSchedule),
    /// The schedule group does not exist (stack not deployed, or another prefix).
    #[error(
        "schedule group `{group}` not found: deploy the stack (infra/template.yaml) or give its \
         ResourcePrefix with --prefix"
    )]
    GroupNotFound {
        /// The group.
        group: String,
    },
    /// No schedule of that name in the group.
    #[error("no schedule `{name}` in group `{group}` (already deleted?)")]
    NotFound {
        /// The schedule's name.
        name: String,
        /// The group.
        group: String,
    },
    /// A schedule of that name exists already.
    #[error(
        "schedule `{name}` already exists in group `{group}`: delete it first or choose another --name"
    )]
    AlreadyExists {
        /// The schedule's name.
        name: String,
        /// The group.
        group: String,
    },
    /// A queue of the stack could not be found.
    #[error("queue `{queue}` not found: {message} (deploy the stack or check --prefix/--region)")]
    QueueNotFound {
        /// The queue's name.
        queue: String,
        /// What AWS said.
        message: String,
    },
    /// Any other AWS failure.
    #[error("{operation}: {message}")]
    Aws {
        /// The operation (`CreateSchedule`...).
        operation: &'static str,
        /// What AWS said.
        message: String,
    },
}

impl ScheduleError {
    /// Whether the user's input is at fault (exit status 2 in `drsctl`).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, ScheduleError::Invalid(_))
    }
}

/// When a schedule fires: a validated Scheduler expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleExpression {
    /// `cron(minutes hours day-of-month month day-of-week year)`.
    Cron(String),
    /// `rate(value unit)`.
    Rate(String),
    /// `at(yyyy-mm-ddThh:mm:ss)`: once.
    At(String),
}

impl ScheduleExpression {
    /// A cron expression of six fields, e.g. `0 6 1 */3 ? *` (with or without `cron(...)`).
    pub fn cron(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "cron");
        check_cron(&body).map_err(|m| invalid("--cron", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::Cron(
            body.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    }

    /// A rate, e.g. `7 days` (with or without `rate(...)`).
    pub fn rate(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "rate");
        let (value, unit) =
            check_rate(&body).map_err(|m| invalid("--rate", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::Rate(format!("{value} {unit}")))
    }

    /// A date and time, `2026-12-01T06:00:00` (with or without `at(...)`), in the
    /// schedule's time zone.
    pub fn at(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "at");
        check_at(&body).map_err(|m| invalid("--at", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::At(body))
    }

    /// The expression as Scheduler takes it: `cron(...)`, `rate(...)` or `at(...)`.
    pub fn to_aws(&self) -> String {
        match self {
            Self::Cron(body) => format!("cron({body})"),
            Self::Rate(body) => format!("rate({body})"),
            Self::At(body) => format!("at({body})"),
        }
    }
}

impl fmt::Display for ScheduleExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_aws())
    }
}

/// `cron(x)` → `x`; anything else unchanged (trimmed).
fn unwrap_call(text: &str, function: &str) -> String {
    let text = text.trim();
    text.strip_prefix(function)
        .and_then(|rest| rest.trim_start().strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(text)
        .trim()
        .to_owned()
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field of a cron expression.
struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Day fields: `?`, and `L`, `W` or `#` forms.
    day: bool,
}

const CRON_FIELDS: [CronField; 6] = [
    CronField {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        day: false,
    },
    CronField {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        day: false,
    },
    CronField {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        day: true,
    },
    CronField {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        day: false,
    },
    CronField {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAYS,
        day: true,
    },
    CronField {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        day: false,
    },
];

fn check_cron(body: &str) -> Result<(), String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!(
            "a Scheduler cron expression has 6 fields (minutes hours day-of-month month \
             day-of-week year), e.g. \"0 6 1 */3 ? *\"; this one has {}",
            fields.len()
        ));
    }
    for (field, text) in CRON_FIELDS.iter().zip(&fields) {
        check_cron_field(field, text).map_err(|m| format!("{} field `{text}`: {m}", field.name))?;
    }
    let (day_of_month, day_of_week) = (fields[2], fields[4]);
    if (day_of_month == "?") == (day_of_week == "?") {
        return Err(
            "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be `?`"
                .to_owned(),
        );
    }
    Ok(())
}

fn check_cron_field(field: &CronField, text: &str) -> Result<(), String> {
    if text == "?" {
        return if field.day {
            Ok(())
        } else {
            Err("`?` is allowed only in day-of-month or day-of-week".to_owned())
        };
    }
    for item in text.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("step `{step}` is not a positive number")),
            }
        }
        if base == "*" {
            continue;
        }
        if field.day && check_day_special(field, base) {
            continue;
        }
        let mut bounds = base.splitn(2, '-');
        for part in bounds.by_ref() {
            cron_value(field, part)?;
        }
    }
    Ok(())
}

/// `L`, `5L`, `15W`, `LW` (day of month); `L`, `6L`, `6#3`, `FRI#3` (day of week).
fn check_day_special(field: &CronField, base: &str) -> bool {
    let valid = |part: &str| cron_value(field, part).is_ok();
    if base == "L" || (field.name == "day-of-month" && base == "LW") {
        return true;
    }
    if let Some(number) = base.strip_suffix('L') {
        return valid(number);
    }
    if field.name == "day-of-month"
        && let Some(number) = base.strip_suffix('W')
    {
        return valid(number);
    }
    if field.name == "day-of-week"
        && let Some((day, nth)) = base.split_once('#')
    {
        return valid(day) && matches!(nth.parse::<u32>(), Ok(1..=5));
    }
    false
}

fn cron_value(field: &CronField, part: &str) -> Result<(), String> {
    if field.names.iter().any(|n| n.eq_ignore_ascii_case(part)) {
        return Ok(());
    }
    match part.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(()),
        Ok(n) => Err(format!("{n} is outside {}..={}", field.min, field.max)),
        Err(_) if part.is_empty() => Err("empty value".to_owned()),
        Err(_) => Err(format!(
            "`{part}` is not a value of this field ({}..={}{})",
            field.min,
            field.max,
            if field.names.is_empty() {
                String::new()
            } else {
                format!(" or {}", field.names.join(","))
            }
        )),
    }
}

fn check_rate(body: &str) -> Result<(u64, String), String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts.as_slice() else {
        return Err(
            "a rate is `VALUE UNIT`, e.g. \"7 days\", \"12 hours\", \"1 minute\"".to_owned(),
        );
    };
    let value: u64 = match value.parse() {
        Ok(n) if n > 0 => n,
        _ => return Err(format!("`{value}` is not a positive whole number")),
    };
    let unit = unit.to_ascii_lowercase();
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    if !matches!(singular, "minute" | "hour" | "day") {
        return Err(format!(
            "unit `{unit}` is not one of minute(s), hour(s), day(s)"
        ));
    }
    // Scheduler wants `1 day` and `7 days`, nothing else.
    let unit = if value == 1 {
        singular.to_owned()
    } else {
        format!("{singular}s")
    };
    Ok((value, unit))
}

fn check_at(body: &str) -> Result<(), String> {
    let shape_ok = body.len() == 19
        && body.as_bytes().get(10) == Some(&b'T')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-:T".contains(&b));
    if !shape_ok {
        return Err(
            "a one-time schedule is `yyyy-mm-ddThh:mm:ss` (no zone; see --timezone), e.g. \
             2026-12-01T06:00:00"
                .to_owned(),
        );
    }
    body.parse::<jiff::civil::DateTime>()
        .map(|_| ())
        .map_err(|e| format!("not a valid date and time: {e}"))
}

fn check_timezone(zone: &str) -> Result<(), InvalidSchedule> {
    // Without a time zone database here nothing can be checked: leave it to Scheduler.
    if jiff::tz::db().is_definitively_empty() {
        return Ok(());
    }
    jiff::tz::TimeZone::get(zone).map(|_| ()).map_err(|_| {
        invalid(
            "--timezone",
            format!(
                "`{zone}` is not an IANA time zone name (e.g. UTC, Europe/Paris, America/New_York)"
            ),
        )
    })
}

/// Plan names as the plan format defines them: `[a-z0-9-]`, 1 to 63 characters, no dash at
/// either end.
fn check_plan_name(name: &str) -> Result<(), InvalidSchedule> {
    let valid = (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(invalid(
            "PLAN",
            format!(
                "`{name}` is not a plan name (a-z, 0-9 and -, 1 to 63 characters, no - at either end)"
            ),
        ))
    }
}

fn check_schedule_name(name: &str) -> Result<(), InvalidSchedule> {
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
    /// Must be `RECOVERY` for a recovery.
    pub confirm: Option<String>,
    /// The schedule's name; `None` = derived from the plan, mode and expression.
    pub name: Option<String>,
}

/// A validated schedule: what [`Schedules::create_scheduled_start`] creates.
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
        let confirm = match request.mode {
            Mode::Recovery if request.confirm.as_deref() != Some(RECOVERY_CONFIRMATION) => {
                return Err(invalid(
                    "--confirm",
                    format!(
                        "a scheduled recovery (not a drill) launches production instances: \
                         confirm it with --confirm {RECOVERY_CONFIRMATION}"
                    ),
                ));
            }
            Mode::Recovery => Some(RECOVERY_CONFIRMATION.to_owned()),
            Mode::Drill => None,
        };
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
            execution_id: None,
            plan: PlanSource::Stored {
                plan_name: request.plan_name,
            },
            mode: request.mode,
            confirm,
            requested_by: format!("schedule:{name}"),
        };
        Ok(Self {
            name,
            expression: request.expression,
            timezone: request.timezone,
            message,
        })
    }

    /// The target input: the start queue's message body.
    pub fn input(&self) -> String {
        message::encode(&self.message)
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
    let mode = mode_name(mode);
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

/// `drill` or `recovery`, as names and listings spell it.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Drill => "drill",
        Mode::Recovery => "recovery",
    }
}

/// Where schedules deliver: the start queue, as the Scheduler role, with the start DLQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The start queue's ARN.
    pub start_queue_arn: String,
    /// The start dead-letter queue's ARN.
    pub dead_letter_arn: String,
    /// The role Scheduler assumes (the stack's `SchedulerRoleArn` output).
    pub role_arn: String,
}

impl ScheduleTarget {
    /// Looks the start queue and its DLQ up by their names in `resources` (`GetQueueUrl`,
    /// `GetQueueAttributes`).
    pub async fn of_stack(
        config: &AwsConfig,
        resources: &Resources,
        role_arn: impl Into<String>,
    ) -> Result<Self, ScheduleError> {
        let queue =
            resources
                .queue(QueueName::Start)
                .ok_or_else(|| ScheduleError::QueueNotFound {
                    queue: "start".to_owned(),
                    message: "no start queue in the resource definitions".to_owned(),
                })?;
        let sqs = config.sqs();
        Ok(Self {
            start_queue_arn: find_queue_arn(&sqs, &queue.name).await?,
            dead_letter_arn: find_queue_arn(&sqs, &queue.dead_letter.name).await?,
            role_arn: role_arn.into(),
        })
    }
}

async fn find_queue_arn(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, ScheduleError> {
    let not_found = |message: String| ScheduleError::QueueNotFound {
        queue: name.to_owned(),
        message,
    };
    let url = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| not_found(sdk_error::describe(&e)))?
        .queue_url
        .ok_or_else(|| not_found("no URL returned".to_owned()))?;
    sqs.get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| ScheduleError::Aws {
            operation: "GetQueueAttributes",
            message: sdk_error::describe(&e),
        })?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| not_found("no QueueArn attribute returned".to_owned()))
}

/// A schedule of the group, as [`Schedules::scheduled_starts`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInfo {
    /// Its name.
    pub name: String,
    /// `cron(...)`, `rate(...)` or `at(...)`.
    pub expression: String,
    /// Its time zone (`UTC` when none was given).
    pub timezone: String,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// The plan and mode of its start request; `None` when its input is not one.
    pub request: Option<(String, Mode)>,
    /// The target's ARN.
    pub target_arn: String,
}

/// The schedules of one schedule group.
#[derive(Debug, Clone)]
pub struct Schedules {
    client: Client,
    group: String,
}

fn aws(operation: &'static str) -> impl Fn(String) -> ScheduleError {
    move |message| ScheduleError::Aws { operation, message }
}

impl Schedules {
    /// The schedules of `group` (the stack's `ResourcePrefix`).
    pub fn new(config: &AwsConfig, group: impl Into<String>) -> Self {
        Self {
            client: Client::new(config.sdk()),
            group: group.into(),
        }
    }

    /// The group's name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Creates the group if it is missing (the stack creates it in AWS; tests and the local
    /// stack use this).
    pub async fn ensure_group(&self) -> Result<(), ScheduleError> {
        match self.require_group().await {
            Err(ScheduleError::GroupNotFound { .. }) => {}
            other => return other,
        }
        self.client
            .create_schedule_group()
            .name(&self.group)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws("CreateScheduleGroup")(sdk_error::describe(&e)))
    }

    async fn require_group(&self) -> Result<(), ScheduleError> {
        match self
            .client
            .get_schedule_group()
            .name(&self.group)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if sdk_error::code(&e) == Some("ResourceNotFoundException") => {
                Err(ScheduleError::GroupNotFound {
                    group: self.group.clone(),
                })
            }
            Err(e) => Err(aws("GetScheduleGroup")(sdk_error::describe(&e))),
        }
    }

    /// Creates the schedule; returns its ARN.
    pub async fn create_scheduled_start(
        &self,
        spec: &ScheduleSpec,
        target: &ScheduleTarget,
    ) -> Result<String, ScheduleError> {
        self.require_group().await?;
        let build = |e: aws_sdk_scheduler::error::BuildError| aws("CreateSchedule")(e.to_string());
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(build)?;
        let target = Target::builder()
            .arn(&target.start_queue_arn)
            .role_arn(&target.role_arn)
            .input(spec.input())
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
                    .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECONDS)
                    .build(),
            )
            .dead_letter_config(
                DeadLetterConfig::builder()
                    .arn(&target.dead_letter_arn)
                    .build(),
            )
            .build()
            .map_err(build)?;
        let description = match &spec.message {
            Message::StartExecution {
                plan: PlanSource::Stored { plan_name },
                mode,
                ..
            } => format!("drs-orchestrator: {} of plan {plan_name}", mode_name(*mode)),
            _ => "drs-orchestrator".to_owned(),
        };
        let result = self
            .client
            .create_schedule()
            .name(&spec.name)
            .group_name(&self.group)
            .description(description)
            .schedule_expression(spec.expression.to_aws())
            .set_schedule_expression_timezone(spec.timezone.clone())
            .flexible_time_window(window)
            .state(ScheduleState::Enabled)
            .target(target)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.schedule_arn),
            Err(e) if sdk_error::code(&e) == Some("ConflictException") => {
                Err(ScheduleError::AlreadyExists {
                    name: spec.name.clone(),
                    group: self.group.clone(),
                })
            }
            Err(e) => Err(aws("CreateSchedule")(sdk_error::describe(&e))),
        }
    }

    /// The group's schedules, by name, with what each starts; only those of `plan` if given.
    pub async fn scheduled_starts(
        &self,
        plan: Option<&str>,
    ) -> Result<Vec<ScheduleInfo>, ScheduleError> {
        self.require_group().await?;
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_schedules()
                .group_name(&self.group)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| aws("ListSchedules")(sdk_error::describe(&e)))?;
            names.extend(page.schedules.into_iter().filter_map(|s| s.name));
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        names.sort();
        let mut schedules = Vec::new();
        for name in names {
            // The list has no target input: read each schedule (it may go meanwhile).
            match self.scheduled_start(&name).await {
                Ok(info) => {
                    let wanted = plan
                        .is_none_or(|p| info.request.as_ref().is_some_and(|(name, _)| name == p));
                    if wanted {
                        schedules.push(info);
                    }
                }
                Err(ScheduleError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(schedules)
    }

    /// One schedule.
    pub async fn scheduled_start(&self, name: &str) -> Result<ScheduleInfo, ScheduleError> {
        let output = self
            .client
            .get_schedule()
            .group_name(&self.group)
            .name(name)
            .send()
            .await
            .map_err(|e| {
                if sdk_error::code(&e) == Some("ResourceNotFoundException") {
                    ScheduleError::NotFound {
                        name: name.to_owned(),
                        group: self.group.clone(),
                    }
                } else {
                    aws("GetSchedule")(sdk_error::describe(&e))
                }
            })?;
        let request = output
            .target
            .as_ref()
            .and_then(|t| t.input())
            .and_then(|input| message::decode(input).ok())
            .and_then(|m| match m {
                Message::StartExecution {
                    plan: PlanSource::Stored { plan_name },
                    mode,
                    ..
                } => Some((plan_name, mode)),
                _ => None,
            });
        Ok(ScheduleInfo {
            name: output.name.unwrap_or_else(|| name.to_owned()),
            expression: output.schedule_expression.unwrap_or_default(),
            timezone: output
                .schedule_expression_timezone
                .unwrap_or_else(|| "UTC".to_owned()),
            state: output
                .state
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            request,
            target_arn: output.target.map(|t| t.arn).unwrap_or_default(),
        })
    }

    /// Deletes the schedule; [`ScheduleError::NotFound`] when there is none of that name.
    pub async fn delete_scheduled_start(&self, name: &str) -> Result<(), ScheduleError> {
        check_schedule_name(name).map_err(|e| invalid("NAME", e.message))?;
        match self
            .client
            .delete_schedule()
            .group_name(&self.group)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if sdk_error::code(&e) == Some("ResourceNotFoundException") => {
                // Tell a missing group from a missing schedule.
                self.require_group().await?;
                Err(ScheduleError::NotFound {
                    name: name.to_owned(),
                    group: self.group.clone(),
                })
            }
            Err(e) => Err(aws("DeleteSchedule")(sdk_error::describe(&e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_need_six_fields_and_one_question_mark() {
        assert_eq!(
            ScheduleExpression::cron("0 6 1 */3 ? *").unwrap().to_aws(),
            "cron(0 6 1 */3 ? *)"
        );
        assert!(ScheduleExpression::cron("cron(0 6 ? * MON-FRI *)").is_ok());
        assert!(ScheduleExpression::cron("0 6 ? * 6#3 *").is_ok());
        assert!(ScheduleExpression::cron("0 6 L * ? *").is_ok());
        let five = ScheduleExpression::cron("0 6 1 * *").unwrap_err();
        assert!(five.message.contains("6 fields"), "{five}");
        assert!(five.message.contains("has 5"), "{five}");
        let both = ScheduleExpression::cron("0 6 1 * MON *").unwrap_err();
        assert!(both.message.contains("exactly one"), "{both}");
        let hour = ScheduleExpression::cron("0 24 1 * ? *").unwrap_err();
        assert!(hour.message.contains("hours field `24`"), "{hour}");
        assert!(ScheduleExpression::cron("0 6 1 FOO ? *").is_err());
        assert!(ScheduleExpression::cron("0/0 6 1 * ? *").is_err());
        assert!(ScheduleExpression::cron("? 6 1 * ? *").is_err());
    }

    #[test]
    fn rates_are_a_positive_value_and_a_unit_in_the_right_number() {
        assert_eq!(
            ScheduleExpression::rate("7 days").unwrap().to_aws(),
            "rate(7 days)"
        );
        assert_eq!(
            ScheduleExpression::rate("rate(1 days)").unwrap().to_aws(),
            "rate(1 day)"
        );
        assert_eq!(
            ScheduleExpression::rate("12 hour").unwrap().to_aws(),
            "rate(12 hours)"
        );
        for bad in [
            "7",
            "0 days",
            "-1 days",
            "7 weeks",
            "seven days",
            "7 days later",
        ] {
            let error = ScheduleExpression::rate(bad).unwrap_err();
            assert_eq!(error.option, "--rate", "{bad}");
        }
    }

    #[test]
    fn at_is_a_local_date_and_time_to_the_second() {
        assert_eq!(
            ScheduleExpression::at("2026-12-01T06:00:00")
                .unwrap()
                .to_aws(),
            "at(2026-12-01T06:00:00)"
        );
        for bad in [
            "2026-12-01",
            "2026-12-01T06:00",
            "2026-12-01 06:00:00",
            "2026-12-01T06:00:00Z",
            "2026-13-01T06:00:00",
            "2026-02-30T06:00:00",
        ] {
            let error = ScheduleExpression::at(bad).unwrap_err();
            assert_eq!(error.option, "--at", "{bad}");
        }
    }

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
        assert_eq!(execution_id, None);
        assert_eq!(
            plan,
            PlanSource::Stored {
                plan_name: "billing".to_owned()
            }
        );
        assert_eq!((mode, confirm), (Mode::Drill, None));
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
        assert_eq!(ScheduleSpec::new(bad_plan).unwrap_err().option, "PLAN");
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
