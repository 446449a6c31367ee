//! The EventBridge rule that brings DRS Launch Result events into the check queue, as the
//! SAM template does in AWS: `source: aws.drs`, `detail-type: DRS Source Server Launch
//! Result`, on the default bus, target the check queue.
//!
//! In AWS the queue also needs a policy letting `events.amazonaws.com` send to it; moto does
//! not check queue policies, so the local stack does not set one.

use aws_adapters::AwsConfig;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::{RuleState, Target};
use pipeline::launch_event::{DETAIL_TYPE, SOURCE};

use crate::error::LocalError;

/// The ID of the rule's target.
pub const TARGET_ID: &str = "check-queue";

/// The rule's event pattern.
pub fn event_pattern() -> String {
    serde_json::json!({ "source": [SOURCE], "detail-type": [DETAIL_TYPE] }).to_string()
}

/// The rule's name for resources named with `prefix`.
pub fn rule_name(prefix: &str) -> String {
    format!("{prefix}-drs-launch-results")
}

/// Creates (or updates) the rule and its target; returns the rule's ARN.
pub async fn install(
    config: &AwsConfig,
    prefix: &str,
    check_queue_arn: &str,
) -> Result<String, LocalError> {
    let rule = rule_name(prefix);
    let failure = |message: String| LocalError::EventRule {
        rule: rule.clone(),
        message,
    };
    let client = aws_sdk_eventbridge::Client::new(config.sdk());
    let created = client
        .put_rule()
        .name(&rule)
        .description("DRS launch results wake the drs-orchestrator checker")
        .event_pattern(event_pattern())
        .state(RuleState::Enabled)
        .send()
        .await
        .map_err(|e| failure(DisplayErrorContext(&e).to_string()))?;
    let target = Target::builder()
        .id(TARGET_ID)
        .arn(check_queue_arn)
        .build()
        .map_err(|e| failure(e.to_string()))?;
    let output = client
        .put_targets()
        .rule(&rule)
        .targets(target)
        .send()
        .await
        .map_err(|e| failure(DisplayErrorContext(&e).to_string()))?;
    if output.failed_entry_count > 0 {
        return Err(failure(format!(
            "PutTargets refused the check queue target: {:?}",
            output.failed_entries
        )));
    }
    Ok(created.rule_arn.unwrap_or_default())
}
