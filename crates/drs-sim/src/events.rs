//! `DRS Source Server Launch Result` events, delivered best effort with EventBridge
//! `PutEvents` (awsJson1_1) to the scenario's endpoint, in batches of at most 10 entries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::http_client;

/// `source` of every event.
pub const EVENT_SOURCE: &str = "aws.drs";
/// `detail-type` of launch results.
pub const LAUNCH_RESULT_DETAIL_TYPE: &str = "DRS Source Server Launch Result";
const MAX_ENTRIES_PER_CALL: usize = 10;

/// One launch result to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEvent {
    /// EventBridge endpoint.
    pub endpoint: String,
    /// `EventBusName`, `None` for the default bus.
    pub event_bus_name: Option<String>,
    /// Account the event belongs to.
    pub account: String,
    /// Region the event belongs to.
    pub region: String,
    /// Source server ARN (`resources`).
    pub source_server_arn: String,
    /// `detail.job-id`.
    pub job_id: String,
    /// `detail.is-drill`.
    pub is_drill: bool,
    /// `RECOVERY_LAUNCH_SUCCEEDED` or `RECOVERY_LAUNCH_FAILED`.
    pub succeeded: bool,
    /// Event time.
    pub time: jiff::Timestamp,
}

impl OutgoingEvent {
    /// `detail.state`.
    pub fn state(&self) -> &'static str {
        if self.succeeded {
            "RECOVERY_LAUNCH_SUCCEEDED"
        } else {
            "RECOVERY_LAUNCH_FAILED"
        }
    }

    /// The event `detail` object.
    pub fn detail(&self) -> Value {
        json!({
            "state": self.state(),
            "job-id": self.job_id,
            "is-drill": if self.is_drill { "TRUE" } else { "FALSE" },
        })
    }

    /// The `PutEventsRequestEntry`.
    pub fn entry(&self) -> Value {
        let mut entry = json!({
            "Source": EVENT_SOURCE,
            "DetailType": LAUNCH_RESULT_DETAIL_TYPE,
            "Detail": self.detail().to_string(),
            "Resources": [self.source_server_arn],
            "Time": self.time.as_millisecond() as f64 / 1000.0,
        });
        if let (Some(bus), Some(map)) = (&self.event_bus_name, entry.as_object_mut()) {
            map.insert("EventBusName".into(), json!(bus));
        }
        entry
    }

    fn batch_key(&self) -> (&str, &str, &str, Option<&str>) {
        (
            &self.endpoint,
            &self.account,
            &self.region,
            self.event_bus_name.as_deref(),
        )
    }
}

/// A launch result as the admin API lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventRecord {
    /// Account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Source server.
    #[serde(rename = "sourceServerID")]
    pub source_server_id: String,
    /// Job.
    #[serde(rename = "jobID")]
    pub job_id: String,
    /// `detail.state`.
    pub state: &'static str,
    /// `detail.is-drill`.
    #[serde(rename = "isDrill")]
    pub is_drill: bool,
    /// Event time (ISO 8601).
    pub time: String,
    /// `queued` (handed to delivery), `dropped` (drop ratio) or `disabled` (no endpoint).
    pub delivery: &'static str,
}

/// Delivery statistics, shared with the delivery task.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Entries accepted by the endpoint.
    pub sent: AtomicU64,
    /// Entries dropped on purpose (`drop_ratio`).
    pub dropped: AtomicU64,
    /// Entries the endpoint refused or could not be reached for.
    pub failed: AtomicU64,
}

impl DeliveryStats {
    /// Zeroes the counters (admin reset).
    pub fn reset(&self) {
        self.sent.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
        self.failed.store(0, Ordering::Relaxed);
    }
}

