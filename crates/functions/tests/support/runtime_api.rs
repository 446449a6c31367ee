//! A stand-in for the Lambda Runtime API (the endpoints a custom runtime talks to), enough
//! to drive a real function binary: it hands out queued events on `/invocation/next` and
//! records what the function posts back.
//!
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

/// What the function answered for one invocation (or at init).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response(serde_json::Value),
    /// `POST /invocation/{id}/error`.
    Error {
        /// `Lambda-Runtime-Function-Error-Type`.
        error_type: Option<String>,
        /// The body (`{"errorType", "errorMessage"}`).
        body: serde_json::Value,
    },
    /// `POST /init/error`.
    InitError {
        /// `Lambda-Runtime-Function-Error-Type`.
        error_type: Option<String>,
        /// The body (`{"errorType", "errorMessage"}`).
        body: serde_json::Value,
    },
}

struct Invocation {
    request_id: String,
    payload: String,
}

struct Shared {
    function_arn: String,
    events: Mutex<mpsc::UnboundedReceiver<Invocation>>,
    outcomes: mpsc::UnboundedSender<(String, Outcome)>,
    /// Milliseconds after `started` of the first `/next` (0 = not yet; +1 so 0 is free).
    first_next_ms: AtomicU64,
    started: Instant,
}

/// The fixture server of one function.
pub struct RuntimeApi {
    addr: SocketAddr,
    events: mpsc::UnboundedSender<Invocation>,
    outcomes: mpsc::UnboundedReceiver<(String, Outcome)>,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
    invocations: u64,
}

/// The Runtime API's base path.
const BASE: &str = "/2018-06-01/runtime";

impl RuntimeApi {
    /// Serves on a free loopback port, for the function `function_name`.
    pub async fn start(function_name: &str) -> Self {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: format!("arn:aws:lambda:us-east-1:111122223333:function:{function_name}"),
            events: Mutex::new(events_rx),
            outcomes: outcomes_tx,
            first_next_ms: AtomicU64::new(0),
            started: Instant::now(),
        });
        let app = Router::new()
            .route(&format!("{BASE}/invocation/next"), get(next))
            .route(
                &format!("{BASE}/invocation/{{id}}/response"),
                post(response),
            )
            .route(
                &format!("{BASE}/invocation/{{id}}/error"),
                post(invocation_error),
            )
            .route(&format!("{BASE}/init/error"), post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            events: events_tx,
            outcomes: outcomes_rx,
            shared,
            server,
            invocations: 0,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first asked for an event, if it did.
    pub fn first_next_at(&self) -> Option<Instant> {
        match self.shared.first_next_ms.load(Ordering::SeqCst) {
            0 => None,
            ms => Some(self.shared.started + Duration::from_millis(ms - 1)),
        }
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(&mut self, event: &serde_json::Value) -> Outcome {
        self.invocations += 1;
        let request_id = format!("8476a536-e9f4-11e8-9739-{:012x}", self.invocations);
        self.events
            .send(Invocation {
                request_id: request_id.clone(),
                payload: event.to_string(),
            })
            .unwrap();
        let deadline = Duration::from_secs(120);
        let received = tokio::time::timeout(deadline, self.outcomes.recv())
            .await
            .unwrap_or_else(|_| panic!("no answer to invocation {request_id} within {deadline:?}"))
            .expect("the fixture server stopped");
        // One invocation at a time: the answer is to this one, or an init error.
        match received {
            (id, outcome) if id == request_id => outcome,
            (_, outcome @ Outcome::InitError { .. }) => outcome,
            (id, outcome) => panic!("answer to an unknown invocation {id}: {outcome:?}"),
        }
    }

    /// The next answer not tied to a queued invocation (an init error), within `wait`.
    pub async fn init_error(&mut self, wait: Duration) -> Option<Outcome> {
        match tokio::time::timeout(wait, self.outcomes.recv()).await {
            Ok(Some((_, outcome))) => Some(outcome),
            _ => None,
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let elapsed = u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
    let _ =
        shared
            .first_next_ms
            .compare_exchange(0, elapsed + 1, Ordering::SeqCst, Ordering::SeqCst);
    let invocation = shared.events.lock().await.recv().await;
    let Some(invocation) = invocation else {
        return StatusCode::GONE.into_response();
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 120_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().unwrap());
    };
    set("Lambda-Runtime-Aws-Request-Id", invocation.request_id);
    set("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string());
    set(
        "Lambda-Runtime-Invoked-Function-Arn",
        shared.function_arn.clone(),
    );
    set(
        "Lambda-Runtime-Trace-Id",
        "Root=1-66fab3c0-5759e988bd862e3fe1be46a9;Parent=53995c3f42cd8ad8;Sampled=0".to_owned(),
    );
    set("Content-Type", "application/json".to_owned());
    (StatusCode::OK, headers, invocation.payload).into_response()
}

fn json_body(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared
        .outcomes
        .send((id, Outcome::Response(json_body(&body))));
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let outcome = Outcome::Error {
        error_type: error_type(&headers),
        body: json_body(&body),
    };
    let _ = shared.outcomes.send((id, outcome));
    StatusCode::ACCEPTED
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let outcome = Outcome::InitError {
        error_type: error_type(&headers),
        body: json_body(&body),
    };
    let _ = shared.outcomes.send(("init".to_owned(), outcome));
    StatusCode::ACCEPTED
}
