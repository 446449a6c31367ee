//! A pass-through in front of moto that counts every AWS request by operation and plays the
//! EventBridge rule that brings DRS Launch Result events to the check queue.
//!
//! Why the rule is played here: moto delivers an event to a rule's SQS target at about 3
//! events per second (its EventBridge builds a JSONPath parser for every delivery — over
//! 100 ms of CPU each), far below what a drill at a high time scale produces (a wave of 100
//! servers sends 100 events within a few real seconds). drs-sim's `PutEvents` then time out
//! and events are lost, which would measure moto, not the pipeline. So once
//! [`MotoFront::route_launch_results`] is called, a `PutEvents` whose entries all match the
//! rule of the local stack (`source: aws.drs`, `detail-type: DRS Source Server Launch
//! Result`) is answered here, and each entry is sent to the check queue as the message body
//! moto's (and AWS's) rule would deliver: the event envelope with `version`, `id`,
//! `detail-type`, `source`, `account`, `time`, `region`, `resources` and `detail`. Every
//! other request goes to moto unchanged (the `Host` header too, so moto's queue URLs keep
//! pointing here).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_adapters::{QueueRef, SqsQueues};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use pipeline::launch_event::{DETAIL_TYPE, SOURCE};
use pipeline::message::QueueName;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Largest request body accepted (SQS and DynamoDB cap theirs far lower).
const MAX_BODY: usize = 16 * 1024 * 1024;

type Sender = http1::SendRequest<Full<Bytes>>;

struct Shared {
    /// moto's `host:port`.
    upstream: String,
    /// Idle keep-alive connections to moto.
    idle: Mutex<Vec<Sender>>,
    counts: Mutex<BTreeMap<String, u64>>,
    route: Mutex<Option<Arc<SqsQueues>>>,
    routed_events: AtomicU64,
    event_ids: AtomicU64,
}

