//! DRS "Source Server Launch Result" events, as the EventBridge rule writes them into the
//! check queue (DESIGN.md §2):
//!
//! ```json
//! {"version": "0", "id": "…", "detail-type": "DRS Source Server Launch Result",
//!  "source": "aws.drs", "account": "111122223333", "time": "…", "region": "us-east-1",
//!  "resources": ["arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0"],
//!  "detail": {"state": "RECOVERY_LAUNCH_SUCCEEDED", "job-id": "drsjob-…", "is-drill": "TRUE"}}
//! ```
//!
//! Events are hints that time the checks (`engine::hint`): `DescribeJobs` stays the truth.

use engine::{JobId, LaunchEvent, LaunchResult, ServerId};
use serde::Deserialize;

/// The `source` of DRS events.
pub const SOURCE: &str = "aws.drs";
/// The `detail-type` of launch results.
pub const DETAIL_TYPE: &str = "DRS Source Server Launch Result";
/// `detail.state` of a successful launch.
pub const STATE_SUCCEEDED: &str = "RECOVERY_LAUNCH_SUCCEEDED";
/// `detail.state` of a failed launch.
pub const STATE_FAILED: &str = "RECOVERY_LAUNCH_FAILED";

/// What an EventBridge event in the check queue is to the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// A launch result: wake the checker of the job's owner.
    Launch(LaunchEvent),
    /// Some other event (another source, detail type or state): nothing to do.
    Ignored(String),
}

/// An event that claims to be a launch result but lacks what it must carry.
#[derive(Debug, thiserror::Error)]
pub enum LaunchEventError {
    /// Not an EventBridge event.
    #[error("not an EventBridge event: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A launch result without a usable job or server.
    #[error("DRS launch result event: {0}")]
    Incomplete(String),
}

/// Whether `body` looks like an EventBridge event rather than a pipeline message.
pub fn is_event(body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .is_some_and(|value| value.get("detail-type").is_some())
}

#[derive(Deserialize)]
struct Envelope {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    detail: serde_json::Value,
}

#[derive(Deserialize)]
struct Detail {
    state: String,
    #[serde(rename = "job-id")]
    job_id: String,
}

/// Parses an EventBridge event delivered to the check queue.
pub fn parse(body: &str) -> Result<EventBody, LaunchEventError> {
    let envelope: Envelope = serde_json::from_str(body)?;
    if envelope.source != SOURCE || envelope.detail_type != DETAIL_TYPE {
        return Ok(EventBody::Ignored(format!(
            "event {} / {} is not a DRS launch result",
            envelope.source, envelope.detail_type
        )));
    }
    let detail: Detail = serde_json::from_value(envelope.detail)
        .map_err(|e| LaunchEventError::Incomplete(format!("detail: {e}")))?;
    let result = match detail.state.as_str() {
        STATE_SUCCEEDED => LaunchResult::Succeeded,
        STATE_FAILED => LaunchResult::Failed,
        other => {
            return Ok(EventBody::Ignored(format!(
                "launch result state {other} is not one this pipeline acts on"
            )));
        }
    };
    if detail.job_id.is_empty() {
        return Err(LaunchEventError::Incomplete(
            "detail.job-id is empty".to_owned(),
        ));
    }
    let arn = envelope.resources.first().ok_or_else(|| {
        LaunchEventError::Incomplete("resources is empty: no source server ARN".to_owned())
    })?;
    let server_id = server_of_arn(arn).ok_or_else(|| {
        LaunchEventError::Incomplete(format!(
            "resources[0] `{arn}` is not a source server ARN (…:source-server/s-…)"
        ))
    })?;
    Ok(EventBody::Launch(LaunchEvent {
        job_id: JobId::new(detail.job_id),
        server_id,
        result,
    }))
}

/// The source server ID of `arn:aws:drs:REGION:ACCOUNT:source-server/s-…`.
fn server_of_arn(arn: &str) -> Option<ServerId> {
    let (prefix, id) = arn.rsplit_once('/')?;
    (prefix.starts_with("arn:") && prefix.ends_with(":source-server") && id.starts_with("s-"))
        .then(|| ServerId::new(id))
}

/// The event DRS would send for `event`, as JSON (for tests and the local runner).
pub fn to_json(event: &LaunchEvent, account: &str, region: &str, is_drill: bool) -> String {
    let state = match event.result {
        LaunchResult::Succeeded => STATE_SUCCEEDED,
        LaunchResult::Failed => STATE_FAILED,
    };
    serde_json::json!({
        "version": "0",
        "id": format!("event-{}-{}", event.job_id, event.server_id),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": "1970-01-01T00:00:00Z",
        "region": region,
        "resources": [format!(
            "arn:aws:drs:{region}:{account}:source-server/{}",
            event.server_id
        )],
        "detail": {
            "state": state,
            "job-id": event.job_id.as_str(),
            "is-drill": if is_drill { "TRUE" } else { "FALSE" },
        },
    })
    .to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "DRS Source Server Launch Result",
        "source": "aws.drs",
        "account": "111122223333",
        "time": "2024-03-01T09:12:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0"],
        "detail": {"state": "RECOVERY_LAUNCH_FAILED", "job-id": "drsjob-1", "is-drill": "TRUE"}
    }"#;

    #[test]
    fn reads_the_job_the_server_and_the_result() {
        assert!(is_event(SAMPLE));
        assert_eq!(
            parse(SAMPLE).unwrap(),
            EventBody::Launch(LaunchEvent {
                job_id: "drsjob-1".into(),
                server_id: "s-1234567890abcdef0".into(),
                result: LaunchResult::Failed,
            })
        );
    }

    #[test]
    fn round_trips_through_to_json() {
        let event = LaunchEvent {
            job_id: "drsjob-9".into(),
            server_id: "s-00000000000000001".into(),
            result: LaunchResult::Succeeded,
        };
        let json = to_json(&event, "111122223333", "eu-west-1", true);
        assert_eq!(parse(&json).unwrap(), EventBody::Launch(event));
    }

    #[test]
    fn other_events_are_ignored_and_incomplete_ones_explained() {
        let other = SAMPLE.replace("DRS Source Server Launch Result", "DRS Job Completed");
        assert!(matches!(parse(&other).unwrap(), EventBody::Ignored(_)));
        let other_state = SAMPLE.replace("RECOVERY_LAUNCH_FAILED", "RECOVERY_LAUNCH_STARTED");
        assert!(matches!(
            parse(&other_state).unwrap(),
            EventBody::Ignored(_)
        ));
        let no_resource = SAMPLE.replace(
            r#""arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0""#,
            "",
        );
        let error = parse(&no_resource).unwrap_err().to_string();
        assert!(error.contains("resources is empty"), "{error}");
        let bad_arn = SAMPLE.replace("source-server/", "recovery-instance/");
        let error = parse(&bad_arn).unwrap_err().to_string();
        assert!(error.contains("not a source server ARN"), "{error}");
        let no_job = SAMPLE.replace(r#""job-id": "drsjob-1", "#, "");
        assert!(parse(&no_job).unwrap_err().to_string().contains("job-id"));
        assert!(!is_event(r#"{"v":1,"kind":"check"}"#));
    }
}