/// Runs until `shutdown` turns true, then delivers what is already queued and stops.
pub async fn deliver(
    mut queue: mpsc::UnboundedReceiver<OutgoingEvent>,
    stats: Arc<DeliveryStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut carried: Option<OutgoingEvent> = None;
    loop {
        let first = match carried.take() {
            Some(event) => event,
            None => tokio::select! {
                next = queue.recv() => match next {
                    Some(event) => event,
                    None => return,
                },
                () = until_true(&mut shutdown) => {
                    drain(&mut queue, &stats).await;
                    return;
                }
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_ENTRIES_PER_CALL {
            match queue.try_recv() {
                Ok(event) if event.batch_key() == batch[0].batch_key() => batch.push(event),
                Ok(event) => {
                    carried = Some(event);
                    break;
                }
                Err(_) => break,
            }
        }
        send_batch(&batch, &stats).await;
    }
}

/// Resolves once the watched flag is true (or its sender is gone).
pub(crate) async fn until_true(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|value| *value).await;
}

async fn drain(queue: &mut mpsc::UnboundedReceiver<OutgoingEvent>, stats: &DeliveryStats) {
    let mut rest = Vec::new();
    while let Ok(event) = queue.try_recv() {
        rest.push(event);
    }
    for event in rest {
        send_batch(std::slice::from_ref(&event), stats).await;
    }
}

async fn send_batch(batch: &[OutgoingEvent], stats: &DeliveryStats) {
    let Some(first) = batch.first() else {
        return;
    };
    let entries: Vec<Value> = batch.iter().map(OutgoingEvent::entry).collect();
    let body = json!({ "Entries": entries }).to_string().into_bytes();
    let now = jiff::Timestamp::now();
    let headers = vec![
        ("content-type", "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target", "AWSEvents.PutEvents".to_owned()),
        ("x-amz-date", now.strftime("%Y%m%dT%H%M%SZ").to_string()),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIADRSSIMEVENTS0000/{}/{}/events/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
                now.strftime("%Y%m%d"),
                first.region,
                "0".repeat(64)
            ),
        ),
        // moto's server takes the account of the request from this header.
        ("x-moto-account-id", first.account.clone()),
    ];
    let count = batch.len() as u64;
    match http_client::post(&first.endpoint, &headers, body, Duration::from_secs(5)).await {
        Ok(reply) if reply.status == 200 => {
            let failed = serde_json::from_slice::<Value>(&reply.body)
                .ok()
                .and_then(|v| v.get("FailedEntryCount").and_then(Value::as_u64))
                .unwrap_or(0)
                .min(count);
            stats.sent.fetch_add(count - failed, Ordering::Relaxed);
            stats.failed.fetch_add(failed, Ordering::Relaxed);
            if failed > 0 {
                tracing::warn!(endpoint = %first.endpoint, failed, "PutEvents rejected entries");
            }
        }
        Ok(reply) => {
            stats.failed.fetch_add(count, Ordering::Relaxed);
            tracing::warn!(
                endpoint = %first.endpoint,
                status = reply.status,
                body = %String::from_utf8_lossy(&reply.body),
                "PutEvents failed"
            );
        }
        Err(err) => {
            stats.failed.fetch_add(count, Ordering::Relaxed);
            tracing::warn!(error = %err, "PutEvents failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_has_the_documented_shape() {
        let event = OutgoingEvent {
            endpoint: "http://127.0.0.1:1".into(),
            event_bus_name: None,
            account: "111122223333".into(),
            region: "us-east-1".into(),
            source_server_arn:
                "arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0".into(),
            job_id: "drsjob-1234567890abcdef0".into(),
            is_drill: true,
            succeeded: false,
            time: "2025-01-01T00:00:00Z".parse().unwrap(),
        };
        let entry = event.entry();
        assert_eq!(entry["Source"], "aws.drs");
        assert_eq!(entry["DetailType"], "DRS Source Server Launch Result");
        assert_eq!(entry["Resources"][0], event.source_server_arn);
        assert_eq!(entry["Time"], 1_735_689_600.0);
        assert!(entry.get("EventBusName").is_none());
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
        assert_eq!(detail["state"], "RECOVERY_LAUNCH_FAILED");
        assert_eq!(detail["job-id"], "drsjob-1234567890abcdef0");
        assert_eq!(detail["is-drill"], "TRUE");
    }
}
