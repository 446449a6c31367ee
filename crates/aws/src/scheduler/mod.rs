//! Scheduled drills: EventBridge Scheduler schedules that send a `start_execution` request to
//! the start queue (DESIGN.md §3, issue 5 §3).
//!
//! Every schedule lives in the stack's schedule group (named after the resource prefix), fires
//! exactly at its time (flexible time window off), retries a failed delivery a few times, and
//! leaves what it could not deliver in the start dead-letter queue. Its input is the start
//! queue's message, written by [`pipeline::message::encode`] so that the two cannot drift. It
//! carries no `execution_id`: the starter derives one from each firing's SQS message ID, so
//! every firing starts its own execution and a redelivered one starts nothing twice.
//!
//! Its parts: `expression`, when a schedule fires ([`ScheduleExpression`]) and in which time
//! zone; `spec`, what it starts ([`ScheduleRequest`] validated into a [`ScheduleSpec`]);
//! `client`, the Scheduler calls ([`Schedules`]) and where schedules deliver
//! ([`ScheduleTarget`]).

mod client;
mod expression;
mod spec;

pub use client::{ScheduleInfo, ScheduleTarget, Schedules};
pub use expression::ScheduleExpression;
pub use spec::{FIRING_ID, SCHEDULE_ARN, ScheduleRequest, ScheduleSpec};

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
