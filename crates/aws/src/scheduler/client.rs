//! The EventBridge Scheduler calls: the schedules of one group ([`Schedules`]) and where they
//! deliver ([`ScheduleTarget`]).

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, ScheduleState,
    Target,
};
use aws_sdk_sqs::types::QueueAttributeName;
use engine::Mode;
use pipeline::message::{self, Message, PlanSource, QueueName};

use super::spec::check_schedule_name;
use super::{MAX_EVENT_AGE_SECONDS, MAX_RETRY_ATTEMPTS, ScheduleError, ScheduleSpec, invalid};
use crate::config::AwsConfig;
use crate::resources::Resources;
use crate::sdk_error;

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
            } => format!("drs-orchestrator: {} of plan {plan_name}", mode.as_str()),
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