/// The pass-through; stops when dropped.
pub struct MotoFront {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl std::fmt::Debug for MotoFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotoFront")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MotoFront {
    /// Listens on a free loopback port, forwarding to moto at `moto_url` (`http://host:port`).
    pub async fn start(moto_url: &str) -> std::io::Result<Self> {
        let upstream = moto_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let shared = Arc::new(Shared {
            upstream,
            idle: Mutex::new(Vec::new()),
            counts: Mutex::new(BTreeMap::new()),
            route: Mutex::new(None),
            routed_events: AtomicU64::new(0),
            event_ids: AtomicU64::new(0),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the moto pass-through stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`: the endpoint to give clients instead of moto's.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, deliver Launch Result events to the check queue of `queues` here.
    pub fn route_launch_results(&self, queues: Arc<SqsQueues>) {
        *self
            .shared
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(queues);
    }

    /// Requests per operation (`dynamodb.TransactWriteItems`, `sqs.SendMessage`…) since the
    /// last take, and a fresh count.
    pub fn take_counts(&self) -> BTreeMap<String, u64> {
        std::mem::take(
            &mut *self
                .shared
                .counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Launch Result events delivered to the check queue here so far.
    pub fn routed_events(&self) -> u64 {
        self.shared.routed_events.load(Ordering::Relaxed)
    }
}

impl Drop for MotoFront {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let operation = operation(&parts.headers, &body);
    {
        let mut counts = shared.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry(operation.clone()).or_insert(0) += 1;
    }
    if operation == "events.PutEvents" {
        let route = shared
            .route
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(queues) = route {
            if let Some(response) =
                deliver_launch_results(&shared, &queues, &parts.headers, &body).await
            {
                return response;
            }
        }
    }
    match forward(&shared, parts, body).await {
        Ok(response) => response,
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("moto pass-through: {error}"),
        )
            .into_response(),
    }
}

/// `service.Operation` of an AWS request: the service from the SigV4 credential scope, the
/// operation from `X-Amz-Target` (JSON protocols) or the `Action` form field (query protocol).
fn operation(headers: &HeaderMap, body: &[u8]) -> String {
    let service = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|credential| credential.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    let action = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .map(str::to_owned)
        .or_else(|| {
            std::str::from_utf8(body).ok().and_then(|form| {
                form.split('&')
                    .find_map(|pair| pair.strip_prefix("Action="))
                    .map(str::to_owned)
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{service}.{action}")
}

/// Answers a `PutEvents` whose entries are all Launch Results by sending them to the check
/// queue; `None` (forward it to moto) for anything else.
async fn deliver_launch_results(
    shared: &Shared,
    queues: &SqsQueues,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let request: Value = serde_json::from_slice(body).ok()?;
    let entries = request.get("Entries")?.as_array()?;
    let matches = |entry: &Value| {
        entry.get("Source").and_then(Value::as_str) == Some(SOURCE)
            && entry.get("DetailType").and_then(Value::as_str) == Some(DETAIL_TYPE)
            && entry.get("EventBusName").is_none_or(|b| b == "default")
    };
    if entries.is_empty() || !entries.iter().all(matches) {
        return None;
    }
    let account = headers
        .get("x-moto-account-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("123456789012");
    let region = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|credential| credential.split('/').nth(2))
        .unwrap_or("us-east-1");
    let mut results = Vec::new();
    for entry in entries {
        let n = shared.event_ids.fetch_add(1, Ordering::Relaxed);
        let id = format!("00000000-0000-4000-8000-{n:012x}");
        let detail: Value = entry
            .get("Detail")
            .and_then(Value::as_str)
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        let event = json!({
            "version": "0",
            "id": id,
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": account,
            "time": event_time(entry.get("Time")),
            "region": region,
            "resources": entry.get("Resources").cloned().unwrap_or_else(|| json!([])),
            "detail": detail,
        });
        match queues
            .send_body(QueueRef::Main(QueueName::Check), &event.to_string(), 0)
            .await
        {
            Ok(_) => {
                shared.routed_events.fetch_add(1, Ordering::Relaxed);
                results.push(json!({ "EventId": id }));
            }
            Err(error) => results.push(json!({
                "ErrorCode": "InternalFailure",
                "ErrorMessage": error.to_string(),
            })),
        }
    }
    let failed = results
        .iter()
        .filter(|r| r.get("ErrorCode").is_some())
        .count();
    let answer = json!({ "FailedEntryCount": failed, "Entries": results });
    Some(
        (
            StatusCode::OK,
            [("content-type", "application/x-amz-json-1.1")],
            answer.to_string(),
        )
            .into_response(),
    )
}

/// An entry's `Time` (epoch seconds) as EventBridge writes it, `YYYY-MM-DDTHH:MM:SSZ`.
fn event_time(time: Option<&Value>) -> String {
    let at = time
        .and_then(Value::as_f64)
        .and_then(|seconds| {
            // Whole milliseconds since the epoch fit an i64 for any date in the model.
            #[allow(clippy::cast_possible_truncation)]
            let millis = (seconds * 1000.0) as i64;
            jiff::Timestamp::from_millisecond(millis).ok()
        })
        .unwrap_or_else(jiff::Timestamp::now);
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Sends the request to moto on an idle keep-alive connection (or a new one).
async fn forward(
    shared: &Shared,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, String> {
    let mut sender = match idle_sender(shared) {
        Some(sender) => sender,
        None => connect(&shared.upstream).await?,
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut request = hyper::Request::builder()
        .method(parts.method.clone())
        .uri(path);
    for (name, value) in &parts.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| format!("request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("response body: {e}"))?
        .to_bytes();
    if !sender.is_closed() {
        shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sender);
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn idle_sender(shared: &Shared) -> Option<Sender> {
    let mut idle = shared.idle.lock().unwrap_or_else(PoisonError::into_inner);
    while let Some(sender) = idle.pop() {
        if !sender.is_closed() {
            return Some(sender);
        }
    }
    None
}

async fn connect(upstream: &str) -> Result<Sender, String> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| format!("connecting to moto at {upstream}: {e}"))?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with moto: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn operations_are_named_by_service_and_action() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            ),
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.TransactWriteItems"),
        );
        assert_eq!(operation(&headers, b"{}"), "dynamodb.TransactWriteItems");
        headers.remove("x-amz-target");
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0",
            ),
        );
        assert_eq!(
            operation(&headers, b"Action=Publish&Version=2010-03-31"),
            "sns.Publish"
        );
        assert_eq!(operation(&HeaderMap::new(), b""), "unknown.unknown");
    }

    #[test]
    fn event_times_are_written_as_eventbridge_does() {
        assert_eq!(
            event_time(Some(&json!(1_767_225_600.5))),
            "2026-01-01T00:00:00Z"
        );
    }
}
